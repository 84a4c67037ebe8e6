"""Time travel: one tick per calendar day with a frozen clock, through the same code as `run`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from rich.progress import Progress

from thekiz_flow.clock import FrozenClock
from thekiz_flow.service import Service
from thekiz_flow.service.ticks import TickReport

SIMULATED_HOUR = time(7)


def simulate_days(
    service: Service,
    clock: FrozenClock,
    start: date,
    end: date,
    each_day: Callable[[date], object] | None = None,
) -> TickReport:
    """Tick every day from ``start`` to ``end`` at 07:00 local time; then ``each_day``."""
    total = TickReport()
    days = (end - start).days + 1
    with Progress(transient=True) as progress:
        task = progress.add_task("Simulation", total=days)
        for offset in range(days):
            day = start + timedelta(days=offset)
            clock.set(datetime.combine(day, SIMULATED_HOUR, service.zone))
            total.add(service.tick())
            if each_day is not None:
                each_day(day)
            progress.advance(task)
    return total
