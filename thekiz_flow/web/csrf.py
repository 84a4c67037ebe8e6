"""CSRF protection: a random token per session that every form sends back.

A signed-in session's token lives with the session in the database (it ends with it);
before signing in, the login form's token lives in the signed cookie. Every form carries
``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``
(the layout passes ``csrf_token`` to every template); a request that changes anything
without the session's token is refused with 403 and changes nothing (see endpoints.py).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from starlette.requests import Request

from thekiz_flow.web.auth import current_session

FIELD = "csrf_token"
HEADER = "x-csrf-token"  # for requests that send no form
_KEY = "csrf"

REJECTED = (
    "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen (CSRF-Token fehlt oder ist "
    "falsch). Bitte die Seite neu laden und noch einmal absenden."
)


def token(request: Request) -> str:
    """The signed-in session's token, or the visitor's (made on first use). Reads the
    database, so call it in a worker thread."""
    session = current_session(request)
    if session is not None:
        return session.csrf_token
    value = request.session.get(_KEY)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        request.session[_KEY] = value
    return value


def valid(request: Request, form: Mapping[str, object]) -> bool:
    """Whether the form (or the header) carries the session's token."""
    session = current_session(request)
    expected = session.csrf_token if session is not None else request.session.get(_KEY)
    given = form.get(FIELD) or request.headers.get(HEADER)
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and hmac.compare_digest(given.encode(), expected.encode())
    )
