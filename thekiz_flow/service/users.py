"""Who may sign in to the web pages: users, their roles and argon2id password hashes; their
web sessions, and the throttle on failed sign-ins.

A web session lives in the database (``web_sessions``), found by the SHA-256 of the random
secret its cookie carries: signing out ends it, disabling a user and a new password end
all of the user's sessions, on every device and in every server process.

A sign-in is refused without a password check while its e-mail address (known or not) or
its client address has ``MAX_FAILURES`` failures within ``WINDOW``, counted since the last
success of that address or client: a correct password is refused then too. Password
hashes are computed by at most ``HASHING_SLOTS`` threads of a process at once; a check
that waits longer than ``HASH_WAIT`` seconds for one is answered with :class:`Busy`, and
so is a second check from a client while its first one runs. A busy answer is not counted
as a failure.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from thekiz_flow.core import validate
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import Busy, Field, InvalidInput, NotFound, Refused, Throttled
from thekiz_flow.core.lists import UserQuery
from thekiz_flow.core.users import User, WebSession
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

MIN_PASSWORD = 12  # characters
HASHER = PasswordHasher()  # argon2id with the library's recommended cost (RFC 9106)
HASHING_SLOTS = 2  # password hashes computed at once per process (64 MiB each)
HASH_WAIT = 2.0  # seconds a password check waits for a slot
_HASHING = threading.BoundedSemaphore(HASHING_SLOTS)
BUSY = "Der Server prüft gerade viele Anmeldungen, bitte gleich erneut versuchen."
COACH_INACTIVE = (
    "Ihre Prozessbegleitung ist deaktiviert: Anmelden ist erst wieder möglich, wenn die "
    "Fachstelle sie wieder aktiviert."
)

SESSION_TTL = timedelta(hours=12)  # a session ends after this long unused
TOUCH_EVERY = timedelta(minutes=5)  # how often a session's last use is written
MAX_FAILURES = 5  # failed sign-ins within WINDOW, per e-mail address and per client
WINDOW = timedelta(minutes=15)
WRONG_CURRENT = "stimmt nicht"
# The fields of a password: one given, or a signed-in user's new and current one.
PASSWORD, NEW_PASSWORD, CURRENT_PASSWORD = "password", "new", "current"


# The locks this process has seen, per database: (key, value) -> until when.
_LOCKS: weakref.WeakKeyDictionary[Engine, dict[tuple[str, str], datetime]] = (
    weakref.WeakKeyDictionary()
)
_LOCKS_LOCK = threading.Lock()
_CHECKING: set[str] = set()  # clients whose password check runs in this process
_CHECKING_LOCK = threading.Lock()


@contextmanager
def _one_check_from(client: str) -> Iterator[None]:
    """One password check at a time per client and process: a flood from one address
    takes one hashing slot at most, and what it sends meanwhile is answered at once."""
    with _CHECKING_LOCK:
        if client in _CHECKING:
            raise Busy(BUSY)
        _CHECKING.add(client)
    try:
        yield
    finally:
        with _CHECKING_LOCK:
            _CHECKING.discard(client)


@contextmanager
def _hashing_slot() -> Iterator[None]:
    if not _HASHING.acquire(timeout=HASH_WAIT):
        raise Busy(BUSY)
    try:
        yield
    finally:
        _HASHING.release()


_DUMMY = threading.Lock()


def dummy_hash() -> str:
    """Checked when the e-mail is unknown, so that a wrong address costs the same time as a
    wrong password and the answer tells nothing about who has an account. Made once per
    process (``serve`` makes it before it answers)."""
    with _DUMMY:
        return _dummy_hash()


@cache
def _dummy_hash() -> str:
    return HASHER.hash("kein Passwort eines Zugangs")


def check_length(password: str, field: Field = PASSWORD) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(field, f"mindestens {MIN_PASSWORD} Zeichen, nicht {len(password)}")
    return password


def hash_password(password: str, field: Field = PASSWORD) -> str:
    check_length(password, field)
    with _hashing_slot():
        return HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    with _hashing_slot():
        try:
            return HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def _coach_active(repo: Repository, user: User) -> bool:
    """False for the user of a deactivated coach: they may not sign in."""
    if user.coach_id is None:
        return True
    coach = repo.coach(user.coach_id)
    return coach is not None and coach.active


class UserService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def add(self, email: str, role: str, password: str, coach_ref: str | None = None) -> int:
        """A new user; a coach's user is linked to the coach with ``coach_ref`` or their e-mail."""
        address = validate.email("email", email).lower()
        checked_role = validate.choice("role", role, Role, "unbekannte Rolle")
        if coach_ref is not None and checked_role != Role.COACH:
            raise InvalidInput("coach", "nur für die Rolle coach")
        password_hash = hash_password(password)
        with self.rt.unit() as repo:
            store = repo.users
            if store.credentials(address) is not None:
                raise InvalidInput("email", f"einen Zugang für {address} gibt es schon")
            coach_id = None
            if checked_role == Role.COACH:
                coach_id = self.rt.coach(repo, coach_ref or address).id
            return store.add(address, checked_role, password_hash, coach_id, self.rt.clock.now())

    def all(self) -> list[User]:
        with self.rt.unit() as repo:
            return repo.users.all()

    def get(self, user_id: int) -> User | None:
        """The account with this number, if there is one."""
        with self.rt.unit() as repo:
            return repo.users.get(user_id)

    def choices(self, text: str, limit: int) -> tuple[list[User], int]:
        """The first ``limit`` accounts whose address contains ``text`` (every one for
        blank), by address, and how many it finds. A search with control characters or
        longer than 200 characters is refused (``user_search``)."""
        found = validate.text("user_search", text, required=False)
        with self.rt.unit() as repo:
            return repo.users.search(UserQuery(text=found, offset=0, limit=limit))

    def disable(self, email: str) -> User:
        """No more sign-ins; the user's sessions end."""
        with self.rt.unit() as repo:
            found = self._account(repo, email)
            repo.users.set_disabled(found.id, True)
            repo.web_sessions.end_all(found.id)
            return found

    def enable(self, email: str) -> User:
        """A disabled user may sign in again (with their password as it was)."""
        with self.rt.unit() as repo:
            found = self._account(repo, email)
            repo.users.set_disabled(found.id, False)
            return found

    def set_password(self, email: str, password: str, field: Field = PASSWORD) -> User:
        """A new password (the office's, or the CLI's); every session of the user ends."""
        password_hash = hash_password(password, field)
        with self.rt.unit() as repo:
            found = self._account(repo, email)
            repo.users.set_password(found.id, password_hash)
            repo.web_sessions.end_all(found.id)
            return found

    def change_own_password(self, session_secret: str, current: str, new: str, client: str) -> None:
        """The signed-in user's new password, checked against their current one (throttled
        like a sign-in); their other sessions end, this one stays."""
        session = self.web_session(session_secret)
        if session is None:
            raise InvalidInput(None, "Die Sitzung ist abgelaufen, bitte neu anmelden.")
        check_length(new, NEW_PASSWORD)
        if self._verified(session.user.email, current, client) is None:
            raise InvalidInput(CURRENT_PASSWORD, WRONG_CURRENT)
        password_hash = hash_password(new, NEW_PASSWORD)
        with self.rt.unit() as repo:
            repo.users.set_password(session.user.id, password_hash)
            repo.web_sessions.end_all(session.user.id, keep=_digest(session_secret))

    def sign_in(self, email: str, password: str, client: str) -> tuple[User, str] | None:
        """A new session of the active user with that e-mail and password, and the secret its
        cookie carries; None for any mismatch, alike; :class:`Refused` for the right password
        of a deactivated coach's user. Throttled: see the module."""
        user = self._verified(email, password, client)
        if user is None:
            return None
        secret = secrets.token_urlsafe(32)
        now = self.rt.clock.now()
        with self.rt.unit() as repo:
            repo.sign_ins.purge(now - timedelta(days=self.rt.privacy.sign_ins_days))  # [privacy]
            sessions = repo.web_sessions
            sessions.purge(now)
            sessions.add(_digest(secret), user.id, secrets.token_urlsafe(32), now, SESSION_TTL)
        return user, secret

    def web_session(self, secret: str) -> WebSession | None:
        """The session whose cookie carries ``secret``, if it has not ended; its use is noted."""
        now = self.rt.clock.now()
        with self.rt.unit() as repo:
            sessions = repo.web_sessions
            found = sessions.get(_digest(secret), now)
            if found is not None and now - found.last_seen_at >= TOUCH_EVERY:
                sessions.touch(found.id, now, SESSION_TTL)
        return found

    def sign_out(self, secret: str) -> None:
        with self.rt.unit() as repo:
            repo.web_sessions.end(_digest(secret))

    def _verified(self, email: str, password: str, client: str) -> User | None:
        """The active user with that e-mail and password, recorded as a sign-in attempt."""
        address, origin, now = email.strip().lower()[:320], client[:100], self.rt.clock.now()
        self._refuse_if_known_throttled(address, origin, now)
        with self.rt.unit() as repo:  # a throttled attempt only reads
            self._refuse_if_throttled(repo, address, origin, now, None)
        with _one_check_from(origin):  # a busy attempt writes nothing either
            return self._verify_recorded(address, password, origin, now)

    def _verify_recorded(
        self, address: str, password: str, origin: str, now: datetime
    ) -> User | None:
        with self.rt.unit() as repo:
            attempt = repo.sign_ins.add(address, origin, now)
        # Recorded (as failed until it succeeds) before it is counted again: of many at once
        # for one address (or from one client, in several processes), only the first
        # MAX_FAILURES are checked.
        try:
            with self.rt.unit() as repo:
                self._refuse_if_throttled(repo, address, origin, now, attempt)
                found = repo.users.credentials(address)
                inactive = found is not None and not _coach_active(repo, found[0])
            user = self._check(found, password)
        except (Throttled, Busy):
            self._drop(attempt)
            raise
        if user is not None:
            with self.rt.unit() as repo:
                repo.sign_ins.succeeded(attempt)
            if inactive:  # said only to whom knows the password: no failure either
                raise Refused(COACH_INACTIVE)
        return user

    def _refuse_if_throttled(
        self, repo: Repository, email: str, client: str, now: datetime, attempt: int | None
    ) -> None:
        """Throttled if ``MAX_FAILURES`` failures of the e-mail address or of the client came
        before (``attempt``, or now); then this process knows it until the lock ends."""
        limit = MAX_FAILURES + (attempt is not None)  # an attempt counts itself
        store = repo.sign_ins
        for key in (("email", email), ("client", client)):
            failures = store.failures(*key, now - WINDOW, attempt, limit)
            earlier = failures[1:] if attempt is not None else failures
            if len(earlier) >= MAX_FAILURES:
                until = earlier[MAX_FAILURES - 1] + WINDOW
                with _LOCKS_LOCK:
                    _LOCKS.setdefault(self.rt.engine, {})[key] = until
                raise Throttled(_minutes_until(until, now))

    def _refuse_if_known_throttled(self, email: str, client: str, now: datetime) -> None:
        """Throttled without a look at the database, if this process saw the lock already
        (it only ends by time: no attempt that could end it sooner is checked meanwhile)."""
        with _LOCKS_LOCK:
            locks = _LOCKS.get(self.rt.engine, {})
            for key in (("email", email), ("client", client)):
                until = locks.get(key)
                if until is not None and until > now:
                    raise Throttled(_minutes_until(until, now))
                locks.pop(key, None)

    def _drop(self, attempt: int) -> None:
        with self.rt.unit() as repo:
            repo.sign_ins.drop(attempt)

    @staticmethod
    def _check(found: tuple[User, str] | None, password: str) -> User | None:
        if found is None:
            password_matches(dummy_hash(), password)
            return None
        user, password_hash = found
        if not password_matches(password_hash, password) or user.disabled:
            return None
        return user

    @staticmethod
    def _account(repo: Repository, email: str) -> User:
        found = repo.users.credentials(email.strip())
        if found is None:
            raise NotFound(f"kein Zugang für {email.strip()!r}", "email")
        return found[0]
