"""Calendar invitations in the store: which sessions a coach is owed an invitation for, and
the last one written for each session and coach.

A coach is owed a REQUEST for a planned session of theirs dated in the coming days that
they have no invitation for (or only a CANCEL), and for one they were invited to whose day
has changed since, wherever it lies now; a CANCEL for one they were invited to that was
cancelled (voided too) or handed over to another coach. Other changes of a session (its
revision counts every change, a rate's too) owe nothing.

A tick does not read every planned session for that: triggers (migration 0026) mark every
coaching session written, and the tick reads the marked ones and the planned ones of the
days that came into the window since it last looked (`InvitationStore.take_owed`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, delete, func, not_, or_, select, text, update

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.outbox import OwedInvitation
from thekiz_flow.store.activities import activity_from_row
from thekiz_flow.store.tables import activities, invitation_marks, invitation_state, invitations
from thekiz_flow.store.upsert import insert_into

DAY = timedelta(days=1)


def _owed(row: Row[Any], cancel: bool) -> OwedInvitation:
    coach_id = row.invited_coach if cancel else row.coach_id
    invited = None if row.cancelled is None or row.cancelled else row.day
    return OwedInvitation(activity_from_row(row), row.revision, coach_id, cancel, invited)


class InvitationStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def take_owed(self, first: date, last: date) -> list[OwedInvitation]:
        """What is owed as of the window ``first`` to ``last``: new sessions dated in it,
        every change of day and every cancellation; by activity, the CANCEL of a handover
        before the new REQUEST. The marks it was found from are consumed: in the caller's
        transaction, which writes and records what is owed.

        What is read: the sessions marked since the last time (a coaching session written:
        the triggers of migration 0026), and the planned ones of the window's days the last
        time did not look at (the days that came into it; after the clock went back, the
        days before). The first time (after the upgrade, or a transfer) every planned
        session. On PostgreSQL the marks' table is locked against new marks until the
        commit, which waits for the writers whose marks are not committed yet: every mark
        up to the newest read is committed and its write is read; a later write waits for
        the commit, and the next tick reads it."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("LOCK TABLE invitation_marks IN EXCLUSIVE MODE"))
        looked = self.conn.execute(
            select(invitation_state.c.since, invitation_state.c.through).where(
                invitation_state.c.id == 1
            )
        ).one()
        newest = self.conn.execute(select(func.max(invitation_marks.c.id))).scalar_one_or_none()
        if looked.since is None or looked.through is None:
            owed = self._find(first, last, None, None)
        else:
            unseen = (
                (first, min(last, looked.since - DAY)),
                (max(first, looked.through + DAY), last),
            )
            owed = self._find(first, last, [(a, b) for a, b in unseen if a <= b], newest)
        if newest is not None:
            self.conn.execute(delete(invitation_marks).where(invitation_marks.c.id <= newest))
        self.conn.execute(
            update(invitation_state)
            .where(invitation_state.c.id == 1)
            .values(since=first, through=last)
        )
        return owed

    def _find(
        self, first: date, last: date, unseen: list[tuple[date, date]] | None, newest: int | None
    ) -> list[OwedInvitation]:
        """The REQUESTs for the uninvited planned sessions of the ``unseen`` days of the
        window ``first`` to ``last`` (ranges), and what the sessions marked up to the mark
        ``newest`` owe; ``unseen`` None: what every session owes."""
        a, i = activities.c, invitations.c
        columns = (activities, i.coach_id.label("invited_coach"), i.day, i.cancelled)
        mine = and_(i.activity_id == a.id, i.coach_id == a.coach_id)
        uninvited = or_(i.activity_id.is_(None), i.cancelled)
        moved = and_(i.activity_id.is_not(None), not_(i.cancelled), i.day != a.date)
        planned = (
            a.kind == ActivityKind.COACHING,
            a.status == ActivityStatus.PLANNED,
            a.coach_id.is_not(None),
        )
        requests = select(*columns).select_from(activities.outerjoin(invitations, mine))
        requests = requests.where(*planned)
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
        new = and_(a.date >= first, a.date <= last, uninvited)
        asked: list[tuple[bool, Select[Any]]] = []
        if unseen is None:  # the window's new ones, and the moved wherever they lie now
            asked += [(True, cancels), (False, requests.where(or_(new, moved)))]
        else:
            asked += [
                (False, requests.where(a.date >= low, a.date <= high, uninvited))
                for low, high in unseen
            ]
            if newest is not None:
                marks = invitation_marks.c
                marked = select(marks.activity_id).where(marks.id <= newest).distinct().subquery()
                # from the marks to their sessions: an IN would let SQLite's planner (without
                # statistics) read every planned session by kind and status instead
                sessions = marked.join(activities, a.id == marked.c.activity_id)
                asked += [
                    (True, cancels.where(i.activity_id.in_(select(marked.c.activity_id)))),
                    (
                        False,
                        select(*columns)
                        .select_from(sessions.outerjoin(invitations, mine))
                        .where(*planned, or_(new, moved)),
                    ),
                ]
        owed: dict[tuple[int, int, bool], OwedInvitation] = {}
        for cancel, stmt in asked:
            for row in self.conn.execute(stmt):
                found = _owed(row, cancel)
                owed[(found.activity.id, found.coach_id, cancel)] = found
        return sorted(owed.values(), key=lambda o: (o.activity.date, o.activity.id, not o.cancel))

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
        stmt = insert_into(self.conn, invitations)
        stmt = stmt.on_conflict_do_update(
            index_elements=["activity_id", "coach_id"],
            set_={
                name: stmt.excluded[name]
                for name in ("revision", "day", "cancelled", "recorded_at")
            },
        )
        self.conn.execute(stmt, rows)
