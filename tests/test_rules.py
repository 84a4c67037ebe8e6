"""Guards and transitions with explicit dates: pure, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from thekiz_flow.core.errors import Refused
from thekiz_flow.core.model import Centre, CentreFacts, StageChange, Workflow
from thekiz_flow.core.rules import Lifecycle

RECORDED = datetime(2020, 1, 1, tzinfo=UTC)


def change(trigger: str, src: str, dst: str, day: str) -> StageChange:
    return StageChange(1, trigger, src, dst, date.fromisoformat(day), RECORDED, "test")


def facts(
    stage: str,
    since: str,
    on: str,
    history: tuple[StageChange, ...] = (),
    visits: tuple[tuple[str, str], ...] = (),
    coach: int | None = 7,
    resume: str | None = None,
) -> CentreFacts:
    centre = Centre(
        1,
        "Kita Test",
        "Jena",
        "k@example.org",
        None,
        coach,
        stage,
        date.fromisoformat(since),
        resume,
    )
    held = tuple((date.fromisoformat(d), s) for d, s in visits)
    return CentreFacts(centre, history, held, date.fromisoformat(on))


ADMITTED = (change("admit", "interessent", "basisbegleitung", "2024-01-15"),)


@pytest.fixture(scope="module")
def lifecycle(workflow: Workflow) -> Lifecycle:
    return Lifecycle(workflow)


def test_one_machine_is_shared_and_holds_no_centre(lifecycle: Lifecycle) -> None:
    for day in ("2024-02-01", "2024-03-01"):
        lifecycle.fire("admit", facts("interessent", "2024-01-01", day))
    assert lifecycle._machine.models == []


def test_admit_needs_a_coach(lifecycle: Lifecycle) -> None:
    with pytest.raises(Refused) as refused:
        lifecycle.fire("admit", facts("interessent", "2024-01-01", "2024-02-01", coach=None))
    assert refused.value.missing == ("keine Prozessbegleitung zugeordnet",)
    verdict = lifecycle.fire("admit", facts("interessent", "2024-01-01", "2024-02-01"))
    assert (verdict.source, verdict.dest) == ("interessent", "basisbegleitung")


def test_deepen_names_every_unmet_condition(lifecycle: Lifecycle) -> None:
    with pytest.raises(Refused) as refused:
        lifecycle.fire("deepen", facts("basisbegleitung", "2024-01-15", "2025-12-31", ADMITTED))
    missing = refused.value.missing
    assert len(missing) == 2
    assert "mindestens 24 Monate" in missing[0]
    assert "bisher 23" in missing[0]
    assert "erfüllt ab 15.01.2026" in missing[0]
    assert "Einrichtungsbesuch" in missing[1]


@pytest.mark.parametrize(
    ("on", "allowed"),
    [("2026-01-14", False), ("2026-01-15", True), ("2027-03-01", True)],
)
def test_deepen_after_exactly_24_months(lifecycle: Lifecycle, on: str, allowed: bool) -> None:
    state = facts(
        "basisbegleitung", "2024-01-15", on, ADMITTED, visits=(("2024-05-10", "basisbegleitung"),)
    )
    assert lifecycle.check("deepen", state).allowed is allowed


def test_site_visit_of_another_stage_or_stay_does_not_count(lifecycle: Lifecycle) -> None:
    history = (
        change("admit", "interessent", "basisbegleitung", "2020-01-15"),
        change("withdraw", "basisbegleitung", "ausgeschieden", "2020-06-01"),
        *ADMITTED,
    )
    visits = (("2020-03-01", "basisbegleitung"), ("2024-03-01", "interessent"))
    verdict = lifecycle.check(
        "deepen", facts("basisbegleitung", "2024-01-15", "2026-06-01", history, visits)
    )
    assert verdict.missing == ("kein Einrichtungsbesuch in der Stufe Basisbegleitung durchgeführt",)


def test_a_site_visit_after_the_reference_date_does_not_count(lifecycle: Lifecycle) -> None:
    state = facts(
        "basisbegleitung",
        "2024-01-15",
        "2026-06-01",
        ADMITTED,
        visits=(("2026-07-01", "basisbegleitung"),),
    )
    assert not lifecycle.check("deepen", state).allowed


def test_paused_months_do_not_count(lifecycle: Lifecycle) -> None:
    history = (
        *ADMITTED,
        change("pause", "basisbegleitung", "pausiert", "2024-06-01"),
        change("resume", "pausiert", "basisbegleitung", "2024-09-01"),  # 92 days paused
    )
    visits = (("2024-03-01", "basisbegleitung"),)
    early = facts("basisbegleitung", "2024-09-01", "2026-01-15", history, visits)
    assert not lifecycle.check("deepen", early).allowed
    assert "erfüllt ab 16.04.2026" in lifecycle.check("deepen", early).missing[0]
    late = replace(early, on=date(2026, 4, 16))
    assert lifecycle.check("deepen", late).allowed


def test_pause_remembers_and_resume_returns(lifecycle: Lifecycle) -> None:
    verdict = lifecycle.fire("pause", facts("vertiefungsbegleitung", "2024-01-01", "2024-05-01"))
    assert verdict.dest == "pausiert"
    back = lifecycle.fire(
        "resume", facts("pausiert", "2024-05-01", "2024-08-01", resume="vertiefungsbegleitung")
    )
    assert back.dest == "vertiefungsbegleitung"


def test_resume_without_remembered_stage_is_refused(lifecycle: Lifecycle) -> None:
    with pytest.raises(Refused, match="keine Stufe gemerkt"):
        lifecycle.fire("resume", facts("pausiert", "2024-05-01", "2024-08-01"), force=True)


def test_renew_is_a_self_transition_after_a_programme_year(lifecycle: Lifecycle) -> None:
    history = (
        *ADMITTED,
        change("deepen", "basisbegleitung", "vertiefungsbegleitung", "2026-02-01"),
    )
    young = facts("vertiefungsbegleitung", "2026-02-01", "2026-12-31", history)
    assert (
        "mindestens 11 Monate im laufenden Programmjahr"
        in lifecycle.check("renew", young).missing[0]
    )
    verdict = lifecycle.fire("renew", replace(young, on=date(2027, 1, 1)))
    assert verdict.dest == "vertiefungsbegleitung"
    renewed = (
        *history,
        change("renew", "vertiefungsbegleitung", "vertiefungsbegleitung", "2027-01-01"),
    )
    again = facts("vertiefungsbegleitung", "2027-01-01", "2027-06-01", renewed)
    assert not lifecycle.check("renew", again).allowed


def test_consult_counts_months_across_renewals(lifecycle: Lifecycle) -> None:
    history = (
        *ADMITTED,
        change("deepen", "basisbegleitung", "vertiefungsbegleitung", "2026-02-01"),
        change("renew", "vertiefungsbegleitung", "vertiefungsbegleitung", "2027-01-10"),
    )
    visits = (("2026-04-01", "vertiefungsbegleitung"),)
    state = facts("vertiefungsbegleitung", "2027-01-10", "2027-02-01", history, visits)
    assert lifecycle.fire("consult", state).dest == "konsultationseinrichtung"


def test_withdraw_from_every_stage_that_is_not_final(
    lifecycle: Lifecycle, workflow: Workflow
) -> None:
    for stage in workflow.stages.values():
        state = facts(stage.id, "2024-01-01", "2024-02-01")
        if stage.final:
            with pytest.raises(Refused, match="nicht möglich"):
                lifecycle.fire("withdraw", state)
        else:
            assert lifecycle.fire("withdraw", state).dest == "ausgeschieden"


def test_force_overrides_guards_but_not_the_lifecycle(lifecycle: Lifecycle) -> None:
    state = facts("basisbegleitung", "2024-01-15", "2024-03-01", ADMITTED)
    verdict = lifecycle.fire("deepen", state, force=True)
    assert verdict.dest == "vertiefungsbegleitung"
    assert len(verdict.missing) == 2
    with pytest.raises(Refused, match="möglich: deepen, pause, withdraw"):
        lifecycle.fire("consult", state, force=True)


def test_unknown_trigger_lists_the_known_ones(lifecycle: Lifecycle) -> None:
    with pytest.raises(Refused, match=r"unbekannter Auslöser 'promote'.*admit, deepen"):
        lifecycle.check("promote", facts("interessent", "2024-01-01", "2024-02-01"))
