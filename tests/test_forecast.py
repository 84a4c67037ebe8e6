"""The programme forecast: hand-computed figures of a small programme under the live rules
(minimum durations, the planner, the working-day calendar); nothing is written."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.cli_helpers import Run, dump
from tests.conftest import BERLIN
from tests.web_helpers import login
from thekiz_flow.accounts.forecast import forecast_xlsx
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.forecast import Scenario, admissions, timeline
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.simulation import SystemClock

pytestmark = pytest.mark.backends("sqlite", "postgresql")

START = date(2027, 1, 1)


def test_the_stages_follow_the_minimum_durations(service: Service) -> None:
    workflow = service.workflow
    stays = timeline(workflow, "basisbegleitung", date(2026, 3, 2), date(2030, 1, 1))
    assert stays == [
        ("basisbegleitung", date(2026, 3, 2), date(2028, 3, 2)),  # deepen: 24 months
        ("vertiefungsbegleitung", date(2028, 3, 2), date(2029, 3, 2)),  # consult: 12
        ("konsultationseinrichtung", date(2029, 3, 2), date(2030, 1, 1)),
    ]
    assert timeline(workflow, "interessent", date(2026, 1, 5), date(2027, 1, 1)) == [
        ("interessent", date(2026, 1, 5), date(2027, 1, 1))
    ]


def test_admissions_spread_over_the_months_and_districts(service: Service) -> None:
    calendar = service.runtime.calendar
    found = admissions(Scenario(6), START, 12, ("Gotha", "Jena"), calendar)
    # 6 a year: every second month, on its first working day (4 January 2027, a Monday)
    assert [d for d, _ in found] == [
        date(2027, 2, 1),
        date(2027, 4, 1),
        date(2027, 6, 1),
        date(2027, 8, 2),
        date(2027, 10, 1),
        date(2027, 12, 1),
    ]
    assert [n for _, n in found] == ["Gotha", "Jena"] * 3
    given = admissions(Scenario(0, (("Gotha", 1),)), START, 24, ("Gotha",), calendar)
    assert [d for d, _ in given] == [date(2027, 12, 1), date(2028, 12, 1)]
    assert isinstance(calendar, WorkCalendar)


def test_a_small_programme_by_hand(service: Service, clock: FrozenClock, database_url: str) -> None:
    """One centre in Jena in Basisbegleitung since 1 December 2026, coach at 60 €; no new
    admissions; 2027 forecast."""
    clock.set(noon(date(2026, 12, 1), BERLIN))
    service.registry.add_coach("Lena Sommer", "lena@example.org", "60")
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), date(2026, 12, 1)
    )
    service.lifecycle.advance(centre, "admit", on=date(2026, 12, 1))
    before = dump(database_url)
    (found,) = service.forecast.forecasts(1, [Scenario(0)], START)
    assert dump(database_url) == before  # nothing written
    year = found.year(2027)
    # Basisbegleitung all year: a session of 3 hours each month, 12 x 3 h x 60 €;
    # budget 12 x 5.000 € / 12 (a twelfth to the cent each month: 416,67 €)
    assert (year.centres, year.sessions, year.hours) == (1, 12, Decimal(36))
    assert year.cost == Decimal("2160.00")
    assert year.budget == Decimal("5000.04")
    assert found.coaches_needed(date(2027, 5, 1)) == 1  # 3 h of at most 40
    assert found.coaches == 1
    (more,) = service.forecast.forecasts(1, [Scenario(12)], START, Decimal("50"))
    # 12 new, one on the first working day of each month, each with its first session in
    # its month of admission: 12 + 11 + ... + 1 = 78 sessions of 3 h at 50 €
    assert more.year(2027).sessions - year.sessions == 78
    assert more.year(2027).cost - year.cost == Decimal(78 * 3 * 50)
    assert more.year(2027).centres == 13
    book = load_workbook(io.BytesIO(forecast_xlsx([found, more])))
    assert book.sheetnames[0] == "Vergleich"
    rows = list(book["Vergleich"].iter_rows(values_only=True))
    assert rows[2][0] == "12 neue je Jahr"
    assert rows[2][-2] == 78 * 3 * 50  # cost against scenario 1


def test_a_backtest_of_sessions_held_as_planned_is_exact(
    service: Service, clock: FrozenClock
) -> None:
    """Admitted on 1 December 2025; every session until May 2026 held as planned (3 h at
    60 EUR): the forecast as of 1 January 2026 gives what was recorded, 5 x 3 h."""
    clock.set(noon(date(2025, 12, 1), BERLIN))
    service.registry.add_coach("Lena Sommer", "lena@example.org", "60")
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), date(2025, 12, 1)
    )
    service.lifecycle.advance(centre, "admit", on=date(2025, 12, 1))
    clock.set(noon(date(2026, 6, 15), BERLIN))
    planned = service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.COACHING)
    )
    for session in planned:
        if session.date < date(2026, 6, 1):
            service.sessions.record(f"E{centre}", session.date, "3")
    found, hours, cost = service.forecast.backtest(date(2026, 1, 1), 5)
    assert (hours, cost) == (Decimal(15), Decimal("900.00"))
    assert (found.month(date(2026, 1, 1)).centres, found.year(2026).hours) == (1, hours)
    assert found.year(2026).cost == cost


def test_bad_input_is_refused(service: Service) -> None:
    with pytest.raises(InvalidInput, match="zwischen 1 und 10"):
        service.forecast.forecasts(0, [Scenario(1)])
    with pytest.raises(InvalidInput, match="unbekannter Kreis"):
        service.forecast.forecasts(1, [Scenario(1, (("Atlantis", 1),))])


def test_the_command(ready: Run, tmp_path: Path) -> None:
    result = ready(
        "forecast",
        "--years",
        "2",
        "--new-per-year",
        "5,10",
        "--districts",
        "Gotha:2,jena:1",
        "--out",
        "prognose.xlsx",
    )
    assert result.code == 0, result
    assert "Prognose: 5 neue je Jahr" in result.out
    assert "Prognose: Gotha 2, Jena 1 je Jahr" in result.out
    assert "Annahme: Jede Einrichtung geht nach der Mindestdauer" in result.out
    book = load_workbook(tmp_path / "prognose.xlsx")
    assert "S3 Monate" in book.sheetnames
    bad = ready("forecast", "--districts", "Gotha")
    assert bad.code == 2
    assert bad.err.startswith("Fehler: --districts: 'Gotha': Landkreis:Anzahl erwartet")
    assert ready("forecast", "--years", "x").err.startswith("Fehler: --years: ungültige Nummer")


def test_the_page_for_the_office_and_the_ministry(web: TestClient, service: Service) -> None:
    login(web, "ministry")
    page = web.get("/forecast", params={"years": "2", "new_per_year": "5,10"})
    assert page.status_code == 200
    assert "Szenario 2: 10 neue je Jahr" in page.text
    assert '<svg class="chart"' in page.text
    book = web.get("/forecast.xlsx", params={"years": "2", "new_per_year": "5,10"})
    assert load_workbook(io.BytesIO(book.content)).sheetnames[:3] == [
        "Vergleich",
        "S1 Monate",
        "S1 Landkreise",
    ]
    bad = web.get("/forecast", params={"years": "0"})
    assert bad.status_code == 400
    assert 'id="years-error"' in bad.text
    login(web, "coach")
    assert web.get("/forecast").status_code == 403


@pytest.mark.backends("sqlite")
@pytest.mark.xfail(
    reason="Demo, forecast from 1 January 2025 with the admissions recorded in 2025: 1,032 "
    "hours instead of 1,221 (-15.5 %), cost 70,484.85 EUR instead of 83,719.25 EUR (-15.8 %). "
    "It misses the renewals of Vertiefungsbegleitung and the on-request coaching of the "
    "Konsultationseinrichtungen, which had no hours in 2024 to estimate it from.",
)
def test_the_forecast_of_2025_comes_within_ten_percent_of_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: Service
) -> None:
    from thekiz_flow import demo

    monkeypatch.chdir(tmp_path)
    assert demo.main() == 0
    url = f"sqlite:///{tmp_path / 'var/demo/thekiz-flow.db'}"
    demo_service = Service(make_engine(url), service.workflow, SystemClock(), service.zone, "test")
    found, hours, cost = demo_service.forecast.backtest(date(2025, 1, 1))
    year = found.year(2025)
    assert abs(year.hours - hours) <= hours / 10, (year.hours, hours)
    assert abs(year.cost - cost) <= cost / 10, (year.cost, cost)
