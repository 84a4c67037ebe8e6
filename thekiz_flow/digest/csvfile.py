"""The per-centre rows: digest-YEAR.csv, the report's table "centres", the sheet "Einrichtungen".

digest-YEAR.csv has one row per centre, for programs rather than people:

- UTF-8 without a byte order mark, comma-separated, lines ending in CRLF (RFC 4180), fields
  quoted by the csv module where needed (a name with a comma or a quote);
- the header ``id,name,district,stage_start,stage_end,sessions_held,hours,cost,budget,
  site_visit_held,trainings_attended``;
- stages by their ids as stored (``basisbegleitung``), as ``--json`` and the import do;
- numbers with a dot as the decimal mark and no thousands separator (``1250.50``), money
  to the cent, hours as recorded;
- ``site_visit_held`` as ``ja`` or ``nein``: the word the office reads in the workbook and
  the report, rather than ``true``/``1``, which a German spreadsheet may turn into
  ``WAHR`` or a number;
- a text that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return) with a single quote in front: ``'=HYPERLINK(...)``
  (:mod:`thekiz_flow.digest.cells`).

The worksheet "Einrichtungen" holds the same rows and columns, with numbers as numbers
and every text as a text cell.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from thekiz_flow.digest.cells import csv_field
from thekiz_flow.digest.model import CentreYear, Digest
from thekiz_flow.digest.tables import Column, Kind, Row, Table, stage_names

CENT = Decimal("0.01")

#: The columns of digest-YEAR.csv and of the worksheet "Einrichtungen".
CSV_HEADER = tuple(
    "id,name,district,stage_start,stage_end,sessions_held,hours,cost,budget,"
    "site_visit_held,trainings_attended".split(",")
)
#: The same columns in the report.
CENTRE_TITLES = tuple(
    "Nr.|Einrichtung|Kreis|Stufe 1. Januar|Stufe 31. Dezember|Termine gehalten|Stunden|Kosten|"
    "Budget (anteilig)|Vor-Ort-Besuch|Fortbildungen besucht".split("|")
)
CSV_KINDS: tuple[Kind, ...] = (
    ("int",) + ("text",) * 4 + ("int", "number", "euro", "euro", "text", "int")
)


def centres_table(digest: Digest) -> Table:
    """The per-centre table of the report: the CSV's rows with German headers and stage names."""
    names = stage_names(digest)
    rows = []
    for record in map(centre_record, digest.centres):
        start, end = (names.get(str(stage), str(stage)) for stage in record[3:5])
        rows.append((*record[:3], start, end, *record[5:]))
    columns = tuple(Column(t, k) for t, k in zip(CENTRE_TITLES, CSV_KINDS, strict=True))
    caption = f"Einrichtungen im Jahr {digest.year}"
    return Table("centres", caption, "Einrichtungen", columns, tuple(rows))


def centre_record(centre: CentreYear) -> Row:
    """One row of digest-YEAR.csv as values: stage ids as stored, money to the cent."""
    return (
        centre.id,
        centre.name,
        centre.district,
        centre.stage_start,
        centre.stage_end,
        centre.sessions_held,
        centre.hours,
        centre.cost.quantize(CENT),
        centre.budget.quantize(CENT),
        "ja" if centre.site_visit_held else "nein",
        centre.trainings_attended,
    )


def csv_text(digest: Digest) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for centre in digest.centres:
        writer.writerow(csv_field(value) for value in centre_record(centre))
    return buffer.getvalue()
