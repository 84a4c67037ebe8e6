"""One size of the bench, start to end, on one SQLite file; and the size-independent parts.

The order matters, because every figure of a size is measured on the same file:

1. planning: N freshly admitted centres planned by ``Service.plan()``; the rows it wrote are
   read back, deleted, and written again by one raw executemany (then those centres go);
2. tick over an *empty* history: K centres whose session moved to next week (its reminder is
   due now); the previous tick (08:00:10) ran, the measured one runs at 08:05;
3. ten years of history for N centres are loaded (bulk Core inserts);
4. the same tick, same K, now over the history;
5. the digest of last year against one GROUP BY scan;
6. dispatch of M pending mails against a bare aiosmtplib loop (same sink, same connections);
7. a stage change of all active centres (pause) through ``Service.advance_many`` — the raw
   statements first (then undone), because the service's run changes the file for good.
"""

from __future__ import annotations

import pickle
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
from bench.common import (
    BERLIN,
    DIGEST_YEAR,
    NOW,
    OFFICE,
    PREVIOUS_TICK,
    TICK_BEFORE,
    TODAY,
    raw_sqlite,
    service,
    sqlite_url,
    workflow,
)
from bench.report import Figure, Results, ratio
from bench.sink import Sink, SinkStats
from bench.synth import CachedCalendar, Encoder, HistoryGenerator, render_bodies, sent_mail
from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.model import StageChange
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.core.planning import PlanInput, plan, reconcile
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.outbox import OutboxStore
from thekiz_flow.store.tables import (
    activities,
    centres,
    closures,
    coaches,
    outbox,
    stage_changes,
    state,
)

K_ADMITTED = date(2026, 5, 27)  # a Wednesday: the K centres' admission
K_WEEKDAY = 3  # Thursday: sessions on the 4th Thursday, e.g. 2026-06-25 ...
K_PLANNED = date(2026, 6, 25)
K_MOVED = date(2026, 6, 24)  # ... moved by hand to Wednesday 24 June: reminded today
K_FIRST = date(2026, 5, 28)  # the first session, held
TICK_ATTEMPTS = 3  # runs of the measured tick per history, the best counts


@dataclass
class Budgets:
    """Seconds per measured operation (a size's allowance may cut them shorter)."""

    planning: float = 150
    raw: float = 60
    tick: float = 120
    digest: float = 180
    dispatch: float = 120
    stage: float = 150
    apscheduler: float = 180
    postgres: float = 240

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


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


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
        self.step("planning", self.planning)
        self.step("tick_setup", self.tick_setup)
        empty = self.tick_pass("empty")
        self.step("history", self.history)
        full = self.tick_pass("history")
        self.tick_figures(empty, full)
        self.step("digest", self.digest)
        self.step("dispatch", self.dispatch)
        self.step("stage_batch", self.stage_batch)
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

    def _add_centres(
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

    def _drop_centres(self, first: int, last: int) -> None:
        with self.engine.begin() as conn:
            for table in (activities, outbox, stage_changes, closures):
                conn.execute(delete(table).where(table.c.centre_id.between(first, last)))
            conn.execute(delete(centres).where(centres.c.id.between(first, last)))

    # ------------------------------------------------------------------ 1. planning
    def planning(self) -> None:
        say(f"planning: {self.size:,} centres admitted today")
        ids = self._add_centres(self.size, "Neue Kita", "basisbegleitung", TODAY, None)
        first, last = ids[0], ids[-1]
        ours = self.run_task(
            "planning",
            "plan_service",
            self.allowance.budget(self.budgets.planning),
            url=self.url,
            on=TODAY.isoformat(),
        )
        connection = self.raw()
        cursor = connection.execute(
            "SELECT * FROM activities WHERE centre_id BETWEEN ? AND ? ORDER BY id", (first, last)
        )
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        connection.close()
        source = "Service.plan()"
        if not rows:
            source = "the pure planner (Service.plan() did not finish)"
            columns, rows = self._planner_rows(first, last)
        rows_file = self.folder / "planned-rows.pickle"
        rows_file.write_bytes(pickle.dumps((columns, rows)))
        self.execute(("DELETE FROM activities WHERE centre_id BETWEEN ? AND ?", (first, last)))
        base = self.run_task(
            "planning_raw",
            "insert_raw",
            self.allowance.budget(self.budgets.raw),
            url=self.url,
            rows_file=str(rows_file),
        )
        rows_file.unlink()
        self._drop_centres(first, last)
        self.results.add(
            self._figure(
                "planning_vs_executemany",
                ours,
                base,
                note=f"{len(rows):,} activity rows for {self.size:,} centres; rows from {source}",
            )
        )

    def _planner_rows(self, first: int, last: int) -> tuple[list[str], list[tuple[object, ...]]]:
        """The rows Service.plan() would write, from the package's pure planner."""
        calendar = CachedCalendar(self.workflow)
        encoder = Encoder(activities, self.engine.dialect)
        with self.engine.connect() as conn:
            rates = {r.id: r.rate for r in conn.execute(select(coaches))}
            found = conn.execute(select(centres).where(centres.c.id.between(first, last)))
            centre_rows = list(found)
        from thekiz_flow.core.model import Centre

        rows = []
        next_id = int(self.scalar("SELECT coalesce(max(id), 0) FROM activities")) + 1
        for r in centre_rows:
            centre = Centre(
                r.id, r.name, r.district, r.email, r.carrier, r.coach_id, r.stage, r.stage_since
            )
            admit = StageChange(
                r.id, "admit", "interessent", r.stage, TODAY, NOW, "fachstelle", None, False, 1
            )
            desired = plan(self.workflow, PlanInput(centre, (admit,), (), TODAY), calendar)
            changes = reconcile(desired, (), cancel_from=TODAY, insert_from=TODAY)
            for p in changes.insert:
                rows.append(
                    encoder.encode(
                        {
                            "id": next_id,
                            "centre_id": r.id,
                            "kind": p.kind,
                            "key": p.key,
                            "stage": p.stage,
                            "date": p.date,
                            "status": "planned",
                            "hours": p.hours,
                            "coach_id": p.coach_id,
                            "note": None,
                            "rate": rates.get(p.coach_id) if p.coach_id else None,
                            "training_id": None,
                            "reason": None,
                            "moved": False,
                            "recorded_at": NOW,
                        }
                    )
                )
                next_id += 1
        return encoder.names, rows

    def _figure(
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
            {"ours": _summary(ours), "baseline": _summary(base)},
        )

    # ------------------------------------------------------------------ 2./4. tick
    def tick_setup(self) -> None:
        """K centres admitted on 27 May, planned by the service, the first session held."""
        say(f"tick: {self.k:,} centres with a session moved to next week")
        self.k_ids = self._add_centres(
            self.k, "Kita Terminwechsel", "basisbegleitung", K_ADMITTED, K_WEEKDAY
        )
        at_admission = datetime.combine(K_ADMITTED, dtime(12), BERLIN)
        service(self.engine, now=at_admission).planning.plan_pending(K_ADMITTED)
        first, last = self.k_ids[0], self.k_ids[-1]
        recorded = datetime.combine(K_FIRST, dtime(17), BERLIN)
        stored = _stored(activities, "recorded_at", recorded, self.engine)
        self.execute(
            (
                "UPDATE activities SET status = 'held', recorded_at = ? WHERE centre_id "
                "BETWEEN ? AND ? AND kind = 'coaching' AND date = ? AND status = 'planned'",
                (stored, first, last, K_FIRST.isoformat()),
            )
        )
        planned = self.scalar(
            "SELECT count(*) FROM activities WHERE centre_id BETWEEN ? AND ? AND kind = "
            "'coaching' AND status = 'planned' AND date = ?",
            first,
            last,
            K_PLANNED.isoformat(),
        )
        self.results.note(self.size, "tick_due_sessions", {"k": self.k, "planned": planned})
        if planned != self.k:
            say(f"  warning: {planned} of {self.k} sessions on {K_PLANNED} (planner changed?)")

    def _move(self, moved: bool) -> None:
        first, last = self.k_ids[0], self.k_ids[-1]
        when = _stored(activities, "recorded_at", NOW - timedelta(minutes=3), self.engine)
        source, dest = (K_PLANNED, K_MOVED) if moved else (K_MOVED, K_PLANNED)
        self.execute(
            (
                "UPDATE activities SET date = ?, moved = ?, recorded_at = ? WHERE centre_id "
                "BETWEEN ? AND ? AND kind = 'coaching' AND status = 'planned' AND date = ?",
                (dest.isoformat(), int(moved), when, first, last, source.isoformat()),
            )
        )

    def _last_tick(self, moment: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(state).where(state.c.name == "last_tick"))
            conn.execute(insert(state).values(name="last_tick", at=moment))

    def tick_pass(self, label: str) -> tuple[Outcome, Outcome] | None:
        if not self.k_ids:
            return None
        say(f"tick over the {label} history")
        marker = int(self.scalar("SELECT coalesce(max(id), 0) FROM outbox"))
        self._last_tick(TICK_BEFORE)
        previous = self.run_task(
            f"tick_previous_{label}",
            "tick",
            self.allowance.budget(self.budgets.tick),
            url=self.url,
            now=PREVIOUS_TICK.isoformat(),
        )
        self._move(True)
        attempts = []
        for attempt in range(TICK_ATTEMPTS):  # the best counts: the same tick, reset in between
            before = int(self.scalar("SELECT coalesce(max(id), 0) FROM outbox"))
            attempts.append(
                self.run_task(
                    "tick" if label == "history" else "tick_empty",
                    "tick",
                    self.allowance.budget(self.budgets.tick),
                    url=self.url,
                    now=NOW.isoformat(),
                )
            )
            if attempt < TICK_ATTEMPTS - 1:
                self.execute(("DELETE FROM outbox WHERE id > ?", (before,)))
                self._last_tick(PREVIOUS_TICK)
        done = [a for a in attempts if a.seconds is not None]
        measured = min(done, key=lambda a: a.seconds or 0.0) if done else attempts[-1]
        measured.data["all_seconds"] = [a.seconds for a in attempts]
        if label == "empty":  # the history run repeats it: back to the state before
            self.execute(("DELETE FROM outbox WHERE id > ?", (marker,)))
            self._move(False)
        self.results.note(
            self.size,
            f"tick_{label}",
            {"previous": _summary(previous), "measured": _summary(measured)},
        )
        return previous, measured

    def tick_figures(
        self, empty: tuple[Outcome, Outcome] | None, full: tuple[Outcome, Outcome] | None
    ) -> None:
        if empty is None or full is None:
            return
        base, ours = empty[1], full[1]
        counts = {
            label: {"due": outcome.data.get("due"), "new": outcome.data.get("new")}
            for label, outcome in (("empty", base), ("history", ours))
        }
        note = (
            f"K={self.k:,} due reminders; due/new empty {counts['empty']['due']}/"
            f"{counts['empty']['new']}, history {counts['history']['due']}/"
            f"{counts['history']['new']}; history dues the previous tick materialised: "
            f"{full[0].data.get('new')}"
        )
        figure = self._figure("tick_history_vs_empty", ours, base, note=note)
        figure.details["due"] = counts
        if counts["empty"] != counts["history"]:  # not the same work: no comparable ratio
            figure.status, figure.ratio = "due differs", None
        self.results.add(figure)
        growth = (base.data.get("peak_growth_mb"), ours.data.get("peak_growth_mb"))
        if growth[0] is not None and growth[1] is not None:
            self.results.add(
                Figure(
                    "tick_memory_history_vs_empty",
                    self.size,
                    growth[1],
                    growth[0],
                    "MB",
                    ratio(growth[1], max(growth[0], 1.0)),
                    note="peak RSS growth of one tick (empty floored at 1 MB); "
                    f"absolute peak {ours.data.get('peak_mb', 0):.0f} MB",
                )
            )

    # ------------------------------------------------------------------ 3. history
    def history(self) -> None:
        say(f"history: {self.size:,} centres, ten years")
        report = HistoryGenerator(self.engine, self.workflow, self.size).generate()
        data = report.as_dict()
        data["file_mb"] = round(self.path.stat().st_size / 2**20)
        say(
            f"  {report.centres:,} centres, {report.stage_changes:,} stage changes, "
            f"{report.activities:,} activities, {report.outbox:,} outbox rows, "
            f"{report.trainings:,} trainings in {report.seconds:.0f} s ({data['file_mb']:,} MB)"
        )
        if report.unfilled_columns:
            say(f"  warning: columns the generator left NULL: {report.unfilled_columns}")
        self.results.note(self.size, "history", data)

    # ------------------------------------------------------------------ 5. digest
    def digest(self) -> None:
        """The GROUP BY runs before and after the digest and its reads, the better run counts:
        neither side profits alone from pages the other read into the cache."""
        say(f"digest {DIGEST_YEAR}")
        bases = [self._groupby()]
        ours = self.run_task(
            "digest",
            "digest",
            self.allowance.budget(self.budgets.digest),
            url=self.url,
            year=DIGEST_YEAR,
        )
        reads = self.run_task(
            "digest_reads",
            "digest_reads",
            self.allowance.budget(self.budgets.digest),
            url=self.url,
            year=DIGEST_YEAR,
        )
        bases.append(self._groupby())
        done = [b for b in bases if b.seconds is not None]
        base = min(done, key=lambda b: b.seconds or 0.0) if done else bases[-1]
        base.data["all_seconds"] = [b.seconds for b in bases]
        note = (
            f"{base.data.get('activities', '?'):,} activities of {DIGEST_YEAR}; digest peak RSS "
            f"growth {ours.data.get('peak_growth_mb', 0):.0f} MB"
            if base.ok
            else ""
        )
        self.results.add(self._figure("digest_vs_groupby", ours, base, note=note))
        self.results.add(
            self._figure(
                "digest_reads_vs_groupby",
                reads,
                base,
                note=f"the digest's queries alone, {reads.data.get('rows', 0):,} rows fetched "
                "and dropped: the part of digest_vs_groupby the database takes",
            )
        )

    def _groupby(self) -> Outcome:
        return self.run_task(
            "digest_groupby",
            "groupby",
            self.allowance.budget(self.budgets.raw),
            url=self.url,
            year=DIGEST_YEAR,
        )

    # ------------------------------------------------------------------ 6. dispatch
    def dispatch(self) -> None:
        """Ours and the bare loop, interleaved twice (ours, bare, ours, bare): the best of each
        counts, so a slow moment of the machine does not decide the ratio."""
        say(f"dispatch: {self.mails:,} pending mails, {self.batch_size} per connection, x2")
        runs: dict[str, list[tuple[Outcome, SinkStats]]] = {"ours": [], "bare": []}
        for round_ in range(2):
            ids = self._pending_mails(round_)
            self.sink.reset()
            ours = self.run_task(
                "dispatch",
                "dispatch",
                self.allowance.budget(self.budgets.dispatch),
                url=self.url,
                port=self.sink.port,
                batch_size=self.batch_size,
            )
            runs["ours"].append((ours, self.sink.stats()))
            self.sink.reset()
            bare = self.run_task(
                "dispatch_raw",
                "bare_smtp",
                self.allowance.budget(self.budgets.dispatch / 2),
                url=self.url,
                port=self.sink.port,
                batch_size=self.batch_size,
                ids=ids,
            )
            runs["bare"].append((bare, self.sink.stats()))
        (ours, ours_sink), (base, base_sink) = (_best(runs["ours"]), _best(runs["bare"]))
        rate = (_rate(ours, self.mails), _rate(base, self.mails))
        figure = Figure(
            "dispatch_vs_raw",
            self.size,
            rate[0],
            rate[1],
            "msg/s",
            ratio(rate[0], rate[1]),
            "ok" if ours.ok and base.ok else (ours if not ours.ok else base).describe(),
            note=(
                f"{self.mails:,} messages over {-(-self.mails // self.batch_size)} connections, "
                f"best of 2 each (all rates: ours "
                f"{[_round(_rate(o, self.mails)) for o, _ in runs['ours']]}, bare "
                f"{[_round(_rate(o, self.mails)) for o, _ in runs['bare']]}); sink saw "
                f"{ours_sink.messages}/{base_sink.messages} messages, "
                f"{ours_sink.duplicates}/{base_sink.duplicates} duplicates, "
                f"{ours_sink.connections}/{base_sink.connections} connections"
            ),
            details={"ours": _summary(ours), "baseline": _summary(base)},
        )
        self.results.add(figure)

    def _pending_mails(self, round_: int) -> list[int]:
        """``mails`` pending messages due a minute ago (a real template's text and HTML)."""
        svc = service(self.engine)
        sample = svc.runtime.renderer.render("session_upcoming", _sample_context(self.workflow))
        due = NOW - timedelta(minutes=1)
        mails = [
            NewMail(
                key=f"bench:dispatch:{self.size}:{round_}:{n}",
                rule="session_upcoming",
                role=Recipient.COACH,
                recipient=f"person{n}@example.org",
                subject=f"{sample.subject} ({n})",
                text=sample.text,
                html=sample.html,
                due_at=due,
            )
            for n in range(1, self.mails + 1)
        ]
        with self.engine.begin() as conn:
            OutboxStore(conn).add(mails, due)
            keys = [m.key for m in mails]
            found = conn.execute(select(outbox.c.id).where(outbox.c.key.in_(keys)))
            return sorted(found.scalars())

    # ------------------------------------------------------------------ 7. all centres
    def stage_batch(self) -> None:
        active = [s.id for s in self.workflow.stages.values() if s.active]
        marks = ", ".join("?" for _ in active)
        connection = self.raw()
        before = connection.execute(
            f"SELECT * FROM centres WHERE stage IN ({marks}) ORDER BY id", active
        )
        centre_columns = [d[0] for d in before.description]
        centre_rows = before.fetchall()
        ids = [row[0] for row in centre_rows]
        day = TODAY.isoformat()
        touched = connection.execute(
            "SELECT id, status, reason, recorded_at FROM activities WHERE date >= ? AND "
            "status IN ('planned', 'waiting')",
            (day,),
        ).fetchall()
        top_change = connection.execute("SELECT coalesce(max(id), 0) FROM stage_changes").fetchone()
        top_mail = connection.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()
        connection.close()
        say(f"stage change of all {len(ids):,} active centres (pause)")
        plan_file = self.folder / "stage-batch.pickle"
        plan_file.write_bytes(pickle.dumps(self._batch_statements(centre_rows, centre_columns)))
        base = self.run_task(
            "stage_batch_raw",
            "stage_raw",
            self.allowance.budget(self.budgets.raw),
            url=self.url,
            plan_file=str(plan_file),
        )
        plan_file.unlink()
        # Undo the raw batch: the service's run starts from the same state.
        stage_at = centre_columns.index("stage")
        since_at = centre_columns.index("stage_since")
        resume_at = centre_columns.index("resume_stage")
        connection = self.raw()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "UPDATE centres SET stage = ?, stage_since = ?, resume_stage = ? WHERE id = ?",
            [(r[stage_at], r[since_at], r[resume_at], r[0]) for r in centre_rows],
        )
        connection.executemany(
            "UPDATE activities SET status = ?, reason = ?, recorded_at = ? WHERE id = ?",
            [(status, reason, recorded, aid) for aid, status, reason, recorded in touched],
        )
        connection.execute("DELETE FROM stage_changes WHERE id > ?", top_change)
        connection.execute("DELETE FROM outbox WHERE id > ?", top_mail)
        connection.execute("COMMIT")
        connection.close()
        ours = self.run_task(
            "stage_batch",
            "advance_all",
            self.allowance.budget(self.budgets.stage),
            url=self.url,
            ids=ids,
            trigger="pause",
            on=day,
        )
        self.results.add(
            self._figure(
                "stage_batch_vs_raw",
                ours,
                base,
                note=f"{len(ids):,} centres paused: Service.advance_many vs set-based SQL",
            )
        )

    def _batch_statements(
        self, centre_rows: list[tuple[object, ...]], columns: list[str]
    ) -> dict[str, Any]:
        """What pausing every active centre writes, as raw statements on prepared values."""
        active = [s.id for s in self.workflow.stages.values() if s.active]
        marks = ", ".join("?" for _ in active)
        recorded = _stored(activities, "recorded_at", NOW, self.engine)
        day = TODAY.isoformat()
        reason = "Stufenwechsel → Pausiert"
        in_active = f"centre_id IN (SELECT id FROM centres WHERE stage IN ({marks}))"
        statements = [
            (
                "UPDATE activities SET status = 'cancelled', reason = ?, recorded_at = ? WHERE "
                f"status = 'planned' AND kind IN ('coaching', 'site_visit') AND date >= ? "
                f"AND {in_active}",
                (reason, recorded, day, *active),
            ),
            (
                "UPDATE activities SET status = 'cancelled', reason = ?, recorded_at = ? WHERE "
                f"kind = 'training' AND status IN ('planned', 'waiting') AND date >= ? "
                f"AND {in_active}",
                (reason, recorded, day, *active),
            ),
            (
                "UPDATE centres SET resume_stage = stage, stage = 'pausiert', stage_since = ? "
                f"WHERE stage IN ({marks})",
                (day, *active),
            ),
        ]
        stage_at, email_at = columns.index("stage"), columns.index("email")
        changes = Encoder(stage_changes, self.engine.dialect)
        change_rows = [
            changes.encode(
                {
                    "id": None,
                    "centre_id": row[0],
                    "trigger": "pause",
                    "from_stage": row[stage_at],
                    "to_stage": "pausiert",
                    "effective": TODAY,
                    "recorded_at": NOW,
                    "actor": "fachstelle",
                    "reason": None,
                    "forced": False,
                }
            )
            for row in centre_rows
        ]
        body = render_bodies(self.workflow)["stage_changed"]
        mails = Encoder(outbox, self.engine.dialect)
        mail_rows = []
        for n, row in enumerate(centre_rows):
            for role, to in (("centre", row[email_at]), ("office", OFFICE)):
                mail = sent_mail(
                    f"stage_changed:bench{n}:{role}",
                    "stage_changed",
                    role,
                    str(to),
                    "Stufenwechsel: ist jetzt in der Stufe Pausiert",
                    body,
                    NOW,
                    int(str(row[0])),
                )
                mail.update(id=None, status="pending", attempts=0, sent_at=None)
                mail_rows.append(mails.encode(mail))
        return {
            "centres": len(centre_rows),
            "statements": statements,
            "many": [
                (_insert_sql(changes), change_rows),
                (_insert_sql(mails), mail_rows),
            ],
        }


def _insert_sql(encoder: Encoder) -> str:
    names = ", ".join(f'"{n}"' for n in encoder.names)
    marks = ", ".join("?" for _ in encoder.names)
    return f"INSERT INTO {encoder.table.name} ({names}) VALUES ({marks})"


def _stored(table: Any, column: str, value: object, engine: Engine) -> object:
    """A value as SQLAlchemy stores it in ``table.column`` (for raw statements)."""
    process = table.c[column].type._cached_bind_processor(engine.dialect)
    return value if process is None else process(value)


def _best(runs: list[tuple[Outcome, SinkStats]]) -> tuple[Outcome, SinkStats]:
    done = [run for run in runs if run[0].seconds is not None]
    return min(done, key=lambda run: run[0].seconds or 0.0) if done else runs[-1]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value)


def _rate(outcome: Outcome, count: int) -> float | None:
    seconds = outcome.seconds
    sent = outcome.data.get("sent")
    if seconds is None or not sent:
        return None
    if sent != count:
        return None
    return count / seconds


def _summary(outcome: Outcome) -> dict[str, Any]:
    return {
        "status": outcome.describe(),
        "budget": round(outcome.budget, 1),
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in outcome.data.items()},
    }


def _sample_context(flow: Any) -> dict[str, object]:
    from thekiz_flow.core.enums import ActivityKind, ActivityStatus
    from thekiz_flow.core.model import Activity, Centre, Coach

    centre = Centre(1, "Kita Sonnenschein 1", "Gotha", "kita1@example.org", None, 1, "x", TODAY)
    coach = Coach(1, "Anna Schmidt", "anna@example.org", Decimal("62.50"))
    activity = Activity(
        1,
        1,
        ActivityKind.COACHING,
        "k",
        "basisbegleitung",
        TODAY,
        ActivityStatus.PLANNED,
        Decimal(3),
    )
    return {"centre": centre, "coach": coach, "activity": activity}


__all__ = ["Allowance", "Budgets", "SizeRun", "say"]
