"""The digest files: the German HTML report, the CSV and the workbook for one hand-built Digest."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.digest.charts import Series, bar_chart
from thekiz_flow.digest.files import (
    HTML_ROWS,
    DigestFiles,
    csv_bytes,
    html_context,
    render_html,
    render_template,
    workbook_bytes,
    write_digest,
)
from thekiz_flow.digest.model import CentreYear, Digest, Gap, SessionFigures, TrainingFigures
from thekiz_flow.workflow.paths import SHIPPED_TEMPLATES

TEMPLATES = SHIPPED_TEMPLATES
EVIL = 'Kita <b>&"Quote", Komma'
BASIS, VERTIEFUNG, PAUSIERT = "basisbegleitung", "vertiefungsbegleitung", "pausiert"
TABLE_IDS = {
    "stages",
    "districts-start",
    "districts-end",
    "changes",
    "sessions-stage",
    "sessions-district",
    "budget",
    "visits",
    "trainings",
    "gaps",
    "centres",
}
SHEETS = [
    "Stufen",
    "Kreise Jahresbeginn",
    "Kreise Jahresende",
    "Wechsel",
    "Termine nach Stufe",
    "Termine nach Kreis",
    "Budget",
    "Besuche",
    "Fortbildungen",
    "Lücken",
    "Einrichtungen",
]
CSV_HEADER = (
    "Nr.;Einrichtung;Kreis;Stufe 1. Januar;Stufe 31. Dezember;Termine gehalten;Stunden;Kosten;"
    "Budget (anteilig);Vor-Ort-Besuch;Fortbildungen besucht"
)
NBSP = "\xa0"
SOFT_HYPHEN = "\xad"
BOM = "\ufeff"


def csv_text(digest: Digest) -> str:
    """digest-YEAR.csv as text, without its byte order mark."""
    data = csv_bytes(digest)
    assert data.startswith(BOM.encode("utf-8"))
    return data.decode("utf-8").removeprefix(BOM)


def _centre(
    id_: int,
    name: str,
    district: str,
    start: str,
    end: str,
    held: int,
    hours: str,
    cost: str,
    budget: str,
    visit: bool,
    trainings: int,
) -> CentreYear:
    return CentreYear(
        id_,
        name,
        district,
        start,
        end,
        held,
        Decimal(hours),
        Decimal(cost),
        Decimal(budget),
        visit,
        trainings,
    )


DIGEST = Digest(
    year=2025,
    stages=(
        (BASIS, "Basisbegleitung"),
        (VERTIEFUNG, "Vertiefungsbegleitung"),
        (PAUSIERT, "Pausiert"),
    ),
    steps=(
        ("admit", "Aufnahme in die Basisbegleitung"),
        ("deepen", "Wechsel in die Vertiefungsbegleitung"),
        ("pause", "Pausieren"),
    ),
    districts=("Gotha", "Jena", "Suhl"),
    stage_start={BASIS: 2, VERTIEFUNG: 1},
    stage_end={BASIS: 1, VERTIEFUNG: 1, PAUSIERT: 1},
    district_start={("Gotha", BASIS): 1, ("Jena", BASIS): 1, ("Suhl", VERTIEFUNG): 1},
    district_end={("Gotha", VERTIEFUNG): 1, ("Jena", BASIS): 1, ("Suhl", PAUSIERT): 1},
    admissions=0,
    changes_by_trigger={"deepen": 1, "pause": 1},
    pauses=1,
    withdrawals=0,
    sessions_by_stage={
        BASIS: SessionFigures(1, 19, 2, Decimal("48"), Decimal("3000.00")),
        VERTIEFUNG: SessionFigures(0, 5, 1, Decimal("18"), Decimal("1125.00")),
    },
    sessions_by_district={
        "Gotha": SessionFigures(0, 10, 1, Decimal("25.5"), Decimal("1593.75")),
        "Jena": SessionFigures(1, 11, 1, Decimal("33"), Decimal("2062.50")),
        "Suhl": SessionFigures(0, 3, 1, Decimal("7.5"), Decimal("468.75")),
    },
    budget_by_stage={
        BASIS: Decimal("8333.33"),
        VERTIEFUNG: Decimal("1875.00"),
        PAUSIERT: Decimal(0),
    },
    site_visits_held=1,
    site_visits_outstanding=2,
    trainings=(
        TrainingFigures("Reflexionsfortbildung", 3, 2),
        TrainingFigures("Fachkraft ThEKiZ Weiterbildung", 1, 1),
    ),
    gaps=(
        Gap(
            3,
            "Kita Regenbogen",
            "Suhl",
            date(2025, 6, 18),
            date(2025, 12, 31),
            196,
            "Vertiefungsbegleitung",
        ),
    ),
    centres=(
        _centre(1, EVIL, "Gotha", BASIS, VERTIEFUNG, 10, "25.5", "1593.75", "3958.33", True, 2),
        _centre(2, "Kita Löwenzahn", "Jena", BASIS, BASIS, 11, "33", "2062.5", "5000", False, 1),
        _centre(
            3, "Kita Regenbogen", "Suhl", VERTIEFUNG, PAUSIERT, 3, "7.5", "468.75", "1250", False, 0
        ),
    ),
)

EMPTY = replace(
    DIGEST,
    stage_start={},
    stage_end={},
    district_start={},
    district_end={},
    changes_by_trigger={},
    pauses=0,
    sessions_by_stage={},
    sessions_by_district={},
    budget_by_stage={},
    site_visits_held=0,
    site_visits_outstanding=0,
    trainings=(),
    gaps=(),
    centres=(),
)


@dataclass
class ParsedTable:
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)

    def row(self, first: str) -> str:
        """The row whose first cell is ``first``, its cells joined by " | "."""
        matches = [row for row in self.rows if row and row[0] == first]
        assert len(matches) == 1, (first, self.rows)
        return " | ".join(matches[0])


class Tables(HTMLParser):
    """Collects every table by its id: the caption and the text of each row's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, ParsedTable] = {}
        self.svgs = 0
        self._table = ParsedTable()
        self._text: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs)["id"] or "", ParsedTable())
        elif tag in ("caption", "td", "th"):
            self._text = []
        elif tag == "tr":
            self._row = []
            self._table.rows.append(self._row)
        elif tag == "svg":
            self.svgs += 1

    def handle_endtag(self, tag: str) -> None:
        if self._text is None or tag not in ("caption", "td", "th"):
            return
        shown = "".join(self._text).replace(NBSP, " ").replace(SOFT_HYPHEN, "")
        text = " ".join(shown.split())
        if tag == "caption":
            self._table.caption = text
        else:
            self._row.append(text)
        self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def _parse(html: str) -> Tables:
    parser = Tables()
    parser.feed(html)
    parser.close()
    return parser


def test_the_report_has_every_table_with_its_caption_and_numbers() -> None:
    tables = _parse(render_html(DIGEST, TEMPLATES)).tables

    assert set(tables) == TABLE_IDS
    assert all(table.caption for table in tables.values())
    assert tables["stages"].row("Basisbegleitung") == "Basisbegleitung | 2 | 1 | -1"
    assert tables["stages"].row("Insgesamt") == "Insgesamt | 3 | 3 | 0"
    assert tables["districts-start"].row("Gotha") == "Gotha | 1 | 0 | 0 | 1"
    assert tables["districts-end"].row("Suhl") == "Suhl | 0 | 0 | 1 | 1"
    assert tables["changes"].row("Pausierungen") == "Pausierungen | – | 1"
    assert ["Stufenwechsel", "Wechsel in die Vertiefungsbegleitung", "1"] in tables["changes"].rows
    assert "deepen" not in str(tables["changes"].rows)
    assert tables["sessions-stage"].row("Insgesamt") == "Insgesamt | 1 | 24 | 3 | 66 | 4.125,00 €"
    assert tables["sessions-district"].row("Gotha") == "Gotha | 0 | 10 | 1 | 25,5 | 1.593,75 €"
    budget = tables["budget"]
    assert [row[0] for row in budget.rows] == [
        "Stufe",
        "Basisbegleitung",
        "Vertiefungsbegleitung",
        "Stufen mit Budget",
    ]  # the zero budget of "Pausiert" makes no row
    assert budget.row("Stufen mit Budget") == (
        "Stufen mit Budget | 4.125,00 € | 10.208,33 € | 40,4 % | 6.083,33 €"
    )
    assert tables["visits"].row("ausstehend") == "ausstehend | 2"
    assert (
        tables["trainings"].row("Reflexionsfortbildung") == "Reflexionsfortbildung | 3 | 2 | 66,7 %"
    )
    assert tables["gaps"].row("3") == (
        "3 | Kita Regenbogen | Suhl | Vertiefungsbegleitung | 18.06.2025 | 31.12.2025 | 196"
    )
    # the centres by district, each district a heading row over its centres
    assert tables["centres"].row("1") == (
        f"1 | {EVIL} | Basisbegleitung | Vertiefungsbegleitung | 10 | 25,5 | 1.593,75 € "
        "| 3.958,33 € | ja | 2"
    )
    assert [row[0] for row in tables["centres"].rows] == [
        "Nr.",
        "Gotha",
        "1",
        "Jena",
        "2",
        "Suhl",
        "3",
    ]


def _many_centres(count: int) -> Digest:
    one = DIGEST.centres[0]
    return replace(
        DIGEST, centres=tuple(one._replace(id=i, name=f"Kita {i}") for i in range(count))
    )


def test_up_to_the_limit_every_centre_has_its_row_in_the_report() -> None:
    tables = _parse(render_html(_many_centres(HTML_ROWS), TEMPLATES)).tables

    names = [row[1] for row in tables["centres"].rows if len(row) > 1]
    assert names[1:] == [f"Kita {i}" for i in range(HTML_ROWS)]


def test_beyond_the_limit_the_report_says_where_the_per_centre_table_is() -> None:
    digest = _many_centres(HTML_ROWS + 1)
    html = render_html(digest, TEMPLATES)

    assert "centres" not in _parse(html).tables
    assert "Kita 7" not in html
    assert f"umfasst {HTML_ROWS + 1} Einrichtungen" in " ".join(html.split())
    assert "digest-2025.xlsx" in html
    assert "digest-2025.csv" in html
    assert csv_text(digest).count("Kita ") == HTML_ROWS + 1


def test_beyond_the_limit_the_report_says_which_sheet_holds_the_gaps() -> None:
    gap = DIGEST.gaps[0]
    many = tuple(replace(gap, centre_id=i, name=f"Kita {i}") for i in range(HTML_ROWS + 1))
    html = render_html(replace(DIGEST, gaps=many), TEMPLATES)
    text = " ".join(html.split())

    assert "gaps" not in _parse(html).tables
    assert f"umfasst {HTML_ROWS + 1} Zeilen" in text
    assert "im Blatt „Lücken“ der Datei digest-2025.xlsx" in text
    assert "Als Lücke gilt" in text  # the rule stays
    assert "gaps" in _parse(render_html(replace(DIGEST, gaps=many[:HTML_ROWS]), TEMPLATES)).tables


def test_a_stage_by_need_shows_its_cost_and_no_budget() -> None:
    consult = SessionFigures(0, 2, 0, Decimal(4), Decimal("250.00"))
    digest = replace(
        DIGEST,
        stages=(*DIGEST.stages, ("konsultation", "Konsultationseinrichtung")),
        sessions_by_stage={**DIGEST.sessions_by_stage, "konsultation": consult},
    )
    budget = _parse(render_html(digest, TEMPLATES)).tables["budget"]

    assert (
        budget.row("Konsultationseinrichtung")
        == "Konsultationseinrichtung | 250,00 € | kein Budget | – | –"
    )
    # the share compares the stages with a budget only; all costs stand below
    assert budget.row("Stufen mit Budget") == (
        "Stufen mit Budget | 4.125,00 € | 10.208,33 € | 40,4 % | 6.083,33 €"
    )
    assert budget.row("Insgesamt (mit Stufen ohne Budget)") == (
        "Insgesamt (mit Stufen ohne Budget) | 4.375,00 € | – | – | –"
    )


def test_the_report_is_german_self_contained_and_escaped() -> None:
    html = render_html(DIGEST, TEMPLATES)

    assert "Jahresbericht ThEKiZ 2025" in html
    assert "31. Dezember 2025" in html
    assert f"40,4{NBSP}% ausgeschöpft" in html
    assert "Basisbegleitung 1, Vertiefungsbegleitung 1, Pausiert 1" in html
    forbidden = ("{{", "{%", "undefined", ">none<", "http://", "https://", "<script", "<link")
    for text in (*forbidden, "src=", "url(", "@import", "<b>&"):
        assert text not in html.lower()
    assert "Kita &lt;b&gt;&amp;&#34;Quote&#34;, Komma" in html
    assert "@media print" in html
    assert _parse(html).svgs == 2


def test_chart_labels_and_titles_are_escaped() -> None:
    svg = bar_chart(EVIL, [EVIL, "leer"], [Series("<i>", (Decimal(3), 0), '"red')], str)

    assert "<b>" not in svg
    assert "<i>" not in svg
    assert '""red' not in svg
    assert svg.count("&lt;b&gt;&amp;&#34;Quote&#34;, Komma") == 3  # title, aria-label, label
    assert 'width="0.0"' in svg  # the bar of 0


def test_an_empty_year_renders_without_errors() -> None:
    html = render_html(EMPTY, TEMPLATES)
    tables = _parse(html).tables

    assert set(tables) == TABLE_IDS
    assert tables["gaps"].rows[1:] == [["Keine Einträge."]]
    assert tables["budget"].rows[1:] == [
        ["Keine Einträge."],
        ["Stufen mit Budget", "0,00 €", "0,00 €", "–", "0,00 €"],
    ]
    assert "ausgeschöpft" not in html
    assert csv_text(EMPTY) == CSV_HEADER + "\r\n"
    assert load_workbook(io.BytesIO(workbook_bytes(EMPTY))).sheetnames == SHEETS


def test_the_csv_opens_in_german_excel() -> None:
    data = csv_bytes(DIGEST)
    text = csv_text(DIGEST)
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))

    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark
    assert text.splitlines()[0] == CSV_HEADER
    assert text.endswith("\r\n")
    assert '"Kita <b>&""Quote"", Komma"' in text
    assert [row["Einrichtung"] for row in rows] == [EVIL, "Kita Löwenzahn", "Kita Regenbogen"]
    assert rows[0] == {
        "Nr.": "1",
        "Einrichtung": EVIL,
        "Kreis": "Gotha",
        "Stufe 1. Januar": "Basisbegleitung",
        "Stufe 31. Dezember": "Vertiefungsbegleitung",
        "Termine gehalten": "10",
        "Stunden": "25,5",
        "Kosten": "1593,75",
        "Budget (anteilig)": "3958,33",
        "Vor-Ort-Besuch": "ja",
        "Fortbildungen besucht": "2",
    }
    assert (rows[1]["Kosten"], rows[1]["Budget (anteilig)"], rows[1]["Vor-Ort-Besuch"]) == (
        "2062,50",
        "5000,00",
        "nein",
    )
    for stage_id in (BASIS, VERTIEFUNG, PAUSIERT):
        assert stage_id not in text


def test_a_centre_without_a_budget_says_so_in_the_csv() -> None:
    centre = DIGEST.centres[0]._replace(budget=None)
    text = csv_text(replace(DIGEST, centres=(centre,)))
    assert text.splitlines()[1].split(";")[8] == "kein Budget"


def _number_or_text(value: str) -> object:
    for kind in (int, Decimal):
        try:
            return kind(value.replace(",", "."))
        except (ValueError, ArithmeticError):
            pass
    return value


def test_the_workbook_has_every_sheet_and_the_csv_as_einrichtungen() -> None:
    book = load_workbook(io.BytesIO(workbook_bytes(DIGEST)))

    assert book.sheetnames == SHEETS
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert book.properties.created == datetime(2026, 1, 1)
    centres = [list(row) for row in book["Einrichtungen"].iter_rows(values_only=True)]
    expected = list(csv.reader(io.StringIO(csv_text(DIGEST), newline=""), delimiter=";"))
    assert centres[0] == expected[0]
    assert [[_number_or_text(str(v)) for v in row] for row in centres[1:]] == [
        [_number_or_text(v) for v in row] for row in expected[1:]
    ]
    stages = book["Stufen"]
    assert [cell.value for cell in stages[2]] == ["Basisbegleitung", 2, 1, -1]
    assert all(cell.font.bold for cell in stages[1])
    budget = book["Budget"]
    assert budget["B4"].value == pytest.approx(4125.0)
    assert budget["D4"].value == pytest.approx(4125 / 10208.33, abs=1e-6)
    assert budget["D4"].number_format == "0.0%"
    assert book["Lücken"]["E2"].value == datetime(2025, 6, 18)
    assert book["Einrichtungen"].column_dimensions["B"].width > len(EVIL)


def test_the_same_digest_gives_the_same_files() -> None:
    assert render_html(DIGEST, TEMPLATES) == render_html(DIGEST, TEMPLATES)
    assert csv_text(DIGEST) == csv_text(DIGEST)
    assert workbook_bytes(DIGEST) == workbook_bytes(DIGEST)


def test_write_digest_writes_the_four_files(tmp_path: Path) -> None:
    folder = tmp_path / "berichte"
    files = write_digest(DIGEST, folder, TEMPLATES)

    assert files == DigestFiles(
        folder / "digest-2025.html",
        folder / "digest-2025.csv",
        folder / "digest-2025.xlsx",
        folder / "digest-2025.pdf",
    )
    assert files.html.read_text(encoding="utf-8") == render_html(DIGEST, TEMPLATES)
    assert files.csv.read_bytes() == csv_bytes(DIGEST)
    assert files.xlsx.read_bytes() == workbook_bytes(DIGEST)
    assert files.pdf.read_bytes().startswith(b"%PDF-")
    assert sorted(path.name for path in folder.iterdir()) == [
        "digest-2025.csv",
        "digest-2025.html",
        "digest-2025.pdf",
        "digest-2025.xlsx",
    ]


def test_concurrent_writers_leave_whole_files(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(2):
                write_digest(DIGEST, tmp_path, TEMPLATES)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert (tmp_path / "digest-2025.xlsx").read_bytes() == workbook_bytes(DIGEST)
    assert len(list(tmp_path.iterdir())) == 4  # no temporary file left behind


def test_a_missing_value_is_an_error_not_an_empty_cell() -> None:
    context = html_context(DIGEST)
    del context["summary"]

    with pytest.raises(WorkflowError, match="summary"):
        render_template(context, TEMPLATES)


def test_a_missing_template_is_a_workflow_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="fehlt"):
        render_html(DIGEST, tmp_path)
