"""How a cell is written in every table file the project writes: CSV and workbook alike.

A text is never a formula. A spreadsheet runs a CSV field that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula (OWASP: CSV injection); such a text
gets a single quote in front in a CSV (``'=HYPERLINK(...)``), which the spreadsheet shows
as text. In a workbook every text is a text cell (type ``s``), whatever it starts with;
openpyxl would otherwise store a text starting with ``=`` as a formula.
Numbers stay numbers: -2 is a number; the name "-2" is a text.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from openpyxl.worksheet.worksheet import Worksheet

from thekiz_flow.digest.tables import Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT = "s"  # openpyxl's data type of a text cell


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
