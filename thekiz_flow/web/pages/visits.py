"""Site visits: the planned ones, and the office's recording, moving and cancelling.

``/visits`` lists the planned site visits, not yet recorded and upcoming, a page at a time,
filtered and ordered like the sessions (``web/activity_lists.py``), and downloads as CSV
or XLSX. The office records a visit held, moves or cancels a planned one (after a
confirmation); ``/visits/new`` records one that was not planned, its centre found by name
(``web/centre_choice.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import ActivityKind, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.model import Activity
from thekiz_flow.web.activity_lists import PlannedList, exporter, show
from thekiz_flow.web.auth import READERS, safe_next
from thekiz_flow.web.centre_choice import SEARCH, centre_choices
from thekiz_flow.web.endpoints import Context, Endpoint, action, page
from thekiz_flow.web.export import export_routes
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.pages.sessions import back_to
from thekiz_flow.web.state import NavItem

VISITS = "/visits"
NEW = "/visits/new"
LIST = PlannedList(
    ActivityKind.SITE_VISIT,
    VISITS,
    "web/visits.html.j2",
    "Einrichtungsbesuche",
    "besuche",
    own_first=False,
)
FIELDS = ("centre", "date", "note")
TITLE = "Besuch erfassen"


@page(*READERS)
def visits(ctx: Context) -> Response:
    return show(ctx, LIST, may_record=ctx.user.role == Role.OFFICE)


@page(Role.OFFICE)
def new_visit(ctx: Context) -> Response:
    params = ctx.request.query_params
    back = safe_next(params.get("back")) or VISITS
    return _form(ctx, params.get(SEARCH, ""), back, {}, {})


def _form(ctx: Context, search: str, back: str, typed: dict[str, str], errors: Errors) -> Response:
    """The form of a visit not planned, with the centres its search finds; after a refusal
    with the message beside the field and what was typed."""

    def page(errors: Errors, choices: dict[str, object]) -> Response:
        values = {"back": back, "typed": typed, "errors": errors, "centre": None, **choices}
        today = ctx.service.runtime.today()
        status = 400 if errors else 200
        return ctx.render("web/visit_form.html.j2", status, title=TITLE, today=today, **values)

    chosen = typed.get("centre", "")
    return beside_fields(
        lambda: page(errors, centre_choices(ctx, search, chosen=chosen)),
        lambda refused: page(refused, centre_choices(ctx, "", chosen=chosen)),
    )


@action(Role.OFFICE)
def record_visit(ctx: Context) -> Response:
    def change() -> Response:
        held = ctx.service.sessions.record_visit(
            _visit_centre(ctx.text("centre")),
            validate.day("date", ctx.text("date")),
            ctx.text("note"),
        )
        return ctx.redirect(
            back_to(ctx, VISITS),
            f"Einrichtungsbesuch bei {_title(ctx, held.centre_id)} am "
            f"{german.short_date(held.date)} erfasst.",
        )

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in FIELDS}
        back = back_to(ctx, VISITS)
        if SEARCH in ctx.form or "centre" in errors:  # the form of /visits/new
            return _form(ctx, ctx.text(SEARCH), back, typed, errors)
        centre, _ = ctx.service.registry.centre(_visit_centre(typed["centre"]))
        return ctx.render(
            "web/visit_form.html.j2",
            400,
            title=f"Besuch bei {centre.name} erfassen",
            centre=centre,
            back=back,
            typed=typed,
            errors=errors,
        )

    return beside_fields(change, again)


def _title(ctx: Context, centre_id: int) -> str:
    """The centre as a message names it: "Kita Pusteblume (Jena)"."""
    centre, _ = ctx.service.registry.centre(centre_id)
    return centre.title


def _visit_centre(given: str) -> int:
    if not given.strip():
        raise InvalidInput("centre", "bitte eine Einrichtung wählen")
    return parse_id("centre", "centre", given)


def _visit_of(ctx: Context) -> Activity:
    """The site visit of the address (404 if there is none)."""
    visit, _ = ctx.service.sessions.get_visit(ctx.request.path_params["activity_id"])
    return visit


def _visit_change(
    ctx: Context, form: str, title: str, fields: tuple[str, ...], change: Callable[[Activity], str]
) -> Response:
    """Moving or cancelling a visit: ``change(visit)`` and back with its message; if it is
    refused, the form alone again with the message beside the field and what was typed."""
    visit = _visit_of(ctx)

    def done() -> Response:
        return ctx.redirect(back_to(ctx, VISITS), change(visit))

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in fields}
        centre, _ = ctx.service.registry.centre(visit.centre_id)
        values = {"activity": visit, "centre": centre, "form": form, "typed": typed}
        back = back_to(ctx, VISITS)
        return ctx.render(
            "web/visit_change_form.html.j2", 400, title=title, errors=errors, back=back, **values
        )

    return beside_fields(done, again)


@action(Role.OFFICE)
def move_visit(ctx: Context) -> Response:
    def change(visit: Activity) -> str:
        day = validate.day("date", ctx.text("date"))
        moved = ctx.service.sessions.move_visit(visit.id, day, ctx.text("reason"))
        return (
            f"Einrichtungsbesuch bei {_title(ctx, moved.centre_id)} verschoben auf "
            f"{german.short_date(moved.date)}."
        )

    return _visit_change(ctx, "move", "Besuch verschieben", ("date", "reason"), change)


@action(Role.OFFICE)
def cancel_visit(ctx: Context) -> Response:
    def change(visit: Activity) -> str:
        if ctx.text("confirm") != "ja":
            raise InvalidInput("confirm", "bitte bestätigen Sie die Absage")
        cancelled = ctx.service.sessions.cancel_visit(visit.id, ctx.text("reason"))
        return (
            f"Einrichtungsbesuch bei {_title(ctx, cancelled.centre_id)} am "
            f"{german.short_date(cancelled.date)} abgesagt."
        )

    return _visit_change(ctx, "cancel", "Besuch absagen", ("reason", "confirm"), change)


def _visit_route(name: str, handler: Endpoint) -> Route:
    return Route(f"{VISITS}/{{activity_id:id}}/{name}", handler, methods=["POST"])


routes = [
    Route(VISITS, visits, methods=["GET"]),
    Route(VISITS, record_visit, methods=["POST"]),
    *export_routes(VISITS, exporter(LIST), *READERS),
    Route(NEW, new_visit, methods=["GET"]),
    _visit_route("move", move_visit),
    _visit_route("cancel", cancel_visit),
]
nav = [NavItem(VISITS, "Besuche", READERS)]
