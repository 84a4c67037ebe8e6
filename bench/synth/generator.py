"""The parent's side: chunks handed to worker processes, their rows written table by table."""

from __future__ import annotations

import multiprocessing
import random
import time as clock
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from multiprocessing.pool import AsyncResult
from typing import Any

from sqlalchemy import Connection, Engine, select

from bench.common import HISTORY_START, MINISTRY, OFFICE
from bench.synth.calendar import CachedCalendar, at, training_day
from bench.synth.chunks import (
    ACTIVITIES_PER_CENTRE,
    CHANGES_PER_CENTRE,
    MAILS_PER_CENTRE,
    ChunkRows,
    ChunkTask,
    Simulator,
    run_chunk,
    start_worker,
)
from bench.synth.keeper import Keeper
from bench.synth.mails import Outbox, sent_row
from bench.synth.tables import Encoder, loading_engine, top, write_rows
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.enums import ActivityKind
from thekiz_flow.core.model import Coach, Workflow
from thekiz_flow.store.tables import activities, centres, coaches, outbox, stage_changes, trainings

CHUNK = 500  # centres per chunk (one transaction)
FIRST_NAMES = ("Anna", "Jonas", "Marie", "Lukas", "Sophie", "Felix", "Clara", "Paul", "Lena")
LAST_NAMES = ("Schmidt", "Müller", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch")
TRAINING_CAPACITY = 25


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
            tops = {t.name: top(conn, t) for t in (centres, stage_changes, activities, outbox)}
            coach_list = self._coaches(conn, coach_count or max(4, self.size // 15))
            catalogue = Catalogue(self.workflow, self.calendar, top(conn, trainings) + 1)
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
        with context.Pool(self.workers, start_worker, (coach_list,)) as pool:
            pending: deque[AsyncResult[ChunkRows]] = deque()
            queue = deque(tasks)
            while queue or pending:
                while queue and len(pending) < self.workers + 1:
                    pending.append(pool.apply_async(run_chunk, (queue.popleft(),)))
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
        first = top(conn, coaches) + 1
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
        mails = Outbox(self.workflow, Keeper()).of_programme(self.calendar, OFFICE, MINISTRY)
        existing = set(
            conn.execute(select(outbox.c.key).where(outbox.c.centre_id.is_(None))).scalars()
        )
        encoder = self.encoders["outbox"]
        fresh = [sent_row(m, m.due_at) for m in mails if m.key not in existing]
        for n, mail in enumerate(fresh, 1):
            mail["id"] = base + n
        write_rows(conn, encoder, [encoder.encode(m) for m in fresh])
        self.report.outbox += len(fresh)
