"""The office's tasks of the catalogue, the stage changes and the outbox in a real browser
(the system's headless Chromium): the fixtures of tests/test_web_e2e.py over a fresh site."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.test_web_e2e import Site, browser, page, sign_in, site
from thekiz_flow.core.enums import ActivityStatus, OutboxStatus, Recipient
from thekiz_flow.core.outbox import NewMail

pytestmark = pytest.mark.browser
__all__ = ["browser", "page", "site"]  # the fixtures, shared


def test_the_office_adds_a_training_and_enrols_a_centre(page: Page, site: Site) -> None:
    sign_in(page, "office")
    page.get_by_role("link", name="Fortbildungen").first.click()
    form = page.locator("form[action='/trainings/new']")  # below the catalogue's filters
    form.get_by_label("Art").select_option(label="Reflexionsfortbildung")
    form.get_by_label("Titel").fill("Reflexion im Herbst")
    form.get_by_label("Datum", exact=True).fill("2026-10-01")
    form.get_by_label("Ort", exact=True).fill("Erfurt")
    form.get_by_label("Plätze", exact=True).fill("0")
    form.get_by_role("button", name="Fortbildung anlegen").click()
    expect(page.locator("#capacity-error")).to_contain_text("ganze Zahl von 1 bis 1000")
    expect(form.get_by_label("Titel")).to_have_value("Reflexion im Herbst")
    form.get_by_label("Plätze", exact=True).fill("12")
    form.get_by_role("button", name="Fortbildung anlegen").click()
    expect(page.get_by_role("status")).to_have_text("Fortbildung Reflexion im Herbst angelegt.")
    page.get_by_label("Einrichtung suchen (Name, Kreis oder E-Mail)").fill("Pusteblume")
    page.get_by_role("button", name="suchen").click()
    row = page.get_by_role("row", name=re.compile(r"Kita Pusteblume \(Jena\)"))
    row.get_by_role("button", name="anmelden").click()
    centre = site.centres["puste"]
    expect(page.get_by_role("status")).to_have_text("Kita Pusteblume (Jena) ist angemeldet.")
    ((training, taken, _),) = [
        t for t in site.service.trainings.find() if t[0].title == "Reflexion im Herbst"
    ]
    assert taken == 1
    _, enrolments = site.service.trainings.enrolments(training.id)
    assert [(e.centre_id, e.status) for e in enrolments] == [(centre, ActivityStatus.PLANNED)]


def test_a_stage_change_is_confirmed_and_a_refusal_shows_its_reason(page: Page, site: Site) -> None:
    sign_in(page, "office")
    haus = site.centres["haus"]  # no coach: not admitted
    page.goto(f"/centres/{haus}")
    form = page.locator(f"form[action='/centres/{haus}/advance']")
    form.get_by_label("Schritt").select_option("admit")
    form.get_by_label("Begründung (nur intern)", exact=True).fill("Vertrag da")
    form.get_by_role("button", name="Stufe ändern").click()
    expect(page.get_by_role("alert")).to_have_text(
        "„Aufnahme in die Basisbegleitung“ abgelehnt: keine Prozessbegleitung zugeordnet"
    )
    expect(form.get_by_label("Begründung (nur intern)", exact=True)).to_have_value("Vertrag da")
    assert site.service.lifecycle.history(haus) == []

    puste = site.centres["puste"]  # admitted with sessions planned
    page.goto(f"/centres/{puste}")
    form = page.locator(f"form[action='/centres/{puste}/advance']")
    form.get_by_label("Schritt").select_option("pause")
    form.get_by_label("Begründung (nur intern)", exact=True).fill("Umbau")
    form.get_by_role("button", name="Stufe ändern").click()
    expect(page.get_by_role("heading", name="Stufenwechsel bestätigen")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^\d+ Begleittermine? ab \d\d\.\d\d\.2026"))
    ).to_be_visible()
    expect(page.get_by_text("Die Einrichtung erhält eine E-Mail.")).to_be_visible()
    assert len(site.service.lifecycle.history(puste)) == 1  # nothing changed yet
    page.get_by_role("button", name="Stufenwechsel bestätigen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Stufenwechsel: Basisbegleitung → Pausiert ab 15.06.2026."
    )
    assert site.service.lifecycle.history(puste)[-1].reason == "Umbau"


def test_the_office_previews_the_reminders(page: Page, site: Site) -> None:
    expected = site.service.reminders.preview_page(30, 0, None)[0]
    assert expected
    sign_in(page, "office")
    page.get_by_role("link", name="Postausgang").first.click()
    page.get_by_role("link", name="Erinnerungsvorschau").click()
    expect(
        page.get_by_role("heading", name=f"Die nächsten 30 Tage ({len(expected)})")
    ).to_be_visible()
    _, to, subject = expected[0]
    expect(page.get_by_role("row", name=re.compile(re.escape(subject))).first).to_contain_text(to)
    page.get_by_label("Tage voraus").fill("0")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator("#days-error")).to_have_text("Tage: zwischen 1 und 366")


def _failed_mail(site: Site, key: str) -> None:
    now = site.service.runtime.clock.now()
    failed = NewMail(
        key,
        "test",
        Recipient.OFFICE,
        "fachstelle@example.org",
        f"Erinnerung {key}",
        "Text der Erinnerung",
        "",
        now,
        status=OutboxStatus.FAILED,
        problem="Postfach voll",
    )
    with site.service.runtime.unit() as repo:
        repo.outbox.add([failed], now)


def test_the_office_sends_now_and_reads_a_sent_mail(page: Page, site: Site) -> None:
    sign_in(page, "office")
    page.goto("/outbox")
    page.get_by_role("link", name="Jetzt senden").click()
    due = site.service.outbox.due()
    assert due > 0
    page.get_by_label(re.compile("jetzt senden")).check()
    page.get_by_role("button", name="Jetzt senden").click()
    expect(page.get_by_role("status")).to_contain_text(f"{due} versandt")
    sent = next(r for r in site.service.outbox.rows() if r.status == OutboxStatus.SENT)
    page.locator(f"a[href='/outbox/{sent.id}']").click()
    expect(page.get_by_role("heading", name=f"Nachricht {sent.id}")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^an"))).to_contain_text(sent.recipient)
    expect(page.locator("pre.mail")).to_contain_text("Guten Tag,")


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_the_office_retries_a_failed_mail(page: Page, site: Site, width: int, height: int) -> None:
    key = f"e2e-{width}"
    _failed_mail(site, key)
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "office")
    page.goto("/outbox?status=failed")
    row = page.get_by_role("row", name=re.compile(f"Erinnerung {key}"))
    row.scroll_into_view_if_needed()  # below the filters: the button must not be cut off
    button = row.get_by_role("button", name="erneut senden")
    expect(button).to_be_in_viewport()
    button.click()
    expect(page.get_by_role("status")).to_contain_text("wird erneut versandt.")
    (retried,) = [r for r in site.service.outbox.rows() if r.key == key]
    assert retried.status == OutboxStatus.PENDING
