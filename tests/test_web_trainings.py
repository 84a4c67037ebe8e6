"""The training pages: the catalogue, one offering's enrolments, enrolling and its actions."""

from __future__ import annotations

from datetime import date

from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import BERLIN, TODAY
from tests.web_helpers import assert_action_guarded, login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.model import Centre, CentreInput
from thekiz_flow.service import Service
from thekiz_flow.service.trainings import Enrolment
from thekiz_flow.web.pages.trainings import choices, find_centres, sections

SEPTEMBER = date(2026, 9, 10)  # after TODAY (2026-06-15)


def programme(service: Service, capacity: int = 1) -> tuple[int, list[int]]:
    """An offering in September and three centres."""
    centres = [
        service.registry.add_centre(
            CentreInput(name, "Gotha", "k@example.org"), on=date(2026, 1, 5)
        )
        for name in ("Kita Sonne", "Kita Mond", "Haus der Familie")
    ]
    training = service.trainings.add(
        "reflexion", "Reflexion <I>", SEPTEMBER.isoformat(), "Erfurt", str(capacity)
    )
    return training, centres


def states(service: Service, training: int) -> list[tuple[int, str]]:
    return [(e.centre_id, e.status) for e in service.trainings.enrolments(training)[1]]


def test_finding_centres_by_name_district_or_address_never_by_number(service: Service) -> None:
    names = ["Kita Sonne", "Kita Mond", *(f"Zentrum {letter}" for letter in "CDEFGHIJK"), "Haus 1"]
    ids = [
        service.registry.add_centre(
            CentreInput(name, "Gotha", "k@example.org"), on=date(2026, 1, 5)
        )
        for name in names
    ]
    ids.append(
        service.registry.add_centre(
            CentreInput("Kita Stern", "Jena", "stern@example.org"), on=TODAY
        )
    )
    assert ids[11] == 12
    found = find_centres(service, "kita", set())
    assert [c.name for c in found] == ["Kita Mond", "Kita Sonne", "Kita Stern"]  # by name
    assert [c.name for c in find_centres(service, "kita", {ids[1]})] == ["Kita Sonne", "Kita Stern"]
    assert [c.name for c in find_centres(service, " 1 ", set())] == ["Haus 1"]  # never centre 1
    assert [c.name for c in find_centres(service, "jena", set())] == ["Kita Stern"]  # district
    assert [c.name for c in find_centres(service, "STERN@", set())] == ["Kita Stern"]  # address
    assert [c.name for c in find_centres(service, "kita", set(), limit=1)] == ["Kita Mond"]
    assert find_centres(service, "  ", set()) == []


def test_found_centres_are_named_with_their_district_numbers_only_for_twins() -> None:
    def centre(number: int, name: str, district: str) -> Centre:
        return Centre(number, name, district, "k@example.org", None, None, "interessent", TODAY)

    found = [centre(4, "Kita Sonne", "Gotha"), centre(2, "Kita Sonne", "Gotha")]
    found.append(centre(3, "Kita Sonne", "Jena"))
    assert [label for _, label in choices(found)] == [
        "Kita Sonne (Gotha, Nr. 4)",
        "Kita Sonne (Gotha, Nr. 2)",
        "Kita Sonne (Jena)",
    ]


def test_enrolments_by_state() -> None:
    given = [
        Enrolment(1, "A", ActivityStatus.WAITING, 1, None),
        Enrolment(2, "B", ActivityStatus.PLANNED, None, None),
        Enrolment(3, "C", ActivityStatus.CANCELLED, None, "krank"),
    ]
    grouped = sections(given)
    assert [(name, [e.centre_id for e in items]) for name, items in grouped] == [
        ("angemeldet", [2]),
        ("Warteliste", [1]),
        ("teilgenommen", []),
        ("abgemeldet", [3]),
    ]


def test_the_catalogue(web: TestClient, service: Service) -> None:
    training, (sun, moon, _) = programme(service)
    service.trainings.enrol(training, sun)
    service.trainings.enrol(training, moon)
    login(web, "coach")
    page = web.get("/trainings")
    assert page.status_code == 200
    assert "Katalog (1)" in page.text
    assert f'<a href="/trainings/{training}">Reflexion &lt;I&gt;</a>' in page.text
    seats = ("1", "1", "0", "1")  # places, taken, free, waiting
    assert "".join(f'<td class="num">{n}</td>' for n in seats) in page.text


def test_the_ministry_sees_no_trainings(web: TestClient, service: Service) -> None:
    training, _ = programme(service)
    login(web, "ministry")
    assert web.get("/trainings").status_code == 403
    assert web.get(f"/trainings/{training}").status_code == 403


def test_a_training_s_enrolments(web: TestClient, service: Service) -> None:
    training, (sun, moon, house) = programme(service)
    for centre in (sun, moon, house):
        service.trainings.enrol(training, centre)
    service.trainings.cancel_enrolment(training, house, "kein Personal")
    login(web, "coach")
    page = web.get(f"/trainings/{training}")
    assert page.status_code == 200
    text = page.text
    assert "1 von 1 Plätzen belegt (ausgebucht)" in text
    for heading in ("Angemeldet (1)", "Warteliste (1)", "Teilgenommen (0)", "Abgemeldet (1)"):
        assert heading in text
    assert "Platz 1" in text
    assert "kein Personal" in text
    assert "abmelden" not in text
    assert "Einrichtung anmelden" not in text
    assert web.get("/trainings/999").status_code == 404


def test_searching_a_centre_to_enrol(web: TestClient, service: Service) -> None:
    training, (sun, _, house) = programme(service)
    service.trainings.enrol(training, sun)
    login(web, "office")
    page = web.get(f"/trainings/{training}", params={"q": "kita"})
    assert "Gefunden (1)" in page.text  # Kita Sonne is enrolled already
    assert "<td>Kita Mond (Gotha)</td>" in page.text
    assert "(Name, Kreis oder E-Mail)" in page.text
    by_number = web.get(f"/trainings/{training}", params={"q": str(house)})
    assert "Gefunden (0)" in by_number.text  # a number finds no centre


def test_enrolling_a_centre_and_the_waiting_list(
    web: TestClient, service: Service, database_url: str
) -> None:
    training, (sun, moon, _) = programme(service)
    path = f"/trainings/{training}/enrol"
    assert_action_guarded(
        web, database_url, path, {"centre": str(sun)}, forbidden=("coach", "ministry")
    )
    token = login(web, "office")
    done = web.post(path, data={"centre": str(sun), "csrf_token": token})
    assert done.url.path == f"/trainings/{training}"
    assert "Kita Sonne (Gotha) ist angemeldet." in done.text
    full = web.post(path, data={"centre": str(moon), "csrf_token": token})
    assert (
        "Die Fortbildung ist ausgebucht: Kita Mond (Gotha) steht auf der Warteliste (Platz 1)."
        in full.text
    )
    assert states(service, training) == [
        (sun, ActivityStatus.PLANNED),
        (moon, ActivityStatus.WAITING),
    ]
    before = dump(database_url)
    again = web.post(path, data={"centre": str(sun), "csrf_token": token})
    assert again.status_code == 400
    assert "Kita Sonne (Gotha) ist zur Fortbildung 1 angemeldet; keine zweite" in again.text
    assert "<p>Kita Sonne (Gotha), Fortbildung Reflexion" in again.text  # the form again
    bad = web.post(path, data={"centre": "Sonne", "csrf_token": token})
    assert bad.status_code == 400
    assert "Einrichtung: ungültige Nummer" in bad.text
    assert dump(database_url) == before


def test_cancelling_an_enrolment_moves_the_waiting_list_up(
    web: TestClient, service: Service, database_url: str
) -> None:
    training, (sun, moon, _) = programme(service)
    service.trainings.enrol(training, sun)
    service.trainings.enrol(training, moon)
    path = f"/trainings/{training}/cancel"
    data = {"centre": str(sun), "reason": "Erkrankung im Team"}
    assert_action_guarded(web, database_url, path, data, forbidden=("coach", "ministry"))
    token = login(web, "office")
    before = dump(database_url)
    empty = web.post(path, data={**data, "reason": " ", "csrf_token": token})
    assert empty.status_code == 400
    assert "Grund: darf nicht leer sein" in empty.text
    assert dump(database_url) == before
    done = web.post(path, data={**data, "csrf_token": token})
    assert (
        "Kita Sonne (Gotha) ist abgemeldet. "
        "Kita Mond (Gotha) rückt von der Warteliste nach und ist angemeldet." in done.text
    )
    assert states(service, training) == [
        (sun, ActivityStatus.CANCELLED),
        (moon, ActivityStatus.PLANNED),
    ]


def test_marking_attendance(
    web: TestClient, service: Service, database_url: str, clock: FrozenClock
) -> None:
    training, (sun, moon, _) = programme(service)
    service.trainings.enrol(training, sun)
    path = f"/trainings/{training}/attended"
    data = {"centre": str(sun)}
    assert_action_guarded(web, database_url, path, data, forbidden=("coach", "ministry"))
    token = login(web, "office")
    early = web.post(path, data={**data, "csrf_token": token})
    assert early.status_code == 400
    assert "ist erst am 10.09.2026" in early.text
    assert "teilgenommen</button>" not in web.get(f"/trainings/{training}").text
    clock.set(noon(SEPTEMBER, BERLIN))
    token = login(web, "office")  # months later: the session of June has ended
    assert "teilgenommen</button>" in web.get(f"/trainings/{training}").text
    done = web.post(path, data={**data, "csrf_token": token})
    assert "Kita Sonne (Gotha) hat an der Fortbildung teilgenommen." in done.text
    assert states(service, training) == [(sun, ActivityStatus.HELD)]
    missing = web.post(path, data={"centre": str(moon), "csrf_token": token})
    assert missing.status_code == 404
    assert "nicht angemeldet" in missing.text
