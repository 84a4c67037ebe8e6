"""Time, as one object: the service reads it, the core takes `today`/`now` as arguments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# How far a tick's time may lie beyond the real clock: the skew between two machines'
# clocks, not a jump.
TOLERANCE = timedelta(minutes=5)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class FrozenClock:
    """A clock that only moves when told to: time travel is a loop, not a mock."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def local_today(clock: Clock, zone: ZoneInfo) -> date:
    return clock.now().astimezone(zone).date()


def noon(day: date, zone: ZoneInfo) -> datetime:
    """An instant safely inside ``day`` in ``zone`` (for clocks set to a date)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone)
