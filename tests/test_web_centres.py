"""The centre pages: the list, one centre, and the office's changes, per role."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import TODAY
from tests.web_helpers import USERS, assert_action_guarded, login
from thekiz_flow.core import paging
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.german import euro
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.service import Service

ON = date(2024, 1, 8)
ADMITTED = date(2026, 3, 4)  # sessions are planned ahead of today (15.06.2026)


def programme(service: Service) -> dict[str, int]:
    """Three centres: one admitted (coach 1), one interested (coach 2), one without a coach."""
    service.registry.add_coach("Max Berg", "max@example.org", "60")
    ids = {
        "puste": service.registry.add_centre(
            CentreInput("Kita Pusteblume", "jena", "p@example.org", coach="1"), ON
        ),
        "loewe": service.registry.add_centre(
            CentreInput("Kita Löwenzahn", "jena", "l@example.org", coach="2"), ON
        ),
        "haus": service.registry.add_centre(
            CentreInput("Haus 100% Familie", "Weimarer Land", "c_x@example.org"), ON
        ),
    }
    service.lifecycle.advance(ids["puste"], "admit", on=ADMITTED, reason="Start")
    return ids


NAMES = ("Kita Pusteblume", "Kita Löwenzahn", "Haus 100% Familie")


def listed(web: TestClient, **params: str) -> list[str]:
    """The centres the list shows, in its order."""
    page = web.get("/centres", params=params)
    assert page.status_code == 200
    shown = [(page.text.find(f">{name}</a>"), name) for name in NAMES]
    return [name for at, name in sorted(shown) if at >= 0]


# ---------------------------------------------------------------------- list
def test_the_office_lists_filters_and_searches(web: TestClient, service: Service) -> None:
    ids = programme(service)
    login(web, "office")
    assert "Einrichtungen (3)" in web.get("/centres").text
    assert listed(web) == ["Haus 100% Familie", "Kita Löwenzahn", "Kita Pusteblume"]
    assert listed(web, stage="basisbegleitung") == ["Kita Pusteblume"]
    assert listed(web, district="Weimarer Land") == ["Haus 100% Familie"]
    assert listed(web, coach="2") == ["Kita Löwenzahn"]
    assert listed(web, coach="keine") == ["Haus 100% Familie"]
    assert listed(web, text="löwenZAHN") == ["Kita Löwenzahn"]
    assert listed(web, text="LÖWEN") == ["Kita Löwenzahn"]  # umlauts fold too
    assert listed(web, text="weimarer") == ["Haus 100% Familie"]  # by district
    assert listed(web, text=f" {ids['haus']} ") == []  # never by number
    assert listed(web, text="P@EXAMPLE") == ["Kita Pusteblume"]
    assert listed(web, text="100%") == ["Haus 100% Familie"]
    assert listed(web, text="c_x") == ["Haus 100% Familie"]
    assert listed(web, text="c%x") == []  # % and _ are no wildcards
    assert listed(web, district="Jena", coach="1") == ["Kita Pusteblume"]


def test_the_list_s_orders(web: TestClient, service: Service) -> None:
    ids = programme(service)
    login(web, "office")
    assert listed(web, sort="id") == [
        name for _, name in sorted(zip(ids.values(), NAMES, strict=True))
    ]
    assert listed(web, sort="stage") == ["Haus 100% Familie", "Kita Löwenzahn", "Kita Pusteblume"]
    assert listed(web, sort="since")[0] == "Kita Pusteblume"  # the latest change first
    assert listed(web, sort="district") == [
        "Kita Löwenzahn",
        "Kita Pusteblume",
        "Haus 100% Familie",
    ]


def test_the_list_comes_in_pages_that_keep_the_filters(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    programme(service)
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    login(web, "office")
    first = web.get("/centres", params={"district": "", "sort": "name"})
    assert "Einrichtungen (3)" in first.text
    assert "Seite 1 von 2" in first.text
    assert listed(web, sort="name") == ["Haus 100% Familie", "Kita Löwenzahn"]
    assert "page=2" in first.text
    assert "sort=name" in first.text
    assert listed(web, sort="name", page="2") == ["Kita Pusteblume"]


def test_a_wrong_filter_is_a_german_page(web: TestClient, service: Service) -> None:
    programme(service)
    login(web, "office")
    wrong = web.get("/centres", params={"stage": "basis"})
    assert wrong.status_code == 400
    assert "Stufe: unbekannte Stufe &#39;basis&#39;" in wrong.text
    assert web.get("/centres", params={"page": "x"}).status_code == 400
    assert web.get("/centres", params={"coach": "7"}).status_code == 404


def test_a_coach_sees_every_centre_and_their_own_marked(web: TestClient, service: Service) -> None:
    programme(service)
    login(web, "coach")
    page = web.get("/centres")
    assert listed(web) == ["Haus 100% Familie", "Kita Löwenzahn", "Kita Pusteblume"]
    assert page.text.count("(Ihre)") == 1
    assert "Kita Pusteblume</a> <strong>(Ihre)</strong>" in page.text
    assert "Neue Einrichtung anlegen" not in page.text


def test_the_ministry_sees_no_centre_page(web: TestClient, service: Service) -> None:
    ids = programme(service)
    assert web.get("/centres", follow_redirects=False).headers["location"].startswith("/login")
    login(web, "ministry")
    for path in ("/centres", f"/centres/{ids['puste']}", "/centres/new", "/centres/1/edit"):
        assert web.get(path).status_code == 403


# -------------------------------------------------------------------- detail
def test_the_office_sees_a_centre(web: TestClient, service: Service) -> None:
    ids = programme(service)
    login(web, "office")
    page = web.get(f"/centres/{ids['puste']}")
    assert page.status_code == 200
    text = page.text
    assert "Basisbegleitung seit 04.03.2026" in text
    assert "Lena Sommer" in text
    assert "im Programm seit</th><td>08.01.2024" in text
    history = service.lifecycle.history(ids["puste"])
    assert "Aufnahme in die Basisbegleitung" in text
    assert f"<td>{history[0].actor}</td>" in text
    assert "<td>Start</td>" in text
    step = service.lifecycle.next_step(ids["puste"])
    assert step is not None
    assert step.missing
    assert service.workflow.step_name(step.trigger) in text
    assert all(item in text for item in (*step.missing, *step.recommendations))
    (budget,) = service.overview.budgets(ids["puste"])  # admitted this year
    assert budget == service.overview.budget(ids["puste"])
    assert f'<th scope="row">{budget.year}</th><td class="num">{euro(budget.budget)}</td>' in text
    sessions = service.overview.activities(
        ActivityFilter(centre_id=ids["puste"], kind=ActivityKind.COACHING)
    )
    assert (
        f"Termine ({len(service.overview.activities(ActivityFilter(centre_id=ids['puste'])))})"
        in text
    )
    assert text.count("<td>Begleittermin</td>") == len(sessions)
    assert "Stufe ändern" in text
    assert 'name="force"' in text
    allowed = service.runtime.rules.triggers("basisbegleitung")
    assert allowed == ["deepen", "pause", "withdraw"]
    assert [t for t in service.workflow.transitions if f'value="{t}"' in text] == allowed
    assert "Wechsel in die Vertiefungsbegleitung (→ Vertiefungsbegleitung)" in text
    assert "Stammdaten bearbeiten" in text


def test_a_coach_reads_a_centre_without_the_office_s_forms(
    web: TestClient, service: Service
) -> None:
    ids = programme(service)
    login(web, "coach")
    own = web.get(f"/centres/{ids['puste']}").text
    assert "Sie begleiten diese Einrichtung." in own
    other = web.get(f"/centres/{ids['loewe']}").text
    assert "Kita Löwenzahn" in other
    assert "Sie begleiten" not in other
    for text in (own, other):
        assert "Stufe ändern" not in text
        assert 'name="force"' not in text
        assert "bearbeiten" not in text
    assert web.get(f"/centres/{ids['puste']}/edit").status_code == 403
    assert web.get("/centres/new").status_code == 403


def test_a_coach_records_a_session_of_their_own_centre_from_its_page(
    web: TestClient, service: Service
) -> None:
    ids = programme(service)
    service.registry.assign_coach(ids["loewe"], "2")
    service.lifecycle.advance(ids["loewe"], "admit", on=ADMITTED)
    token = login(web, "coach")
    own = web.get(f"/centres/{ids['puste']}").text
    assert "als gehalten erfassen" in own
    assert "als gehalten erfassen" not in web.get(f"/centres/{ids['loewe']}").text
    (first, *_) = service.overview.activities(
        ActivityFilter(
            centre_id=ids["puste"], kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
        )
    )
    assert f'action="/sessions/{first.id}/record"' in own
    back = f"/centres/{ids['puste']}"
    sent = web.post(
        f"/sessions/{first.id}/record",
        data={
            "csrf_token": token,
            "date": service.runtime.today().isoformat(),
            "hours": "2",
            "back": back,
        },
    )
    assert sent.status_code == 200
    assert sent.url.path == back
    (held,) = service.overview.activities(
        ActivityFilter(centre_id=ids["puste"], status=ActivityStatus.HELD)
    )
    assert held.id == first.id


def test_an_unknown_centre_is_404(web: TestClient, service: Service) -> None:
    login(web, "office")
    missing = web.get("/centres/999")
    assert missing.status_code == 404
    assert "keine Einrichtung mit der Nummer 999" in missing.text


def test_the_overview_links_to_the_centres(web: TestClient, service: Service) -> None:
    ids = programme(service)
    login(web, "office")
    link = f'<a href="/centres/{ids["loewe"]}">Kita Löwenzahn</a>'
    assert f"{link}</td><td>Aufnahme in die Basisbegleitung" in web.get("/").text


# ------------------------------------------------------------- stage changes
def test_changing_the_stage_is_the_office_s(
    web: TestClient, service: Service, database_url: str
) -> None:
    ids = programme(service)
    path = f"/centres/{ids['loewe']}/advance"
    data = {"trigger": "admit", "reason": "Sonderfall", "force": "1"}
    assert_action_guarded(web, database_url, path, data, forbidden=("coach", "ministry"))
    token = login(web, "office")
    before = dump(database_url)
    asked = web.post(path, data={"csrf_token": token, "trigger": "admit"})
    assert asked.status_code == 200  # first what it will do, nothing written yet
    assert "Stufenwechsel bestätigen" in asked.text
    assert "Aufnahme in die Basisbegleitung: Interessent → Basisbegleitung ab 15.06.2026" in (
        asked.text
    )
    assert "Die Einrichtung erhält eine E-Mail." in asked.text
    assert '<input type="hidden" name="confirmed" value="ja">' in asked.text
    assert dump(database_url) == before
    done = web.post(path, data={"csrf_token": token, "trigger": "admit", "confirmed": "ja"})
    assert done.url.path == f"/centres/{ids['loewe']}"
    assert "Stufenwechsel: Interessent → Basisbegleitung ab 15.06.2026." in done.text
    (change,) = service.lifecycle.history(ids["loewe"])
    assert (change.trigger, change.actor, change.forced) == ("admit", USERS["office"], False)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"trigger": "admit"},
            "„Aufnahme in die Basisbegleitung“ abgelehnt: keine Prozessbegleitung",
        ),
        (
            {"trigger": "admit", "confirmed": "ja"},
            "„Aufnahme in die Basisbegleitung“ abgelehnt: keine Prozessbegleitung zugeordnet",
        ),
        (
            {"trigger": "admit", "force": "1"},
            "Grund: Bedingungen übergehen braucht eine Begründung",
        ),
        ({"trigger": "deepen"}, "in der Stufe Interessent nicht möglich"),
        ({"trigger": "admit", "on": "2099-01-01"}, "liegt in der Zukunft"),
        ({"trigger": "admit", "on": "morgen"}, "ungültiges Datum"),
    ],
)
def test_a_refused_stage_change_shows_why_and_writes_nothing(
    web: TestClient, service: Service, database_url: str, data: dict[str, str], words: str
) -> None:
    ids = programme(service)
    token = login(web, "office")
    before = dump(database_url)
    refused = web.post(f"/centres/{ids['haus']}/advance", data={"csrf_token": token, **data})
    assert refused.status_code == 400
    assert words in refused.text
    assert 'class="error" role="alert"' in refused.text or 'class="field-error"' in refused.text
    assert "Stufe ändern" in refused.text
    assert dump(database_url) == before


def test_the_office_forces_a_stage_change_with_a_reason(web: TestClient, service: Service) -> None:
    ids = programme(service)
    token = login(web, "office")
    data = {"csrf_token": token, "trigger": "admit", "force": "1", "reason": "Sonderfall"}
    asked = web.post(f"/centres/{ids['haus']}/advance", data=data)
    assert "Interessent → Basisbegleitung ab 15.06.2026 (erzwungen)" in asked.text
    assert service.lifecycle.history(ids["haus"]) == []
    done = web.post(f"/centres/{ids['haus']}/advance", data={**data, "confirmed": "ja"})
    assert "Interessent → Basisbegleitung ab 15.06.2026 (erzwungen)." in done.text
    assert "(erzwungen)</strong>" in done.text
    assert "<td>Sonderfall</td>" in done.text
    (change,) = service.lifecycle.history(ids["haus"])
    assert (change.forced, change.reason, change.actor) == (True, "Sonderfall", USERS["office"])


def test_the_confirmation_says_the_note_goes_to_the_centre_and_the_reason_stays(
    web: TestClient, service: Service
) -> None:
    ids = programme(service)
    token = login(web, "office")
    note = "Wir melden uns nach dem Umbau bei Ihnen."
    data = {"csrf_token": token, "trigger": "pause", "reason": "Umbau", "centre_note": note}
    asked = web.post(f"/centres/{ids['puste']}/advance", data=data)
    assert f"Die Einrichtung erhält eine E-Mail mit Ihrem Hinweis: „{note}“." in asked.text
    assert "Die Begründung bleibt intern" in asked.text
    assert f'name="centre_note" value="{note}"' in asked.text  # carried to the confirmation
    done = web.post(f"/centres/{ids['puste']}/advance", data={**data, "confirmed": "ja"})
    assert f"<td>{note}</td>" in done.text
    assert service.lifecycle.history(ids["puste"])[-1].centre_note == note


def test_a_too_long_note_is_refused_beside_its_field(
    web: TestClient, service: Service, database_url: str
) -> None:
    ids = programme(service)
    token = login(web, "office")
    before = dump(database_url)
    data = {"csrf_token": token, "trigger": "pause", "centre_note": "x" * 2001}
    refused = web.post(f"/centres/{ids['puste']}/advance", data=data)
    assert refused.status_code == 400
    assert 'id="centre_note-error"' in refused.text
    assert "höchstens 2000 Zeichen" in refused.text
    assert dump(database_url) == before


def test_a_paused_centre_offers_its_way_back(web: TestClient, service: Service) -> None:
    ids = programme(service)
    token = login(web, "office")
    data = {"csrf_token": token, "trigger": "pause", "reason": "Umbau", "confirmed": "ja"}
    paused = web.post(f"/centres/{ids['puste']}/advance", data=data)
    assert "Basisbegleitung → Pausiert" in paused.text
    assert "Fortsetzen (→ Basisbegleitung)" in paused.text
    assert 'value="deepen"' not in paused.text


def test_a_year_without_a_budget_says_so(web: TestClient, service: Service) -> None:
    centre = programme(service)["loewe"]
    steps = (
        ("admit", date(2024, 1, 8)),
        ("deepen", date(2024, 6, 3)),
        ("consult", date(2025, 1, 6)),
    )
    for step, on in steps:  # since 2025 a Konsultationseinrichtung: coaching by need
        service.lifecycle.advance(centre, step, on=on, force=True, reason="Sonderfall")
    budget = service.overview.budget(centre)  # 2026
    assert (budget.budgeted, budget.budget) == (False, Decimal(0))
    login(web, "office")
    text = web.get(f"/centres/{centre}").text
    row = text[text.index('<th scope="row">2026</th>') :].split("</tr>")[0]
    assert '<td class="num">kein Budget</td>' in row
    assert row.endswith('<td class="num">–</td>')  # nothing "frei" of no budget
    earlier = text[text.index('<th scope="row">2024</th>') :].split("</tr>")[0]
    assert "kein Budget" not in earlier


# -------------------------------------------------------------------- coach
def test_assigning_a_coach(web: TestClient, service: Service, database_url: str) -> None:
    ids = programme(service)
    path = f"/centres/{ids['haus']}/coach"
    assert_action_guarded(web, database_url, path, {"coach": "1"}, forbidden=("coach", "ministry"))
    token = login(web, "office")
    done = web.post(path, data={"csrf_token": token, "coach": "1"})
    assert done.url.path == f"/centres/{ids['haus']}"
    assert "Prozessbegleitung: Lena Sommer (lena@example.org); " in done.text
    assert service.registry.centre(ids["haus"])[0].coach_id == 1
    before = dump(database_url)
    unknown = web.post(path, data={"csrf_token": token, "coach": "99"})
    assert unknown.status_code == 400
    assert "Prozessbegleitung: keine Prozessbegleitung &#39;99&#39;" in unknown.text
    assert dump(database_url) == before


def test_another_coach_takes_the_planned_sessions_along(web: TestClient, service: Service) -> None:
    ids = programme(service)
    token = login(web, "office")
    path = f"/centres/{ids['puste']}"
    assert '<option value="keine">ohne Prozessbegleitung</option>' in web.get(path).text
    planned = ActivityFilter(
        centre_id=ids["puste"],
        kind=ActivityKind.COACHING,
        status=ActivityStatus.PLANNED,
        first=TODAY,
    )
    visits = replace(planned, kind=ActivityKind.SITE_VISIT)
    count = len(service.overview.activities(planned)) + len(service.overview.activities(visits))
    done = web.post(f"{path}/coach", data={"csrf_token": token, "coach": "2"})
    assert f"Max Berg (max@example.org); {count} geplante Termine" in done.text
    assert {a.coach_id for a in service.overview.activities(planned)} == {2}
    web.post(f"{path}/coach", data={"csrf_token": token, "coach": "keine"})
    assert service.registry.centre(ids["puste"])[0].coach_id is None
    assert {a.coach_id for a in service.overview.activities(planned)} == {None}


# ------------------------------------------------------------ add and edit
NEW = {
    "name": "Kita Sonnenschein",
    "district": "Gera",
    "email": "s@example.org",
    "carrier": "AWO",
    "coach": "1",
    "on": "2026-06-01",
}


def test_adding_a_centre(web: TestClient, service: Service, database_url: str) -> None:
    assert_action_guarded(web, database_url, "/centres/new", NEW, forbidden=("coach", "ministry"))
    token = login(web, "office")
    form = web.get("/centres/new")
    assert form.status_code == 200
    assert '<option value="Gera">Gera</option>' in form.text
    done = web.post("/centres/new", data={"csrf_token": token, **NEW})
    (centre,) = service.registry.centres()
    assert done.url.path == f"/centres/{centre.id}"
    assert "Kita Sonnenschein (Gera) angelegt." in done.text
    assert (centre.name, centre.district, centre.carrier, centre.coach_id) == (
        "Kita Sonnenschein",
        "Gera",
        "AWO",
        1,
    )
    assert centre.stage_since == date(2026, 6, 1)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"email": "kein-at"}, "E-Mail: ungültige E-Mail-Adresse"),
        ({"district": ""}, "Kreis: unbekannter Kreis"),
        ({"name": "  "}, "Name: darf nicht leer sein"),
        ({"on": "2099-01-01"}, "Datum: 01.01.2099 liegt in der Zukunft"),
        ({"name": "kita pusteblume", "district": "Jena"}, "gibt es in Jena schon"),
    ],
)
def test_a_refused_new_centre_keeps_the_form(
    web: TestClient,
    service: Service,
    database_url: str,
    change: dict[str, str],
    words: str,
) -> None:
    programme(service)
    token = login(web, "office")
    before = dump(database_url)
    refused = web.post("/centres/new", data={"csrf_token": token, **NEW, **change})
    assert refused.status_code == 400
    assert words in refused.text
    assert 'value="s@example.org"' in refused.text or "kein-at" in refused.text
    assert dump(database_url) == before


def test_editing_a_centre(web: TestClient, service: Service, database_url: str) -> None:
    ids = programme(service)
    path = f"/centres/{ids['puste']}/edit"
    data = {"name": "Kita Pusteblume Nord", "district": "Jena", "email": "n@example.org"}
    assert_action_guarded(web, database_url, path, data, forbidden=("coach", "ministry"))
    token = login(web, "office")
    form = web.get(path)
    assert 'value="Kita Pusteblume"' in form.text
    assert '<option value="keiner" selected>' in form.text
    today = service.runtime.today()
    planned = ActivityFilter(
        centre_id=ids["puste"],
        kind=ActivityKind.COACHING,
        status=ActivityStatus.PLANNED,
        first=today,
    )
    before = [a.date for a in service.overview.activities(planned)]
    assert {d.weekday() for d in before} != {0}
    edit = {**data, "carrier": "Stadt Jena", "weekday": "mo"}
    done = web.post(path, data={"csrf_token": token, **edit})
    assert done.url.path == f"/centres/{ids['puste']}"
    assert "Einrichtung geändert." in done.text
    assert "Termine verlegt." in done.text
    centre, _ = service.registry.centre(ids["puste"])
    assert (centre.name, centre.email, centre.carrier, centre.weekday) == (
        "Kita Pusteblume Nord",
        "n@example.org",
        "Stadt Jena",
        0,
    )
    after = [a.date for a in service.overview.activities(planned)]
    assert sum(d.weekday() == 0 for d in after) > sum(d.weekday() == 0 for d in before)
    assert '<option value="mo" selected>' in web.get(path).text


def test_a_refused_edit_keeps_the_form_and_writes_nothing(
    web: TestClient, service: Service, database_url: str
) -> None:
    ids = programme(service)
    token = login(web, "office")
    before = dump(database_url)
    path = f"/centres/{ids['loewe']}/edit"
    data = {"name": "Kita Pusteblume", "district": "Jena", "email": "l@example.org"}
    refused = web.post(path, data={"csrf_token": token, **data, "weekday": "keiner"})
    assert refused.status_code == 400
    assert "Name: &#39;Kita Pusteblume&#39; gibt es in Jena schon" in refused.text
    assert "Kita Löwenzahn bearbeiten" in refused.text
    wrong_day = web.post(path, data={"csrf_token": token, **data, "weekday": "sa"})
    assert "unbekannter Wochentag" in wrong_day.text
    assert dump(database_url) == before
    data = {**data, "weekday": "keiner"}
    assert web.post("/centres/999/edit", data={"csrf_token": token, **data}).status_code == 404


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        ("office", ["verlauf", "termine", "schliesstage", "stufe-aendern", "prozessbegleitung"]),
        ("coach", ["verlauf", "termine", "schliesstage"]),
    ],
)
def test_the_centre_page_links_to_its_sections(
    web: TestClient, service: Service, role: str, sections: list[str]
) -> None:
    """A long page: its sections one link away, for keyboard users too."""
    ids = programme(service)
    login(web, role)
    html = web.get(f"/centres/{ids['puste']}").text
    nav = re.search(r'<nav class="sections"[^>]*>(.*?)</nav>', html, re.S)
    assert nav is not None
    assert re.findall(r'href="#([^"]+)"', nav.group(1)) == sections
    for section in sections:
        assert html.count(f'id="{section}"') == 1, section
