"""A forecast of the programme: centres per stage, coaching sessions, hours, cost, budget
and coaches needed, month by month, from today's centres and so many new admissions a year.

It uses the live system's rules, not a copy: each centre takes the workflow's forward
steps (``forward = true``) as soon as their ``min_months_in_stage`` guard allows (the
minimum durations; every other guard is taken as met), the planner
(:func:`thekiz_flow.core.planning.plan`) dates its sessions on the working-day calendar,
the budget accrues as in the digest (:func:`thekiz_flow.core.budget.accrued_budget`, the
stage on each month's 15th) and a session costs hours times rate to the cent
(:func:`thekiz_flow.core.budget.session_cost`). Pure: nothing is read or written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, Decimal

from dateutil.relativedelta import relativedelta

from thekiz_flow.core import validate
from thekiz_flow.core.budget import MID_MONTH, accrued_budget, session_cost
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.enums import ActivityKind
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Centre, Workflow
from thekiz_flow.core.planning import PlanInput, add_months, plan

MIN_MONTHS = "min_months_in_stage"
ASSUMPTIONS = (
    "Jede Einrichtung geht nach der Mindestdauer ihrer Stufe in die nächste Stufe über; "
    "alle weiteren Voraussetzungen gelten als erfüllt.",
    "Begleittermine wie geplant, mit den vorgesehenen Stunden; keine Absagen.",
    "Neue Einrichtungen werden am ersten Arbeitstag eines Monats aufgenommen.",
    "Begleitung auf Anfrage (Stufen ohne festen Takt): so viele Stunden je Einrichtung und "
    "Monat wie in den 12 Monaten vor Beginn der Prognose; sie zählen zu Stunden und Kosten, "
    "nicht zu den Terminen.",
)


@dataclass(frozen=True)
class Seed:
    """A centre as the forecast starts it: in ``stage`` since ``since``."""

    district: str
    stage: str
    since: date
    rate: Decimal  # the hourly rate of its sessions


@dataclass(frozen=True)
class Scenario:
    """New admissions: ``per_year`` spread over the months and the districts in turn, or
    ``districts`` (district, admissions a year) as given."""

    per_year: int
    districts: tuple[tuple[str, int], ...] = ()
    admitted: tuple[tuple[date, str], ...] = ()  # (day, district): as they really were

    @property
    def name(self) -> str:
        if self.admitted:
            return f"{len(self.admitted)} aufgenommen wie erfasst"
        if self.districts:
            return ", ".join(f"{d} {n}" for d, n in self.districts) + " je Jahr"
        return f"{self.per_year} neue je Jahr"


@dataclass(frozen=True)
class Cell:
    """The figures of one month, district and stage."""

    centres: int = 0
    sessions: int = 0
    hours: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    budget: Decimal = Decimal(0)


def _plus(a: Cell, b: Cell) -> Cell:
    return Cell(
        a.centres + b.centres,
        a.sessions + b.sessions,
        a.hours + b.hours,
        a.cost + b.cost,
        a.budget + b.budget,
    )


@dataclass(frozen=True)
class Forecast:
    scenario: Scenario
    months: tuple[date, ...]  # the first of each month
    cells: Mapping[tuple[date, str, str], Cell]  # (month, district, stage)
    stages: tuple[tuple[str, str], ...]  # (id, German name), workflow order
    max_hours: Decimal  # of a coach a month
    coaches: int  # there are now
    assumed_rate: Decimal  # of the new centres' sessions
    on_request: Mapping[str, Decimal] = field(default_factory=dict)  # hours a centre-month

    def month(self, month: date) -> Cell:
        return _sum(c for (m, _, _), c in self.cells.items() if m == month)

    def month_stage(self, month: date, stage: str) -> Cell:
        return _sum(c for (m, _, s), c in self.cells.items() if m == month and s == stage)

    def year(self, year: int, district: str | None = None) -> Cell:
        """Sessions, hours, cost and budget of a year; centres at its last month."""
        last = max(m for m in self.months if m.year == year)
        found = _sum(
            c
            for (m, d, _), c in self.cells.items()
            if m.year == year and (district is None or d == district)
        )
        centres = sum(
            c.centres
            for (m, d, _), c in self.cells.items()
            if m == last and (district is None or d == district)
        )
        return replace(found, centres=centres)

    def coaches_needed(self, month: date) -> int:
        hours = self.month(month).hours
        if not self.max_hours:
            return 0
        return int((hours / self.max_hours).to_integral_value(rounding=ROUND_CEILING))

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({m.year for m in self.months}))

    @property
    def districts(self) -> tuple[str, ...]:
        return tuple(sorted({d for (_, d, _) in self.cells}))


def _sum(cells: Iterable[Cell]) -> Cell:
    total = Cell()
    for cell in cells:
        total = _plus(total, cell)
    return total


def forward_steps(workflow: Workflow) -> dict[str, tuple[str, int]]:
    """Each stage's forward step: (next stage, its minimum months in the stage)."""
    steps: dict[str, tuple[str, int]] = {}
    for transition in workflow.transitions.values():
        if not transition.forward or transition.returns:
            continue
        months = next(
            (g.params.get("months", 0) for g in transition.guards if g.name == MIN_MONTHS), 0
        )
        for source in transition.sources:
            if source in workflow.stages and source != transition.dest:
                steps[source] = (transition.dest, int(months))
    return steps


def timeline(
    workflow: Workflow, stage: str, since: date, until: date
) -> list[tuple[str, date, date]]:
    """The stays (stage, first day, day after the last) from ``since`` to ``until`` under
    the minimum durations; the initial stage is left only by an admission."""
    steps = forward_steps(workflow)
    stays = []
    while since < until:
        step = steps.get(stage) if stage != workflow.initial else None
        end = until
        if step is not None and step[1] > 0:
            end = min(until, since + relativedelta(months=step[1]))
        stays.append((stage, since, end))
        if step is None or end >= until:
            break
        stage, since = step[0], end
    return stays


def admissions(
    scenario: Scenario, start: date, months: int, districts: Sequence[str], calendar: WorkCalendar
) -> list[tuple[date, str]]:
    """(day, district) of each new admission: per year, spread evenly over its months (or
    as the scenario lists them)."""
    if scenario.admitted:
        return list(scenario.admitted)
    quotas = list(scenario.districts) or [("", scenario.per_year)]
    found: list[tuple[date, str]] = []
    turn = 0
    for index in range(months):
        month = add_months(start.replace(day=1), index)
        step = index % 12
        day = calendar.shift(month) or month
        for district, per_year in quotas:
            count = (per_year * (step + 1)) // 12 - (per_year * step) // 12
            for _ in range(count):
                if district:
                    found.append((day, district))
                else:
                    found.append((day, districts[turn % len(districts)]))
                    turn += 1
    return found


def forecast(
    workflow: Workflow,
    calendar: WorkCalendar,
    seeds: Sequence[Seed],
    scenario: Scenario,
    start: date,
    months: int,
    coaches: int,
    assumed_rate: Decimal,
    on_request: Mapping[str, Decimal] | None = None,
) -> Forecast:
    """The forecast of ``months`` months from the month of ``start``."""
    first = start.replace(day=1)
    month_list = tuple(add_months(first, k) for k in range(months))
    end = add_months(first, months)
    admit = next(
        (
            t.dest
            for t in workflow.transitions.values()
            if workflow.initial in t.sources and t.forward
        ),
        workflow.initial,
    )
    everyone = [*seeds]
    everyone += [
        Seed(district, admit, day, assumed_rate)
        for day, district in admissions(scenario, start, months, workflow.districts, calendar)
    ]
    cells: dict[tuple[date, str, str], Cell] = defaultdict(Cell)
    for seed in everyone:
        for stage_id, since, until in timeline(workflow, seed.stage, seed.since, end):
            _stay(workflow, calendar, seed, (stage_id, since, until), (first, end), cells)
            extra = (on_request or {}).get(stage_id)
            if extra:
                _on_request(seed, (stage_id, since, until), (first, end), extra, cells)
    return Forecast(
        scenario,
        month_list,
        dict(cells),
        tuple((s.id, s.name) for s in workflow.stages.values()),
        workflow.coach_max_hours_per_month,
        coaches,
        assumed_rate,
        dict(on_request or {}),
    )


Stay = tuple[str, date, date]  # stage, first day, day after the last


def _mid_months(stay: Stay, window: tuple[date, date]) -> Iterable[date]:
    """The months of the window whose 15th falls in the stay."""
    _, since, until = stay
    first, end = window
    month = max(first, since.replace(day=1))
    while month < end and month <= until:
        if since <= month.replace(day=MID_MONTH) < until:
            yield month
        month = add_months(month, 1)


def _on_request(
    seed: Seed,
    stay: Stay,
    window: tuple[date, date],
    hours: Decimal,
    cells: dict[tuple[date, str, str], Cell],
) -> None:
    """Coaching on request: ``hours`` in each month of the stay."""
    for month in _mid_months(stay, window):
        key = (month, seed.district, stay[0])
        cells[key] = _plus(cells[key], Cell(hours=hours, cost=session_cost(hours, seed.rate)))


def _stay(
    workflow: Workflow,
    calendar: WorkCalendar,
    seed: Seed,
    stay: Stay,
    window: tuple[date, date],
    cells: dict[tuple[date, str, str], Cell],
) -> None:
    """Add one stay's months (centre, budget) and planned sessions to ``cells``."""
    stage_id, since, until = stay
    first, end = window
    for month in _mid_months(stay, window):
        key = (month, seed.district, stage_id)
        cells[key] = _plus(cells[key], Cell(centres=1, budget=accrued_budget(workflow, [stage_id])))
    centre = Centre(0, "", seed.district, "", None, None, stage_id, since)
    for planned in plan(workflow, PlanInput(centre, (), (), since), calendar):
        if planned.kind != ActivityKind.COACHING or not (first <= planned.date < end):
            continue
        if not since <= planned.date < until:
            continue
        hours = planned.hours or Decimal(0)
        key = (planned.date.replace(day=1), seed.district, stage_id)
        cells[key] = _plus(
            cells[key], Cell(sessions=1, hours=hours, cost=session_cost(hours, seed.rate))
        )


def parse_scenarios(new_per_year: str | None, districts: str | None) -> list[Scenario]:
    """5,10,20 and Gotha:2,Jena:1 as scenarios (default: 10 new centres a year)."""
    found = []
    for part in (new_per_year or ("" if districts else "10")).split(","):
        if part.strip():
            found.append(Scenario(validate.identifier("new_per_year", part)))
    if districts:
        quotas = []
        for part in districts.split(","):
            name, sep, count = part.rpartition(":")
            if not sep or not name.strip():
                raise InvalidInput(
                    "districts", f"{part.strip()!r}: Landkreis:Anzahl erwartet, z. B. Gotha:2"
                )
            quotas.append((name.strip(), validate.identifier("districts", count)))
        found.append(Scenario(sum(n for _, n in quotas), tuple(quotas)))
    return found
