"""Errors as pages, in German, with the layout (for a signed-in user) around them.

A ``UserError`` from the service (bad input, a refused action) is shown with status 400,
its field by its German label: the service wrote nothing, as every service call is one
transaction. (A form shows it beside the field: ``thekiz_flow.web.fields``.) ``NotFound`` is 404,
``Throttled`` (too many failed sign-ins) 429, ``Busy`` (no free slot to check a password)
503; ``Forbidden`` (a role's limit, a missing CSRF token) is 403. Unknown addresses and
methods are 404 and 405, or the login page for someone not signed in.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from thekiz_flow.core.errors import Busy, NotFound, Throttled, UserError
from thekiz_flow.web.auth import current_user, login_redirect
from thekiz_flow.web.fields import described
from thekiz_flow.web.render import render

TEMPLATE = "web/error.html.j2"
TITLES = {
    400: "Nicht möglich",
    403: "Kein Zugriff",
    404: "Nicht gefunden",
    405: "Nicht möglich",
    429: "Zu viele Versuche",
    503: "Bitte gleich erneut versuchen",
}
FORBIDDEN_ROLE = "Diese Seite ist für Ihre Rolle nicht freigegeben."


class Forbidden(Exception):
    """The user may not do this (403); the message is German and shown as it is."""

    def __init__(self, message: str = FORBIDDEN_ROLE) -> None:
        super().__init__(message)


def error_page(request: Request, status: int, message: str) -> Response:
    title = TITLES.get(status, "Fehler")
    return render(request, TEMPLATE, {"title": title, "message": message}, status)


def status_of(exc: UserError) -> int:
    for kind, status in ((NotFound, 404), (Throttled, 429), (Busy, 503)):
        if isinstance(exc, kind):
            return status
    return 400


def _user_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UserError)
    return error_page(request, status_of(exc), described(exc))


def _forbidden(request: Request, exc: Exception) -> Response:
    return error_page(request, 403, str(exc))


def _http(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405: after a look at who asks (this runs in a worker thread)."""
    assert isinstance(exc, HTTPException)
    if current_user(request) is None:
        return login_redirect(request)
    messages = {404: "Diese Seite gibt es nicht.", 405: "Diese Seite nimmt das nicht an."}
    return error_page(request, exc.status_code, messages.get(exc.status_code, "Fehler."))


HANDLERS = {UserError: _user_error, Forbidden: _forbidden, HTTPException: _http}
