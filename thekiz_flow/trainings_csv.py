"""Read a training catalogue CSV file (UTF-8, comma or semicolon separated, header first).

Columns, all required: kind, title, date, place, capacity.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from thekiz_flow.centres_csv import read_text
from thekiz_flow.errors import InvalidInput

COLUMNS = ("kind", "title", "date", "place", "capacity")


@dataclass(frozen=True)
class TrainingInput:
    """An offering as typed on the command line or read from one CSV row (unchecked)."""

    kind: str
    title: str
    date: str
    place: str
    capacity: str


def _header(path: Path, header: list[str]) -> list[str]:
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h not in COLUMNS]
    if unknown:
        known = ", ".join(COLUMNS)
        raise InvalidInput(f"{path}: Zeile 1: unbekannte Spalte {unknown[0]!r} (möglich: {known})")
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InvalidInput(f"{path}: Zeile 1: Spalte {missing[0]!r} fehlt")
    if len(set(names)) != len(names):
        raise InvalidInput(f"{path}: Zeile 1: eine Spalte steht doppelt")
    return names


def read_trainings(path: Path) -> tuple[list[tuple[int, TrainingInput]], list[tuple[int, str]]]:
    """The rows with their line numbers, and the problems of rows that could not be read."""
    lines = read_text(path).splitlines(keepends=True)
    if not lines:
        raise InvalidInput(f"{path}: die Datei ist leer")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: list[tuple[int, TrainingInput]] = []
    problems: list[tuple[int, str]] = []
    try:
        header = _header(path, next(reader))
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) != len(header):
                    problems.append((line, f"{len(record)} statt {len(header)} Spalten"))
                else:
                    rows.append((line, TrainingInput(**dict(zip(header, record, strict=True)))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"{path}: Zeile {reader.line_num}: kein gültiges CSV ({exc})") from None
    return rows, problems
