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

from tests import test_web_e2e as e2e
from tests.conftest import TODAY
from tests.databases import Databases
from tests.test_web_e2e import Site, browser, page, planned, sign_in
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.model import ActivityFilter, Workflow
from thekiz_flow.workflow.config import DigestSettings

pytestmark = pytest.mark.browser
__all__ = ["browser", "page"]  # the fixtures of test_web_e2e.py, used here


@pytest.fixture(scope="module", params=e2e.BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest,
    databases: Databases,
    tmp_path_factory: pytest.TempPathFactory,
    workflow: Workflow,
) -> Iterator[Site]:
    """The pages over a fresh database as test_web_e2e.py has it (on each backend);
    digests in a folder here."""
    backend = str(request.param)
    folder = tmp_path_factory.mktemp(f"e2e-start-{backend}")
    digests = DigestSettings(folder / "digests")
    with e2e.serving(databases, backend, folder, workflow, digests) as served_site:
        yield served_site


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
        f"Termin {session.id} bei Kita Pusteblume (Jena) "
        f"gehalten am {session.date:%d.%m.%Y}: 2,5 Std."
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
    assert "Kita Pusteblume;Jena;" in saved.read_text(encoding="utf-8-sig")  # German Excel
