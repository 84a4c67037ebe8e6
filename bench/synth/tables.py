"""Rows straight into the tables: encoded as SQLAlchemy binds them, one executemany per table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Integer, Table, event, func, insert, select
from sqlalchemy.engine import Dialect

from thekiz_flow.store.engine import make_engine

Row = tuple[object, ...]


class Encoder:
    """A table's rows as the DBAPI tuples SQLAlchemy would bind (its own bind processors).

    Rows are dicts by column name; a column of the table the row does not name is bound as
    NULL and remembered in ``missing`` (the schema may have grown since this file was written).
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.names = [c.name for c in table.c]
        self.steps: list[tuple[str, Callable[[Any], Any] | None, dict[object, object]]] = [
            (name, table.c[name].type._cached_bind_processor(dialect), {}) for name in self.names
        ]
        self.index = {name: n for n, name in enumerate(self.names)}
        self.defaults = {c.name: _server_default(c) for c in table.c if c.server_default}
        self.missing: set[str] = set()

    def encode(self, row: dict[str, object]) -> Row:
        encoded: list[object] = []
        for name, step, memo in self.steps:
            if name not in row and name not in self.defaults:
                self.missing.add(name)
                encoded.append(None)
                continue
            value = row[name] if name in row else self.defaults[name]
            if step is None or value is None:
                encoded.append(value)
                continue
            found = memo.get(value)
            if found is None:
                found = memo[value] = step(value)
            encoded.append(found)
        return tuple(encoded)

    def sql(self, dialect: Dialect) -> str:
        return str(insert(self.table).compile(dialect=dialect, column_keys=self.names))


def _server_default(column: Any) -> object:
    """The value the database would fill in for a column the rows leave out."""
    arg = column.server_default.arg
    if isinstance(arg, str):
        return int(arg) if isinstance(column.type, Integer) else arg
    return {"false": False, "true": True}[str(arg).lower()]


def write_rows(conn: Connection, encoder: Encoder, rows: Sequence[Row]) -> None:
    """One DBAPI executemany of encoded rows, on the connection's transaction."""
    if rows:
        conn.exec_driver_sql(encoder.sql(conn.dialect), list(rows))


def loading_engine(engine: Engine) -> Engine:
    """An engine of its own for loading the history: the package's pragmas plus no fsync and a
    large page cache. Only durability and speed differ; the file's content is the same."""
    loader = make_engine(engine.url.render_as_string(hide_password=False))
    if loader.dialect.name == "sqlite":

        @event.listens_for(loader, "connect")
        def _fast(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.close()

    return loader


def top(conn: Connection, table: Table) -> int:
    """The highest id of ``table`` (0 if empty)."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
