"""The marks triggers leave on writes (`budget_stale`, `account_stale`, `forecast_marks`): a
table whose ids are never reused, the newest never deleted. What is kept from the marked
rows is current while no mark is newer than the one it was figured after.

Figuring takes its turn first (`take_turn`): on PostgreSQL it locks the marks' table until
its commit, which waits for the writers whose marks are not yet committed (a mark's id is
given at its insert, not at its commit) and holds back new ones. Every mark up to the newest
it then reads is committed, and what it reads afterwards holds their writes. SQLite's
transactions take the write lock at their start, which does as much.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select, text


def take_turn(connection: Connection, marks: Table) -> None:
    """From here to the commit: no new mark in ``marks``, and every mark there committed."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"LOCK TABLE {marks.name} IN EXCLUSIVE MODE"))


def last_mark(connection: Connection, marks: Table) -> int | None:
    """The id of the newest mark in ``marks`` (None: there is none)."""
    return connection.execute(select(func.max(marks.c.id))).scalar_one_or_none()
