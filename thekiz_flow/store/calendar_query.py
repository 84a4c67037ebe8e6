"""The calendar in SQL: per day a count of the sessions and site visits, and the first few.

A month of a large programme has tens of thousands of sessions; the calendar shows per day
how many there are and at most a few of them, and lists a whole day a page at a time. One
statement reads a month: for each kind and status the days are grouped and counted on a
range of an index (kind, status, date: only the index is read), and for each of those days
a correlated subquery takes the first few by number from the same index (a short range,
left after its rows); only these few rows are read with their centre and coach. The
filters (a coach, a district) are terms of the same queries: a coach's sessions by their
coach, the site visits by their centre's coach, a district by the centre.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Executable,
    FromClause,
    Select,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)

from thekiz_flow.core.activity_list import (
    CALENDAR_KINDS,
    CALENDAR_STATUSES,
    CalendarDay,
    CalendarQuery,
    ListedActivity,
)
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.store import activity_query
from thekiz_flow.store.activities import activity_from_row, chunks
from thekiz_flow.store.tables import activities, centres


@dataclass(frozen=True)
class _Shape:
    """What a statement of the calendar filters by: its form, the values are parameters
    (``first``, ``last``, ``coach``, ``district``), so that it is built and compiled once."""

    coach: bool
    district: bool

    @staticmethod
    def of(query: CalendarQuery) -> _Shape:
        return _Shape(query.coach_id is not None, query.district is not None)


def _params(query: CalendarQuery) -> dict[str, object]:
    return {
        "first": query.first,
        "last": query.last,
        "coach": query.coach_id,
        "district": query.district,
    }


def _of_kind(
    shape: _Shape,
    kind: ActivityKind,
    status: ActivityStatus,
    names: Sequence[str],
    extra: Sequence[Any] = (),
    a_table: FromClause = activities,
    c_table: FromClause = centres,
    *,
    dated: bool = True,
) -> Select[Any]:
    """The columns ``names`` (and the expressions ``extra``) of the activities of one kind
    and status that the query finds: of ``a_table`` (the activities or a copy), joined with
    ``c_table`` (their centres, or a copy) where a filter asks for it. A coach's: the
    sessions they hold, the site visits of the centres they accompany. ``dated``: from
    ``first`` to ``last`` (else the caller names the day)."""
    a, c = a_table.c, c_table.c
    joins = shape.district or (shape.coach and kind == ActivityKind.SITE_VISIT)
    source = a_table.join(c_table, c.id == a.centre_id) if joins else a_table
    stmt = select(*(a[name] for name in names), *extra).select_from(source)
    stmt = stmt.where(a.kind == kind, a.status == status)
    if shape.coach:
        coach = c.coach_id if kind == ActivityKind.SITE_VISIT else a.coach_id
        stmt = stmt.where(coach == bindparam("coach"))
    if shape.district:
        stmt = stmt.where(c.district == bindparam("district"))
    return stmt.where(a.date.between(bindparam("first"), bindparam("last"))) if dated else stmt


def _kinds() -> list[tuple[ActivityKind, ActivityStatus]]:
    return [(kind, status) for kind in CALENDAR_KINDS for status in CALENDAR_STATUSES]


@lru_cache(maxsize=8)
def _counts(shape: _Shape) -> Executable:
    """The counts by day of each kind and status (``part``: its place in ``_kinds()``)."""
    parts = [
        _of_kind(
            shape,
            kind,
            status,
            ("date",),
            (func.count().label("n"), literal(n).label("part")),
        ).group_by(activities.c.date)
        for n, (kind, status) in enumerate(_kinds())
    ]
    return union_all(*parts)


@lru_cache(maxsize=32)
def _days(shape: _Shape, shown: int) -> Executable:
    """For each kind and status (``part``: its place in ``_kinds()``), the days with their
    count and the numbers of their first ``shown`` activities (``first_0`` ...; NULL when
    there are fewer), each a correlated subquery on the same index: the day's range of it,
    stepped into by its place. Only what picks the ones shown; no join, no sort."""
    parts = []
    for n, (kind, status) in enumerate(_kinds()):
        days = (
            _of_kind(shape, kind, status, ("date",), (func.count().label("n"),))
            .group_by(activities.c.date)
            .subquery("days")
        )
        z, zc = activities.alias("z"), centres.alias("zc")
        firsts = [
            _of_kind(shape, kind, status, ("id",), (), z, zc, dated=False)
            .where(z.c.date == days.c.date)
            .order_by(z.c.id)
            .offset(place)
            .limit(1)
            .correlate(days)
            .scalar_subquery()
            .label(f"first_{place}")
            for place in range(shown)
        ]
        columns = (days.c.date, days.c.n, literal(n).label("part"), *firsts)
        parts.append(select(*columns).select_from(days))
    return union_all(*parts)


def _listed(row: Any) -> ListedActivity:
    return ListedActivity(
        activity_from_row(row),
        row.centre_name,
        row.centre_district,
        row.coach_name,
        row.centre_coach_id,
    )


class CalendarStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def counts(self, query: CalendarQuery) -> dict[tuple[date, ActivityKind, ActivityStatus], int]:
        """How many activities ``query`` finds, by day, kind and status (none: absent): one
        statement, each of its parts a range of an index."""
        found: dict[tuple[date, ActivityKind, ActivityStatus], int] = {}
        for row in self.conn.execute(_counts(_Shape.of(query)), _params(query)):
            kind, status = _kinds()[row.part]
            found[row.date, kind, status] = int(row.n)
        return found

    def days(self, query: CalendarQuery, shown: int) -> list[CalendarDay]:
        """The days from ``query.first`` to ``query.last`` that have activities: their
        counts by kind and their first ``shown`` activities (site visits first, then by
        number), by day: the counts and the candidates in one statement, then the rows
        shown with their centre and coach."""
        counts: dict[tuple[date, ActivityKind, ActivityStatus], int] = {}
        candidates: dict[date, list[tuple[int, int]]] = defaultdict(list)
        for row in self.conn.execute(_days(_Shape.of(query), shown), _params(query)):
            kind, status = _kinds()[row.part]
            counts[row.date, kind, status] = int(row.n)
            order = CALENDAR_KINDS.index(kind)
            firsts = (row._mapping[f"first_{place}"] for place in range(shown))
            candidates[row.date] += [(order, i) for i in firsts if i is not None]
        chosen = [i for found in candidates.values() for _, i in sorted(found)[:shown]]
        listed: dict[date, list[ListedActivity]] = defaultdict(list)
        for ids in chunks(chosen):
            stmt = select(activities, *activity_query.LISTED_COLUMNS)
            stmt = stmt.select_from(activity_query.JOINED).where(activities.c.id.in_(ids))
            for row in self.conn.execute(stmt):
                listed[row.date].append(_listed(row))
        by_day: dict[date, dict[ActivityKind, int]] = defaultdict(dict)
        for (day, kind, _), count in counts.items():
            by_day[day][kind] = by_day[day].get(kind, 0) + count
        return [
            CalendarDay(day, by_day[day], sorted(listed[day], key=_day_order))
            for day in sorted(by_day)
        ]

    def day(self, query: CalendarQuery, offset: int, limit: int) -> list[ListedActivity]:
        """One page of the activities of one day (``query.first``): site visits first, then
        by centre (name, district), then by number."""
        a = activities.c
        stmt = select(activities, *activity_query.LISTED_COLUMNS).select_from(activity_query.JOINED)
        stmt = stmt.where(
            a.kind.in_(CALENDAR_KINDS), a.status.in_(CALENDAR_STATUSES), a.date == query.first
        )
        if query.coach_id is not None:
            sessions = (a.kind == ActivityKind.COACHING) & (a.coach_id == query.coach_id)
            visits = (a.kind == ActivityKind.SITE_VISIT) & (centres.c.coach_id == query.coach_id)
            stmt = stmt.where(or_(sessions, visits))
        if query.district is not None:
            stmt = stmt.where(centres.c.district == query.district)
        first = case((a.kind == ActivityKind.SITE_VISIT, 0), else_=1)
        stmt = stmt.order_by(first, func.lower(centres.c.name), centres.c.district, a.id)
        return [_listed(row) for row in self.conn.execute(stmt.offset(offset).limit(limit))]


def _day_order(listed: ListedActivity) -> tuple[int, int]:
    """Within a day: site visits first, then by number."""
    return CALENDAR_KINDS.index(listed.activity.kind), listed.activity.id
