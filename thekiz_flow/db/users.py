"""The users of the web pages: e-mail (lower case), role, password hash, a coach's link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from thekiz_flow.db.tables import users

OFFICE, COACH, MINISTRY = "office", "coach", "ministry"
ROLES = (OFFICE, COACH, MINISTRY)


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str
    coach_id: int | None
    created_at: datetime
    disabled: bool


def _user(row: Row[Any]) -> User:
    return User(row.id, row.email, row.role, row.coach_id, row.created_at, row.disabled)


class UserStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(
        self, email: str, role: str, password_hash: str, coach_id: int | None, now: datetime
    ) -> int:
        stmt = insert(users).values(
            email=email.lower(),
            role=role,
            password_hash=password_hash,
            coach_id=coach_id,
            created_at=now,
        )
        return int(self.conn.execute(stmt.returning(users.c.id)).scalar_one())

    def get(self, user_id: int) -> User | None:
        row = self.conn.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def credentials(self, email: str) -> tuple[User, str] | None:
        """The user with that e-mail and the hash of their password."""
        row = self.conn.execute(select(users).where(users.c.email == email.lower())).first()
        return None if row is None else (_user(row), row.password_hash)

    def all(self) -> list[User]:
        return [_user(r) for r in self.conn.execute(select(users).order_by(users.c.id))]

    def disable(self, user_id: int) -> None:
        self.conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
