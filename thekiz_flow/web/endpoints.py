"""The two kinds of endpoint: ``@page`` (GET) and ``@action`` (POST, from a form).

Both take the roles that may use them and turn a plain function of a :class:`Context`
into a Starlette endpoint that

1. sends someone not signed in to the login page,
2. refuses a role not named with 403,
3. (actions) refuses a form without the session's CSRF token with 403,
4. answers an id in the address that no row can have (``/centres/99999999999``) as an
   unknown one (404), before it reaches the database,
5. runs the function in a worker thread (the service is synchronous) with the service
   acting for the signed-in user, so the audit trail names them.

A ``UserError`` the service raises becomes a German 400 page (errors.py); nothing is
written, as long as an action makes one service call that changes something.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import NotFound
from thekiz_flow.core.ids import NONE_SUCH, check_id, id_in_range
from thekiz_flow.core.users import User
from thekiz_flow.service import Service
from thekiz_flow.web import csrf
from thekiz_flow.web.auth import current_user, login_redirect
from thekiz_flow.web.errors import Forbidden
from thekiz_flow.web.render import redirect, render
from thekiz_flow.web.state import web_state

Endpoint = Callable[[Request], Awaitable[Response]]


class _Id(Convertor[int]):
    """A number in an address (``{centre_id:id}``): ASCII digits, few enough to be read at
    once. A longer one matches no route: Starlette's 404 page."""

    regex = "[0-9]{1,40}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


class _Year(_Id):
    regex = "[0-9]{4}"


register_url_convertor("id", _Id())
register_url_convertor("year", _Year())
REFUSAL_DELAY = 1.0  # seconds
_CHECKED: set[Endpoint] = set()  # endpoints that check the CSRF token of what they change


@dataclass(frozen=True)
class Context:
    """One request of a signed-in user: what a page or an action works with."""

    request: Request
    user: User
    service: Service  # acting as the user
    form: FormData = field(default_factory=FormData)  # empty for pages

    def render(self, template: str, status: int = 200, **values: object) -> HTMLResponse:
        return render(self.request, template, values, status)

    def redirect(self, path: str, message: str | None = None) -> RedirectResponse:
        return redirect(self.request, path, message)

    def text(self, name: str) -> str:
        """A form field as text ("" when it is missing); the service checks its value."""
        value = self.form.get(name)
        return value if isinstance(value, str) else ""


Handler = Callable[[Context], Response]


def page(*roles: Role) -> Callable[[Handler], Endpoint]:
    """A page (GET) that the named roles may see."""

    def wrap(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(_run, request, handler, roles, None)

        return endpoint

    return wrap


def action(*roles: Role) -> Callable[[Handler], Endpoint]:
    """An action (POST from a form with the CSRF token) that the named roles may take."""

    def wrap(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            form = await request.form()
            return await run_in_threadpool(_run, request, handler, roles, form)

        _CHECKED.add(endpoint)
        return endpoint

    return wrap


def public_action(handler: Callable[[Request, FormData], Response]) -> Endpoint:
    """An action without sign-in (only the login itself); the CSRF token is still checked.
    A refusal to try (429, 503) is answered after ``REFUSAL_DELAY`` seconds, which hold no
    worker thread: a flood from one client gets a few answers a second, not hundreds."""

    def checked(request: Request, form: FormData) -> Response:
        require_token(request, form)
        return handler(request, form)

    async def endpoint(request: Request) -> Response:
        form = await request.form()
        response = await run_in_threadpool(checked, request, form)
        if response.status_code in (429, 503):
            await anyio.sleep(REFUSAL_DELAY)
        return response

    _CHECKED.add(endpoint)
    return endpoint


def _check_ids(request: Request) -> None:
    """An id in the address beyond the range of ids: the page of an unknown one (404)."""
    for name, value in request.path_params.items():
        if not name.endswith("_id"):
            continue
        kind = name.removesuffix("_id")
        if kind in NONE_SUCH:
            check_id(kind, value)
        elif not id_in_range(value):
            raise NotFound("Diese Seite gibt es nicht.")


def checks_csrf(endpoint: object) -> bool:
    return endpoint in _CHECKED


def require_token(request: Request, form: FormData) -> None:
    if not csrf.valid(request, form):
        raise Forbidden(csrf.REJECTED)


def _run(
    request: Request, handler: Handler, roles: Collection[Role], form: FormData | None
) -> Response:
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    if user.role not in roles:
        raise Forbidden()
    if form is not None:
        require_token(request, form)
    _check_ids(request)
    service = web_state(request).services(user.email)
    return handler(Context(request, user, service, form or FormData()))
