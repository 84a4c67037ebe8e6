"""Engines for SQLite (the default) and PostgreSQL (by URL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from thekiz_flow.core.errors import ConfigError

NOT_A_DATABASE = "file is not a database"  # SQLite's message for a file of other content


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; everything else is taken as it is."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def make_engine(url: str, **options: Any) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database.url: ungültige Datenbank-URL {url!r}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite(url, parsed.database, **options)
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True, **options)
    raise ConfigError(
        f"database.url: nicht unterstützte Datenbank {backend!r} (möglich: sqlite, postgresql)"
    )


def _sqlite(url: str, database: str | None, **options: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **options)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy own the transaction (pysqlite's own handling defers BEGIN and
        # commits DDL implicitly); WAL lets readers work beside one writer.
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds ASCII letters only: searches ("LÖWEN") and name order
        # fold umlauts as PostgreSQL's lower() does.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if database and database != ":memory:":
            try:
                cursor.execute("PRAGMA journal_mode=WAL")  # the first statement to read the file
            except sqlite3.DatabaseError as exc:
                if str(exc) != NOT_A_DATABASE:
                    raise
                raise ConfigError(f"database.url: {database} ist keine SQLite-Datenbank") from None
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _lower(value: object) -> object:
    """SQL lower() for SQLite: text in lower case, every letter; anything else as it is."""
    return value.lower() if isinstance(value, str) else value
