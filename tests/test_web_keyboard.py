"""The office's tasks with the keyboard alone (WCAG 2.1.1, 2.1.2, 2.4.7): Tab, Enter,
Space, the arrow keys and typing; no test here clicks or fills a field.

Each step tabs to the element it needs (``tab_to``): an element Tab never reaches (out of
the tab order, or behind a keyboard trap) fails the test with what had the focus instead.
Each test also checks that the focused element shows its focus (an outline or a shadow).

SQLite alone: what the keyboard reaches and how the focus looks is the HTML, the styles and
site.js, which no database changes; the tasks themselves run on both backends in the e2e
modules. One browser for the module, a fresh context (cookies) per test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests import test_web_e2e as e2e
from tests.conftest import TODAY
from tests.databases import SQLITE, Databases
from tests.test_web_a11y import FOCUS_SHOWN, new_context
from tests.test_web_outbox import mails
from tests.web_helpers import PASSWORD, USERS
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus
from thekiz_flow.core.model import ActivityFilter, Workflow

pytestmark = pytest.mark.browser

browser = e2e.browser
TABS = 80  # more Tabs than any page of these tasks needs to reach an element


@pytest.fixture(scope="module")
def site(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, workflow: Workflow
) -> Iterator[e2e.Site]:
    with e2e.serving(databases, SQLITE, tmp_path_factory.mktemp("keyboard"), workflow) as s:
        yield s


@pytest.fixture
def page(browser: Browser, site: e2e.Site) -> Iterator[Page]:
    context = new_context(browser, site.url)
    yield context.new_page()
    context.close()


def _focused(page: Page) -> str:
    found: str = page.evaluate(
        "() => document.activeElement ? document.activeElement.outerHTML.slice(0, 160) : ''"
    )
    return found


def tab_to(page: Page, target: Locator, limit: int = TABS) -> None:
    """Press Tab until ``target`` has the focus; fail if it never does: an element out of
    the tab order or a keyboard trap on the way."""
    expect(target).to_be_attached()
    key = "Tab"
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("element => element === document.activeElement"):
            return
        seen.append(_focused(page))
    last = "\n  ".join(seen[-3:])
    raise AssertionError(
        f"{target} not reached after {limit} presses of {key} (unreachable or a keyboard trap); "
        f"the focus was last on:\n  {last}"
    )


def assert_focus_shown(page: Page) -> None:
    """The focused element shows it: an outline or a shadow, not ``none``."""
    assert page.evaluate(FOCUS_SHOWN) is True, f"focus not visible on {_focused(page)}"


def sign_in(page: Page, role: str) -> None:
    page.goto("/login")
    tab_to(page, page.get_by_label("E-Mail-Adresse"))
    page.keyboard.type(USERS[role])
    tab_to(page, page.get_by_label("Passwort"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def follow(page: Page, link: Locator) -> None:
    """Tab to ``link``, show its focus, open it with Enter."""
    tab_to(page, link)
    assert_focus_shown(page)
    page.keyboard.press("Enter")


def test_the_office_advances_a_centre_after_the_confirmation(page: Page, site: e2e.Site) -> None:
    centre = site.centres["loewe"]
    sign_in(page, "office")
    page.goto(f"/centres/{centre}")
    form = page.locator(f"form[action='/centres/{centre}/advance']")
    step = form.get_by_label("Schritt")
    tab_to(page, step)
    assert_focus_shown(page)
    options: list[str] = step.evaluate("s => [...s.options].map(o => o.value)")
    for _ in options:  # to the first option, then down to the step wanted
        page.keyboard.press("ArrowUp")
    assert step.input_value() == options[0]
    for _ in options:
        if step.input_value() == "admit":
            break
        page.keyboard.press("ArrowDown")
    expect(step).to_have_value("admit")
    tab_to(page, form.get_by_label("Begründung (nur intern)", exact=True))
    page.keyboard.type("Vertrag per Tastatur")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Stufenwechsel bestätigen")
    confirm = page.get_by_role("button", name="Stufenwechsel bestätigen")
    tab_to(page, confirm)
    assert_focus_shown(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"^Stufenwechsel: Interessent → Basisbegleitung ab ")
    )
    (change,) = site.service.lifecycle.history(centre)
    assert (change.trigger, change.reason) == ("admit", "Vertrag per Tastatur")


def test_the_office_adds_a_coach(page: Page, site: e2e.Site) -> None:
    sign_in(page, "office")
    follow(page, page.locator("header nav").get_by_role("link", name="Prozessbegleitungen"))
    follow(page, page.get_by_role("link", name="Neue Prozessbegleitung anlegen"))
    tab_to(page, page.get_by_label("Vor- und Nachname"))
    page.keyboard.type("Mia Tastatur")
    tab_to(page, page.get_by_label("E-Mail"))
    page.keyboard.type("mia@example.org")
    tab_to(page, page.get_by_label(re.compile("^Honorar je Stunde")))
    page.keyboard.type("62,50")
    anlegen = page.get_by_role("button", name="Anlegen")
    tab_to(page, anlegen)
    assert_focus_shown(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Prozessbegleitung Mia Tastatur angelegt.")
    assert "Mia Tastatur" in {coach.name for coach in site.service.registry.coaches()}


def same_day_and_month(after: date) -> date:
    """The first day after ``after`` whose day and month are one number (07.07.): typed
    into a date field, its digits are the same day in the order of any locale."""
    day = after + timedelta(days=1)
    while day.day != day.month:
        day += timedelta(days=1)
    return day


def test_the_office_moves_a_site_visit(page: Page, site: e2e.Site) -> None:
    visit = min(
        site.service.overview.activities(
            ActivityFilter(kind=ActivityKind.SITE_VISIT, status=ActivityStatus.PLANNED)
        ),
        key=lambda v: v.date,
    )
    day = same_day_and_month(max(visit.date, TODAY))
    sign_in(page, "office")
    page.goto("/visits")
    row = page.locator("tr").filter(has=page.locator("td:first-child", has_text=f"{visit.id}"))
    details = row.locator("details").filter(has=page.locator("summary", has_text="verschieben"))
    tab_to(page, details.locator("summary"))
    assert_focus_shown(page)
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    page.keyboard.press("Space")  # Space closes it again, and opens it
    expect(details).not_to_have_attribute("open", "")
    page.keyboard.press("Space")
    expect(details).to_have_attribute("open", "")
    tab_to(page, details.get_by_label("Neuer Tag"))
    assert_focus_shown(page)
    page.keyboard.type(f"{day:%d%m%Y}")
    expect(details.get_by_label("Neuer Tag")).to_have_value(day.isoformat())
    tab_to(page, details.get_by_label("Grund"))
    page.keyboard.type("per Tastatur")
    tab_to(page, details.get_by_role("button", name="Besuch verschieben"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"verschoben auf {day:%d.%m.%Y}")
    (moved,) = [
        a
        for a in site.service.overview.activities(ActivityFilter(kind=ActivityKind.SITE_VISIT))
        if a.id == visit.id
    ]
    assert moved.date == day


def test_the_office_retries_a_failed_mail(page: Page, site: e2e.Site) -> None:
    mails(site.service, 1, OutboxStatus.FAILED)
    (failed,) = site.service.outbox.rows(OutboxStatus.FAILED)
    sign_in(page, "office")
    follow(page, page.locator("header nav").get_by_role("link", name="Postausgang"))
    status = page.get_by_label("Stand")
    tab_to(page, status)
    for _ in range(len(status.evaluate("s => [...s.options]"))):
        if status.input_value() == "failed":
            break
        page.keyboard.press("ArrowDown")
    expect(status).to_have_value("failed")
    follow(page, page.get_by_role("button", name="Anzeigen"))  # Enter on a <select> submits nothing
    expect(page).to_have_url(re.compile(r"status=failed"))
    row = page.locator("tr").filter(has=page.locator("td:first-child", has_text=f"{failed.id}"))
    retry = row.get_by_role("button", name="erneut senden")
    tab_to(page, retry)
    assert_focus_shown(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Nachricht {failed.id} an ")
    assert {r.id: r.status for r in site.service.outbox.rows()}[failed.id] == (OutboxStatus.PENDING)


def test_the_office_previews_the_reminders(page: Page) -> None:
    sign_in(page, "office")
    follow(page, page.locator("header nav").get_by_role("link", name="Postausgang"))
    follow(page, page.get_by_role("link", name="Erinnerungsvorschau"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Erinnerungsvorschau")
    days = page.get_by_label("Tage voraus")
    tab_to(page, days)
    assert_focus_shown(page)
    page.keyboard.press("Control+A")
    page.keyboard.type("30")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        re.compile(r"^Die nächsten 30 Tage \(\d+\)$")
    )
    tab_to(page, page.get_by_role("link", name="Zum Postausgang"))
    assert_focus_shown(page)


def test_an_unreachable_element_fails_the_walk(page: Page) -> None:
    """The check can fail: an element taken out of the tab order is reported."""
    sign_in(page, "office")
    page.goto("/coaches/new")
    anlegen = page.get_by_role("button", name="Anlegen")
    anlegen.evaluate("button => { button.tabIndex = -1; }")
    with pytest.raises(AssertionError, match="not reached after 20 presses of Tab"):
        tab_to(page, anlegen, limit=20)


def test_a_focus_without_a_style_fails(page: Page) -> None:
    """The check can fail: a focused field whose outline is taken away is reported."""
    page.goto("/login")
    field = page.get_by_label("E-Mail-Adresse")
    tab_to(page, field)
    assert_focus_shown(page)
    field.evaluate("input => input.style.setProperty('outline', 'none', 'important')")
    with pytest.raises(AssertionError, match="focus not visible"):
        assert_focus_shown(page)


def test_the_office_cancels_a_site_visit(page: Page, site: e2e.Site) -> None:
    visit = min(
        site.service.overview.activities(
            ActivityFilter(kind=ActivityKind.SITE_VISIT, status=ActivityStatus.PLANNED)
        ),
        key=lambda v: v.date,
    )
    sign_in(page, "office")
    page.goto("/visits")
    row = page.locator("tr").filter(has=page.locator("td:first-child", has_text=f"{visit.id}"))
    details = row.locator("details").filter(has=page.locator("summary", has_text="absagen"))
    tab_to(page, details.locator("summary"))
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    tab_to(page, details.get_by_label("Grund"))
    page.keyboard.type("Kita geschlossen")
    confirm = details.get_by_role("checkbox")
    tab_to(page, confirm)
    assert_focus_shown(page)
    page.keyboard.press("Space")
    expect(confirm).to_be_checked()
    tab_to(page, details.get_by_role("button", name="Besuch absagen"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("abgesagt.")
    cancelled = site.service.overview.activities(
        ActivityFilter(kind=ActivityKind.SITE_VISIT, status=ActivityStatus.CANCELLED)
    )
    assert visit.id in {a.id for a in cancelled}


def test_the_office_sets_closure_days(page: Page, site: e2e.Site) -> None:
    day = same_day_and_month(TODAY)
    sign_in(page, "office")
    page.goto(f"/centres/{site.centres['puste']}")
    tab_to(page, page.locator("summary", has_text="Schließtage eintragen"), limit=TABS * 2)
    page.keyboard.press("Enter")
    first = page.get_by_label("Erster Schließtag")
    tab_to(page, first)
    assert_focus_shown(page)
    page.keyboard.type(f"{day:%d%m%Y}")
    tab_to(page, page.get_by_label("Letzter Schließtag"))
    page.keyboard.type(f"{day:%d%m%Y}")
    tab_to(page, page.get_by_label("Anlass"))
    page.keyboard.type("Betriebsausflug")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"{day:%d.%m.%Y}")
    expect(page.get_by_text("Betriebsausflug").first).to_be_visible()


def test_the_office_resets_a_user_s_password(page: Page) -> None:
    sign_in(page, "office")
    follow(page, page.locator("header nav").get_by_role("link", name="Zugänge"))
    follow(page, page.get_by_role("link", name=USERS["coach"]))
    new = page.get_by_label("Neues Passwort", exact=True)
    tab_to(page, new)
    assert_focus_shown(page)
    page.keyboard.type("ein-neues-Passwort-42")
    tab_to(page, page.get_by_label("Neues Passwort wiederholen"))
    page.keyboard.type("ein-neues-Passwort-42")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(USERS["coach"])


def test_the_office_reads_a_sent_mail(page: Page, site: e2e.Site) -> None:
    mails(site.service, 1)
    sent = max(site.service.outbox.rows(OutboxStatus.SENT), key=lambda r: r.id)
    sign_in(page, "office")
    follow(page, page.locator("header nav").get_by_role("link", name="Postausgang"))
    follow(page, page.get_by_role("link", name=sent.subject, exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Nachricht {sent.id}")


def test_the_office_exports_the_centre_list(page: Page) -> None:
    sign_in(page, "office")
    follow(page, page.locator("header nav").get_by_role("link", name="Einrichtungen"))
    link = page.get_by_role("link", name="CSV für Excel")
    tab_to(page, link)
    assert_focus_shown(page)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
