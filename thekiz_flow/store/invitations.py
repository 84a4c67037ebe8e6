"""Calendar invitations in the store: which sessions a coach is owed an invitation for, and
the last one written for each session and coach.

A coach is owed a REQUEST for a planned session of theirs dated in the coming days that
they have no invitation for (or only a CANCEL), and for one they were invited to whose day
has changed since, wherever it lies now; a CANCEL for one they were invited to that was
cancelled (voided too) or handed over to another coach. Other changes of a session (its
revision counts every change, a rate's too) owe nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, not_, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.outbox import OwedInvitation
from thekiz_flow.store.activities import activity_from_row
from thekiz_flow.store.tables import activities, invitations


def _owed(row: Row[Any], cancel: bool) -> OwedInvitation:
    coach_id = row.invited_coach if cancel else row.coach_id
    invited = None if row.cancelled is None or row.cancelled else row.day
    return OwedInvitation(activity_from_row(row), row.revision, coach_id, cancel, invited)


class InvitationStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def owed(self, first: date, last: date) -> list[OwedInvitation]:
        """What is owed: new sessions dated ``first`` to ``last``, every change of day and
        every cancellation; by activity, the CANCEL of a handover before the new REQUEST."""
        a, i = activities.c, invitations.c
        columns = (activities, i.coach_id.label("invited_coach"), i.day, i.cancelled)
        mine = and_(i.activity_id == a.id, i.coach_id == a.coach_id)
        invited = and_(i.activity_id.is_not(None), not_(i.cancelled))
        requests = (
            select(*columns)
            .select_from(activities.outerjoin(invitations, mine))
            .where(
                a.kind == ActivityKind.COACHING,
                a.status == ActivityStatus.PLANNED,
                a.coach_id.is_not(None),
                or_(
                    and_(
                        a.date >= first, a.date <= last, or_(i.activity_id.is_(None), i.cancelled)
                    ),
                    and_(invited, i.day != a.date),
                ),
            )
        )
        gone = or_(
            a.status == ActivityStatus.CANCELLED,
            a.coach_id.is_(None),
            a.coach_id != i.coach_id,
        )
        cancels = (
            select(*columns)
            .select_from(invitations.join(activities, i.activity_id == a.id))
            .where(not_(i.cancelled), gone)
        )
        owed = [_owed(row, True) for row in self.conn.execute(cancels)]
        owed += [_owed(row, False) for row in self.conn.execute(requests)]
        return sorted(owed, key=lambda o: (o.activity.date, o.activity.id, not o.cancel))

    def record(self, sent: Iterable[OwedInvitation], now: datetime) -> None:
        """These invitations were written to the outbox: each is the last of its session and
        coach."""
        rows = [
            {
                "activity_id": o.activity.id,
                "coach_id": o.coach_id,
                "revision": o.revision,
                "day": o.activity.date,
                "cancelled": o.cancel,
                "recorded_at": now,
            }
            for o in sent
        ]
        if not rows:
            return
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(invitations)
        stmt = stmt.on_conflict_do_update(
            index_elements=["activity_id", "coach_id"],
            set_={
                name: stmt.excluded[name]
                for name in ("revision", "day", "cancelled", "recorded_at")
            },
        )
        self.conn.execute(stmt, rows)
