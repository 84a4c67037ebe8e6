"""The register in a real browser (the fixtures of test_web_e2e.py, a site of this module's
own): add a coach; change a coach, take them from a centre and deactivate them; reset a
user's password; import a centre file with one bad row; export the centre list."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.test_web_e2e import Site, browser, page, sign_in, site
from tests.web_helpers import USERS
from thekiz_flow.core.enums import Role
from thekiz_flow.core.model import CentreSearch

pytestmark = pytest.mark.browser
FIXTURES = (browser, page, site)  # used by pytest by name


def test_the_office_adds_a_coach(page: Page, site: Site) -> None:
    sign_in(page, "office")
    page.get_by_role("link", name="Prozessbegleitungen").first.click()
    page.get_by_role("link", name="Neue Prozessbegleitung anlegen").click()
    page.get_by_label("Vor- und Nachname").fill("Mara Mai")
    page.get_by_label("E-Mail").fill("mara@example.org")
    page.get_by_label("Honorar je Stunde").fill("sechzig")
    page.get_by_role("button", name="Anlegen").click()
    expect(page.locator("#rate-error")).to_contain_text("Honorar: keine Zahl")
    expect(page.get_by_label("E-Mail")).to_have_value("mara@example.org")
    page.get_by_label("Honorar je Stunde").fill("62,50")
    page.get_by_role("button", name="Anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mara Mai")
    expect(page.get_by_role("status")).to_contain_text("Prozessbegleitung Mara Mai angelegt.")
    assert "mara@example.org" in [c.email for c in site.service.registry.coaches()]


def test_the_office_changes_and_removes_a_coach(page: Page, site: Site) -> None:
    service = site.service
    jonas = next(c for c in service.registry.coaches() if c.email == "jonas@example.org")
    centre = site.centres["loewe"]
    sign_in(page, "office")
    page.goto(f"/coaches/{jonas.id}")
    page.get_by_label("Honorar je Stunde in Euro").fill("64")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("64,00 € je Stunde")
    # deactivating is refused while a centre is assigned: it is named
    page.get_by_label("Ja, Jonas Winter deaktivieren").check()
    page.get_by_role("button", name="Deaktivieren").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Jonas Winter begleitet noch 1 Einrichtung (Kita Löwenzahn)"
    )
    # take him from the centre, after the confirmation that says what follows
    page.get_by_role("link", name="Kita Löwenzahn").click()
    expect(page.get_by_text("Es wird keine E-Mail versandt.")).to_be_visible()
    page.get_by_role("button", name="Prozessbegleitung entfernen").click()
    expect(page.get_by_label("Ja, Jonas Winter von dieser Einrichtung entfernen")).to_be_visible()
    assert service.registry.centre(centre)[1] is not None  # the browser asked for the tick
    page.get_by_label("Ja, Jonas Winter von dieser Einrichtung entfernen").check()
    page.get_by_role("button", name="Prozessbegleitung entfernen").click()
    expect(page.get_by_role("status")).to_contain_text("Prozessbegleitung: keine")
    assert service.registry.centre(centre)[1] is None
    # now he can be deactivated, and is offered for no centre
    page.goto(f"/coaches/{jonas.id}")
    page.get_by_label("Ja, Jonas Winter deaktivieren").check()
    page.get_by_role("button", name="Deaktivieren").click()
    expect(page.get_by_role("status")).to_contain_text("Jonas Winter ist deaktiviert")
    page.goto(f"/centres/{centre}")
    options = page.get_by_label("Prozessbegleitung", exact=True).locator("option")
    expect(options.filter(has_text="Jonas Winter")).to_have_count(0)
    page.goto(f"/coaches/{jonas.id}")
    page.get_by_label("Ja, Jonas Winter wieder aktivieren").check()
    page.get_by_role("button", name="Aktivieren").click()
    expect(page.get_by_role("status")).to_contain_text("Jonas Winter ist wieder aktiv")


def test_the_office_resets_a_user_s_password(page: Page, site: Site) -> None:
    sign_in(page, "office")
    page.get_by_role("link", name="Zugänge").first.click()
    page.get_by_role("link", name=USERS["ministry"]).click()
    page.get_by_label("Neues Passwort", exact=True).fill("ein-neues-Passwort-1")
    page.get_by_label("Neues Passwort wiederholen").fill("ein-neues-Passwort-2")
    page.get_by_role("button", name="Passwort setzen").click()
    expect(page.locator("#repeat-error")).to_contain_text("stimmt nicht")
    page.get_by_label("Neues Passwort", exact=True).fill("ein-neues-Passwort-1")
    page.get_by_label("Neues Passwort wiederholen").fill("ein-neues-Passwort-1")
    page.get_by_role("button", name="Passwort setzen").click()
    expect(page.get_by_role("status")).to_contain_text(f"Neues Passwort für {USERS['ministry']}")
    page.get_by_role("button", name="Abmelden").click()
    sign_in(page, "ministry", "ein-neues-Passwort-1")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def test_the_office_adds_a_user(page: Page, site: Site) -> None:
    sign_in(page, "office")
    page.goto("/users")
    page.get_by_role("link", name="Neuen Zugang anlegen").click()
    page.get_by_label("E-Mail (zum Anmelden)").fill("jonas@example.org")
    page.get_by_label("Rolle").select_option(label="Prozessbegleitung")
    page.get_by_label("Zugang gehört zu").select_option(label="Jonas Winter (jonas@example.org)")
    page.get_by_label("Erstes Passwort").fill("ein-erstes-Passwort")
    page.get_by_label("Passwort wiederholen").fill("ein-erstes-Passwort")
    page.get_by_role("button", name="Zugang anlegen").click()
    expect(page.get_by_role("status")).to_contain_text("Zugang jonas@example.org angelegt.")
    (user,) = [u for u in site.service.users.all() if u.email == "jonas@example.org"]
    assert user.role == Role.COACH


def test_an_import_with_a_bad_row_imports_nothing(page: Page, site: Site, tmp_path: Path) -> None:
    before = site.service.registry.find_centres(CentreSearch()).total
    bad = tmp_path / "neue.csv"
    bad.write_text(
        "name;district;email\nKita Eule;Gera;eule@example.org\nKita Fuchs;Gera;fuchs-at-example\n",
        encoding="utf-8",
    )
    sign_in(page, "office")
    page.goto("/centres")
    page.get_by_role("link", name="Aus CSV-Datei importieren").click()
    page.get_by_label("CSV-Datei").set_input_files(bad)
    page.get_by_role("button", name="Importieren").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("neue.csv: nichts importiert, 1 Fehler")
    expect(alert).to_contain_text("Zeile 3, Feld „email“: ungültige E-Mail-Adresse")
    assert site.service.registry.find_centres(CentreSearch()).total == before
    bad.write_text(bad.read_text("utf-8").replace("fuchs-at-example", "fuchs@example.org"), "utf-8")
    page.get_by_label("CSV-Datei").set_input_files(bad)
    page.get_by_role("button", name="Importieren").click()
    expect(page.get_by_role("status")).to_contain_text("2 Einrichtungen importiert")
    assert site.service.registry.find_centres(CentreSearch()).total == before + 2


def test_the_centre_list_is_exported_as_shown(page: Page, site: Site) -> None:
    sign_in(page, "office")
    page.goto("/centres")
    page.locator("select[name=district]").select_option(label="Jena")
    page.locator("select[name=sort]").select_option(label="Nummer")
    page.get_by_role("button", name="Anzeigen").click()
    with page.expect_download() as waiting:
        page.get_by_role("link", name="CSV für Excel").click()
    download = waiting.value
    assert re.fullmatch(r"einrichtungen-\d{4}-\d\d-\d\d\.csv", download.suggested_filename)
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:4] == ["Nr.", "Name", "Kreis", "Stufe"]
    assert {row[2] for row in rows[1:]} == {"Jena"}
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == sorted(ids)
    assert len(ids) == 2
    rates = [row[6] for row in rows[1:] if row[6]]
    assert rates
    assert all(re.fullmatch(r"\d+,\d\d", rate) for rate in rates)  # decimal comma
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Excel-Datei (XLSX)").click()
    assert waiting.value.suggested_filename.endswith(".xlsx")
    assert Path(waiting.value.path()).read_bytes().startswith(b"PK")
