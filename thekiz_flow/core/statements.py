"""A coach's monthly fee statement: the sessions held, their amounts, totals, a number.

Each held coaching session is billed at the rate recorded with it: the rate in force on
the day it was held (``core/rates.py``), or the one a correction set. Its amount is hours
times rate, rounded half up to the cent once per session; the totals are sums of these
cents, so the document's figures add up exactly.

A statement is reproducible: it is derived from what is recorded, holds no moment of
printing, and carries a checksum of its figures. The same month gives the same figures and
checksum; a correction recorded after the month ended changes them, and the statement then
says so ("berichtigte Fassung") and lists the corrections.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from thekiz_flow.core import german
from thekiz_flow.core.errors import InvalidInput

CENT = Decimal("0.01")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date.fromordinal(self.following.first.toordinal() - 1)

    @property
    def following(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def key(self) -> str:
        """2026-03"""
        return f"{self.year:04}-{self.month:02}"

    @property
    def name(self) -> str:
        """März 2026"""
        return german.long_month(self.first)


def parse_month(field: str, value: str) -> Month:
    """A month typed as ``JJJJ-MM``."""
    found = _MONTH.fullmatch(value.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise InvalidInput(field, f"ungültiger Monat {value!r} (Format JJJJ-MM)")
    return Month(int(found.group(1)), int(found.group(2)))


def amount(hours: Decimal, rate: Decimal) -> Decimal:
    """What a session costs: hours times rate, to the cent (half up)."""
    return (hours * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def number(month: Month, coach_id: int) -> str:
    """Abrechnung 2026-03-P7: the month and the coach (P: Prozessbegleitung)."""
    return f"Abrechnung {month.key}-P{coach_id}"


@dataclass(frozen=True)
class Line:
    """One held session on the statement."""

    activity_id: int
    day: date
    centre: str
    district: str
    hours: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class DistrictTotal:
    district: str
    sessions: int
    hours: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Statement:
    """A coach's fee statement of one month."""

    number: str
    coach_id: int
    coach: str  # the coach's name
    month: Month
    lines: tuple[Line, ...]
    districts: tuple[DistrictTotal, ...]  # by district name
    hours: Decimal
    total: Decimal
    provisional: bool  # the month is not over yet
    corrections: tuple[str, ...]  # corrections recorded after the month, as sentences
    corrected_since: datetime | None  # the first of them

    @property
    def corrected(self) -> bool:
        return bool(self.corrections)

    @property
    def edition(self) -> int:
        """1 for the statement as first recorded, one more per later correction."""
        return 1 + len(self.corrections)

    @property
    def checksum(self) -> str:
        """A fingerprint of every figure and text of the statement: 4 groups of 4."""
        content = {
            "number": self.number,
            "coach": [self.coach_id, self.coach],
            "month": self.month.key,
            "lines": [
                [
                    line.activity_id,
                    line.day.isoformat(),
                    line.centre,
                    line.district,
                    f"{line.hours:f}",
                    f"{line.rate:f}",
                    f"{line.amount:f}",
                ]
                for line in self.lines
            ],
            "total": f"{self.total:f}",
            "provisional": self.provisional,
            "corrections": list(self.corrections),
        }
        text = json.dumps(content, ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16].upper()
        return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def build(
    coach_id: int,
    coach: str,
    month: Month,
    lines: Sequence[Line],
    provisional: bool,
    corrections: Sequence[tuple[datetime, str]] = (),
) -> Statement:
    """The statement of ``lines`` (in any order) and the corrections recorded after the
    month (moment, sentence)."""
    ordered = tuple(sorted(lines, key=lambda line: (line.day, line.centre, line.activity_id)))
    districts = []
    for name in sorted({line.district for line in ordered}):
        own = [line for line in ordered if line.district == name]
        districts.append(
            DistrictTotal(
                name,
                len(own),
                sum((line.hours for line in own), Decimal(0)),
                sum((line.amount for line in own), Decimal("0.00")),
            )
        )
    later = sorted(corrections)
    return Statement(
        number(month, coach_id),
        coach_id,
        coach,
        month,
        ordered,
        tuple(districts),
        sum((line.hours for line in ordered), Decimal(0)),
        sum((line.amount for line in ordered), Decimal("0.00")),
        provisional,
        tuple(text for _, text in later),
        later[0][0] if later else None,
    )
