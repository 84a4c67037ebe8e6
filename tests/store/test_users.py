"""The users of the web pages, their signed-in browsers and the sign-ins tried."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from tests.store.helpers import NOW, Unit
from thekiz_flow.core.enums import Role

TTL = timedelta(hours=8)


def test_users_round_trip(unit: Unit) -> None:
    with unit() as repo:
        coach = repo.add_coach("A", "a@example.org", Decimal(60), NOW)
        office = repo.users.add("Buero@Example.org", Role.OFFICE, "hash-1", None, NOW)
        mine = repo.users.add("a@example.org", Role.COACH, "hash-2", coach, NOW)
    with unit() as repo:
        found = repo.users.credentials("BUERO@example.org")
        assert found is not None
        user, password_hash = found
        assert (user.id, user.email, user.role, user.coach_id) == (
            office,
            "buero@example.org",
            Role.OFFICE,
            None,
        )
        assert (user.created_at, user.disabled, password_hash) == (NOW, False, "hash-1")
        assert repo.users.get(mine) == repo.users.credentials("a@example.org")[0]  # type: ignore[index]  # stored above
        assert repo.users.get(mine + 1) is None
        assert repo.users.credentials("c@example.org") is None
        repo.users.set_disabled(office, True)
        repo.users.set_password(office, "hash-3")
    with unit() as repo:
        assert [(u.id, u.disabled) for u in repo.users.all()] == [(office, True), (mine, False)]
        assert repo.users.credentials("buero@example.org")[1] == "hash-3"  # type: ignore[index]  # stored above


def test_an_address_has_one_user(unit: Unit) -> None:
    def add_twice() -> None:
        with unit() as repo:
            repo.users.add("a@example.org", Role.OFFICE, "hash", None, NOW)
            repo.users.add("A@example.org", Role.OFFICE, "hash", None, NOW)

    with pytest.raises(IntegrityError):
        add_twice()


def test_web_sessions_last_until_they_expire_or_end(unit: Unit) -> None:
    with unit() as repo:
        user = repo.users.add("a@example.org", Role.OFFICE, "hash", None, NOW)
        other = repo.users.add("b@example.org", Role.OFFICE, "hash", None, NOW)
        for token in ("one", "two", "three"):
            repo.web_sessions.add(token, user, f"csrf-{token}", NOW, TTL)
        for token in ("theirs", "theirs too"):  # an hour later
            repo.web_sessions.add(token, other, "csrf", NOW + timedelta(hours=1), TTL)
    with unit() as repo:
        found = repo.web_sessions.get("one", NOW + TTL - timedelta(seconds=1))
        assert found is not None
        assert (found.user.id, found.csrf_token, found.last_seen_at) == (user, "csrf-one", NOW)
        assert repo.web_sessions.get("one", NOW + TTL) is None  # expired
        assert repo.web_sessions.get("unknown", NOW) is None
        later = NOW + TTL - timedelta(minutes=1)
        repo.web_sessions.touch(found.id, later, TTL)
        repo.web_sessions.end("two")
    with unit() as repo:
        touched = repo.web_sessions.get("one", NOW + TTL)
        assert touched is not None
        assert touched.last_seen_at == later
        assert repo.web_sessions.get("two", NOW) is None
        repo.web_sessions.purge(NOW + TTL)  # "three" has expired; "one" was touched
        repo.web_sessions.end_all(other, keep="theirs")
    with unit() as repo:
        assert repo.web_sessions.get("three", NOW) is None
        assert repo.web_sessions.get("theirs", NOW) is not None
        assert repo.web_sessions.get("theirs too", NOW) is None
        repo.users.set_disabled(user, True)
        assert repo.web_sessions.get("one", NOW + TTL) is None  # a disabled user's
        repo.users.set_disabled(user, False)
        repo.web_sessions.end_all(user)
        assert repo.web_sessions.get("one", NOW + TTL) is None


def test_failed_sign_ins_count_after_the_last_success(unit: Unit) -> None:
    minute = timedelta(minutes=1)
    with unit() as repo:
        attempts = repo.sign_ins
        ids = [attempts.add("a@example.org", "10.0.0.1", NOW + n * minute) for n in range(4)]
        attempts.succeeded(ids[1])
        other = attempts.add("b@example.org", "10.0.0.1", NOW + 5 * minute)
        dropped = attempts.add("a@example.org", "10.0.0.2", NOW + 6 * minute)
        attempts.drop(dropped)
    with unit() as repo:
        failures = repo.sign_ins.failures
        since = NOW - minute
        assert failures("email", "a@example.org", since, None, 10) == [
            NOW + 3 * minute,
            NOW + 2 * minute,
        ]  # newest first, after the success
        assert failures("email", "a@example.org", since, ids[2], 10) == [NOW + 2 * minute]
        assert failures("email", "a@example.org", NOW + 2 * minute, None, 10) == [NOW + 3 * minute]
        assert failures("client", "10.0.0.1", since, None, 2) == [
            NOW + 5 * minute,
            NOW + 3 * minute,
        ]
        assert failures("client", "10.0.0.2", since, None, 10) == []
        assert failures("email", "b@example.org", since, other, 10) == [NOW + 5 * minute]
        repo.sign_ins.purge(NOW + 3 * minute)
    with unit() as repo:
        assert repo.sign_ins.failures("email", "a@example.org", since, None, 10) == [
            NOW + 3 * minute
        ]
