"""My account: every signed-in user changes their own password here.

The current password is checked like a sign-in (and throttled like one); the new one is
given twice. Afterwards the user's other sessions have ended, this one goes on. A refused
field shows its message beside it.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.service.users import MIN_PASSWORD
from thekiz_flow.web.auth import ALL, client_address, session_secret
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

PATH = "/account"
NOT_REPEATED = "stimmt nicht mit dem neuen Passwort überein"


def new_password(ctx: Context) -> str:
    """The new password of the form, the same in both fields."""
    new = ctx.text("new")
    if ctx.text("repeat") != new:
        raise InvalidInput("repeat", NOT_REPEATED)
    return new


def _page(ctx: Context, errors: Errors | None = None) -> Response:
    status = 400 if errors else 200
    values = {"errors": errors or {}, "min_length": MIN_PASSWORD}
    return ctx.render("web/account.html.j2", status, title="Mein Zugang", **values)


@page(*ALL)
def account(ctx: Context) -> Response:
    return _page(ctx)


@action(*ALL)
def change_password(ctx: Context) -> Response:
    def change() -> Response:
        new = new_password(ctx)
        secret = session_secret(ctx.request)
        assert secret is not None  # signed in
        current = ctx.text("current")
        ctx.service.users.change_own_password(secret, current, new, client_address(ctx.request))
        return ctx.redirect(PATH, "Passwort geändert; auf anderen Geräten sind Sie abgemeldet.")

    return beside_fields(change, lambda errors: _page(ctx, errors))


routes = [
    Route(PATH, account, methods=["GET"]),
    Route(PATH + "/password", change_password, methods=["POST"]),
]
nav: list[NavItem] = []  # the header's e-mail address links here
