"""A list of a page as a file to download: CSV for German Excel, or an XLSX workbook.

Any list page can export what it shows: it describes its table as an :class:`Export`
(German column titles, the kind of each column, typed rows) and adds the two routes of
:func:`export_routes`; the page links to them with the ``export_links`` macro of
``web/_lists.html.j2``, passing its filters and order.

The CSV is written so that Excel opens it correctly in German by a double click, as the
digest's CSV is (:func:`thekiz_flow.digest.cells.german_csv`: UTF-8 with a byte order mark,
semicolons, decimal commas, dates as ``TT.MM.JJJJ``; a text that Excel would run as a
formula gets a single quote in front).

The workbook keeps numbers and dates as such, with German-looking formats, every text a
text cell; row 1 is the bold header.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import Role
from thekiz_flow.digest.cells import BOM, SEPARATOR, append_row, german_csv, german_field
from thekiz_flow.digest.tables import Cell, Kind
from thekiz_flow.web.endpoints import Context, page

__all__ = ["BOM", "SEPARATOR", "Export", "csv_bytes", "download", "german_field", "xlsx_bytes"]

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS: dict[Kind, str] = {
    "int": "0",
    "number": "#,##0.0#",
    "euro": '#,##0.00 "€"',
    "percent": "0.0%",
    "date": "DD.MM.YYYY",
}
MIN_WIDTH, MAX_WIDTH = 8, 60
FORMATS_OF = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}


@dataclass(frozen=True)
class Export:
    """A table to download: its name (of the file and the worksheet), columns and rows."""

    name: str  # the file's name without extension; the sheet's title (at most 31 characters)
    titles: Sequence[str]
    kinds: Sequence[Kind]
    rows: Sequence[Sequence[Cell]]


def csv_bytes(table: Export) -> bytes:
    """The table as a CSV that German Excel opens correctly (see the module)."""
    return german_csv(table.titles, table.rows)


def xlsx_bytes(table: Export) -> bytes:
    """The table as a workbook of one sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.name[:31]
    append_row(sheet, table.titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        append_row(sheet, row)
    for index, kind in enumerate(table.kinds, start=1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
        longest = max(
            [len(table.titles[index - 1]), *(len(_shown(r[index - 1])) for r in table.rows)]
        )
        width = min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _shown(value: Cell) -> str:
    return "00.00.0000" if isinstance(value, date) else german_field(value)


def download(table: Export, kind: str) -> Response:
    """The table as a file to save (``kind``: ``csv`` or ``xlsx``)."""
    data = csv_bytes(table) if kind == "csv" else xlsx_bytes(table)
    filename = f"{table.name}.{kind}"
    return Response(
        data,
        media_type=FORMATS_OF[kind],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def export_routes(path: str, table: Callable[[Context], Export], *roles: Role) -> list[Route]:
    """``{path}/export.csv`` and ``{path}/export.xlsx``: what ``table`` makes of the request
    (the list as its page shows it, every page of it), as a file for the ``roles``."""

    def endpoint(kind: str) -> Callable[[Context], Response]:
        return lambda ctx: download(table(ctx), kind)

    return [
        Route(f"{path}/export.{kind}", page(*roles)(endpoint(kind)), methods=["GET"])
        for kind in FORMATS_OF
    ]
