"""Activities in the store: coaching sessions, training enrolments and site visits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from thekiz_flow.core.activity_list import ActivityQuery, ListedActivity
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, ActivityFilter, PlannedActivity
from thekiz_flow.store import activity_query
from thekiz_flow.store.bulk import by_row, insert_rows
from thekiz_flow.store.tables import activities, activity_undo, handovers
from thekiz_flow.store.undo import as_recorded, remember, remember_ids

CHUNK = 900  # ids per IN list: below SQLite's limit of bound parameters
REVISED = activities.c.revision + 1  # every change counts (a calendar feed's SEQUENCE)
FEED_KINDS = (ActivityKind.COACHING, ActivityKind.SITE_VISIT)  # what a coach's feed shows
# A stored kind or status as its member: a lookup, for the many rows planning and the
# reminders read (several times faster than calling the enum).
KIND_OF = {kind.value: kind for kind in ActivityKind}
STATUS_OF = {status.value: status for status in ActivityStatus}


def chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


def activity_from_row(row: Row[Any]) -> Activity:
    return Activity(
        id=row.id,
        centre_id=row.centre_id,
        kind=KIND_OF[row.kind],
        key=row.key,
        stage=row.stage,
        date=row.date,
        status=STATUS_OF[row.status],
        hours=None if row.hours is None else Decimal(row.hours),
        coach_id=row.coach_id,
        rate=None if row.rate is None else Decimal(row.rate),
        training_id=row.training_id,
        note=row.note,
        reason=row.reason,
        moved=bool(row.moved),
        recorded_at=row.recorded_at,
    )


PLANNING_COLUMNS = [
    activities.c[name]
    for name in "id centre_id kind key stage date status hours coach_id moved".split()
]  # what planning reads of an activity


def planning_activity(row: Row[Any]) -> Activity:
    """An activity from the columns planning reads (see ``ActivityStore.for_planning``)."""
    hours = None if row.hours is None else Decimal(row.hours)
    return Activity(
        row.id,
        row.centre_id,
        KIND_OF[row.kind],
        row.key,
        row.stage,
        row.date,
        STATUS_OF[row.status],
        hours,
        row.coach_id,
        moved=bool(row.moved),
    )


def _by_date(activity: Activity) -> tuple[date, int]:
    return activity.date, activity.id


def _of_one(where: ActivityFilter) -> bool:
    """Whether ``where`` finds one centre's or one coach's activities (a few hundred)."""
    return where.centre_id is not None or where.coach_id is not None


def filtered(
    stmt: Select[Any], where: ActivityFilter, c: ReadOnlyColumnCollection[str, Any] | None = None
) -> Select[Any]:
    """``stmt`` limited to the activities ``where`` finds (in the columns ``c``, default the
    table's)."""
    c = activities.c if c is None else c
    for column, value in (
        (c.centre_id, where.centre_id),
        (c.coach_id, where.coach_id),
        (c.kind, where.kind),
        (c.status, where.status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if where.kind is None and _of_one(where):
        # every kind, named: SQLite's planner then searches an index by kind and the centre
        # (or coach), status and date (see `ActivityStore.find`)
        stmt = stmt.where(c.kind.in_(list(ActivityKind)))
    if where.first is not None:
        stmt = stmt.where(c.date >= where.first)
    if where.last is not None:
        stmt = stmt.where(c.date <= where.last)
    return stmt


def _dated(where: ActivityFilter) -> Select[Any]:
    """The activities ``where`` finds, by date and id."""
    return filtered(select(activities), where).order_by(activities.c.date, activities.c.id)


class ActivityStore:
    """``now``, when given, is written as ``recorded_at`` with every change, as
    ``created_at`` with every new activity and as the moment of the undo log's rows (every
    change keeps the state before it: ``store/undo.py``)."""

    def __init__(self, connection: Connection, now: datetime | None = None) -> None:
        self.conn = connection
        self.now = now

    def get(self, activity_id: int) -> Activity | None:
        row = self.conn.execute(select(activities).where(activities.c.id == activity_id)).first()
        return None if row is None else activity_from_row(row)

    def held_since(self, activity_id: int) -> datetime | None:
        """When the activity was recorded as held (its first held state, in the undo log
        or as it is); None if it never was or this is not known."""
        u, a = activity_undo.c, activities.c
        held = ActivityStatus.HELD
        kept = select(u.recorded_at).where(u.activity_id == activity_id, u.status == held)
        now = select(a.recorded_at).where(a.id == activity_id, a.status == held)
        found = [row[0] for row in self.conn.execute(union_all(kept, now))]
        return min((moment for moment in found if moment is not None), default=None)

    def find(self, where: ActivityFilter) -> list[Activity]:
        """The activities ``where`` finds, by date.

        One centre's or coach's are few and sorted here: asked to sort, SQLite's planner
        (without statistics) would rather read the index by status and date in its order,
        every centre's planned activities from the first day on, than a centre's few rows."""
        if _of_one(where):
            found = self.conn.execute(filtered(select(activities), where))
            return sorted((activity_from_row(r) for r in found), key=_by_date)
        return [activity_from_row(r) for r in self.conn.execute(_dated(where))]

    def of_coaches(
        self, coach_ids: Sequence[int], kind: ActivityKind, first: date, last: date
    ) -> dict[int, list[Activity]]:
        """The activities of a kind of these coaches from ``first`` to ``last``, by coach:
        one query by the index on coach and date (the kind is picked here: in the query it
        would lead SQLite to an index by kind, every coach's rows)."""
        found: dict[int, list[Activity]] = {i: [] for i in coach_ids}
        if not coach_ids:
            return found
        c = activities.c
        stmt = select(activities).where(c.coach_id.in_(coach_ids), c.date.between(first, last))
        for row in self.conn.execute(stmt.order_by(c.date, c.id)):
            if row.kind == kind:
                found[row.coach_id].append(activity_from_row(row))
        return found

    def first(self, where: ActivityFilter, limit: int | None) -> tuple[list[Activity], int]:
        """The first ``limit`` activities ``where`` finds, by date (every one for None), and
        how many it finds in all: a list cut short, with its length."""
        if limit is None or _of_one(where):
            found = self.find(where)
            return found[:limit], len(found)
        shown = [activity_from_row(r) for r in self.conn.execute(_dated(where).limit(limit))]
        if len(shown) < limit:
            return shown, len(shown)
        total = self.conn.execute(filtered(select(func.count()).select_from(activities), where))
        return shown, int(total.scalar_one())

    def listed(self, query: ActivityQuery) -> tuple[list[ListedActivity], int]:
        """One page of the activities ``query`` finds, in its order, with their centre and
        coach, and how many it finds on every page."""
        counted = activity_query.counted(query)
        stmt = select(activities, *activity_query.LISTED_COLUMNS).select_from(activity_query.JOINED)
        stmt = activity_query.where(query, stmt).order_by(*activity_query.order(query))
        rows = self.conn.execute(stmt.offset(query.offset).limit(query.limit))
        found = [
            ListedActivity(
                activity_from_row(r),
                r.centre_name,
                r.centre_district,
                r.coach_name,
                r.centre_coach_id,
            )
            for r in rows
        ]
        return found, int(self.conn.execute(counted).scalar_one())

    def of_centre(self, centre_id: int) -> list[Activity]:
        return self.find(ActivityFilter(centre_id=centre_id))

    def as_recorded(self, before: datetime, where: ActivityFilter) -> list[Activity]:
        """The activities ``where`` finds as they were recorded before the moment ``before``
        (what was created since is absent, what changed since as it was), by date."""
        recorded = as_recorded(before)
        stmt = filtered(select(recorded), where, recorded.c)
        return [activity_from_row(r) for r in self.conn.execute(stmt.order_by("date", "id"))]

    def for_planning(
        self,
        centre_ids: Sequence[int],
        kinds: Sequence[ActivityKind],
        *,
        status: ActivityStatus | None = None,
        first: date | None = None,
    ) -> dict[int, list[Activity]]:
        """The activities of these kinds (in ``status``, dated from ``first``) by centre, by
        date: only the columns planning reads (rate, training, note, reason and recorded_at
        are left out), read through the index by kind and centre."""
        c = activities.c
        base = select(*PLANNING_COLUMNS).where(c.kind.in_(kinds))
        if status is not None:
            base = base.where(c.status == status)
        if first is not None:
            base = base.where(c.date >= first)
        result: dict[int, list[Activity]] = {i: [] for i in centre_ids}
        for chunk in chunks(centre_ids):
            for row in self.conn.execute(base.where(c.centre_id.in_(chunk))):
                result[row.centre_id].append(planning_activity(row))
        for mine in result.values():
            mine.sort(key=_by_date)
        return result

    def insert_many(
        self,
        planned: Sequence[tuple[int, Sequence[PlannedActivity]]],
        status: ActivityStatus,
        rates: dict[int, Decimal],
    ) -> None:
        """Insert the planned activities of many centres (centre, its activities) at once."""
        columns = self._columns(planned, status, rates)
        if columns["centre_id"]:
            insert_rows(self.conn, insert(activities), columns)

    def update_many(self, items: Sequence[tuple[int, dict[str, object]]]) -> None:
        """Set other values on many activities; one executemany per set of columns."""
        by_columns: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for activity_id, values in items:
            by_columns.setdefault(tuple(sorted(values)), []).append(
                {"ident": activity_id, **values}
            )
        remember_ids(self.conn, self.now, [activity_id for activity_id, _ in items])
        for columns, params in by_columns.items():
            stmt = update(activities).where(activities.c.id == bindparam("ident"))
            values = {name: bindparam(name) for name in columns}
            self.conn.execute(stmt.values(recorded_at=self.now, revision=REVISED, **values), params)

    def cancel_many(self, activity_ids: Sequence[int], reason: str) -> None:
        """Cancel planned activities (others are left alone) with one reason."""
        if activity_ids:
            planned = activities.c.status == ActivityStatus.PLANNED
            for chunk in chunks(activity_ids):
                remember(self.conn, self.now, activities.c.id.in_(chunk) & planned)
            stmt = update(activities).where(
                activities.c.id == bindparam("ident"), activities.c.status == ActivityStatus.PLANNED
            )
            values = {"status": ActivityStatus.CANCELLED, "reason": reason, "recorded_at": self.now}
            stmt = stmt.values(revision=REVISED, **values)
            self.conn.execute(stmt, [{"ident": i} for i in activity_ids])

    def insert(
        self,
        centre_id: int,
        planned: Sequence[PlannedActivity],
        status: ActivityStatus,
        rates: dict[int, Decimal],
    ) -> list[int]:
        if not planned:
            return []
        values = by_row(self._columns([(centre_id, planned)], status, rates))
        stmt = insert(activities).returning(activities.c.id, sort_by_parameter_order=True)
        return [int(i) for i in self.conn.execute(stmt, values).scalars()]

    def _columns(
        self,
        by_centre: Sequence[tuple[int, Sequence[PlannedActivity]]],
        status: ActivityStatus,
        rates: dict[int, Decimal],
    ) -> dict[str, Sequence[object]]:
        """The new rows of (centre, its planned activities), column by column."""
        planned = [p for _, mine in by_centre for p in mine]
        rows = len(planned)
        return {
            "centre_id": [centre_id for centre_id, mine in by_centre for _ in mine],
            "kind": [p.kind for p in planned],
            "key": [p.key for p in planned],
            "stage": [p.stage for p in planned],
            "date": [p.date for p in planned],
            "status": [status] * rows,
            "hours": [p.hours for p in planned],
            "coach_id": [p.coach_id for p in planned],
            "rate": [None if p.coach_id is None else rates.get(p.coach_id) for p in planned],
            "moved": [False] * rows,
            "recorded_at": [self.now] * rows,
            "created_at": [self.now] * rows,
        }

    def insert_one(
        self,
        centre_id: int,
        planned: PlannedActivity,
        status: ActivityStatus,
        rates: dict[int, Decimal],
    ) -> Activity:
        (new_id,) = self.insert(centre_id, [planned], status, rates)
        stored = self.get(new_id)
        assert stored is not None
        return stored

    def set_status(
        self,
        activity_id: int,
        status: ActivityStatus,
        *,
        expected: ActivityStatus | None = None,
        **values: object,
    ) -> bool:
        """Change one activity's status (and other columns); False if it was not ``expected``."""
        which = activities.c.id == activity_id
        if expected is not None:
            which = which & (activities.c.status == expected)
        remember(self.conn, self.now, which)
        stmt = (
            update(activities)
            .where(which)
            .values(status=status, recorded_at=self.now, revision=REVISED, **values)
        )
        return self.conn.execute(stmt).rowcount == 1

    def update(self, activity_id: int, **values: object) -> None:
        remember(self.conn, self.now, activities.c.id == activity_id)
        stmt = update(activities).where(activities.c.id == activity_id)
        self.conn.execute(stmt.values(recorded_at=self.now, revision=REVISED, **values))

    def hand_over(
        self,
        centre_id: int,
        first: date,
        former: int | None,
        coach_id: int | None,
        rate: Decimal | None,
    ) -> list[Activity]:
        """Give a centre's sessions and visits still planned from ``first`` on from coach
        ``former`` to ``coach_id`` (either may be None: no coach); returns them as they were.

        The sessions take the coach and their ``rate``; every one's revision is raised, so
        both coaches' feeds see the change. The former coach gets a handover row for each
        (their feed shows it as cancelled), the new one loses any they had.
        """
        found = self.find(
            ActivityFilter(centre_id=centre_id, status=ActivityStatus.PLANNED, first=first)
        )
        moving = [a for a in found if a.kind in FEED_KINDS]
        if not moving:
            return []
        session: dict[str, object] = {"coach_id": coach_id, "rate": rate}
        self.update_many(
            [(a.id, session if a.kind == ActivityKind.COACHING else {}) for a in moving]
        )
        ids = [a.id for a in moving]
        coaches = [i for i in (former, coach_id) if i is not None]
        for chunk in chunks(ids):
            stmt = delete(handovers).where(
                handovers.c.activity_id.in_(chunk), handovers.c.coach_id.in_(coaches)
            )
            self.conn.execute(stmt)
        if former is not None:
            assert self.now is not None, "a handover is recorded with its moment"
            rows = [{"activity_id": i, "coach_id": former, "recorded_at": self.now} for i in ids]
            self.conn.execute(insert(handovers), rows)
        return moving
