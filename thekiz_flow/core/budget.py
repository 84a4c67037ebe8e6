"""Budget and load arithmetic: pure functions of the history and the activities.

A stage's yearly budget accrues per month: each calendar month counts with the stage in
force on its 15th (so a change on or before the 15th counts for that month). The months
share the yearly amount in whole cents so that they add up to it exactly: month ``m`` gets
the yearly amount prorated to the end of month ``m`` less that prorated to the end of the
month before, each rounded to the cent (5.000 € a year: 416,67 €, 416,66 €, 416,67 €, …,
together 5.000,00 €). Any run of months so gets its pro-rata share to within a cent, a
whole year exactly. The cost of a session is its hours times the coach's rate recorded
with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Protocol

from dateutil.relativedelta import relativedelta

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.history import Change
from thekiz_flow.core.model import Activity, StageChange, Workflow

CENT = Decimal("0.01")
MID_MONTH = 15


def stages_on(history: Sequence[Change], initial: str, days: Iterable[date]) -> list[str]:
    """The stage in force on each of ``days`` (ascending), as :func:`history.stay_on` tells
    it, in one walk along the audit trail."""
    stages = []
    stage, at, count = initial, 0, len(history)
    for day in days:
        while at < count and history[at].effective <= day:
            stage = history[at].to_stage
            at += 1
        stages.append(stage)
    return stages


def mid_months(year: int) -> list[date]:
    """The days on which the months of ``year`` count for the budget."""
    return [date(year, month, MID_MONTH) for month in range(1, 13)]


def monthly_stages(history: Sequence[Change], initial: str, year: int) -> list[str]:
    return stages_on(history, initial, mid_months(year))


MONTHS = 12


@lru_cache(maxsize=256)
def monthly_shares(yearly: Decimal) -> tuple[Decimal, ...]:
    """The twelve months' shares of ``yearly`` in whole cents, adding up to it exactly (see
    the module)."""
    prorated = [
        (yearly * month / MONTHS).quantize(CENT, rounding=ROUND_HALF_UP)
        for month in range(MONTHS + 1)
    ]
    return tuple(prorated[m + 1] - prorated[m] for m in range(MONTHS))


def accrued_budget(workflow: Workflow, stages: Sequence[str | None]) -> Decimal:
    """The budget the months accrue: ``stages`` holds the stage of each month from January
    on (None: a month that does not count, such as one before the centre was registered)."""
    total = Decimal(0)
    for month, stage_id in enumerate(stages):
        yearly = None if stage_id is None else workflow.stage(stage_id).budget_per_year
        if yearly is not None:
            total += monthly_shares(yearly)[month]
    return total


def has_budget(workflow: Workflow, stages: Iterable[str | None]) -> bool:
    """Whether any of the months' stages has a yearly budget (the others are by need)."""
    return any(s is not None and workflow.stage(s).budget_per_year is not None for s in stages)


def cost(activity: Activity) -> Decimal:
    if activity.kind != ActivityKind.COACHING:
        return Decimal(0)
    return session_cost(activity.hours, activity.rate)


@lru_cache(maxsize=1024)  # sessions repeat a few (hours, rate) pairs
def session_cost(hours: Decimal | None, rate: Decimal | None) -> Decimal:
    """A session's hours times the coach's rate, to the cent; 0 without either."""
    if hours is None or rate is None:
        return Decimal(0)
    return (hours * rate).quantize(CENT)


@dataclass(frozen=True)
class YearBudget:
    year: int
    budget: Decimal
    spent: Decimal  # held sessions
    committed: Decimal  # planned sessions
    budgeted: bool = True  # False: no month of the year in a stage with a budget (by need)

    @property
    def rest(self) -> Decimal:
        return self.budget - self.spent - self.committed


def year_allowance(workflow: Workflow, history: Sequence[Change], year: int) -> Decimal:
    """The budget ``year`` accrues according to the audit trail."""
    return accrued_budget(workflow, monthly_stages(history, workflow.initial, year))


def year_budget(
    workflow: Workflow, history: Sequence[StageChange], activities: Iterable[Activity], year: int
) -> YearBudget:
    in_year = [a for a in activities if a.date.year == year]
    stages = monthly_stages(history, workflow.initial, year)
    return YearBudget(
        year,
        accrued_budget(workflow, stages),
        sum((cost(a) for a in in_year if a.status == ActivityStatus.HELD), Decimal(0)),
        sum((cost(a) for a in in_year if a.status == ActivityStatus.PLANNED), Decimal(0)),
        has_budget(workflow, stages),
    )


@dataclass(frozen=True)
class MonthLoad:
    month: date  # the first of the month
    planned: Decimal
    held: Decimal
    over: bool


def load_last_day(first_month: date, months: int) -> date:
    """The last day of ``months`` months from ``first_month`` (the window of a coach's load)."""
    return first_month.replace(day=1) + relativedelta(months=months) - timedelta(days=1)


def coach_load(
    activities: Iterable[Activity], first_month: date, months: int, maximum: Decimal
) -> list[MonthLoad]:
    """A coach's planned and held hours per month, and where they exceed ``maximum``."""
    starts = [first_month.replace(day=1) + relativedelta(months=n) for n in range(months)]
    planned = {m: Decimal(0) for m in starts}
    held = {m: Decimal(0) for m in starts}
    for activity in activities:
        month = activity.date.replace(day=1)
        if activity.kind != ActivityKind.COACHING or activity.hours is None or month not in planned:
            continue
        if activity.status == ActivityStatus.PLANNED:
            planned[month] += activity.hours
        elif activity.status == ActivityStatus.HELD:
            held[month] += activity.hours
    return [MonthLoad(m, planned[m], held[m], planned[m] + held[m] > maximum) for m in starts]


def crossing(spending: Iterable[tuple[datetime, Decimal]], limit: Decimal) -> datetime | None:
    """The moment the running total of ``spending`` (moment, amount; in order) reached
    ``limit``, if it did."""
    total = Decimal(0)
    for moment, amount in spending:
        total += amount
        if total >= limit:
            return moment
    return None


class Spent(Protocol):
    """What the budget reminders need of a held coaching session."""

    @property
    def id(self) -> int: ...
    @property
    def recorded_at(self) -> datetime | None: ...
    @property
    def hours(self) -> Decimal | None: ...
    @property
    def rate(self) -> Decimal | None: ...


@dataclass(frozen=True)
class BudgetYear:
    """A centre's budget year, as far as the budget reminders need it."""

    centre_id: int
    year: int
    budget: Decimal
    spent: Decimal  # by the held sessions
    spending: list[tuple[datetime, Decimal]]  # (recorded_at, cost) of those, as recorded

    @property
    def last_recorded(self) -> datetime:
        """When the latest of its sessions was recorded (one was, or it would not be read)."""
        return self.spending[-1][0]


def budget_year(
    workflow: Workflow, centre_id: int, year: int, history: Sequence[Change], held: Iterable[Spent]
) -> BudgetYear:
    """A centre's :class:`BudgetYear` from its audit trail (in the order recorded) and the
    coaching sessions it held in ``year``: the budget the year accrues, what they cost, and
    the running order of that spending (sessions without a record moment count in ``spent``
    only)."""
    sessions = list(held)
    return BudgetYear(
        centre_id,
        year,
        year_allowance(workflow, history, year),
        sum((session_cost(s.hours, s.rate) for s in sessions), Decimal(0)),
        spending(sessions),
    )


def spending(held: Iterable[Spent]) -> list[tuple[datetime, Decimal]]:
    """(recorded_at, cost) of the held sessions with a record, in the order recorded (the
    session's id decides between equal moments)."""
    recorded = sorted(
        (s.recorded_at, s.id, session_cost(s.hours, s.rate))
        for s in held
        if s.recorded_at is not None
    )
    return [(moment, amount) for moment, _, amount in recorded]
