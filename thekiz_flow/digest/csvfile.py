"""The per-centre rows: digest-YEAR.csv, the report's table "centres", the sheet "Einrichtungen".

digest-YEAR.csv has one row per centre and opens in German Excel by a double click
(:func:`thekiz_flow.core.csvtext.csv_bytes`, the one writer of every CSV):

- UTF-8 with a byte order mark, semicolons between fields, lines ending in CRLF, fields
  quoted where needed (a name with a semicolon or a quote);
- the German headers of the report's table (``Nr.;Einrichtung;Kreis;Stufe 1. Januar;…``);
- stages by their German names from the workflow file (``Basisbegleitung``);
- numbers with a decimal comma and no thousands separator (``1250,50``), money to the
  cent, hours as recorded; ``kein Budget`` where none of the centre's months was in a stage
  with a budget;
- the site visit as ``ja`` or ``nein``;
- a text that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return) with a single quote in front: ``'=HYPERLINK(...)``
  (:mod:`thekiz_flow.core.csvtext`).

The worksheet "Einrichtungen" and the report hold the same rows and columns, with numbers
as numbers and every text as a text cell.
"""

from __future__ import annotations

from decimal import Decimal

from thekiz_flow.core import csvtext
from thekiz_flow.digest.model import CentreYear, Digest
from thekiz_flow.digest.tables import NO_BUDGET, Column, Kind, Row, Table, stage_names

CENT = Decimal("0.01")

#: The columns of digest-YEAR.csv, of the worksheet "Einrichtungen" and of the report.
CENTRE_TITLES = tuple(
    "Nr.|Einrichtung|Kreis|Stufe 1. Januar|Stufe 31. Dezember|Termine gehalten|Stunden|Kosten|"
    "Budget (anteilig)|Vor-Ort-Besuch|Fortbildungen besucht".split("|")
)
DISTRICT_TITLE = CENTRE_TITLES[2]
CSV_KINDS: tuple[Kind, ...] = (
    ("int",) + ("text",) * 4 + ("int", "number", "euro", "euro", "text", "int")
)


def centres_table(digest: Digest) -> Table:
    """The per-centre table: German headers and stage names, money to the cent."""
    names = stage_names(digest)
    rows = []
    for record in (centre_record(centre) for centre in digest.centres):
        start, end = (names.get(str(stage), str(stage)) for stage in record[3:5])
        rows.append((*record[:3], start, end, *record[5:]))
    columns = tuple(Column(t, k) for t, k in zip(CENTRE_TITLES, CSV_KINDS, strict=True))
    caption = f"Einrichtungen im Jahr {digest.year}"
    return Table("centres", caption, "Einrichtungen", columns, tuple(rows))


def centre_record(centre: CentreYear) -> Row:
    """One centre's values with the stage ids as stored, money to the cent."""
    return (
        centre.id,
        centre.name,
        centre.district,
        centre.stage_start,
        centre.stage_end,
        centre.sessions_held,
        centre.hours,
        centre.cost.quantize(CENT),
        NO_BUDGET if centre.budget is None else centre.budget.quantize(CENT),
        "ja" if centre.site_visit_held else "nein",
        centre.trainings_attended,
    )


def csv_bytes(digest: Digest) -> bytes:
    """digest-YEAR.csv (see the module)."""
    table = centres_table(digest)
    return csvtext.csv_bytes([column.title for column in table.columns], table.rows)
