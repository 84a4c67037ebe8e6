"""Synthetic programmes: N centres over the 22 districts, coaches, ten years of history.

Every centre lives through the programme as the service would have recorded it: admitted
from Interessent, 24 months of Basisbegleitung, Vertiefungsbegleitung years (renewed), some
move on to Konsultationseinrichtung, a few pause and resume, a few withdraw. At each stage
change the *package's own pure planner* (``plan`` and ``reconcile``) decides which rows are
planned, updated or cancelled, so keys, dates, hours and rates are exactly the planner's, and
the guards of the shared Machine's transitions are checked before a change is recorded. Past
sessions are then held (or cancelled) and recorded; site visits are held; trainings of the
catalogue are booked and attended. The outbox holds what the ticks would have sent before
the bench's day (keys as the service builds them, bodies rendered from the real templates).

Nothing goes through the service here. Chunks of centres are simulated in worker processes;
the parent writes each chunk with bulk Core inserts straight into the tables (the columns' own
SQLAlchemy bind processors, one DBAPI executemany per table), so memory stays bounded.
Ids are dense within a chunk; each chunk has its own block of ids (gaps between blocks).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import time as clock
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from multiprocessing.pool import AsyncResult
from typing import Any, cast

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, Engine, Integer, Table, event, func, insert, select
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Dialect

from bench.common import (
    BERLIN,
    HISTORY_START,
    MINISTRY,
    NOW,
    OFFICE,
    PREVIOUS_TICK,
    TICK_BEFORE,
    TODAY,
    workflow,
)
from thekiz_flow.core.calendar import WorkCalendar, make_holidays
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus
from thekiz_flow.core.history import episode_start, facts_as_of, paused_days, reached_after
from thekiz_flow.core.model import Activity, Centre, CentreFacts, Coach, StageChange, Workflow
from thekiz_flow.core.planning import PlanInput, plan, plan_stamp, reconcile
from thekiz_flow.core.recommend import unmet_trainings
from thekiz_flow.core.reminders import Window
from thekiz_flow.core.rules import Lifecycle
from thekiz_flow.mail.render import Renderer
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.repository import change_values
from thekiz_flow.store.tables import activities, centres, coaches, outbox, stage_changes, trainings

ACTOR = "fachstelle"
SEND_AT = time(8)
CHUNK = 500  # centres per chunk (one transaction)
# Id blocks per centre of a chunk: far above what ten years produce (checked).
CHANGES_PER_CENTRE, ACTIVITIES_PER_CENTRE, MAILS_PER_CENTRE = 40, 300, 600
FIRST_NAMES = ("Anna", "Jonas", "Marie", "Lukas", "Sophie", "Felix", "Clara", "Paul", "Lena")
LAST_NAMES = ("Schmidt", "Müller", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch")
WORDS = ("Sonnenschein", "Regenbogen", "Pusteblume", "Löwenzahn", "Kunterbunt", "Wirbelwind")
CARRIERS = ("Stadt", "Diakonie", "AWO", "Caritas", "Volkssolidarität", "DRK", "Elterninitiative")
PLACES = ("Erfurt", "Jena", "Gera", "Suhl", "Weimar", "Nordhausen")
HOURS = tuple(Decimal(h) for h in ("2", "2.5", "3", "3", "3", "3", "3.5", "4", "5"))
RECORD_LAG = (0, 0, 0, 1, 1, 1, 2, 2, 3, 5, 8, 12)  # days from a session to its record
TRAINING_CAPACITY = 25

Row = tuple[object, ...]


def at(day: date, moment: time = SEND_AT) -> datetime:
    return datetime.combine(day, moment, BERLIN)


def workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class CachedCalendar(WorkCalendar):
    """The workflow's calendar with its answers remembered (synthetic centres have no closures)."""

    def __init__(self, workflow: Workflow) -> None:
        super().__init__(make_holidays(workflow.holidays), workflow.closures)
        self._shifted: dict[date, date | None] = {}
        self._next: dict[date, date] = {}

    def shift(self, day: date) -> date | None:
        if day not in self._shifted:
            self._shifted[day] = super().shift(day)
        return self._shifted[day]

    def next_working_day(self, day: date) -> date:
        if day not in self._next:
            self._next[day] = super().next_working_day(day)
        return self._next[day]


class Encoder:
    """A table's rows as the DBAPI tuples SQLAlchemy would bind (its own bind processors).

    Rows are dicts by column name; a column of the table the row does not name is bound as
    NULL and remembered in ``missing`` (the schema may have grown since this file was written).
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.names = [c.name for c in table.c]
        self.steps: list[tuple[str, Callable[[Any], Any] | None, dict[object, object]]] = [
            (name, table.c[name].type._cached_bind_processor(dialect), {}) for name in self.names
        ]
        self.index = {name: n for n, name in enumerate(self.names)}
        self.defaults = {c.name: _server_default(c) for c in table.c if c.server_default}
        self.missing: set[str] = set()

    def encode(self, row: dict[str, object]) -> Row:
        encoded: list[object] = []
        for name, step, memo in self.steps:
            if name not in row and name not in self.defaults:
                self.missing.add(name)
                encoded.append(None)
                continue
            value = row[name] if name in row else self.defaults[name]
            if step is None or value is None:
                encoded.append(value)
                continue
            found = memo.get(value)
            if found is None:
                found = memo[value] = step(value)
            encoded.append(found)
        return tuple(encoded)

    def sql(self, dialect: Dialect) -> str:
        return str(insert(self.table).compile(dialect=dialect, column_keys=self.names))


def _server_default(column: Any) -> object:
    """The value the database would fill in for a column the rows leave out."""
    arg = column.server_default.arg
    if isinstance(arg, str):
        return int(arg) if isinstance(column.type, Integer) else arg
    return {"false": False, "true": True}[str(arg).lower()]


def write_rows(conn: Connection, encoder: Encoder, rows: Sequence[Row]) -> None:
    """One DBAPI executemany of encoded rows, on the connection's transaction."""
    if rows:
        conn.exec_driver_sql(encoder.sql(conn.dialect), list(rows))


class QuietDays:
    """The event days whose reminder occurrences the bench's measured tick looks back on.

    The history leaves them quiet, so the tick over ten years of history sees the same due
    reminders as the tick over an empty history: planned sessions and visits on such days were
    moved by hand to the next free day, sessions then held were recorded the same day, and a
    centre whose stage start, next step or training deadline falls in them is drawn again.
    """

    def __init__(self, flow: Workflow) -> None:
        window = Window(NOW, PREVIOUS_TICK, BERLIN, flow.send_at)
        self.rules = flow.reminders
        self.days = {r.id: [(f, t) for _, f, t in window.anchor_days(r)] for r in flow.reminders}

    def hit(self, follows: str, day: date, subject: str | None = None) -> bool:
        """Whether a rule following ``follows`` (of an activity kind or stage ``subject``)
        has an occurrence of an event on ``day`` in the window."""
        for rule in self.rules:
            wanted = rule.kind if follows == "activity" else rule.stage
            if rule.follows != follows or wanted not in (None, subject):
                continue
            if any(first <= day <= last for first, last in self.days[rule.id]):
                return True
        return False

    def free_day(self, kind: str, day: date) -> date:
        """The first day from ``day`` on whose activity of ``kind`` no reminder is due now."""
        while self.hit("activity", day, kind):
            day += timedelta(days=1)
        return day

    def disturbed(self, flow: Workflow, life: Life, row: dict[str, object]) -> bool:
        """Whether the centre's present stay reminds the measured tick of anything."""
        since = life.history[-1].effective if life.history else None
        if since is not None and self.hit("stage_start", since, life.stage):
            return True
        step = row.get("next_step_on")
        if isinstance(step, date) and self.hit("eligible", step):
            return True
        start = row.get("episode_start")
        if not isinstance(start, date) or not flow.stage(life.stage).active:
            return False
        enrolments = [(a.seat[0], a.status, a.date) for a in life.acts if a.seat is not None]
        unmet = unmet_trainings(flow, life.stage, start, enrolments, TODAY)
        return any(self.hit("training_deadline", deadline) for _, deadline in unmet)


# ------------------------------------------------------------------ one centre's life
@dataclass
class Act:
    """An activity row while its centre's life is simulated."""

    id: int
    centre_id: int
    kind: ActivityKind
    key: str
    stage: str
    date: dt.date
    status: ActivityStatus
    hours: Decimal | None
    coach_id: int | None
    rate: Decimal | None
    training_id: int | None
    recorded_at: datetime | None
    created: datetime  # when the row was written (planned or booked)
    note: str | None = None
    reason: str | None = None
    closed: datetime | None = None  # when it stopped being planned
    moved: bool = False  # moved by hand off the planner's day
    seat: tuple[str, dt.date, str] | None = None  # a training: (kind, month, place)

    def model(self) -> Activity:
        return Activity(
            self.id,
            self.centre_id,
            self.kind,
            self.key,
            self.stage,
            self.date,
            self.status,
            self.hours,
            self.coach_id,
            self.rate,
            self.training_id,
            self.note,
            self.reason,
            self.moved,
            self.recorded_at,
        )

    def row(self) -> dict[str, object]:
        return {
            "id": self.id,
            "centre_id": self.centre_id,
            "kind": self.kind,
            "key": self.key,
            "stage": self.stage,
            "date": self.date,
            "status": self.status,
            "hours": self.hours,
            "coach_id": self.coach_id,
            "note": self.note,
            "rate": self.rate,
            "training_id": self.training_id,
            "reason": self.reason,
            "moved": self.moved,
            "recorded_at": self.recorded_at,
        }


@dataclass
class Life:
    """One centre while it lives through the programme."""

    id: int
    name: str
    district: str
    email: str
    carrier: str | None
    coach: Coach | None
    registered: date
    stage: str
    since: date
    resume_stage: str | None = None
    history: list[StageChange] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    planned_once: bool = False

    def centre(self) -> Centre:
        return Centre(
            self.id,
            self.name,
            self.district,
            self.email,
            self.carrier,
            None if self.coach is None else self.coach.id,
            self.stage,
            self.since,
            self.resume_stage,
            None,
            self.registered,
        )


@dataclass
class Counters:
    change: int
    activity: int
    outbox: int
    change_end: int
    activity_end: int
    outbox_end: int

    def next_change(self) -> int:
        self.change += 1
        if self.change >= self.change_end:
            raise RuntimeError("id block of stage changes exhausted")
        return self.change

    def next_activity(self) -> int:
        self.activity += 1
        if self.activity >= self.activity_end:
            raise RuntimeError("id block of activities exhausted")
        return self.activity

    def mark(self) -> tuple[int, int, int]:
        return self.change, self.activity, self.outbox

    def reset(self, mark: tuple[int, int, int]) -> None:
        self.change, self.activity, self.outbox = mark

    def next_outbox(self) -> int:
        self.outbox += 1
        if self.outbox >= self.outbox_end:
            raise RuntimeError("id block of the outbox exhausted")
        return self.outbox


@dataclass(frozen=True)
class Body:
    text: str
    html: str


def render_bodies(workflow: Workflow) -> dict[str, Body]:
    """One rendering per template (the real templates), reused for every history row."""
    renderer = Renderer(workflow.templates_dir)
    day = date(2025, 3, 12)
    centre = Centre(1, "Kita Sonnenschein 1", "Gotha", "kita1@example.org", None, 1, "x", day)
    coach = Coach(1, "Anna Schmidt", "anna@example.org", Decimal("62.50"))
    activity = Activity(
        1, 1, ActivityKind.COACHING, "k", "basisbegleitung", day, ActivityStatus.PLANNED, Decimal(3)
    )
    stage = workflow.stage("vertiefungsbegleitung")
    contexts: dict[str, dict[str, object]] = {
        "session_upcoming": {"centre": centre, "coach": coach, "activity": activity},
        "session_unrecorded": {"centre": centre, "coach": coach, "activity": activity, "number": 1},
        "visit_upcoming": {"centre": centre, "coach": coach, "activity": activity},
        "stage_changed": {
            "centre": centre,
            "from_stage": workflow.stage("basisbegleitung"),
            "to_stage": stage,
            "effective": day,
            "reason": None,
        },
        "renewal_due": {"centre": centre, "stage": stage, "since": day, "coach": coach},
        "digest": {"year": 2025, "today": day},
        "overview": {
            "month": day,
            "today": day,
            "upcoming": [{"date": day, "kind": "Begleittermin", "centre": centre.name}] * 40,
            "unrecorded": [{"date": day, "centre": centre.name, "coach": coach.name}] * 5,
            "eligible": [{"centre": centre.name, "trigger": "deepen"}] * 5,
            "budget": [],
            "failed": [],
        },
    }
    bodies = {}
    for name, context in contexts.items():
        rendered = renderer.render(name, context)
        bodies[name] = Body(rendered.text, rendered.html)
    return bodies


def sent_mail(
    key: str,
    rule: str,
    role: str,
    recipient: str,
    subject: str,
    body: Body,
    due: datetime,
    centre_id: int | None,
    attachments: str = "",
) -> dict[str, object]:
    """An outbox row, sent 40 seconds after it fell due (its id is set by the caller)."""
    return {
        "key": key,
        "rule": rule,
        "centre_id": centre_id,
        "role": role,
        "recipient": recipient,
        "subject": subject[:300],
        "body_text": body.text,
        "body_html": body.html,
        "attachments": attachments,
        "status": OutboxStatus.SENT,
        "due_at": due,
        "next_attempt_at": due,
        "attempts": 1,
        "lease_until": None,
        "last_error": None,
        "ambiguous": False,
        "sent_at": due + timedelta(seconds=40),
        "created_at": due,
    }


@dataclass(frozen=True)
class ChunkTask:
    index: int
    first_centre: int
    count: int
    seed: float
    change_base: int
    activity_base: int
    outbox_base: int


@dataclass
class ChunkRows:
    centres: list[Row]
    changes: list[Row]
    activities: list[Row]
    outbox: list[Row]
    seats: list[tuple[int, str, date, str]]  # (row index in activities, kind, month, place)
    by_stage: dict[str, int]
    missing: set[str]  # columns of the schema the generator did not fill


class Simulator:
    """Lives centres through the programme, chunk by chunk (in a worker process)."""

    def __init__(self, coach_list: Sequence[Coach], flow: Workflow | None = None) -> None:
        self.workflow = flow or workflow()
        self.coaches = list(coach_list)
        self.calendar = CachedCalendar(self.workflow)
        self.lifecycle = Lifecycle(self.workflow)
        self.stamp = plan_stamp(self.workflow)
        self.bodies = render_bodies(self.workflow)
        dialect = SQLiteDialect_pysqlite()
        tables = (centres, stage_changes, activities, outbox)
        self.encoders = {t.name: Encoder(t, dialect) for t in tables}
        self.derive = derived_dates(self.workflow)
        self.quiet = QuietDays(self.workflow)

    def chunk(self, task: ChunkTask) -> ChunkRows:
        counters = Counters(
            task.change_base,
            task.activity_base,
            task.outbox_base,
            task.change_base + task.count * CHANGES_PER_CENTRE,
            task.activity_base + task.count * ACTIVITIES_PER_CENTRE,
            task.outbox_base + task.count * MAILS_PER_CENTRE,
        )
        rng = random.Random(task.seed)
        rows = ChunkRows([], [], [], [], [], {}, set())
        enc = self.encoders
        for n in range(task.count):
            life, centre_row = self._quiet_life(counters, task.first_centre + n, rng.random())
            rows.by_stage[life.stage] = rows.by_stage.get(life.stage, 0) + 1
            rows.centres.append(enc["centres"].encode(centre_row))
            rows.changes += [
                enc["stage_changes"].encode({"id": c.id, **change_values(c)}) for c in life.history
            ]
            for act in life.acts:
                if act.seat is not None:
                    kind, month, place = act.seat
                    rows.seats.append((len(rows.activities), kind, month, place))
                rows.activities.append(enc["activities"].encode(act.row()))
            for mail in self._mails(life):
                mail["id"] = counters.next_outbox()
                rows.outbox.append(enc["outbox"].encode(mail))
        for encoder in enc.values():
            rows.missing |= {f"{encoder.table.name}.{name}" for name in encoder.missing}
        return rows

    def _centre_row(self, life: Life) -> dict[str, object]:
        row: dict[str, object] = {
            "id": life.id,
            "name": life.name,
            "district": life.district,
            "email": life.email,
            "carrier": life.carrier,
            "coach_id": None if life.coach is None else life.coach.id,
            "stage": life.stage,
            "stage_since": life.since,
            "registered": life.registered,
            "resume_stage": life.resume_stage,
            "weekday": None,
            # Every centre not yet final is planned by a tick (plan_pending), the others were
            # planned when they left: all carry the stamp of the current rules.
            "plan_stamp": self.stamp,
            "created_at": at(life.registered, time(9)),
        }
        if self.derive is not None:
            visits = [
                (a.date, a.stage)
                for a in life.acts
                if a.kind == ActivityKind.SITE_VISIT and a.status == ActivityStatus.HELD
            ]
            last = max(
                [life.registered, *(c.effective for c in life.history), *(v[0] for v in visits)]
            )
            start, step = self.derive(life.centre(), life.history, visits, last)
            row["episode_start"], row["next_step_on"] = start, step
        return row

    # ------------------------------------------------------------------ a life
    def _quiet_life(
        self, counters: Counters, cid: int, seed: float
    ) -> tuple[Life, dict[str, object]]:
        """A centre's life (and row) that leaves the measured tick's days quiet."""
        mark = counters.mark()
        attempt = 0
        while True:
            rng = random.Random(seed if attempt == 0 else f"{seed}:{attempt}")
            life = self._live(counters, cid, rng)
            row = self._centre_row(life)
            if not self.quiet.disturbed(self.workflow, life, row):
                return life, row
            counters.reset(mark)
            attempt += 1

    def _live(self, counters: Counters, cid: int, rng: random.Random) -> Life:
        district = rng.choice(self.workflow.districts)
        span = (TODAY - HISTORY_START).days
        early = rng.random() < 0.4
        offset = rng.randrange(0, span // 3) if early else rng.randrange(0, span - 30)
        registered = workday(HISTORY_START + timedelta(days=offset))
        life = Life(
            id=cid,
            name=f"Kita {rng.choice(WORDS)} {cid}",
            district=district,
            email=f"leitung{cid}@kita{cid}.example.org",
            carrier=f"{rng.choice(CARRIERS)} {district}" if rng.random() < 0.8 else None,
            coach=None,
            registered=registered,
            stage=self.workflow.initial,
            since=registered,
        )
        admit = workday(registered + timedelta(days=rng.randrange(30, 270)))
        if rng.random() < 0.04 or admit >= TODAY - timedelta(days=2):
            return life
        life.coach = rng.choice(self.coaches)
        pause = resume = withdraw = None
        if rng.random() < 0.06:
            start = admit + timedelta(days=60)
            if start < TODAY - timedelta(days=20):
                pause = workday(start + timedelta(days=rng.randrange((TODAY - start).days - 19)))
                resume = workday(pause + timedelta(days=rng.randrange(60, 240)))
        if rng.random() < 0.05:
            start = admit + timedelta(days=30)
            if start < TODAY - timedelta(days=5):
                withdraw = workday(start + timedelta(days=rng.randrange((TODAY - start).days - 4)))
        self._change(life, counters, "admit", admit, rng)
        natural = self._natural(life, rng)
        while True:
            stage = self.workflow.stage(life.stage)
            options: list[tuple[date, str]] = []
            if natural is not None:
                options.append(natural)
            if pause is not None and stage.active:
                options.append((pause, "pause"))
            if resume is not None and life.stage == "pausiert":
                options.append((resume, "resume"))
            if withdraw is not None and not stage.final:
                options.append((withdraw, "withdraw"))
            options = [(d, t) for d, t in options if life.since < d < TODAY]
            if not options:
                break
            day, trigger = min(options)
            self._progress(life, day, rng)
            if trigger in ("deepen", "consult", "renew") and not self._allowed(life, trigger, day):
                natural = (workday(day + timedelta(days=30)), trigger)
                continue
            self._change(life, counters, trigger, day, rng)
            if trigger == "pause":
                pause = None
            elif trigger == "resume":
                resume = None
            elif trigger == "withdraw":
                break
            natural = self._natural(life, rng)
        self._progress(life, TODAY, rng)
        for act in life.acts:
            if act.status == ActivityStatus.PLANNED and act.date >= TODAY:
                moved = self.quiet.free_day(act.kind, act.date)
                act.date, act.moved = moved, act.moved or moved != act.date
        return life

    def _allowed(self, life: Life, trigger: str, day: date) -> bool:
        """The guards of the shared Machine's transition hold (no change is forced)."""
        visits = [
            (a.date, a.stage)
            for a in life.acts
            if a.kind == ActivityKind.SITE_VISIT and a.status == ActivityStatus.HELD
        ]
        facts = facts_as_of(life.centre(), life.history, visits, day)
        return self.lifecycle.check(trigger, facts).allowed

    def _natural(self, life: Life, rng: random.Random) -> tuple[date, str] | None:
        """The next step the office would take in the centre's present stage, if any."""
        facts = CentreFacts(life.centre(), tuple(life.history), (), life.since)
        if life.stage == "basisbegleitung":
            start = episode_start(facts, self.workflow)
            paused = paused_days(life.history, self.workflow, life.stage, start)
            due = reached_after(start, 24, paused) + timedelta(days=rng.randrange(0, 150))
            return workday(due), "deepen"
        if life.stage == "vertiefungsbegleitung":
            year = episode_start(facts, self.workflow, renewals=True)
            start = episode_start(facts, self.workflow)
            paused = paused_days(life.history, self.workflow, life.stage, year)
            due = workday(reached_after(year, 11, paused) + timedelta(days=rng.randrange(5, 25)))
            in_stage = relativedelta(due, start)
            moves_on = in_stage.years * 12 + in_stage.months >= 12 and rng.random() < 0.3
            return due, "consult" if moves_on else "renew"
        return None

    def _change(
        self, life: Life, counters: Counters, trigger: str, day: date, rng: random.Random
    ) -> None:
        """A stage change as ``advance`` records it: audit row, re-plan, seats released."""
        transition = self.workflow.transitions[trigger]
        source = life.stage
        dest = life.resume_stage if transition.returns else transition.dest
        assert dest is not None
        recorded = at(day, time(10, rng.randrange(60)))
        change = StageChange(
            life.id,
            trigger,
            source,
            dest,
            day,
            recorded,
            ACTOR,
            None,
            False,
            counters.next_change(),
        )
        life.history.append(change)
        life.resume_stage = source if transition.remember else None
        life.stage, life.since = dest, day
        names = self.workflow.stages
        reason = f"Stufenwechsel {names[source].name} → {names[dest].name}"
        self._replan(life, counters, day, recorded, reason)
        if not names[dest].active:
            for act in life.acts:
                if (
                    act.kind == ActivityKind.TRAINING
                    and act.status == ActivityStatus.PLANNED
                    and act.date >= day
                ):
                    act.status, act.reason = ActivityStatus.CANCELLED, reason
                    act.recorded_at = act.closed = recorded
        elif source != dest and not transition.returns:
            self._book_trainings(life, counters, dest, day, recorded, rng)

    def _replan(
        self, life: Life, counters: Counters, day: date, recorded: datetime, reason: str
    ) -> None:
        """The package's planner and reconciler decide; the rows follow their verdict."""
        by_id = {act.id: act for act in life.acts}
        existing = tuple(act.model() for act in life.acts)
        data = PlanInput(life.centre(), tuple(life.history), existing, day)
        desired = plan(self.workflow, data, self.calendar)
        changes = reconcile(desired, existing, cancel_from=day, insert_from=day, stage_change=True)
        coach = life.coach
        for wanted in changes.insert:
            rate = coach.rate if coach is not None and wanted.coach_id is not None else None
            life.acts.append(
                Act(
                    counters.next_activity(),
                    life.id,
                    wanted.kind,
                    wanted.key,
                    wanted.stage,
                    wanted.date,
                    ActivityStatus.PLANNED,
                    wanted.hours,
                    wanted.coach_id,
                    rate,
                    None,
                    recorded,
                    recorded,
                )
            )
        for stored, wanted, fields in changes.update:
            act = by_id[stored.id]
            for name in fields:
                setattr(act, name, getattr(wanted, name))
            act.recorded_at = recorded
        for stored in changes.cancel:
            act = by_id[stored.id]
            act.status, act.reason = ActivityStatus.CANCELLED, reason
            act.recorded_at = act.closed = recorded
        life.planned_once = True

    def _book_trainings(
        self,
        life: Life,
        counters: Counters,
        stage_id: str,
        day: date,
        recorded: datetime,
        rng: random.Random,
    ) -> None:
        place = PLACES[self.workflow.districts.index(life.district) % len(PLACES)]
        for rule in self.workflow.stage(stage_id).trainings:
            if rng.random() > 0.92:
                continue
            month = (
                day + relativedelta(months=rng.randrange(1, max(2, rule.within_months)))
            ).replace(day=1)
            act = Act(
                counters.next_activity(),
                life.id,
                ActivityKind.TRAINING,
                "",  # training:<id>, once the catalogue has given a seat
                stage_id,
                training_day(self.workflow, self.calendar, rule.kind, month),
                ActivityStatus.PLANNED,
                None,
                None,
                None,
                None,
                None,
                recorded,
                seat=(rule.kind, month, place),
            )
            life.acts.append(act)

    def _progress(self, life: Life, until: date, rng: random.Random) -> None:
        """Everything planned before ``until`` happened: held and recorded, or cancelled."""
        latest = TICK_BEFORE - timedelta(hours=1)
        for act in life.acts:
            if act.status != ActivityStatus.PLANNED or act.date >= until:
                continue
            if act.kind == ActivityKind.COACHING:
                if rng.random() < 0.07:
                    act.status, act.reason = ActivityStatus.CANCELLED, "Leitung erkrankt"
                    act.recorded_at = act.closed = at(act.date - timedelta(days=2), time(9))
                    continue
                lag = rng.choice(RECORD_LAG)
                if self.quiet.hit("activity", act.date, ActivityKind.COACHING):
                    lag = 0  # recorded before a reminder of it falls in the measured tick
                recorded = at(act.date + timedelta(days=lag), time(17))
                if recorded >= latest:
                    continue  # held, but the coach has not recorded it yet
                act.status, act.hours = ActivityStatus.HELD, rng.choice(HOURS)
                act.note = "Sozialraumanalyse" if rng.random() < 0.1 else None
                act.recorded_at = act.closed = recorded
            elif act.kind == ActivityKind.SITE_VISIT:
                act.status = ActivityStatus.HELD
                act.recorded_at = act.closed = min(at(act.date, time(16)), latest)
            elif rng.random() < 0.05:
                act.status, act.reason = ActivityStatus.CANCELLED, "Terminkonflikt"
                act.recorded_at = act.closed = at(act.date - timedelta(days=5), time(9))
            else:
                act.status = ActivityStatus.HELD
                act.recorded_at = act.closed = min(at(act.date, time(18)), latest)

    # ------------------------------------------------------------------ the outbox
    def _mails(self, life: Life) -> Iterator[dict[str, object]]:
        """What the ticks sent about this centre before the bench's day (the service's keys)."""
        names = self.workflow.stages
        bodies = self.bodies
        coach_mail = "" if life.coach is None else life.coach.email
        for change in life.history:
            stage_name = names[change.to_stage].name
            for role, to in (("centre", life.email), ("office", OFFICE)):
                yield sent_mail(
                    f"stage_changed:{change.id}:{role}",
                    "stage_changed",
                    role,
                    to,
                    f"Stufenwechsel: {life.name} ist jetzt in der Stufe {stage_name}",
                    bodies["stage_changed"],
                    change.recorded_at,
                    life.id,
                )
        starts = [c.effective for c in life.history]
        for n, change in enumerate(life.history):
            if change.to_stage != "vertiefungsbegleitung":
                continue
            occurrence = at(change.effective + timedelta(days=335))
            ends = starts[n + 1] if n + 1 < len(starts) else None
            if occurrence < TICK_BEFORE and (ends is None or ends > occurrence.date()):
                yield sent_mail(
                    f"renewal_due:c{life.id}:{change.id}:{occurrence.date().isoformat()}:office",
                    "renewal_due",
                    "office",
                    OFFICE,
                    f"Programmjahr endet bald: {life.name} ({names[change.to_stage].name})",
                    bodies["renewal_due"],
                    occurrence,
                    life.id,
                )
        for act in life.acts:
            if act.kind == ActivityKind.COACHING:
                yield from self._session_mails(life, act, coach_mail)
            elif act.kind == ActivityKind.SITE_VISIT:
                occurrence = at(act.date - timedelta(days=14))
                if _was_due(act, occurrence):
                    for role, to in (("office", OFFICE), ("centre", life.email)):
                        yield sent_mail(
                            f"visit_upcoming:a{act.id}:{occurrence.date().isoformat()}:{role}",
                            "visit_upcoming",
                            role,
                            to,
                            f"Vor-Ort-Besuch am {act.date:%d.%m.%Y}: {life.name}",
                            bodies["visit_upcoming"],
                            max(occurrence, act.created),
                            life.id,
                        )

    def _session_mails(self, life: Life, act: Act, coach_mail: str) -> Iterator[dict[str, object]]:
        occurrence = at(act.date - timedelta(days=7))
        if _was_due(act, occurrence):
            yield sent_mail(
                f"session_upcoming:a{act.id}:{occurrence.date().isoformat()}:coach",
                "session_upcoming",
                "coach",
                coach_mail,
                f"Begleittermin am {act.date:%d.%m.%Y}: {life.name}",
                self.bodies["session_upcoming"],
                max(occurrence, act.created),
                life.id,
            )
        if act.status == ActivityStatus.PLANNED and act.date < TODAY:
            recorded = TICK_BEFORE  # not recorded yet: reminded up to now
            occurrence = at(act.date + timedelta(days=24))
            if occurrence < TICK_BEFORE:
                yield sent_mail(
                    f"session_unrecorded_office:a{act.id}:{occurrence.date().isoformat()}:office",
                    "session_unrecorded_office",
                    "office",
                    OFFICE,
                    f"Begleittermin vom {act.date:%d.%m.%Y} nicht erfasst ({life.name})",
                    self.bodies["session_unrecorded"],
                    occurrence,
                    life.id,
                )
        elif act.status == ActivityStatus.HELD and act.recorded_at is not None:
            recorded = act.recorded_at
        else:
            return
        for number, offset in enumerate((3, 10, 17)):
            occurrence = at(act.date + timedelta(days=offset))
            if occurrence >= recorded or occurrence >= TICK_BEFORE:
                break
            prefix = f"{number + 1}. " if number else ""
            yield sent_mail(
                f"session_unrecorded:a{act.id}:{occurrence.date().isoformat()}:coach",
                "session_unrecorded",
                "coach",
                coach_mail,
                f"{prefix}Erinnerung: Begleittermin vom {act.date:%d.%m.%Y} eintragen "
                f"({life.name})",
                self.bodies["session_unrecorded"],
                occurrence,
                life.id,
            )


Derive = Callable[
    [Centre, Sequence[StageChange], Sequence[tuple[date, str]], date], tuple[date, date | None]
]


def derived_dates(flow: Workflow) -> Derive | None:
    """The service's own reading of a centre's derived dates (``episode_start``,
    ``next_step_on``) as of a day, if the package keeps them; None if it does not."""
    if "episode_start" not in centres.c or "next_step_on" not in centres.c:
        return None
    from thekiz_flow.core.clock import FrozenClock
    from thekiz_flow.service import Service

    clock = FrozenClock(datetime.combine(TODAY, time(12), BERLIN))
    keeper = Service(cast(Engine, None), flow, clock, BERLIN, actor=ACTOR)
    method = getattr(keeper, "derived", None)
    if method is None:
        return None

    def derive(
        centre: Centre,
        history: Sequence[StageChange],
        visits: Sequence[tuple[date, str]],
        day: date,
    ) -> tuple[date, date | None]:
        clock.set(datetime.combine(day, time(12), BERLIN))
        start, step = method(centre, history, visits)
        return start, step

    return derive


def _was_due(act: Act, occurrence: datetime) -> bool:
    """Whether a tick saw the occurrence while the row was planned (catch-up: 3 days)."""
    if occurrence >= TICK_BEFORE or occurrence < act.created - timedelta(days=3):
        return False
    return act.closed is None or act.closed > occurrence or act.status == ActivityStatus.HELD


def training_day(flow: Workflow, calendar: WorkCalendar, kind: str, month: date) -> date:
    """The day of a kind's trainings in a month (the same for every place and group)."""
    offset = list(flow.training_kinds).index(kind) % 4
    return calendar.next_working_day(month + timedelta(days=7 + offset))


# ------------------------------------------------------------------ worker processes
_SIMULATOR: Simulator | None = None


def _start_worker(coach_list: list[Coach]) -> None:
    global _SIMULATOR
    _SIMULATOR = Simulator(coach_list)


def _run_chunk(task: ChunkTask) -> ChunkRows:
    assert _SIMULATOR is not None
    return _SIMULATOR.chunk(task)


# ------------------------------------------------------------------ the parent
@dataclass
class HistoryReport:
    centres: int = 0
    coaches: int = 0
    stage_changes: int = 0
    activities: int = 0
    outbox: int = 0
    trainings: int = 0
    seconds: float = 0.0
    by_stage: dict[str, int] = field(default_factory=dict)
    unfilled_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Catalogue:
    """Trainings of the catalogue, opened on demand: per kind, month and place, 25 seats each."""

    def __init__(self, flow: Workflow, calendar: WorkCalendar, first_id: int) -> None:
        self.workflow = flow
        self.calendar = calendar
        self.next_id = first_id
        self.open: dict[tuple[str, date, str], tuple[int, int]] = {}  # id, seats taken
        self.groups: dict[tuple[str, date, str], int] = {}
        self.new: list[dict[str, object]] = []

    def seat(self, kind: str, month: date, place: str) -> int:
        slot = (kind, month, place)
        found = self.open.get(slot)
        if found is not None and found[1] < TRAINING_CAPACITY:
            self.open[slot] = (found[0], found[1] + 1)
            return found[0]
        group = self.groups.get(slot, 0) + 1
        self.groups[slot] = group
        day = training_day(self.workflow, self.calendar, kind, month)
        training_id = self.next_id
        self.next_id += 1
        title = f"{self.workflow.training_kinds[kind]} {place} {month:%m/%Y} Gruppe {group}"
        created = at(day - timedelta(days=120), time(9))
        self.new.append(
            {
                "id": training_id,
                "kind": kind,
                "title": title,
                "date": day,
                "place": place,
                "capacity": TRAINING_CAPACITY,
                "created_at": created,
            }
        )
        self.open[slot] = (training_id, 1)
        return training_id

    def take_new(self) -> list[dict[str, object]]:
        rows, self.new = self.new, []
        return rows


class HistoryGenerator:
    """Writes ``size`` centres with ten years of history into the tables of ``engine``."""

    def __init__(
        self, engine: Engine, flow: Workflow, size: int, seed: int = 2026, workers: int = 2
    ) -> None:
        self.engine = loading_engine(engine)
        self.workflow = flow
        self.size = size
        self.seed = seed
        self.workers = workers if size > CHUNK else 0
        self.calendar = CachedCalendar(flow)
        self.report = HistoryReport()
        dialect = engine.dialect
        self.encoders = {
            t.name: Encoder(t, dialect)
            for t in (centres, stage_changes, activities, outbox, trainings, coaches)
        }

    def generate(self, coach_count: int | None = None) -> HistoryReport:
        started = clock.perf_counter()
        with self.engine.begin() as conn:
            tops = {t.name: _top(conn, t) for t in (centres, stage_changes, activities, outbox)}
            coach_list = self._coaches(conn, coach_count or max(4, self.size // 15))
            catalogue = Catalogue(self.workflow, self.calendar, _top(conn, trainings) + 1)
        rng = random.Random(self.seed)
        tasks = []
        for index, start in enumerate(range(0, self.size, CHUNK)):
            count = min(CHUNK, self.size - start)
            tasks.append(
                ChunkTask(
                    index,
                    tops["centres"] + 1 + start,
                    count,
                    rng.random(),
                    tops["stage_changes"] + start * CHANGES_PER_CENTRE,
                    tops["activities"] + start * ACTIVITIES_PER_CENTRE,
                    tops["outbox"] + start * MAILS_PER_CENTRE,
                )
            )
        for rows in self._chunks(tasks, coach_list):
            self._write(rows, catalogue)
        with self.engine.begin() as conn:
            self._programme_mail(conn, tops["outbox"] + self.size * MAILS_PER_CENTRE)
        self.engine.dispose()
        self.report.seconds = clock.perf_counter() - started
        return self.report

    def _chunks(self, tasks: list[ChunkTask], coach_list: list[Coach]) -> Iterator[ChunkRows]:
        if self.workers == 0:
            simulator = Simulator(coach_list, self.workflow)
            for task in tasks:
                yield simulator.chunk(task)
            return
        context = multiprocessing.get_context("spawn")
        with context.Pool(self.workers, _start_worker, (coach_list,)) as pool:
            pending: deque[AsyncResult[ChunkRows]] = deque()
            queue = deque(tasks)
            while queue or pending:
                while queue and len(pending) < self.workers + 1:
                    pending.append(pool.apply_async(_run_chunk, (queue.popleft(),)))
                yield pending.popleft().get()

    def _coaches(self, conn: Connection, count: int) -> list[Coach]:
        """The programme's coaches: those in the table, topped up to ``count``."""
        found = [
            Coach(r.id, r.name, r.email, Decimal(r.rate))
            for r in conn.execute(select(coaches).order_by(coaches.c.id))
        ]
        if len(found) >= count:
            self.report.coaches = len(found[:count])
            return found[:count]
        first = _top(conn, coaches) + 1
        count -= len(found)
        rng = random.Random(self.seed + 1)
        made = []
        for n in range(first, first + count):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} ({n})"
            rate = Decimal(rng.randrange(5500, 7800, 50)) / 100
            made.append(Coach(n, name, f"begleitung{n}@example.org", rate))
        encoder = self.encoders["coaches"]
        created = at(HISTORY_START, time(9))
        rows = [
            encoder.encode(
                {
                    "id": c.id,
                    "name": c.name,
                    "email": c.email,
                    "rate": c.rate,
                    "created_at": created,
                }
            )
            for c in made
        ]
        write_rows(conn, encoder, rows)
        self.report.coaches = len(found) + count
        return found + made

    def _write(self, rows: ChunkRows, catalogue: Catalogue) -> None:
        index = self.encoders["activities"].index
        key_at, training_at = index["key"], index["training_id"]
        for position, kind, month, place in rows.seats:
            training_id = catalogue.seat(kind, month, place)
            row = list(rows.activities[position])
            row[key_at], row[training_at] = f"{ActivityKind.TRAINING}:{training_id}", training_id
            rows.activities[position] = tuple(row)
        encoder = self.encoders["trainings"]
        training_rows = [encoder.encode(r) for r in catalogue.take_new()]
        with self.engine.begin() as conn:
            write_rows(conn, self.encoders["centres"], rows.centres)
            write_rows(conn, self.encoders["stage_changes"], rows.changes)
            write_rows(conn, encoder, training_rows)
            write_rows(conn, self.encoders["activities"], rows.activities)
            write_rows(conn, self.encoders["outbox"], rows.outbox)
        report = self.report
        report.centres += len(rows.centres)
        report.stage_changes += len(rows.changes)
        report.activities += len(rows.activities)
        report.outbox += len(rows.outbox)
        report.trainings += len(training_rows)
        for stage, number in rows.by_stage.items():
            report.by_stage[stage] = report.by_stage.get(stage, 0) + number
        missing = set(report.unfilled_columns) | rows.missing
        missing |= {f"{e.table.name}.{n}" for e in self.encoders.values() for n in e.missing}
        report.unfilled_columns = sorted(missing)

    def _programme_mail(self, conn: Connection, base: int) -> None:
        """The monthly overviews and the yearly digests of the ten years, if not there yet."""
        bodies = render_bodies(self.workflow)
        mails = []
        month = HISTORY_START.replace(day=1)
        while month <= TODAY:
            due = at(self.calendar.next_working_day(month))
            if due < TICK_BEFORE:
                mails.append(
                    sent_mail(
                        f"overview:{month:%Y-%m}",
                        "overview",
                        "office",
                        OFFICE,
                        f"Monatsübersicht ThEKiZ {month:%m/%Y}",
                        bodies["overview"],
                        due,
                        None,
                    )
                )
            month += relativedelta(months=1)
        for year in range(HISTORY_START.year, TODAY.year):
            files = "\n".join(f"var/digests/digest-{year}.{ext}" for ext in ("html", "csv", "xlsx"))
            mails.append(
                sent_mail(
                    f"digest:{year}",
                    "digest",
                    "ministry",
                    MINISTRY,
                    f"Jahresbericht ThEKiZ {year}",
                    bodies["digest"],
                    at(date(year + 1, 1, 15), time(8, 1)),
                    None,
                    files,
                )
            )
        existing = set(
            conn.execute(select(outbox.c.key).where(outbox.c.centre_id.is_(None))).scalars()
        )
        encoder = self.encoders["outbox"]
        fresh = [m for m in mails if m["key"] not in existing]
        for n, mail in enumerate(fresh, 1):
            mail["id"] = base + n
        write_rows(conn, encoder, [encoder.encode(m) for m in fresh])
        self.report.outbox += len(fresh)


def loading_engine(engine: Engine) -> Engine:
    """An engine of its own for loading the history: the package's pragmas plus no fsync and a
    large page cache. Only durability and speed differ; the file's content is the same."""
    loader = make_engine(engine.url.render_as_string(hide_password=False))
    if loader.dialect.name == "sqlite":

        @event.listens_for(loader, "connect")
        def _fast(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.close()

    return loader


def _top(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
