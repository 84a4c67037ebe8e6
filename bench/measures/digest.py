"""5. the digest of last year against one GROUP BY scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.child import Outcome
from bench.common import DIGEST_YEAR, say

if TYPE_CHECKING:
    from bench.scenario import SizeRun


def measure(run: SizeRun) -> None:
    """The GROUP BY runs before and after the digest and its reads, the better run counts:
    neither side profits alone from pages the other read into the cache."""
    say(f"digest {DIGEST_YEAR}")
    bases = [_groupby(run)]
    ours = run.run_task(
        "digest",
        "digest",
        run.allowance.budget(run.budgets.digest),
        url=run.url,
        year=DIGEST_YEAR,
    )
    reads = run.run_task(
        "digest_reads",
        "digest_reads",
        run.allowance.budget(run.budgets.digest),
        url=run.url,
        year=DIGEST_YEAR,
    )
    bases.append(_groupby(run))
    done = [b for b in bases if b.seconds is not None]
    base = min(done, key=lambda b: b.seconds or 0.0) if done else bases[-1]
    base.data["all_seconds"] = [b.seconds for b in bases]
    note = (
        f"{base.data.get('activities', '?'):,} activities of {DIGEST_YEAR}; digest peak RSS "
        f"growth {ours.data.get('peak_growth_mb', 0):.0f} MB"
        if base.ok
        else ""
    )
    run.results.add(run.figure("digest_vs_groupby", ours, base, note=note))
    run.results.add(
        run.figure(
            "digest_reads_vs_groupby",
            reads,
            base,
            note=f"the digest's queries alone, {reads.data.get('rows', 0):,} rows fetched "
            "and dropped: the part of digest_vs_groupby the database takes",
        )
    )


def _groupby(run: SizeRun) -> Outcome:
    return run.run_task(
        "digest_groupby",
        "groupby",
        run.allowance.budget(run.budgets.raw),
        url=run.url,
        year=DIGEST_YEAR,
    )
