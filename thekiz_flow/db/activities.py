"""Activities in the store: coaching sessions, training enrolments and site visits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select, update

from thekiz_flow.db.tables import activities
from thekiz_flow.model import Activity, PlannedActivity


def activity_from_row(row: Row[Any]) -> Activity:
    return Activity(
        id=row.id,
        centre_id=row.centre_id,
        kind=row.kind,
        key=row.key,
        stage=row.stage,
        date=row.date,
        status=row.status,
        hours=None if row.hours is None else Decimal(row.hours),
        coach_id=row.coach_id,
        rate=None if row.rate is None else Decimal(row.rate),
        training_id=row.training_id,
        note=row.note,
        reason=row.reason,
        moved=bool(row.moved),
        recorded_at=row.recorded_at,
    )


@dataclass(frozen=True)
class ActivityFilter:
    centre_id: int | None = None
    coach_id: int | None = None
    kind: str | None = None
    status: str | None = None
    first: date | None = None
    last: date | None = None
    recorded_since: datetime | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        c = activities.c
        for column, value in (
            (c.centre_id, self.centre_id),
            (c.coach_id, self.coach_id),
            (c.kind, self.kind),
            (c.status, self.status),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if self.first is not None:
            stmt = stmt.where(c.date >= self.first)
        if self.last is not None:
            stmt = stmt.where(c.date <= self.last)
        if self.recorded_since is not None:
            stmt = stmt.where(c.recorded_at >= self.recorded_since)
        return stmt


class ActivityStore:
    """``now``, when given, is written as ``recorded_at`` with every change."""

    def __init__(self, connection: Connection, now: datetime | None = None) -> None:
        self.conn = connection
        self.now = now

    def get(self, activity_id: int) -> Activity | None:
        row = self.conn.execute(select(activities).where(activities.c.id == activity_id)).first()
        return None if row is None else activity_from_row(row)

    def find(self, where: ActivityFilter) -> list[Activity]:
        stmt = where.apply(select(activities)).order_by(activities.c.date, activities.c.id)
        return [activity_from_row(r) for r in self.conn.execute(stmt)]

    def of_centre(self, centre_id: int) -> list[Activity]:
        return self.find(ActivityFilter(centre_id=centre_id))

    def insert(
        self,
        centre_id: int,
        planned: Sequence[PlannedActivity],
        status: str,
        rates: dict[int, Decimal],
    ) -> list[int]:
        if not planned:
            return []
        values = [
            {
                "centre_id": centre_id,
                "kind": p.kind,
                "key": p.key,
                "stage": p.stage,
                "date": p.date,
                "status": status,
                "hours": p.hours,
                "coach_id": p.coach_id,
                "rate": None if p.coach_id is None else rates.get(p.coach_id),
                "moved": False,
                "recorded_at": self.now,
            }
            for p in planned
        ]
        stmt = insert(activities).returning(activities.c.id, sort_by_parameter_order=True)
        return [int(i) for i in self.conn.execute(stmt, values).scalars()]

    def insert_one(
        self, centre_id: int, planned: PlannedActivity, status: str, rates: dict[int, Decimal]
    ) -> Activity:
        (new_id,) = self.insert(centre_id, [planned], status, rates)
        stored = self.get(new_id)
        assert stored is not None
        return stored

    def set_status(
        self, activity_id: int, status: str, *, expected: str | None = None, **values: object
    ) -> bool:
        """Change one activity's status (and other columns); False if it was not ``expected``."""
        stmt = update(activities).where(activities.c.id == activity_id)
        if expected is not None:
            stmt = stmt.where(activities.c.status == expected)
        stmt = stmt.values(status=status, recorded_at=self.now, **values)
        return self.conn.execute(stmt).rowcount == 1

    def update(self, activity_id: int, **values: object) -> None:
        stmt = update(activities).where(activities.c.id == activity_id)
        self.conn.execute(stmt.values(recorded_at=self.now, **values))
