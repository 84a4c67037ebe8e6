"""What the forecast reads: today's centres as it starts them, and the few readings of the
audit trail it needs (each centre's programme-year start, the changes counted by stage,
the time spent in a stage), each one query over the trail in force instead of the whole
trail read into Python."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import NamedTuple

from sqlalchemy import Connection, Date, and_, func, or_, select

from thekiz_flow.store.corrections import withdrawn
from thekiz_flow.store.tables import centres, stage_changes


class SeedRow(NamedTuple):
    """A centre as the forecast starts it."""

    id: int
    district: str
    stage: str
    since: date  # its stay in the stage began (a renewal does not begin one)
    year_start: date  # its current programme year began (a renewal begins one)
    coach_id: int | None


class Span(NamedTuple):
    """A centre's time in a stage: from ``first`` (None: from the start, the initial stage
    before its first change) to ``after`` (None: it is still there); ``known``: the day the
    programme knew the centre."""

    known: date
    first: date | None
    after: date | None


class ForecastReads:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def seeds(self, stages: Collection[str], day: date, returns: Collection[str]) -> list[SeedRow]:
        """The centres now in one of ``stages``, by id. A centre's programme year began
        with the last change into its stage in force by ``day`` that is not a return from
        a pause (``returns``: those transitions), as `history.stay_start` reads it with
        renewals; without one, on the day it entered the stage."""
        s, c = stage_changes.c, centres.c
        year = (
            select(s.centre_id, func.max(s.effective).label("day"))
            .join(centres, c.id == s.centre_id)
            .where(
                s.to_stage == c.stage,
                s.trigger.not_in(returns),
                s.effective <= day,
                ~withdrawn(s.id),
            )
            .group_by(s.centre_id)
            .subquery()
        )
        stmt = (
            select(
                c.id,
                c.district,
                c.stage,
                func.coalesce(c.episode_start, c.stage_since),
                func.coalesce(year.c.day, c.stage_since),
                c.coach_id,
            )
            .outerjoin(year, year.c.centre_id == c.id)
            .where(c.stage.in_(stages))
            .order_by(c.id)
        )
        return [SeedRow(*row) for row in self.conn.execute(stmt)]

    def changes(
        self, pairs: Collection[tuple[str, str]], before: date
    ) -> dict[tuple[str, str], int]:
        """The changes in force from one stage to another (``pairs``) that took effect
        before ``before``, counted by (from, to): from the index of the changes by stages."""
        s = stage_changes.c
        if not pairs:
            return {}
        stmt = (
            select(s.from_stage, s.to_stage, func.count())
            .where(
                or_(*(and_(s.from_stage == a, s.to_stage == b) for a, b in pairs)),
                s.effective < before,
                ~withdrawn(s.id),
            )
            .group_by(s.from_stage, s.to_stage)
        )
        return {(source, dest): count for source, dest, count in self.conn.execute(stmt)}

    def spans(self, stage: str, initial: str, before: date) -> list[Span]:
        """Every centre's times in ``stage`` that began before ``before`` (a change in force
        begins one, the next change in force ends it; of one day, the one recorded last
        holds); for the ``initial`` stage, also the time before a centre's first change."""
        s, c = stage_changes.c, centres.c
        trail = select(
            s.centre_id,
            s.to_stage,
            s.effective,
            func.lead(s.effective, type_=Date)
            .over(partition_by=s.centre_id, order_by=(s.effective, s.id))
            .label("after"),
        ).where(~withdrawn(s.id))
        if stage == initial:
            trail = trail.add_columns(
                func.row_number()
                .over(partition_by=s.centre_id, order_by=(s.effective, s.id))
                .label("nth")
            )
        t = trail.subquery()
        known = func.coalesce(c.registered, c.stage_since)
        stmt = (
            select(known, t.c.effective, t.c.after)
            .join(t, t.c.centre_id == c.id)
            .where(t.c.to_stage == stage, t.c.effective < before)
        )
        found = [Span(*row) for row in self.conn.execute(stmt)]
        if stage == initial:  # before the first change (or none yet)
            first = select(known, t.c.effective).outerjoin(
                t, and_(t.c.centre_id == c.id, t.c.nth == 1)
            )
            found += [Span(k, None, after) for k, after in self.conn.execute(first)]
        return found

    def first_known(self, before: date) -> date | None:
        """The earliest of the days the programme knew its centres and of the changes in
        force that took effect before ``before`` (None: neither)."""
        s, c = stage_changes.c, centres.c
        days = [
            self.conn.execute(
                select(func.min(func.coalesce(c.registered, c.stage_since)))
            ).scalar(),
            self.conn.execute(
                select(func.min(s.effective)).where(s.effective < before, ~withdrawn(s.id))
            ).scalar(),
        ]
        return min((d for d in days if d is not None), default=None)
