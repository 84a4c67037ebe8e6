"""Signing in and out, the session cookie, CSRF tokens and what each role may reach."""

from __future__ import annotations

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.web_helpers import PASSWORD, USERS, csrf_token, login, logout, web_client
from thekiz_flow.config import Settings, WebSettings
from thekiz_flow.service import Service
from thekiz_flow.web import app as web_app
from thekiz_flow.web.pages.login import WRONG


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
    service.disable_user(USERS["coach"])
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
    service.disable_user(USERS["office"])
    assert not signed_in(web)


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


@pytest.mark.parametrize(("role", "status"), [("office", 200), ("coach", 200), ("ministry", 403)])
def test_the_overview_per_role(web: TestClient, role: str, status: int) -> None:
    login(web, role)
    response = web.get("/")
    assert response.status_code == status
    if status == 403:
        assert "nicht freigegeben" in response.text
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
