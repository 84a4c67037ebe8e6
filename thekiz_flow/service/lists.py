"""The lists of trainings, the outbox, coaches and users: one page, or every row to export.

The web passes what was typed (a search of :mod:`thekiz_flow.core.lists`); each value is
checked here, with a German ``InvalidInput`` naming its field, and becomes the query the
store runs in SQL: filtered, ordered and cut to the page there, so a page costs what it
shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from thekiz_flow.core import paging, validate
from thekiz_flow.core.budget import MonthLoad, coach_load, load_last_day
from thekiz_flow.core.enums import ActivityKind, OutboxStatus, Recipient, Role
from thekiz_flow.core.errors import Field, InvalidInput
from thekiz_flow.core.labels import mail_kinds
from thekiz_flow.core.lists import (
    NO,
    YES,
    CoachQuery,
    CoachSearch,
    CoachSort,
    OutboxQuery,
    OutboxSearch,
    OutboxSort,
    TrainingQuery,
    TrainingSearch,
    TrainingSort,
    UserQuery,
    UserSearch,
    UserSort,
)
from thekiz_flow.core.model import Coach, Training
from thekiz_flow.core.outbox import OutboxRow
from thekiz_flow.core.paging import Page
from thekiz_flow.core.users import User
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

T = TypeVar("T")
Q = TypeVar("Q")
#: Makes a list's query of a search, for its rows from ``offset`` on (``limit`` None: all).
Making = Callable[[int, int | None], Q]
UNKNOWN_SORT = "unbekannte Sortierung"


@dataclass(frozen=True)
class CoachRow:
    """A coach in the list: their centres, and their load of the first months."""

    coach: Coach
    centres: int
    load: list[MonthLoad]


def _yes_no(field: Field, value: str) -> bool | None:
    """A yes/no filter: True, False, or None (blank: either)."""
    if not value.strip():
        return None
    return _choice(field, value, (YES, NO), "unbekannte Auswahl") == YES


def _day(field: Field, value: str) -> date | None:
    return validate.day(field, value) if value.strip() else None


def _period(first: str, last: str) -> tuple[date | None, date | None]:
    """The days from ``first`` to ``last`` (either open)."""
    start, end = _day("first", first), _day("last", last)
    if start is not None and end is not None and end < start:
        raise InvalidInput("last", "liegt vor dem ersten Tag")
    return start, end


class ListService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _page(
        self, number: str, making: Making[Q], find: Callable[[Repository, Q], tuple[list[T], int]]
    ) -> Page[T]:
        page = paging.page_number(number)
        query = making(paging.offset(page), paging.size())
        with self.rt.unit() as repo:
            items, total = find(repo, query)
        return Page.of(items, total, page)

    def _all(
        self, making: Making[Q], find: Callable[[Repository, Q], tuple[list[T], int]]
    ) -> list[T]:
        query = making(0, None)
        with self.rt.unit() as repo:
            return find(repo, query)[0]

    # ------------------------------------------------------------- trainings
    def trainings(self, search: TrainingSearch) -> Page[tuple[Training, int, int]]:
        """A page of the catalogue, each offering with its numbers enrolled and waiting."""
        return self._page(search.page, self._training_query(search), self._trainings)

    def all_trainings(self, search: TrainingSearch) -> list[tuple[Training, int, int]]:
        return self._all(self._training_query(search), self._trainings)

    @staticmethod
    def _trainings(
        repo: Repository, query: TrainingQuery
    ) -> tuple[list[tuple[Training, int, int]], int]:
        store = repo.trainings
        found, total = store.search(query)
        # the page's offerings by their ids; an export's, all at once
        counts = store.counts(None if query.limit is None else [t.id for t in found])
        return [(t, *counts.get(t.id, (0, 0))) for t in found], total

    @staticmethod
    def _training_query(search: TrainingSearch) -> Making[TrainingQuery]:
        first, last = _period(search.first, search.last)
        checked = TrainingQuery(
            text=validate.text("text", search.text, required=False),
            first=first,
            last=last,
            free_only=_option("free", search.free, (YES,), "unbekannte Auswahl") is not None,
            cancelled=_yes_no("cancelled", search.cancelled),
            sort=_choice("sort", search.sort, TrainingSort, UNKNOWN_SORT),
        )
        return lambda offset, limit: replace(checked, offset=offset, limit=limit)

    # ---------------------------------------------------------------- outbox
    def outbox(self, search: OutboxSearch) -> Page[OutboxRow]:
        """A page of the outbox (without the messages' texts)."""
        return self._page(search.page, self._outbox_query(search), _outbox)

    def all_outbox(self, search: OutboxSearch) -> list[OutboxRow]:
        return self._all(self._outbox_query(search), _outbox)

    def _outbox_query(self, search: OutboxSearch) -> Making[OutboxQuery]:
        first, last = _period(search.first, search.last)
        checked = OutboxQuery(
            status=_option("status", search.status, OutboxStatus, "unbekannter Stand"),
            role=_option("role", search.role, Recipient, "unbekannter Empfänger"),
            rule=_option("kind", search.kind, mail_kinds(self.rt.workflow), "unbekannte Art"),
            text=validate.text("text", search.text, required=False),
            due_from=None if first is None else self._midnight(first),
            due_before=None if last is None else self._midnight(last + timedelta(days=1)),
            sort=_choice("sort", search.sort, OutboxSort, UNKNOWN_SORT),
        )
        return lambda offset, limit: replace(checked, offset=offset, limit=limit)

    def _midnight(self, day: date) -> datetime:
        """The start of ``day`` where the programme runs."""
        return datetime.combine(day, time(), self.rt.zone)

    # --------------------------------------------------------------- coaches
    def coaches(self, search: CoachSearch, months: int) -> Page[CoachRow]:
        """A page of the coaches, each with the load of ``months`` months from this one."""
        found = self._page(search.page, _coach_query(search), _coaches)
        start = self.rt.today().replace(day=1)
        maximum = self.rt.workflow.coach_max_hours_per_month
        last = load_last_day(start, months)
        with self.rt.unit() as repo:
            sessions = repo.activities.of_coaches(
                [coach.id for coach, _ in found.items], ActivityKind.COACHING, start, last
            )
        rows = [
            CoachRow(coach, centres, coach_load(sessions[coach.id], start, months, maximum))
            for coach, centres in found.items
        ]
        return Page(rows, found.total, found.page, found.pages)

    def all_coaches(self, search: CoachSearch) -> list[tuple[Coach, int]]:
        return self._all(_coach_query(search), _coaches)

    # ----------------------------------------------------------------- users
    def users(self, search: UserSearch) -> Page[User]:
        return self._page(search.page, _user_query(search), _users)

    def all_users(self, search: UserSearch) -> list[User]:
        return self._all(_user_query(search), _users)


S = TypeVar("S", bound=str)


def _choice(field: Field, value: str, options: Iterable[S], unknown: str) -> S:
    """One of ``options``, matched case-insensitively. Unlike ``validate.choice`` the message
    lists no options: they are ids, and the page offers their German names."""
    wanted = value.strip().casefold()
    for option in options:
        if option.casefold() == wanted:
            return option
    raise InvalidInput(field, f"{unknown} {value.strip()!r}")


def _option(field: Field, value: str, options: Iterable[S], unknown: str) -> S | None:
    """One of ``options``, or None (blank: every one)."""
    return _choice(field, value, options, unknown) if value.strip() else None


def _outbox(repo: Repository, query: OutboxQuery) -> tuple[list[OutboxRow], int]:
    return repo.outbox.search(query)


def _coaches(repo: Repository, query: CoachQuery) -> tuple[list[tuple[Coach, int]], int]:
    return repo.find_coaches(query)


def _users(repo: Repository, query: UserQuery) -> tuple[list[User], int]:
    return repo.users.search(query)


def _coach_query(search: CoachSearch) -> Making[CoachQuery]:
    checked = CoachQuery(
        active=_yes_no("active", search.active),
        text=validate.text("text", search.text, required=False),
        sort=_choice("sort", search.sort, CoachSort, UNKNOWN_SORT),
    )
    return lambda offset, limit: replace(checked, offset=offset, limit=limit)


def _user_query(search: UserSearch) -> Making[UserQuery]:
    checked = UserQuery(
        role=_option("role", search.role, Role, "unbekannte Rolle"),
        disabled=None if (active := _yes_no("active", search.active)) is None else not active,
        text=validate.text("text", search.text, required=False),
        sort=_choice("sort", search.sort, UserSort, UNKNOWN_SORT),
    )
    return lambda offset, limit: replace(checked, offset=offset, limit=limit)
