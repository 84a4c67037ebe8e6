"""`thekiz-flow statement` through the real CLI: the German table, the two files, and the
German one-line errors (exit 2) for a bad --month or --coach."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli_helpers import Run, berlin_today

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TODAY = berlin_today()
ADMITTED = TODAY - timedelta(days=70)
HELD = ADMITTED + timedelta(days=7)


@pytest.fixture
def held(ready: Run) -> Run:
    """Centre 1 (Jena, coach 1 at 65 €) admitted 70 days ago; 2,5 hours held a week later."""
    assert ready("advance", "1", "admit", "--on", ADMITTED.isoformat()).code == 0
    done = ready("session", "done", "E1", "--date", HELD.isoformat(), "--hours", "2,5")
    assert done.code == 0, done
    return ready


def test_the_statement_is_printed_and_written(held: Run, tmp_path: Path) -> None:
    month = f"{HELD:%Y-%m}"
    result = held("statement", "--coach", "1", "--month", month, "--out", "files")
    assert result.code == 0, result
    assert f"Abrechnung {month}-P1" in result.out
    assert "Jena: 1 Termin, 2,5 Stunden, 162,50 €" in result.out  # 2,5 * 65
    assert "Insgesamt: 1 Termin, 2,5 Stunden, 162,50 €" in result.out
    pdf = tmp_path / "files" / f"abrechnung-{month}-P1.pdf"
    xlsx = tmp_path / "files" / f"abrechnung-{month}-P1.xlsx"
    assert pdf.read_bytes().startswith(b"%PDF")
    sheet = load_workbook(io.BytesIO(xlsx.read_bytes()))["Termine"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Datum", "Einrichtung", "Landkreis", "Stunden", "Stundensatz", "Betrag")
    assert rows[1][1:] == ("Kita Pusteblume", "Jena", 2.5, 65, 162.5)
    assert rows[2] == ("Insgesamt", None, None, 2.5, None, 162.5)
    again = held("statement", "--coach", "1", "--month", month, "--out", "again")
    assert again.code == 0
    assert (tmp_path / "again" / xlsx.name).read_bytes() == xlsx.read_bytes()
    assert (tmp_path / "again" / pdf.name).read_bytes() == pdf.read_bytes()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--coach", "1", "--month", "2026-13"), "--month: ungültiger Monat '2026-13'"),
        (("--coach", "1", "--month", "März"), "--month: ungültiger Monat 'März'"),
        (("--coach", "7", "--month", "2026-03"), "--coach: keine Prozessbegleitung '7'"),
        (("--coach", "x@example.org", "--month", "2026-03"), "--coach: keine Prozessbegleitung"),
    ],
)
def test_bad_input_is_one_german_line(
    ready: Run, tmp_path: Path, args: tuple[str, ...], error: str
) -> None:
    result = ready("statement", *args, "--out", "files")
    assert result.code == 2
    assert result.err.startswith(f"Fehler: {error}")
    assert len(result.err.splitlines()) == 1
    assert not (tmp_path / "files").exists()


def test_a_future_month_is_refused(ready: Run) -> None:
    later = date(TODAY.year + 1, TODAY.month, 1)
    result = ready("statement", "--coach", "1", "--month", f"{later:%Y-%m}")
    assert result.code == 2
    assert result.err.startswith("Fehler: --month: ")
    assert "liegt in der Zukunft" in result.err
