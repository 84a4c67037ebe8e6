"""Calendar feeds in the store: a coach's link (a hash of its token) and what the feed lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, delete, insert, or_, select

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import FeedEvent
from thekiz_flow.store.activities import KIND_OF, STATUS_OF
from thekiz_flow.store.tables import activities, calendar_feeds, centres, handovers

HANDED_OVER = "an eine andere Prozessbegleitung übergeben"  # why a handed-over one is cancelled


def _event(row: Row[Any]) -> FeedEvent:
    return FeedEvent(
        row.id,
        KIND_OF[row.kind],
        row.date,
        STATUS_OF[row.status],
        row.revision,
        row.recorded_at,
        None if row.hours is None else Decimal(row.hours),
        row.stage,
        row.reason,
        row.centre,
        row.district,
    )


class FeedStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def replace(self, coach_id: int, token_hash: str, now: datetime) -> None:
        """The coach's one link: a new one makes the old one worthless."""
        self.remove(coach_id)
        stmt = insert(calendar_feeds).values(
            coach_id=coach_id, token_hash=token_hash, created_at=now
        )
        self.conn.execute(stmt)

    def remove(self, coach_id: int) -> bool:
        stmt = delete(calendar_feeds).where(calendar_feeds.c.coach_id == coach_id)
        return self.conn.execute(stmt).rowcount == 1

    def coach_of(self, token_hash: str) -> int | None:
        stmt = select(calendar_feeds.c.coach_id).where(calendar_feeds.c.token_hash == token_hash)
        found = self.conn.execute(stmt).scalar()
        return None if found is None else int(found)

    def created(self, coach_ids: Iterable[int] | None = None) -> dict[int, datetime]:
        """When each coach's link was made (of those coaches, if given), by coach."""
        stmt = select(calendar_feeds.c.coach_id, calendar_feeds.c.created_at)
        if coach_ids is not None:
            stmt = stmt.where(calendar_feeds.c.coach_id.in_(list(coach_ids)))
        return {row.coach_id: row.created_at for row in self.conn.execute(stmt)}

    def events(self, coach_id: int, first: date, cancelled_since: datetime) -> list[FeedEvent]:
        """The coach's sessions and the site visits of their centres from ``first`` on, by
        date; cancelled ones only if cancelled since ``cancelled_since``, and as cancelled
        those they handed over since then to another coach."""
        a = activities.c
        wanted = (
            and_(
                a.kind == ActivityKind.COACHING, a.coach_id == coach_id
            ),  # the (coach_id, date) index
            and_(  # by the coach's centres (their index), then their visits (by centre)
                a.kind == ActivityKind.SITE_VISIT,
                a.centre_id.in_(select(centres.c.id).where(centres.c.coach_id == coach_id)),
            ),
        )
        found: list[FeedEvent] = []
        for mine in wanted:
            stmt = self._select().where(
                mine,
                a.date >= first,
                or_(a.status != ActivityStatus.CANCELLED, a.recorded_at >= cancelled_since),
            )
            found += [_event(row) for row in self.conn.execute(stmt)]
        found += self._handed_over(coach_id, first, cancelled_since, {e.activity_id for e in found})
        return sorted(found, key=lambda e: (e.day, e.activity_id))

    def _select(self) -> Select[Any]:
        a = activities.c
        return select(activities, centres.c.name.label("centre"), centres.c.district).join(
            centres, centres.c.id == a.centre_id
        )

    def _handed_over(
        self, coach_id: int, first: date, since: datetime, listed: set[int]
    ) -> list[FeedEvent]:
        """What the coach handed over since ``since``, dated from ``first`` on, as cancelled
        (whatever became of it with its new coach); not what the feed lists as theirs."""
        h = handovers.c
        stmt = (
            self._select()
            .join(handovers, h.activity_id == activities.c.id)
            .where(h.coach_id == coach_id, h.recorded_at >= since, activities.c.date >= first)
        )
        return [
            replace(_event(row), status=ActivityStatus.CANCELLED, reason=HANDED_OVER)
            for row in self.conn.execute(stmt)
            if row.id not in listed
        ]
