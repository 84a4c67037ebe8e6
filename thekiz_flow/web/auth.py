"""Who is signed in, and what their role may do.

Roles: ``office`` may do everything; ``coach`` may read and record the sessions of the
centres they accompany; ``ministry`` sees the yearly digests only. The session cookie
holds the user's number; the user is read again on every request, so a disabled user is
signed out at once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse

from thekiz_flow.db.users import COACH, MINISTRY, OFFICE, ROLES, User
from thekiz_flow.web import csrf
from thekiz_flow.web.state import web_state

ALL = ROLES
READERS = (OFFICE, COACH)  # every page but the digests
LOGIN = "/login"
_KEY = "user_id"


def current_user(request: Request) -> User | None:
    """The signed-in, active user (looked up once per request), or None. Reads the database."""
    if not hasattr(request.state, "user"):
        user_id = request.session.get(_KEY)
        user = web_state(request).system().user(user_id) if isinstance(user_id, int) else None
        if user is None and user_id is not None:
            request.session.clear()  # disabled or removed: the session ends
        request.state.user = user
    found = request.state.user
    assert found is None or isinstance(found, User)
    return found


def sign_in(request: Request, user: User) -> None:
    """A new session for the user, with a fresh CSRF token."""
    request.session.clear()
    request.session[_KEY] = user.id
    csrf.rotate(request)
    request.state.user = user


def sign_out(request: Request) -> None:
    request.session.clear()
    request.state.user = None


def landing(user: User) -> str:
    """Where a user goes after signing in."""
    return "/digests" if user.role == MINISTRY else "/"


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
    if user.role == OFFICE:
        return True
    return user.role == COACH and user.coach_id is not None and user.coach_id == coach_id
