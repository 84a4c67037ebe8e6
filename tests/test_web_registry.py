"""The office keeps the register in the browser: coaches added, changed, deactivated; a
centre's coach taken away; users added; centres imported from a file; the centre list
exported. Errors beside their fields, the office's alone (coaches and the ministry get 403)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.web_helpers import PASSWORD, USERS, assert_action_guarded, login
from thekiz_flow.core.enums import Role
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service

LENA = 1  # coach 1, whose user is the coach's (web_helpers.add_users)


def beside(page: str, field: str) -> str:
    """The error shown beside a field."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert found is not None, f"no error beside {field}"
    return found.group(1)


def test_the_office_adds_a_coach(web: TestClient, service: Service) -> None:
    token = login(web, "office")
    page = web.get("/coaches")
    assert '<a href="/coaches/new">' in page.text
    form = {"name": "Jonas Winter", "email": "jonas@example.org", "rate": "sechzig"}
    refused = web.post("/coaches/new", data={**form, "csrf_token": token})
    assert refused.status_code == 400
    assert "keine Zahl: &#39;sechzig&#39;" in beside(refused.text, "rate")
    assert 'value="jonas@example.org"' in refused.text  # what was typed stays
    assert len(service.registry.coaches()) == 1
    added = web.post("/coaches/new", data={**form, "rate": "62,50", "csrf_token": token})
    assert "Prozessbegleitung Jonas Winter angelegt." in added.text
    assert str(added.url).endswith("/coaches/2")
    again = web.post("/coaches/new", data={**form, "rate": "60", "csrf_token": token})
    assert "gibt es schon" in beside(again.text, "email")


def test_the_office_changes_a_coach(web: TestClient, service: Service) -> None:
    service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    token = login(web, "office")
    page = web.get(f"/coaches/{LENA}")
    assert 'value="65,00"' in page.text
    form = {"name": "Lena Sommer", "email": "jonas@example.org", "rate": "70", "csrf_token": token}
    refused = web.post(f"/coaches/{LENA}/edit", data=form)
    assert refused.status_code == 400
    assert "Prozessbegleitung mit jonas@example.org gibt es schon" in beside(refused.text, "email")
    assert 'value="70"' in refused.text
    changed = web.post(f"/coaches/{LENA}/edit", data={**form, "email": "l.sommer@example.org"})
    assert "Prozessbegleitung geändert: Lena Sommer (l.sommer@example.org)" in changed.text
    coach, _ = service.registry.coach(LENA)
    assert (coach.email, str(coach.rate)) == ("l.sommer@example.org", "70.00")


def test_deactivating_names_the_centres_still_assigned(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre = service.registry.add_centre(
        CentreInput("Kita Anker", "Gera", "k@example.org", coach=str(LENA))
    )
    token = login(web, "office")
    page = web.get(f"/coaches/{LENA}")
    assert f'<a href="/centres/{centre}">Kita Anker</a>' in page.text
    before = dump(database_url)
    unconfirmed = web.post(f"/coaches/{LENA}/deactivate", data={"csrf_token": token})
    assert beside(unconfirmed.text, "confirm") == "Bitte bestätigen: Häkchen setzen"
    refused = web.post(f"/coaches/{LENA}/deactivate", data={"csrf_token": token, "confirm": "ja"})
    assert refused.status_code == 400
    assert "Lena Sommer begleitet noch 1 Einrichtung (Kita Anker)" in refused.text
    assert dump(database_url) == before
    removed = web.post(
        f"/centres/{centre}/coach/remove", data={"csrf_token": token, "confirm": "ja"}
    )
    assert "Prozessbegleitung: keine" in removed.text
    done = web.post(f"/coaches/{LENA}/deactivate", data={"csrf_token": token, "confirm": "ja"})
    assert "Lena Sommer ist deaktiviert" in done.text
    assert "Wieder aktivieren" in done.text
    centre_page = web.get(f"/centres/{centre}").text
    assert f'<option value="{LENA}"' not in centre_page  # not offered
    assert "(deaktiviert)" in web.get("/coaches").text
    back = web.post(f"/coaches/{LENA}/activate", data={"csrf_token": token, "confirm": "ja"})
    assert "Lena Sommer ist wieder aktiv" in back.text


def test_removing_a_coach_asks_first_and_says_what_follows(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre = service.registry.add_centre(
        CentreInput("Kita Anker", "Gera", "k@example.org", coach=str(LENA))
    )
    token = login(web, "office")
    page = web.get(f"/centres/{centre}").text
    assert "Prozessbegleitung entfernen" in page
    assert "Ab heute ist kein Begleittermin und kein Vor-Ort-Besuch geplant." in page
    assert "Es wird keine E-Mail versandt." in page
    before = dump(database_url)
    refused = web.post(f"/centres/{centre}/coach/remove", data={"csrf_token": token})
    assert refused.status_code == 400
    assert beside(refused.text, "confirm") == "Bitte bestätigen: Häkchen setzen"
    assert dump(database_url) == before
    web.post(f"/centres/{centre}/coach/remove", data={"csrf_token": token, "confirm": "ja"})
    assert service.registry.centre(centre)[1] is None
    assert "Prozessbegleitung entfernen" not in web.get(f"/centres/{centre}").text


def test_the_office_adds_a_user(web: TestClient, service: Service) -> None:
    jonas = service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    token = login(web, "office")
    assert '<a href="/users/new">' in web.get("/users").text
    form = {
        "email": "j.winter@example.org",
        "role": Role.COACH,
        "coach": str(jonas),
        "password": PASSWORD,
        "repeat": PASSWORD + "x",
        "csrf_token": token,
    }
    refused = web.post("/users/new", data=form)
    assert refused.status_code == 400
    assert "stimmt nicht mit dem Passwort überein" in beside(refused.text, "repeat")
    assert 'value="j.winter@example.org"' in refused.text
    short = web.post("/users/new", data={**form, "password": "kurz", "repeat": "kurz"})
    assert "mindestens 12 Zeichen" in beside(short.text, "password")
    added = web.post("/users/new", data={**form, "repeat": PASSWORD})
    assert "Zugang j.winter@example.org angelegt." in added.text
    (user,) = [u for u in service.users.all() if u.email == "j.winter@example.org"]
    assert (user.role, user.coach_id) == (Role.COACH, jonas)
    # a coach picked for another role is not linked
    office = {**form, "email": "neu@example.org", "role": Role.OFFICE, "repeat": PASSWORD}
    web.post("/users/new", data=office)
    (user,) = [u for u in service.users.all() if u.email == "neu@example.org"]
    assert (user.role, user.coach_id) == (Role.OFFICE, None)


BAD_CSV = b"name;district;email\nKita Eins;Gera;eins@example.org\nKita Zwei;Gera;kaputt\n"


def test_an_import_with_a_bad_row_imports_nothing_and_names_it(
    web: TestClient, service: Service, database_url: str
) -> None:
    token = login(web, "office")
    assert 'enctype="multipart/form-data"' in web.get("/centres/import").text
    before = dump(database_url)
    refused = web.post(
        "/centres/import",
        data={"csrf_token": token},
        files={"file": ("liste.csv", BAD_CSV, "text/csv")},
    )
    assert refused.status_code == 400
    assert "liste.csv: nichts importiert, 1 Fehler" in refused.text
    assert "Zeile 3, Feld „email“: ungültige E-Mail-Adresse &#39;kaputt&#39;" in refused.text
    assert dump(database_url) == before
    missing = web.post("/centres/import", data={"csrf_token": token})
    assert missing.status_code == 400
    assert "bitte eine CSV-Datei wählen" in missing.text
    dos = web.post(
        "/centres/import",
        data={"csrf_token": token},
        files={"file": ("l.csv", "name;district;email\nKita Süd;Gera;a@b.de\n".encode("cp850"))},
    )
    assert dos.status_code == 400
    assert "l.csv: weder UTF-8 noch Windows-1252" in dos.text
    done = web.post(
        "/centres/import",
        data={"csrf_token": token},
        files={"file": ("liste.csv", BAD_CSV.replace(b"kaputt", b"zwei@example.org"))},
    )
    assert "2 Einrichtungen importiert (Nr. 1–2)." in done.text


def export_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_centre_list_exports_as_filtered_and_sorted(web: TestClient, service: Service) -> None:
    service.registry.update_coach(LENA, rate="62,50")
    for name, district in (("Kita Zebra", "Gera"), ("=HYPERLINK(1)", "Gera"), ("Kita B", "Jena")):
        service.registry.add_centre(CentreInput(name, district, "k@example.org", coach="1"))
    login(web, "coach")  # everyone who reads the list may export it
    listing = web.get("/centres?district=Gera&sort=name").text
    assert 'href="/centres/export.csv?' in listing
    response = web.get("/centres/export.csv?district=Gera&sort=name")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="einrichtungen-' in response.headers["content-disposition"]
    rows = export_rows(response.content)
    assert rows[0] == [
        "Nr.",
        "Name",
        "Kreis",
        "Stufe",
        "seit",
        "Prozessbegleitung",
        "Honorar je Stunde (€)",
        "E-Mail",
        "Träger",
    ]
    assert [r[1] for r in rows[1:]] == ["'=HYPERLINK(1)", "Kita Zebra"]
    assert rows[1][6] == "62,50"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", rows[1][4])
    workbook = web.get("/centres/export.xlsx?district=Gera&sort=name")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["Nr.", "Name"]
    assert values[1][1] == "=HYPERLINK(1)"
    assert sheet.cell(2, 2).data_type == "s"  # a text, never a formula
    assert str(values[1][6]) == "62.5"
    refused = web.get("/centres/export.csv?sort=wild")
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/coaches/new", {"name": "X", "email": "x@example.org", "rate": "60"}),
        (f"/coaches/{LENA}/edit", {"name": "X", "email": "x@example.org", "rate": "60"}),
        (f"/coaches/{LENA}/deactivate", {"confirm": "ja"}),
        (f"/coaches/{LENA}/activate", {"confirm": "ja"}),
        ("/users/new", {"email": "x@example.org", "role": "office", "password": PASSWORD}),
        ("/centres/1/coach/remove", {"confirm": "ja"}),
        ("/centres/import", {}),
    ],
)
def test_the_register_is_the_office_s(
    web: TestClient, service: Service, database_url: str, path: str, data: dict[str, str]
) -> None:
    service.registry.add_centre(CentreInput("Kita Anker", "Gera", "k@example.org", coach="1"))
    assert_action_guarded(web, database_url, path, data, ("coach", "ministry"))


def test_the_forms_are_not_shown_to_others(web: TestClient) -> None:
    login(web, "coach")
    for path in ("/coaches/new", "/users/new", "/centres/import"):
        assert web.get(path).status_code == 403
    page = web.get(f"/coaches/{LENA}").text
    assert "Deaktivieren" not in page
    assert "Stammdaten ändern" not in page
    assert '<a href="/coaches/new">' not in web.get("/coaches").text
    login(web, "ministry")
    assert web.get("/centres/export.csv").status_code == 403
    assert web.get("/centres/export.xlsx").status_code == 403
    assert USERS["ministry"]


def test_a_field_s_further_attributes_are_attributes(web: TestClient) -> None:
    """The rate field offers the decimal keyboard: its attribute is written, not escaped."""
    login(web, "office")
    form = web.get("/coaches/new").text
    assert 'inputmode="decimal"' in form
    assert "inputmode=&#34;" not in form
