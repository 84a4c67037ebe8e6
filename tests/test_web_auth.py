"""Signing in and out, the session cookie, CSRF tokens and what each role may reach."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.web_helpers import PASSWORD, USERS, csrf_token, login, logout, web_client
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.errors import Throttled
from thekiz_flow.service import Service
from thekiz_flow.service import users as service_users
from thekiz_flow.service.users import COACH_INACTIVE
from thekiz_flow.web import app as web_app
from thekiz_flow.web.app import SESSION_COOKIE
from thekiz_flow.web.pages.login import WRONG
from thekiz_flow.workflow.config import Settings, WebSettings


def signed_in(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code != 303


@pytest.mark.parametrize("path", ["/", "/centres/1", "/no-such-page?x=1"])
def test_no_page_without_a_session_but_the_login(web: TestClient, path: str) -> None:
    response = web.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2F")
    login_page = web.get(response.headers["location"])
    assert login_page.status_code == 200
    assert "Anmelden" in login_page.text
    assert "Abmelden" not in login_page.text


@pytest.mark.parametrize(
    ("role", "landing"), [("office", "/"), ("coach", "/"), ("ministry", "/digests")]
)
def test_login_lands_on_the_role_s_page(web: TestClient, role: str, landing: str) -> None:
    token = csrf_token(web.get("/login").text)
    data = {"email": USERS[role].upper(), "password": PASSWORD, "csrf_token": token}
    response = web.post("/login", data=data, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, landing)
    assert web.get("/login", follow_redirects=False).headers["location"] == landing


def test_login_returns_to_the_page_asked_for_and_never_elsewhere(web: TestClient) -> None:
    for asked, landing in (("/?a=1", "/?a=1"), ("//evil.example/", "/"), ("https://x.y/", "/")):
        page = web.get("/login", params={"next": asked})
        data = {"email": USERS["office"], "password": PASSWORD, "next": asked}
        response = web.post(
            "/login", data={**data, "csrf_token": csrf_token(page.text)}, follow_redirects=False
        )
        assert response.headers["location"] == landing
        logout(web, csrf_token(web.get("/").text))


def test_a_failed_login_says_the_same_for_every_reason(web: TestClient, service: Service) -> None:
    service.users.disable(USERS["coach"])
    answers = set()
    for email, password in (
        (USERS["office"], "ein-falsches-Passwort"),
        ("niemand@example.org", PASSWORD),
        (USERS["coach"], PASSWORD),  # disabled
        (USERS["office"], ""),
    ):
        token = csrf_token(web.get("/login").text)
        data = {"email": email, "password": password, "csrf_token": token}
        response = web.post("/login", data=data)
        assert response.status_code == 400
        assert WRONG in response.text
        answers.add(response.text.replace(email, "E").replace(token, "T"))
        assert not signed_in(web)
    assert len(answers) == 1


def test_logout_ends_the_session(web: TestClient) -> None:
    token = login(web, "office")
    response = web.post("/logout", data={"csrf_token": token})
    assert "Sie sind abgemeldet." in response.text
    assert not signed_in(web)


def test_a_disabled_user_is_signed_out_at_once(web: TestClient, service: Service) -> None:
    login(web, "office")
    service.users.disable(USERS["office"])
    assert not signed_in(web)


def device(client: TestClient, address: str = "testclient") -> TestClient:
    """Another browser (or a copy of a cookie) on the same pages, from ``address``."""
    return TestClient(client.app, base_url="https://testserver", client=(address, 50000))


def test_a_cookie_copied_before_logout_is_refused_after_it(
    web: TestClient, database_url: str
) -> None:
    token = login(web, "office")
    copied = web.cookies[SESSION_COOKIE]
    with device(web) as thief:
        thief.cookies.set(SESSION_COOKIE, copied)
        assert signed_in(thief)  # the copy works while the session lasts
        logout(web, token)
        before = dump(database_url)
        thief.cookies.set(SESSION_COOKIE, copied)
        page = thief.get("/centres", follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/login?next=%2Fcentres")
        thief.cookies.set(SESSION_COOKIE, copied)
        renew = thief.post("/feeds/1/renew", data={"csrf_token": token}, follow_redirects=False)
        assert (renew.status_code, renew.headers["location"]) == (303, "/login")
    assert dump(database_url) == before


@pytest.mark.parametrize("end", ["disable", "password"])
def test_disabling_or_a_new_password_ends_the_user_s_sessions_on_every_device(
    web: TestClient, service: Service, end: str
) -> None:
    login(web, "coach")
    with device(web) as phone, device(web) as office:
        login(phone, "coach")
        login(office, "office")
        copied = web.cookies[SESSION_COOKIE]
        if end == "disable":
            service.users.disable(USERS["coach"])
            service.users.enable(USERS["coach"])  # enabled again: the old sessions stay ended
        else:
            service.users.set_password(USERS["coach"], "ein-ganz-neues-Passwort")
        assert not signed_in(web)
        assert not signed_in(phone)
        web.cookies.set(SESSION_COOKIE, copied)
        assert not signed_in(web)
        assert signed_in(office)  # another user's session goes on


def test_the_session_cookie_is_httponly_secure_and_lax(web: TestClient, service: Service) -> None:
    token = csrf_token(web.get("/login").text)
    data = {"email": USERS["office"], "password": PASSWORD, "csrf_token": token}
    cookie = web.post("/login", data=data, follow_redirects=False).headers["set-cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", f"max-age={12 * 3600}"} <= flags
    plain = Settings(web=WebSettings(secure_cookies=False))
    with web_client(service, plain) as client:
        cookie = client.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "secure" not in cookie


def test_forms_without_the_session_s_token_are_refused(web: TestClient) -> None:
    data = {"email": USERS["office"], "password": PASSWORD}
    web.get("/login")
    for wrong in ({}, {"csrf_token": "falsch"}):
        response = web.post("/login", data={**data, **wrong})
        assert response.status_code == 403
        assert "Sicherheitsprüfung" in response.text
        assert not signed_in(web)
    token = login(web, "office")
    assert web.post("/logout", data={"csrf_token": "falsch"}).status_code == 403
    assert signed_in(web)
    with web_client_like(web) as other:  # a token of another session is worthless there
        other.get("/login")
        assert other.post("/login", data={**data, "csrf_token": token}).status_code == 403
    assert web.post("/logout", headers={"x-csrf-token": token}).status_code == 200
    assert not signed_in(web)


def web_client_like(client: TestClient) -> TestClient:
    return TestClient(client.app, base_url="https://testserver", follow_redirects=False)


def test_the_token_changes_at_sign_in(web: TestClient) -> None:
    before = csrf_token(web.get("/login").text)
    assert login(web, "office") != before


@pytest.mark.parametrize(
    ("role", "start"), [("office", "/"), ("coach", "/"), ("ministry", "/digests")]
)
def test_the_start_page_per_role(web: TestClient, role: str, start: str) -> None:
    login(web, role)
    response = web.get("/")
    assert (response.status_code, response.url.path) == (200, start)
    if role == "ministry":
        assert "Übersicht</a>" not in response.text  # not in the ministry's navigation


def test_unknown_pages_and_methods_are_german_error_pages(web: TestClient) -> None:
    login(web, "office")
    missing = web.get("/no-such-page")
    assert (missing.status_code, "Diese Seite gibt es nicht." in missing.text) == (404, True)
    assert web.get("/logout").status_code == 405


def test_a_route_that_changes_something_must_check_the_token() -> None:
    def unchecked() -> None:
        pass

    with pytest.raises(RuntimeError, match="without a CSRF check"):
        web_app._require_csrf_checks([Route("/x", unchecked, methods=["POST"])])


class CountingHasher(PasswordHasher):
    """The tests' cheap hasher, counting the passwords it checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.checks = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.checks += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(service_users, "HASHER", counting)
    return counting


def try_login(client: TestClient, email: str, password: str) -> tuple[int, str]:
    token = csrf_token(client.get("/login").text)
    data = {"email": email, "password": password, "csrf_token": token}
    response = client.post("/login", data=data, follow_redirects=False)
    return response.status_code, response.text


THROTTLED = "Zu viele fehlgeschlagene Anmeldungen, bitte in 15 Minuten erneut versuchen."


def test_the_sixth_failed_sign_in_of_an_account_is_refused_without_a_check(
    web: TestClient, service: Service, hasher: CountingHasher
) -> None:
    for number in range(5):
        with device(web, f"10.0.0.{number}") as client:  # from five places
            assert try_login(client, USERS["office"], "falsch-geraten")[0] == 400
    assert hasher.checks == 5
    with device(web, "10.0.1.1") as elsewhere:
        status, page = try_login(elsewhere, USERS["office"].upper(), PASSWORD)  # even correct
        assert (status, THROTTLED in page) == (429, True)
        assert try_login(elsewhere, USERS["coach"], PASSWORD)[0] == 303  # others still may
    assert hasher.checks == 6
    assert isinstance(service.runtime.clock, FrozenClock)
    service.runtime.clock.advance(timedelta(minutes=14))
    with device(web, "10.0.1.2") as later:
        status, page = try_login(later, USERS["office"], PASSWORD)
        assert (status, "bitte in 1 Minute erneut" in page) == (429, True)
        service.runtime.clock.advance(timedelta(minutes=1))
        assert try_login(later, USERS["office"], PASSWORD)[0] == 303


def test_the_sixth_failed_sign_in_of_a_client_is_refused_without_a_check(
    web: TestClient, hasher: CountingHasher
) -> None:
    for number in range(5):  # unknown addresses are counted alike
        assert try_login(web, f"niemand{number}@example.org", PASSWORD)[0] == 400
    status, page = try_login(web, USERS["office"], PASSWORD)
    assert (status, THROTTLED in page) == (429, True)
    assert hasher.checks == 5
    with device(web, "10.0.0.9") as other:
        assert try_login(other, USERS["office"], PASSWORD)[0] == 303


def test_a_success_starts_the_count_anew(web: TestClient) -> None:
    for _ in range(4):
        assert try_login(web, USERS["office"], "falsch-geraten")[0] == 400
    logout(web, login(web, "office"))
    for _ in range(4):
        assert try_login(web, USERS["office"], "falsch-geraten")[0] == 400
    assert try_login(web, USERS["office"], PASSWORD)[0] == 303


@pytest.mark.backends("sqlite", "postgresql")  # concurrent transactions count attempts
def test_of_many_sign_ins_at_once_for_one_address_only_five_are_checked(
    service: Service, hasher: CountingHasher
) -> None:
    service.users.add(USERS["office"], "office", PASSWORD)
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def attempt(number: int) -> None:
        start.wait()
        try:
            service.users.sign_in("niemand@example.org", "falsch-geraten", f"203.0.113.{number}")
            outcomes.append("checked")
        except Throttled:
            outcomes.append("throttled")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["checked"] * 5 + ["throttled"] * 7
    assert hasher.checks == 5


def test_while_every_hashing_slot_is_taken_a_sign_in_is_asked_to_retry(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_users, "HASH_WAIT", 0.01)
    taken = [service_users._HASHING.acquire() for _ in range(service_users.HASHING_SLOTS)]
    try:
        status, page = try_login(web, USERS["office"], PASSWORD)
    finally:
        for _ in taken:
            service_users._HASHING.release()
    assert (status, "bitte gleich erneut versuchen" in page) == (503, True)
    for _ in range(5):  # the busy answer was not counted as a failure
        assert try_login(web, USERS["office"], "falsch-geraten")[0] == 400
    assert try_login(web, USERS["office"], PASSWORD)[0] == 429


def test_a_second_check_from_a_client_while_its_first_runs_is_asked_to_retry(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_users, "_CHECKING", {"testclient"})  # its first one runs
    status, page = try_login(web, USERS["office"], PASSWORD)
    assert (status, "bitte gleich erneut versuchen" in page) == (503, True)
    with device(web, "10.0.0.9") as other:
        assert try_login(other, USERS["office"], PASSWORD)[0] == 303


INLINE = re.compile(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=", re.IGNORECASE)


def test_pages_send_security_headers_and_no_inline_script_or_style(web: TestClient) -> None:
    login_page = web.get("/login")
    token = login(web, "office")
    pages = [login_page, *(web.get(path) for path in ("/", "/outbox", "/feeds", "/users"))]
    pages.append(web.post("/feeds/1/renew", data={"csrf_token": token}))  # the link input
    for page in pages:
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        assert INLINE.search(page.text) is None, INLINE.search(page.text)
    for asset, kind in (("/static/site.css", "text/css"), ("/static/site.js", "text/javascript")):
        served = web.get(asset)
        assert served.headers["content-type"].startswith(kind)
        assert served.headers["cache-control"].startswith("public")


def test_a_deactivated_coach_s_user_is_signed_out_and_refused_until_activated_again(
    web: TestClient, service: Service
) -> None:
    login(web, "coach")  # Lena Sommer's user, coach 1
    with device(web) as office:
        token = login(office, "office")
        data = {"confirm": "ja", "csrf_token": token}
        done = office.post("/coaches/1/deactivate", data=data)
        assert "Lena Sommer ist deaktiviert" in done.text
        assert signed_in(office)  # the office's session goes on
    assert not signed_in(web)
    for password, answer in ((PASSWORD, COACH_INACTIVE), ("ein-falsches-Passwort", WRONG)):
        token = csrf_token(web.get("/login").text)
        data = {"email": USERS["coach"], "password": password, "csrf_token": token}
        refused = web.post("/login", data=data)
        assert refused.status_code == 400
        assert answer in refused.text  # the reason only to whom knows the password
        assert not signed_in(web)
    service.registry.activate_coach(1)
    login(web, "coach")
    assert signed_in(web)


def test_a_session_of_a_deactivated_coach_s_user_is_no_session(
    web: TestClient, service: Service
) -> None:
    """Even a session its deactivation did not end (a sign-in committed just after it)."""
    login(web, "coach")
    with service.runtime.unit() as repo:
        repo.update_coach(1, {"active": False})  # the coach alone, their sessions left
    assert not signed_in(web)
