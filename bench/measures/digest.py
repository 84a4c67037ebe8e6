"""5. the digest of last year against one GROUP BY scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.child import Outcome
from bench.common import DIGEST_YEAR, say

if TYPE_CHECKING:
    from bench.scenario import SizeRun


def measure(run: SizeRun) -> None:
    """The GROUP BY and the digest each run twice, in turn (GROUP BY, digest, the digest's
    reads, GROUP BY, digest), and the better run of each counts: neither side profits alone
    from pages the other read into the cache, nor pays alone for reading them first."""
    say(f"digest {DIGEST_YEAR}")
    bases, digests = [_groupby(run)], [_digest(run)]
    reads = _task(run, "digest_reads", "digest_reads", run.budgets.digest)
    bases.append(_groupby(run))
    digests.append(_digest(run))
    base, ours = _better(bases), _better(digests)
    growth = max(d.data.get("peak_growth_mb", 0) for d in digests)
    note = (
        f"{base.data.get('activities', '?'):,} activities of {DIGEST_YEAR}; the better of two "
        f"runs each; digest peak RSS growth {growth:.0f} MB"
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


def _better(runs: list[Outcome]) -> Outcome:
    """The faster of the runs that finished (else the last), with every run's seconds."""
    done = [r for r in runs if r.seconds is not None]
    best = min(done, key=lambda r: r.seconds or 0.0) if done else runs[-1]
    best.data["all_seconds"] = [r.seconds for r in runs]
    return best


def _digest(run: SizeRun) -> Outcome:
    return _task(run, "digest", "digest", run.budgets.digest)


def _groupby(run: SizeRun) -> Outcome:
    return _task(run, "digest_groupby", "groupby", run.budgets.raw)


def _task(run: SizeRun, name: str, task: str, budget: float) -> Outcome:
    """One of this measure's tasks on the year of the digest."""
    return run.run_task(name, task, run.allowance.budget(budget), url=run.url, year=DIGEST_YEAR)
