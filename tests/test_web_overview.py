"""The overview page per role (sending a failed mail again: test_web_outbox.py)."""

from __future__ import annotations

from collections.abc import Sized
from datetime import date, timedelta
from typing import cast

from starlette.testclient import TestClient

from tests.web_helpers import login
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.model import CentreInput, Workflow
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.service import Service
from thekiz_flow.web.pages.overview import stage_table

ON = date(2024, 1, 8)


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


def test_a_coach_reads_the_overview_but_may_not_retry(web: TestClient, service: Service) -> None:
    programme(service)
    login(web, "coach")
    page = web.get("/")
    assert page.status_code == 200
    assert "Fehlgeschlagene E-Mails (1)" in page.text
    assert "erneut senden" not in page.text
