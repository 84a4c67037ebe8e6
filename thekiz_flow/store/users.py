"""The users of the web pages: e-mail (lower case), role, password hash, a coach's link;
their signed-in browsers (web sessions) and the sign-ins tried with their address."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, update

from thekiz_flow.core.enums import Role
from thekiz_flow.core.lists import UserQuery
from thekiz_flow.core.users import User, WebSession
from thekiz_flow.store.list_queries import paged, user_order, user_where
from thekiz_flow.store.tables import coaches, sign_in_attempts, users, web_sessions


def _user(row: Row[Any]) -> User:
    return User(row.id, row.email, Role(row.role), row.coach_id, row.created_at, row.disabled)


class UserStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(
        self, email: str, role: Role, password_hash: str, coach_id: int | None, now: datetime
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

    def search(self, query: UserQuery) -> tuple[list[User], int]:
        """One page of the users the query finds, in its order, and how many it finds."""
        stmt = user_where(query, select(users))
        rows, total = paged(self.conn, stmt, user_order(query.sort), query.offset, query.limit)
        return [_user(r) for r in rows], total

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        self.conn.execute(update(users).where(users.c.id == user_id).values(disabled=disabled))

    def set_password(self, user_id: int, password_hash: str) -> None:
        stmt = update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        self.conn.execute(stmt)


class SessionStore:
    """Web sessions, found by the SHA-256 of the secret in their cookie."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(
        self, token_hash: str, user_id: int, csrf_token: str, now: datetime, ttl: timedelta
    ) -> None:
        self.conn.execute(
            insert(web_sessions).values(
                token_hash=token_hash,
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ttl,
            )
        )

    def get(self, token_hash: str, now: datetime) -> WebSession | None:
        """The unexpired session of an active user with that hash (a coach's user: of an
        active coach)."""
        s = web_sessions.c
        stmt = (
            select(users, s.id.label("session_id"), s.csrf_token, s.last_seen_at)
            .join(web_sessions, users.c.id == s.user_id)
            .outerjoin(coaches, coaches.c.id == users.c.coach_id)
            .where(s.token_hash == token_hash, s.expires_at > now, users.c.disabled.is_(False))
            .where(or_(users.c.coach_id.is_(None), coaches.c.active.is_(True)))
        )
        row = self.conn.execute(stmt).first()
        if row is None:
            return None
        return WebSession(row.session_id, _user(row), row.csrf_token, row.last_seen_at)

    def touch(self, session_id: int, now: datetime, ttl: timedelta) -> None:
        stmt = update(web_sessions).where(web_sessions.c.id == session_id)
        self.conn.execute(stmt.values(last_seen_at=now, expires_at=now + ttl))

    def end(self, token_hash: str) -> None:
        self.conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))

    def end_all(self, user_id: int, keep: str | None = None) -> None:
        """Every session of the user, but the one with the hash ``keep``."""
        stmt = delete(web_sessions).where(web_sessions.c.user_id == user_id)
        if keep is not None:
            stmt = stmt.where(web_sessions.c.token_hash != keep)
        self.conn.execute(stmt)

    def end_of_coach(self, coach_id: int) -> None:
        """Every session of the users of that coach."""
        theirs = select(users.c.id).where(users.c.coach_id == coach_id)
        self.conn.execute(delete(web_sessions).where(web_sessions.c.user_id.in_(theirs)))

    def purge(self, now: datetime) -> None:
        self.conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))


SIGN_IN_LOCKS = 0x7369676E  # PostgreSQL's advisory locks of sign-in attempts ("sign"), by key


class AttemptStore:
    """Sign-ins tried: by e-mail address and by client address, with their outcome."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(self, email: str, client: str, now: datetime) -> int:
        """A sign-in begun; it counts as failed until it succeeds.

        An attempt counts the earlier ones by their numbers, once it is committed. On
        PostgreSQL a number is drawn when the row is written, so a later attempt could commit
        and count before an earlier one is visible. The attempts of one e-mail address or one
        client are therefore written one at a time (transaction-scoped advisory locks on
        both, in one order): each commits before the next is numbered. SQLite writes one
        transaction at a time anyway."""
        if self.conn.dialect.name == "postgresql":
            for key in sorted({f"email:{email}", f"client:{client}"}):
                lock = func.pg_advisory_xact_lock(SIGN_IN_LOCKS, func.hashtext(key))
                self.conn.execute(select(lock))
        stmt = insert(sign_in_attempts).values(at=now, email=email, client=client, succeeded=False)
        return int(self.conn.execute(stmt.returning(sign_in_attempts.c.id)).scalar_one())

    def succeeded(self, attempt_id: int) -> None:
        stmt = update(sign_in_attempts).where(sign_in_attempts.c.id == attempt_id)
        self.conn.execute(stmt.values(succeeded=True))

    def drop(self, attempt_id: int) -> None:
        """An attempt that was never checked (throttled, or the server was busy)."""
        self.conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.id == attempt_id))

    def failures(
        self, key: str, value: str, since: datetime, up_to: int | None, limit: int
    ) -> list[datetime]:
        """When the failures with ``key`` (``email`` or ``client``) ``value`` after ``since``
        (up to attempt ``up_to``) happened, newest first, at most ``limit``; only those
        after its last success count."""
        return self._failures(sign_in_attempts.c[key], value, since, up_to, limit)

    def _failures(
        self, column: Any, value: str, since: datetime, up_to: int | None, limit: int
    ) -> list[datetime]:
        t = sign_in_attempts
        last_success = self.conn.execute(
            select(func.max(t.c.id)).where(column == value, t.c.succeeded.is_(True), t.c.at > since)
        ).scalar_one()
        stmt = select(t.c.at).where(column == value, t.c.at > since, t.c.succeeded.is_(False))
        if up_to is not None:
            stmt = stmt.where(t.c.id <= up_to)
        if last_success is not None:
            stmt = stmt.where(t.c.id > last_success)
        return list(self.conn.execute(stmt.order_by(t.c.id.desc()).limit(limit)).scalars())

    def purge(self, before: datetime) -> None:
        self.conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.at < before))
