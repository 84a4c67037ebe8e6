"""Stage changes and the training catalogue: recommendations, and seats given up."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from tests.cli_helpers import main
from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.core.recommend import stay_starts_for_deadlines
from thekiz_flow.service import Service


def centre(service: Service, name: str, coach: int) -> int:
    return service.registry.add_centre(CentreInput(name, "Jena", "k@example.org", coach=str(coach)))


@pytest.mark.parametrize("months", [1, 3, 6, 12])
def test_the_stay_starts_whose_deadline_falls_in_some_days(months: int) -> None:
    """Against every start day around: month ends, leap days and empty stretches included."""
    step, day = relativedelta(months=months), timedelta(days=1)
    for offset in range(0, 430, 3):
        first = date(2027, 12, 20) + offset * day
        for length in (0, 2):
            last = first + length * day
            around = [first - step - 40 * day + n * day for n in range(80 + length)]
            starts = [s for s in around if first <= s + step <= last]
            expected = (starts[0], starts[-1]) if starts else None
            assert stay_starts_for_deadlines(first, last, months) == expected, (first, last)
            if starts:  # one stretch: every day between has its deadline in the days
                assert len(starts) == (starts[-1] - starts[0]).days + 1


def test_unmet_trainings_are_recommended_until_enrolled(
    service: Service, clock: FrozenClock
) -> None:
    clock.set(noon(date(2025, 1, 15), BERLIN))
    coach = service.registry.add_coach("Paul Winter", "p@example.org", "60")
    first = centre(service, "Kita A", coach)
    service.lifecycle.advance(first, "admit")
    step = service.lifecycle.next_step(first)
    assert step is not None
    assert step.recommendations == (
        "Empfehlung: Auftaktveranstaltung (Team, Eltern, Träger) bis 15.04.2025",
        "Empfehlung: Fachkraft ThEKiZ Weiterbildung bis 15.01.2026",
        "Empfehlung: Reflexionsfortbildung bis 15.01.2027",
        "Empfehlung: Vernetzungsfortbildung – Basisqualifizierung ThEKiZ bis 15.01.2027",
    )
    training = service.trainings.add("auftakt", "Auftakt Jena", "2025-03-05", "Jena", "20")
    service.trainings.enrol(training, first)
    (listed,) = service.lifecycle.eligible()
    assert len(listed.recommendations) == 3
    clock.set(noon(date(2026, 2, 1), BERLIN))
    step = service.lifecycle.next_step(first)
    assert step is not None
    assert (
        "Fachkraft ThEKiZ Weiterbildung (Frist überschritten seit 15.01.2026)"
        in (step.recommendations[0])
    )


def test_a_withdrawn_centre_gives_its_seat_to_the_waiting_list(
    service: Service, clock: FrozenClock
) -> None:
    clock.set(noon(date(2025, 1, 15), BERLIN))
    coach = service.registry.add_coach("Paul Winter", "p@example.org", "60")
    leaving, waiting = centre(service, "Kita A", coach), centre(service, "Kita B", coach)
    for ident in (leaving, waiting):
        service.lifecycle.advance(ident, "admit")
    training = service.trainings.add("reflexion", "Reflexion I", "2025-05-07", "Erfurt", "1")
    assert service.trainings.enrol(training, leaving) == (ActivityStatus.PLANNED, None)
    assert service.trainings.enrol(training, waiting) == (ActivityStatus.WAITING, 1)
    clock.set(noon(date(2025, 3, 3), BERLIN))
    service.lifecycle.advance(leaving, "withdraw", reason="Träger beendet das Vorhaben")
    seats = {
        a.centre_id: (a.status, a.reason)
        for a in service.overview.activities(ActivityFilter(kind=ActivityKind.TRAINING))
    }
    assert seats[leaving] == (
        ActivityStatus.CANCELLED,
        "Stufenwechsel Basisbegleitung → Ausgeschieden",
    )
    assert seats[waiting] == (ActivityStatus.PLANNED, None)


def test_centre_show_json_has_budget_recommendations_and_dates(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", database_url)
    assert main(["init"]) == 0
    assert main(["coach", "add", "--name", "P", "--email", "p@example.org", "--rate", "60"]) == 0
    assert (
        main(
            [
                "centre",
                "add",
                "--name",
                "Kita A",
                "--district",
                "Jena",
                "--email",
                "a@example.org",
                "--coach",
                "1",
            ]
        )
        == 0
    )
    assert main(["advance", "1", "admit"]) == 0
    capsys.readouterr()
    assert main(["centre", "show", "1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["budget"]["budget"] > 0
    assert shown["budget"]["committed"] > 0
    assert shown["next"]["recommendations"]
    assert shown["upcoming"]
    assert {"id", "centre", "kind", "date", "status", "hours", "coach"} <= set(shown["upcoming"][0])
