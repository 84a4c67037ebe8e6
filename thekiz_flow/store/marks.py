"""Marks: named times, one row each in the ``state`` table, kept by the stores that own them
(the ticks' health marks in `store.operations`, the reminders' tick marks in
`store.outbox`, the simulation's in `store.simulation`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from thekiz_flow.store.tables import state
from thekiz_flow.store.upsert import insert_into


def read(connection: Connection, name: str) -> datetime | None:
    row = connection.execute(select(state.c.at).where(state.c.name == name)).first()
    return None if row is None else row.at


def add(connection: Connection, name: str, at: datetime) -> None:
    """The mark ``name`` at ``at``, unless it is set already (then nothing changes)."""
    stmt = insert_into(connection, state).on_conflict_do_nothing(index_elements=["name"])
    connection.execute(stmt.values(name=name, at=at))


def move_forward(connection: Connection, name: str, at: datetime) -> None:
    """Set the mark ``name`` to ``at`` if it is not set or earlier: never back."""
    if read(connection, name) is None:
        add(connection, name, at)
    connection.execute(update(state).where(state.c.name == name, state.c.at < at).values(at=at))
