"""What running thekiz-flow needs of the database: the health marks of the ticks, the
figures of /metrics, and whole-database work (backup, restore, transfer, comparing).

The health marks are rows of the ``state`` table (a name and a time): ``tick_started`` and
``tick_ok`` (start and end of the last successful tick, on the real clock), ``tick_failed``
(the last failure) and the watchdog's alarms (``watchdog_ticks``, ``watchdog_mails``).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Table,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.store import marks
from thekiz_flow.store.migrate import refold
from thekiz_flow.store.tables import DERIVED, metadata, outbox, sign_in_attempts, state

COPY_CHUNK = 1000  # rows read and written at a time by a transfer
# every table but the figures derived from the others, in dependency order
TABLES: tuple[Table, ...] = tuple(t for t in metadata.sorted_tables if t not in DERIVED)


class HealthStore:
    """The ticks' health marks and the figures /healthz and /metrics report."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def ping(self) -> None:
        self.conn.execute(select(1)).one()

    def mark(self, name: str) -> datetime | None:
        return marks.read(self.conn, name)

    def set_mark(self, name: str, at: datetime) -> None:
        """Set the mark ``name`` to ``at`` (the last writer wins)."""
        if self.conn.execute(update(state).where(state.c.name == name).values(at=at)).rowcount:
            return
        marks.add(self.conn, name, at)

    def mark_once(self, name: str, at: datetime) -> datetime:
        """The mark ``name``: set to ``at`` unless it is set already; whichever holds.

        Two processes setting it at once both get the value of the first (PostgreSQL's
        second insert waits for the first to commit, then does nothing and reads it).
        """
        marks.add(self.conn, name, at)
        found = self.mark(name)
        assert found is not None
        return found

    def clear_mark(self, name: str, at: datetime | None = None) -> bool:
        """Remove the mark ``name`` (if ``at`` is given: only if it still holds ``at``);
        whether this call removed it."""
        stmt = delete(state).where(state.c.name == name)
        if at is not None:
            stmt = stmt.where(state.c.at == at)
        return bool(self.conn.execute(stmt).rowcount)

    def oldest_pending(self) -> datetime | None:
        """When the oldest mail still to be sent (pending or being sent) fell due."""
        stmt = select(func.min(outbox.c.due_at)).where(
            outbox.c.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
        found: datetime | None = self.conn.execute(stmt).scalar_one()
        return found

    def failed_since(self, since: datetime) -> int:
        """Mails failed for good among those due since ``since``."""
        stmt = select(func.count()).select_from(outbox)
        stmt = stmt.where(outbox.c.status == OutboxStatus.FAILED, outbox.c.due_at >= since)
        return int(self.conn.execute(stmt).scalar_one())

    def sign_in_failures(self, since: datetime | None = None) -> int:
        """Failed sign-ins kept ([privacy] sign_ins_days), or those since ``since``."""
        stmt = select(func.count()).select_from(sign_in_attempts)
        stmt = stmt.where(sign_in_attempts.c.succeeded.is_(False))
        if since is not None:
            stmt = stmt.where(sign_in_attempts.c.at >= since)
        return int(self.conn.execute(stmt).scalar_one())


# ---------------------------------------------------------------------- whole databases
def row_counts(connection: Connection) -> dict[str, int]:
    """Rows per table of the schema."""
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in TABLES
    }


def has_tables(connection: Connection) -> bool:
    """Whether any table of the schema exists in the database."""
    names = set(connection.dialect.get_table_names(connection))
    return any(table.name in names for table in TABLES)


def filled_tables(connection: Connection) -> list[str]:
    """The tables of the schema that hold rows (none exist: none)."""
    if not has_tables(connection):
        return []
    return [name for name, count in row_counts(connection).items() if count]


def _ordered(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns)


def _plain(value: object) -> object:
    """A value as both backends read it back: numbers without trailing zeros."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def rows(connection: Connection, table: Table) -> Iterator[tuple[object, ...]]:
    """Every row of ``table`` in the order of its primary key, values made comparable."""
    result = connection.execution_options(yield_per=COPY_CHUNK).execute(
        select(table).order_by(*_ordered(table))
    )
    for row in result:
        yield tuple(_plain(v) for v in row)


def checksums(connection: Connection) -> dict[str, tuple[int, str]]:
    """Per table its row count and a SHA-256 over its rows (in primary-key order)."""
    sums: dict[str, tuple[int, str]] = {}
    for table in TABLES:
        digest, count = hashlib.sha256(), 0
        for row in rows(connection, table):
            digest.update(repr(row).encode("utf-8"))
            digest.update(b"\n")
            count += 1
        sums[table.name] = (count, digest.hexdigest())
    return sums


def copy_rows(source: Connection, target: Connection) -> dict[str, int]:
    """Copy every row of every table, parents before children; rows copied per table.

    The ids are copied as they are; on PostgreSQL the sequences are then set past them.
    """
    copied: dict[str, int] = {}
    for table in TABLES:
        count = 0
        result = source.execution_options(yield_per=COPY_CHUNK).execute(
            select(table).order_by(*_ordered(table))
        )
        for chunk in result.partitions(COPY_CHUNK):
            target.execute(insert(table), [dict(row._mapping) for row in chunk])
            count += len(chunk)
        copied[table.name] = count
    if target.dialect.name == "postgresql":
        set_sequences(target)
    return copied


def set_sequences(connection: Connection) -> None:
    """Set each table's id sequence past its largest id (PostgreSQL)."""
    for table in TABLES:
        if "id" not in table.c:
            continue
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            ),
            {"table": table.name},
        )


# ---------------------------------------------------------------------- SQLite files
def backup_sqlite(engine: Engine, target: Path) -> None:
    """A consistent copy of the database into the new file ``target``, while it is in use
    (SQLite's online backup API: pages changed during the copy are copied again)."""
    with engine.connect() as connection:
        live = connection.connection.driver_connection
        assert isinstance(live, sqlite3.Connection)
        with closing(sqlite3.connect(target)) as copy:
            live.backup(copy)


def restore_sqlite(source: Path, engine: Engine) -> None:
    """Replace the database of ``engine`` by the SQLite file ``source`` (online backup API);
    its indexes of text in lower case rebuilt with the application's ``lower()``
    (`migrate.refold`: the file may have been written by another program)."""
    engine.dispose()
    with closing(sqlite3.connect(source)) as saved, engine.connect() as connection:
        live = connection.connection.driver_connection
        assert isinstance(live, sqlite3.Connection)
        saved.backup(live)
    engine.dispose()
    with engine.begin() as connection:
        refold(connection)


def sqlite_revision(path: Path) -> str | None:
    """The schema revision of the SQLite file ``path``; None: it has none (no thekiz-flow
    database). Raises sqlite3.DatabaseError for a file that is no SQLite database."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        found = connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if found is None:
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
