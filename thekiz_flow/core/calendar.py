"""Working days: weekends, public holidays of Thuringia, and closure days.

A date that is not a working day moves to the next working day in the same month,
else to the previous one (a monthly session stays in its month).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from holidays import HolidayBase, country_holidays

from thekiz_flow.core.model import AnnualClosure, Workflow

ONE_DAY = timedelta(days=1)
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
        # Known once for every calendar made by for_centre():
        self._common: dict[date, str | None] = {}  # day -> why every centre is closed
        self._shifts: dict[date, date | None] = {}  # day -> shift(day) without own closures

    @classmethod
    def of(cls, workflow: Workflow) -> WorkCalendar:
        return cls(make_holidays(workflow.holidays), workflow.closures)

    def for_centre(self, closures: Iterable[tuple[date, date]]) -> WorkCalendar:
        """The same calendar plus one centre's own closure days."""
        calendar = WorkCalendar(self._holidays, self._closures, closures)
        calendar._common, calendar._shifts = self._common, self._shifts
        return calendar

    def closed(self, day: date) -> str | None:
        """Why ``day`` is not a working day (German), or None if it is one."""
        if day not in self._common:
            self._common[day] = self._closed_for_all(day)
        why = self._common[day]
        if why is None and any(first <= day <= last for first, last in self._centre):
            return "Schließtag der Einrichtung"
        return why

    def _closed_for_all(self, day: date) -> str | None:
        if day.weekday() >= 5:
            return WEEKDAYS[day.weekday()]
        holiday = self._holidays.get(day)
        if holiday:
            return f"Feiertag ({holiday})"
        for closure in self._closures:
            if closure.first <= (day.month, day.day) <= closure.last:
                return closure.name
        return None

    def is_working_day(self, day: date) -> bool:
        return self.closed(day) is None

    def shift(self, day: date) -> date | None:
        """The next working day in the same month, else the previous; None if there is none."""
        if self._centre:
            return self._shift(day)
        if day not in self._shifts:
            self._shifts[day] = self._shift(day)
        return self._shifts[day]

    def _shift(self, day: date) -> date | None:
        candidate = day
        while candidate.month == day.month:
            if self.is_working_day(candidate):
                return candidate
            candidate += ONE_DAY
        candidate = day - ONE_DAY
        while candidate.month == day.month:
            if self.is_working_day(candidate):
                return candidate
            candidate -= ONE_DAY
        return None

    def next_working_day(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day
