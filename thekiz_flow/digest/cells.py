"""How a cell is written in every table file the project writes: CSV and workbook alike.

A text is never a formula. A spreadsheet runs a CSV field that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula (OWASP: CSV injection); such a text
gets a single quote in front in a CSV (``'=HYPERLINK(...)``), which the spreadsheet shows
as text. In a workbook every text is a text cell (type ``s``), whatever it starts with;
openpyxl would otherwise store a text starting with ``=`` as a formula.
Numbers stay numbers: -2 is a number; the name "-2" is a text.

Every CSV the project writes goes through one writer, :func:`thekiz_flow.core.csvtext.csv_bytes`
(German Excel: UTF-8 with a byte order mark, semicolons, decimal commas, ``TT.MM.JJJJ``),
which quotes such a text too.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.worksheet.worksheet import Worksheet

from thekiz_flow.digest.tables import Cell

TEXT = "s"  # openpyxl's data type of a text cell


def append_row(sheet: Worksheet, row: Iterable[Cell]) -> None:
    """A row at the end of ``sheet``: texts as text cells, numbers and dates as they are.
    The cells are made here, so no row is looked up again (a lookup scans the whole sheet)."""
    cells = []
    for column, value in enumerate(row, start=1):
        cell = SheetCell(sheet, row=1, column=column, value=value)  # append sets its row
        if isinstance(value, str):
            cell.data_type = TEXT
        cells.append(cell)
    sheet.append(cells)
