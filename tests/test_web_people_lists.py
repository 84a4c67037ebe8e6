"""The lists of coaches and users: filters, orders, pages that keep them, exports of what
they show, and German 400 pages for a wrong value with the message beside its field."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.list_helpers import beside, csv_export, next_page, xlsx_export
from tests.web_helpers import PASSWORD, login
from thekiz_flow.core import paging
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service

_NAMES = re.compile(r'<a href="/coaches/\d+">([^<]+)</a>')
_EMAILS = re.compile(r'<a href="/users/\d+">([^<]+)</a>')


# ------------------------------------------------------------------ coaches
def coaches(service: Service) -> None:
    """Lena Sommer (65 €, two centres), Anna Berg (70,50 €, one), Jonas Winter (60 €,
    none, deactivated)."""
    anna = service.registry.add_coach("Anna Berg", "anna@beispiel.de", "70,50")
    jonas = service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    for name, coach in (("Kita A", "1"), ("Kita B", "1"), ("Kita C", str(anna))):
        service.registry.add_centre(CentreInput(name, "Gera", "k@example.org", coach=coach))
    service.registry.deactivate_coach(jonas)


def coach_names(web: TestClient, **params: str) -> list[str]:
    page = web.get("/coaches", params=params)
    assert page.status_code == 200, page.text
    return _NAMES.findall(page.text)


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        ("name", ["Anna Berg", "Jonas Winter", "Lena Sommer"]),
        ("name-desc", ["Lena Sommer", "Jonas Winter", "Anna Berg"]),
        ("rate", ["Jonas Winter", "Lena Sommer", "Anna Berg"]),
        ("rate-desc", ["Anna Berg", "Lena Sommer", "Jonas Winter"]),
        ("centres", ["Jonas Winter", "Anna Berg", "Lena Sommer"]),
        ("centres-desc", ["Lena Sommer", "Anna Berg", "Jonas Winter"]),
    ],
)
def test_the_coaches_in_each_order(
    web: TestClient, service: Service, sort: str, names: list[str]
) -> None:
    coaches(service)
    login(web, "coach")
    assert coach_names(web, sort=sort) == names


def test_the_coaches_are_filtered_and_paged_with_their_filters(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    coaches(service)
    login(web, "office")
    assert coach_names(web, active="ja") == ["Anna Berg", "Lena Sommer"]
    assert coach_names(web, active="nein") == ["Jonas Winter"]
    assert coach_names(web, text="BEISPIEL") == ["Anna Berg"]
    assert coach_names(web, text="sommer") == ["Lena Sommer"]
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    first = web.get("/coaches", params={"active": "ja", "sort": "name-desc"}).text
    assert "Prozessbegleitungen (2)" in first
    assert "Seite 1 von 2" in first
    assert _NAMES.findall(first) == ["Lena Sommer"]
    second = next_page(web, "/coaches", first)
    assert _NAMES.findall(second) == ["Anna Berg"]
    assert "Seite 2 von 2" in second
    assert 'href="/coaches/export.csv?active=ja&amp;sort=name-desc"' in second


def test_the_coach_list_exports_what_it_shows(web: TestClient, service: Service) -> None:
    coaches(service)
    login(web, "office")
    rows = csv_export(web, "/coaches", active="ja", sort="rate-desc")
    assert rows == [
        ["Nr.", "Name", "E-Mail", "Honorar je Stunde (€)", "Einrichtungen", "Stand"],
        ["2", "Anna Berg", "anna@beispiel.de", "70,50", "1", "aktiv"],
        ["1", "Lena Sommer", "lena@example.org", "65,00", "2", "aktiv"],
    ]
    assert csv_export(web, "/coaches", active="nein")[1][5] == "deaktiviert"
    sheet = xlsx_export(web, "/coaches", sort="name")
    assert sheet[0][:4] == ["Nr.", "Name", "E-Mail", "Honorar je Stunde (€)"]
    assert [r[1] for r in sheet[1:]] == ["Anna Berg", "Jonas Winter", "Lena Sommer"]
    assert str(sheet[1][3]) == "70.5"
    assert sheet[1][4] == 1


def test_only_the_office_exports_the_coaches(web: TestClient, service: Service) -> None:
    coaches(service)
    login(web, "coach")
    assert "export.csv" not in web.get("/coaches").text
    assert web.get("/coaches/export.csv").status_code == 403
    assert web.get("/coaches/export.xlsx").status_code == 403


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"sort": "gehalt"}, "sort", "unbekannte Sortierung &#39;gehalt&#39;"),
        ({"active": "vielleicht", "text": "Anna"}, "active", "unbekannte Auswahl"),
    ],
)
def test_a_wrong_coach_filter_is_a_german_400_beside_its_field(
    web: TestClient, service: Service, params: dict[str, str], field: str, message: str
) -> None:
    coaches(service)
    login(web, "office")
    refused = web.get("/coaches", params=params)
    assert refused.status_code == 400
    assert message in beside(refused.text, field)
    assert _NAMES.findall(refused.text) == []
    if "text" in params:
        assert 'name="text" value="Anna"' in refused.text  # what was typed is kept
    assert web.get("/coaches/export.csv", params=params).status_code == 400


def test_a_wrong_page_is_a_german_400(web: TestClient) -> None:
    login(web, "office")
    for path in ("/coaches", "/users"):
        refused = web.get(path, params={"page": "zwei"})
        assert refused.status_code == 400
        assert "Seite: ungültige Nummer &#39;zwei&#39;" in refused.text


# -------------------------------------------------------------------- users
def users(service: Service) -> None:
    """Besides one user per role: a second coach's user, a disabled office user."""
    service.registry.add_coach("Anna Berg", "anna@beispiel.de", "70")
    service.users.add("anna@beispiel.de", "coach", PASSWORD, "anna@beispiel.de")
    service.users.add("alt@example.org", "office", PASSWORD)
    service.users.disable("alt@example.org")


def emails(web: TestClient, **params: str) -> list[str]:
    page = web.get("/users", params=params)
    assert page.status_code == 200, page.text
    return _EMAILS.findall(page.text)


def test_the_users_are_filtered_sorted_and_paged_with_their_filters(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    users(service)
    login(web, "office")
    everyone = [
        "alt@example.org",
        "anna@beispiel.de",
        "buero@example.org",
        "lena@example.org",
        "ministerium@example.org",
    ]
    assert emails(web) == everyone
    assert emails(web, sort="email-desc") == everyone[::-1]
    assert emails(web, sort="role") == [
        "alt@example.org",
        "buero@example.org",
        "anna@beispiel.de",
        "lena@example.org",
        "ministerium@example.org",
    ]
    assert emails(web, sort="created-desc")[:2] == ["alt@example.org", "anna@beispiel.de"]
    assert emails(web, sort="created")[0] == "buero@example.org"
    assert emails(web, role="coach") == ["anna@beispiel.de", "lena@example.org"]
    assert emails(web, active="nein") == ["alt@example.org"]
    assert emails(web, active="ja", role="office") == ["buero@example.org"]
    assert emails(web, text="BEISPIEL") == ["anna@beispiel.de"]
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    first = web.get("/users", params={"role": "coach", "sort": "email-desc"}).text
    assert "Zugänge (2)" in first
    assert _EMAILS.findall(first) == ["lena@example.org", "anna@beispiel.de"]
    assert 'class="pager"' not in first  # one page
    first = web.get("/users", params={"active": "ja", "sort": "email-desc"}).text
    assert _EMAILS.findall(first) == ["ministerium@example.org", "lena@example.org"]
    second = next_page(web, "/users", first)
    assert _EMAILS.findall(second) == ["buero@example.org", "anna@beispiel.de"]
    assert "gesperrt</td>" not in second


def test_the_user_list_exports_what_it_shows_in_german(web: TestClient, service: Service) -> None:
    users(service)
    login(web, "office")
    rows = csv_export(web, "/users", role="office", sort="email")
    assert rows[0] == ["Nr.", "E-Mail", "Rolle", "angelegt", "Stand"]
    assert [r[1:3] + r[4:] for r in rows[1:]] == [
        ["alt@example.org", "Fachstelle", "gesperrt"],
        ["buero@example.org", "Fachstelle", "aktiv"],
    ]
    assert rows[1][3] == "15.06.2026"
    everyone = csv_export(web, "/users")
    assert {r[2] for r in everyone[1:]} == {"Fachstelle", "Prozessbegleitung", "Ministerium"}
    sheet = xlsx_export(web, "/users", text="lena")
    assert sheet[0] == ["Nr.", "E-Mail", "Rolle", "angelegt", "Stand"]
    assert sheet[1][1:3] == ["lena@example.org", "Prozessbegleitung"]


def test_only_the_office_lists_and_exports_users(web: TestClient) -> None:
    for role in ("coach", "ministry"):
        login(web, role)
        for path in ("/users", "/users/export.csv", "/users/export.xlsx"):
            assert web.get(path).status_code == 403


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"role": "admin"}, "role", "unbekannte Rolle &#39;admin&#39;"),
        ({"active": "gesperrt"}, "active", "unbekannte Auswahl"),
        ({"sort": "name", "text": "lena"}, "sort", "unbekannte Sortierung &#39;name&#39;"),
    ],
)
def test_a_wrong_user_filter_is_a_german_400_beside_its_field(
    web: TestClient, params: dict[str, str], field: str, message: str
) -> None:
    login(web, "office")
    refused = web.get("/users", params=params)
    assert refused.status_code == 400
    assert message in beside(refused.text, field)
    assert _EMAILS.findall(refused.text) == []
    if "text" in params:
        assert 'name="text" value="lena"' in refused.text
    assert web.get("/users/export.xlsx", params=params).status_code == 400
