"""The office's page of the users: add one, re-enable or disable one, set a new password.

A new user gets a role and a first password (given twice); a coach's user is linked to the
coach found by a search of their name or e-mail address (``web/coach_choice.py``).

Disabling and a new password end every session of that user (the service does it, as for
the command line). Disabling and re-enabling need a ticked confirmation. The office's own
account is not changed here: its own password is changed under "Mein Zugang".
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import unknown
from thekiz_flow.core.labels import ROLE_NAMES
from thekiz_flow.core.lists import NO, YES, UserSearch, UserSort
from thekiz_flow.core.paging import Page
from thekiz_flow.core.users import User
from thekiz_flow.digest.tables import Kind
from thekiz_flow.service.users import MIN_PASSWORD, NEW_PASSWORD, PASSWORD
from thekiz_flow.web.coach_choice import coach_choice, finding_coach, found_one
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.export import Export, export_routes
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.lists import query_of, search_of, shown
from thekiz_flow.web.pages.account import NOT_REPEATED, new_password
from thekiz_flow.web.state import NavItem

PATH = "/users"
NEW = PATH + "/new"
NEW_FIELDS = ("email", "role", "coach")
UNCONFIRMED = "Häkchen setzen"
SORT_NAMES = {
    UserSort.EMAIL: "E-Mail (A–Z)",
    UserSort.EMAIL_DESC: "E-Mail (Z–A)",
    UserSort.ROLE: "Rolle",
    UserSort.CREATED_DESC: "zuletzt angelegt zuerst",
    UserSort.CREATED: "zuerst angelegt zuerst",
}
STATE_OPTIONS = [(YES, "aktiv"), (NO, "gesperrt")]
#: The columns of the export: German titles, and the kind of each.
COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("Nr.", "int"),
    ("E-Mail", "text"),
    ("Rolle", "text"),
    ("angelegt", "date"),
    ("Stand", "text"),
)
OWN = "Den eigenen Zugang ändern Sie hier nicht, sondern unter „Mein Zugang“."


def _account(ctx: Context) -> User:
    """The user of the address: another one than the signed-in office."""
    user_id: int = ctx.request.path_params["user_id"]
    found = ctx.service.users.get(user_id)
    if found is None:
        raise unknown("user", user_id)
    return found


def _other(ctx: Context) -> User:
    found = _account(ctx)
    if found.id == ctx.user.id:
        raise InvalidInput(None, OWN)
    return found


def _page(ctx: Context, account: User, errors: Errors | None = None) -> Response:
    status = 400 if errors else 200
    values = {"account": account, "errors": errors or {}, "min_length": MIN_PASSWORD}
    return ctx.render("web/user.html.j2", status, title=account.email, **values)


def _confirmed(ctx: Context) -> None:
    if ctx.text("confirm") != "ja":
        raise InvalidInput("confirm", UNCONFIRMED)


@page(Role.OFFICE)
def users(ctx: Context) -> Response:
    search = search_of(ctx, UserSearch)

    def show(found: Page[User] | None, errors: Errors) -> Response:
        return ctx.render(
            "web/users.html.j2",
            400 if errors else 200,
            title="Zugänge",
            found=found,
            search=search,
            query=query_of(search),
            errors=errors,
            options={
                "role": list(ROLE_NAMES.items()),
                "active": STATE_OPTIONS,
                "sort": list(SORT_NAMES.items()),
            },
        )

    return shown(lambda: ctx.service.lists.users(search), show)


def _export(ctx: Context) -> Export:
    found = ctx.service.lists.all_users(search_of(ctx, UserSearch))
    rows = [
        (
            u.id,
            u.email,
            ROLE_NAMES[u.role],
            u.created_at.astimezone(ctx.service.zone).date(),
            _state(u),
        )
        for u in found
    ]
    name = f"zugaenge-{ctx.service.runtime.today().isoformat()}"
    titles, kinds = zip(*COLUMNS, strict=True)
    return Export(name, titles, kinds, rows)


def _state(account: User) -> str:
    return "gesperrt" if account.disabled else "aktiv"


def _new_form(ctx: Context, typed: dict[str, str], errors: Errors | None = None) -> Response:
    return ctx.render(
        "web/user_form.html.j2",
        400 if errors else 200,
        title="Neuer Zugang",
        values=typed,
        roles=list(ROLE_NAMES.items()),
        coach_choice=coach_choice(ctx, typed.get("coach", ""), active_only=True, with_email=True),
        errors=errors or {},
        min_length=MIN_PASSWORD,
    )


@page(Role.OFFICE)
def new_form(ctx: Context) -> Response:
    return _new_form(ctx, {**dict.fromkeys(NEW_FIELDS, ""), "role": Role.COACH})


@action(Role.OFFICE)
def add(ctx: Context) -> Response:
    typed = {name: ctx.text(name) for name in NEW_FIELDS}
    if finding_coach(ctx):
        return _new_form(ctx, found_one(ctx, typed))

    def change() -> Response:
        password = ctx.text(PASSWORD)
        if ctx.text("repeat") != password:
            raise InvalidInput("repeat", NOT_REPEATED.replace("neuen ", ""))
        coach = typed["coach"] if typed["role"] == Role.COACH and typed["coach"] else None
        user_id = ctx.service.users.add(typed["email"], typed["role"], password, coach)
        return ctx.redirect(f"{PATH}/{user_id}", f"Zugang {typed['email'].strip()} angelegt.")

    return beside_fields(change, lambda errors: _new_form(ctx, typed, errors))


@page(Role.OFFICE)
def user(ctx: Context) -> Response:
    return _page(ctx, _account(ctx))


@action(Role.OFFICE)
def set_password(ctx: Context) -> Response:
    account = _other(ctx)

    def change() -> Response:
        ctx.service.users.set_password(account.email, new_password(ctx), NEW_PASSWORD)
        message = f"Neues Passwort für {account.email} gesetzt; seine Sitzungen sind beendet."
        return ctx.redirect(f"{PATH}/{account.id}", message)

    return beside_fields(change, lambda errors: _page(ctx, account, errors))


@action(Role.OFFICE)
def disable(ctx: Context) -> Response:
    account = _other(ctx)

    def change() -> Response:
        _confirmed(ctx)
        ctx.service.users.disable(account.email)
        message = f"Zugang {account.email} gesperrt; seine Sitzungen sind beendet."
        return ctx.redirect(f"{PATH}/{account.id}", message)

    return beside_fields(change, lambda errors: _page(ctx, account, errors))


@action(Role.OFFICE)
def enable(ctx: Context) -> Response:
    account = _other(ctx)

    def change() -> Response:
        _confirmed(ctx)
        ctx.service.users.enable(account.email)
        return ctx.redirect(f"{PATH}/{account.id}", f"Zugang {account.email} freigegeben.")

    return beside_fields(change, lambda errors: _page(ctx, account, errors))


routes = [
    Route(PATH, users, methods=["GET"]),
    *export_routes(PATH, _export, Role.OFFICE),
    Route(NEW, new_form, methods=["GET"]),
    Route(NEW, add, methods=["POST"]),
    Route(PATH + "/{user_id:id}", user, methods=["GET"]),
    Route(PATH + "/{user_id:id}/password", set_password, methods=["POST"]),
    Route(PATH + "/{user_id:id}/disable", disable, methods=["POST"]),
    Route(PATH + "/{user_id:id}/enable", enable, methods=["POST"]),
]
nav = [NavItem(PATH, "Zugänge", (Role.OFFICE,))]
