"""The calendar: a month of sessions, site visits and trainings, as much as a page shows.

Each day of a month comes with how many sessions and site visits it has and the first few
of them; a whole day is listed a page at a time. What is read grows with what is shown, not
with the programme: the counts are grouped in SQL, the few of each day read by an index
(``store/calendar_query.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from thekiz_flow.core import paging
from thekiz_flow.core.activity_list import CalendarDay, CalendarQuery, ListedActivity
from thekiz_flow.core.model import Training
from thekiz_flow.core.paging import Page
from thekiz_flow.service.runtime import Runtime


@dataclass(frozen=True)
class CalendarMonth:
    """The days of a month that have sessions or site visits, and its trainings."""

    days: list[CalendarDay]
    trainings: list[Training]


class CalendarService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def month(self, query: CalendarQuery, shown: int) -> CalendarMonth:
        """The days from ``query.first`` to ``query.last`` with their counts and first
        ``shown`` activities, and the trainings of those days."""
        with self.rt.unit() as repo:
            days = repo.calendar.days(query, shown)
            trainings = repo.trainings.dated(query.first, query.last)
        return CalendarMonth(days, trainings)

    def day(self, query: CalendarQuery, page: str) -> tuple[Page[ListedActivity], list[Training]]:
        """One page of the sessions and site visits of the day ``query.first`` (site visits
        first, then by centre), and the day's trainings."""
        number = paging.page_number(page)
        with self.rt.unit() as repo:
            total = sum(repo.calendar.counts(query).values())
            found = repo.calendar.day(query, paging.offset(number), paging.size())
            trainings = repo.trainings.dated(query.first, query.first)
        return Page.of(found, total, number), trainings
