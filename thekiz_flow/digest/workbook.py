"""The digest as an Excel workbook (openpyxl): the report's tables, one per worksheet.

Row 1 of every sheet is the bold header, totals follow the rows in bold; numbers are numbers
with a German-looking number format, every text is a text cell, never a formula
(:mod:`thekiz_flow.digest.cells`). The sheet "Einrichtungen" holds exactly the rows and
columns of digest-YEAR.csv (same German headers and stage names, ``ja``/``nein``), so the
two can be compared. The same digest gives the same bytes: the workbook's properties carry 1 January
of the following year, and the archive's entries that date too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from thekiz_flow.digest.cells import append_row
from thekiz_flow.digest.csvfile import centres_table
from thekiz_flow.digest.model import Digest
from thekiz_flow.digest.tables import Kind, Row, summary_tables

FORMATS: dict[Kind, str] = {
    "int": "#,##0",
    "number": "#,##0.0#",
    "euro": '#,##0.00 "€"',
    "percent": "0.0%",
    "date": "DD.MM.YYYY",
}
BOLD = Font(bold=True)
MIN_WIDTH, MAX_WIDTH = 8, 60


def workbook_bytes(digest: Digest) -> bytes:
    """The workbook digest-YEAR.xlsx as bytes."""
    book = Workbook()
    for sheet in book.worksheets:
        book.remove(sheet)
    for table in (*summary_tables(digest), centres_table(digest)):
        kinds = [column.kind for column in table.columns]
        titles = [column.title for column in table.columns]
        _fill(book.create_sheet(table.sheet), titles, kinds, table.rows, table.totals)
    fixed = datetime(digest.year + 1, 1, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.properties.creator = "thekiz-flow"
    book.properties.title = f"Jahresbericht ThEKiZ {digest.year}"
    return with_fixed_dates(_save(book), fixed)


def _fill(
    sheet: Worksheet,
    titles: Sequence[str],
    kinds: Sequence[Kind],
    rows: Sequence[Row],
    totals: Sequence[Row],
) -> None:
    append_row(sheet, titles)
    for cell in sheet[1]:
        cell.font = BOLD
    for row in (*rows, *totals):
        append_row(sheet, row)
    for index, kind in enumerate(kinds, start=1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
    for row_index in range(len(rows) + 2, len(rows) + len(totals) + 2):
        for cell in sheet[row_index]:
            cell.font = BOLD
    sheet.freeze_panes = "A2"
    _set_widths(sheet, titles, (*rows, *totals))


def _set_widths(sheet: Worksheet, titles: Sequence[str], rows: Sequence[Row]) -> None:
    for index, title in enumerate(titles):
        longest = max([len(title), *(len(_shown(row[index])) for row in rows)])
        width = min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width


def _shown(value: object) -> str:
    """About as wide as the cell shows the value (money gets its cents and the sign)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return "00.00.0000"
    return f"{value} €" if not isinstance(value, str | int) else str(value)


def _save(book: Workbook) -> bytes:
    """Saved without save_workbook, which would stamp the current time as "modified"."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return buffer.getvalue()


def with_fixed_dates(data: bytes, when: datetime) -> bytes:
    """The same archive with every entry dated ``when`` instead of the time of writing."""
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(data))
    with source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info))
    return buffer.getvalue()
