"""Signing in and out: the one page reachable without a session."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.web.auth import ALL, LOGIN, current_user, landing, safe_next, sign_in, sign_out
from thekiz_flow.web.endpoints import Context, action, public_action
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


@public_action
def login(request: Request, form: FormData) -> Response:
    email, password, after = (form.get(k) for k in ("email", "password", "next"))
    user = None
    if isinstance(email, str) and isinstance(password, str):
        user = web_state(request).system().authenticate(email, password)
    if user is None:
        shown = email if isinstance(email, str) else ""
        return _form(request, 400, email=shown, error=WRONG, next=after)
    sign_in(request, user)
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
