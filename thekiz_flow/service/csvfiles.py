"""The import files: UTF-8, comma or semicolon separated, a header in the first line.

Centres: name, district, email (required); carrier, coach, stage, stage_since, resume_stage
(optional).
Trainings: kind, title, date, place, capacity (all required).
A row that cannot be read is a problem with its line number, not a reason to stop reading:
the caller reports every problem at once and imports nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import CentreInput, TrainingInput

CENTRE_REQUIRED = ("name", "district", "email")
CENTRE_OPTIONAL = ("carrier", "coach", "stage", "stage_since", "resume_stage")
TRAINING_COLUMNS = ("kind", "title", "date", "place", "capacity")

Rows = list[tuple[int, dict[str, str]]]
Problems = list[tuple[int, str]]


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(None, f"{path}: Datei nicht gefunden") from None
    except UnicodeDecodeError:
        raise InvalidInput(None, f"{path}: keine UTF-8-Datei") from None
    except OSError as exc:
        raise InvalidInput(None, f"{path}: Datei nicht lesbar ({exc.strerror})") from None


def decoded(source: str, data: bytes) -> str:
    """The text of an uploaded file (UTF-8, with or without a byte order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(None, f"{source}: keine UTF-8-Datei") from None


def _header(
    path: Path | str, header: list[str], required: Sequence[str], optional: Sequence[str]
) -> list[str]:
    names = [h.strip().lower() for h in header]
    known = (*required, *optional)
    unknown = [h for h in names if h not in known]
    if unknown:
        listed = ", ".join(known)
        raise InvalidInput(
            None, f"{path}: Zeile 1: unbekannte Spalte {unknown[0]!r} (möglich: {listed})"
        )
    missing = [r for r in required if r not in names]
    if missing:
        raise InvalidInput(None, f"{path}: Zeile 1: Spalte {missing[0]!r} fehlt")
    if len(set(names)) != len(names):
        raise InvalidInput(None, f"{path}: Zeile 1: eine Spalte steht doppelt")
    return names


def read_rows(
    path: Path, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[Rows, Problems]:
    """Each row as a dict of its columns, with its line number; and the unreadable rows."""
    return parse_rows(read_text(path), path, required, optional)


def parse_rows(
    text: str, path: Path | str, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[Rows, Problems]:
    """``read_rows`` of a file's text; ``path`` names the file in the messages."""
    lines = text.splitlines(keepends=True)
    if not lines:
        raise InvalidInput(None, f"{path}: die Datei ist leer")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: Rows = []
    problems: Problems = []
    try:
        header = _header(path, next(reader), required, optional)
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) != len(header):
                    problems.append((line, f"{len(record)} statt {len(header)} Spalten"))
                else:
                    rows.append((line, dict(zip(header, record, strict=True))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(
            None, f"{path}: Zeile {reader.line_num}: kein gültiges CSV ({exc})"
        ) from None
    return rows, problems


def read_centres(path: Path) -> tuple[list[tuple[int, CentreInput]], Problems]:
    return parse_centres(read_text(path), path)


def parse_centres(text: str, path: Path | str) -> tuple[list[tuple[int, CentreInput]], Problems]:
    rows, problems = parse_rows(text, path, CENTRE_REQUIRED, CENTRE_OPTIONAL)
    fields = (*CENTRE_REQUIRED, *CENTRE_OPTIONAL)
    return [(n, CentreInput(**{k: r.get(k) for k in fields})) for n, r in rows], problems


def read_trainings(path: Path) -> tuple[list[tuple[int, TrainingInput]], Problems]:
    rows, problems = read_rows(path, TRAINING_COLUMNS)
    return [(n, TrainingInput(**r)) for n, r in rows], problems
