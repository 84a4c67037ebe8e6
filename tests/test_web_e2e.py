"""The web pages in a real browser: the system's headless Chromium, driven by Playwright.

The app runs under uvicorn on a free loopback port over a fresh database (SQLite and
PostgreSQL) with two coaches, three centres and one user per role; one browser serves the
whole module, each test signs in within a fresh browser context (its own cookies).
Without /usr/bin/chromium these tests fail: ``make test`` installs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import BACKENDS, BERLIN, TODAY, file_mail
from tests.databases import POSTGRESQL, SQLITE, Databases
from tests.web_helpers import CHEAP_HASHER, PASSWORD, SECRET_KEY, USERS, add_users
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput, Workflow
from thekiz_flow.demo.browser import launch_chromium, served
from thekiz_flow.service import Service
from thekiz_flow.service import users as service_users
from thekiz_flow.store.engine import make_engine
from thekiz_flow.web import create_app
from thekiz_flow.workflow.config import DigestSettings, Settings

pytestmark = pytest.mark.browser

ADMITTED = date(2026, 3, 2)  # sessions are planned from here: some lie before today
WRONG = "E-Mail-Adresse oder Passwort ist falsch."


@dataclass(frozen=True)
class Site:
    url: str
    service: Service
    centres: dict[str, int]


def programme(service: Service) -> dict[str, int]:
    """Lena's (coach 1) admitted centre, Jonas's interested one, and one without a coach."""
    assert isinstance(service.runtime.clock, FrozenClock)
    service.runtime.clock.set(noon(ADMITTED, BERLIN))
    service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    centres = {
        "puste": service.registry.add_centre(
            CentreInput("Kita Pusteblume", "jena", "p@example.org", coach="1"), ADMITTED
        ),
        "loewe": service.registry.add_centre(
            CentreInput("Kita Löwenzahn", "jena", "l@example.org", coach="2"), ADMITTED
        ),
        "haus": service.registry.add_centre(
            CentreInput("Haus der Familie", "Weimarer Land", "h@example.org"), ADMITTED
        ),
    }
    service.lifecycle.advance(centres["puste"], "admit", on=ADMITTED)
    service.runtime.clock.set(noon(TODAY, BERLIN))
    return centres


@contextmanager
def serving(
    databases: Databases,
    backend: str,
    folder: Path,
    workflow: Workflow,
    digest: DigestSettings | None = None,
) -> Iterator[Site]:
    """The pages served on a free loopback port, over a fresh database on ``backend`` with
    demo-like data; mail (and digests, if given) in ``folder``, the office's own mail
    templates in ``folder``/mail-templates."""
    with (
        databases.database(backend, folder) as url,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(service_users, "HASHER", CHEAP_HASHER)
        engine = make_engine(url)
        clock = FrozenClock(noon(TODAY, BERLIN))
        mail = replace(file_mail(folder / "mail"), templates_dir=folder / "mail-templates")
        service = Service(engine, workflow, clock, BERLIN, "test", mail, digest=digest)
        add_users(service)
        centres = programme(service)
        # Default settings: the session cookie is Secure, which Chromium keeps on loopback.
        app = create_app(Settings(), service.acting_as, SECRET_KEY)
        try:
            with served(app) as base_url:
                yield Site(base_url, service, centres)
        finally:
            engine.dispose()


# The site of a module, once per backend: pytest runs a module's tests on SQLite, then
# (with THEKIZ_TEST_DATABASE_URL) on PostgreSQL, each over a site of its own, so what one
# test changes is seen by the later tests of the same backend only, as on SQLite alone.
BACKEND_PARAMS = [BACKENDS[SQLITE], BACKENDS[POSTGRESQL]]


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest,
    databases: Databases,
    tmp_path_factory: pytest.TempPathFactory,
    workflow: Workflow,
) -> Iterator[Site]:
    """The pages over a fresh database with demo-like data, on SQLite and on PostgreSQL."""
    backend = str(request.param)
    with serving(databases, backend, tmp_path_factory.mktemp(f"e2e-{backend}"), workflow) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except FileNotFoundError as missing:
            pytest.fail(str(missing))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=site.url, locale="de-DE")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in(page: Page, role: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(USERS[role])
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def planned(service: Service, centre: int) -> list[Activity]:
    return service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED)
    )


def test_signing_in_and_out(page: Page) -> None:
    sign_in(page, "office", "falsches-Passwort")
    expect(page.get_by_role("alert")).to_have_text(WRONG)
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value(USERS["office"])
    sign_in(page, "office")
    expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")
    expect(page.locator("header")).to_contain_text(f"{USERS['office']} (Fachstelle)")
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("Sie sind abgemeldet.")
    page.goto("/centres")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcentres$"))
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)


def test_the_office_changes_a_centre_s_stage(page: Page, site: Site) -> None:
    centre = site.centres["loewe"]
    sign_in(page, "office")
    page.get_by_role("link", name="Einrichtungen").first.click()
    page.get_by_role("link", name="Kita Löwenzahn").click()
    expect(page).to_have_url(re.compile(rf"/centres/{centre}$"))
    expect(page.get_by_role("row", name=re.compile("^Stufe"))).to_contain_text("Interessent")
    form = page.locator(f"form[action='/centres/{centre}/advance']")
    form.get_by_label("Schritt").select_option("admit")
    form.get_by_label("Begründung (nur intern)", exact=True).fill("Vertrag unterschrieben")
    form.get_by_role("button", name="Stufe ändern").click()
    expect(page.get_by_text("Die Einrichtung erhält eine E-Mail.")).to_be_visible()
    page.get_by_role("button", name="Stufenwechsel bestätigen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Stufenwechsel: Interessent → Basisbegleitung ab 15.06.2026."
    )
    expect(page.get_by_role("row", name=re.compile("^Stufe"))).to_contain_text(
        "Basisbegleitung seit 15.06.2026"
    )
    audit = page.get_by_role("row", name=re.compile("Interessent → Basisbegleitung"))
    expect(audit).to_contain_text(USERS["office"])
    expect(audit).to_contain_text("Vertrag unterschrieben")
    (change,) = site.service.lifecycle.history(centre)
    assert (change.trigger, change.actor, change.reason) == (
        "admit",
        USERS["office"],
        "Vertrag unterschrieben",
    )


def test_a_coach_records_a_session_held(page: Page, site: Site) -> None:
    centre = site.centres["puste"]
    session = min(planned(site.service, centre), key=lambda s: s.date)
    assert session.date < TODAY
    sign_in(page, "coach")
    page.get_by_role("link", name="Begleittermine").click()
    row = page.locator("tr").filter(has=page.locator("td:first-child", has_text=f"{session.id}"))
    expect(row).to_have_count(1)
    row.get_by_text("erfassen", exact=True).click()
    row.get_by_label("Stunden").fill("2,5")
    row.get_by_label("Notiz").fill("Elternabend vorbereitet")
    row.get_by_role("button", name="als gehalten erfassen").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Termin {session.id} bei Kita Pusteblume (Jena) "
        f"gehalten am {session.date:%d.%m.%Y}: 2,5 Std."
    )
    expect(row).to_have_count(0)
    page.goto(f"/centres/{centre}")
    expect(page.get_by_role("row", name=re.compile("Elternabend vorbereitet"))).to_contain_text(
        "gehalten"
    )
    (held,) = site.service.overview.activities(
        ActivityFilter(centre_id=centre, status=ActivityStatus.HELD)
    )
    assert (held.id, held.hours, held.note) == (
        session.id,
        Decimal("2.5"),
        "Elternabend vorbereitet",
    )


def test_a_coach_cannot_change_a_stage(page: Page, site: Site) -> None:
    sign_in(page, "coach")
    page.goto(f"/centres/{site.centres['puste']}")
    expect(page.get_by_text("Sie begleiten diese Einrichtung.")).to_be_visible()
    expect(page.get_by_role("heading", name="Verlauf (1)")).to_be_visible()
    expect(page.get_by_role("heading", name="Stufe ändern")).to_have_count(0)
    expect(page.locator("form[action$='/advance']")).to_have_count(0)
    expect(page.get_by_role("button", name="Stufe ändern")).to_have_count(0)


def test_the_ministry_sees_no_centre(page: Page, site: Site) -> None:
    sign_in(page, "ministry")
    response = page.goto(f"/centres/{site.centres['puste']}")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_text("Kita Pusteblume")).to_have_count(0)


def test_no_page_keeps_a_dead_link(page: Page) -> None:
    """Every entry of the office's navigation opens a page without an error."""
    sign_in(page, "office")
    links = page.locator("header nav a")
    expect(links.first).to_be_visible()  # count() does not wait for the page
    paths = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "/centres" in paths
    for path in paths:
        assert path is not None
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        expect(page.locator("header nav a[aria-current='page']")).to_have_attribute("href", path)
