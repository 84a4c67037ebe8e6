"""The lists of planned coaching sessions and site visits: what a list asks for, checked.

A list shows the planned activities of one kind that are not yet recorded (dated before
today) and those coming up (from today to ``UPCOMING_DAYS`` ahead, or within one month),
filtered by coach, district, a centre's name or number, in an order and a page at a time.
The web passes what was typed (:class:`ActivitySearch`); the service checks it into an
:class:`ActivityQuery` for the store, which returns :class:`ListedActivity` rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from thekiz_flow.core import validate
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import Field, InvalidInput
from thekiz_flow.core.model import Activity

UPCOMING_DAYS = 30  # how far ahead the lists look without a month
UNRECORDED = "nicht erfasst"  # a planned activity dated before today, as a list calls it
UPCOMING = "geplant"  # one from today on


class ActivitySort(StrEnum):
    """The orders of a list of planned activities (``sort``); each then by date."""

    DATE = "date"
    CENTRE = "centre"  # the centre's name, then its district
    DISTRICT = "district"  # the centre's district, then its name
    COACH = "coach"  # the coach's name; activities without a coach last


class Direction(StrEnum):
    """``order``: the first key of the sort ascending or descending."""

    ASC = "asc"
    DESC = "desc"


class Due(StrEnum):
    """``due``: which of the planned activities a list shows."""

    ALL = ""  # the not yet recorded and the upcoming ones
    UNRECORDED = "unrecorded"  # before today
    UPCOMING = "upcoming"  # from today


E = TypeVar("E", bound=StrEnum)

#: The German names of the choices, as the list's selects offer them.
SORT_NAMES = {
    ActivitySort.DATE: "Datum",
    ActivitySort.CENTRE: "Einrichtung",
    ActivitySort.DISTRICT: "Kreis",
    ActivitySort.COACH: "Prozessbegleitung",
}
DIRECTION_NAMES = {Direction.ASC: "aufsteigend", Direction.DESC: "absteigend"}
DUE_NAMES = {
    Due.ALL: "alle",  # with "nur nicht erfasste" and "nur anstehende" beside it: both
    Due.UNRECORDED: "nur nicht erfasste",
    Due.UPCOMING: "nur anstehende",
}


@dataclass(frozen=True)
class ActivitySearch:
    """What a list of planned activities asks for (unchecked, as the web passes it)."""

    coach: str = ""  # a coach's number, NO_COACH, or "": every coach
    district: str = ""  # "": every district
    text: str = ""  # part of the centre's name, or its number
    month: str = ""  # JJJJ-MM; "": everything up to UPCOMING_DAYS ahead
    due: str = Due.ALL.value
    sort: str = ActivitySort.DATE.value
    order: str = Direction.ASC.value
    page: str = "1"


@dataclass(frozen=True)
class ActivityQuery:
    """Which activities the store lists, in which order, and which page of them (checked)."""

    kind: ActivityKind
    status: ActivityStatus = ActivityStatus.PLANNED
    coach_id: int | None = None
    without_coach: bool = False
    district: str | None = None
    text: str | None = None  # the centre's number, or part of its name (any case)
    first: date | None = None  # dated from (None: however early)
    last: date | None = None  # dated up to (None: however late)
    sort: ActivitySort = ActivitySort.DATE
    descending: bool = False
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class ListedActivity:
    """An activity as a list shows it: with its centre's name and district and its coach
    (and the centre's coach now, who may record it)."""

    activity: Activity
    centre_name: str
    district: str
    coach_name: str | None
    centre_coach_id: int | None = None

    @property
    def title(self) -> str:
        """Its centre as pages and messages name it: "Kita Pusteblume (Jena)"."""
        return f"{self.centre_name} ({self.district})"


def chosen(field: Field, value: str, names: Mapping[E, str], unknown: str) -> E:
    """The option ``value`` names (its id, any case); else the error listing the options
    by their German names."""
    for option in names:
        if option.value == value.strip().casefold():
            return option
    offered = ", ".join(names.values())
    raise InvalidInput(field, f"{unknown} {value!r} (möglich: {offered})")


def month_start(value: str) -> date:
    """The first day of a month given as JJJJ-MM (the value of an ``<input type="month">``)."""
    try:
        first = datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        raise InvalidInput("month", f"ungültiger Monat {value!r} (Format JJJJ-MM)") from None
    if not validate.FIRST_YEAR <= first.year <= validate.LAST_YEAR:
        raise InvalidInput(
            "month",
            f"ungültiger Monat {value!r}: Jahr nicht zwischen {validate.FIRST_YEAR} und "
            f"{validate.LAST_YEAR}",
        )
    return first


def period(month: date | None, today: date) -> tuple[date | None, date]:
    """The days a list covers: the month, or everything up to ``UPCOMING_DAYS`` ahead."""
    if month is None:
        return None, today + timedelta(days=UPCOMING_DAYS)
    following = (month + timedelta(days=31)).replace(day=1)
    return month, following - timedelta(days=1)


def due_days(month: date | None, due: Due, today: date) -> tuple[date | None, date]:
    """The days of the activities ``due`` asks for within the ``period``: the not yet
    recorded ones end yesterday, the upcoming ones start today (an empty span if none)."""
    first, last = period(month, today)
    if due == Due.UNRECORDED:
        return first, min(last, today - timedelta(days=1))
    if due == Due.UPCOMING:
        return today if first is None else max(first, today), last
    return first, last


def due_name(day: date, today: date) -> str:
    """A planned activity's state as a list shows it: not recorded or upcoming."""
    return UNRECORDED if day < today else UPCOMING


#: What the calendar shows of the activities, in a day's order: site visits, then coaching
#: sessions; planned and held ones (cancelled ones are not in the calendar).
CALENDAR_KINDS = (ActivityKind.SITE_VISIT, ActivityKind.COACHING)
CALENDAR_STATUSES = (ActivityStatus.PLANNED, ActivityStatus.HELD)


@dataclass(frozen=True)
class CalendarQuery:
    """Which activities the calendar shows: the sessions and site visits of ``CALENDAR_KINDS``
    and ``CALENDAR_STATUSES`` dated from ``first`` to ``last``; of a coach (their sessions
    and the visits of the centres they accompany) and of a district's centres, if given."""

    first: date
    last: date
    coach_id: int | None = None
    district: str | None = None


@dataclass(frozen=True)
class CalendarDay:
    """One day of the calendar as the store reads it: how many activities of each kind it
    has, and the first few of them (site visits first, then by number)."""

    day: date
    counts: dict[ActivityKind, int]
    shown: list[ListedActivity]

    @property
    def total(self) -> int:
        return sum(self.counts.values())
