"""The overview page and its one action (sending a failed mail again), per role.

An example of a page test and of an action's test: ``assert_action_guarded`` checks what
every action needs (no session, forbidden roles, no CSRF token: refused, nothing written).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.web_helpers import assert_action_guarded, login
from thekiz_flow.db.outbox import NewMail, OutboxStore
from thekiz_flow.model import FAILED, PENDING, CentreInput, Workflow
from thekiz_flow.service import Service
from thekiz_flow.web.pages.overview import stage_table

ON = date(2024, 1, 8)


def programme(service: Service) -> None:
    """Three centres in two districts, one admitted; one mail that could not be sent."""
    jena = service.add_centre(
        CentreInput("Kita Pusteblume", "jena", "p@example.org", coach="1"), ON
    )
    service.add_centre(CentreInput("Kita Löwenzahn", "jena", "l@example.org", coach="1"), ON)
    service.add_centre(CentreInput("Kita Regenbogen", "Weimarer Land", "r@example.org"), ON)
    service.advance(jena, "admit", on=ON + timedelta(days=7))
    failed = NewMail(
        "test:1",
        "test",
        "office",
        "fachstelle@example.org",
        "Erinnerung <Termin>",
        "",
        "",
        service.clock.now(),
        status=FAILED,
        problem="Postfach voll",
    )
    with service.unit() as repo:
        OutboxStore(repo.conn).add([failed], service.clock.now())


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
    upcoming = service.overview_context(service.today())["upcoming"]
    assert f"Die nächsten 30 Tage ({len(upcoming)})" in text
    assert "Bereit für den nächsten Schritt (1)" in text  # Löwenzahn has a coach; Regenbogen not
    assert "Kita Löwenzahn</a></td><td>admit" in text
    assert "Fehlgeschlagene E-Mails (1)" in text
    assert "Erinnerung &lt;Termin&gt;" in text  # escaped
    assert "erneut senden" in text


def test_a_coach_reads_the_overview_but_may_not_retry(web: TestClient, service: Service) -> None:
    programme(service)
    login(web, "coach")
    page = web.get("/")
    assert page.status_code == 200
    assert "Fehlgeschlagene E-Mails (1)" in page.text
    assert "erneut senden" not in page.text


def test_retrying_a_failed_mail(web: TestClient, service: Service, database_url: str) -> None:
    programme(service)
    (row,) = service.outbox(FAILED)
    path = f"/outbox/{row.id}/retry"
    assert_action_guarded(web, database_url, path, {}, forbidden=("coach", "ministry"))
    token = login(web, "office")
    done = web.post(path, data={"csrf_token": token})
    assert done.url.path == "/"
    assert f"Nachricht {row.id} an fachstelle@example.org wird erneut versandt." in done.text
    assert {r.id: r.status for r in service.outbox()}[row.id] == PENDING


def test_a_refused_retry_is_a_german_page_and_writes_nothing(
    web: TestClient, service: Service, database_url: str, engine: Engine
) -> None:
    programme(service)
    (row,) = service.outbox(FAILED)
    token = login(web, "office")
    assert web.post(f"/outbox/{row.id}/retry", data={"csrf_token": token}).status_code == 200
    before = dump(database_url)
    again = web.post(f"/outbox/{row.id}/retry", data={"csrf_token": token})
    assert again.status_code == 400
    assert "nur fehlgeschlagene mit Adresse werden erneut versandt" in again.text
    missing = web.post("/outbox/999/retry", data={"csrf_token": token})
    assert missing.status_code == 404
    assert "keine Nachricht mit der Nummer 999" in missing.text
    assert dump(database_url) == before
