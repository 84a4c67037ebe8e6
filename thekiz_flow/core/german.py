"""German formatting of dates, numbers and amounts (Babel, locale de_DE): the filters of every
set of templates (mails, digest, web pages) and of the calendar feeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALE = Locale.parse("de_DE")  # parsed once: every filter call would parse it again
FORMATTED = 4096  # dates kept formatted per filter: a batch of mails repeats its dates


@lru_cache(maxsize=FORMATTED)
def german_date(value: date) -> str:
    """15. Januar 2026"""
    return format_date(value, format="long", locale=LOCALE)


@lru_cache(maxsize=FORMATTED)
def german_short_date(value: date) -> str:
    """15.01.2026"""
    return format_date(value, format="dd.MM.yyyy", locale=LOCALE)


@lru_cache(maxsize=FORMATTED)
def german_month(value: date) -> str:
    """ "November 2026"."""
    return format_date(value, format="LLLL yyyy", locale=LOCALE)


def german_number(value: Decimal | int) -> str:
    """2,5 (hours and other plain numbers)"""
    return format_decimal(value, locale=LOCALE)


def euro(value: Decimal | int) -> str:
    """1.234,50 €"""
    return format_currency(value, "EUR", locale=LOCALE)


# The German filters of every set of templates (mails, digest, web pages).
GERMAN_FILTERS: dict[str, Callable[..., str]] = {
    "german_date": german_date,
    "german_short_date": german_short_date,
    "german_month": german_month,
    "german_number": german_number,
    "euro": euro,
}
