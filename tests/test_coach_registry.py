"""Keeping the coaches: changed, deactivated (not while centres are assigned) and activated;
a deactivated coach is offered for no centre. Centres from an uploaded file, and the centre
list as a whole for an export."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.cli_helpers import Run, berlin_today, dump
from tests.conftest import BERLIN
from tests.test_reassign import waiting_or_done
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, NotFound, RowProblem, RowsRefused
from thekiz_flow.core.model import NO_COACH, Centre, CentreInput, CentreSearch, Coach
from thekiz_flow.service import Service
from thekiz_flow.store.repository import Repository


def two_coaches(service: Service) -> tuple[int, int]:
    lena = service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    jonas = service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    return lena, jonas


def test_a_coach_s_name_address_and_rate_change(service: Service) -> None:
    lena, _ = two_coaches(service)
    done = service.registry.update_coach(lena, email=" l.sommer@example.org ", rate="62,50")
    assert done == Coach(lena, "Lena Sommer", "l.sommer@example.org", Decimal("62.50"))
    assert service.registry.update_coach(lena, name="Lena Winter").name == "Lena Winter"
    assert service.registry.coach(lena) == (
        Coach(lena, "Lena Winter", "l.sommer@example.org", Decimal("62.50")),
        [],
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "jonas@example.org"}, "email", "Prozessbegleitung mit jonas@example.org"),
        ({"email": "kaputt"}, "email", "ungültige E-Mail-Adresse"),
        ({"rate": "0"}, "rate", "muss größer als 0"),
        ({"name": " "}, "name", "darf nicht leer sein"),
        ({}, None, "nichts zu ändern"),
    ],
)
def test_a_coach_s_change_refused(
    service: Service, database_url: str, change: dict[str, Any], field: str | None, message: str
) -> None:
    lena, _ = two_coaches(service)
    before = dump(database_url)
    with pytest.raises(InvalidInput) as refused:
        service.registry.update_coach(lena, **change)
    assert refused.value.field == field
    assert message in str(refused.value)
    assert dump(database_url) == before


def test_the_same_address_again_is_no_conflict(service: Service) -> None:
    lena, _ = two_coaches(service)
    assert service.registry.update_coach(lena, email="LENA@example.org").email == "LENA@example.org"


def test_an_unknown_coach(service: Service) -> None:
    with pytest.raises(NotFound, match="keine Prozessbegleitung mit der Nummer 7"):
        service.registry.update_coach(7, name="X")
    with pytest.raises(NotFound):
        service.registry.deactivate_coach(7)


def test_deactivating_is_refused_while_centres_are_assigned(
    service: Service, database_url: str
) -> None:
    lena, jonas = two_coaches(service)
    for name in ("Kita Zebra", "Kita Anker"):
        service.registry.add_centre(CentreInput(name, "Gera", "k@example.org", coach=str(lena)))
    before = dump(database_url)
    with pytest.raises(InvalidInput) as refused:
        service.registry.deactivate_coach(lena)
    assert str(refused.value) == (
        "Lena Sommer begleitet noch 2 Einrichtungen (Kita Anker, Kita Zebra); "
        "bitte diese zuerst einer anderen Prozessbegleitung übergeben"
    )
    assert dump(database_url) == before
    for centre in service.registry.coach(lena)[1]:
        service.registry.assign_coach(centre.id, str(jonas))
    assert not service.registry.deactivate_coach(lena).active


def test_a_deactivated_coach_is_offered_for_no_centre(service: Service) -> None:
    lena, jonas = two_coaches(service)
    service.registry.deactivate_coach(jonas)
    assert [c.id for c in service.registry.coaches(active_only=True)] == [lena]
    assert [c.active for c in service.registry.coaches()] == [True, False]
    centre = service.registry.add_centre(CentreInput("Kita Anker", "Gera", "k@example.org"))
    with pytest.raises(InvalidInput, match="Jonas Winter ist deaktiviert") as refused:
        service.registry.assign_coach(centre, "jonas@example.org")
    assert refused.value.field == "coach"
    with pytest.raises(InvalidInput, match="deaktiviert"):
        service.registry.add_centre(
            CentreInput("Kita Zebra", "Gera", "k@example.org", coach=str(jonas))
        )
    with pytest.raises(InvalidInput, match="deaktiviert"):
        service.registry.deactivate_coach(jonas)
    # still found as a filter of the list: their history stays
    assert service.registry.find_centres(CentreSearch(coach=str(jonas))).total == 0
    assert service.registry.activate_coach(jonas).active
    with pytest.raises(InvalidInput, match="bereits aktiv"):
        service.registry.activate_coach(jonas)
    assert service.registry.assign_coach(centre, str(jonas)).coach is not None


def test_the_handover_a_removal_announces(service: Service, clock: FrozenClock) -> None:
    """What ``planned_handover`` lists is what taking the coach away hands over."""
    clock.set(noon(date(2025, 1, 6), BERLIN))
    lena, _ = two_coaches(service)
    centre = service.registry.add_centre(
        CentreInput("Kita Anker", "Gera", "k@example.org", coach=str(lena))
    )
    service.lifecycle.advance(centre, "admit")
    clock.set(noon(date(2025, 3, 31), BERLIN))
    ahead = service.registry.planned_handover(centre)
    assert ahead
    assert all(a.status == ActivityStatus.PLANNED and a.date >= date(2025, 3, 31) for a in ahead)
    assert {a.kind for a in ahead} <= {ActivityKind.COACHING, ActivityKind.SITE_VISIT}
    done = service.registry.assign_coach(centre, NO_COACH)
    assert (done.coach, done.moved) == (None, len(ahead))


CSV = (
    "name;district;email;coach\n"
    "Kita Eins;Gera;eins@example.org;lena@example.org\n"
    "Kita Zwei;Gotha;kaputt;\n"
    "Kita Drei;Suhl;drei@example.org;\n"
)


def test_an_uploaded_file_with_a_bad_row_imports_nothing(
    service: Service, database_url: str
) -> None:
    two_coaches(service)
    before = dump(database_url)
    with pytest.raises(RowsRefused) as refused:
        service.registry.import_centre_file("liste.csv", CSV.encode())
    assert refused.value.problems == [
        RowProblem(3, "email", "ungültige E-Mail-Adresse 'kaputt'"),  # the file's column
    ]
    assert str(refused.value) == (
        "liste.csv: nichts importiert, 1 Fehler: "
        "Zeile 3, Feld „email“: ungültige E-Mail-Adresse 'kaputt'"
    )
    assert dump(database_url) == before
    mac = "name;district;email\nKita Löwe;Gera;a@example.org\n".encode("mac_roman")
    with pytest.raises(InvalidInput, match=r"liste\.csv: Zeile 2: Zeichenkodierung nicht sicher"):
        service.registry.import_centre_file("liste.csv", mac)
    fixed = CSV.replace("kaputt", "zwei@example.org")
    ids = service.registry.import_centre_file("liste.csv", b"\xef\xbb\xbf" + fixed.encode())
    assert len(ids) == 3


def test_the_export_holds_every_page(service: Service) -> None:
    given = [CentreInput(f"Kita {i:03}", "Gera", "k@example.org") for i in range(60)]
    for item in given:
        service.registry.add_centre(item)
    service.registry.add_centre(CentreInput("Kita Anders", "Jena", "k@example.org"))
    search = CentreSearch(district="gera", sort="name", page="2")
    found = service.registry.export_centres(search)
    assert [c.name for c in found] == [g.name for g in given]
    assert service.registry.find_centres(search).total == len(found) == 60
    with pytest.raises(InvalidInput):
        service.registry.export_centres(CentreSearch(sort="wild"))


def test_the_command_line_changes_and_deactivates_a_coach(ready: Run) -> None:
    changed = ready("coach", "edit", "1", "--rate", "62,50")
    today = berlin_today().strftime("%d.%m.%Y")
    assert changed.out == (
        "Prozessbegleitung 1 geändert: Lena Sommer (lena@example.org), 62,50 €/Std.\n"
        f"Honorar 62,50 €/Std. gilt für Termine ab {today}.\n"
    )
    assert ready("coach", "edit", "1").code == 2
    refused = ready("coach", "deactivate", "1")
    assert refused.code == 2
    assert "Lena Sommer begleitet noch 1 Einrichtung (Kita Pusteblume)" in refused.err
    assert ready("centre", "assign", "1", "--coach", "keine").code == 0
    done = ready("coach", "deactivate", "1")
    assert done.out == "Lena Sommer ist deaktiviert und wird keiner Einrichtung mehr angeboten.\n"
    again = ready("centre", "assign", "1", "--coach", "1")
    assert again.code == 2
    assert "--coach: Lena Sommer ist deaktiviert" in again.err
    assert ready("coach", "activate", "1").out == "Lena Sommer ist wieder aktiv.\n"
    assert ready("centre", "assign", "1", "--coach", "1").code == 0


@pytest.mark.backends("postgresql")
def test_an_assignment_during_a_deactivation_waits_and_is_refused(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deactivating finds the coach without centres, then writes: an assignment of the coach
    committed in between would leave a deactivated coach with a centre. The coach's row is
    locked from the check on: the assignment waits, then finds the coach deactivated."""
    lena, _ = two_coaches(service)
    centre = service.registry.add_centre(CentreInput("Kita Sonne", "jena", "s@example.org"))
    checked = Repository.centres_of_coach
    assignments: list[Future[object]] = []
    waited: list[bool] = []

    def assign_meanwhile(repo: Repository, coach_id: int) -> list[Centre]:
        found = checked(repo, coach_id)
        if not assignments:  # the deactivation's check: the office assigns the coach now
            assignments.append(pool.submit(service.registry.assign_coach, centre, str(lena)))
            waited.append(waiting_or_done(service.runtime.engine, assignments[0], "transactionid"))
        return found

    monkeypatch.setattr(Repository, "centres_of_coach", assign_meanwhile)
    with ThreadPoolExecutor(1) as pool:
        service.registry.deactivate_coach(lena)
        assert waited == [True], "the assignment did not wait for the deactivation"
        with pytest.raises(InvalidInput, match="Lena Sommer ist deaktiviert"):
            assignments[0].result()
    coach, assigned = service.registry.coach(lena)
    assert (coach.active, assigned) == (False, [])
