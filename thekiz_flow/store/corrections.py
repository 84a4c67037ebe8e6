"""The audit trail of corrections: appended, never changed (see ``tables.corrections``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, exists, insert, select

from thekiz_flow.core.corrections import Action, Correction, Fields, Subject
from thekiz_flow.store.tables import corrections


def _fields(text: str) -> Fields:
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def correction_from_row(row: Row[Any]) -> Correction:
    return Correction(
        Subject(row.subject),
        row.subject_id,
        row.centre_id,
        Action(row.action),
        row.actor,
        row.recorded_at,
        _fields(row.before),
        _fields(row.after),
        row.reason,
        row.id,
    )


def withdrawn(change_id: ColumnElement[int], before: datetime | None = None) -> ColumnElement[bool]:
    """Whether the stage change ``change_id`` names was reverted (by an entry recorded
    before ``before``, if given): a reading of the trail in force skips it."""
    c = corrections.c
    found = exists().where(
        c.subject == Subject.STAGE_CHANGE,
        c.action == Action.REVERTED,
        c.subject_id == change_id,
    )
    return found if before is None else found.where(c.recorded_at < before)


def _json(fields: Fields) -> str:
    return json.dumps(dict(fields), ensure_ascii=False, sort_keys=True)


class CorrectionStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(self, entry: Correction) -> int:
        stmt = insert(corrections).values(
            subject=entry.subject,
            subject_id=entry.subject_id,
            centre_id=entry.centre_id,
            action=entry.action,
            actor=entry.actor,
            recorded_at=entry.recorded_at,
            before=_json(entry.before),
            after=_json(entry.after),
            reason=entry.reason,
        )
        return int(self.conn.execute(stmt.returning(corrections.c.id)).scalar_one())

    def of_centre(self, centre_id: int) -> list[Correction]:
        """A centre's record's corrections, in the order recorded."""
        stmt = select(corrections).where(corrections.c.centre_id == centre_id)
        return [correction_from_row(r) for r in self.conn.execute(stmt.order_by(corrections.c.id))]

    def of_subject(self, subject: Subject, subject_id: int) -> list[Correction]:
        """The corrections of one activity, coach, centre or stage change, in order."""
        c = corrections.c
        stmt = select(corrections).where(c.subject == subject, c.subject_id == subject_id)
        return [correction_from_row(r) for r in self.conn.execute(stmt.order_by(c.id))]

    def since(self, subject: Subject, moment: datetime) -> list[Correction]:
        """The corrections of a kind of subject recorded at or after ``moment``, in order."""
        c = corrections.c
        stmt = select(corrections).where(c.subject == subject, c.recorded_at >= moment)
        return [correction_from_row(r) for r in self.conn.execute(stmt.order_by(c.id))]
