"""Simulation databases and the real time, as the store knows them.

A database is a simulation database when its ``state`` table holds the row
``simulation`` (written when the copy is made, or when the demo creates its database);
only there may a tick act for a time beyond the real clock. The mark travels with every
copy of the file, so a copy of a simulation is one too, and a copy of the office's
database is marked only in the copy.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

from thekiz_flow.core.clock import Clock
from thekiz_flow.store import marks

SIMULATION = "simulation"


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulationMark:
    """Whether the database is a simulation database: the mark in its ``state`` table."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def marked(self) -> bool:
        return marks.read(self.conn, SIMULATION) is not None

    def mark(self, at: datetime) -> None:
        """Mark this database as a simulation (``at``: when it became one); once."""
        marks.add(self.conn, SIMULATION, at)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (SQLite's online backup), even while in use."""
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)


class RealClock:
    """The real time: the system clock, and on PostgreSQL never later than the database
    server's clock (``now()``).

    The server's clock is a second opinion that a jump of this machine's clock does not
    move; SQLite has no clock but the operating system's, so there the system clock is
    all there is. ``system`` is injectable so that tests can make the system clock jump.
    """

    def __init__(self, engine: Engine, system: Clock | None = None) -> None:
        self.engine = engine
        self.system = system or SystemClock()

    def now(self) -> datetime:
        system = self.system.now()
        if self.engine.dialect.name != "postgresql":
            return system
        with self.engine.connect() as conn:
            server: datetime = conn.execute(select(func.now())).scalar_one()
        return min(system, server.astimezone(UTC))
