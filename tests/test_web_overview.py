"""The start page per role (sending a failed mail again: test_web_outbox.py; what the
office's worklist finds: test_worklist.py)."""

from __future__ import annotations

from collections.abc import Sized
from datetime import date, timedelta
from typing import cast

import pytest
from starlette.testclient import TestClient

from tests.conftest import BERLIN
from tests.web_helpers import PASSWORD, USERS, csrf_token, login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus, Recipient
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput, Workflow
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.service import Service
from thekiz_flow.web.pages.overview import SHOWN, stage_table

ON = date(2024, 1, 8)
SINCE = date(2025, 4, 1)


def programme(service: Service) -> None:
    """Three centres in two districts, one admitted; one mail that could not be sent."""
    jena = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "p@example.org", coach="1"), ON
    )
    service.registry.add_centre(
        CentreInput("Kita Löwenzahn", "jena", "l@example.org", coach="1"), ON
    )
    service.registry.add_centre(
        CentreInput("Kita Regenbogen", "Weimarer Land", "r@example.org"), ON
    )
    service.lifecycle.advance(jena, "admit", on=ON + timedelta(days=7))
    failed = NewMail(
        "test:1",
        "test",
        Recipient.OFFICE,
        "fachstelle@example.org",
        "Erinnerung <Termin>",
        "",
        "",
        service.runtime.clock.now(),
        status=OutboxStatus.FAILED,
        problem="Postfach voll",
    )
    with service.runtime.unit() as repo:
        repo.outbox.add([failed], service.runtime.clock.now())


def admitted_long_ago(service: Service, name: str, coach: str) -> int:
    """A centre admitted on SINCE (its sessions planned from then on: many not recorded)."""
    clock = service.runtime.clock
    assert isinstance(clock, FrozenClock)
    today = clock.now()
    clock.set(noon(SINCE, BERLIN))
    centre = service.registry.add_centre(CentreInput(name, "Gera", "k@example.org", coach=coach))
    service.lifecycle.advance(centre, "admit", on=SINCE)
    clock.set(today)
    return centre


def test_the_stage_table_follows_the_programme_s_order(workflow: Workflow) -> None:
    counts = [
        ("interessent", "Jena", 1),
        ("basisbegleitung", "Jena", 2),
        ("interessent", "Gera", 1),
    ]
    table = stage_table(workflow, counts)
    names = [workflow.stage(s).name for s in ("interessent", "basisbegleitung")]
    assert table.stages == names
    rows = {"Gera": ("Gera", [1, 0], 1), "Jena": ("Jena", [1, 2], 3)}
    assert table.rows == [rows[d] for d in workflow.districts if d in rows]
    assert (table.totals, table.total) == ([2, 2], 4)


def test_the_office_sees_the_overview(web: TestClient, service: Service) -> None:
    programme(service)
    login(web, "office")
    page = web.get("/")
    assert page.status_code == 200
    text = page.text
    assert "Einrichtungen nach Stufe und Kreis (3)" in text
    assert "Weimarer Land" in text
    upcoming = cast(Sized, service.digest.overview_context(service.runtime.today())["upcoming"])
    assert f"Die nächsten 30 Tage ({len(upcoming)})" in text
    assert "Bereit für den nächsten Schritt (1)" in text  # Löwenzahn has a coach; Regenbogen not
    assert "Kita Löwenzahn</a></td><td>Aufnahme in die Basisbegleitung" in text
    assert "Fehlgeschlagene E-Mails (1)" in text
    assert "Erinnerung &lt;Termin&gt;" in text  # escaped
    assert "erneut senden" in text


def test_the_office_s_worklist_comes_before_the_statistics(
    web: TestClient, service: Service
) -> None:
    programme(service)
    admitted_long_ago(service, "Kita Sonnenblume", "1")
    login(web, "office")
    text = web.get("/").text
    order = [
        '<h2 class="part">Heute zu tun</h2>',
        "Nicht erfasste Begleittermine (",
        "Fällige Einrichtungsbesuche bis ",
        "Bereit für den nächsten Schritt (1)",
        "Fortbildungen mit freien Plätzen oder Warteliste (0)",
        "Budgetwarnungen (0)",
        "Fehlgeschlagene E-Mails (1)",
        '<h2 class="part">Stand des Programms</h2>',
        "Einrichtungen nach Stufe und Kreis (4)",
        "Die nächsten 30 Tage (",
    ]
    at = [text.index(part) for part in order]
    assert at == sorted(at)
    # an empty group says so briefly
    assert "Keine Fortbildung mit freien Plätzen oder Warteliste." in text
    assert "Keine Einrichtung hat 80 % ihres Jahresbudgets erreicht." in text


def test_each_item_is_one_click_from_what_settles_it(web: TestClient, service: Service) -> None:
    programme(service)
    admitted_long_ago(service, "Kita Sonnenblume", "1")
    today = service.runtime.today()
    training = service.trainings.add(
        "reflexion", "Reflexion Jena", (today + timedelta(days=7)).isoformat(), "Jena", "12"
    )
    login(web, "office")
    text = web.get("/").text
    work = service.overview.worklist(today, SHOWN)
    session = work.unrecorded.items[0].activity
    assert f'action="/sessions/{session.id}/record"' in text  # the form to record it
    assert '<input type="hidden" name="back" value="/">' in text  # and back here
    assert work.visits.items
    for visit in work.visits.items:  # the form to record it
        assert f'<input type="hidden" name="centre" value="{visit.centre.id}">' in text
    (ready,) = work.eligible.items
    assert f'<a href="/centres/{ready.centre.id}">Stufe ändern</a>' in text
    assert f'<a href="/trainings/{training}">Anmeldungen</a>' in text
    assert "12 von 12" in text
    (failed,) = work.failed.items
    assert f'action="/outbox/{failed.id}/retry"' in text


def test_a_long_group_is_cut_and_shown_whole_on_request(web: TestClient, service: Service) -> None:
    programme(service)
    admitted_long_ago(service, "Kita Sonnenblume", "1")
    login(web, "office")
    total = service.overview.worklist(service.runtime.today()).unrecorded.total
    assert total > SHOWN
    text = web.get("/").text
    assert f"Nicht erfasste Begleittermine ({total})" in text
    assert text.count("/record") == SHOWN
    assert f'<a href="/?alle=unrecorded#unrecorded">alle {total} anzeigen</a>' in text
    whole = web.get("/", params={"alle": "unrecorded"}).text
    assert whole.count("/record") == total
    assert f"alle {total} anzeigen" not in whole
    assert 'name="back" value="/?alle=unrecorded"' in whole
    assert web.get("/", params={"alle": "nichts"}).text.count("/record") == SHOWN


def test_the_office_records_a_session_from_the_start_page(
    web: TestClient, service: Service
) -> None:
    programme(service)
    admitted_long_ago(service, "Kita Sonnenblume", "1")
    token = login(web, "office")
    session = service.overview.worklist(service.runtime.today(), 1).unrecorded.items[0].activity
    data = {"csrf_token": token, "back": "/", "date": session.date.isoformat(), "hours": "2"}
    response = web.post(f"/sessions/{session.id}/record", data=data, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    page = web.get("/").text
    assert (
        f"Termin {session.id} bei Kita Sonnenblume (Gera) "
        f"gehalten am {session.date:%d.%m.%Y}: 2 Std." in page
    )
    assert f"/sessions/{session.id}/record" not in page


def coach_programme(service: Service) -> tuple[int, int]:
    """The overview's programme; a centre of Lena's (coach 1) and one of another coach's,
    admitted long ago."""
    programme(service)
    other = service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    mine = admitted_long_ago(service, "Kita Sonnenblume", "1")
    return mine, admitted_long_ago(service, "Kita Sonnenschein", str(other))


def coach_sessions(service: Service, centre: int) -> list[Activity]:
    where = ActivityFilter(
        centre_id=centre, kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
    )
    return service.overview.activities(where)


def test_a_coach_s_start_page_shows_their_sessions_and_calendar(
    web: TestClient, service: Service
) -> None:
    mine, theirs = coach_programme(service)
    today = service.runtime.today()
    login(web, "coach")
    page = web.get("/")
    assert page.status_code == 200
    text = page.text
    assert "Lena Sommer · Stand" in text
    before = [a for a in coach_sessions(service, mine) if a.date < today]
    ahead = [a for a in coach_sessions(service, mine) if today <= a.date <= today + timedelta(30)]
    assert f"Noch zu erfassen ({len(before)})" in text
    assert f"Meine nächsten Termine bis {today + timedelta(30):%d.%m.%Y} ({len(ahead)})" in text
    for session in (before[0], ahead[0]):
        assert f'action="/sessions/{session.id}/record"' in text
    assert f'action="/sessions/{before[SHOWN].id}/record"' not in text  # cut
    assert text.count(f'href="/?alle=unrecorded#unrecorded">alle {len(before)} anzeigen') == 1
    for other in coach_sessions(service, theirs):
        assert f"/sessions/{other.id}/" not in text
    assert '<a href="/feeds">Kalender-Link anlegen</a>' in text
    # nothing of the office's
    for office_only in ("Fehlgeschlagene E-Mails", "erneut senden", "Heute zu tun", "Kreis</th>"):
        assert office_only not in text
    whole = web.get("/", params={"alle": "unrecorded"}).text
    assert all(f"/sessions/{s.id}/record" in whole for s in before)


def test_a_coach_s_start_page_names_their_calendar_link(web: TestClient, service: Service) -> None:
    token = login(web, "coach")
    assert "Sie haben noch keinen Kalender-Link." in web.get("/").text
    web.post("/feeds/1/renew", data={"csrf_token": token})
    text = web.get("/").text
    assert "Ihr Kalender-Link besteht seit" in text
    assert '<a href="/feeds">Kalender-Link verwalten</a>' in text


def test_a_coach_records_a_session_from_the_start_page(web: TestClient, service: Service) -> None:
    mine, theirs = coach_programme(service)
    token = login(web, "coach")
    session = coach_sessions(service, mine)[0]
    data = {"csrf_token": token, "back": "/", "date": session.date.isoformat(), "hours": "1,5"}
    response = web.post(f"/sessions/{session.id}/record", data=data)
    assert response.url.path == "/"
    assert (
        f"Termin {session.id} bei Kita Sonnenblume (Gera) "
        f"gehalten am {session.date:%d.%m.%Y}: 1,5 Std." in response.text
    )
    other = coach_sessions(service, theirs)[0]
    refused = web.post(
        f"/sessions/{other.id}/record", data={**data, "date": other.date.isoformat()}
    )
    assert refused.status_code == 403
    assert coach_sessions(service, theirs)[0] == other


@pytest.mark.parametrize("role", ["office", "coach", "ministry"])
def test_every_role_lands_on_its_start_page_at_the_base_address(
    web: TestClient, service: Service, role: str
) -> None:
    programme(service)
    token = csrf_token(web.get("/login").text)
    data = {"email": USERS[role], "password": PASSWORD, "csrf_token": token}
    page = web.post("/login", data=data)
    assert page.status_code == 200
    assert "Kein Zugriff" not in page.text
    assert "nicht freigegeben" not in page.text
    heading = {"office": "Übersicht", "coach": "Übersicht", "ministry": "Jahresberichte"}[role]
    assert f"<h1>{heading}</h1>" in page.text
    assert web.get("/").text == page.text


def test_the_ministry_s_start_page_is_the_digests(web: TestClient, service: Service) -> None:
    programme(service)  # centres known since 2024
    login(web, "ministry")
    response = web.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/digests")
    page = web.get("/")
    for year in (2025, 2024):
        for suffix in ("html", "csv", "xlsx"):
            assert f'href="/digests/{year}.{suffix}"' in page.text
    assert "Begleittermine" not in page.text  # nothing of the office's or a coach's
