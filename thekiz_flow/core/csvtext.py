"""CSV files as German Excel writes and reads them: the one reader and the one writer.

Reading (the import files):

- the encoding: UTF-8, with or without a byte order mark, is tried first and strictly; a
  file that is not UTF-8 is read as Windows-1252 (German Excel's "CSV (Trennzeichen-
  getrennt)"), unless it cannot be: a byte Windows-1252 does not have, a control
  character, UTF-16 (Excel's "Unicode-Text"), or a sign of another 8-bit encoding (a
  DOS or Mac file, whose umlauts Windows-1252 reads as „Š†™“ inside a word) refuses the
  file instead of importing wrong letters;
- the separator: semicolon, comma or tab, whichever splits the header line into the most
  known columns;
- the header: each column by any of its names (German or English), ignoring case, spaces
  and underscores (``E-Mail``, ``email``; ``stage_since``, ``Stufe seit``).

Writing (every CSV file the project writes, :func:`csv_bytes`): UTF-8 with a byte order
mark (without it Excel reads Windows-1252), a semicolon between fields (German Windows'
list separator), CRLF, numbers with a decimal comma and no thousands separator
(``62,50``), days as ``TT.MM.JJJJ``; a text that Excel would run as a formula (``=``,
``+``, ``-``, ``@``, a tab or a carriage return first) gets a single quote in front
(OWASP's rule against CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from thekiz_flow.core.errors import InvalidInput

BOM = "\ufeff"
SEPARATOR = ";"
SEPARATORS = (";", ",", "\t")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What Windows-1252 has in 0x80-0x9F (€ „ … Š ™ š ...): inside a word only in a file of
#: another encoding. DOS (cp850) writes ä, ö as 0x84, 0x94; Mac Roman ä, ö, ü, Ä as 0x8A,
#: 0x9A, 0x9F, 0x80. The apostrophe (0x92) and the dashes (0x96, 0x97) may stand in a word.
_HIGH = bytes(
    b for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x92, 0x96, 0x97)
)
_FOREIGN = re.compile(rf"(?<=[^\W\d_])[{re.escape(_HIGH.decode('cp1252'))}](?=[^\W\d_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAVE_AS = "bitte in Excel als „CSV UTF-8 (durch Trennzeichen getrennt)“ speichern"
Cell = str | int | Decimal | date | None


def decoded(source: str, data: bytes) -> str:
    """The text of a file's bytes (see the module); ``source`` names the file in messages."""
    if data.startswith(b"PK\x03\x04"):
        raise InvalidInput(None, f"{source}: eine Excel-Arbeitsmappe, keine CSV-Datei; {SAVE_AS}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise InvalidInput(None, f"{source}: eine UTF-16-Datei (oder keine Textdatei); {SAVE_AS}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _windows(source, data)
    control = _CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise InvalidInput(None, f"{source}: Zeile {line}: enthält Steuerzeichen; {SAVE_AS}")
    return text


def _windows(source: str, data: bytes) -> str:
    """The text of a file that is not UTF-8, if it is Windows-1252 beyond doubt."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise InvalidInput(None, f"{source}: weder UTF-8 noch Windows-1252; {SAVE_AS}") from None
    foreign = _FOREIGN.search(text)
    if foreign is not None:
        line = text.count("\n", 0, foreign.start()) + 1
        before = re.search(r"[^\s;,]*$", text[: foreign.start()])
        after = re.match(r"[^\s;,]*", text[foreign.start() :])
        word = (before[0] if before else "") + (after[0] if after else "")
        raise InvalidInput(
            None,
            f"{source}: Zeile {line}: Zeichenkodierung nicht sicher erkannt ({word!r} als "
            f"Windows-1252 gelesen); {SAVE_AS}",
        )
    return text


def folded(name: str) -> str:
    """A column's name as it is compared: ``E-Mail`` = ``e-mail``, ``stage_since`` =
    ``Stage Since``."""
    return " ".join(name.replace("_", " ").casefold().split())


def separator(header: str, names: Iterable[str]) -> str:
    """The separator that splits the header line into the most known column ``names``."""
    known = {folded(n) for n in names}

    def score(candidate: str) -> tuple[int, int]:
        cells = next(csv.reader([header], delimiter=candidate), [])
        return sum(folded(c) in known for c in cells), len(cells)

    return max(SEPARATORS, key=score)


def columns(
    source: str,
    header: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> list[str]:
    """The key of each column of ``header`` (its names in ``aliases``, the key itself too);
    ``""`` for a column without a name (Excel writes ``Name;Kreis;E-Mail;;`` for a sheet
    with formatted empty columns)."""
    lookup = {folded(key): key for key in aliases}
    lookup.update({folded(name): key for key, names in aliases.items() for name in names})
    keys: list[str] = []
    for cell in header:
        if not cell.strip():
            keys.append("")
            continue
        key = lookup.get(folded(cell))
        if key is None:
            offered = ", ".join(names[0] for names in aliases.values())
            raise InvalidInput(
                None, f"{source}: Zeile 1: unbekannte Spalte {cell.strip()!r} (möglich: {offered})"
            )
        if key in keys:
            raise InvalidInput(
                None, f"{source}: Zeile 1: die Spalte „{aliases[key][0]}“ steht doppelt"
            )
        keys.append(key)
    missing = [key for key in required if key not in keys]
    if missing:
        raise InvalidInput(None, f"{source}: Zeile 1: die Spalte „{aliases[missing[0]][0]}“ fehlt")
    return keys


def field(value: Cell) -> str:
    """A value as a field of a CSV for German Excel (see the module)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, date):
        return f"{value.day:02}.{value.month:02}.{value.year:04}"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return str(value)


def csv_bytes(titles: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A table as a CSV file that German Excel opens correctly by a double click."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow([field(title) for title in titles])
    writer.writerows([field(value) for value in row] for row in rows)
    return (BOM + buffer.getvalue()).encode("utf-8")
