"""Checks of what people type: each failure is one German line about the field (a key of
:mod:`thekiz_flow.core.errors`, such as ``"email"``), which each front end names its own way."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from thekiz_flow.core.errors import Field, InvalidInput

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9](?:[0-9.,]*[0-9])?")  # a number's digits and separators
_GROUP_START = re.compile(r"[1-9][0-9]{0,2}")  # what may stand before a thousands separator
# the years a day may lie in: days near date's limits would overflow a month or a day on
FIRST_YEAR, LAST_YEAR = 1900, 2999
_GERMAN_DAY = re.compile(r"(?P<day>[0-9]{1,2})\.(?P<month>[0-9]{1,2})\.(?P<year>[0-9]{4})")
_ISO_DAY = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")
#: The formats of a day, as messages and help texts name them.
DAY_FORMATS = "TT.MM.JJJJ oder JJJJ-MM-TT"
WEEKDAYS = {"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4}  # a centre's preferred session day
NO_WEEKDAY = "keiner"
S = TypeVar("S", bound=str)  # a string, or a member of a StrEnum


def text(field: Field, value: str | None, *, required: bool = True, limit: int = 200) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput(field, "darf nicht leer sein")
        return None
    if _CONTROL.search(value):
        raise InvalidInput(field, "enthält Steuerzeichen (z. B. einen Zeilenumbruch)")
    return _within(field, value, limit)


def lines(field: Field, value: str | None, *, limit: int = 2000) -> str | None:
    """Optional text of several lines (a note typed into a text area): each line break kept
    as LF, whatever the browser sent; other control characters are refused."""
    value = "\n".join(line.rstrip() for line in (value or "").strip().splitlines())
    if not value:
        return None
    if _CONTROL.search(value.replace("\n", "")):
        raise InvalidInput(field, "enthält Steuerzeichen")
    return _within(field, value, limit)


def _within(field: Field, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidInput(field, f"höchstens {limit} Zeichen, nicht {len(value)}")
    return value


def required_text(field: Field, value: str | None, limit: int = 200) -> str:
    result = text(field, value, limit=limit)
    assert result is not None
    return result


def email(field: Field, value: str | None) -> str:
    result = required_text(field, value, limit=320)
    if not EMAIL.match(result) or "." not in result.rsplit("@", 1)[1]:
        raise InvalidInput(field, f"ungültige E-Mail-Adresse {result!r}")
    return result


def amount(field: Field, value: str, *, maximum: Decimal, unit: str = "") -> Decimal:
    """Hours or money as people type them (:func:`number`), more than 0 and at most
    ``maximum``, with at most two decimals; ``unit`` (``€``) may stand before or after it.
    The range is the safety net of the German-first reading: ``62.500`` € is 62500 €, refused."""
    found = number(field, value, unit=unit)
    typed = value.strip()
    if found <= 0 or found > maximum:
        limit = format(maximum, "f").replace(".", ",")
        thousands = re.fullmatch(r"[^,]*[0-9]\.[0-9]{3}[^,]*", typed)  # 62.500: German first
        shown = f"{typed} (gelesen als {found})" if thousands else typed
        raise InvalidInput(field, f"muss größer als 0 und höchstens {limit} sein, nicht {shown}")
    if found != found.quantize(Decimal("0.01")):
        hint = " (Tausender bitte mit Punkt: 1.234)" if re.search(r",[0-9]{3}$", typed) else ""
        raise InvalidInput(field, f"höchstens zwei Nachkommastellen, nicht {typed}{hint}")
    return found


def number(field: Field, value: str, *, unit: str = "") -> Decimal:
    """A number as the office writes it, read German first (README, "Dates and amounts"):

    - a comma is the decimal mark: ``62,5``, ``62,50``, ``1,234`` (one point two three four);
    - a point before groups of exactly three digits is the thousands separator: ``1.234``
      (1234), ``1.234.567``, ``1.234,50``;
    - English only where the German reading is impossible: a point before one, two or more
      than three digits is the decimal mark (``62.50``, ``2.5``); with both marks the last
      is the decimal mark (``1,234.50``); several commas group thousands (``1,234,567``);
    - anything else is refused: ``1.23,45``, ``1,2,3``, ``1e3``, ``٣``, ``inf``, ``1_0``;
    - ``unit`` may precede or follow, with or without a space (``62,50 €``, ``€ 62,50``);
      for ``€`` also ``EUR``. A leading ``-`` is read (a range check then says "more than 0").

    :func:`thekiz_flow.core.german.number` and ``euro`` write what this reads back."""
    text = _without_unit(value.strip(), unit)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    if not _DIGITS.fullmatch(text):
        raise InvalidInput(field, f"keine Zahl: {value!r} (z. B. „2,5“ oder „1.234,50“)")
    marks = [c for c in text if c in ".,"]
    if not marks:
        return Decimal(sign + text)
    last = marks[-1]
    whole, _, fraction = text.rpartition(last)
    if len(set(marks)) == 2:  # 1.234,50 or 1,234.50: the last mark is the decimal mark
        separator = "," if last == "." else "."
    elif last == "," and len(marks) == 1:  # 62,50 and 1,234: the German decimal comma
        return Decimal(f"{sign}{whole}.{fraction}")
    elif _grouped(text, last):  # 1.234 and 1.234.567 (German), 1,234,567 (English)
        whole, fraction, separator = text, "", last
    elif last == "." and len(marks) == 1:  # 62.50, 2.5, 0.125: a decimal point
        return Decimal(f"{sign}{whole}.{fraction}")
    else:
        separator = ""
    if not separator or not _grouped(whole, separator):
        raise InvalidInput(
            field, f"keine Zahl: {value!r} (Tausender in Dreiergruppen, z. B. 1.234,50)"
        )
    digits = whole.replace(separator, "")
    return Decimal(f"{sign}{digits}.{fraction}" if fraction else sign + digits)


def _grouped(whole: str, separator: str) -> bool:
    """``1.234`` or ``12,345,678``: one to three digits (not 0), then groups of three."""
    head, *groups = whole.split(separator)
    return (
        bool(groups)
        and bool(_GROUP_START.fullmatch(head))
        and all(len(g) == 3 and g.isdigit() for g in groups)
    )


def _without_unit(text: str, unit: str) -> str:
    for sign in (unit, "EUR") if unit == "€" else (unit,) if unit else ():
        if text.upper().endswith(sign.upper()):
            return text[: -len(sign)].strip()
        if text.upper().startswith(sign.upper()):
            return text[len(sign) :].strip()
    return text


def day(field: Field, value: str) -> date:
    """A day as ``TT.MM.JJJJ`` (also ``T.M.JJJJ``: German Excel, the office) or ``JJJJ-MM-TT``
    (ISO: the browser's date fields, scripts), with a year of four digits. Nothing else: no
    ``15.03.25`` (which century?), no ``03/15/2025``, no ISO week dates."""
    text = value.strip()
    found = _GERMAN_DAY.fullmatch(text) or _ISO_DAY.fullmatch(text)
    if found is None:
        raise InvalidInput(field, f"ungültiges Datum {value!r} (Format {DAY_FORMATS})")
    if not FIRST_YEAR <= int(found["year"]) <= LAST_YEAR:
        raise InvalidInput(
            field, f"ungültiges Datum {value!r}: Jahr nicht zwischen {FIRST_YEAR} und {LAST_YEAR}"
        )
    try:
        return date(int(found["year"]), int(found["month"]), int(found["day"]))
    except ValueError:
        raise InvalidInput(field, f"ungültiges Datum {value!r}: diesen Tag gibt es nicht") from None


def identifier(field: Field, value: str) -> int:
    """A whole number of ASCII digits (ids: :func:`thekiz_flow.core.ids.parse_id`)."""
    text = value.strip()
    try:
        if text.isascii() and text.isdigit():
            return int(text)
    except ValueError:  # longer than Python converts (4300 digits)
        pass
    raise InvalidInput(field, f"ungültige Nummer {value!r}")


def choice(field: Field, value: str, options: Iterable[S], unknown: str) -> S:
    """One of ``options`` (strings, or the members of a ``StrEnum``), matched
    case-insensitively; suggests close matches otherwise."""
    options = list(options)
    wanted = value.strip().casefold()
    for option in options:
        if option.casefold() == wanted:
            return option
    folded = {option.casefold(): option for option in options}
    close = [folded[c] for c in difflib.get_close_matches(wanted, list(folded), n=3, cutoff=0.6)]
    if close:
        hint = f"; meinten Sie {' oder '.join(repr(str(c)) for c in close)}?"
    elif len(options) <= 10:
        hint = f" (möglich: {', '.join(options)})"
    else:
        hint = ""
    raise InvalidInput(field, f"{unknown} {value!r}{hint}")


def weekday(field: Field, value: str) -> int | None:
    """A preferred weekday ``mo`` to ``fr`` (0 = Monday), or None for ``keiner``."""
    found = choice(field, value, [*WEEKDAYS, NO_WEEKDAY], "unbekannter Wochentag")
    return WEEKDAYS.get(found)
