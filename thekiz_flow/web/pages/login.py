"""Signing in and out: the one page reachable without a session."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.errors import Busy, Refused, Throttled
from thekiz_flow.web.auth import (
    ALL,
    LOGIN,
    client_address,
    current_user,
    landing,
    safe_next,
    sign_in,
    sign_out,
)
from thekiz_flow.web.endpoints import Context, action, public_action
from thekiz_flow.web.errors import status_of
from thekiz_flow.web.render import redirect, render
from thekiz_flow.web.state import NavItem, web_state

TEMPLATE = "web/login.html.j2"
# The same answer for an unknown address, a wrong password and a disabled user.
WRONG = "E-Mail-Adresse oder Passwort ist falsch."


def _form(request: Request, status: int = 200, **values: object) -> Response:
    values = {"title": "Anmelden", "email": "", "error": None, **values}
    return render(request, TEMPLATE, {**values, "next": safe_next(values.get("next"))}, status)


def _login_page(request: Request) -> Response:
    user = current_user(request)
    if user is not None:
        return redirect(request, landing(user))
    return _form(request, next=request.query_params.get("next"))


async def login_page(request: Request) -> Response:
    return await run_in_threadpool(_login_page, request)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@public_action
def login(request: Request, form: FormData) -> Response:
    email, after = _text(form, "email"), form.get("next")
    system = web_state(request).system()
    try:
        signed = system.users.sign_in(email, _text(form, "password"), client_address(request))
    except (Throttled, Busy, Refused) as refused:
        response = _form(request, status_of(refused), email=email, error=str(refused), next=after)
        if isinstance(refused, Throttled):
            response.headers["Retry-After"] = str(refused.minutes * 60)
        return response
    if signed is None:
        return _form(request, 400, email=email, error=WRONG, next=after)
    user, secret = signed
    sign_in(request, secret)
    return redirect(request, safe_next(after) or landing(user))


@action(*ALL)
def logout(ctx: Context) -> Response:
    sign_out(ctx.request)
    return ctx.redirect(LOGIN, "Sie sind abgemeldet.")


routes = [
    Route(LOGIN, login_page, methods=["GET"]),
    Route(LOGIN, login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
nav: list[NavItem] = []
