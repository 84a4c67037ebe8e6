"""Tables as a workbook and HTML as a PDF, both the same bytes for the same content.

A workbook holds one sheet per table (:class:`thekiz_flow.digest.tables.Table`): row 1 the
bold header, the totals in bold after the rows, numbers as numbers with the digest's
German-looking formats, every text a text cell (:mod:`thekiz_flow.digest.cells`). Its
properties and archive entries carry a fixed moment given by the document, never the time
of writing. The PDF is rendered by WeasyPrint from a template below ``templates/accounts``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from thekiz_flow.digest.cells import append_row
from thekiz_flow.digest.files import report_environment
from thekiz_flow.digest.tables import Row, Table
from thekiz_flow.digest.workbook import FORMATS, with_fixed_dates

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
BOLD = Font(bold=True)
MIN_WIDTH, MAX_WIDTH = 8, 60


def workbook_bytes(tables: Sequence[Table], title: str, fixed: datetime) -> bytes:
    """The tables as a workbook, one sheet each, dated ``fixed`` throughout."""
    book = Workbook()
    for sheet in book.worksheets:
        book.remove(sheet)
    for table in tables:
        sheet = book.create_sheet(table.sheet[:31])
        append_row(sheet, [column.title for column in table.columns])
        for cell in sheet[1]:
            cell.font = BOLD
        for row in (*table.rows, *table.totals):
            append_row(sheet, row)
        for index, column in enumerate(table.columns, start=1):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if column.kind in FORMATS:
                    cell.number_format = FORMATS[column.kind]
            shown = [len(_shown(row[index - 1])) for row in (*table.rows, *table.totals)]
            width = min(max(max([len(column.title), *shown]) + 2, MIN_WIDTH), MAX_WIDTH)
            sheet.column_dimensions[get_column_letter(index)].width = width
        first_total = len(table.rows) + 2
        for row_index in range(first_total, first_total + len(table.totals)):
            for cell in sheet[row_index]:
                cell.font = BOLD
        sheet.freeze_panes = "A2"
    book.properties.created = fixed
    book.properties.modified = fixed
    book.properties.creator = "thekiz-flow"
    book.properties.title = title
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # save_workbook would stamp the time of writing
    return with_fixed_dates(buffer.getvalue(), fixed)


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return "00.00.0000"
    return str(value) if isinstance(value, str | int) else f"{value} €"


def render_html(template: str, context: dict[str, object], templates_dir: Path) -> str:
    """``templates/accounts/TEMPLATE`` rendered (StrictUndefined, autoescaped, German filters)."""
    return report_environment(templates_dir).get_template(f"accounts/{template}").render(context)


def pdf_bytes(html: str, identifier: str) -> bytes:
    """The HTML as a PDF (A4, as its style sheet says). ``identifier`` (the document's
    checksum) is the PDF's file identifier, which would otherwise differ each time; the
    HTML names no moment of writing, so the same content gives the same bytes."""
    from weasyprint import HTML  # imported on first use: it loads Pango

    data = HTML(string=html).write_pdf(pdf_identifier=identifier.encode("ascii"))
    assert isinstance(data, bytes)
    return data


__all__ = ["PDF_TYPE", "XLSX_TYPE", "Row", "pdf_bytes", "render_html", "workbook_bytes"]
