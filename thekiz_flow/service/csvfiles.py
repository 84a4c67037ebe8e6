"""The import files: centres and trainings, read by :mod:`thekiz_flow.core.csvtext`.

UTF-8 (with or without a byte order mark) or Windows-1252; semicolon, comma or tab
separated; a header in the first line, each column by its German or English name.

Centres: Name, Kreis, E-Mail (required); Träger, Prozessbegleitung, Stufe, seit,
fortgesetzt in (optional). Trainings: Art, Titel, Datum, Ort, Plätze (all required).
A row that cannot be read is a problem with its line number, not a reason to stop reading:
the caller reports every problem at once and imports nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from thekiz_flow.core import csvtext
from thekiz_flow.core.errors import Field, InvalidInput
from thekiz_flow.core.model import CentreInput, TrainingInput

#: Each column's names: the German one first (shown in messages), then the English one
#: (its key) and others the office may write.
CENTRE_COLUMNS: dict[Field, tuple[str, ...]] = {
    "name": ("Name", "name"),
    "district": ("Kreis", "district", "Landkreis"),
    "email": ("E-Mail", "email", "E-Mail-Adresse", "Mail"),
    "carrier": ("Träger", "carrier", "Traeger"),
    "coach": ("Prozessbegleitung", "coach"),
    "stage": ("Stufe", "stage"),
    "stage_since": ("seit", "stage_since", "Stufe seit", "in der Stufe seit"),
    "resume_stage": ("fortgesetzt in", "resume_stage", "fortsetzen in"),
}
CENTRE_REQUIRED = ("name", "district", "email")
CENTRE_OPTIONAL = ("carrier", "coach", "stage", "stage_since", "resume_stage")
TRAINING_COLUMNS: dict[Field, tuple[str, ...]] = {
    "kind": ("Art", "kind", "Fortbildungsart"),
    "title": ("Titel", "title"),
    "date": ("Datum", "date"),
    "place": ("Ort", "place"),
    "capacity": ("Plätze", "capacity", "Plaetze", "Kapazität"),
}

Problems = list[tuple[int, str]]


@dataclass(frozen=True)
class Table:
    """An import file's rows, each with its line number, and the lines that are no row."""

    rows: list[tuple[int, dict[Field, str]]]
    unreadable: Problems
    headers: dict[Field, str]  # each column's name as the file writes it
    names: Mapping[Field, Sequence[str]]  # each column's names, the German one first

    def column(self, key: Field | None) -> str | None:
        """How a message names the column ``key``: as the file does, or by its German name."""
        if key is None:
            return None
        return self.headers.get(key) or (self.names[key][0] if key in self.names else key)

    def quoted(self, key: Field) -> str:
        """The column ``key`` in a message's text: ``„Stufe“``."""
        return f"„{self.column(key)}“"


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(None, f"{path}: Datei nicht gefunden") from None
    except OSError as exc:
        raise InvalidInput(None, f"{path}: Datei nicht lesbar ({exc.strerror})") from None


def parse_rows(
    data: bytes, source: str, names: Mapping[Field, Sequence[str]], required: Sequence[Field]
) -> Table:
    """The rows of a file's bytes; ``source`` names the file in the messages."""
    lines = csvtext.decoded(source, data).splitlines(keepends=True)
    if not lines:
        raise InvalidInput(None, f"{source}: die Datei ist leer")
    every = [name for aliases in names.values() for name in aliases]
    reader = csv.reader(lines, delimiter=csvtext.separator(lines[0], every), strict=True)
    rows: list[tuple[int, dict[Field, str]]] = []
    problems: Problems = []
    try:
        written = next(reader)
        header = csvtext.columns(source, written, names, required)
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) != len(header):
                    problems.append((line, f"{len(record)} statt {len(header)} Spalten"))
                elif any(v.strip() for k, v in zip(header, record, strict=True) if not k):
                    problems.append((line, "ein Wert in einer Spalte ohne Namen in Zeile 1"))
                else:
                    cells = zip(header, record, strict=True)
                    rows.append((line, {key: value for key, value in cells if key}))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(
            None, f"{source}: Zeile {reader.line_num}: kein gültiges CSV ({exc})"
        ) from None
    headers = {key: cell.strip() for key, cell in zip(header, written, strict=True) if key}
    return Table(rows, problems, headers, names)


def parse_centres(data: bytes, source: str) -> tuple[list[tuple[int, CentreInput]], Table]:
    table = parse_rows(data, source, CENTRE_COLUMNS, CENTRE_REQUIRED)
    given = [
        (line, CentreInput(**{key: row.get(key) for key in CENTRE_COLUMNS}))
        for line, row in table.rows
    ]
    return given, table


def parse_trainings(data: bytes, source: str) -> tuple[list[tuple[int, TrainingInput]], Table]:
    table = parse_rows(data, source, TRAINING_COLUMNS, tuple(TRAINING_COLUMNS))
    return [(line, TrainingInput(**row)) for line, row in table.rows], table
