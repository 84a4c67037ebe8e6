"""The start pages in a real browser: a coach records a session from theirs, the ministry
downloads a digest from theirs (the browser, the pages and the sign-in of test_web_e2e.py;
here over a database and a digest folder of this module's own)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import BERLIN, TODAY, file_mail
from tests.databases import SQLITE, Databases
from tests.test_web_e2e import Site, browser, page, planned, programme, sign_in
from tests.web_helpers import CHEAP_HASHER, SECRET_KEY, add_users
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.model import ActivityFilter, Workflow
from thekiz_flow.demo.browser import served
from thekiz_flow.service import Service
from thekiz_flow.service import users as service_users
from thekiz_flow.store.engine import make_engine
from thekiz_flow.web import create_app
from thekiz_flow.workflow.config import DigestSettings, Settings

pytestmark = pytest.mark.browser
__all__ = ["browser", "page"]  # the fixtures of test_web_e2e.py, used here


@pytest.fixture(scope="module")
def site(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, workflow: Workflow
) -> Iterator[Site]:
    """The pages over a fresh database as test_web_e2e.py has it; digests in a folder here."""
    folder = tmp_path_factory.mktemp("e2e-start")
    with (
        databases.database(SQLITE, folder) as url,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(service_users, "HASHER", CHEAP_HASHER)
        engine = make_engine(url)
        clock = FrozenClock(noon(TODAY, BERLIN))
        digests = DigestSettings(folder / "digests")
        mail = file_mail(folder / "mail")
        service = Service(engine, workflow, clock, BERLIN, "test", mail, digest=digests)
        add_users(service)
        centres = programme(service)
        app = create_app(Settings(), service.acting_as, SECRET_KEY)
        with served(app) as base_url:
            yield Site(base_url, service, centres)
        engine.dispose()


def test_a_coach_records_a_session_from_their_start_page(page: Page, site: Site) -> None:
    centre = site.centres["puste"]
    before = sorted(
        (s for s in planned(site.service, centre) if s.date < TODAY), key=lambda s: s.date
    )
    session = before[0]
    sign_in(page, "coach")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")
    to_record = page.locator("section").filter(
        has=page.get_by_role("heading", name=f"Noch zu erfassen ({len(before)})")
    )
    row = to_record.locator("tbody tr").filter(has_text=f"{session.date:%d.%m.%Y}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Kita Pusteblume")
    row.get_by_text("erfassen", exact=True).click()
    row.get_by_label("Stunden").fill("2,5")
    row.get_by_label("Notiz").fill("Sprechstunde für Eltern geplant")
    row.get_by_role("button", name="als gehalten erfassen").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_have_text(
        f"Termin {session.id} gehalten am {session.date:%d.%m.%Y}: 2,5 Std."
    )
    expect(
        page.get_by_role("heading", name=f"Noch zu erfassen ({len(before) - 1})")
    ).to_be_visible()
    expect(row).to_have_count(0)
    (held,) = site.service.overview.activities(
        ActivityFilter(centre_id=centre, status=ActivityStatus.HELD)
    )
    assert (held.id, held.hours, held.note, held.date) == (
        session.id,
        Decimal("2.5"),
        "Sprechstunde für Eltern geplant",
        session.date,
    )
    page.get_by_role("link", name="Kalender-Link anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kalender-Abos")


def test_the_ministry_downloads_a_digest_from_their_start_page(
    page: Page, site: Site, tmp_path: Path
) -> None:
    sign_in(page, "ministry")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jahresberichte")
    page.goto("/")  # the base address is the same start page
    expect(page.get_by_role("heading", level=1)).to_have_text("Jahresberichte")
    expect(page.get_by_text("Kein Zugriff")).to_have_count(0)
    year = TODAY.year
    row = page.get_by_role("row", name=re.compile(f"^{year}"))
    with page.expect_download() as started:
        row.get_by_role("link", name="CSV").click()
    download = started.value
    assert download.suggested_filename == f"thekiz-jahresbericht-{year}.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes() == site.service.digest.files(year).csv.read_bytes()
    assert "Kita Pusteblume,Jena," in saved.read_text(encoding="utf-8-sig")
