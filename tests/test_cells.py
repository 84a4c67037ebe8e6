"""No text becomes a formula in a table file: the CSV quotes it, the workbook keeps it text."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.cli_helpers import Run
from tests.test_digest_files import DIGEST, csv_text
from tests.web_helpers import login
from thekiz_flow.core.csvtext import field as csv_field
from thekiz_flow.digest.files import workbook_bytes
from thekiz_flow.digest.model import Gap
from thekiz_flow.digest.tables import Cell

FORMULA = '=HYPERLINK("http://evil","x")'
TYPED = [FORMULA, "+1", "-2", "@SUM(A1)"]  # names a person can type
# and two a person cannot (a name has no control characters), but a table file might get
CONTROL = ["\tx", "\rx"]


def test_a_csv_field_quotes_what_a_spreadsheet_would_run() -> None:
    assert [csv_field(text) for text in [*TYPED, *CONTROL]] == [
        "'" + FORMULA,
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    harmless: list[Cell] = ["x=1", "Kita -2", Decimal("-2.50"), -2, None]
    assert [csv_field(v) for v in harmless] == [
        "x=1",
        "Kita -2",
        "-2,50",
        "-2",
        "",
    ]


def test_the_digest_files_keep_such_texts_text() -> None:
    names = [*TYPED, *CONTROL]
    centres = tuple(
        DIGEST.centres[0]._replace(id=n, name=name, cost=Decimal("-1.5"))
        for n, name in enumerate(names, start=1)
    )
    gap = Gap(1, FORMULA, "Gotha", date(2025, 6, 18), date(2025, 12, 31), 196)
    digest = replace(DIGEST, centres=centres, gaps=(gap,))
    rows = list(csv.reader(io.StringIO(csv_text(digest), newline=""), delimiter=";"))
    assert [row[1] for row in rows[1:]] == ["'" + name for name in names]
    book = load_workbook(io.BytesIO(workbook_bytes(digest)))
    cells = [row[1] for row in book["Einrichtungen"].iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s"] * len(names)
    # XML reads a carriage return as a line feed; every other text comes back as it was
    assert [c.value for c in cells] == [*TYPED, "\tx", "\nx"]
    costs = [row[7] for row in book["Einrichtungen"].iter_rows(min_row=2)]
    assert {(c.data_type, c.value) for c in costs} == {("n", -1.5)}
    gap_name = book["Lücken"]["B2"]
    assert (gap_name.data_type, gap_name.value) == ("s", FORMULA)


def test_names_from_the_cli_the_web_form_and_an_import_stay_text(
    run: Run, web: TestClient, tmp_path: Path
) -> None:
    cli_name, web_name, *imported = TYPED
    on = "--on=2024-01-08"
    added = run("centre", "add", f"--name={cli_name}", "--district=Gera", "--email=a@b.de", on)
    assert added.code == 0, added
    token = login(web, "office")
    form = {"name": web_name, "district": "Gera", "email": "w@b.de", "on": "2024-01-08"}
    assert web.post("/centres/new", data={"csrf_token": token, **form}).status_code == 200
    rows = (f'"{name}",Gera,i{i}@b.de,2024-01-08' for i, name in enumerate(imported))
    lines = ["name,district,email,stage_since", *rows]
    (tmp_path / "centres.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("centre", "import", "centres.csv").code == 0

    result = run("digest", "2024", "--out", "berichte")
    assert result.code == 0, result
    written = tmp_path / "berichte"
    text = (written / "digest-2024.csv").read_text(encoding="utf-8-sig")
    table = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
    names = [row["Einrichtung"] for row in table]
    assert sorted(names) == sorted(["'" + name for name in TYPED])
    sheet = load_workbook(written / "digest-2024.xlsx")["Einrichtungen"]
    cells = {row[1].value: row[1].data_type for row in sheet.iter_rows(min_row=2)}
    assert {name: cells[name] for name in TYPED} == dict.fromkeys(TYPED, "s")
