"""Accessibility (WCAG 2.1 AA) in a real browser: axe-core on every page, keyboard-only use.

The pages are found, not listed: for each role (and signed out) the test follows every
link of the pages it reaches, from the start page, and keeps one address per route of the
app (``pages.routes()``). So a new page is checked as soon as a page links to it, and
``test_every_page_is_reached`` fails while one is not (give the data below what shows it).

axe-core (tests/assets/axe.min.js, MPL-2.0, its licence beside it) runs at a desktop's and
a phone's width, with the rules of WCAG 2.0/2.1 A and AA. The pages' Content-Security-
Policy forbids inline scripts, so axe is not injected as an inline <script>: the browser
context answers a same-origin address (``AXE_URL``) with the vendored file, which the page
then loads like its own site.js. The app's policy is neither changed nor bypassed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests import test_web_e2e as e2e
from tests.conftest import BERLIN, TODAY
from tests.databases import SQLITE, Databases
from tests.web_helpers import PASSWORD, USERS
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.model import ActivityFilter, CentreInput, Workflow
from thekiz_flow.demo.crawl import Found, crawl, page_routes
from thekiz_flow.service import Service
from thekiz_flow.workflow.paths import SHIPPED_TEMPLATES

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "assets" / "axe.min.js"
AXE_URL = "/__axe__/axe.min.js"  # answered by the test's browser context, never by the app
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
ROLES = ("office", "coach", "ministry", None)  # None: signed out
# Routes that answer calendar apps, not people: no page links to them.
NOT_PAGES = {"/feeds/{token}.ics", "/privacy/show"}  # a file; a form's redirect
UNKNOWN = "/gibt-es-nicht"  # the page of an unknown address
SEPTEMBER = date(2026, 9, 10)

browser = e2e.browser


@pytest.fixture(scope="module")
def site(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, workflow: Workflow
) -> Iterator[e2e.Site]:
    """The e2e site on SQLite alone. What axe and the keyboard check is the HTML and the
    styles, which no database changes; the crawl (every page, four roles, two widths) is
    the slowest of the browser tests, and the tasks themselves (recording a session too)
    run on both backends in the e2e modules."""
    folder = tmp_path_factory.mktemp("a11y")
    with e2e.serving(databases, SQLITE, folder, workflow) as served_site:
        own = folder / "mail-templates"  # an override of the office's: its reset page is linked
        own.mkdir()
        for part in ("txt", "html"):
            packaged = SHIPPED_TEMPLATES / "mail" / f"eligible.{part}.j2"
            (own / packaged.name).write_text(packaged.read_text(encoding="utf-8"), encoding="utf-8")
        yield served_site


def new_context(browser: Browser, base_url: str, width: str = "desktop") -> BrowserContext:
    w, h = WIDTHS[width]
    context = browser.new_context(
        base_url=base_url, locale="de-DE", viewport={"width": w, "height": h}
    )
    context.set_default_timeout(10_000)
    context.route(f"**{AXE_URL}", _serve_axe)
    return context


def _serve_axe(route: Route) -> None:
    route.fulfill(path=AXE, content_type="text/javascript; charset=utf-8")


def sign_in(page: Page, role: str | None) -> None:
    if role is None:
        return
    e2e.sign_in(page, role)
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def violations(page: Page) -> list[dict[str, Any]]:
    """axe's WCAG 2.1 AA violations of the page as shown, with every <details> opened."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    if not page.evaluate("'axe' in window"):
        page.add_script_tag(url=AXE_URL)
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    found: list[dict[str, Any]] = page.evaluate(
        "options => axe.run(document, options).then(result => result.violations)", options
    )
    return found


def describe(address: str, width: str, found: list[dict[str, Any]]) -> list[str]:
    lines = []
    for violation in found:
        targets = [" ".join(node["target"]) for node in violation["nodes"]][:3]
        lines.append(
            f"{address} ({width}): {violation['id']} [{violation['impact']}] "
            f"{violation['help']}: {', '.join(targets)}"
        )
    return lines


@pytest.fixture(scope="module")
def data(site: e2e.Site) -> e2e.Site:
    """The e2e data and what makes the remaining pages show something: a training with
    an enrolment, a centre known since the year before last (a finished year's digest to
    send, and one sent whose changes since are shown), a held session (corrected) and a
    held visit."""
    service = site.service
    earlier = CentreInput("Familienzentrum Altstadt", "Gotha", "a@example.org")
    sent = service.runtime.today().year - 2
    service.registry.add_centre(earlier, date(sent, 5, 4))
    assert service.digest.send(sent, service.digest.write(sent))
    training = service.trainings.add(
        "reflexion", "Reflexion", SEPTEMBER.isoformat(), "Erfurt", "12"
    )
    service.trainings.enrol(training, site.centres["puste"])
    held_on(service, site.centres["puste"])
    return site


def held_on(service: Service, centre: int) -> None:
    """A held session (corrected) and a held visit of ``centre``: the forms correcting and
    cancelling them, the centre's audit trail. A centre of Jonas's admitted with it has
    its visit still planned (the visits' list and its downloads)."""
    held = service.sessions.record(f"E{centre}", date(2026, 5, 6), "2")  # March stays first
    service.sessions.record_visit(centre, date(2026, 6, 10), "Rundgang")
    service.corrections.correct_session(held.id, "falsch abgelesen", hours="1,5")
    clock = service.runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.set(noon(e2e.ADMITTED, BERLIN))
    other = service.registry.add_centre(
        CentreInput("Kita Sonnenschein", "Jena", "s@example.org", coach="2"), e2e.ADMITTED
    )
    service.lifecycle.advance(other, "admit", on=e2e.ADMITTED)
    clock.set(noon(TODAY, BERLIN))


@pytest.fixture(scope="module")
def found(browser: Browser, data: e2e.Site) -> dict[str | None, Found]:
    """For each role, the pages it reaches by following links."""
    result = {}
    for role in ROLES:
        context = new_context(browser, data.url)
        try:
            page = context.new_page()
            sign_in(page, role)
            page.close()
            result[role] = crawl(context)
        finally:
            context.close()
    return result


def test_every_page_is_reached(found: dict[str | None, Found]) -> None:
    """Each route answers someone following the links: a page (checked below) or a file."""
    reached = {route for one in found.values() for route in (*one.pages, *one.files)}
    missing = {route.path for route in page_routes()} - reached - NOT_PAGES
    assert not missing, (
        f"no link leads to {sorted(missing)}: give the test data what shows them, or list "
        "a route that is no page in NOT_PAGES"
    )
    broken = {role: one.broken for role, one in found.items() if one.broken}
    assert not broken, f"links to pages that do not answer: {broken}"
    assert set(found[None].pages) == {"/login"}
    assert {"/", "/centres/{centre_id:id}", "/users/{user_id:id}"} <= set(found["office"].pages)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "signed-out")
def test_no_page_violates_wcag(
    browser: Browser, data: e2e.Site, found: dict[str | None, Found], role: str | None, width: str
) -> None:
    context = new_context(browser, data.url, width)
    try:
        page = context.new_page()
        sign_in(page, role)
        addresses = [*found[role].pages.values(), UNKNOWN]
        problems = []
        for address in addresses:
            page.goto(address)
            problems += describe(address, width, violations(page))
        if role is None:  # the login page with a refusal beside its fields
            e2e.sign_in(page, "office", "falsch")
            expect(page.get_by_role("alert")).to_be_visible()
            problems += describe("/login (abgelehnt)", width, violations(page))
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_axe_finds_what_it_should(browser: Browser, data: e2e.Site) -> None:
    """The check can fail: a field without a label on a page of the app is reported."""
    context = new_context(browser, data.url)
    try:
        page = context.new_page()
        page.goto("/login")
        page.evaluate("document.querySelector('main').append(document.createElement('input'))")
        assert "label" in {violation["id"] for violation in violations(page)}
    finally:
        context.close()


@pytest.fixture
def keyboard_page(browser: Browser, data: e2e.Site) -> Iterator[Page]:
    context = new_context(browser, data.url)
    yield context.new_page()
    context.close()


FOCUS_SHOWN = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""


def press(page: Page, key: str) -> None:
    """Press ``key``; what then has the focus shows it."""
    page.keyboard.press(key)
    shown = page.evaluate(FOCUS_SHOWN)
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
    assert shown is not False, f"focus not visible after {key}: {focused}"


def tab_to(page: Page, name: str | re.Pattern[str], limit: int = 80) -> None:
    """Tab until the focused element's accessible text matches ``name``."""
    for _ in range(limit):
        press(page, "Tab")
        text = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.labels && e.labels[0] ? e.labels[0].innerText : e.innerText) || ''; }"
        )
        if name.search(text) if isinstance(name, re.Pattern) else text.strip() == name:
            return
    raise AssertionError(f"{name!r} not reached with Tab")


def test_a_coach_records_a_session_with_the_keyboard_alone(
    keyboard_page: Page, data: e2e.Site
) -> None:
    """Sign in, skip to the content, open the sessions and record one: Tab, Enter, Space
    and typing only; whatever has the focus shows it."""
    page, centre = keyboard_page, data.centres["puste"]
    session = min(e2e.planned(data.service, centre), key=lambda s: s.date)
    page.goto("/login")
    tab_to(page, re.compile("^E-Mail-Adresse"))
    page.keyboard.type(USERS["coach"])
    tab_to(page, re.compile("^Passwort"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()

    press(page, "Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.keyboard.press("Shift+Tab")  # back into the header, to its navigation
    tab_to(page, "Begleittermine")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Begleittermine \(\d+\)$")
    )
    tab_to(page, "erfassen")
    page.keyboard.press("Space")
    tab_to(page, re.compile("^Stunden"))
    page.keyboard.type("1,5")
    tab_to(page, re.compile("^Notiz"))
    page.keyboard.type("nur mit der Tastatur")
    tab_to(page, "als gehalten erfassen")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        f"Termin {session.id} bei Kita Pusteblume (Jena) "
        f"gehalten am {session.date:%d.%m.%Y}: 1,5 Std."
    )
    (held,) = [
        a
        for a in data.service.overview.activities(
            ActivityFilter(centre_id=centre, status=ActivityStatus.HELD)
        )
        if a.id == session.id
    ]
    assert (held.id, held.hours, held.note) == (session.id, Decimal("1.5"), "nur mit der Tastatur")


def test_a_table_s_sums_on_a_phone_name_their_columns(browser: Browser, data: e2e.Site) -> None:
    """On a phone a row is a card whose cells name their columns: the footer's sums too,
    while the cell spanning columns ("Insgesamt im Landkreis") names the row itself."""
    context = new_context(browser, data.url, "phone")
    page = context.new_page()
    try:
        e2e.sign_in(page, "office")
        year = data.service.runtime.today().year
        page.goto(f"/districts?year={year}&district=Jena")
        footer = page.locator("#einrichtungen + .table tfoot tr")
        labels = footer.locator("th").evaluate_all("cells => cells.map(c => c.dataset.label)")
        assert labels == [None, "Termine", "Stunden", "Kosten", "Budget anteilig", "Rest"]
        phone = WIDTHS["phone"][0]
        for cell in footer.locator("th").all():  # each within the phone's width, none cut off
            box = cell.bounding_box()
            assert box is not None
            assert 0 <= box["x"] <= box["x"] + box["width"] <= phone
    finally:
        context.close()
