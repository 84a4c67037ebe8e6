"""A list as a download: the CSV German Excel opens, and the workbook (no database)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from thekiz_flow.core.csvtext import field as german_field
from thekiz_flow.web.export import Export, csv_bytes, download, xlsx_bytes

TABLE = Export(
    "liste",
    ("Nr.", "Name", "Betrag", "Tag"),
    ("int", "text", "euro", "date"),
    [
        (1, "Kita; Sonne", Decimal("1250.50"), date(2026, 2, 1)),
        (2, "=SUMME(A1)", Decimal("-2"), None),
        (3, 'Haus "Mitte"', None, date(2026, 12, 31)),
    ],
)


def test_the_fields_are_german() -> None:
    assert german_field(Decimal("62.50")) == "62,50"
    assert german_field(Decimal("-2")) == "-2"  # a number stays a number
    assert german_field(date(2026, 2, 1)) == "01.02.2026"
    assert german_field("-2") == "'-2"  # a text that looks like a formula does not run
    assert german_field(None) == ""
    assert german_field(7) == "7"


def test_the_csv_for_german_excel() -> None:
    data = csv_bytes(TABLE)
    assert (
        data
        == (
            "\ufeffNr.;Name;Betrag;Tag\r\n"
            '1;"Kita; Sonne";1250,50;01.02.2026\r\n'
            "2;'=SUMME(A1);-2;\r\n"
            '3;"Haus ""Mitte""";;31.12.2026\r\n'
        ).encode()
    )


def test_the_workbook_keeps_numbers_and_texts() -> None:
    sheet = load_workbook(io.BytesIO(xlsx_bytes(TABLE))).active
    assert sheet is not None
    assert sheet.title == "liste"
    assert [c.value for c in sheet[1]] == ["Nr.", "Name", "Betrag", "Tag"]
    assert sheet["C2"].value == 1250.5  # a number, read back as float
    assert sheet["C2"].number_format == '#,##0.00 "€"'
    assert sheet["B3"].value == "=SUMME(A1)"
    assert sheet["B3"].data_type == "s"
    assert sheet["D2"].number_format == "DD.MM.YYYY"
    assert sheet["A1"].font.bold


def test_the_download_is_an_attachment() -> None:
    response = download(TABLE, "csv")
    assert response.headers["content-disposition"] == 'attachment; filename="liste.csv"'
    assert response.media_type == "text/csv; charset=utf-8"
    assert bytes(download(TABLE, "xlsx").body).startswith(b"PK")
