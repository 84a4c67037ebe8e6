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
_DECIMAL = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")  # a sign only to say "more than 0"
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
    """Hours or money as people type them: ``3``, ``2,5`` or ``2.5`` (ASCII digits, one
    decimal comma or point, at most two decimals), more than 0; ``unit`` may follow (``€``).
    Nothing else Python reads as a number: no ``1e1``, ``٣``, ``inf``, ``1_0``."""
    text = value.strip()
    if unit:
        text = text.removesuffix(unit).rstrip()
    if not _DECIMAL.fullmatch(text):
        raise InvalidInput(field, f"keine Zahl: {value!r} (z. B. 3 oder 2,5)")
    number = Decimal(text.replace(",", "."))
    if number <= 0 or number > maximum:
        raise InvalidInput(field, f"muss größer als 0 und höchstens {maximum} sein, nicht {value}")
    if number != number.quantize(Decimal("0.01")):
        raise InvalidInput(field, f"höchstens zwei Nachkommastellen, nicht {value}")
    return number


def day(field: Field, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, f"ungültiges Datum {value!r} (Format JJJJ-MM-TT)") from None


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
