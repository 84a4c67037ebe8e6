"""A coach's hourly rates over time: each in force from its day on, until the next one's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Rate:
    """One entry of a coach's rate history (append-only)."""

    coach_id: int
    rate: Decimal
    valid_from: date
    recorded_at: datetime
    actor: str
    id: int | None = None


def in_force(history: Sequence[Rate], day: date) -> Rate | None:
    """The entry in force on ``day``: of those from that day or earlier, the latest (the one
    recorded last of a day); before the first, the first; None without any."""
    ordered = sorted(history, key=lambda r: (r.valid_from, r.id or 0))
    found = [r for r in ordered if r.valid_from <= day]
    if found:
        return found[-1]
    return ordered[0] if ordered else None
