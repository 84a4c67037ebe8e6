"""A forecast of the programme: centres per stage, coaching sessions, hours, cost, budget
and coaches needed, month by month, from today's centres and so many new admissions a year.

It uses the live system's rules, not a copy: each centre takes the workflow's forward
steps (``forward = true``) as soon as their ``min_months_in_stage`` guard allows (the
minimum durations; every other guard is taken as met, and a step already due before the
start is taken at the start). A stage with a renewal (a transition from the stage to
itself, guarded by ``min_months_in_programme_year``) runs in programme years: at the end
of each the centre renews (a new programme year, with new sessions from the planner) or
takes its forward step, in the share the history before the start shows
(:class:`Renewal`). The planner
(:func:`thekiz_flow.core.planning.plan`) dates its sessions on the working-day calendar,
the budget accrues as in the digest (:func:`thekiz_flow.core.budget.accrued_budget`, the
stage on each month's 15th) and a session costs hours times rate to the cent
(:func:`thekiz_flow.core.budget.session_cost`). Pure: nothing is read or written.
"""

from __future__ import annotations

import heapq
from calendar import isleap
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from functools import cached_property
from typing import NamedTuple

from thekiz_flow.core import german, validate
from thekiz_flow.core.budget import MID_MONTH, accrued_budget, session_cost
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.enums import ActivityKind
from thekiz_flow.core.errors import Field, InvalidInput
from thekiz_flow.core.model import Centre, Workflow
from thekiz_flow.core.planning import PlanInput, add_months, plan

MIN_MONTHS = "min_months_in_stage"
MAX_NEW_PER_YEAR = 200  # admissions a year a scenario may assume
MAX_SCENARIOS = 3  # side by side
FIRST_VIEW = (3, "5,10,20")  # years and new centres a year of the page's first view
MIN_YEAR_MONTHS = "min_months_in_programme_year"
ASSUMPTIONS = (
    "Jede Einrichtung geht nach der Mindestdauer ihrer Stufe in die nächste Stufe über "
    "(außer sie verlängert ihre Stufe, siehe unten); alle weiteren Voraussetzungen gelten "
    "als erfüllt. War die Mindestdauer schon vor Beginn der Prognose erreicht, folgt der "
    "Schritt zu Beginn.",
    "Begleittermine wie geplant, mit den vorgesehenen Stunden; keine Absagen.",
    "Neue Einrichtungen werden am ersten Arbeitstag eines Monats aufgenommen.",
    "Begleitung auf Anfrage (Stufen ohne festen Takt) zählt zu Stunden und Kosten, nicht "
    "zu den Terminen.",
)


@dataclass(frozen=True)
class Renewal:
    """How a stage with a renewal ends its programme years: ``renewed`` and ``forward``
    counted in the history before the start. ``share`` renews, by Laplace's rule of
    succession, (renewed + 1) / (renewed + forward + 2): half of them while the history
    has none (both steps are the office's choice at the same moment), close to the
    recorded share once it has many."""

    renewed: int = 0
    forward: int = 0

    @property
    def share(self) -> Fraction:
        return Fraction(self.renewed + 1, self.renewed + self.forward + 2)


@dataclass(frozen=True)
class Estimate:
    """Coaching on request: ``hours`` a centre-month, and how they were found (German)."""

    hours: Decimal
    basis: str


class Seed(NamedTuple):
    """A centre as the forecast starts it: in ``stage`` since ``since`` (a tuple: a
    programme has many)."""

    district: str
    stage: str
    since: date  # the stay in the stage began (a renewal does not begin one)
    rate: Decimal  # the hourly rate of its sessions
    year_start: date | None = None  # its current programme year began (None: ``since``)


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
    on_request: Mapping[str, Estimate] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ASSUMPTIONS  # German, the general ones and this data's

    def month(self, month: date) -> Cell:
        return self._sums.get((month, None, None), Cell())

    def month_stage(self, month: date, stage: str) -> Cell:
        return self._sums.get((month, None, stage), Cell())

    def year(self, year: int, district: str | None = None) -> Cell:
        """Sessions, hours, cost and budget of a year; centres at its last month."""
        months = [m for m in self.months if m.year == year]
        found = _sum(self._sums.get((m, district, None), Cell()) for m in months)
        return replace(found, centres=self._sums.get((max(months), district, None), Cell()).centres)

    @cached_property
    def _sums(self) -> dict[tuple[date, str | None, str | None], Cell]:
        """The cells added up once for the tables: by month (district and stage None), by
        month and district, by month and stage."""
        sums: dict[tuple[date, str | None, str | None], Cell] = {}
        for (month, district, stage), cell in self.cells.items():
            for key in ((month, None, None), (month, district, None), (month, None, stage)):
                sums[key] = _plus(sums.get(key, Cell()), cell)
        return sums

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


def renewals(workflow: Workflow) -> dict[str, int]:
    """Each renewable stage's programme year in months: a renewal starts a new one at its
    end, the stage's coaching year (``for_months``), and not before its
    ``min_months_in_programme_year`` guard allows."""
    found: dict[str, int] = {}
    for transition in workflow.transitions.values():
        if transition.returns or transition.dest not in transition.sources:
            continue
        guard = next(
            (
                int(g.params.get("months", 0))
                for g in transition.guards
                if g.name == MIN_YEAR_MONTHS
            ),
            0,
        )
        rule = workflow.stages[transition.dest].coaching
        year = max(guard, rule.for_months if rule is not None else 0)
        if year > 0:
            found[transition.dest] = year
    return found


class _Way(NamedTuple):
    """A centre on its way: in ``stage`` since ``entry``, its programme year since ``year``;
    ``due`` is the day of its next step (``end``: none). Ordered by ``due``, then by the
    ``seed`` (a seed is on one way at a time: the order never reaches the rest)."""

    due: date
    seed: int  # its index
    stage: str
    entry: date
    year: date


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _months_after(day: date, months: int) -> date:
    """``day`` so many months later; the month's last day if it has fewer (as relativedelta,
    cheaper)."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    if day.day <= 28:
        return date(year, month + 1, day.day)
    last = 29 if month == 1 and isleap(year) else _MONTH_DAYS[month]
    return date(year, month + 1, min(day.day, last))


def timelines(
    workflow: Workflow,
    seeds: Sequence[Seed],
    start: date,
    end: date,
    shares: Mapping[str, Fraction] | None = None,
) -> list[tuple[int, Stay]]:
    """The stays (seed index, (stage, first day, day after the last)) up to ``end``.

    Forward steps follow the minimum durations (a step due before ``start`` is taken on
    ``start``); the initial stage is left only by an admission. A renewable stage ends a
    programme year after :func:`renewals`; there the centre renews or, if its forward step
    is allowed by then, steps forward. Of these choices, taken in the order of their days
    (and of the seeds), the share ``shares[stage]`` (default: all) renew, rounded as they
    come: the n-th renews if it brings the renewed to round(n x share).
    """
    found, _ = _stays(workflow, seeds, start, end, shares)
    return sorted(found, key=lambda item: (item[0], item[1][1]))


def _stays(
    workflow: Workflow,
    seeds: Sequence[Seed],
    start: date,
    end: date,
    shares: Mapping[str, Fraction] | None,
) -> tuple[list[tuple[int, Stay]], int]:
    """The stays of :func:`timelines` (in no particular order), and the choices taken at
    the end of a programme year (renew or step forward)."""
    steps, years = forward_steps(workflow), renewals(workflow)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # choices, renewals
    share_of = {stage: _Share.of((shares or {}).get(stage)) for stage in years}
    found: list[tuple[int, Stay]] = []
    queue: list[_Way] = []

    def go(index: int, stage: str, entry: date, year: date) -> None:
        step = steps.get(stage) if stage != workflow.initial else None
        due = end
        if stage in years:
            due = _months_after(year, years[stage])
        elif step is not None and step[1] > 0:
            due = _months_after(entry, step[1])
        due = min(max(due, start), end)
        if due >= end:  # its last stay: nothing comes after it
            found.append((index, (stage, year, due)))
        else:
            heapq.heappush(queue, _Way(due, index, stage, entry, year))

    for index, seed in enumerate(seeds):
        go(index, seed.stage, seed.since, seed.year_start or seed.since)
    while queue:
        way = heapq.heappop(queue)
        found.append((way.seed, (way.stage, way.year, way.due)))
        step = steps.get(way.stage)
        if way.stage in years:
            allowed = step is not None and _months_after(way.entry, step[1]) <= way.due
            if not allowed or share_of[way.stage].renews(counts[way.stage]):
                go(way.seed, way.stage, way.entry, way.due)
                continue
        if step is not None:
            go(way.seed, step[0], way.due, way.due)
    return found, sum(count[0] for count in counts.values())


class _Share(NamedTuple):
    """A share that renews, ``numerator / denominator`` (whole numbers: the choices are
    many, and fractions cost)."""

    numerator: int
    denominator: int

    @classmethod
    def of(cls, share: Fraction | None) -> _Share:
        return cls(1, 1) if share is None else cls(share.numerator, share.denominator)

    def renews(self, count: list[int]) -> bool:
        """Whether the next choice renews, ``count`` = [choices, renewals] so far (updated):
        if round(choices x share), halves up, exceeds the renewals."""
        count[0] += 1
        if (2 * count[0] * self.numerator + self.denominator) // (2 * self.denominator) > count[1]:
            count[1] += 1
            return True
        return False


def timeline(
    workflow: Workflow,
    stage: str,
    since: date,
    until: date,
    share: Fraction = Fraction(0),
    year_start: date | None = None,
) -> list[tuple[str, date, date]]:
    """One centre's stays from ``since`` to ``until`` (:func:`timelines`); by default it
    never renews a stage."""
    seed = Seed("", stage, since, Decimal(0), year_start)
    shares = dict.fromkeys(renewals(workflow), share)
    return [stay for _, stay in timelines(workflow, [seed], since, until, shares)]


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


def forecast_scenarios(
    workflow: Workflow,
    calendar: WorkCalendar,
    seeds: Sequence[Seed],
    scenarios: Sequence[Scenario],
    start: date,
    months: int,
    coaches: int,
    assumed_rate: Decimal,
    on_request: Mapping[str, Estimate] | None = None,
    renewed: Mapping[str, Renewal] | None = None,
) -> list[Forecast]:
    """The forecast of each scenario, of ``months`` months from the month of ``start``.

    Today's centres (``seeds``) are walked and added up once for all the scenarios whose
    new centres take no choice at the end of a programme year before the forecast ends
    (as in a forecast of three years): only such a choice could change theirs, by
    bringing the share that renews to another rounding. A scenario whose new centres do
    take one walks everyone together."""
    first = start.replace(day=1)
    month_list = tuple(add_months(first, k) for k in range(months))
    window = (first, add_months(first, months))
    admit = next(
        (
            t.dest
            for t in workflow.transitions.values()
            if workflow.initial in t.sources and t.forward
        ),
        workflow.initial,
    )
    renewal = {stage: (renewed or {}).get(stage, Renewal()) for stage in renewals(workflow)}
    shares = {stage: r.share for stage, r in renewal.items()}
    plans = StayPlans(workflow, calendar)  # each stay planned once, for every scenario

    def tallied(people: Sequence[Seed]) -> _Tally:
        """The stays of ``people`` walked together, added up."""
        tally = _Tally(len(month_list))
        walked, _ = _stays(workflow, people, *window, shares)
        tally.add(_alike(people, walked), plans, window, on_request)
        return tally

    today: _Tally | None = None  # today's centres alone
    found = []
    for scenario in scenarios:
        admitted = [
            Seed(district, admit, day, assumed_rate)
            for day, district in admissions(scenario, start, months, workflow.districts, calendar)
        ]
        walked, choices = _stays(workflow, admitted, *window, shares)
        if choices:
            tally = tallied([*seeds, *admitted])
        else:
            if today is None:
                today = tallied(seeds)
            tally = today.copy()
            tally.add(_alike(admitted, walked), plans, window, on_request)
        found.append(
            Forecast(
                scenario,
                month_list,
                tally.cells(month_list, plans),
                tuple((s.id, s.name) for s in workflow.stages.values()),
                workflow.coach_max_hours_per_month,
                coaches,
                assumed_rate,
                dict(on_request or {}),
                (
                    *ASSUMPTIONS,
                    *_renewal_texts(workflow, renewal),
                    *_request_texts(workflow, on_request),
                ),
            )
        )
    return found


def _alike(
    seeds: Sequence[Seed], walked: Iterable[tuple[int, Stay]]
) -> Counter[tuple[Stay, str, Decimal]]:
    """The stays walked, counted by stay, district and rate: centres alike in these count
    together."""
    return Counter((stay, seeds[index].district, seeds[index].rate) for index, stay in walked)


def _percent(share: Fraction) -> str:
    return german.number((Decimal(share.numerator * 100) / share.denominator).quantize(Decimal(1)))


def _renewal_texts(workflow: Workflow, renewal: Mapping[str, Renewal]) -> list[str]:
    texts = []
    years = renewals(workflow)
    for stage_id, found in renewal.items():
        step = forward_steps(workflow).get(stage_id)
        rest = f"; die übrigen wechseln zur Stufe {workflow.stage(step[0]).name}" if step else ""
        total = found.renewed + found.forward
        why = (
            f"von {german.number(total)} abgelaufenen Programmjahren vor Beginn der Prognose "
            f"wurden {german.number(found.renewed)} verlängert"
            if total
            else "vor Beginn der Prognose ist noch kein Programmjahr abgelaufen"
        )
        texts.append(
            f"{workflow.stage(stage_id).name}: Am Ende jedes Programmjahres "
            f"({years[stage_id]} Monate) verlängern {_percent(found.share)} % der "
            f"Einrichtungen, mit einem neuen Programmjahr und neuen Terminen{rest}. "
            f"Grundlage: {why}; der Anteil wird als (verlängerte + 1) / (abgelaufene + 2) "
            "geschätzt, ohne Verlauf also die Hälfte."
        )
    return texts


def _request_texts(workflow: Workflow, on_request: Mapping[str, Estimate] | None) -> list[str]:
    return [
        f"{workflow.stage(stage_id).name} (Begleitung auf Anfrage): "
        f"{german.number(estimate.hours)} Stunden je Einrichtung und Monat, {estimate.basis}."
        for stage_id, estimate in (on_request or {}).items()
    ]


Stay = tuple[str, date, date]  # stage, first day, day after the last
Window = tuple[date, date]  # the forecast's first month's first day, the day after its last


def mid_months_before(day: date) -> int:
    """How many months' 15th fall before ``day``, counted from the year 0: from ``a`` to
    before ``b``, ``mid_months_before(b) - mid_months_before(a)`` of them."""
    return 12 * day.year + day.month - 1 + (day.day > MID_MONTH)


class _Planned:
    """The planned sessions of one district and stage, with their hours and cost, by the
    month's index in the window."""

    def __init__(self, months: int) -> None:
        self.sessions = [0] * months
        self.hours = [Decimal(0)] * months
        self.cost = [Decimal(0)] * months

    def copy(self) -> _Planned:
        other = _Planned(0)
        other.sessions, other.hours, other.cost = [*self.sessions], [*self.hours], [*self.cost]
        return other


class _Runs:
    """Centres (and hours and cost of coaching on request) of one district and stage that
    hold for runs of months, kept as differences: added at a run's first month, taken off
    after its last; `months` sums them up."""

    def __init__(self, months: int) -> None:
        self._centres = [0] * (months + 1)
        self._hours: list[Decimal] | None = None
        self._cost: list[Decimal] | None = None

    def add(
        self,
        months: tuple[int, int],
        centres: int,
        hours: Decimal | None = None,
        cost: Decimal | None = None,
    ) -> None:
        first, after = months
        self._centres[first] += centres
        self._centres[after] -= centres
        if hours is not None and cost is not None:
            if self._hours is None or self._cost is None:
                self._hours = [Decimal(0)] * len(self._centres)
                self._cost = [Decimal(0)] * len(self._centres)
            self._hours[first] += hours
            self._hours[after] -= hours
            self._cost[first] += cost
            self._cost[after] -= cost

    def copy(self) -> _Runs:
        other = _Runs(len(self._centres) - 1)
        other._centres = [*self._centres]
        if self._hours is not None and self._cost is not None:
            other._hours, other._cost = [*self._hours], [*self._cost]
        return other

    def months(self) -> Iterator[tuple[int, int, Decimal | None, Decimal | None]]:
        """(month's index, centres, hours, cost) of each month with centres; hours and cost
        None if no run had any."""
        centres, hours, cost = 0, Decimal(0), Decimal(0)
        for index in range(len(self._centres) - 1):
            centres += self._centres[index]
            if self._hours is not None and self._cost is not None:
                hours += self._hours[index]
                cost += self._cost[index]
            if centres:
                extra = self._hours is not None
                yield index, centres, hours if extra else None, cost if extra else None


class _Tally:
    """What stays add up to, by district and stage: their planned sessions (with hours and
    cost) month by month, and the runs of months their centres count in."""

    def __init__(self, months: int) -> None:
        self.months = months
        self.planned: dict[tuple[str, str], _Planned] = {}
        self.runs: dict[tuple[str, str], _Runs] = {}

    def add(
        self,
        alike: Counter[tuple[Stay, str, Decimal]],
        plans: StayPlans,
        window: Window,
        on_request: Mapping[str, Estimate] | None,
    ) -> None:
        """Add the stays of ``alike`` (so many centres of a district at a rate each)."""
        for (stay, district, rate), count in alike.items():
            key = (district, stay[0])
            sessions = plans.sessions(stay, window)
            if sessions:
                planned = self.planned.get(key)
                if planned is None:
                    planned = self.planned[key] = _Planned(self.months)
                plans.add_sessions(planned, rate, sessions, count)
            span = plans.span(stay, window)
            if span is None:
                continue
            run = self.runs.get(key)
            if run is None:
                run = self.runs[key] = _Runs(self.months)
            extra = (on_request or {}).get(stay[0])
            if extra is not None and extra.hours:  # coaching on request: hours a month
                run.add(span, count, extra.hours * count, session_cost(extra.hours, rate) * count)
            else:
                run.add(span, count)

    def copy(self) -> _Tally:
        other = _Tally(self.months)
        other.planned = {key: planned.copy() for key, planned in self.planned.items()}
        other.runs = {key: run.copy() for key, run in self.runs.items()}
        return other

    def cells(self, months: Sequence[date], plans: StayPlans) -> dict[tuple[date, str, str], Cell]:
        """The figures of each month, district and stage that has a session planned or a
        centre counted."""
        found: dict[tuple[date, str, str], Cell] = {}
        for key in sorted(self.planned.keys() | self.runs.keys()):
            district, stage_id = key
            planned = self.planned.get(key)
            run = self.runs.get(key)
            counted = {i: (n, h, c) for i, n, h, c in (run.months() if run is not None else ())}
            budget = plans.budget(stage_id)
            for index, month in enumerate(months):
                sessions = planned.sessions[index] if planned is not None else 0
                centres, hours, cost = counted.get(index, (0, None, None))
                if not sessions and not centres:
                    continue
                cell = Cell(
                    centres,
                    sessions,
                    planned.hours[index] if planned is not None else Decimal(0),
                    planned.cost[index] if planned is not None else Decimal(0),
                    Decimal(0) + budget * centres if centres else Decimal(0),
                )
                if hours is not None and cost is not None:
                    cell = replace(cell, hours=cell.hours + hours, cost=cell.cost + cost)
                found[(month, district, stage_id)] = cell
        return found


class StayPlans:
    """What a stay brings to a window of months: the months it counts in (by their 15th) and
    its planned sessions' (month, hours). Many centres share a stay (a stage from the same
    day to the same day), and the scenarios of one forecast share the centres of today: each
    stay is planned once, not once per centre and scenario."""

    def __init__(self, workflow: Workflow, calendar: WorkCalendar) -> None:
        self.workflow = workflow
        self.calendar = calendar
        self._sessions: dict[tuple[Stay, Window], tuple[tuple[int, Decimal], ...]] = {}
        self._budgets: dict[str, Decimal] = {}
        self._costs: dict[tuple[Decimal, Decimal], Decimal] = {}  # of a session

    def sessions(self, stay: Stay, window: Window) -> tuple[tuple[int, Decimal], ...]:
        """The month (its index in the window) and the hours of each coaching session
        planned in the stay, within the window."""
        key = (stay, window)
        if key not in self._sessions:
            stage_id, since, until = stay
            first, end = window
            centre = Centre(0, "", "", "", None, None, stage_id, since)
            before = 12 * first.year + first.month
            self._sessions[key] = tuple(
                (12 * planned.date.year + planned.date.month - before, planned.hours or Decimal(0))
                for planned in plan(self.workflow, PlanInput(centre, (), (), since), self.calendar)
                if planned.kind == ActivityKind.COACHING
                and first <= planned.date < end
                and since <= planned.date < until
            )
        return self._sessions[key]

    def budget(self, stage_id: str) -> Decimal:
        """A month's share of the stage's budget."""
        if stage_id not in self._budgets:
            self._budgets[stage_id] = accrued_budget(self.workflow, [stage_id])
        return self._budgets[stage_id]

    def span(self, stay: Stay, window: Window) -> tuple[int, int] | None:
        """The months of the window the stay counts in (those whose 15th falls in it), a
        run of them: the index of the first and of the one after the last (None: none)."""
        _, since, until = stay
        first, end = window
        before = mid_months_before(first)
        low = max(mid_months_before(since), before)
        high = min(mid_months_before(until), mid_months_before(end))
        return (low - before, high - before) if low < high else None

    def add_sessions(
        self,
        planned: _Planned,
        rate: Decimal,
        sessions: Sequence[tuple[int, Decimal]],
        count: int = 1,
    ) -> None:
        """Add ``count`` centres' planned ``sessions`` (of a stay, `sessions`) at an hourly
        rate (each session's cost to the cent, as one centre's)."""
        for index, hours in sessions:
            cost = self._costs.get((hours, rate))
            if cost is None:
                cost = self._costs[(hours, rate)] = session_cost(hours, rate)
            planned.sessions[index] += count
            planned.hours[index] += hours * count
            planned.cost[index] += cost * count


def parse_scenarios(new_per_year: str | None, districts: str | None) -> list[Scenario]:
    """5,10,20 and Gotha:2,Jena:1 as scenarios (default: 10 new centres a year)."""
    found = []
    for part in (new_per_year or ("" if districts else "10")).split(","):
        if part.strip():
            found.append(Scenario(_admissions_a_year("new_per_year", part)))
    if districts:
        quotas = []
        for part in districts.split(","):
            name, sep, count = part.rpartition(":")
            if not sep or not name.strip():
                raise InvalidInput(
                    "districts", f"{part.strip()!r}: Landkreis:Anzahl erwartet, z. B. Gotha:2"
                )
            quotas.append((name.strip(), _admissions_a_year("districts", count)))
        total = sum(n for _, n in quotas)
        if total > MAX_NEW_PER_YEAR:
            raise InvalidInput(
                "districts", f"zusammen {total} neue je Jahr, höchstens {MAX_NEW_PER_YEAR}"
            )
        found.append(Scenario(total, tuple(quotas)))
    if len(found) > MAX_SCENARIOS:
        raise InvalidInput(
            "new_per_year", f"{len(found)} Szenarien, höchstens {MAX_SCENARIOS} nebeneinander"
        )
    return found


def _admissions_a_year(field: Field, value: str) -> int:
    """New centres a year: a whole number up to ``MAX_NEW_PER_YEAR``."""
    count = validate.identifier(field, value)
    if count > MAX_NEW_PER_YEAR:
        raise InvalidInput(field, f"{count} neue je Jahr, höchstens {MAX_NEW_PER_YEAR}")
    return count
