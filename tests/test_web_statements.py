"""The fee statements' page: the office reads any coach's, a coach only their own (403 for
another's page or file); a bad month is named beside its field (400); the files download."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.conftest import BERLIN, TODAY
from tests.web_helpers import login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

ADMITTED = date(2026, 3, 2)


@pytest.fixture
def held(web: TestClient, service: Service, clock: FrozenClock) -> TestClient:
    """Coach 1 (Lena Sommer, 65 €) held 2,5 h in Jena on 4 March; coach 2 exists."""
    service.registry.add_coach("Jonas Berg", "jonas@example.org", "70")
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), ADMITTED
    )
    clock.set(noon(ADMITTED, BERLIN))
    service.lifecycle.advance(centre, "admit", on=ADMITTED)
    clock.set(noon(TODAY, BERLIN))
    service.sessions.record(f"E{centre}", date(2026, 3, 4), "2,5")
    return web


def test_the_office_reads_a_coach_s_statement(held: TestClient) -> None:
    login(held, "office")
    page = held.get("/statements", params={"coach": "1", "month": "2026-03"})
    assert page.status_code == 200
    text = page.text
    assert "Abrechnung 2026-03-P1: Lena Sommer, März 2026" in text
    assert "162,50\xa0€" in text  # 2,5 h * 65 €
    assert "Kita Pusteblume" in text
    other = held.get("/statements", params={"coach": "2", "month": "2026-03"})
    assert "In März 2026 wurden keine Begleittermine gehalten." in other.text
    xlsx = held.get("/statements/1/2026-03.xlsx")
    assert xlsx.status_code == 200
    assert 'filename="abrechnung-2026-03-P1.xlsx"' in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content))["Termine"]
    assert list(sheet.iter_rows(values_only=True))[1][5] == 162.5
    pdf = held.get("/statements/1/2026-03.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert held.get("/statements/1/2026-03.pdf").content == pdf.content


def test_a_coach_reads_only_their_own(held: TestClient) -> None:
    login(held, "coach")  # coach 1
    own = held.get("/statements", params={"month": "2026-03"})
    assert own.status_code == 200
    assert "162,50\xa0€" in own.text
    assert '<select name="coach"' not in own.text
    assert held.get("/statements", params={"coach": "2", "month": "2026-03"}).status_code == 403
    for suffix in ("pdf", "xlsx"):
        assert held.get(f"/statements/2/2026-03.{suffix}").status_code == 403
        assert held.get(f"/statements/1/2026-03.{suffix}").status_code == 200


def test_the_ministry_sees_no_statement(held: TestClient) -> None:
    login(held, "ministry")
    assert held.get("/statements").status_code == 403
    assert held.get("/statements/1/2026-03.pdf").status_code == 403


def test_bad_input_is_named_beside_its_field(held: TestClient) -> None:
    login(held, "office")
    bad = held.get("/statements", params={"coach": "1", "month": "2026-13"})
    assert bad.status_code == 400
    assert 'id="month-error">Monat: ungültiger Monat &#39;2026-13&#39;' in bad.text
    unknown = held.get("/statements", params={"coach": "9", "month": "2026-03"})
    assert unknown.status_code == 400
    assert 'id="coach-error"' in unknown.text
    assert held.get("/statements/1/2026-13.pdf").status_code == 400
    assert held.get("/statements/1/2026-03.doc").status_code == 404
    assert held.get("/statements/9/2026-03.pdf").status_code == 404
