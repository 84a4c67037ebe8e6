"""The office's data protection pages: a person's data, its download, an erasure after a
confirmation naming what will happen, and the register."""

from __future__ import annotations

import json
import re

from starlette.testclient import TestClient

from tests.web_helpers import assert_action_guarded, login
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service
from thekiz_flow.web.coach_choice import CHOICES


def test_the_office_sees_a_coachs_data_and_downloads_it(web: TestClient) -> None:
    login(web, "office")
    index = web.get("/privacy")
    assert index.status_code == 200
    assert "Lena Sommer (lena@example.org)" in index.text
    assert "Texte versandter E-Mails geleert: 0" in index.text
    chosen = web.get("/privacy/show", params={"coach": "1"}, follow_redirects=False)
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/privacy/coach/1")
    shown = web.get("/privacy/coach/1")
    assert shown.status_code == 200
    assert "Auskunft: Prozessbegleitung 1 (Lena Sommer)" in shown.text
    assert "Lena Sommer" in shown.text
    assert "lena@example.org" in shown.text
    assert "buero@example.org" not in shown.text.split("<main", 1)[-1].split("</main>")[0]
    download = web.get("/privacy/coach/1/json")
    assert download.headers["content-type"].startswith("application/json")
    assert "auskunft-coach-1.json" in download.headers["content-disposition"]
    rows = json.loads(download.text)["daten"]["coaches"]["zeilen"]
    assert rows[0]["name"] == "Lena Sommer"
    assert web.get("/privacy/show", params={}).status_code == 400
    assert web.get("/privacy/coach/99").status_code == 404
    register = web.get("/privacy/register")
    assert "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)" in register.text
    assert "12 Monate nach dem Versand" in register.text


def test_an_erasure_needs_a_confirmation_naming_what_will_happen(
    web: TestClient, database_url: str, service: Service
) -> None:
    assert_action_guarded(
        web, database_url, "/privacy/coach/1/erase", {"confirm": "ja"}, ("coach", "ministry")
    )
    token = login(web, "office")
    confirm = web.get("/privacy/coach/1/erase")
    assert (
        "Name und E-Mail-Adresse werden ersetzt durch „gelöschte Prozessbegleitung 1“"
        in confirm.text
    )
    assert "Ja, Prozessbegleitung 1 (Lena Sommer) endgültig löschen" in confirm.text
    unconfirmed = web.post("/privacy/coach/1/erase", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    beside = re.search(r'<p class="field-error" id="confirm-error">([^<]*)</p>', unconfirmed.text)
    assert beside is not None
    assert "Häkchen setzen" in beside.group(1)
    assert service.registry.coach(1)[0].name == "Lena Sommer"
    done = web.post("/privacy/coach/1/erase", data={"csrf_token": token, "confirm": "ja"})
    assert done.status_code == 200
    assert "Prozessbegleitung 1 gelöscht; im Löschprotokoll vermerkt." in done.text
    assert service.registry.coach(1)[0].name == "gelöschte Prozessbegleitung 1"
    assert [(e.subject.value, e.number) for e in service.privacy.logged()] == [("coach", 1)]


def test_a_coach_with_centres_is_not_offered_for_erasure(web: TestClient, service: Service) -> None:
    for name in ("Kita A", "Kita B", "Kita C", "Kita D", "Kita E"):
        service.registry.add_centre(CentreInput(name, "Jena", "a@example.org", coach="1"))
    token = login(web, "office")
    confirm = web.get("/privacy/coach/1/erase")
    assert (
        "Nicht möglich: Prozessbegleitung 1 begleitet noch 5 Einrichtungen (Kita A, Kita B, Kita C "
        "und 2 weitere); erst einer anderen Prozessbegleitung zuordnen." in confirm.text
    )
    assert "Endgültig löschen" not in confirm.text
    refused = web.post("/privacy/coach/1/erase", data={"csrf_token": token, "confirm": "ja"})
    assert refused.status_code == 400
    assert service.registry.coach(1)[0].name == "Lena Sommer"


def test_only_the_office_sees_the_privacy_pages(web: TestClient) -> None:
    login(web, "coach")
    assert web.get("/privacy").status_code == 403
    assert web.get("/privacy/coach/1").status_code == 403


def test_the_office_does_not_erase_its_own_account(web: TestClient, service: Service) -> None:
    token = login(web, "office")
    confirm = web.get("/privacy/user/1/erase")
    assert "Nicht möglich: Den eigenen Zugang löschen Sie hier nicht" in confirm.text
    refused = web.post("/privacy/user/1/erase", data={"csrf_token": token, "confirm": "ja"})
    assert refused.status_code == 400
    assert "buero@example.org" in [u.email for u in service.users.all()]
    other = web.get("/privacy/user/3/erase")
    assert "Benutzerkonto 3 (ministerium@example.org) löschen" in other.text
    done = web.post("/privacy/user/3/erase", data={"csrf_token": token, "confirm": "ja"})
    assert "Benutzerkonto 3 gelöscht" in done.text
    assert "ministerium@example.org" not in [u.email for u in service.users.all()]


def test_the_privacy_page_finds_a_centre_by_a_search_never_listing_every_one(
    web: TestClient, service: Service
) -> None:
    for n in range(1, 24):
        service.registry.add_centre(CentreInput(f"Kita Nummer {n:02}", "jena", f"k{n}@example.org"))
    login(web, "office")
    index = web.get("/privacy")
    offered = re.findall(r'<option value="(\d+)">Kita Nummer', index.text)
    assert 0 < len(offered) < 23
    assert f"{23 - len(offered)} weitere gefunden: bitte genauer suchen." in index.text
    found = web.get("/privacy", params={"text": "Nummer 17"})
    assert re.findall(r'<option value="\d+">(Kita Nummer [^<]*)</option>', found.text) == [
        "Kita Nummer 17 (Jena)"
    ]
    none = web.get("/privacy", params={"text": "Sonnenschein"})
    assert "Keine Einrichtung gefunden für „Sonnenschein“: bitte anders suchen." in none.text


def test_a_coach_search_with_a_control_character_is_refused_not_a_server_error(
    web: TestClient,
) -> None:
    """PostgreSQL refuses a NUL byte in a query: the search is refused before (400, German)."""
    login(web, "office")
    for path in ("/privacy", "/centres", "/calendar"):
        page = web.get(path, params={"coach_search": "Lena\x00"})
        assert page.status_code == 400, path
        assert "Prozessbegleitung suchen: enthält Steuerzeichen" in page.text, path


def test_the_privacy_page_finds_an_account_by_a_search_never_listing_every_one(
    web: TestClient, service: Service
) -> None:
    for n in range(1, 26):
        service.users.add(f"konto{n:02}@example.org", "office", "ein langes Passwort")
    login(web, "office")
    accounts = r'<option value="(\d+)">([^<]+@example.org)</option>'
    index = web.get("/privacy")
    offered = re.findall(accounts, index.text.split('name="user"', 1)[1])
    every = len(service.users.all())  # the 25 and the fixture's, one per role
    assert len(offered) == CHOICES < every
    assert f"{every - CHOICES} weitere gefunden: bitte genauer suchen." in index.text
    found = web.get("/privacy", params={"user_search": "konto17@"})
    shown = re.findall(accounts, found.text.split('name="user"', 1)[1])
    assert [email for _, email in shown] == ["konto17@example.org"]
    assert 'name="user_search" value="konto17@"' in found.text  # the other searches keep it
    none = web.get("/privacy", params={"user_search": "niemand"})
    assert "Kein Zugang gefunden für „niemand“: bitte anders suchen." in none.text
    bad = web.get("/privacy", params={"user_search": "konto\x00"})
    assert bad.status_code == 400
    assert 'id="user_search-error">Zugang suchen: enthält Steuerzeichen' in bad.text
    other = web.get("/privacy", params={"user_search": "konto17@", "text": "x" * 201})
    assert other.status_code == 400  # the centre search refused, the account search kept
    kept = re.findall(accounts, other.text.split('name="user"', 1)[1])
    assert [email for _, email in kept] == ["konto17@example.org"]
