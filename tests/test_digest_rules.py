"""The digest's rules as a ministry reads them: gaps follow each stage's rhythm, budgets
accrue in exact cents, a stage by need has no budget."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.digest_helpers import pairs, tallies
from thekiz_flow.core.budget import accrued_budget, monthly_shares
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, Centre, StageChange, Workflow
from thekiz_flow.core.tallies import gap_limit, gap_limits, shortest_gap
from thekiz_flow.digest.aggregate import YearInput, build_digest
from thekiz_flow.digest.model import Digest
from thekiz_flow.digest.tables import NO_BUDGET, budget_table

AT = datetime(2026, 1, 2, tzinfo=UTC)
B, V, K = "basisbegleitung", "vertiefungsbegleitung", "konsultationseinrichtung"


def _centre(ident: int, registered: date = date(2023, 1, 2)) -> Centre:
    return Centre(
        ident, f"Kita {ident}", "Jena", "k@example.org", None, 1, "x", registered,
        registered=registered,
    )  # fmt: skip


def _held(centre_id: int, days: list[date], stage: str) -> list[Activity]:
    return [
        Activity(
            n,
            centre_id,
            ActivityKind.COACHING,
            f"s{centre_id}-{n}",
            stage,
            day,
            ActivityStatus.HELD,
            Decimal(3),
            1,
            Decimal(60),
        )
        for n, day in enumerate(days)
    ]


def _digest(
    workflow: Workflow, history: list[StageChange], sessions: list[Activity], registered: date
) -> Digest:
    data = YearInput(
        2025, [_centre(1, registered)], {1: history}, tallies(sessions), pairs(sessions), {}, {}
    )
    return build_digest(workflow, data)


def _in(stage: str, since: str = "2024-03-01") -> list[StageChange]:
    return [StageChange(1, "import", "interessent", stage, date.fromisoformat(since), AT, "t")]


# ------------------------------------------------------------------------ gaps


def test_the_gap_limits_follow_the_workflows_cadence(workflow: Workflow) -> None:
    assert gap_limits(workflow) == {B: 45, V: 90}  # Konsultation: on request, no rule
    assert gap_limit(0) is None
    assert shortest_gap(workflow) == 45


def test_vertiefung_on_its_two_month_rhythm_has_no_gap(workflow: Workflow) -> None:
    every_two_months = [date(2025, m, 10) for m in (1, 3, 5, 7, 9, 11)]
    digest = _digest(workflow, _in(V), _held(1, every_two_months, V), date(2024, 3, 1))
    assert digest.gaps == ()


def test_vertiefung_missing_one_session_has_a_gap(workflow: Workflow) -> None:
    missed_may = [date(2025, m, 10) for m in (1, 3, 7, 9, 11)]
    digest = _digest(workflow, _in(V), _held(1, missed_may, V), date(2024, 3, 1))
    [gap] = digest.gaps
    assert (gap.first, gap.last, gap.days) == (date(2025, 3, 10), date(2025, 7, 10), 122)
    assert gap.stage == "Vertiefungsbegleitung"


def test_basis_missing_one_monthly_session_has_a_gap(workflow: Workflow) -> None:
    monthly = [date(2025, m, 12) for m in range(1, 13)]
    assert _digest(workflow, _in(B), _held(1, monthly, B), date(2024, 3, 1)).gaps == ()
    missed_june = [d for d in monthly if d.month != 6]
    [gap] = _digest(workflow, _in(B), _held(1, missed_june, B), date(2024, 3, 1)).gaps
    assert (gap.first, gap.last) == (date(2025, 5, 12), date(2025, 7, 12))
    assert gap.stage == "Basisbegleitung"


def test_konsultation_on_request_has_no_gap(workflow: Workflow) -> None:
    assert _digest(workflow, _in(K), [], date(2024, 3, 1)).gaps == ()


def test_a_stretch_across_a_change_of_stage_follows_the_longer_rhythm(
    workflow: Workflow,
) -> None:
    history = [
        *_in(B, "2023-03-01"),
        StageChange(1, "deepen", B, V, date(2025, 5, 1), AT, "t"),
    ]
    days = [date(2025, m, 5) for m in (1, 2, 3, 4)] + [date(2025, m, 5) for m in (6, 8, 10, 12)]
    sessions = _held(1, days, B)
    assert _digest(workflow, history, sessions, date(2023, 3, 1)).gaps == ()


# --------------------------------------------------------------------- budgets


@given(st.decimals(min_value=0, max_value=10**6, places=2))
def test_the_months_share_a_yearly_budget_exactly(yearly: Decimal) -> None:
    shares = monthly_shares(yearly)
    assert len(shares) == 12
    assert sum(shares, Decimal(0)) == yearly
    assert all(share == share.quantize(Decimal("0.01")) for share in shares)
    assert max(shares) - min(shares) <= Decimal("0.01")


@given(st.integers(1, 12), st.integers(1, 12))
def test_any_run_of_months_gets_its_share_to_the_cent(start: int, end: int) -> None:
    first, last = min(start, end), max(start, end)
    yearly = Decimal(5000)
    months = last - first + 1
    run = sum(monthly_shares(yearly)[first - 1 : last], Decimal(0))
    assert abs(run - yearly * months / 12) < Decimal("0.01")


def test_a_year_accrues_the_full_amount(workflow: Workflow) -> None:
    assert accrued_budget(workflow, [B] * 12) == Decimal("5000.00")
    assert accrued_budget(workflow, [V] * 12) == Decimal("2500.00")
    # January to May of 5.000 € and June to December of 2.500 €, each to the cent
    assert accrued_budget(workflow, [B] * 5 + [V] * 7) == Decimal("2083.33") + Decimal("1458.33")
    # a second half year in the Basisbegleitung: exactly half
    assert accrued_budget(workflow, [None] * 6 + [B] * 6) == Decimal("2500.00")


@pytest.mark.parametrize("since", ["2025-01-01", "2025-04-03", "2025-07-16", "2025-12-01"])
def test_a_centre_s_budget_is_its_stage_shares(workflow: Workflow, since: str) -> None:
    history = [
        *_in(B, "2023-03-01"),
        StageChange(1, "deepen", B, V, date.fromisoformat(since), AT, "t"),
    ]
    digest = _digest(workflow, history, [], date(2023, 3, 1))
    [row] = digest.centres
    assert row.budget == sum(digest.budget_by_stage.values(), Decimal(0)) == digest.total_budget
    day = date.fromisoformat(since)
    months_in_v = 13 - day.month - (day.day > 15)  # a month counts with its 15th
    assert digest.budget_by_stage.get(V, Decimal(0)) == sum(
        monthly_shares(Decimal(2500))[12 - months_in_v :], Decimal(0)
    )


def test_a_full_year_in_basis_is_5000_euros(workflow: Workflow) -> None:
    digest = _digest(workflow, _in(B, "2023-03-01"), [], date(2023, 3, 1))
    assert digest.total_budget == Decimal("5000.00")
    assert digest.centres[0].budget == Decimal("5000.00")


def test_konsultation_has_no_budget(workflow: Workflow) -> None:
    sessions = _held(1, [date(2025, 3, 3)], K)
    digest = _digest(workflow, _in(K), sessions, date(2024, 3, 1))
    assert K not in digest.budget_by_stage
    assert digest.centres[0].budget is None
    table = budget_table(digest)
    [row] = table.rows
    assert row == ("Konsultationseinrichtung", Decimal("180.00"), NO_BUDGET, None, None)
    assert all(cell != Decimal(0) for cell in row[2:])
