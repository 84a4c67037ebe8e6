"""INSERT … ON CONFLICT for either backend: SQLite and PostgreSQL share the clause, and
SQLAlchemy builds it from each dialect's own INSERT."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_into(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``table`` that takes an ON CONFLICT clause on the connection's backend."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
