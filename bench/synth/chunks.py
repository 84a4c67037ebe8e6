"""Chunks of centres lived through the programme and encoded as rows (in worker processes)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from dateutil.relativedelta import relativedelta
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from bench.common import TODAY, workflow
from bench.synth.calendar import CachedCalendar, at
from bench.synth.keeper import Keeper
from bench.synth.lives import Lives
from bench.synth.mails import Outbox
from bench.synth.quiet import QuietDays
from bench.synth.records import Counters, Life
from bench.synth.tables import Encoder, Row
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Coach, Workflow
from thekiz_flow.core.planning import plan_stamp
from thekiz_flow.store.privacy import erased_address
from thekiz_flow.store.repository import change_values
from thekiz_flow.store.tables import activities, centres, outbox, stage_changes
from thekiz_flow.workflow.config import PrivacySettings

#: A centre that left before this day has its contact address erased: the ticks' daily
#: retention (``[privacy] withdrawn_centre_years``, its default) erased it, as it does in a
#: programme that ran these ten years.
CONTACTS_KEPT_FROM = TODAY - relativedelta(years=PrivacySettings().withdrawn_centre_years)

# Id blocks per centre of a chunk: far above what ten years produce (checked).
CHANGES_PER_CENTRE, ACTIVITIES_PER_CENTRE, MAILS_PER_CENTRE = 40, 300, 600


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
        self.stamp = plan_stamp(self.workflow)
        self.keeper = Keeper()
        self.quiet = QuietDays(self.workflow)
        calendar = CachedCalendar(self.workflow)
        self.lives = Lives(self.workflow, coach_list, calendar, self.quiet, self.keeper)
        self.outbox = Outbox(self.workflow, self.keeper)
        dialect = SQLiteDialect_pysqlite()
        tables = (centres, stage_changes, activities, outbox)
        self.encoders = {t.name: Encoder(t, dialect) for t in tables}

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
            life, centre_row = self.quiet_life(counters, task.first_centre + n, rng.random())
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
            for mail in self.outbox.of_life(life):
                mail["id"] = counters.next_outbox()
                rows.outbox.append(enc["outbox"].encode(mail))
        for encoder in enc.values():
            rows.missing |= {f"{encoder.table.name}.{name}" for name in encoder.missing}
        return rows

    def centre_row(self, life: Life) -> dict[str, object]:
        """The centre's row, its derived dates as the service keeps them after its last event."""
        visits = [
            (a.date, a.stage)
            for a in life.acts
            if a.kind == ActivityKind.SITE_VISIT and a.status == ActivityStatus.HELD
        ]
        last = max([life.registered, *(c.effective for c in life.history), *(v[0] for v in visits)])
        start, step = self.keeper.derived(life.centre(), life.history, visits, last)
        return {
            "id": life.id,
            "name": life.name,
            "district": life.district,
            "email": (
                erased_address("einrichtung", life.id)
                if self.workflow.stage(life.stage).final and life.since < CONTACTS_KEPT_FROM
                else life.email
            ),
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
            "episode_start": start,
            "next_step_on": step,
        }

    def quiet_life(
        self, counters: Counters, cid: int, seed: float
    ) -> tuple[Life, dict[str, object]]:
        """A centre's life (and row) that leaves the measured tick's days quiet."""
        mark = counters.mark()
        attempt = 0
        while True:
            rng = random.Random(seed if attempt == 0 else f"{seed}:{attempt}")
            life = self.lives.live(counters, cid, rng)
            row = self.centre_row(life)
            if not self.quiet.disturbed(self.workflow, life, row):
                return life, row
            counters.reset(mark)
            attempt += 1


# ------------------------------------------------------------------ worker processes
_SIMULATOR: Simulator | None = None


def start_worker(coach_list: list[Coach]) -> None:
    global _SIMULATOR
    _SIMULATOR = Simulator(coach_list)


def run_chunk(task: ChunkTask) -> ChunkRows:
    assert _SIMULATOR is not None
    return _SIMULATOR.chunk(task)
