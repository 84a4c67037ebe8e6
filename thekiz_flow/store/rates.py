"""Coaches' rates over time and the digests sent to the ministry (see ``tables``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.rates import Rate
from thekiz_flow.store.activities import REVISED, chunks
from thekiz_flow.store.tables import (
    activities,
    activity_undo,
    coach_rates,
    coaches,
    corrections,
    digest_sends,
    stage_changes,
)
from thekiz_flow.store.undo import remember


class RateStore:
    def __init__(self, connection: Connection, now: datetime | None = None) -> None:
        self.conn = connection
        self.now = now

    def add(self, entry: Rate) -> int:
        stmt = insert(coach_rates).values(
            coach_id=entry.coach_id,
            rate=entry.rate,
            valid_from=entry.valid_from,
            recorded_at=entry.recorded_at,
            actor=entry.actor,
        )
        return int(self.conn.execute(stmt.returning(coach_rates.c.id)).scalar_one())

    def of_coach(self, coach_id: int) -> list[Rate]:
        """A coach's rate history, by the day each is in force from, in the order recorded."""
        c = coach_rates.c
        stmt = select(coach_rates).where(c.coach_id == coach_id).order_by(c.valid_from, c.id)
        return [
            Rate(r.coach_id, Decimal(r.rate), r.valid_from, r.recorded_at, r.actor, r.id)
            for r in self.conn.execute(stmt)
        ]

    def changed(self, coach_ids: Sequence[int]) -> list[int]:
        """Those of the coaches whose rate ever changed (more than one entry)."""
        c = coach_rates.c
        found: set[int] = set()
        for chunk in chunks(list(coach_ids)):
            stmt = (
                select(c.coach_id)
                .where(c.coach_id.in_(chunk))
                .group_by(c.coach_id)
                .having(func.count() > 1)
            )
            found.update(self.conn.execute(stmt).scalars())
        return sorted(found)

    def apply_to_planned(self, coach_ids: Sequence[int]) -> None:
        """The coaches' sessions still planned take the rate in force on their day (their
        earlier state kept in the undo log)."""
        a = activities.c
        for chunk in chunks(self.changed(coach_ids)):
            in_force: Any = _rate_on(a.coach_id, a.date)
            which = (
                a.coach_id.in_(chunk)
                & (a.kind == ActivityKind.COACHING)
                & (a.status == ActivityStatus.PLANNED)
                & ((a.rate.is_(None)) | (a.rate != in_force))
            )
            remember(self.conn, self.now, which)
            values: dict[str, object] = {"rate": in_force, "revision": REVISED}
            if self.now is not None:
                values["recorded_at"] = self.now
            self.conn.execute(update(activities).where(which).values(**values))

    def bring_current(self, today: date) -> int:
        """Each coach's rate column takes the rate in force ``today`` (a rate recorded ahead
        of its day comes into force); how many changed."""
        c = coaches.c
        in_force: Any = _rate_on(c.id, today)
        which = c.id.in_(select(coach_rates.c.coach_id)) & (c.rate != in_force)
        return int(self.conn.execute(update(coaches).where(which).values(rate=in_force)).rowcount)


def _rate_on(coach_id: Any, day: Any) -> Any:
    """The rate of ``coach_id`` in force on ``day`` (SQL; columns or values): the latest of
    those from that day or earlier, else the first."""
    c = coach_rates.c
    latest = (
        select(c.rate)
        .where(c.coach_id == coach_id, c.valid_from <= day)
        .order_by(c.valid_from.desc(), c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    first = (
        select(c.rate)
        .where(c.coach_id == coach_id)
        .order_by(c.valid_from, c.id)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, first)


class SendStore:
    """When each year's digest went to the ministry, as recorded then."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(self, year: int, moment: datetime, actor: str) -> None:
        stmt = insert(digest_sends).values(year=year, as_recorded_at=moment, actor=actor)
        self.conn.execute(stmt)

    def moment(self, year: int) -> datetime | None:
        stmt = select(digest_sends.c.as_recorded_at).where(digest_sends.c.year == year)
        found: datetime | None = self.conn.execute(stmt).scalar()
        return found

    def all(self) -> dict[int, datetime]:
        """Every year sent and its moment."""
        stmt = select(digest_sends.c.year, digest_sends.c.as_recorded_at)
        return {int(year): moment for year, moment in self.conn.execute(stmt.order_by("year"))}

    def touched_since(self, moment: datetime, last: date) -> bool:
        """Whether anything dated up to ``last`` was recorded or changed at or after
        ``moment``: activities, their undo log, stage changes, corrections."""
        a, u, s = activities.c, activity_undo.c, stage_changes.c
        probes = (
            select(a.id).where(a.created_at >= moment, a.date <= last),
            select(a.id).where(a.recorded_at >= moment, a.date <= last),
            select(u.id).where(u.changed_at >= moment, u.date <= last),
            select(s.id).where(s.recorded_at >= moment, s.effective <= last),
            select(corrections.c.id).where(corrections.c.recorded_at >= moment),
        )
        return any(self.conn.execute(p.limit(1)).first() is not None for p in probes)
