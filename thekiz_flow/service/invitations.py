"""Calendar invitations: each coach gets each coaching session of theirs as an iCalendar
invitation (RFC 5546) in a mail, so it appears in and follows their calendar.

A tick rule, not a hook in every place that plans, moves, cancels, voids or hands over a
session: the tick compares each session as it is now with the last invitation its coach was
written (``invitations``) and writes what is owed, in one transaction with that record (the
sessions written since the last tick, marked by triggers, and those that came into the
window; see `store.invitations`):

- a REQUEST for a planned session dated in the next ``AHEAD`` (so a stage planned two
  years ahead does not arrive as two dozen mails at once; the rest follow as their day
  comes near), and a new REQUEST when an invited session's day changed: RFC 5546 moves
  an event by the same UID with a higher SEQUENCE (3.2.2), not by a CANCEL and a new
  event, which a calendar could show as deleted;
- a CANCEL when an invited session was cancelled (voided too) or handed over to another
  coach (who gets a REQUEST of their own).

UID and SEQUENCE are those of the coach's feed (``activity-<id>@thekiz-flow``, the
activity's revision), and the mail's text and invitation are rendered as the session is
when written, so both always say the same. Exactly once: a crash before the commit
writes neither mail nor record, a second tick finds nothing owed, two ticks at once
take the reminders' lock in turn, and the outbox key (session, coach, revision, method)
is written once. A newer invitation withdraws an older one of the same session and coach
that has not gone out yet; one already under way is harmless, since a calendar ignores a
message with a lower SEQUENCE than the one it holds. A CANCEL goes only where a REQUEST
may have arrived. A handover leaves the invitations alone (they are each coach's own).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from thekiz_flow.core.addresses import name_and_address
from thekiz_flow.core.enums import ActivityStatus, OutboxStatus, Recipient
from thekiz_flow.core.model import Centre, Coach, FeedEvent
from thekiz_flow.core.outbox import NewMail, OwedInvitation
from thekiz_flow.mail.ical import CANCEL, REQUEST, invitation
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.feeds import HANDED_OVER
from thekiz_flow.store.repository import Repository

AHEAD = timedelta(weeks=8)  # how far ahead a planned session is sent as an invitation
RULE = "invitation"
CANCEL_RULE = "invitation_cancelled"
INVITATION_RULES = (RULE, CANCEL_RULE)


def key(owed: OwedInvitation) -> str:
    """The outbox key: one invitation per session, coach, revision and method."""
    method = CANCEL if owed.cancel else REQUEST
    return f"{RULE}:{owed.activity.id}:{owed.coach_id}:{owed.revision}:{method.lower()}"


def session_of(outbox_key: str) -> str:
    """``invitation:<activity>:<coach>``: the session and coach an invitation's key is for."""
    return outbox_key.rsplit(":", 2)[0]


class InvitationService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def invite(self, repo: Repository, now: datetime) -> int:
        """Write the invitations owed as of ``now`` to the outbox; how many were new.

        In the caller's transaction, under the reminders' lock (a tick's holds it already):
        a second tick waits, then finds nothing owed."""
        repo.outbox.lock_reminders()
        sender = self.rt.mail.sender or self.rt.mail.office
        if sender is None:  # no one to invite from: nothing is recorded either
            return 0
        organizer = name_and_address(sender, "Absender")
        today = now.astimezone(self.rt.zone).date()
        owed = repo.invitations.take_owed(today, today + AHEAD)
        if not owed:
            return 0
        centres = repo.centres_by_id(o.activity.centre_id for o in owed)
        coaches = repo.coaches_by_id(o.coach_id for o in owed)
        self._withdraw_older(repo, {key(o) for o in owed})
        reached = self._reached(repo, [o for o in owed if o.cancel])
        mails = [
            self._mail(o, centres[o.activity.centre_id], coaches[o.coach_id], organizer, now)
            for o in owed
            if not o.cancel or session_of(key(o)) in reached
        ]
        added = repo.outbox.add(mails, now)
        repo.invitations.record(owed, now)
        return added

    @staticmethod
    def _reached(repo: Repository, cancels: list[OwedInvitation]) -> set[str]:
        """Of the sessions and coaches owed a CANCEL, those a REQUEST may have reached
        (sent, being sent, or ambiguous): the others need none, their REQUESTs were
        withdrawn or failed before any server took them."""
        if not cancels:
            return set()
        centre_ids = {o.activity.centre_id for o in cancels}
        return {session_of(k) for k in repo.outbox.reached((RULE,), centre_ids)}

    def _mail(
        self,
        owed: OwedInvitation,
        centre: Centre,
        coach: Coach,
        organizer: tuple[str, str],
        now: datetime,
    ) -> NewMail:
        session = owed.activity
        handed_over = owed.cancel and session.status != ActivityStatus.CANCELLED
        reason = HANDED_OVER if handed_over else session.reason
        moved_from = None if owed.cancel or owed.invited_day == session.date else owed.invited_day
        context = {
            "centre": centre,
            "coach": coach,
            "activity": session,
            "moved_from": moved_from,
            "reason": reason,
            "handed_over": handed_over,
        }
        template = CANCEL_RULE if owed.cancel else RULE
        mail = self.rt.compose(key(owed), template, template, Recipient.COACH, context, now)
        if mail.status != OutboxStatus.PENDING:  # no address: kept as failed, without
            return mail
        event = FeedEvent(
            session.id,
            session.kind,
            session.date,
            ActivityStatus.CANCELLED if owed.cancel else session.status,
            owed.revision,
            session.recorded_at,
            session.hours,
            session.stage,
            reason,
            centre.name,
            centre.district,
        )
        method = CANCEL if owed.cancel else REQUEST
        attendee = (coach.name, coach.email)
        ics = invitation(event, method, organizer, attendee, self.rt.workflow, now)
        return replace(mail, calendar=ics)

    @staticmethod
    def _withdraw_older(repo: Repository, keys: set[str]) -> None:
        """Withdraw the invitations not sent yet that these (newer) ones replace."""
        sessions = {session_of(k) for k in keys}
        older = [
            row
            for row in repo.outbox.unsent_of_rules(INVITATION_RULES)
            if session_of(row.key) in sessions and row.key not in keys
        ]
        repo.outbox.withdraw(older, "durch eine neuere Kalendereinladung ersetzt")
