"""How a cell is written in every table file the project writes: CSV and workbook alike.

A text is never a formula. A spreadsheet runs a CSV field that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula (OWASP: CSV injection); such a text
gets a single quote in front in a CSV (``'=HYPERLINK(...)``), which the spreadsheet shows
as text. In a workbook every text is a text cell (type ``s``), whatever it starts with;
openpyxl would otherwise store a text starting with ``=`` as a formula.
Numbers stay numbers: -2 is a number; the name "-2" is a text.

Every CSV the project offers people is written for German Excel (:func:`german_csv`):

- UTF-8 with a byte order mark (without it Excel reads the file as Windows-1252),
- a semicolon between fields (the list separator of German Windows), lines ending in CRLF,
  fields quoted where needed,
- numbers with a decimal comma and no thousands separator (``62,50``), dates as
  ``TT.MM.JJJJ``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from openpyxl.worksheet.worksheet import Worksheet

from thekiz_flow.digest.tables import Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT = "s"  # openpyxl's data type of a text cell
BOM = "\ufeff"
SEPARATOR = ";"


def csv_field(value: Cell) -> str:
    """A value as a CSV field: a formula-like text quoted, decimals without exponent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def append_row(sheet: Worksheet, row: Iterable[Cell]) -> None:
    """A row at the end of ``sheet``: texts as text cells, numbers and dates as they are."""
    sheet.append(list(row))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = TEXT


def german_field(value: Cell) -> str:
    """A value as a field of a CSV for German Excel."""
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return csv_field(value).replace(".", ",")
    return csv_field(value)


def german_csv(titles: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A table as a CSV that German Excel opens correctly by a double click (see the module)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow([german_field(title) for title in titles])
    writer.writerows([german_field(value) for value in row] for row in rows)
    return (BOM + buffer.getvalue()).encode("utf-8")
