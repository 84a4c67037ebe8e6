"""Listing activities in SQL: with their centre and coach, filtered, ordered, a page at a time.

The lists of planned sessions and site visits read one page of rows and a count, never
every centre: the centre's name and district and the coach's name come by a join. By date
(the lists' first order) a page walks the index of kind, status and date and stops after
its rows; the count joins the centres only when it filters by them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, case, func, select

from thekiz_flow.core.activity_list import ActivityQuery, ActivitySort
from thekiz_flow.store.centre_query import like_pattern
from thekiz_flow.store.tables import activities, centres, coaches

#: The activities with their centre (always one) and their coach (if any).
JOINED: FromClause = activities.join(centres, centres.c.id == activities.c.centre_id).outerjoin(
    coaches, coaches.c.id == activities.c.coach_id
)
#: What a row of a list reads besides the activity's own columns.
LISTED_COLUMNS = (
    centres.c.name.label("centre_name"),
    centres.c.district.label("centre_district"),
    centres.c.coach_id.label("centre_coach_id"),
    coaches.c.name.label("coach_name"),
)

MAX_NUMBER_DIGITS = 18  # a longer number is no centre's (and would overflow the column)


def counted(query: ActivityQuery) -> Select[Any]:
    """How many activities ``query`` finds (on every page)."""
    narrows = query.district is not None or bool(query.text)
    source = (
        activities.join(centres, centres.c.id == activities.c.centre_id) if narrows else activities
    )
    return where(query, select(func.count()).select_from(source))


def where(query: ActivityQuery, stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (of ``JOINED``, or of the activities with their centre where it filters by
    the centre) limited to the activities ``query`` finds."""
    a, c = activities.c, centres.c
    stmt = stmt.where(a.kind == query.kind, a.status == query.status)
    if query.first is not None:
        stmt = stmt.where(a.date >= query.first)
    if query.last is not None:
        stmt = stmt.where(a.date <= query.last)
    if query.coach_id is not None:
        stmt = stmt.where(a.coach_id == query.coach_id)
    if query.without_coach:
        stmt = stmt.where(a.coach_id.is_(None))
    if query.district is not None:
        stmt = stmt.where(c.district == query.district)
    if query.text:
        found: ColumnElement[bool] = c.name.ilike(like_pattern(query.text), escape="\\")
        if query.text.isdigit() and len(query.text) <= MAX_NUMBER_DIGITS:
            found = found | (c.id == int(query.text))  # a centre's number finds it too
        stmt = stmt.where(found)
    return stmt


def order(query: ActivityQuery) -> list[ColumnElement[Any]]:
    """The ORDER BY of ``query``: its sort's first key as asked, then by date and number
    (by date: then by number, the same way)."""
    a, c = activities.c, centres.c
    name = func.lower(c.name)
    coach = func.lower(coaches.c.name)

    def first(key: ColumnElement[Any]) -> ColumnElement[Any]:
        return key.desc() if query.descending else key.asc()

    keys: dict[ActivitySort, list[ColumnElement[Any]]] = {
        ActivitySort.DATE: [first(a.date), first(a.id)],  # as the index has them: no sort
        ActivitySort.CENTRE: [first(name), first(c.district), c.id, a.date, a.id],
        ActivitySort.DISTRICT: [first(c.district), name, c.id, a.date, a.id],
        # without a coach last either way (NULLs sort differently in SQLite and PostgreSQL)
        ActivitySort.COACH: [
            case((coaches.c.name.is_(None), 1), else_=0),
            first(coach),
            a.date,
            a.id,
        ],
    }
    return keys[query.sort]
