"""The office corrects a held session and cancels a held visit as a mistake in a real
browser (the fixtures of tests/test_web_e2e.py over a fresh site, SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.test_web_e2e import Site, browser, page, sign_in, site
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import ActivityFilter

pytestmark = pytest.mark.browser
__all__ = ["browser", "page", "site"]  # the fixtures, shared


def test_the_office_corrects_a_session_and_voids_a_visit(page: Page, site: Site) -> None:
    service = site.service
    centre = site.centres["puste"]
    session = service.sessions.record(f"E{centre}", date(2026, 3, 4), "2", "Elternabend")
    service.sessions.record_visit(centre, date(2026, 6, 10), "Rundgang")
    sign_in(page, "office")
    page.goto(f"/centres/{centre}")
    page.get_by_role("link", name="korrigieren (Termin vom 04.03.2026)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Begleittermin korrigieren")
    page.get_by_label("Stunden").fill("0")
    page.get_by_label("Grund der Korrektur").fill("falsch abgelesen")
    page.get_by_role("button", name="Korrigieren").click()
    expect(page.locator("#hours-error")).to_contain_text("Stunden:")
    expect(page.get_by_label("Grund der Korrektur")).to_have_value("falsch abgelesen")
    page.get_by_label("Stunden").fill("1,5")
    page.get_by_role("button", name="Korrigieren").click()
    expect(page.get_by_role("status")).to_have_text(f"Termin {session.id} korrigiert.")
    expect(page.get_by_role("heading", name="Änderungen und Korrekturen (1)")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Stunden 2,0 → 1,5 \(Grund: falsch abgelesen\)"))
    ).to_be_visible()

    page.get_by_role("link", name="als Fehler stornieren (Termin vom 10.06.2026)").click()
    expect(
        page.get_by_text(
            re.compile(
                r"^Einrichtungsbesuch vom 10\.06\.2026 bei Kita Pusteblume \(Jena\) "
                "wird als Fehler storniert"
            )
        )
    ).to_be_visible()
    page.get_by_label("Grund", exact=True).fill("war bei einer anderen Kita")
    page.get_by_label(re.compile(r"Ja, Einrichtungsbesuch vom 10\.06\.2026")).check()
    page.get_by_role("button", name="Als Fehler stornieren").click()
    expect(page.get_by_role("status")).to_contain_text("als Fehler storniert.")
    expect(page.get_by_role("heading", name="Änderungen und Korrekturen (2)")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Einrichtungsbesuch vom 10\.06\. als Fehler storniert"))
    ).to_be_visible()

    activities = service.overview.activities(ActivityFilter(centre_id=centre))
    (corrected,) = [a for a in activities if a.id == session.id]
    assert corrected.hours == Decimal("1.5")
    visits = [a for a in activities if a.kind == ActivityKind.SITE_VISIT]
    assert [a.status for a in visits if a.note == "Rundgang"] == [ActivityStatus.CANCELLED]
