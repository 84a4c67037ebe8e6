"""Time travel: one tick per calendar day with a frozen clock, through the same code as `run`.

A simulation never acts on the office's database: a tick may not run ahead of the real
clock there, and what it would do (mails, missed reminders, the digest's once-only key)
cannot be undone. It runs on a simulation database: one marked as such (the demo's), or a
copy made for it (``simulate --copy PATH``), marked in the copy only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from rich.progress import Progress
from sqlalchemy import Engine

from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.service import Service
from thekiz_flow.service.ticks import TickReport
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import require_current
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.simulation import copy_sqlite

SIMULATED_HOUR = time(8)  # a simulation's clock before its first day: the usual send_at


def simulate_days(
    service: Service,
    clock: FrozenClock,
    start: date,
    end: date,
    each_day: Callable[[date], object] | None = None,
) -> TickReport:
    """Tick every day from ``start`` to ``end`` at the reminders' send time (the workflow's
    ``send_at``, local time), so a mail due then is sent then; then ``each_day``, and a
    tick once more at the same time: what the day brought (a stage change's notice, a
    budget crossed) is sent that day, as `run`'s ticks every few minutes would."""
    total = TickReport()
    days = (end - start).days + 1
    with Progress(transient=True) as progress:
        task = progress.add_task("Simulation", total=days)
        for offset in range(days):
            day = start + timedelta(days=offset)
            clock.set(datetime.combine(day, service.workflow.send_at, service.zone))
            total.add(service.ticks.tick())
            if each_day is not None:
                each_day(day)
                total.add(service.ticks.tick())
            progress.advance(task)
    return total


def simulation_engine(engine: Engine, copy: Path | None) -> Engine:
    """The database to simulate on: ``engine``'s if it is a simulation database, else a
    copy of it in the SQLite file ``copy``; refused otherwise, nothing written.

    Only a SQLite database is copied (SQLite's online backup, consistent while in use);
    PostgreSQL is never simulated on directly.
    """
    with engine.connect() as conn:
        require_current(conn)
        if copy is None and Repository(conn).simulation.marked():
            return engine
    if copy is None:
        raise InvalidInput(
            None,
            "simulate: die Datenbank ist keine Simulationskopie und bleibt unberührt; "
            "mit --copy PFAD auf einer Kopie simulieren (z. B. --copy var/sim.db)",
        )
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise InvalidInput(
            "copy",
            "nur eine SQLite-Datenbank lässt sich kopieren; "
            "PostgreSQL bitte mit einer SQLite-Datenbank simulieren",
        )
    if copy.exists():
        raise InvalidInput("copy", f"{copy} gibt es schon; bitte eine neue Datei angeben")
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy_sqlite(Path(engine.url.database), copy)
    return make_engine(f"sqlite:///{copy}")  # the service marks it before its first tick
