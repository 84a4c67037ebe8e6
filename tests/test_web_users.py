"""My account (one's own password) and the office's users page (re-enable, disable, set a
new password): each ends the user's sessions through the service, as the command line does."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.web_helpers import PASSWORD, USERS, assert_action_guarded, login
from thekiz_flow.service import Service

NEW = "ein-ganz-neues-Passwort"
COACH_ID = 2  # the users are added office, coach, ministry: ids 1, 2, 3


def device(client: TestClient) -> TestClient:
    return TestClient(client.app, base_url="https://testserver")


def signed_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def signs_in(client: TestClient, email: str, password: str) -> bool:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    data = {"email": email, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=data, follow_redirects=False).status_code == 303


def beside(page: str, field: str) -> str:
    """The error shown beside a field."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert found is not None, f"no error beside {field}"
    return found.group(1)


@pytest.mark.parametrize("role", ["coach", "ministry"])
def test_a_user_changes_their_own_password_and_their_other_sessions_end(
    web: TestClient, role: str
) -> None:
    token = login(web, role)
    with device(web) as phone:
        login(phone, role)
        page = web.get("/account")
        assert 'autocomplete="current-password"' in page.text
        for form, field, message in (
            ({"current": "falsch-geraten", "new": NEW, "repeat": NEW}, "current", "stimmt nicht"),
            ({"current": PASSWORD, "new": "kurz", "repeat": "kurz"}, "new", "mindestens 12"),
            ({"current": PASSWORD, "new": NEW, "repeat": NEW + "x"}, "repeat", "stimmt nicht"),
        ):
            refused = web.post("/account/password", data={**form, "csrf_token": token})
            assert refused.status_code == 400
            assert message in beside(refused.text, field)
            assert signed_in(phone)
        changed = web.post(
            "/account/password",
            data={"current": PASSWORD, "new": NEW, "repeat": NEW, "csrf_token": token},
        )
        assert "Passwort geändert" in changed.text
        assert signed_in(web)  # this session goes on
        assert not signed_in(phone)  # the other one has ended
        assert not signs_in(phone, USERS[role], PASSWORD)
        assert signs_in(phone, USERS[role], NEW)


def test_the_office_disables_re_enables_and_sets_a_new_password(
    web: TestClient, service: Service
) -> None:
    with device(web) as coach:
        login(coach, "coach")
        token = login(web, "office")
        listed = web.get("/users")
        assert f'href="/users/{COACH_ID}">{USERS["coach"]}</a>' in listed.text
        unconfirmed = web.post(f"/users/{COACH_ID}/disable", data={"csrf_token": token})
        assert "Bitte bestätigen" in beside(unconfirmed.text, "confirm")
        assert signed_in(coach)
        confirmed = {"csrf_token": token, "confirm": "ja"}
        disabled = web.post(f"/users/{COACH_ID}/disable", data=confirmed)
        assert "gesperrt; seine Sitzungen sind beendet" in disabled.text
        assert not signed_in(coach)
        assert not signs_in(coach, USERS["coach"], PASSWORD)
        enabled = web.post(f"/users/{COACH_ID}/enable", data=confirmed)
        assert "freigegeben" in enabled.text
        assert signs_in(coach, USERS["coach"], PASSWORD)
        data = {"csrf_token": token, "new": NEW, "repeat": NEW}
        short = web.post(
            f"/users/{COACH_ID}/password", data={**data, "new": "kurz", "repeat": "kurz"}
        )
        assert "mindestens 12" in beside(short.text, "new")
        assert signed_in(coach)
        done = web.post(f"/users/{COACH_ID}/password", data=data)
        assert "Neues Passwort für" in done.text
        assert not signed_in(coach)
        assert signs_in(coach, USERS["coach"], NEW)
        own = web.post("/users/1/disable", data=confirmed)
        assert (own.status_code, "Mein Zugang" in own.text) == (400, True)
    assert [u.disabled for u in service.users.all()] == [False, False, False]


@pytest.mark.parametrize("change", ["disable", "enable", "password"])
def test_only_the_office_changes_users(web: TestClient, database_url: str, change: str) -> None:
    data = {"confirm": "ja", "new": NEW, "repeat": NEW}
    path = f"/users/{COACH_ID}/{change}"
    assert_action_guarded(web, database_url, path, data, forbidden=("coach", "ministry"))
    login(web, "coach")
    assert web.get("/users").status_code == 403
