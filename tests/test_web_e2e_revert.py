"""The office withdraws a centre's latest stage change in a real browser (the system's
headless Chromium): the reason required, what will happen, then the revert."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.test_web_a11y import AXE_URL, _serve_axe, violations
from tests.test_web_e2e import Site, browser, page, sign_in, site

pytestmark = pytest.mark.browser
__all__ = ["browser", "page", "site"]  # the fixtures, shared


def test_the_office_reverts_a_pause_after_confirming(page: Page, site: Site) -> None:
    puste = site.centres["puste"]  # admitted with sessions planned
    site.service.lifecycle.advance(puste, "pause", reason="Umbau")
    page.route(f"**{AXE_URL}", _serve_axe)
    sign_in(page, "office")
    page.goto(f"/centres/{puste}")
    form = page.locator(f"form[action='/centres/{puste}/revert']")
    expect(page.get_by_role("heading", name="Letzten Stufenwechsel zurücknehmen")).to_be_visible()
    form.get_by_label("Begründung der Rücknahme").fill("  ")
    form.get_by_role("button", name="Letzten Stufenwechsel zurücknehmen").click()
    expect(form.locator(".field-error")).to_contain_text("darf nicht leer sein")
    assert violations(page) == []

    form.get_by_label("Begründung der Rücknahme").fill("Umbau verschoben")
    form.get_by_role("button", name="Letzten Stufenwechsel zurücknehmen").click()
    expect(page.get_by_role("heading", name="Stufenwechsel zurücknehmen")).to_be_visible()
    expect(
        page.get_by_text("Kita Pusteblume (Jena) kehrt zurück in die Stufe Basisbegleitung.")
    ).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^\d+ Begleittermine? ab .* neu geplant\.$"))
    ).to_be_visible()
    assert violations(page) == []
    assert site.service.lifecycle.history(puste)[-1].trigger == "pause"  # nothing changed yet
    assert site.service.reverts.reverted(puste) == set()
    page.get_by_role("button", name="Rücknahme bestätigen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Stufenwechsel zurückgenommen: wieder Basisbegleitung."
    )
    expect(page.get_by_text("(zurückgenommen)")).to_be_visible()
    centre, _ = site.service.registry.centre(puste)
    assert centre.stage == "basisbegleitung"
