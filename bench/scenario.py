"""One size of the bench, start to end, on one SQLite file; and the size-independent parts.

The order matters, because every figure of a size is measured on the same file
(``bench/measures/``, one module per figure):

1. planning: N freshly admitted centres planned by ``Service.plan()``; the rows it wrote are
   read back, deleted, and written again by one raw executemany (then those centres go);
2. tick over an *empty* history: K centres whose session moved to next week (its reminder is
   due now); the previous tick (08:00:10) ran, the measured one runs at 08:05;
3. ten years of history for N centres are loaded (bulk Core inserts, ``bench/synth/``);
4. the same tick, same K, now over the history;
5. the digest of last year against one GROUP BY scan;
6. dispatch of M pending mails against a bare aiosmtplib loop (same sink, same connections);
7. a stage change of all active centres (pause) through ``Service.advance_many`` — the raw
   statements first (then undone), because the service's run changes the file for good.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select, text

from bench import child
from bench.child import Outcome
from bench.common import BERLIN, NOW, raw_sqlite, say, sqlite_url, workflow
from bench.measures import digest, dispatch, pages, planning, stage_batch, summary, tick
from bench.report import Figure, Results, ratio
from bench.sink import Sink
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.tables import activities, centres, closures, coaches, outbox, stage_changes


@dataclass
class Budgets:
    """Seconds per measured operation (a size's allowance may cut them shorter)."""

    planning: float = 300  # about 60 s at 60,000 centres on one machine, 118 s on another
    raw: float = 150  # about 56 s, and 96 s
    tick: float = 120
    digest: float = 180
    dispatch: float = 120
    stage: float = 150
    apscheduler: float = 180
    postgres: float = 240
    pages: float = 1200

    def scaled(self, factor: float) -> Budgets:
        return Budgets(**{k: v * factor for k, v in self.__dict__.items()})


class Allowance:
    """The run's time limit: each measured step gets its budget, but never more than is left
    once a reserve is kept for every step still to come; none at all when under 10 s."""

    RESERVE = 10.0  # seconds kept per step still to come

    def __init__(self, seconds: float | None, steps: int) -> None:
        self.deadline = None if seconds is None else time.time() + seconds
        self.steps = steps

    def budget(self, wanted: float, keep: int = 0) -> float:
        """The budget of the next step (``keep`` more steps share it)."""
        self.steps = max(0, self.steps - 1 - keep)
        if self.deadline is None:
            return wanted
        left = self.deadline - time.time() - self.RESERVE * self.steps
        return 0.0 if left < 10 else min(wanted, left)


class SizeRun:
    def __init__(
        self,
        size: int,
        folder: Path,
        results: Results,
        sink: Sink,
        budgets: Budgets,
        allowance: Allowance,
        profile: set[str],
        profiler: str,
        mails: int,
        batch_size: int,
    ) -> None:
        self.size = size
        self.results = results
        self.sink = sink
        self.budgets = budgets
        self.allowance = allowance
        self.profile = profile
        self.profiler = profiler
        self.mails = mails
        self.batch_size = batch_size
        self.folder = folder
        self.path = folder / f"thekiz-{size}.db"
        self.url = sqlite_url(self.path)
        self.workflow = workflow()
        self.k = max(20, size // 30)
        self.k_ids: list[int] = []
        self.engine: Engine = make_engine(self.url)
        self.skip: set[str] = set()  # steps not run (``--skip``)

    # ------------------------------------------------------------------ helpers
    def run_task(self, figure: str, task: str, budget: float, **params: Any) -> Outcome:
        profile = None
        if figure in self.profile:
            suffix = "html" if self.profiler == "pyinstrument" else "pstats"
            folder = Path(__file__).resolve().parent / "profiles"
            folder.mkdir(exist_ok=True)
            profile = folder / f"{figure}-{self.size}.{suffix}"
        say(f"  {task} (budget {budget:.0f} s)")
        outcome = child.run(task, budget, profile=profile, **params)
        shown = outcome.seconds
        say(f"    -> {outcome.describe()}" + ("" if shown is None else f", {shown:.3f} s"))
        if outcome.status == "error":
            print(outcome.error, flush=True)
        if profile is not None and profile.suffix == ".pstats" and profile.exists():
            import pstats

            say(f"    profile: {profile}")
            pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(30)
        return outcome

    def step(self, name: str, work: Callable[[], None]) -> None:
        if name in self.skip:
            say(f"  step {name}: skipped")
            return
        try:
            work()
        except Exception as error:  # one broken step must not cost the others
            import traceback

            say(f"  step {name} failed: {error!r}")
            traceback.print_exc()
            self.results.note(self.size, f"{name}_error", repr(error))
            self.results.failed_steps.append(f"{self.size}: {name}")

    def raw(self) -> sqlite3.Connection:
        return raw_sqlite(str(self.path))

    def scalar(self, sql: str, *params: object) -> Any:
        connection = self.raw()
        try:
            return connection.execute(sql, params).fetchone()[0]
        finally:
            connection.close()

    def execute(self, *statements: tuple[str, tuple[object, ...]]) -> None:
        connection = self.raw()
        try:
            connection.execute("BEGIN IMMEDIATE")
            for sql, params in statements:
                connection.execute(sql, params)
            connection.execute("COMMIT")
        finally:
            connection.close()

    # ------------------------------------------------------------------ the run
    def run(self) -> None:
        say(f"size {self.size:,}: {self.path}")
        upgrade(self.engine)
        self.coach_ids = self._coaches(max(4, self.size // 15))
        self.step("planning", lambda: planning.measure(self))
        self.step("tick_setup", lambda: tick.setup(self))
        empty = tick.tick_pass(self, "empty")
        self.step("history", lambda: tick.history(self))
        full = tick.tick_pass(self, "history")
        tick.tick_figures(self, empty, full)
        self.step("pages", lambda: pages.measure(self))
        self.step("digest", lambda: digest.measure(self))
        self.step("dispatch", lambda: dispatch.measure(self))
        self.step("stage_batch", lambda: stage_batch.measure(self))
        self.engine.dispose()

    def _coaches(self, count: int) -> list[int]:
        rows = [
            {
                "name": f"Prozessbegleitung {n}",
                "email": f"pb{n}@example.org",
                "rate": Decimal("62.50") + n % 7,
                "created_at": NOW - timedelta(days=3000),
            }
            for n in range(1, count + 1)
        ]
        with self.engine.begin() as conn:
            conn.execute(insert(coaches), rows)
            return list(conn.execute(select(coaches.c.id).order_by(coaches.c.id)).scalars())

    def add_centres(
        self, count: int, prefix: str, stage: str, since: date, weekday: int | None
    ) -> list[int]:
        """``count`` centres admitted on ``since`` (audit row as ``advance`` writes it)."""
        districts = self.workflow.districts
        with self.engine.begin() as conn:
            first = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM centres")).scalar_one())
            ids = list(range(first + 1, first + count + 1))
            conn.execute(
                insert(centres),
                [
                    {
                        "id": cid,
                        "name": f"{prefix} {cid}",
                        "district": districts[cid % len(districts)],
                        "email": f"leitung{cid}@example.org",
                        "carrier": None,
                        "coach_id": self.coach_ids[cid % len(self.coach_ids)],
                        "stage": stage,
                        "stage_since": since,
                        "registered": since - timedelta(days=60),
                        "weekday": weekday,
                        "created_at": datetime.combine(
                            since - timedelta(days=60), dtime(9), BERLIN
                        ),
                    }
                    for cid in ids
                ],
            )
            conn.execute(
                insert(stage_changes),
                [
                    {
                        "centre_id": cid,
                        "trigger": "admit",
                        "from_stage": self.workflow.initial,
                        "to_stage": stage,
                        "effective": since,
                        "recorded_at": datetime.combine(since, dtime(10), BERLIN),
                        "actor": "fachstelle",
                        "reason": None,
                        "forced": False,
                    }
                    for cid in ids
                ],
            )
        return ids

    def drop_centres(self, first: int, last: int) -> None:
        with self.engine.begin() as conn:
            for table in (activities, outbox, stage_changes, closures):
                conn.execute(delete(table).where(table.c.centre_id.between(first, last)))
            conn.execute(delete(centres).where(centres.c.id.between(first, last)))

    def figure(
        self, name: str, ours: Outcome, base: Outcome, note: str = "", unit: str = "s"
    ) -> Figure:
        value = ratio(ours.seconds, base.seconds)
        bound, projected = None, None
        status = "ok" if ours.ok and base.ok else (ours if not ours.ok else base).describe()
        if not ours.ok and ours.status == "timeout" and base.seconds:
            value, bound = ours.budget / base.seconds, ">"
            if ours.progress is not None and ours.progress[0] > 0:
                done, total = ours.progress
                projected = ours.elapsed * total / done / base.seconds
        return Figure(
            name,
            self.size,
            ours.seconds,
            base.seconds,
            unit,
            value,
            status,
            bound,
            projected,
            note,
            {"ours": summary(ours), "baseline": summary(base)},
        )


__all__ = ["Allowance", "Budgets", "SizeRun"]
