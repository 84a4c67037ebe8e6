"""What the lists of trainings, the outbox, coaches and users ask for, unchecked and checked.

Each list has a *search* (the strings of the page's query, as typed: filters, an order, a
page) and a *query* (checked by the service: what the store finds, in which order, and
which rows of it). The store filters, orders and counts in SQL and reads only the rows of
one page (``offset``/``limit``; ``limit`` None: every row, for an export).

An order's id names its direction: ``name`` ascending, ``name-desc`` descending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from thekiz_flow.core.enums import OutboxStatus, Recipient, Role

YES, NO = "ja", "nein"  # a yes/no filter's values ("": either)


class TrainingSort(StrEnum):
    """The orders of the training catalogue: by date (the earliest or the latest first),
    by title, or the most free seats first."""

    DATE = "date"
    DATE_DESC = "date-desc"
    TITLE = "title"
    FREE = "free-desc"


class OutboxSort(StrEnum):
    """The orders of the outbox: the newest or the oldest message first."""

    NEWEST = "newest"
    OLDEST = "oldest"


class CoachSort(StrEnum):
    """The orders of the coaches: by name, hourly rate or number of centres, either way."""

    NAME = "name"
    NAME_DESC = "name-desc"
    RATE = "rate"
    RATE_DESC = "rate-desc"
    CENTRES = "centres"
    CENTRES_DESC = "centres-desc"


class UserSort(StrEnum):
    """The orders of the users: by e-mail address, by role, or the newest or oldest first."""

    EMAIL = "email"
    EMAIL_DESC = "email-desc"
    ROLE = "role"
    CREATED_DESC = "created-desc"
    CREATED = "created"


def descending(sort: StrEnum) -> bool:
    return sort.value.endswith("-desc")


@dataclass(frozen=True)
class TrainingSearch:
    text: str = ""  # part of the title or the place
    first: str = ""  # from this day (JJJJ-MM-TT)
    last: str = ""  # to this day
    free: str = ""  # YES: only with a free seat
    cancelled: str = ""  # YES: only those called off; NO: only those not
    sort: str = TrainingSort.DATE
    page: str = "1"


@dataclass(frozen=True)
class TrainingQuery:
    text: str | None = None
    first: date | None = None
    last: date | None = None
    free_only: bool = False
    cancelled: bool | None = None
    sort: TrainingSort = TrainingSort.DATE
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class OutboxSearch:
    status: str = ""
    role: str = ""  # whom it is for
    kind: str = ""  # the rule that wrote it
    text: str = ""  # part of the address or the subject
    first: str = ""  # due from this day
    last: str = ""  # due to this day
    sort: str = OutboxSort.NEWEST
    page: str = "1"


@dataclass(frozen=True)
class OutboxQuery:
    status: OutboxStatus | None = None
    role: Recipient | None = None
    rule: str | None = None
    text: str | None = None
    due_from: datetime | None = None  # due at or after
    due_before: datetime | None = None  # due before
    sort: OutboxSort = OutboxSort.NEWEST
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class CoachSearch:
    active: str = ""  # YES: only active; NO: only deactivated
    text: str = ""  # part of the name or e-mail address
    sort: str = CoachSort.NAME
    page: str = "1"


@dataclass(frozen=True)
class CoachQuery:
    active: bool | None = None
    text: str | None = None
    sort: CoachSort = CoachSort.NAME
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class UserSearch:
    role: str = ""
    active: str = ""  # YES: only active; NO: only disabled
    text: str = ""  # part of the e-mail address
    sort: str = UserSort.EMAIL
    page: str = "1"


@dataclass(frozen=True)
class UserQuery:
    role: Role | None = None
    disabled: bool | None = None
    text: str | None = None
    sort: UserSort = UserSort.EMAIL
    offset: int = 0
    limit: int | None = None
