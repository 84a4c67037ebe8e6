"""The digest's reading of the store: the year's activities counted and paired by the
database, the audit trail and the held site visits, each in one query ordered by centre.

Python sees no single activity: one GROUP BY counts them per centre into tallies, and a
window function (LAG) pairs each centre's held sessions in a row, of which only the pairs
that lie far enough apart to be a gap in some stage leave the database
(:func:`thekiz_flow.core.tallies.shortest_gap`). Both come ordered by centre,
so the digest takes them a part of the centres at a time (:class:`ByCentre`), as it takes
the stage changes and site visits up to the year's end. Of these and of the centres only
the columns it reads leave the database, as tuples, fetched a batch at a time.

Hours and rates stay group keys rather than being summed in SQL: SQLite keeps them as
floating point, so the digest multiplies and rounds them itself, exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Date, Select, Subquery, Table, func, select

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.history import Step
from thekiz_flow.core.tallies import CentreRow, Pair, Tally
from thekiz_flow.store.activities import KIND_OF, STATUS_OF
from thekiz_flow.store.corrections import withdrawn
from thekiz_flow.store.tables import activities, centres, stage_changes
from thekiz_flow.store.undo import as_recorded

T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])
BATCH = 1000  # rows fetched at a time


class DigestQueries:
    """The digest's queries on one connection: of everything as it is, or, given
    ``before``, as it was recorded before that moment (the centres stored by then, their
    stage changes recorded by then, the activities as they were: ``store/undo.py``)."""

    def __init__(self, connection: Connection, before: datetime | None = None) -> None:
        self.conn = connection
        self.before = before
        self.acts: Table | Subquery = activities if before is None else as_recorded(before)

    def members(self) -> list[CentreRow]:
        """All centres by id, only what the digest reads of them."""
        c = centres.c
        stmt = select(c.id, c.name, c.district, c.stage_since, c.registered).order_by(c.id)
        if self.before is not None:
            stmt = stmt.where(c.created_at < self.before)
        return [CentreRow(*row) for row in self.conn.execute(stmt)]

    def tallies(self, first: date, last: date) -> Iterator[tuple[int, Tally]]:
        """The activities dated from ``first`` to ``last``, counted: (centre id, tally) by
        centre."""
        c = self.acts.c
        keys = (c.centre_id, c.kind, c.stage, c.status, c.training_id, c.hours, c.rate)
        stmt = (
            select(*keys, func.count(), func.min(c.date), func.max(c.date))
            .where(c.date.between(first, last))
            .group_by(*keys)
            .order_by(*keys)  # as grouped: no second sort
        )
        for centre_id, kind, stage, status, *values in self.conn.execute(_batched(stmt)):
            yield centre_id, Tally(KIND_OF[kind], stage, STATUS_OF[status], *values)

    def pairs(self, first: date, last: date, shortest: int) -> Iterator[tuple[int, Pair]]:
        """Held sessions dated from ``first`` to ``last`` in a row that lie more than
        ``shortest`` days apart: (centre id, (earlier, later)) by centre."""
        c = self.acts.c
        earlier = func.lag(c.date, type_=Date).over(partition_by=c.centre_id, order_by=c.date)
        held = (
            select(c.centre_id, earlier.label("earlier"), c.date.label("later"))
            .where(
                c.kind == ActivityKind.COACHING,
                c.status == ActivityStatus.HELD,
                c.date.between(first, last),
            )
            .subquery()
        )
        days = _days_between(self.conn, held.c.earlier, held.c.later)
        stmt = (
            select(held.c.centre_id, held.c.earlier, held.c.later)
            .where(days > shortest)
            .order_by(held.c.centre_id, held.c.later)
        )
        for centre_id, before, after in self.conn.execute(_batched(stmt)):
            yield centre_id, (before, after)

    def histories(self, last: date) -> Iterator[tuple[int, Step]]:
        """Stage changes effective up to ``last`` and not reverted (as recorded), in the order
        recorded: (centre id, step) by centre."""
        c = stage_changes.c
        stmt = (
            select(c.centre_id, c.trigger, c.from_stage, c.to_stage, c.effective)
            .where(c.effective <= last, ~withdrawn(c.id, self.before))
            .order_by(c.centre_id, c.id)
        )
        if self.before is not None:
            stmt = stmt.where(c.recorded_at < self.before)
        for centre_id, *step in self.conn.execute(_batched(stmt)):
            yield centre_id, Step(*step)

    def visits(self, last: date) -> Iterator[tuple[int, tuple[date, str]]]:
        """Site visits held up to ``last``: (centre id, (date, stage)) by centre."""
        c = self.acts.c
        stmt = (
            select(c.centre_id, c.date, c.stage)
            .where(
                c.kind == ActivityKind.SITE_VISIT, c.status == ActivityStatus.HELD, c.date <= last
            )
            .order_by(c.centre_id)
        )
        for centre_id, day, stage in self.conn.execute(_batched(stmt)):
            yield centre_id, (day, stage)


def _batched(stmt: S) -> S:
    """``stmt`` fetched a batch of rows at a time: no row is fetched alone, and no more than a
    batch is held."""
    return stmt.execution_options(yield_per=BATCH)


def _days_between(
    conn: Connection, earlier: ColumnElement[Any], later: ColumnElement[Any]
) -> ColumnElement[Any]:
    """Days from one date column to another: SQLite keeps dates as ISO text."""
    if conn.dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return later - earlier


class ByCentre(Generic[T]):
    """(centre id, row) pairs ordered by centre id, handed out a part of the centres at a time."""

    def __init__(self, rows: Iterable[tuple[int, T]]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def upto(self, last_id: int) -> dict[int, list[T]]:
        """The rows not yet handed out of the centres up to ``last_id``, by centre."""
        taken: dict[int, list[T]] = defaultdict(list)
        while self._next is not None and self._next[0] <= last_id:
            centre_id, row = self._next
            taken[centre_id].append(row)
            self._next = next(self._rows, None)
        return dict(taken)
