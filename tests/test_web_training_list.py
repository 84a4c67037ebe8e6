"""The training catalogue as a list: searched, from one day to another, only with free
seats, called off or not, in each order, a page at a time, and as a file."""

from __future__ import annotations

import re
from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.list_helpers import beside, csv_export, next_page, xlsx_export
from tests.web_helpers import login
from thekiz_flow.core import paging
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service

_TITLES = re.compile(r'<a href="/trainings/\d+">([^<]+)</a>')


def catalogue(service: Service) -> None:
    """Reflexion (1 September, Erfurt, one seat: taken, one waiting), Fachtag (1 July,
    Jena, 30 seats), Auftakt (1 October, Gera, 2 seats: called off)."""
    reflexion = service.trainings.add("reflexion", "Reflexion", "2026-09-01", "Erfurt", "1")
    service.trainings.add("fachtag", "Fachtag", "2026-07-01", "Jena", "30")
    auftakt = service.trainings.add("auftakt", "Auftakt", "2026-10-01", "Gera", "2")
    for name in ("Kita Sonne", "Kita Mond"):
        centre = service.registry.add_centre(
            CentreInput(name, "Gotha", "k@example.org"), on=date(2026, 1, 5)
        )
        service.trainings.enrol(reflexion, centre)
    service.trainings.cancel(auftakt, "zu wenige Anmeldungen")


def titles(web: TestClient, **params: str) -> list[str]:
    page = web.get("/trainings", params=params)
    assert page.status_code == 200, page.text
    return _TITLES.findall(page.text)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("date", ["Fachtag", "Reflexion", "Auftakt"]),
        ("date-desc", ["Auftakt", "Reflexion", "Fachtag"]),
        ("title", ["Auftakt", "Fachtag", "Reflexion"]),
        ("free-desc", ["Fachtag", "Reflexion", "Auftakt"]),  # none free: by date
    ],
)
def test_the_catalogue_in_each_order(
    web: TestClient, service: Service, sort: str, expected: list[str]
) -> None:
    catalogue(service)
    login(web, "coach")
    assert titles(web, sort=sort) == expected


def test_the_catalogue_is_filtered(web: TestClient, service: Service) -> None:
    catalogue(service)
    login(web, "office")
    assert titles(web, text="REFLEX") == ["Reflexion"]
    assert titles(web, text="jena") == ["Fachtag"]  # the place too
    assert titles(web, first="2026-08-01") == ["Reflexion", "Auftakt"]
    assert titles(web, last="2026-09-01") == ["Fachtag", "Reflexion"]
    assert titles(web, first="2026-07-02", last="2026-08-31") == []
    assert titles(web, free="ja") == ["Fachtag"]  # Reflexion is full, Auftakt called off
    assert titles(web, cancelled="ja") == ["Auftakt"]
    assert titles(web, cancelled="nein") == ["Fachtag", "Reflexion"]
    assert titles(web, cancelled="nein", sort="date-desc") == ["Reflexion", "Fachtag"]


def test_the_catalogue_pages_keep_the_filters(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue(service)
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    login(web, "coach")
    first = web.get("/trainings", params={"cancelled": "nein", "sort": "date-desc"}).text
    assert "Katalog (2)" in first
    assert _TITLES.findall(first) == ["Reflexion"]
    second = next_page(web, "/trainings", first)
    assert _TITLES.findall(second) == ["Fachtag"]
    assert "Seite 2 von 2" in second
    assert 'href="/trainings/export.csv?cancelled=nein&amp;sort=date-desc"' in second


def test_the_catalogue_exports_what_it_shows(web: TestClient, service: Service) -> None:
    catalogue(service)
    login(web, "coach")  # everyone who reads the catalogue may export it
    rows = csv_export(web, "/trainings")
    assert rows[0] == [
        "Nr.",
        "Datum",
        "Art",
        "Titel",
        "Ort",
        "Plätze",
        "belegt",
        "frei",
        "Warteliste",
        "abgesagt",
    ]
    assert [r[1:] for r in rows[1:]] == [
        ["01.07.2026", "Fachtag", "Fachtag", "Jena", "30", "0", "30", "0", "nein"],
        ["01.09.2026", "Reflexionsfortbildung", "Reflexion", "Erfurt", "1", "1", "0", "1", "nein"],
        [
            "01.10.2026",
            "Auftaktveranstaltung (Team, Eltern, Träger)",
            "Auftakt",
            "Gera",
            "2",
            "0",
            "0",
            "0",
            "ja",
        ],
    ]
    assert [r[3] for r in csv_export(web, "/trainings", free="ja")[1:]] == ["Fachtag"]
    sheet = xlsx_export(web, "/trainings", sort="title")
    assert sheet[0][:4] == ["Nr.", "Datum", "Art", "Titel"]
    assert [r[3] for r in sheet[1:]] == ["Auftakt", "Fachtag", "Reflexion"]
    assert sheet[1][1].date() == date(2026, 10, 1)
    login(web, "ministry")
    assert web.get("/trainings/export.csv").status_code == 403


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"first": "1.9.26"}, "first", "ungültiges Datum &#39;1.9.26&#39;"),
        ({"first": "2026-09-02", "last": "2026-09-01"}, "last", "liegt vor dem ersten Tag"),
        ({"free": "viele"}, "free", "unbekannte Auswahl"),
        ({"cancelled": "egal", "text": "Reflex"}, "cancelled", "unbekannte Auswahl"),
        ({"sort": "beliebt"}, "sort", "unbekannte Sortierung &#39;beliebt&#39;"),
    ],
)
def test_a_wrong_catalogue_filter_is_a_german_400_beside_its_field(
    web: TestClient, service: Service, params: dict[str, str], field: str, message: str
) -> None:
    catalogue(service)
    login(web, "office")
    refused = web.get("/trainings", params=params)
    assert refused.status_code == 400
    assert message in beside(refused.text, field)
    assert _TITLES.findall(refused.text) == []
    assert "Fortbildung anlegen" in refused.text  # the office's forms stay
    for name in ("text", "first", "last"):
        if name in params:
            assert f'name="{name}" value="{params[name]}"' in refused.text
    assert web.get("/trainings/export.csv", params=params).status_code == 400
    page = web.get("/trainings", params={"page": "-1"})
    assert page.status_code == 400
    assert "Seite: ungültige Nummer" in page.text
