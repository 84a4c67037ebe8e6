"""The districts' accounts: hand-computed figures of a small programme in 2025, grouped by
district from the yearly digest's figures; the CLI, the files and the page."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.cli_helpers import Run, berlin_today
from tests.conftest import BERLIN, TODAY
from tests.web_helpers import login
from thekiz_flow.accounts.districts import report_pdf, report_xlsx
from thekiz_flow.core import paging
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

ADMITTED = date(2025, 7, 2)
PAUSED = date(2025, 10, 1)


def programme(service: Service, clock: FrozenClock) -> None:
    """Two centres admitted on 2 July 2025 (Basisbegleitung, 5.000 € a year), one in Jena,
    one in Gotha; Gotha paused on 1 October; 7 July Jena 2 h and Gotha 3 h at 65 €. A third
    centre in Jena stays Interessent."""
    if not service.registry.coaches():  # the web's fixture has added her
        service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    jena = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), ADMITTED
    )
    gotha = service.registry.add_centre(
        CentreInput("Kita Regenbogen", "gotha", "r@example.org", coach="1"), ADMITTED
    )
    service.registry.add_centre(CentreInput("Kita Sonnenschein", "jena", "s@example.org"), ADMITTED)
    clock.set(noon(ADMITTED, BERLIN))
    service.lifecycle.advance(jena, "admit", on=ADMITTED)
    service.lifecycle.advance(gotha, "admit", on=ADMITTED)
    clock.set(noon(date(2025, 7, 8), BERLIN))
    service.sessions.record(f"E{jena}", date(2025, 7, 7), "2")
    service.sessions.record(f"E{gotha}", date(2025, 7, 7), "3")
    clock.set(noon(PAUSED, BERLIN))
    service.lifecycle.advance(gotha, "pause", on=PAUSED, reason="Umbau")
    clock.set(noon(TODAY, BERLIN))


def test_each_district_s_centres_hours_cost_budget_and_rest(
    service: Service, clock: FrozenClock
) -> None:
    programme(service, clock)
    report = service.districts.report(2025)
    assert not report.provisional
    assert [d.name for d in report.districts] == ["Gotha", "Jena"]  # the workflow's order
    gotha, jena = report.districts
    (regenbogen,) = gotha.centres
    assert (regenbogen.stage_start, regenbogen.stage_end) == ("Interessent", "Pausiert")
    assert regenbogen.changes == ("ab 02.07.2025 Basisbegleitung", "ab 01.10.2025 Pausiert")
    # July to September in Basisbegleitung: 3 x 5.000 € / 12
    assert (regenbogen.sessions, regenbogen.hours, regenbogen.cost) == (
        1,
        Decimal(3),
        Decimal("195"),
    )
    assert (regenbogen.budget, regenbogen.rest) == (Decimal("1250.00"), Decimal("1055.00"))
    assert [c.name for c in jena.centres] == ["Kita Pusteblume", "Kita Sonnenschein"]
    # July to December: 6 x 5.000 € / 12; 2 h x 65 €
    assert (jena.sessions, jena.hours, jena.cost) == (1, Decimal(2), Decimal("130"))
    assert (jena.budget, jena.rest) == (Decimal("2500.00"), Decimal("2370.00"))
    assert jena.centres[1].stage_end == "Interessent"
    totals = report.overview()
    assert (totals.budget, totals.cost, totals.rest) == (
        Decimal("3750.00"),
        Decimal("325"),
        Decimal("3425.00"),
    )
    digest = service.digest.build(2025)  # the same figures, counted once
    assert (totals.cost, totals.budget) == (digest.total_cost, digest.total_budget)
    only = service.districts.report(2025, "jena")
    assert [d.name for d in only.districts] == ["Jena"]
    assert service.districts.report(2026).provisional


def test_the_files_are_the_same_for_the_same_year(service: Service, clock: FrozenClock) -> None:
    programme(service, clock)
    report = service.districts.report(2025)
    again = service.districts.report(2025)
    assert report_xlsx(report) == report_xlsx(again)
    templates = service.workflow.templates_dir
    assert report_pdf(report, templates) == report_pdf(again, templates)
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    rows = list(book["Landkreise"].iter_rows(values_only=True))
    assert rows[0] == (
        "Landkreis",
        "Einrichtungen",
        "Termine",
        "Stunden",
        "Kosten",
        "Budget anteilig",
        "Rest",
    )
    assert rows[1:] == [
        ("Gotha", 1, 1, 3, 195, 1250, 1055),
        ("Jena", 2, 1, 2, 130, 2500, 2370),
        ("Insgesamt", 3, 2, 5, 325, 3750, 3425),
    ]


def test_a_bad_year_or_district_is_refused(service: Service) -> None:
    with pytest.raises(InvalidInput, match="liegt nicht zwischen"):
        service.districts.report(TODAY.year + 1)
    with pytest.raises(InvalidInput, match="unbekannter Kreis"):
        service.districts.report(2025, "Atlantis")


def test_the_command_writes_both_files(ready: Run, tmp_path: Path) -> None:
    year = str(berlin_today().year)
    result = ready("district-report", year, "--out", "files")
    assert result.code == 0, result
    assert "Verwendungsnachweis Prozessbegleitung" in result.out
    assert (tmp_path / "files" / f"landkreise-{year}.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "files" / f"landkreise-{year}.xlsx").exists()
    one = ready("district-report", year, "--district", "Weimarer Land", "--out", "files")
    assert one.code == 0, one
    assert (tmp_path / "files" / f"landkreise-{year}-weimarer-land.xlsx").exists()
    bad = ready("district-report", "20x5")
    assert (bad.code, bad.err) == (2, "Fehler: YEAR: ungültige Nummer '20x5'\n")
    unknown = ready("district-report", year, "--district", "Atlantis")
    assert unknown.code == 2
    assert unknown.err.startswith("Fehler: --district: unbekannter Kreis")


def test_the_page_for_the_office_only(
    web: TestClient, service: Service, clock: FrozenClock
) -> None:
    programme(service, clock)
    login(web, "office")
    page = web.get("/districts", params={"year": "2025"})
    assert page.status_code == 200
    assert "1.250,00\xa0€" in page.text
    assert "1.055,00\xa0€" in page.text
    assert web.get("/districts/2025.xlsx").status_code == 200
    pdf = web.get("/districts/2025.pdf", params={"district": "Jena"})
    assert pdf.content.startswith(b"%PDF")
    assert web.get("/districts", params={"year": "20x5"}).status_code == 400
    login(web, "coach")
    assert web.get("/districts").status_code == 403


def test_the_page_shows_the_districts_totals_and_a_district_s_centres_a_page_at_a_time(
    web: TestClient, service: Service, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every district's totals on the first page, never every centre; a district's centres
    on its own page, one page of them at a time, with the district's totals."""
    programme(service, clock)
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    login(web, "office")
    overview = web.get("/districts", params={"year": "2025"}).text
    assert "Kita" not in overview
    assert 'href="?year=2025&amp;district=Jena#einrichtungen">Jena</a>' in overview
    first = web.get("/districts", params={"year": "2025", "district": "Jena"})
    assert first.status_code == 200
    assert "Kita Pusteblume" in first.text
    assert "Kita Sonnenschein" not in first.text
    assert "(2, Seite 1 von 2)" in first.text
    assert "2.370,00\xa0€" in first.text  # Jena's rest, of both pages
    assert "Gotha" not in first.text.split('id="uebersicht"', 1)[1]
    second = web.get("/districts", params={"year": "2025", "district": "Jena", "page": "2"})
    assert "Kita Sonnenschein" in second.text
    assert "Kita Pusteblume" not in second.text
    beyond = web.get("/districts", params={"year": "2025", "district": "jena", "page": "7"})
    assert '<option value="Jena" selected>' in beyond.text  # as the workflow spells it
    assert 'href="?year=2025&amp;district=Jena&amp;page=2">« zur letzten Seite</a>' in beyond.text
    bad = web.get("/districts", params={"year": "2025", "district": "Jena", "page": "x"})
    assert bad.status_code == 400
    assert '<p class="error" role="alert">Seite: ' in bad.text
