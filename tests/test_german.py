"""German formatting: one function per format, and the same names as template filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from jinja2 import Environment, StrictUndefined

from thekiz_flow.core import german
from thekiz_flow.core.german import GERMAN_FILTERS

BERLIN = ZoneInfo("Europe/Berlin")


def test_dates_and_months() -> None:
    assert german.short_date(date(2026, 1, 15)) == "15.01.2026"
    assert german.long_date(date(2026, 1, 15)) == "15. Januar 2026"
    assert german.short_month(date(2026, 7, 1)) == "07/2026"
    assert german.long_month(date(2026, 11, 3)) == "November 2026"
    assert german.date_time(datetime(2026, 1, 15, 7, 30, tzinfo=UTC), BERLIN) == "15.01.2026 08:30"


def test_short_date_is_the_day_month_year_of_strftime() -> None:
    day = date(2024, 1, 1)
    while day.year < 2029:
        assert german.short_date(day) == day.strftime("%d.%m.%Y")
        day += timedelta(days=1)


def test_numbers_and_amounts() -> None:
    assert german.number(Decimal("2.50")) == "2,5"
    assert german.number(Decimal("1234.5")) == "1.234,5"
    assert german.number(3) == "3"
    assert german.hours(Decimal("2")) == "2,0"
    assert german.hours(Decimal("1234.5")) == "1.234,5"
    assert german.euro(Decimal("1234.5")) == "1.234,50\xa0€"
    assert german.euro_plain(Decimal("1234.5")) == "1.234,50 €"
    assert german.percent(Decimal("0.8431")) == "84,3\xa0%"


def test_the_filters_carry_the_names_of_the_functions() -> None:
    env = Environment(undefined=StrictUndefined)
    env.filters.update(GERMAN_FILTERS)
    text = env.from_string(
        "{{ d | short_date }} | {{ d | long_date }} | {{ d | long_month }} | "
        "{{ n | number }} | {{ n | euro }} | {{ p | percent }}"
    ).render(d=date(2026, 1, 15), n=Decimal("1234.5"), p=Decimal("0.5"))
    assert (
        text == "15.01.2026 | 15. Januar 2026 | Januar 2026 | 1.234,5 | 1.234,50\xa0€ | 50,0\xa0%"
    )
    assert all(GERMAN_FILTERS[name] is getattr(german, name) for name in GERMAN_FILTERS)
