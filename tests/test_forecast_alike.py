"""The forecast counts alike centres together (same district, stay and rate), keeps the
months of a stay as a run and adds today's centres up once for the scenarios side by side:
each scenario's figures are, to the cent and digit, what adding up every centre's stay
month by month and session by session gives."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import astuple, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thekiz_flow.core.budget import MID_MONTH, session_cost
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.forecast import (
    Cell,
    Estimate,
    Forecast,
    Renewal,
    Scenario,
    Seed,
    StayPlans,
    _Share,
    admissions,
    forecast_scenarios,
    renewals,
    timelines,
)
from thekiz_flow.core.model import Workflow
from thekiz_flow.core.planning import add_months
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

START = date(2027, 3, 1)
MONTHS = 30
RATES = (Decimal("62.50"), Decimal("65.33"), Decimal("70"))


@cache
def _rules() -> tuple[Workflow, WorkCalendar]:
    workflow = load_workflow(DEFAULT_WORKFLOW)
    return workflow, WorkCalendar.of(workflow)


def _by_hand(
    workflow: Workflow,
    calendar: WorkCalendar,
    seeds: list[Seed],
    scenario: Scenario,
    rate: Decimal,
    on_request: dict[str, Estimate],
    renewed: dict[str, Renewal],
    months: int,
) -> dict[tuple[date, str, str], Cell]:
    """Every centre's stay added on its own: a month at a time, a session at a time."""
    end = add_months(START, months)
    admit = next(t.dest for t in workflow.transitions.values() if workflow.initial in t.sources)
    everyone = seeds + [
        Seed(district, admit, day, rate)
        for day, district in admissions(scenario, START, months, workflow.districts, calendar)
    ]
    shares = {s: renewed.get(s, Renewal()).share for s in renewals(workflow)}
    plans = StayPlans(workflow, calendar)
    sums: dict[tuple[date, str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)
    for index, stay in timelines(workflow, everyone, START, end, shares):
        seed = everyone[index]
        extra = on_request.get(stay[0])
        for month in _months_of(stay, end):
            found = sums[(month, seed.district, stay[0])]
            found[0] += 1
            found[4] += plans.budget(stay[0])
            if extra is not None and extra.hours:
                found[2] += extra.hours
                found[3] += session_cost(extra.hours, seed.rate)
        for index, hours in plans.sessions(stay, (START, end)):
            found = sums[(add_months(START, index), seed.district, stay[0])]
            found[1] += 1
            found[2] += hours
            found[3] += session_cost(hours, seed.rate)
    return {
        key: Cell(int(c), int(s), h, cost, budget) for key, (c, s, h, cost, budget) in sums.items()
    }


def _months_of(stay: tuple[str, date, date], end: date) -> list[date]:
    """The months from START to before ``end`` whose 15th falls in the stay."""
    months = (add_months(START, k) for k in range(12 * (end.year - START.year) + 12))
    return [m for m in months if m < end and stay[1] <= m.replace(day=MID_MONTH) < stay[2]]


def _seed(workflow: Workflow) -> st.SearchStrategy[Seed]:
    stages = [s for s in workflow.stages if s != workflow.initial and not workflow.stage(s).final]
    return st.builds(
        lambda district, stage, days, rate, year: Seed(
            district,
            stage,
            START - timedelta(days=days),
            rate,
            None if year is None else START - timedelta(days=min(days, year)),
        ),
        st.sampled_from(["Gotha", "Jena", "Erfurt"]),
        st.sampled_from(stages),
        st.integers(0, 1200).map(lambda d: d - d % 5),  # alike days are frequent
        st.sampled_from(RATES),
        st.none() | st.integers(0, 400),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seeds=st.lists(_seed(_rules()[0]), max_size=40),
    per_year=st.lists(st.integers(0, 30), min_size=1, max_size=3),
    months=st.sampled_from([MONTHS, 48]),
    renewed=st.integers(0, 6),
    forward=st.integers(0, 6),
    request_hours=st.sampled_from([Decimal(0), Decimal("1.25"), Decimal(3)]),
)
def test_alike_centres_counted_together_give_each_centres_own_figures(
    seeds: list[Seed],
    per_year: list[int],
    months: int,
    renewed: int,
    forward: int,
    request_hours: Decimal,
) -> None:
    """In 30 months no new centre ends a programme year, in 48 many do: then today's
    centres' choices are walked with theirs."""
    workflow, calendar = _rules()
    on_request = {s: Estimate(request_hours, "") for s in workflow.stages if s.startswith("kons")}
    renewal = {s: Renewal(renewed, forward) for s in renewals(workflow)}
    scenarios = [Scenario(n) for n in per_year]
    found = forecast_scenarios(
        workflow, calendar, seeds, scenarios, START, months, 3, RATES[0], on_request, renewal
    )
    for scenario, mine in zip(scenarios, found, strict=True):
        expected = _by_hand(
            workflow, calendar, seeds, scenario, RATES[0], on_request, renewal, months
        )
        assert {k: repr(v) for k, v in mine.cells.items()} == {
            k: repr(v) for k, v in expected.items()
        }
        _assert_sums_of_cells(mine)


def _assert_sums_of_cells(found: Forecast) -> None:
    """A month's, a month's stage's and a year's (a district's) figures are their cells
    added up; a year's centres are those of its last month."""
    cells = found.cells.items()
    for month in found.months:
        assert found.month(month) == _added(c for (m, _, _), c in cells if m == month)
        for stage, _ in found.stages:
            assert found.month_stage(month, stage) == _added(
                c for (m, _, s), c in cells if m == month and s == stage
            )
    for year in found.years:
        last = max(m for m in found.months if m.year == year)
        for district in (None, *found.districts):
            mine = _added(c for (m, d, _), c in cells if m.year == year and district in (None, d))
            at_end = _added(c for (m, d, _), c in cells if m == last and district in (None, d))
            assert found.year(year, district) == replace(mine, centres=at_end.centres)


def _added(cells: Iterable[Cell]) -> Cell:
    total = Cell()
    for cell in cells:
        total = Cell(*(a + b for a, b in zip(astuple(total), astuple(cell), strict=True)))
    return total


@given(
    numerator=st.integers(0, 40),
    denominator=st.integers(1, 40),
    choices=st.integers(1, 200),
)
def test_a_share_renews_the_choices_that_bring_the_renewals_to_the_rounded_share(
    numerator: int, denominator: int, choices: int
) -> None:
    share = Fraction(min(numerator, denominator), denominator)
    count = [0, 0]
    for n in range(1, choices + 1):
        before = count[1]
        renews = _Share.of(share).renews(count)
        assert renews == (int(n * share + Fraction(1, 2)) > before)
    assert count == [choices, int(choices * share + Fraction(1, 2))]


def test_a_stays_months_are_those_whose_15th_it_holds() -> None:
    """The run of months a stay counts in, counted, is the months listed one by one whose
    15th falls in the stay: stays beginning and ending before, on and after a 15th, before
    the window, in it and after it."""
    workflow, calendar = _rules()
    plans = StayPlans(workflow, calendar)
    end = add_months(START, MONTHS)
    days = [add_months(START, k) for k in (-3, 0, 1, 7, MONTHS - 1, MONTHS + 2)]
    days = [day for base in days for day in (base, *(base.replace(day=d) for d in (14, 15, 16)))]
    for since in days:
        for until in (d for d in days if d > since):
            stay = ("basisbegleitung", since, until)
            months = _months_of(stay, end)
            expected = None
            if months:
                first = 12 * (months[0].year - START.year) + months[0].month - START.month
                expected = (first, first + len(months))
            assert plans.span(stay, (START, end)) == expected, stay
