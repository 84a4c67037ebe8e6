"""Read-only views: activities, a centre's budget of the year, a coach's load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from thekiz_flow.core.budget import MonthLoad, YearBudget, coach_load, year_budget
from thekiz_flow.core.ids import unknown
from thekiz_flow.core.model import Activity, ActivityFilter, Coach
from thekiz_flow.service.runtime import Runtime

LOAD_MONTHS = 12


@dataclass(frozen=True)
class CoachReport:
    coach: Coach
    centres: int
    load: list[MonthLoad]


class OverviewService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def activities(self, where: ActivityFilter) -> list[Activity]:
        with self.rt.unit() as repo:
            return repo.activities.find(where)

    def budget(self, centre_id: int, year: int | None = None) -> YearBudget:
        """Budget, spent, committed and rest of the centre's calendar year."""
        wanted = year or self.rt.today().year
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            history = repo.history(centre.id)
            return year_budget(
                self.rt.workflow, history, repo.activities.of_centre(centre.id), wanted
            )

    def coach_report(self, coach_id: int, first_month: date | None = None) -> CoachReport:
        start = (first_month or self.rt.today()).replace(day=1)
        with self.rt.unit() as repo:
            coach = repo.coach(coach_id)
            if coach is None:
                raise unknown("coach", coach_id)
            sessions = repo.activities.find(ActivityFilter(coach_id=coach.id, first=start))
            centres = sum(1 for c in repo.centres() if c.coach_id == coach.id)
        maximum = self.rt.workflow.coach_max_hours_per_month
        return CoachReport(coach, centres, coach_load(sessions, start, LOAD_MONTHS, maximum))
