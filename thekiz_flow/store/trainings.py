"""The training catalogue and its enrolments.

An enrolment is an activity of kind "training" with the key ``training:<id>``: one row per
centre and training (the unique (centre_id, key) constraint). Its id is the order of
enrolment, which is the order of the waiting list.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, ScalarSelect, delete, func, insert, or_, select, update

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.lists import TrainingQuery
from thekiz_flow.core.model import Activity, NewTraining, Training
from thekiz_flow.store.activities import REVISED, STATUS_OF, activity_from_row, chunks
from thekiz_flow.store.list_queries import paged, training_order, training_where
from thekiz_flow.store.tables import activities, centres, trainings
from thekiz_flow.store.undo import remember, remember_ids


def enrolment_key(training_id: int) -> str:
    return f"{ActivityKind.TRAINING}:{training_id}"


def _training(row: Row[Any]) -> Training:
    return Training(
        row.id, row.kind, row.title, row.date, row.place, row.capacity, row.cancel_reason
    )


def _enrolments(*statuses: ActivityStatus) -> ScalarSelect[int]:
    """How many enrolments in ``statuses`` the training of the enclosing query has (the
    index by training and status)."""
    a = activities.c
    counted = select(func.count()).where(a.training_id == trainings.c.id, a.status.in_(statuses))
    return counted.scalar_subquery()


class TrainingStore:
    """``now``, when given, is the moment of the enrolments' changes (``store/undo.py``)."""

    def __init__(self, connection: Connection, now: datetime | None = None) -> None:
        self.conn = connection
        self.now = now

    # ----------------------------------------------------------------- catalogue
    def add(self, row: NewTraining, now: datetime) -> int:
        return self.add_many([row], now)[0]

    def add_many(self, rows: Sequence[NewTraining], now: datetime) -> list[int]:
        if not rows:
            return []
        values = [
            {
                "kind": r.kind,
                "title": r.title,
                "date": r.date,
                "place": r.place,
                "capacity": r.capacity,
                "created_at": now,
            }
            for r in rows
        ]
        stmt = insert(trainings).returning(trainings.c.id, sort_by_parameter_order=True)
        return [int(i) for i in self.conn.execute(stmt, values).scalars()]

    def get(self, training_id: int, *, lock: bool = False) -> Training | None:
        """One offering; ``lock`` holds its row until commit, so seats are counted one at a time."""
        stmt = select(trainings).where(trainings.c.id == training_id)
        row = self.conn.execute(stmt.with_for_update() if lock else stmt).first()
        return None if row is None else _training(row)

    def find(self, kind: str | None = None, first: date | None = None) -> list[Training]:
        stmt = select(trainings).order_by(trainings.c.date, trainings.c.id)
        if kind is not None:
            stmt = stmt.where(trainings.c.kind == kind)
        if first is not None:
            stmt = stmt.where(trainings.c.date >= first)
        return [_training(r) for r in self.conn.execute(stmt)]

    def offered(self, kind: str, first: date, limit: int) -> list[tuple[Training, int]]:
        """The first ``limit`` offerings of ``kind`` from ``first`` on, not called off, with a
        free seat (fewer enrolled, i.e. planned or held, than its capacity), by date: each
        with its free seats. Each offering's enrolments are counted by the index by training
        and status, in date order until ``limit`` are found."""
        t = trainings.c
        enrolled = _enrolments(ActivityStatus.PLANNED, ActivityStatus.HELD)
        stmt = (
            select(trainings, (t.capacity - enrolled).label("free"))
            .where(
                t.kind == kind, t.date >= first, t.cancel_reason.is_(None), t.capacity > enrolled
            )
            .order_by(t.date, t.id)
            .limit(limit)
        )
        return [(_training(row), int(row.free)) for row in self.conn.execute(stmt)]

    def open_seats(
        self, first: date, soon: date, limit: int | None
    ) -> tuple[list[tuple[Training, int, int]], int]:
        """The first ``limit`` (at least one; None: all) offerings from ``first`` on, not
        called off, that have a waiting list, or are ``soon`` or earlier and have a free
        seat: by date, each with its enrolled (planned or held) and waiting; and how many
        there are.

        One statement. The candidates are the offerings up to ``soon`` (the index by date)
        and those of the waiting places from ``first`` on (the index by kind, status and
        date: a waiting place is dated as its offering); their enrolments are counted once
        each (the counts materialized) by the index by training and status, and only the rows
        shown leave the database."""
        t, a = trainings.c, activities.c
        waited = select(a.training_id).where(
            a.kind == ActivityKind.TRAINING, a.status == ActivityStatus.WAITING, a.date >= first
        )
        seats = (
            select(
                trainings,
                _enrolments(ActivityStatus.PLANNED, ActivityStatus.HELD).label("enrolled"),
                _enrolments(ActivityStatus.WAITING).label("waiting"),
            )
            .where(
                t.cancel_reason.is_(None),
                or_(t.date.between(first, soon), t.id.in_(waited.scalar_subquery())),
            )
            .cte("seats")
            .prefix_with("MATERIALIZED")
        )
        s = seats.c
        found = or_(s.waiting > 0, (s.date <= soon) & (s.enrolled < s.capacity))
        stmt = select(seats, func.count().over().label("total")).where(found).order_by(s.date, s.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = self.conn.execute(stmt).all()
        shown = [(_training(r), int(r.enrolled), int(r.waiting)) for r in rows]
        return shown, int(rows[0].total) if rows else 0

    def dated(self, first: date, last: date) -> list[Training]:
        """The offerings from ``first`` to ``last``, by date (the catalogue's, not a
        centre's: a few a month)."""
        t = trainings.c
        stmt = select(trainings).where(t.date.between(first, last)).order_by(t.date, t.id)
        return [_training(r) for r in self.conn.execute(stmt)]

    def search(self, query: TrainingQuery) -> tuple[list[Training], int]:
        """One page of the catalogue the query finds, in its order, and how many it finds."""
        stmt = training_where(query, select(trainings))
        rows, total = paged(self.conn, stmt, training_order(query.sort), query.offset, query.limit)
        return [_training(r) for r in rows], total

    def update(self, training_id: int, row: NewTraining, now: datetime) -> None:
        """New title, date, place and capacity; its enrolments move to the new date."""
        values = {"title": row.title, "date": row.date, "place": row.place}
        self.conn.execute(
            update(trainings)
            .where(trainings.c.id == training_id)
            .values(**values, capacity=row.capacity)
        )
        enrolments = (activities.c.kind == ActivityKind.TRAINING) & (
            activities.c.training_id == training_id
        )
        remember(self.conn, now, enrolments)
        self.conn.execute(
            update(activities)
            .where(enrolments)
            .values(date=row.date, recorded_at=now, revision=REVISED)
        )

    def cancel(self, training_id: int, reason: str, actor: str, now: datetime) -> list[Activity]:
        """Call the event off: every seat and waiting place is cancelled with ``reason``;
        returns the enrolments so cancelled."""
        self.conn.execute(
            update(trainings)
            .where(trainings.c.id == training_id)
            .values(cancelled_at=now, cancelled_by=actor, cancel_reason=reason)
        )
        c = activities.c
        stmt = select(activities).where(
            c.kind == ActivityKind.TRAINING,
            c.training_id == training_id,
            c.status.in_((ActivityStatus.PLANNED, ActivityStatus.WAITING)),
        )
        cancelled = [activity_from_row(r) for r in self.conn.execute(stmt.order_by(c.id))]
        remember_ids(self.conn, now, [e.id for e in cancelled])
        for chunk in chunks([e.id for e in cancelled]):
            self.conn.execute(
                update(activities)
                .where(c.id.in_(chunk))
                .values(
                    status=ActivityStatus.CANCELLED,
                    reason=reason,
                    recorded_at=now,
                    revision=REVISED,
                )
            )
        return cancelled

    def taken(self, keys: Iterable[tuple[str, str, date]]) -> set[tuple[str, str, date]]:
        """Which (kind, title, date) exist already; titles compared case-insensitively."""
        wanted = {(k, t.casefold(), d) for k, t, d in keys}
        days = {d for _, _, d in wanted}
        stmt = select(trainings.c.kind, trainings.c.title, trainings.c.date).where(
            trainings.c.date.in_(days)
        )
        found = {(k, t.casefold(), d) for k, t, d in self.conn.execute(stmt)}
        return found & wanted

    # ---------------------------------------------------------------- enrolments
    def counts(self, training_ids: Sequence[int] | None = None) -> dict[int, tuple[int, int]]:
        """Per training: (enrolled, i.e. planned or held; waiting). Missing: none of either.

        Only enrolments name a training: for some trainings the rows are found by training
        alone, through the index by training and status (given the kind too, SQLite would
        take the index by kind and status and count every enrolment ever made)."""
        c = activities.c
        stmt = (
            select(c.training_id, c.status, func.count())
            .where(
                c.status.in_((ActivityStatus.PLANNED, ActivityStatus.HELD, ActivityStatus.WAITING))
            )
            .group_by(c.training_id, c.status)
        )
        if training_ids is None:
            stmt = stmt.where(c.kind == ActivityKind.TRAINING)
        else:
            stmt = stmt.where(c.training_id.in_(training_ids))
        tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for training_id, status, number in self.conn.execute(stmt):
            tally[training_id][1 if status == ActivityStatus.WAITING else 0] += int(number)
        return {t: (enrolled, waiting) for t, (enrolled, waiting) in tally.items()}

    def enrolled(self, training_id: int) -> int:
        return self.counts([training_id]).get(training_id, (0, 0))[0]

    def enrolment(self, training_id: int, centre_id: int) -> Activity | None:
        stmt = select(activities).where(
            activities.c.centre_id == centre_id, activities.c.key == enrolment_key(training_id)
        )
        row = self.conn.execute(stmt).first()
        return None if row is None else activity_from_row(row)

    def enrolments(self, training_id: int) -> list[tuple[Activity, str]]:
        """Every enrolment of the training with the centre's name, in the order of enrolment."""
        stmt = (
            select(activities, centres.c.name.label("centre_name"))
            .join(centres, centres.c.id == activities.c.centre_id)
            .where(
                activities.c.kind == ActivityKind.TRAINING, activities.c.training_id == training_id
            )
            .order_by(activities.c.id)
        )
        return [(activity_from_row(r), r.centre_name) for r in self.conn.execute(stmt)]

    def position(self, enrolment: Activity) -> int:
        """The place of a waiting enrolment on its training's waiting list (1 = next)."""
        c = activities.c
        stmt = select(func.count()).where(
            c.kind == ActivityKind.TRAINING,
            c.training_id == enrolment.training_id,
            c.status == ActivityStatus.WAITING,
            c.id <= enrolment.id,
        )
        return int(self.conn.execute(stmt).scalar_one())

    def enrol(
        self, training: Training, centre_id: int, stage: str, status: ActivityStatus
    ) -> Activity:
        """Store the centre's enrolment with ``status``.

        A cancelled earlier enrolment is replaced by a new row, so that the id still gives
        the order of enrolment (a re-enrolled centre queues at the end).
        """
        key = enrolment_key(training.id)
        earlier = (
            (activities.c.centre_id == centre_id)
            & (activities.c.key == key)
            & (activities.c.status == ActivityStatus.CANCELLED)
        )
        remember(self.conn, self.now, earlier)
        self.conn.execute(delete(activities).where(earlier))
        stmt = insert(activities).values(
            centre_id=centre_id,
            kind=ActivityKind.TRAINING,
            key=key,
            stage=stage,
            date=training.date,
            status=status,
            training_id=training.id,
            moved=False,
            created_at=self.now,
        )
        row = self.conn.execute(stmt.returning(activities)).one()
        return activity_from_row(row)

    def fill_seat(self, training: Training) -> Activity | None:
        """If a seat is free, the first on the waiting list gets it; returns that enrolment."""
        moved = self.fill_seats({training.id: 1})
        return moved[0] if moved else None

    def release(self, centre_ids: Sequence[int], from_day: date, reason: str) -> list[Activity]:
        """Cancel the centres' seats and waiting places from ``from_day`` on; seats move up.

        Returns the enrolments that moved up from a waiting list.
        """
        c = activities.c
        released: list[Activity] = []
        for chunk in chunks(centre_ids):
            stmt = select(activities).where(
                c.kind == ActivityKind.TRAINING,
                c.centre_id.in_(chunk),
                c.status.in_((ActivityStatus.PLANNED, ActivityStatus.WAITING)),
                c.date >= from_day,
            )
            released += [activity_from_row(r) for r in self.conn.execute(stmt.order_by(c.id))]
        remember_ids(self.conn, self.now, [e.id for e in released])
        for chunk in chunks([e.id for e in released]):
            cancel = update(activities).where(c.id.in_(chunk))
            self.conn.execute(cancel.values(status=ActivityStatus.CANCELLED, reason=reason))
        freed = Counter(
            e.training_id for e in released if e.status == ActivityStatus.PLANNED and e.training_id
        )
        return self.fill_seats(freed)

    def fill_seats(self, freed: Mapping[int, int]) -> list[Activity]:
        """Freed seats (how many per training) go to the waiting lists, each in its order,
        as far as the trainings have room; returns the enrolments that moved up. (The
        waiting enrolments are found by training alone, as in :meth:`counts`.)"""
        c = activities.c
        moved: list[Activity] = []
        for chunk in chunks(sorted(freed)):
            locked = select(trainings).where(trainings.c.id.in_(chunk)).with_for_update()
            capacity = {r.id: r.capacity for r in self.conn.execute(locked)}
            counts = self.counts(chunk)
            room = {t: min(freed[t], capacity[t] - counts.get(t, (0, 0))[0]) for t in capacity}
            waiting = select(activities).where(
                c.training_id.in_(chunk), c.status == ActivityStatus.WAITING
            )
            for row in self.conn.execute(waiting.order_by(c.id)):
                if room.get(row.training_id, 0) > 0:
                    room[row.training_id] -= 1
                    moved.append(activity_from_row(row))
        remember_ids(self.conn, self.now, [a.id for a in moved])
        for chunk in chunks([a.id for a in moved]):
            self.conn.execute(
                update(activities).where(c.id.in_(chunk)).values(status=ActivityStatus.PLANNED)
            )
        return moved

    def of_centres(
        self, centre_ids: Sequence[int] | None = None
    ) -> dict[int, list[tuple[str, ActivityStatus, date]]]:
        """Per centre its enrolments as (training kind, status, training date), by date.

        What `recommend.unmet_trainings` takes.
        """
        c = activities.c
        stmt = (
            select(c.centre_id, trainings.c.kind, c.status, trainings.c.date)
            .join(trainings, trainings.c.id == c.training_id)
            .where(c.kind == ActivityKind.TRAINING)
            .order_by(c.centre_id, trainings.c.date, c.id)
        )
        if centre_ids is not None:
            stmt = stmt.where(c.centre_id.in_(centre_ids))
        result: dict[int, list[tuple[str, ActivityStatus, date]]] = defaultdict(list)
        for centre_id, kind, status, day in self.conn.execute(stmt):
            result[centre_id].append((kind, STATUS_OF[status], day))
        return result
