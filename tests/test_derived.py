"""A centre's derived dates (its stay's start, its next step's day) with explicit days: pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from thekiz_flow.core.derived import derived_dates
from thekiz_flow.core.model import Centre, StageChange, Workflow
from thekiz_flow.core.rules import Lifecycle

RECORDED = datetime(2020, 1, 1, tzinfo=UTC)
ADMITTED = StageChange(
    1, "admit", "interessent", "basisbegleitung", date(2024, 1, 15), RECORDED, "t"
)
VISITED = [(date(2024, 3, 1), "basisbegleitung")]


@pytest.fixture(scope="module")
def lifecycle(workflow: Workflow) -> Lifecycle:
    return Lifecycle(workflow)


def centre(stage: str, since: date, coach_id: int | None = 7) -> Centre:
    return Centre(1, "Kita A", "Jena", "kita@example.org", None, coach_id, stage, since)


def test_the_next_step_is_allowed_after_the_months_it_needs(lifecycle: Lifecycle) -> None:
    basis = centre("basisbegleitung", date(2024, 1, 15))
    today = date(2025, 6, 1)
    assert derived_dates(lifecycle, basis, [ADMITTED], VISITED, today) == (
        date(2024, 1, 15),
        date(2026, 1, 15),  # 24 months in the stage, the site visit held
    )


def test_an_allowed_step_is_dated_today_not_in_the_past(lifecycle: Lifecycle) -> None:
    basis = centre("basisbegleitung", date(2024, 1, 15))
    today = date(2026, 2, 10)
    assert derived_dates(lifecycle, basis, [ADMITTED], VISITED, today) == (
        date(2024, 1, 15),
        today,
    )


def test_no_next_step_while_a_guard_waits_for_an_event(lifecycle: Lifecycle) -> None:
    basis = centre("basisbegleitung", date(2024, 1, 15))
    assert derived_dates(lifecycle, basis, [ADMITTED], [], date(2025, 6, 1)) == (
        date(2024, 1, 15),
        None,  # no site visit held: time alone does not make the step allowed
    )


def test_no_next_step_without_a_forward_transition(lifecycle: Lifecycle) -> None:
    gone = centre("ausgeschieden", date(2025, 3, 1))
    withdrawn = StageChange(
        1, "withdraw", "basisbegleitung", "ausgeschieden", date(2025, 3, 1), RECORDED, "t"
    )
    assert derived_dates(lifecycle, gone, [ADMITTED, withdrawn], VISITED, date(2025, 6, 1)) == (
        date(2025, 3, 1),
        None,
    )


def test_a_return_from_a_pause_continues_the_stay(lifecycle: Lifecycle) -> None:
    history = [
        ADMITTED,
        StageChange(1, "pause", "basisbegleitung", "pausiert", date(2024, 6, 1), RECORDED, "t"),
        StageChange(1, "resume", "pausiert", "basisbegleitung", date(2024, 9, 1), RECORDED, "t"),
    ]
    back = centre("basisbegleitung", date(2024, 9, 1))
    start, step = derived_dates(lifecycle, back, history, VISITED, date(2025, 6, 1))
    assert start == date(2024, 1, 15)
    assert step == date(2026, 4, 16)  # 24 months after 15 Jan 2024 and the 92 paused days


def test_an_interested_centre_may_be_admitted_once_it_has_a_coach(lifecycle: Lifecycle) -> None:
    today = date(2025, 6, 1)
    waiting = centre("interessent", date(2025, 5, 1))
    assert derived_dates(lifecycle, waiting, [], [], today) == (date(2025, 5, 1), today)
    alone = centre("interessent", date(2025, 5, 1), coach_id=None)
    assert derived_dates(lifecycle, alone, [], [], today) == (date(2025, 5, 1), None)
