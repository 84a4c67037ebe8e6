"""Who is signed in, and what their role may do.

Roles: ``office`` may do everything; ``coach`` may read and record the sessions of the
centres they accompany; ``ministry`` sees the yearly digests only.

The signed session cookie holds only the secret of a web session; the session itself (its
user, its CSRF token) lives in the database and is read again on every request. Signing
out, disabling the user or a new password delete it: a copy of the cookie is worthless
from then on, on every device and in every server process.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse

from thekiz_flow.core.enums import Role
from thekiz_flow.core.users import User, WebSession
from thekiz_flow.web.state import web_state

ALL = tuple(Role)
READERS = (Role.OFFICE, Role.COACH)  # every page but the digests
LOGIN = "/login"
_KEY = "session"  # the secret of the web session, in the signed cookie


def current_session(request: Request) -> WebSession | None:
    """The web session of an active user (looked up once per request), or None. Reads the
    database, so call it in a worker thread."""
    if not hasattr(request.state, "web_session"):
        secret = session_secret(request)
        found = None if secret is None else web_state(request).system().users.web_session(secret)
        if found is None and secret is not None:
            request.session.clear()  # ended, expired or its user disabled
        request.state.web_session = found
    session = request.state.web_session
    assert session is None or isinstance(session, WebSession)
    return session


def current_user(request: Request) -> User | None:
    """The signed-in, active user, or None."""
    session = current_session(request)
    return None if session is None else session.user


def session_secret(request: Request) -> str | None:
    secret = request.session.get(_KEY)
    return secret if isinstance(secret, str) else None


def client_address(request: Request) -> str:
    """Where the request comes from (behind a proxy, as the server was told)."""
    return request.client.host if request.client is not None else "unbekannt"


def sign_in(request: Request, secret: str) -> None:
    """The cookie of a new session: nothing of the visit before it stays (neither its CSRF
    token nor its messages)."""
    request.session.clear()
    request.session[_KEY] = secret


def sign_out(request: Request) -> None:
    """The session ends in the database, so every copy of its cookie is worthless."""
    secret = session_secret(request)
    if secret is not None:
        web_state(request).system().users.sign_out(secret)
    request.session.clear()
    request.state.web_session = None


def landing(user: User) -> str:
    """Where a user goes after signing in."""
    return "/digests" if user.role == Role.MINISTRY else "/"


def safe_next(value: object) -> str | None:
    """A local path to return to after signing in; never another site."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return None


def here(request: Request) -> str:
    """This page's local address with its query: where to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, coming back here afterwards (for pages; actions start over)."""
    target = LOGIN
    if request.method in ("GET", "HEAD"):
        target += "?" + urlencode({"next": here(request)})
    return RedirectResponse(target, status_code=303)


def may_record_for(user: User, coach_id: int | None) -> bool:
    """Whether the user may record sessions of a centre accompanied by ``coach_id``."""
    if user.role == Role.OFFICE:
        return True
    return user.role == Role.COACH and user.coach_id is not None and user.coach_id == coach_id
