"""The web pages' tests' common ground: users of each role, signing in, the CSRF token.

The ``web`` fixture (conftest.py) is a Starlette TestClient on a fresh database (SQLite and
PostgreSQL) with one user per role; the coach's user is linked to coach 1 (Lena Sommer).

    def test_a_page(web: TestClient) -> None:
        token = login(web, "office")           # signed in; the token for forms
        assert web.get("/").status_code == 200
        response = web.post("/an/action", data={"csrf_token": token, ...})

``assert_action_guarded`` checks what every action needs: a redirect to the login page
without a session, 403 for a role that may not, 403 without the CSRF token; and that
none of them wrote anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from argon2 import PasswordHasher
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from thekiz_flow.service import Service
from thekiz_flow.web import create_app
from thekiz_flow.workflow.config import Settings

PASSWORD = "ein-langes-Passwort"
SECRET_KEY = "s" * 32  # only for the tests
USERS = {
    "office": "buero@example.org",
    "coach": "lena@example.org",
    "ministry": "ministerium@example.org",
}
# argon2id at its lowest cost: the tests check behaviour, not the cost of a guess.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_users(service: Service) -> None:
    """Coach 1 (Lena Sommer) and one user per role."""
    service.registry.add_coach("Lena Sommer", USERS["coach"], "65")
    for role, email in USERS.items():
        service.users.add(email, role, PASSWORD)


def web_client(service: Service, settings: Settings | None = None) -> TestClient:
    """A client of the pages acting through ``service``; HTTPS, so that Secure cookies come back."""
    app = create_app(settings or Settings(), service.acting_as, SECRET_KEY)
    return TestClient(app, base_url="https://testserver")


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def login(client: TestClient, role: str) -> str:
    """Sign in as the user of ``role``; returns the session's CSRF token for forms."""
    token = csrf_token(client.get("/login").text)
    data = {"email": USERS[role], "password": PASSWORD, "csrf_token": token}
    landed = client.post("/login", data=data)
    assert "Abmelden" in landed.text, "not signed in"
    return csrf_token(landed.text)


def logout(client: TestClient, token: str) -> None:
    assert client.post("/logout", data={"csrf_token": token}).status_code == 200


def assert_action_guarded(
    client: TestClient,
    database_url: str,
    path: str,
    data: Mapping[str, str],
    forbidden: tuple[str, ...],
    allowed: str = "office",
) -> None:
    """Refused without a session, for each forbidden role and without the token; nothing written."""
    before = dump(database_url)
    response = client.post(path, data=data, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    for role in forbidden:
        token = login(client, role)
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403
        assert "nicht freigegeben" in response.text
        logout(client, token)
    token = login(client, allowed)
    for wrong in ({}, {"csrf_token": "falsch"}):
        response = client.post(path, data={**data, **wrong})
        assert response.status_code == 403
        assert "Sicherheitsprüfung" in response.text
    logout(client, token)
    assert dump(database_url) == before
