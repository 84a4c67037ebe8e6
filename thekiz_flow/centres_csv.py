"""Read a centres CSV file (UTF-8, comma or semicolon separated, header in the first line).

Columns: name, district, email (required); carrier, coach, stage, stage_since (optional).
"""

from __future__ import annotations

import csv
from pathlib import Path

from thekiz_flow.errors import InvalidInput
from thekiz_flow.model import CentreInput

REQUIRED = ("name", "district", "email")
OPTIONAL = ("carrier", "coach", "stage", "stage_since")


def _header(path: Path, header: list[str]) -> list[str]:
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h not in REQUIRED + OPTIONAL]
    if unknown:
        known = ", ".join(REQUIRED + OPTIONAL)
        raise InvalidInput(f"{path}: Zeile 1: unbekannte Spalte {unknown[0]!r} (möglich: {known})")
    missing = [r for r in REQUIRED if r not in names]
    if missing:
        raise InvalidInput(f"{path}: Zeile 1: Spalte {missing[0]!r} fehlt")
    if len(set(names)) != len(names):
        raise InvalidInput(f"{path}: Zeile 1: eine Spalte steht doppelt")
    return names


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: Datei nicht gefunden") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: keine UTF-8-Datei") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: Datei nicht lesbar ({exc.strerror})") from None


def read_centres(path: Path) -> tuple[list[tuple[int, CentreInput]], list[tuple[int, str]]]:
    """The rows with their line numbers, and the problems of rows that could not be read."""
    lines = read_text(path).splitlines(keepends=True)
    if not lines:
        raise InvalidInput(f"{path}: die Datei ist leer")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = _header(path, next(reader))
        rows: list[tuple[int, CentreInput]] = []
        problems: list[tuple[int, str]] = []
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) != len(header):
                    problems.append((line, f"{len(record)} statt {len(header)} Spalten"))
                else:
                    values = dict(zip(header, record, strict=True))
                    rows.append(
                        (line, CentreInput(**{k: values.get(k) for k in REQUIRED + OPTIONAL}))
                    )
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"{path}: Zeile {reader.line_num}: kein gültiges CSV ({exc})") from None
    return rows, problems
