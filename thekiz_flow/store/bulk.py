"""Many rows in one executemany of the driver, bound a column at a time.

SQLAlchemy processes every parameter of every row of an executemany (its type's bind
processor, the compiled statement's parameter map). For the tens of thousands of rows a
planning run or a tick writes, that costs more than the database's own work. Here the
statement is compiled once and each column's values go through their bind processor once
per distinct value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Insert
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine


def bound(type_: TypeEngine[Any], dialect: Dialect, values: Sequence[object]) -> Sequence[object]:
    """A column's values as the driver takes them: its bind processor runs once per distinct
    value (equal values are bound alike, which holds for the types of these columns)."""
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    distinct = {value: process(value) for value in set(values)}
    return [distinct[value] for value in values]


class BulkInsert:
    """An INSERT compiled once for the driver's executemany, run for many chunks of rows."""

    def __init__(self, conn: Connection, statement: Insert, names: Sequence[str]) -> None:
        self.conn = conn
        compiled = statement.compile(
            dialect=conn.dialect, column_keys=list(names), for_executemany=True
        )
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.order = compiled.positiontup if compiled.positional else None
        self.types = {name: statement.table.c[name].type for name in names}

    def __call__(self, columns: Mapping[str, Sequence[object]]) -> int:
        """Insert the rows given column by column (each column's values in the same row
        order); returns how many rows were written (fewer when the statement skips
        conflicts). Columns of one type given the same sequence are bound once."""
        dialect = self.conn.dialect
        done: dict[tuple[int, type[Any]], Sequence[object]] = {}  # one sequence bound once
        bound_columns = {}
        for name, values in columns.items():
            type_ = self.types[name]
            seen = (id(values), type(type_))
            if seen not in done:
                done[seen] = bound(type_, dialect, values)
            bound_columns[name] = done[seen]
        params: list[Any]
        if self.order is not None:  # e.g. SQLite's "?": tuples in the statement's order
            params = list(zip(*(bound_columns[name] for name in self.order), strict=True))
        else:  # e.g. psycopg's "%(name)s": one mapping per row
            params = by_row(bound_columns)
        return int(self.conn.exec_driver_sql(self.sql, params).rowcount)


def insert_rows(
    conn: Connection, statement: Insert, columns: Mapping[str, Sequence[object]]
) -> int:
    """Run the INSERT ``statement`` once for rows given column by column; how many it wrote."""
    return BulkInsert(conn, statement, list(columns))(columns)


def by_row(columns: dict[str, Sequence[object]]) -> list[dict[str, object]]:
    """Values given column by column as one mapping per row."""
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
