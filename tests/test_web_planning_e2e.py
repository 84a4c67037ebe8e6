"""The planning tasks in a real browser: closure days, a session on request, a session
never planned, moving and cancelling a site visit, the calendar (tests/test_web_e2e.py
serves the pages: the same fixtures, a site of this module's own)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests import test_web_e2e as e2e
from tests.conftest import TODAY
from tests.test_web_e2e import Site, sign_in
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, ActivityFilter

pytestmark = pytest.mark.browser

site = e2e.site
browser = e2e.browser
page = e2e.page
PHONE: ViewportSize = {"width": 390, "height": 844}
REQUESTED = date(2026, 7, 7)  # a Tuesday


def activities(site: Site, centre: int, kind: ActivityKind) -> list[Activity]:
    return site.service.overview.activities(ActivityFilter(centre_id=centre, kind=kind))


def consulting(site: Site) -> int:
    """Jonas's Kita Löwenzahn as a Konsultationseinrichtung (forced: no years to wait)."""
    centre = site.centres["loewe"]
    lifecycle = site.service.lifecycle
    for stage, trigger in (
        ("interessent", "admit"),
        ("basisbegleitung", "deepen"),
        ("vertiefungsbegleitung", "consult"),
    ):
        if site.service.registry.centre(centre)[0].stage == stage:
            lifecycle.advance(centre, trigger, on=TODAY, reason="Test", force=True)
    return centre


def test_the_office_sets_closure_days(page: Page, site: Site) -> None:
    centre = site.centres["puste"]
    session = min(
        (
            s
            for s in activities(site, centre, ActivityKind.COACHING)
            if s.status == ActivityStatus.PLANNED and s.date > TODAY
        ),
        key=lambda s: s.date,
    )
    sign_in(page, "office")
    page.goto(f"/centres/{centre}")
    expect(page.get_by_role("heading", name="Schließtage (0)")).to_be_visible()
    page.locator("summary", has_text="Schließtage eintragen").click()
    form = page.locator(f"form[action='/centres/{centre}/closures']")
    form.get_by_label("Erster Schließtag").fill(session.date.isoformat())
    form.get_by_label("Letzter Schließtag").fill(session.date.isoformat())
    form.get_by_label("Anlass").fill("Umzug")
    form.get_by_role("button", name="Schließtage eintragen").click()
    day = f"{session.date:%d.%m.%Y}"
    expect(page.get_by_role("status")).to_have_text(
        f"Schließtage {day} eingetragen. 1 Begleittermin verschoben."
    )
    expect(page.get_by_role("heading", name="Schließtage (1)")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Umzug"))).to_contain_text(day)
    (moved,) = [s for s in activities(site, centre, ActivityKind.COACHING) if s.id == session.id]
    assert moved.date != session.date


def test_the_office_requests_a_session_for_a_konsultationseinrichtung(
    page: Page, site: Site
) -> None:
    centre = consulting(site)
    sign_in(page, "office")
    page.get_by_role("link", name="Begleittermine").click()
    page.get_by_role("link", name="Termin auf Anfrage planen").click()
    page.get_by_label("Einrichtung suchen").fill("löwen")
    page.get_by_role("button", name="Einrichtung suchen").click()
    form = page.locator("form[method='post'][action='/sessions/request']")
    expect(form.get_by_label("Kita Löwenzahn (Jena)")).to_be_checked()  # the one found
    form.get_by_label("Tag").fill("2026-07-04")  # a Saturday
    form.get_by_label("Stunden").fill("2")
    form.get_by_role("button", name="Termin planen").click()
    expect(page.locator("#date-error")).to_have_text(
        "Datum: 04.07.2026 ist kein Arbeitstag (Samstag)"
    )
    form = page.locator("form[method='post'][action='/sessions/request']")
    expect(form.get_by_label("Stunden")).to_have_value("2")
    expect(form.get_by_label("Kita Löwenzahn (Jena)")).to_be_checked()
    form.get_by_label("Tag").fill(REQUESTED.isoformat())
    form.get_by_role("button", name="Termin planen").click()
    (requested,) = [
        s for s in activities(site, centre, ActivityKind.COACHING) if s.date == REQUESTED
    ]
    expect(page.get_by_role("status")).to_have_text(
        f"Termin {requested.id} bei Kita Löwenzahn (Jena) auf Anfrage geplant am 07.07.2026."
    )
    assert (requested.status, requested.hours, requested.coach_id) == (
        ActivityStatus.PLANNED,
        Decimal(2),
        2,
    )


def test_a_coach_records_a_session_never_planned_on_a_phone(page: Page, site: Site) -> None:
    centre = site.centres["puste"]
    page.set_viewport_size(PHONE)
    sign_in(page, "coach")
    page.get_by_role("link", name="Begleittermine").click()
    summary = page.get_by_text("erfassen", exact=True).first
    expect(summary).to_be_visible()
    box = summary.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]  # the actions are on the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="Nicht geplanten Termin erfassen").click()
    form = page.locator("form[method='post'][action='/sessions/unplanned']")
    form.get_by_label("Kita Pusteblume (Jena)").check()  # the coach's own, without a search
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    form.get_by_label("Tag").fill("2026-06-11")
    form.get_by_label("Stunden").fill("1,5")
    form.get_by_label("Notiz").fill("Telefonat mit der Leitung")
    form.get_by_role("button", name="als gehalten erfassen").click()
    expect(page.get_by_role("status")).to_contain_text(
        "bei Kita Pusteblume (Jena) gehalten am 11.06.2026: 1,5 Std."
    )
    (held,) = [
        s
        for s in activities(site, centre, ActivityKind.COACHING)
        if s.note == "Telefonat mit der Leitung"
    ]
    assert (held.status, held.date, held.coach_id) == (ActivityStatus.HELD, date(2026, 6, 11), 1)


def test_the_office_moves_and_cancels_a_site_visit(page: Page, site: Site) -> None:
    centre = site.centres["puste"]
    (visit,) = activities(site, centre, ActivityKind.SITE_VISIT)
    sign_in(page, "office")
    page.get_by_role("link", name="Besuche").first.click()
    row = page.locator("tr").filter(has=page.get_by_role("link", name="Kita Pusteblume"))
    row.get_by_text("verschieben", exact=True).click()
    row.get_by_label("Neuer Tag").fill("2026-07-08")
    row.get_by_label("Grund").first.fill("Leitung im Urlaub")
    row.get_by_role("button", name="Besuch verschieben").click()
    expect(page.get_by_role("status")).to_have_text(
        "Einrichtungsbesuch bei Kita Pusteblume (Jena) verschoben auf 08.07.2026."
    )
    row.get_by_text("absagen", exact=True).click()
    form = row.locator(f"form[action='/visits/{visit.id}/cancel']")
    form.get_by_label("Grund").fill("kein Bedarf")
    confirm = form.get_by_label(
        re.compile(r"Ja, den Besuch bei Kita Pusteblume \(Jena\) am 08\.07\.2026 absagen")
    )
    form.get_by_role("button", name="Besuch absagen").click()
    expect(page.get_by_role("status")).to_have_count(1)  # not sent: the box is not ticked
    (still,) = activities(site, centre, ActivityKind.SITE_VISIT)
    assert still.status == ActivityStatus.PLANNED
    confirm.check()
    form.get_by_role("button", name="Besuch absagen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Einrichtungsbesuch bei Kita Pusteblume (Jena) am 08.07.2026 abgesagt."
    )
    expect(row).to_have_count(0)
    (cancelled,) = activities(site, centre, ActivityKind.SITE_VISIT)
    assert (cancelled.status, cancelled.date, cancelled.reason) == (
        ActivityStatus.CANCELLED,
        date(2026, 7, 8),
        "kein Bedarf",
    )


def test_the_calendar_filtered_by_coach(page: Page, site: Site) -> None:
    theirs = consulting(site)
    if not [s for s in activities(site, theirs, ActivityKind.COACHING) if s.date == REQUESTED]:
        site.service.sessions.request(theirs, REQUESTED)
    mine = site.centres["puste"]
    sign_in(page, "office")
    page.get_by_role("link", name="Terminkalender").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Terminkalender Juni 2026")
    page.get_by_role("link", name="Juli 2026").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Terminkalender Juli 2026")
    calendar = page.locator(".calendar")
    expect(calendar.locator(f"a[href='/centres/{theirs}']")).not_to_have_count(0)
    expect(calendar.locator(f"a[href='/centres/{mine}']")).not_to_have_count(0)
    page.locator("select[name='coach']").select_option(label="Lena Sommer")
    page.get_by_role("button", name="anzeigen").click()
    expect(page).to_have_url(re.compile(r"month=2026-07&(coach_search=&)?coach=1"))
    expect(calendar.locator(f"a[href='/centres/{theirs}']")).to_have_count(0)
    entry = calendar.locator(f"a[href='/centres/{mine}']").first
    expect(entry).to_contain_text("Kita Pusteblume")
    entry.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kita Pusteblume")
    page.go_back()
    page.set_viewport_size(PHONE)  # a list of the days with entries, no sideways scrolling
    expect(calendar.locator("li.day.empty").first).to_be_hidden()
    expect(entry).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
