"""Queries of the money figures: a coach's fee statement (``core/statements.py``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, or_, select

from thekiz_flow.core.corrections import Correction, Subject
from thekiz_flow.core.enums import ActivityKind
from thekiz_flow.store.corrections import correction_from_row
from thekiz_flow.store.tables import activities, corrections


class AccountQueries:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def session_corrections(
        self, coach_id: int, first: date, last: date, since: datetime
    ) -> list[tuple[Correction, date]]:
        """The corrections recorded at or after ``since`` of the coach's coaching sessions
        dated from ``first`` to ``last`` now or before the correction (moved out of the
        days), each with the session's date as it is now, in the order recorded."""
        c, a = corrections.c, activities.c
        in_days = a.date.between(first, last)
        months = {(day.year, day.month) for day in (first, last)}
        moved_out = [c.before.like(f'%"date": "{year:04}-{month:02}-%') for year, month in months]
        stmt = (
            select(corrections, a.date.label("session_date"))
            .join(activities, a.id == c.subject_id)
            .where(
                c.subject == Subject.ACTIVITY,
                c.recorded_at >= since,
                a.coach_id == coach_id,
                a.kind == ActivityKind.COACHING,
                or_(in_days, *moved_out),
            )
            .order_by(c.recorded_at, c.id)
        )
        found = []
        for row in self.conn.execute(stmt):
            entry = correction_from_row(row)
            before = entry.before.get("date")
            day = date.fromisoformat(before) if isinstance(before, str) else row.session_date
            if first <= day <= last or first <= row.session_date <= last:
                found.append((entry, day))
        return found
