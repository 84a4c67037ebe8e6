"""Working days: weekends, public holidays of Thuringia, and closure days.

A date that is not a working day moves to the next working day in the same month,
else to the previous one (a monthly session stays in its month).
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from holidays import HolidayBase, country_holidays

from thekiz_flow.model import AnnualClosure, Workflow

WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def make_holidays(spec: str) -> HolidayBase:
    country, _, subdivision = spec.partition("-")
    return country_holidays(country, subdiv=subdivision or None, language="de")


class WorkCalendar:
    def __init__(
        self,
        holidays: HolidayBase,
        closures: Sequence[AnnualClosure] = (),
        centre_closures: Iterable[tuple[date, date]] = (),
    ) -> None:
        self._holidays = holidays
        self._closures = tuple(closures)
        self._centre = tuple(centre_closures)

    @classmethod
    def of(cls, workflow: Workflow) -> WorkCalendar:
        return cls(make_holidays(workflow.holidays), workflow.closures)

    def for_centre(self, closures: Iterable[tuple[date, date]]) -> WorkCalendar:
        """The same calendar plus one centre's own closure days."""
        return WorkCalendar(self._holidays, self._closures, closures)

    def closed(self, day: date) -> str | None:
        """Why ``day`` is not a working day (German), or None if it is one."""
        if day.weekday() >= 5:
            return WEEKDAYS[day.weekday()]
        holiday = self._holidays.get(day)
        if holiday:
            return f"Feiertag ({holiday})"
        for closure in self._closures:
            if closure.first <= (day.month, day.day) <= closure.last:
                return closure.name
        if any(first <= day <= last for first, last in self._centre):
            return "Schließtag der Einrichtung"
        return None

    def is_working_day(self, day: date) -> bool:
        return self.closed(day) is None

    def shift(self, day: date) -> date | None:
        """The next working day in the same month, else the previous; None if there is none."""
        last = day.replace(day=stdlib_calendar.monthrange(day.year, day.month)[1])
        forward = _days(day, last)
        backward = _days(day.replace(day=1), day - timedelta(days=1))
        for candidate in (*forward, *reversed(backward)):
            if self.is_working_day(candidate):
                return candidate
        return None

    def next_working_day(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
