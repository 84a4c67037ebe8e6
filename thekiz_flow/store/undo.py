"""The activities as they were recorded at a moment: an undo log, kept off the hot paths.

Before a statement changes or deletes activities, :func:`remember` copies their rows as they
are into ``activity_undo``, stamped with the moment of the change (``changed_at``). Inserting
an activity writes nothing more than its row (``created_at``), and a state that was current
for no time at all is not copied: that of a row created in the same moment, or changed
already in it (kept then; so one change after another within a moment keeps what a batch
of them keeps). Planning, which inserts many activities, pays for the few it changes only.

An activity as recorded before a moment ``T`` is then (:func:`as_recorded`):

* absent if it was created at or after ``T`` (``created_at``; None: it always existed);
* else the state kept by its first change at or after ``T``, if it changed since;
* else its row as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Subquery,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)

from thekiz_flow.store.tables import UTCDateTime, activities, activity_undo

#: The columns an undo row keeps of an activity: all but its id.
KEPT = [column.name for column in activities.c if column.name != "id"]
CHUNK = 900  # ids per IN list: below SQLite's limit of bound parameters


def remember(conn: Connection, now: datetime | None, where: ColumnElement[bool]) -> None:
    """Keep the activities ``where`` finds as they are now, before a change at ``now``.

    A store without a moment (``now`` None) records no changes' time and keeps nothing."""
    if now is None:
        return
    a, u = activities.c, activity_undo.c
    kept_now = exists().where(u.activity_id == a.id, u.changed_at == now)
    state = select(a.id, literal(now, UTCDateTime()), *(a[name] for name in KEPT)).where(
        where, or_(a.created_at.is_(None), a.created_at != now), ~kept_now
    )
    columns = ["activity_id", "changed_at", *KEPT]
    conn.execute(insert(activity_undo).from_select(columns, state))


def remember_ids(conn: Connection, now: datetime | None, ids: Sequence[int]) -> None:
    """:func:`remember` of these activities."""
    for start in range(0, len(ids), CHUNK):
        remember(conn, now, activities.c.id.in_(ids[start : start + CHUNK]))


def as_recorded(before: datetime) -> Subquery:
    """Every activity as it was recorded before ``before``: a subquery with the columns of
    ``activities``, to select from instead of the table."""
    a, u = activities.c, activity_undo.c
    existed = or_(a.created_at.is_(None), a.created_at < before)
    changed = exists().where(u.activity_id == a.id, u.changed_at >= before)
    current = select(a.id, *(a[name] for name in KEPT)).where(existed, ~changed)
    later = activity_undo.alias("later")
    first: Any = (
        select(func.min(later.c.id))
        .where(later.c.activity_id == u.activity_id, later.c.changed_at >= before)
        .scalar_subquery()
    )
    kept = select(u.activity_id.label("id"), *(u[name] for name in KEPT)).where(
        u.changed_at >= before,
        u.id == first,
        or_(u.created_at.is_(None), u.created_at < before),
    )
    return union_all(current, kept).subquery("recorded")
