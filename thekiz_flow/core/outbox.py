"""The outbox's values: a message to write, a stored row, a claim on one and its retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from thekiz_flow.core.enums import DeliveryStatus, OutboxStatus, Recipient
from thekiz_flow.core.model import Activity, Mail


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    rule: str
    centre_id: int | None
    role: Recipient
    recipient: str
    subject: str
    status: OutboxStatus
    attempts: int
    due_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    ambiguous: bool
    sent_at: datetime | None


@dataclass(frozen=True)
class Claim:
    mail: Mail
    attempt: int


@dataclass(frozen=True)
class Retry:
    """A claim that goes back to pending, to be tried again at ``next_attempt``."""

    claim: Claim
    error: str
    next_attempt: datetime
    ambiguous: bool


@dataclass(frozen=True)
class NewMail:
    """A message to write into the outbox (rendered, or not deliverable and why)."""

    key: str
    rule: str
    role: Recipient
    recipient: str
    subject: str
    text: str
    html: str
    due_at: datetime
    centre_id: int | None = None
    status: OutboxStatus = OutboxStatus.PENDING
    problem: str | None = None
    attachments: tuple[str, ...] = ()
    calendar: str | None = None  # an iCalendar invitation, as it is sent
    template: str | None = None  # with ``context``: what renders it again (a retry)
    context: str | None = None  # JSON, see `core.mailcontext`


@dataclass(frozen=True)
class OwedInvitation:
    """A calendar invitation a coach is owed for a session: a REQUEST (new, or the session
    moved from ``invited_day``) or, when ``cancel``, a CANCEL of the one they were sent."""

    activity: Activity
    revision: int  # the activity's, its SEQUENCE
    coach_id: int
    cancel: bool
    invited_day: date | None  # the day of the last invitation sent, None: none yet


@dataclass(frozen=True)
class Recipe:
    """What renders a stored message again: its template, role, centre and context."""

    rule: str
    template: str
    role: Recipient
    centre_id: int | None
    context: str


@dataclass(frozen=True)
class Attempt:
    """One attempt to send a message: when, its number, its outcome and the server's answer
    (``code`` and ``reply``), or the error when there was none."""

    outbox_id: int
    attempt: int
    at: datetime
    outcome: DeliveryStatus
    recipient: str
    code: int | None
    reply: str | None
