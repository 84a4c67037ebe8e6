"""The forecast counts alike centres together (same district, stay and rate) and keeps the
months of a stay as a run: its figures are, to the cent and digit, what adding up every
centre's stay month by month and session by session gives."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thekiz_flow.core.budget import session_cost
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.forecast import (
    Cell,
    Estimate,
    Renewal,
    Scenario,
    Seed,
    StayPlans,
    _Share,
    admissions,
    forecast,
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
) -> dict[tuple[date, str, str], Cell]:
    """Every centre's stay added on its own: a month at a time, a session at a time."""
    end = add_months(START, MONTHS)
    admit = next(t.dest for t in workflow.transitions.values() if workflow.initial in t.sources)
    everyone = seeds + [
        Seed(district, admit, day, rate)
        for day, district in admissions(scenario, START, MONTHS, workflow.districts, calendar)
    ]
    shares = {s: renewed.get(s, Renewal()).share for s in renewals(workflow)}
    plans = StayPlans(workflow, calendar)
    sums: dict[tuple[date, str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)
    for index, stay in timelines(workflow, everyone, START, end, shares):
        seed = everyone[index]
        extra = on_request.get(stay[0])
        for month in plans.months(stay, (START, end)):
            found = sums[(month, seed.district, stay[0])]
            found[0] += 1
            found[4] += plans.budget(stay[0])
            if extra is not None and extra.hours:
                found[2] += extra.hours
                found[3] += session_cost(extra.hours, seed.rate)
        for month, hours in plans.sessions(stay, (START, end)):
            found = sums[(month, seed.district, stay[0])]
            found[1] += 1
            found[2] += hours
            found[3] += session_cost(hours, seed.rate)
    return {
        key: Cell(int(c), int(s), h, cost, budget) for key, (c, s, h, cost, budget) in sums.items()
    }


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
    per_year=st.integers(0, 30),
    renewed=st.integers(0, 6),
    forward=st.integers(0, 6),
    request_hours=st.sampled_from([Decimal(0), Decimal("1.25"), Decimal(3)]),
)
def test_alike_centres_counted_together_give_each_centres_own_figures(
    seeds: list[Seed], per_year: int, renewed: int, forward: int, request_hours: Decimal
) -> None:
    workflow, calendar = _rules()
    on_request = {s: Estimate(request_hours, "") for s in workflow.stages if s.startswith("kons")}
    renewal = {s: Renewal(renewed, forward) for s in renewals(workflow)}
    scenario = Scenario(per_year)
    found = forecast(
        workflow, calendar, seeds, scenario, START, MONTHS, 3, RATES[0], on_request, renewal
    )
    expected = _by_hand(workflow, calendar, seeds, scenario, RATES[0], on_request, renewal)
    assert {k: repr(v) for k, v in found.cells.items()} == {k: repr(v) for k, v in expected.items()}


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
