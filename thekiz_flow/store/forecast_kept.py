"""The forecast kept (`tables.forecast_kept`) and the marks that say it is stale.

The triggers of migration 0036 leave a mark on every write the forecast reads; the marks'
ids are never reused (SQLite's AUTOINCREMENT, PostgreSQL's sequence) and the newest is never
deleted, so the newest id moves on with each write and never back. A forecast is kept with
the newest mark of before it was figured (``upto``): it is current while that is still the
newest. Figuring takes its turn (`store/mark_turns.py`) to read that mark, so every write up
to it is committed before the forecast reads anything.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, delete, func, insert, select

from thekiz_flow.store import mark_turns
from thekiz_flow.store.tables import forecast_kept, forecast_marks


class Kept(NamedTuple):
    """A keeping of the forecast: the newest mark before it was figured, and its own
    random token (a keeping after a restore may have the same mark, never the same token)."""

    upto: int
    token: str


class ForecastKept:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def take_turn(self) -> None:
        """From here to the commit: no new mark, and every mark there is committed."""
        mark_turns.take_turn(self.conn, forecast_marks)

    def last_mark(self) -> int:
        """The id of the newest mark (0: there is none)."""
        return mark_turns.last_mark(self.conn, forecast_marks) or 0

    def current(self, key: str) -> Kept | None:
        """The forecast kept for ``key`` (which keeping, not its body), if no write was
        marked since it was figured."""
        k = forecast_kept.c
        newest = select(func.coalesce(func.max(forecast_marks.c.id), 0)).scalar_subquery()
        row = self.conn.execute(select(k.upto, k.token).where(k.key == key, k.upto == newest))
        found = row.first()
        return None if found is None else Kept(found.upto, found.token)

    def body(self, key: str, kept: Kept) -> str | None:
        """The forecast of that keeping (None: replaced since)."""
        k = forecast_kept.c
        stmt = select(k.body).where(k.key == key, k.upto == kept.upto, k.token == kept.token)
        return self.conn.execute(stmt).scalar_one_or_none()

    def keep(self, key: str, kept: Kept, body: str) -> None:
        """Keep ``body`` for ``key``, figured after the mark ``kept.upto``, in place of
        every other forecast (of other days or rules: of no use any more), unless one
        figured later is kept for ``key``; then the marks before the newest are deleted."""
        k = forecast_kept.c
        later = select(k.upto).where(k.key == key, k.upto > kept.upto)
        if self.conn.execute(later).first() is None:
            self.conn.execute(delete(forecast_kept))
            self.conn.execute(insert(forecast_kept).values(key=key, body=body, **kept._asdict()))
        self.conn.execute(delete(forecast_marks).where(forecast_marks.c.id < self.last_mark()))
