"""The forecast's reads of the audit trail, each one query, against the per-centre readings
of the whole trail (`core.history`) they replace, on random trails: changes of one day,
changes recorded out of the order they took effect, reverted changes, returns from a
pause, renewals, centres without any change."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tests.store.helpers import NOW, Unit, centre
from thekiz_flow.core.budget import MID_MONTH
from thekiz_flow.core.corrections import Action, Correction, Subject
from thekiz_flow.core.history import Step, stay_on, stay_start
from thekiz_flow.core.model import StageChange, Workflow
from thekiz_flow.core.planning import add_months
from thekiz_flow.service.forecast import _months_in
from thekiz_flow.store.repository import Repository

DAY = date(2026, 3, 1)  # the reads' day
FIRST = date(2019, 1, 1)
MOVES = (  # trigger, from, to
    ("admit", "interessent", "basisbegleitung"),
    ("deepen", "basisbegleitung", "vertiefungsbegleitung"),
    ("renew", "vertiefungsbegleitung", "vertiefungsbegleitung"),
    ("consult", "vertiefungsbegleitung", "konsultationseinrichtung"),
    ("pause", "basisbegleitung", "pausiert"),
    ("pause", "konsultationseinrichtung", "pausiert"),
    ("resume", "pausiert", "basisbegleitung"),
    ("resume", "pausiert", "konsultationseinrichtung"),
    ("withdraw", "konsultationseinrichtung", "ausgeschieden"),
)


def _programme(repo: Repository, workflow: Workflow, seed: int) -> None:
    """60 centres with random trails; about one change in eight reverted."""
    rng = random.Random(seed)
    stages = list(workflow.stages)
    for number in range(60):
        known = FIRST + timedelta(days=rng.randrange(2600))
        count = rng.choice((0, 0, 1, 2, 3, 4, 6))
        moves = [rng.choice(MOVES) for _ in range(count)]
        days = sorted(known + timedelta(days=rng.choice((-100, 0, 0, 30, 200, 400))) for _ in moves)
        if count > 2 and rng.random() < 0.3:  # two of them recorded out of order
            days[0], days[1] = days[1], days[0]
        stage = moves[-1][2] if moves else rng.choice(stages)
        (centre_id,) = repo.add_centres(
            [centre(f"Kita {number}", stage=stage, stage_since=known)], NOW
        )
        if not moves:
            continue
        stored = repo.add_changes(
            [
                StageChange(centre_id, trigger, source, dest, day, NOW, "office")
                for (trigger, source, dest), day in zip(moves, days, strict=True)
            ]
        )
        for change in stored:
            if rng.random() < 0.125:
                assert change.id is not None
                repo.corrections.add(
                    Correction(
                        Subject.STAGE_CHANGE,
                        change.id,
                        centre_id,
                        Action.REVERTED,
                        "o",
                        NOW,
                        {},
                        {},
                    )
                )


def _in_force(repo: Repository, last: date) -> dict[int, list[Step]]:
    """The per-centre reading: every trail in force, effective up to ``last``, in the order
    the changes took effect."""
    return {
        centre_id: sorted((s for s in steps if s.effective <= last), key=lambda s: s.effective)
        for centre_id, steps in repo.steps(None).items()
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_seeds_programme_years_begin_as_the_trail_reads(
    unit: Unit, workflow: Workflow, seed: int
) -> None:
    returns = [name for name, t in workflow.transitions.items() if t.returns]
    with unit() as repo:
        _programme(repo, workflow, seed)
    with unit() as repo:
        history = _in_force(repo, DAY)
        going = [s for s, stage in workflow.stages.items() if not stage.final]
        found = repo.forecast.seeds(going, DAY, returns)
        expected = {
            c.id: stay_start(workflow, c.stage, c.stage_since, history.get(c.id, []), renewals=True)
            for c in repo.centres()
            if c.stage in going
        }
    assert {row.id: row.year_start for row in found} == expected
    assert [row.id for row in found] == sorted(expected)
    assert any(row.year_start != row.since for row in found)  # the programme has renewals


@pytest.mark.parametrize("seed", [4, 5])
def test_the_changes_are_counted_by_stages_as_the_trail_has_them(
    unit: Unit, workflow: Workflow, seed: int
) -> None:
    with unit() as repo:
        _programme(repo, workflow, seed)
    with unit() as repo:
        steps = [s for mine in _in_force(repo, DAY).values() for s in mine if s.effective < DAY]
        pairs = [(source, dest) for _, source, dest in MOVES]
        found = repo.forecast.changes([*pairs, ("interessent", "pausiert")], DAY)
        one = repo.forecast.changes([("basisbegleitung", "vertiefungsbegleitung")], DAY)
        assert repo.forecast.changes([], DAY) == {}
    expected: dict[tuple[str, str], int] = {}
    for s in steps:
        expected[(s.from_stage, s.to_stage)] = expected.get((s.from_stage, s.to_stage), 0) + 1
    assert found == expected
    assert found[("vertiefungsbegleitung", "vertiefungsbegleitung")] > 0
    pair = ("basisbegleitung", "vertiefungsbegleitung")
    assert one == {pair: expected[pair]}


def _months_by_centre(repo: Repository, initial: str, stage: str, first: date, day: date) -> int:
    """Centre-months in ``stage``, month by month and centre by centre (the reading the
    spans replace)."""
    history = _in_force(repo, day - timedelta(days=1))
    count = 0
    month = first.replace(day=1)
    while month.replace(day=MID_MONTH) < day:
        mid = month.replace(day=MID_MONTH)
        for c in repo.centres():
            if (c.registered or c.stage_since) <= mid:
                count += stay_on(history.get(c.id, ()), initial, mid)[0] == stage
        month = add_months(month, 1)
    return count


@pytest.mark.parametrize("seed", [6, 7])
@pytest.mark.parametrize(
    "stage", ["konsultationseinrichtung", "vertiefungsbegleitung", "interessent"]
)
def test_the_months_in_a_stage_are_counted_from_the_spans_as_month_by_month(
    unit: Unit, workflow: Workflow, seed: int, stage: str
) -> None:
    with unit() as repo:
        _programme(repo, workflow, seed)
    with unit() as repo:
        spans = repo.forecast.spans(stage, workflow.initial, DAY)
        for first in (add_months(DAY, -12), date(2018, 11, 20), date(2025, 6, 16)):
            expected = _months_by_centre(repo, workflow.initial, stage, first, DAY)
            assert _months_in(spans, first, DAY) == expected, first
            assert expected > 0


def test_the_first_day_known_is_the_first_registration_or_change(unit: Unit) -> None:
    with unit() as repo:
        assert repo.forecast.first_known(DAY) is None
        (first,) = repo.add_centres([centre(stage_since=date(2024, 5, 6))], NOW)
        assert repo.forecast.first_known(DAY) == date(2024, 5, 6)
        repo.add_changes(
            [
                StageChange(
                    first, "admit", "interessent", "basisbegleitung", date(2023, 1, 2), NOW, "o"
                )
            ]
        )
        assert repo.forecast.first_known(DAY) == date(2023, 1, 2)
        assert repo.forecast.first_known(date(2023, 1, 2)) == date(2024, 5, 6)  # before the day
