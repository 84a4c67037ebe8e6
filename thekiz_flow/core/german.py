"""German formatting: every date, number and amount a user reads is written by this module.

One function per format, each named after what it writes; ``GERMAN_FILTERS`` offers them to
every set of templates (mails, digest, web pages) under the same names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = Locale.parse("de_DE")  # parsed once: every call would parse it again
FORMATTED = 4096  # dates kept formatted per format: a batch of mails repeats its dates


def short_date(value: date) -> str:
    """15.01.2026"""
    return f"{value.day:02}.{value.month:02}.{value.year:04}"


@lru_cache(maxsize=FORMATTED)
def long_date(value: date) -> str:
    """15. Januar 2026"""
    return format_date(value, format="long", locale=LOCALE)


def short_month(value: date) -> str:
    """01/2026"""
    return f"{value.month:02}/{value.year:04}"


@lru_cache(maxsize=FORMATTED)
def long_month(value: date) -> str:
    """Januar 2026"""
    return format_date(value, format="LLLL yyyy", locale=LOCALE)


def date_time(value: datetime, zone: ZoneInfo) -> str:
    """15.01.2026 08:30, the moment ``value`` in ``zone``."""
    local = value.astimezone(zone)
    return f"{short_date(local)} {local:%H:%M}"


def number(value: Decimal | int) -> str:
    """1.234,5 and 2,5 and 2: as many decimal places as the value has."""
    return format_decimal(value, locale=LOCALE)


def hours(value: Decimal) -> str:
    """1.234,5 and 2,0: always one decimal place (the columns of the terminal's tables)."""
    return _fixed(value, 1)


def euro(value: Decimal | int) -> str:
    """1.234,50 € with a no-break space: the amount never parts from its sign."""
    return format_currency(value, "EUR", locale=LOCALE)


def euro_plain(value: Decimal) -> str:
    """1.234,50 € with an ordinary space (the terminal's tables and lines)."""
    return f"{_fixed(value, 2)} €"


def percent(value: Decimal) -> str:
    """0.8431 -> 84,3 % with a no-break space, like :func:`euro`."""
    return format_percent(value, format="#,##0.0\xa0%", locale=LOCALE)


def _fixed(value: Decimal, places: int) -> str:
    """1234.5 -> "1.234,5": the thousands dot and decimal comma, exactly ``places`` places."""
    text = f"{value:,.{places}f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


# The German filters of every set of templates (mails, digest, web pages).
GERMAN_FILTERS: dict[str, Callable[..., str]] = {
    "short_date": short_date,
    "long_date": long_date,
    "long_month": long_month,
    "number": number,
    "euro": euro,
    "percent": percent,
}
