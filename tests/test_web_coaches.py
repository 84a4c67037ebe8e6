"""The coaches' pages: the list with centres and load, one coach's months of the year."""

from __future__ import annotations

from datetime import date

from starlette.testclient import TestClient

from tests.conftest import BERLIN, TODAY
from tests.web_helpers import login
from thekiz_flow.core import german
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service

JULY = [date(2026, 7, day) for day in (6, 7, 8, 9)]  # working days


def programme(service: Service, clock: FrozenClock) -> int:
    """Lena (coach 1) with two centres, 48 hours in July (over 40); Jonas with none."""
    clock.set(noon(date(2026, 3, 2), BERLIN))
    centres = [
        service.registry.add_centre(CentreInput(name, "jena", "k@example.org", coach="1"))
        for name in ("Kita Sonne", "Kita Mond")
    ]
    service.lifecycle.advance(centres[0], "admit")
    clock.set(noon(TODAY, BERLIN))
    for day in JULY:
        service.sessions.request(centres[0], day, "12")
    return service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")


def test_the_coach_list(web: TestClient, service: Service, clock: FrozenClock) -> None:
    jonas = programme(service, clock)
    login(web, "coach")
    page = web.get("/coaches")
    assert page.status_code == 200
    text = page.text
    assert "Prozessbegleitungen (2)" in text
    assert "Höchstwert 40 Stunden" in text
    assert "<th>Juni 2026</th><th>Juli 2026</th><th>August 2026</th>" in text
    assert f'<a href="/coaches/{jonas}">Jonas Winter</a>' in text
    lena = service.overview.coach_report(1).load
    july = lena[1]
    assert july.over
    assert not lena[0].over
    assert f"{german.number(july.planned)} / 0 <strong>über dem Höchstwert!</strong>" in text
    assert text.count("über dem Höchstwert!") == sum(m.over for m in lena[:3])
    assert '<td class="num">2</td>' in text  # Lena's centres


def test_a_coach_s_months_of_the_year(
    web: TestClient, service: Service, clock: FrozenClock
) -> None:
    programme(service, clock)
    login(web, "office")
    page = web.get("/coaches/1")
    assert page.status_code == 200
    text = page.text
    assert "Lena Sommer" in text
    assert "2 Einrichtungen" in text
    assert "Stunden je Monat 2026 (Höchstwert 40) (12)" in text
    assert "<td>Januar 2026</td>" in text
    assert "<td>Dezember 2026</td>" in text
    year = service.overview.coach_report(1, date(2026, 1, 1)).load
    over = [m for m in year if m.over]
    assert [m.month for m in over] == [date(2026, 7, 1)]
    hours = over[0].planned + over[0].held
    assert f"Warnung: Juli 2026 sind {german.number(hours)} Stunden geplant" in text
    assert web.get("/coaches/99").status_code == 404
    assert "keine Prozessbegleitung mit der Nummer 99" in web.get("/coaches/99").text


def test_the_ministry_sees_no_coaches(web: TestClient) -> None:
    login(web, "ministry")
    assert web.get("/coaches").status_code == 403
    assert web.get("/coaches/1").status_code == 403
