"""The bench's command line: sizes, budgets, the run's time limit, profiling."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench import extras
from bench.common import say
from bench.report import RESULTS, Results
from bench.scenario import Allowance, Budgets, SizeRun
from bench.sink import Sink

FIGURES = ("planning", "tick", "tick_empty", "digest", "dispatch", "stage_batch")
STEPS_PER_SIZE = 20  # measured child processes per size
STEPS_EXTRA = 7  # APScheduler and outbox, each timed and traced; holding; PostgreSQL 1 and 4


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__)
    parser.add_argument("--sizes", default="600,6000,60000", help="centres per programme")
    parser.add_argument(
        "--minutes",
        type=float,
        default=float(os.environ["THEKIZ_BENCH_MINUTES"])
        if os.environ.get("THEKIZ_BENCH_MINUTES")
        else None,
        help="time limit of the whole run (default: 9 when no size exceeds 6,000, else none); "
        "each measurement gets its budget, cut to what is left ($THEKIZ_BENCH_MINUTES)",
    )
    parser.add_argument("--budget-scale", type=float, default=1.0, help="scale every budget")
    parser.add_argument("--mails", type=int, default=2000, help="messages for dispatch")
    parser.add_argument("--batch-size", type=int, default=50, help="messages per connection")
    parser.add_argument("--jobs", type=int, default=10_000, help="reminders for APScheduler")
    parser.add_argument(
        "--holding", type=int, default=100_000, help="pending reminders held for the memory figure"
    )
    parser.add_argument("--pg-messages", type=int, default=20_000)
    parser.add_argument(
        "--profile",
        default="",
        help=f"profile these figures' own side (comma separated: {', '.join(FIGURES)}); "
        "writes bench/profiles/<figure>-<size>.pstats and prints the top functions",
    )
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument("--workdir", type=Path, default=None, help="where the databases go")
    parser.add_argument("--keep", action="store_true", help="keep the database files")
    parser.add_argument(
        "--skip", default="", help="steps not run at any size (comma separated, e.g. pages)"
    )
    parser.add_argument("--no-extras", action="store_true", help="skip APScheduler/PostgreSQL")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    minutes = args.minutes
    if minutes is None and max(sizes) <= 6000:
        minutes = 9.0
    pg_url = os.environ.get("THEKIZ_BENCH_DATABASE_URL") or os.environ.get(
        "THEKIZ_TEST_DATABASE_URL"
    )
    steps = STEPS_PER_SIZE * len(sizes) + (0 if args.no_extras else STEPS_EXTRA)
    allowance = Allowance(None if minutes is None else minutes * 60, steps)
    budgets = Budgets().scaled(args.budget_scale)
    profile = {p.strip() for p in args.profile.split(",") if p.strip()}
    results = Results(sizes)
    root = Path(tempfile.mkdtemp(prefix="thekiz-bench-", dir=args.workdir))
    started = time.time()
    say(
        f"thekiz-flow bench: sizes {', '.join(f'{s:,}' for s in sizes)}; "
        f"time limit {'none' if minutes is None else f'{minutes:g} min'}; files in {root}"
    )
    try:
        with Sink() as sink:
            for size in sizes:
                folder = root / f"n{size}"
                folder.mkdir()
                run = SizeRun(
                    size,
                    folder,
                    results,
                    sink,
                    budgets,
                    allowance,
                    profile,
                    args.profiler,
                    args.mails,
                    args.batch_size,
                )
                run.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
                run.run()
                print("\n" + results.table(size) + "\n", flush=True)
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
            if not args.no_extras:
                folder = root / "extras"
                folder.mkdir()
                # one step for the four runs of the alternative, each run given this budget
                budget = allowance.budget(budgets.apscheduler, keep=3)
                extras.alternative(folder, results, budget, args.jobs)
                extras.holding(folder, results, budget, args.holding)
                if pg_url:
                    extras.postgres(
                        pg_url,
                        folder,
                        results,
                        sink,
                        allowance.budget(2 * budgets.postgres, keep=1) / 2,
                        args.pg_messages,
                        args.batch_size,
                    )
                else:
                    say("postgres: skipped (set THEKIZ_BENCH_DATABASE_URL to measure it)")
        results.complete = not results.failed_steps
    except KeyboardInterrupt:
        say("interrupted: results.json keeps what was measured")
    finally:
        results.finish()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("\n" + results.table(everything=True), flush=True)
    state = results.package_before
    say(
        f"package: commit {state['commit']}, {len(state['uncommitted'])} uncommitted file(s), "
        f"fingerprint {state['fingerprint']}"
    )
    if results.failed_steps:
        say(f"WARNING: steps failed ({', '.join(results.failed_steps)}): the run is incomplete")
    if results.package_changed:
        say("WARNING: thekiz_flow/ changed while the bench ran: figures mix two states of it")
    say(f"done in {time.time() - started:.0f} s; {RESULTS}")
    return 0
