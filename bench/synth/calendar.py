"""Days and moments of the synthetic history: the workflow's calendar, remembered."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bench.common import BERLIN
from thekiz_flow.core.calendar import WorkCalendar, make_holidays
from thekiz_flow.core.model import Workflow


def at(day: date, moment: time) -> datetime:
    """``moment`` of ``day`` in the bench's zone."""
    return datetime.combine(day, moment, BERLIN)


def workday(day: date) -> date:
    """``day``, or the Monday after it if it falls on a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class CachedCalendar(WorkCalendar):
    """The workflow's calendar with its answers remembered (synthetic centres have no closures)."""

    def __init__(self, workflow: Workflow) -> None:
        super().__init__(make_holidays(workflow.holidays), workflow.closures)
        self._shifted: dict[date, date | None] = {}
        self._next: dict[date, date] = {}

    def shift(self, day: date) -> date | None:
        if day not in self._shifted:
            self._shifted[day] = super().shift(day)
        return self._shifted[day]

    def next_working_day(self, day: date) -> date:
        if day not in self._next:
            self._next[day] = super().next_working_day(day)
        return self._next[day]


def training_day(flow: Workflow, calendar: WorkCalendar, kind: str, month: date) -> date:
    """The day of a kind's trainings in a month (the same for every place and group)."""
    offset = list(flow.training_kinds).index(kind) % 4
    return calendar.next_working_day(month + timedelta(days=7 + offset))
