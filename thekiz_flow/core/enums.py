"""The closed sets of values: kinds, statuses, roles, what a reminder follows, and the like.

Each is a ``StrEnum``: a member is its value, the string the database, the workflow file and
the command line have always held ("held", "site_visit"), so it is stored, compared and
formatted as that string. What people read is German and comes from
:mod:`thekiz_flow.core.labels`, never from a member's value. Imports nothing of the package.
"""

from __future__ import annotations

from enum import StrEnum


class ActivityKind(StrEnum):
    """What an activity of a centre is.

    * ``COACHING``: a coaching session with the centre's coach
    * ``TRAINING``: the centre's enrolment in a training of the catalogue
    * ``SITE_VISIT``: a visit of the office at the centre
    """

    COACHING = "coaching"
    TRAINING = "training"
    SITE_VISIT = "site_visit"


class ActivityStatus(StrEnum):
    """Where an activity stands. Held and cancelled ones are history: planning never
    changes them.

    * ``PLANNED``: ahead (an enrolment: a seat is taken)
    * ``HELD``: took place (an enrolment: the centre took part)
    * ``CANCELLED``: will not take place, with a reason
    * ``WAITING``: an enrolment on a full training's waiting list
    """

    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"
    WAITING = "waiting"


class OutboxStatus(StrEnum):
    """Where a message of the outbox stands: pending, sending, then sent or failed.

    * ``PENDING``: to be sent at its next attempt
    * ``SENDING``: claimed by a dispatcher, under a lease
    * ``SENT``: accepted by the mail server (or written to its file)
    * ``FAILED``: failed for good (or never deliverable); the office may retry it
    * ``MISSED``: due while the service was down and older than its rule's catch-up window:
      recorded instead of sent
    * ``WITHDRAWN``: not sent, because its recipient stopped being the one it was meant for
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    """What a user of the web pages may see and do.

    * ``OFFICE``: the office, everything
    * ``COACH``: a coach, their own centres and sessions
    * ``MINISTRY``: the ministry, the yearly digests
    """

    OFFICE = "office"
    COACH = "coach"
    MINISTRY = "ministry"


class Recipient(StrEnum):
    """Whom a message of the outbox is for, as its ``role``.

    * ``COACH``: the coach of the centre it is about
    * ``CENTRE``: the centre itself
    * ``OFFICE``: the office (``[mail] office``)
    * ``MINISTRY``: the ministry (``[mail] ministry``): the yearly digest only
    """

    COACH = "coach"
    CENTRE = "centre"
    OFFICE = "office"
    MINISTRY = "ministry"


class Follows(StrEnum):
    """The kind of event a reminder rule follows (``follows`` in the workflow file).

    * ``ACTIVITY``: the date of an activity of the rule's ``kind``
    * ``STAGE_START``: a centre's arrival in a stage (the rule's ``stage``, or any)
    * ``ELIGIBLE``: the day a centre's next step becomes allowed
    * ``BUDGET``: the moment a centre's spending crossed the rule's ``percent`` of its budget
    * ``TRAINING_DEADLINE``: the last day by which a stage expects a kind of training
    """

    ACTIVITY = "activity"
    STAGE_START = "stage_start"
    ELIGIBLE = "eligible"
    BUDGET = "budget"
    TRAINING_DEADLINE = "training_deadline"


class CatchUp(StrEnum):
    """What a reminder rule does with occurrences the service was down for (``catch_up``).

    * ``LATE``: sends those not older than the rule's ``late_days``
    * ``SKIP``: sends only those of the same day; older ones are recorded as missed
    """

    LATE = "late"
    SKIP = "skip"


class Stop(StrEnum):
    """Whether a reminder about an activity still goes out once the activity is recorded
    (``stop``); never once it is cancelled.

    * ``NEVER``: it goes out for a held activity too
    * ``RECORDED``: only while the activity is planned
    """

    NEVER = "never"
    RECORDED = "recorded"


class Judgement(StrEnum):
    """What a tick does with a reminder's occurrence that is due.

    * ``SEND``: writes it to the outbox, to be sent
    * ``MISSED``: records it as missed (the service was down), never sent
    """

    SEND = "send"
    MISSED = "missed"


class DeliveryStatus(StrEnum):
    """The outcome of handing one message to the mail backend.

    * ``SENT``: accepted
    * ``RETRY``: refused for now (a temporary error): to be tried again later
    * ``FAILED``: refused for good
    """

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


class CentreSort(StrEnum):
    """The orders of the list of centres (``sort``).

    * ``NAME``: by name
    * ``DISTRICT``: by district, then name
    * ``STAGE``: in the programme's order of the stages, then name
    * ``SINCE``: the most recent arrival in its stage first, then name
    * ``ID``: by number
    """

    NAME = "name"
    DISTRICT = "district"
    STAGE = "stage"
    SINCE = "since"
    ID = "id"
