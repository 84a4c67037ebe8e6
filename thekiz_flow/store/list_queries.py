"""Finding trainings, messages of the outbox, coaches and users in SQL: the filters, the
order and the page of their lists (:mod:`thekiz_flow.core.lists`).

Each list is one statement with the filters (``*_where``), counted once and read a page
at a time in its order (``*_order``), the id last so that pages never overlap.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, case, func, or_, select

from thekiz_flow.core.enums import ActivityStatus, Role
from thekiz_flow.core.lists import (
    CoachQuery,
    CoachSort,
    OutboxQuery,
    OutboxSort,
    TrainingQuery,
    TrainingSort,
    UserQuery,
    UserSort,
    descending,
)
from thekiz_flow.store.centre_query import like_pattern
from thekiz_flow.store.tables import activities, centres, coaches, outbox, trainings, users

#: The columns of the outbox a list shows: no bodies, no attachments.
OUTBOX_LISTED = [
    c for c in outbox.c if c.name not in ("body_text", "body_html", "attachments", "calendar")
]


def paged(
    conn: Connection,
    stmt: Select[Any],
    order: list[ColumnElement[Any]],
    offset: int,
    limit: int | None,
    total: int | None = None,
) -> tuple[list[Any], int]:
    """The rows of ``stmt`` on one page, in ``order``, and how many rows it finds (counted,
    unless ``total`` says so already)."""
    if total is None:
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = int(conn.execute(counted).scalar_one())
    rows = conn.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()
    return list(rows), total


def _contains(text: str, *columns: ColumnElement[Any]) -> ColumnElement[bool]:
    """Any of ``columns`` holds ``text`` (any case)."""
    pattern = like_pattern(text)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


# ---------------------------------------------------------------- trainings
def enrolled() -> ColumnElement[int]:
    """Per training: its enrolments planned or held (the seats taken)."""
    a = activities.c
    return (
        select(func.count())
        .where(
            a.training_id == trainings.c.id,
            a.status.in_((ActivityStatus.PLANNED, ActivityStatus.HELD)),
        )
        .scalar_subquery()
    )


def free_seats() -> ColumnElement[int]:
    """Per training: its seats not taken (none once it is called off)."""
    t = trainings.c
    return case((t.cancelled_at.is_not(None), 0), else_=t.capacity - enrolled())


def training_where(query: TrainingQuery, stmt: Select[Any]) -> Select[Any]:
    t = trainings.c
    if query.text:
        stmt = stmt.where(_contains(query.text, t.title, t.place))
    if query.first is not None:
        stmt = stmt.where(t.date >= query.first)
    if query.last is not None:
        stmt = stmt.where(t.date <= query.last)
    if query.free_only:
        stmt = stmt.where(free_seats() > 0)
    if query.cancelled is not None:
        stmt = stmt.where(
            t.cancelled_at.is_not(None) if query.cancelled else t.cancelled_at.is_(None)
        )
    return stmt


def training_order(sort: TrainingSort) -> list[ColumnElement[Any]]:
    t = trainings.c
    first: dict[TrainingSort, list[ColumnElement[Any]]] = {
        TrainingSort.DATE: [t.date],
        TrainingSort.DATE_DESC: [t.date.desc()],
        TrainingSort.TITLE: [func.lower(t.title), t.date],
        TrainingSort.FREE: [free_seats().desc(), t.date],
    }
    return [*first[sort], t.id.desc() if descending(sort) else t.id]


# ------------------------------------------------------------------- outbox
def outbox_where(query: OutboxQuery, stmt: Select[Any]) -> Select[Any]:
    c = outbox.c
    for column, value in ((c.status, query.status), (c.role, query.role), (c.rule, query.rule)):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.text:
        stmt = stmt.where(_contains(query.text, c.recipient, c.subject))
    if query.due_from is not None:
        stmt = stmt.where(c.due_at >= query.due_from)
    if query.due_before is not None:
        stmt = stmt.where(c.due_at < query.due_before)
    return stmt


def outbox_order(sort: OutboxSort) -> list[ColumnElement[Any]]:
    """The newest message first is the one written last (walking the primary key)."""
    return [outbox.c.id.desc() if sort == OutboxSort.NEWEST else outbox.c.id]


# ------------------------------------------------------------------ coaches
def coaches_with_centres() -> tuple[Select[Any], ColumnElement[int]]:
    """Every coach with their number of centres (one pass over the centres' index by coach),
    and that number's column for an order."""
    per_coach = (
        select(centres.c.coach_id, func.count().label("assigned"))
        .where(centres.c.coach_id.is_not(None))
        .group_by(centres.c.coach_id)
        .subquery()
    )
    assigned = func.coalesce(per_coach.c.assigned, 0)
    stmt = select(coaches, assigned.label("assigned")).outerjoin(
        per_coach, per_coach.c.coach_id == coaches.c.id
    )
    return stmt, assigned


def coach_where(query: CoachQuery, stmt: Select[Any]) -> Select[Any]:
    c = coaches.c
    if query.active is not None:
        stmt = stmt.where(c.active == query.active)
    if query.text:
        stmt = stmt.where(_contains(query.text, c.name, c.email))
    return stmt


LOAD_SORTS = (CoachSort.CENTRES, CoachSort.CENTRES_DESC)  # orders by the number of centres


def coach_order(
    sort: CoachSort, assigned: ColumnElement[int] | None = None
) -> list[ColumnElement[Any]]:
    """The order of ``sort``; ``assigned``, the number of centres, for the LOAD_SORTS."""
    c = coaches.c
    name = func.lower(c.name)
    first: list[ColumnElement[Any]]
    if sort in LOAD_SORTS:
        assert assigned is not None
        first = [assigned if sort == CoachSort.CENTRES else assigned.desc(), name]
    else:
        orders: dict[CoachSort, list[ColumnElement[Any]]] = {
            CoachSort.NAME: [name],
            CoachSort.NAME_DESC: [name.desc()],
            CoachSort.RATE: [c.rate, name],
            CoachSort.RATE_DESC: [c.rate.desc(), name],
        }
        first = orders[sort]
    return [*first, c.id]


# -------------------------------------------------------------------- users
def user_where(query: UserQuery, stmt: Select[Any]) -> Select[Any]:
    c = users.c
    if query.role is not None:
        stmt = stmt.where(c.role == query.role)
    if query.disabled is not None:
        stmt = stmt.where(c.disabled == query.disabled)
    if query.text:
        stmt = stmt.where(_contains(query.text, c.email))
    return stmt


def user_order(sort: UserSort) -> list[ColumnElement[Any]]:
    c = users.c
    roles = {str(role): i for i, role in enumerate(Role)}
    first: dict[UserSort, list[ColumnElement[Any]]] = {
        UserSort.EMAIL: [c.email],
        UserSort.EMAIL_DESC: [c.email.desc()],
        UserSort.ROLE: [case(roles, value=c.role, else_=len(roles)), c.email],
        UserSort.CREATED: [c.created_at, c.id],
        UserSort.CREATED_DESC: [c.created_at.desc(), c.id.desc()],
    }
    return [*first[sort], c.id]
