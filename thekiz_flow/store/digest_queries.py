"""The digest's reading of the store: the year's activities, the audit trail and the held
site visits, each in one query ordered by centre.

The year's activities are read once, in one scan ordered by centre and date, and counted on
the way into tallies of the activities alike in all but their date; the held sessions in a
row are paired on the same way, and only the pairs that lie far enough apart to be a gap in
some stage are kept (:func:`thekiz_flow.core.tallies.shortest_gap`). One scan costs less
than a GROUP BY over seven keys and a window function (LAG) each, and hands over as many
rows as the two together. Everything comes ordered by centre, so the digest takes it a part
of the centres at a time (:class:`ByCentre`). Of the centres, activities, stage changes
and site visits only the columns the digest reads leave the database, as tuples, fetched a
batch at a time.

On SQLite, dates arrive as ISO text and hours and rates as floating point: the digest
groups by the values as stored and converts them (the column type's own conversion) once
per value a query hands over, and dates only where it reads them. It multiplies hours and
rates and rounds them itself, exactly. The held site visits come from an index alone (kind,
status, centre, stage, date), in the order of the centres and their stages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import cache
from itertools import chain, groupby
from operator import itemgetter
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Subquery,
    Table,
    func,
    select,
    type_coerce,
)
from sqlalchemy.types import NullType

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.history import Step
from thekiz_flow.core.tallies import CentreRow, Pair, Tally
from thekiz_flow.store.activities import KIND_OF, STATUS_OF
from thekiz_flow.store.corrections import withdrawn
from thekiz_flow.store.tables import activities, centres, stage_changes, trainings
from thekiz_flow.store.undo import as_recorded

T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])
BATCH = 1000  # rows fetched at a time


class DigestQueries:
    """The digest's queries on one connection: of everything as it is, or, given
    ``before``, as it was recorded before that moment (the centres stored by then, their
    stage changes recorded by then, the activities as they were: ``store/undo.py``); of
    every centre or, given ``only``, of those centres alone (a few thousand at most)."""

    def __init__(
        self,
        connection: Connection,
        before: datetime | None = None,
        only: Sequence[int] | None = None,
    ) -> None:
        self.conn = connection
        self.before = before
        self.only = only
        self.acts: Table | Subquery = activities if before is None else as_recorded(before)

    def _among(self, stmt: S, centre_id: ColumnElement[int]) -> S:
        """``stmt`` of the centres asked for."""
        return stmt if self.only is None else stmt.where(centre_id.in_(self.only))

    def members(self) -> list[CentreRow]:
        """All centres by id, only what the digest reads of them."""
        c = centres.c
        stored = self._stored
        stmt = select(c.id, c.name, c.district, stored(c.stage_since), stored(c.registered))
        stmt = self._among(stmt, c.id).order_by(c.id)
        if self.before is not None:
            stmt = stmt.where(c.created_at < self.before)
        day = self._values(c.stage_since)
        return [
            CentreRow(id_, name, district, day(since), None if known is None else day(known))
            for id_, name, district, since, known in self.conn.execute(stmt)
        ]

    def training_kinds(self) -> dict[int, str]:
        """The kind of each training, by id."""
        t = trainings.c
        return {int(row.id): str(row.kind) for row in self.conn.execute(select(t.id, t.kind))}

    def counted(
        self, first: date, last: date, shortest: int
    ) -> Iterator[tuple[int, tuple[list[Tally], list[Pair]]]]:
        """The activities dated from ``first`` to ``last``, by centre: (centre id, (tallies,
        pairs)), the tallies counting the centre's activities alike in all but their date,
        the pairs its held sessions in a row that lie more than ``shortest`` days apart."""
        c = self.acts.c
        stored = self._stored
        stmt = (
            select(
                c.centre_id,
                c.kind,
                c.stage,
                c.status,
                c.training_id,
                stored(c.hours),
                stored(c.rate),
                stored(c.date),
            )
            .where(c.date.between(first, last))
            .order_by(c.centre_id, c.date)
        )
        stmt = self._among(stmt, c.centre_id)
        day, hours, rate = self._values(c.date), self._values(c.hours), self._values(c.rate)
        coaching, held = ActivityKind.COACHING.value, ActivityStatus.HELD.value
        current: int | None = None
        groups: dict[tuple[Any, ...], list[Any]] = {}
        pairs: list[Pair] = []
        before: date | None = None
        for part in self.conn.execute(_batched(stmt)).partitions():
            for centre_id, kind, stage, status, training_id, hour, cost, when in part:
                if centre_id != current:
                    if current is not None:
                        yield current, (_tallies(groups, day, hours, rate), pairs)
                    current, groups, pairs, before = centre_id, {}, [], None
                key = (kind, stage, status, training_id, hour, cost)
                seen = groups.get(key)
                if seen is None:
                    groups[key] = [1, when, when]
                else:
                    seen[0] += 1
                    seen[2] = when
                if kind == coaching and status == held:
                    later = day(when)
                    if before is not None and (later - before).days > shortest:
                        pairs.append((before, later))
                    before = later
        if current is not None:
            yield current, (_tallies(groups, day, hours, rate), pairs)

    def histories(self, last: date) -> Iterator[tuple[int, list[Step]]]:
        """Stage changes effective up to ``last`` and not reverted (as recorded), in the order
        recorded: (centre id, its steps) by centre."""
        c = stage_changes.c
        stmt = (
            select(c.centre_id, c.trigger, c.from_stage, c.to_stage, self._stored(c.effective))
            .where(c.effective <= last, ~withdrawn(c.id, self.before))
            .order_by(c.centre_id, c.id)
        )
        stmt = self._among(stmt, c.centre_id)
        if self.before is not None:
            stmt = stmt.where(c.recorded_at < self.before)
        day = self._values(c.effective)
        for centre_id, rows in self._by_centre(stmt):
            yield centre_id, [Step(t, was, to, day(when)) for _, t, was, to, when in rows]

    def visits(self, last: date) -> Iterator[tuple[int, list[tuple[date, str]]]]:
        """The last site visit held up to ``last`` in each stage: (centre id, its (date,
        stage)) by centre. (Whether a stay's visit was held needs no other.)"""
        c = self.acts.c
        stmt = (
            select(c.centre_id, self._stored(func.max(c.date)), c.stage)
            .where(
                c.kind == ActivityKind.SITE_VISIT, c.status == ActivityStatus.HELD, c.date <= last
            )
            .group_by(c.centre_id, c.stage)
            .order_by(c.centre_id, c.stage)
        )
        stmt = self._among(stmt, c.centre_id)
        day = self._values(c.date)
        for centre_id, rows in self._by_centre(stmt):
            yield centre_id, [(day(when), stage) for _, when, stage in rows]

    def _by_centre(self, stmt: Select[Any]) -> Iterator[tuple[int, Iterator[Any]]]:
        """The rows of ``stmt``, ordered by the centre id in their first column, by centre."""
        rows = chain.from_iterable(self.conn.execute(_batched(stmt)).partitions())
        return groupby(rows, key=itemgetter(0))

    def _stored(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """``column`` as the database hands it over: on SQLite without the conversion per row
        (see the module), elsewhere as typed."""
        return type_coerce(column, NullType()) if _sqlite(self.conn) else column

    def _values(self, column: ColumnElement[Any]) -> Callable[[Any], Any]:
        """How a value of ``column`` read :meth:`_stored` becomes what the column's type
        makes of it: on SQLite that type's own conversion, once per value (a query's dates,
        hours and rates repeat a few hundred values), elsewhere as it is."""
        if not _sqlite(self.conn):
            return _same
        dialect = self.conn.dialect
        convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
        return _same if convert is None else cache(convert)


def _same(value: T) -> T:
    return value


def _sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _tallies(
    groups: dict[tuple[Any, ...], list[Any]],
    day: Callable[[Any], Any],
    hours: Callable[[Any], Any],
    rate: Callable[[Any], Any],
) -> list[Tally]:
    """A centre's activities grouped by (kind, stage, status, training, hours, rate), each
    group's [number, first date, last date] as stored, as tallies."""
    return [
        Tally(
            KIND_OF[kind],
            stage,
            STATUS_OF[status],
            training_id,
            hours(hour),
            rate(cost),
            number,
            day(first),
            day(last),
        )
        for (kind, stage, status, training_id, hour, cost), (number, first, last) in groups.items()
    ]


def _batched(stmt: S) -> S:
    """``stmt`` fetched a batch of rows at a time: no row is fetched alone, and no more than a
    batch is held."""
    return stmt.execution_options(yield_per=BATCH)


class ByCentre(Generic[T]):
    """(centre id, what it has) pairs ordered by centre id, one per centre, handed out a part
    of the centres at a time."""

    def __init__(self, rows: Iterable[tuple[int, T]]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def upto(self, last_id: int) -> dict[int, T]:
        """What the centres up to ``last_id`` have, not yet handed out, by centre."""
        taken: dict[int, T] = {}
        following, rows = self._next, self._rows
        while following is not None and following[0] <= last_id:
            taken[following[0]] = following[1]
            following = next(rows, None)
        self._next = following
        return taken
