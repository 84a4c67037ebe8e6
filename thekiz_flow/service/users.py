"""Who may sign in to the web pages: users, their roles and argon2id password hashes."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from thekiz_flow import validate
from thekiz_flow.db.users import COACH, ROLES, User, UserStore
from thekiz_flow.errors import InvalidInput, NotFound
from thekiz_flow.service.base import ServiceBase

MIN_PASSWORD = 12  # characters
HASHER = PasswordHasher()  # argon2id with the library's recommended cost (RFC 9106)


@cache
def _dummy_hash() -> str:
    """Checked when the e-mail is unknown, so that a wrong address costs the same time as a
    wrong password and the answer tells nothing about who has an account."""
    return HASHER.hash("kein Passwort eines Zugangs")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Passwort: mindestens {MIN_PASSWORD} Zeichen, nicht {len(password)}")
    return HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class UserService(ServiceBase):
    def add_user(self, email: str, role: str, password: str, coach_ref: str | None = None) -> int:
        """A new user; a coach's user is linked to the coach with ``coach_ref`` or their e-mail."""
        address = validate.email("--email", email).lower()
        checked_role = validate.choice("--role", role, ROLES, "unbekannte Rolle")
        if coach_ref is not None and checked_role != COACH:
            raise InvalidInput("--coach: nur für die Rolle coach")
        password_hash = hash_password(password)
        with self.unit() as repo:
            store = UserStore(repo.conn)
            if store.credentials(address) is not None:
                raise InvalidInput(f"--email: einen Zugang für {address} gibt es schon")
            coach_id = None
            if checked_role == COACH:
                coach_id = self._coach(repo, coach_ref or address).id
            return store.add(address, checked_role, password_hash, coach_id, self.clock.now())

    def users(self) -> list[User]:
        with self.unit() as repo:
            return UserStore(repo.conn).all()

    def user(self, user_id: int) -> User | None:
        """The user of a session, or None if they are gone or disabled."""
        with self.unit() as repo:
            found = UserStore(repo.conn).get(user_id)
        return None if found is None or found.disabled else found

    def disable_user(self, email: str) -> User:
        with self.unit() as repo:
            store = UserStore(repo.conn)
            found = store.credentials(email.strip())
            if found is None:
                raise NotFound(f"--email: kein Zugang für {email.strip()!r}")
            store.disable(found[0].id)
            return found[0]

    def authenticate(self, email: str, password: str) -> User | None:
        """The active user with that e-mail and password; None for any mismatch, alike."""
        with self.unit() as repo:
            found = UserStore(repo.conn).credentials(email.strip())
        if found is None:
            password_matches(_dummy_hash(), password)
            return None
        user, password_hash = found
        if not password_matches(password_hash, password) or user.disabled:
            return None
        return user
