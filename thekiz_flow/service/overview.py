"""Read-only views: activities, a centre's budget of the year, a coach's load, and what
needs attention today (the office's worklist, also the monthly overview mail's content)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Generic, TypeVar

from thekiz_flow.core.budget import (
    MonthLoad,
    YearBudget,
    coach_load,
    load_last_day,
    year_budget,
)
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus
from thekiz_flow.core.ids import unknown
from thekiz_flow.core.model import Activity, ActivityFilter, Centre, Coach, Training
from thekiz_flow.core.outbox import OutboxRow
from thekiz_flow.service.budget_watch import BudgetWatch
from thekiz_flow.service.lifecycle import Eligibility, LifecycleService
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

LOAD_MONTHS = 12
UPCOMING = timedelta(days=30)  # how far ahead "the next 30 days" look
VISITS_AHEAD = timedelta(days=14)  # a planned site visit is due this long before its day
SEATS_AHEAD = timedelta(days=56)  # free seats of a training this close are worth filling
BUDGET_WARNING = 80  # percent of the year's budget spent

T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """The first items of a list, and how many it has in all."""

    items: list[T]
    total: int

    @property
    def cut(self) -> bool:
        """Whether items were left out."""
        return self.total > len(self.items)


@dataclass(frozen=True)
class Dated:
    """A planned activity with its centre and the name of its coach ("–" if none)."""

    activity: Activity
    centre: Centre
    coach: str


@dataclass(frozen=True)
class OpenTraining:
    """A coming training with free seats or a waiting list."""

    training: Training
    enrolled: int
    waiting: int

    @property
    def free(self) -> int:
        return max(self.training.capacity - self.enrolled, 0)


@dataclass(frozen=True)
class BudgetWarning:
    centre: Centre
    percent: int  # of the year's budget spent, rounded down


# The worklist's groups, by the name of their field in `Worklist`.
GROUPS = ("unrecorded", "visits", "eligible", "trainings", "budget", "failed", "upcoming")


@dataclass(frozen=True)
class Worklist:
    """What needs the office's attention on ``today``, each group cut to a length."""

    today: date
    unrecorded: Listed[Dated]  # coaching sessions planned before today, not recorded
    visits: Listed[Dated]  # planned site visits up to VISITS_AHEAD from today
    eligible: Listed[Eligibility]  # centres that may take their next step
    trainings: Listed[OpenTraining]  # free seats soon, or a waiting list
    budget: Listed[BudgetWarning]  # active centres that spent BUDGET_WARNING % or more
    failed: Listed[OutboxRow]  # mails that failed for good
    upcoming: Listed[Dated]  # everything planned in the next 30 days


@dataclass(frozen=True)
class CoachDay:
    """A coach's sessions on ``today``: the ones to record and the next ones."""

    coach: Coach
    today: date
    last: date  # the last day of the next ones
    unrecorded: Listed[Dated]
    upcoming: Listed[Dated]


@dataclass(frozen=True)
class CoachReport:
    coach: Coach
    centres: int
    load: list[MonthLoad]


class OverviewService:
    def __init__(self, rt: Runtime, lifecycle: LifecycleService) -> None:
        self.rt = rt
        self.lifecycle = lifecycle
        self.budget_watch = BudgetWatch(rt.workflow)

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

    def budgets(self, centre_id: int) -> list[YearBudget]:
        """The centre's budget of this year and of every earlier year it had a budget or
        sessions in, the latest first (read once, figured per year)."""
        this = self.rt.today().year
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            history = repo.history(centre.id)
            activities = repo.activities.of_centre(centre.id)
        first = min(
            [this, *(c.effective.year for c in history), *(a.date.year for a in activities)]
        )
        years = (
            year_budget(self.rt.workflow, history, activities, year)
            for year in range(this, first - 1, -1)
        )
        return [b for b in years if b.year == this or b.budget or b.spent or b.committed]

    def coach_report(self, coach_id: int, first_month: date | None = None) -> CoachReport:
        start = (first_month or self.rt.today()).replace(day=1)
        with self.rt.unit() as repo:
            coach = repo.coach(coach_id)
            if coach is None:
                raise unknown("coach", coach_id)
            last = load_last_day(start, LOAD_MONTHS)
            # by coach and date (its index); coach_load keeps the coaching sessions
            sessions = repo.activities.find(
                ActivityFilter(coach_id=coach.id, first=start, last=last)
            )
            centres = repo.centre_count_of_coach(coach.id)
        maximum = self.rt.workflow.coach_max_hours_per_month
        return CoachReport(coach, centres, coach_load(sessions, start, LOAD_MONTHS, maximum))

    # ------------------------------------------------------------ what needs attention
    def worklist(
        self, today: date, limit: int | None = None, whole: Collection[str] = ()
    ) -> Worklist:
        """What needs attention on ``today``: each group's first ``limit`` items (None: all)
        and its length; the groups named in ``whole`` (of ``GROUPS``) uncut.

        Costs what it shows: eligibility by the stored ``next_step_on``, the budget warnings
        by the percents kept on write (`BudgetWatch`: after writes, the centres they touched
        are figured again first), only the centres and coaches shown read.
        """

        def cut(group: str) -> int | None:
            return None if group in whole else limit

        eligible = self.lifecycle.allowed(today, cut("eligible"))
        with self.rt.unit() as repo:
            unrecorded = repo.activities.first(
                ActivityFilter(
                    kind=ActivityKind.COACHING,
                    status=ActivityStatus.PLANNED,
                    last=today - timedelta(days=1),
                ),
                cut("unrecorded"),
            )
            visits = repo.activities.first(
                ActivityFilter(
                    kind=ActivityKind.SITE_VISIT,
                    status=ActivityStatus.PLANNED,
                    last=today + VISITS_AHEAD,
                ),
                cut("visits"),
            )
            upcoming = repo.activities.first(
                ActivityFilter(status=ActivityStatus.PLANNED, first=today, last=today + UPCOMING),
                cut("upcoming"),
            )
            dated = self._dated(repo, [unrecorded, visits, upcoming])
            failed_limit = cut("failed")
            failed = repo.outbox.find(OutboxStatus.FAILED, failed_limit)
            failed_total = (
                len(failed) if failed_limit is None else repo.outbox.count(OutboxStatus.FAILED)
            )
            trainings = self._open_trainings(repo, today, cut("trainings"))
            budget = self._budget_warnings(repo, today.year, cut("budget"))
        return Worklist(
            today,
            dated[0],
            dated[1],
            Listed(*eligible),
            trainings,
            budget,
            Listed(failed, failed_total),
            dated[2],
        )

    def _dated(
        self, repo: Repository, found: Sequence[tuple[list[Activity], int]]
    ) -> list[Listed[Dated]]:
        """Lists of activities with their centres and coaches' names: only the centres and
        coaches shown, read once for all lists."""
        shown = [a for items, _ in found for a in items]
        centres = repo.centres_by_id({a.centre_id for a in shown})
        found_coaches = repo.coaches_by_id({a.coach_id for a in shown if a.coach_id})
        coaches = {i: c.name for i, c in found_coaches.items()}
        return [
            Listed(
                [Dated(a, centres[a.centre_id], coaches.get(a.coach_id or 0, "–")) for a in items],
                total,
            )
            for items, total in found
        ]

    def _open_trainings(
        self, repo: Repository, today: date, limit: int | None
    ) -> Listed[OpenTraining]:
        """The first ``limit`` trainings from today on, not called off, with free seats within
        SEATS_AHEAD or with a waiting list, and how many: counted in the database."""
        found, total = repo.trainings.open_seats(today, today + SEATS_AHEAD, limit)
        return Listed([OpenTraining(t, enrolled, waiting) for t, enrolled, waiting in found], total)

    def _budget_warnings(
        self, repo: Repository, year: int, limit: int | None
    ) -> Listed[BudgetWarning]:
        """The first ``limit`` active centres that spent BUDGET_WARNING percent of the year's
        budget or more, the most first, and how many: from the percents kept on write."""
        found, total = self.budget_watch.highest(repo, year, BUDGET_WARNING, limit)
        centres = repo.centres_by_id([i for i, _ in found])
        return Listed([BudgetWarning(centres[i], percent) for i, percent in found], total)

    def coach_day(self, coach_id: int, today: date, limit: int | None = None) -> CoachDay:
        """A coach's planned sessions: those before ``today`` (still to record) and those of
        the next 30 days, each the first ``limit`` (None: all) and how many in all."""
        with self.rt.unit() as repo:
            coach = repo.coach(coach_id)
            if coach is None:
                raise unknown("coach", coach_id)
            mine = ActivityFilter(
                coach_id=coach.id, kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
            )
            before = replace(mine, last=today - timedelta(days=1))
            ahead = replace(mine, first=today, last=today + UPCOMING)
            found = [repo.activities.first(where, limit) for where in (before, ahead)]
            unrecorded, upcoming = self._dated(repo, found)
        return CoachDay(coach, today, today + UPCOMING, unrecorded, upcoming)
