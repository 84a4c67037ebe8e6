"""CSRF protection: a random token per session that every form sends back.

Every form carries ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``
(the layout passes ``csrf_token`` to every template); a request that changes anything
without the session's token is refused with 403 and changes nothing (see endpoints.py).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from starlette.requests import Request

FIELD = "csrf_token"
HEADER = "x-csrf-token"  # for requests that send no form
_KEY = "csrf"

REJECTED = (
    "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen (CSRF-Token fehlt oder ist "
    "falsch). Bitte die Seite neu laden und noch einmal absenden."
)


def token(request: Request) -> str:
    """The session's token; made on first use."""
    value = request.session.get(_KEY)
    if not isinstance(value, str):
        value = rotate(request)
    return value


def rotate(request: Request) -> str:
    """A fresh token, e.g. at sign-in, so that one known before it is worthless after."""
    value = secrets.token_urlsafe(32)
    request.session[_KEY] = value
    return value


def valid(request: Request, form: Mapping[str, object]) -> bool:
    """Whether the form (or the header) carries the session's token."""
    expected = request.session.get(_KEY)
    given = form.get(FIELD) or request.headers.get(HEADER)
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and hmac.compare_digest(given.encode(), expected.encode())
    )
