"""Coaches: their centres and their load per month against the monthly maximum.

``/coaches`` lists every coach with the load of this month and the next ones;
``/coaches/{id}`` shows the months of the current year, as ``thekiz-flow coach show``.

The office adds a coach, changes a coach's name, e-mail address and hourly rate, and
deactivates a coach who leaves the programme (or activates them again). A deactivated coach
keeps their history but is offered for no centre, so nothing new is planned for them. While
centres are still assigned to a coach, deactivating is refused with their names: each is
handed over on its own page first, where the office sees what moves with it. Deactivating
never leaves a centre without a coach unnoticed.
"""

from __future__ import annotations

from datetime import date

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.lists import NO, YES, CoachSearch, CoachSort
from thekiz_flow.core.paging import Page
from thekiz_flow.digest.tables import Kind
from thekiz_flow.service.lists import CoachRow
from thekiz_flow.service.registry import EARLIEST
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.export import Export, export_routes
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.lists import query_of, search_of, shown
from thekiz_flow.web.state import NavItem

LIST_MONTHS = 3  # months of the load in the list, from this one
PATH = "/coaches"
NEW = PATH + "/new"
COACH_FIELDS = ("name", "email", "rate")
RATE_FIELDS = ("valid_from", "reason")  # of a change of the rate
UNCONFIRMED = "Häkchen setzen"
SORT_NAMES = {
    CoachSort.NAME: "Name (A–Z)",
    CoachSort.NAME_DESC: "Name (Z–A)",
    CoachSort.RATE: "Honorar (niedrigstes zuerst)",
    CoachSort.RATE_DESC: "Honorar (höchstes zuerst)",
    CoachSort.CENTRES: "Einrichtungen (wenigste zuerst)",
    CoachSort.CENTRES_DESC: "Einrichtungen (meiste zuerst)",
}
ACTIVE_OPTIONS = [(YES, "aktiv"), (NO, "deaktiviert")]
#: The columns of the export: German titles, and the kind of each.
COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("Nr.", "int"),
    ("Name", "text"),
    ("E-Mail", "text"),
    ("Honorar je Stunde (€)", "euro"),
    ("Einrichtungen", "int"),
    ("Stand", "text"),
)


def coach_path(coach_id: int) -> str:
    return f"{PATH}/{coach_id}"


def _coach_id(ctx: Context) -> int:
    value = ctx.request.path_params["coach_id"]
    assert isinstance(value, int)
    return value


@page(*READERS)
def coaches(ctx: Context) -> Response:
    search = search_of(ctx, CoachSearch)
    office = ctx.user.role == Role.OFFICE

    def show(found: Page[CoachRow] | None, errors: Errors) -> Response:
        rows = found.items if found else []
        return ctx.render(
            "web/coaches.html.j2",
            400 if errors else 200,
            title="Prozessbegleitungen",
            found=found,
            months=[m.month for m in rows[0].load] if rows else [],
            maximum=ctx.service.workflow.coach_max_hours_per_month,
            office=office,
            search=search,
            query=query_of(search),
            errors=errors,
            options={"active": ACTIVE_OPTIONS, "sort": list(SORT_NAMES.items())},
        )

    return shown(lambda: ctx.service.lists.coaches(search, LIST_MONTHS), show)


def _export(ctx: Context) -> Export:
    found = ctx.service.lists.all_coaches(search_of(ctx, CoachSearch))
    rows = [
        (c.id, c.name, c.email, c.rate, centres, "aktiv" if c.active else "deaktiviert")
        for c, centres in found
    ]
    name = f"prozessbegleitungen-{ctx.service.runtime.today().isoformat()}"
    titles, kinds = zip(*COLUMNS, strict=True)
    return Export(name, titles, kinds, rows)


@page(*READERS)
def coach(ctx: Context) -> Response:
    return _detail(ctx, _coach_id(ctx))


def _detail(
    ctx: Context,
    coach_id: int,
    errors: Errors | None = None,
    typed: dict[str, str] | None = None,
    form: str = "",
) -> Response:
    """The coach's page; the office's forms, one of them (``form``) refused with ``errors``."""
    service = ctx.service
    year = service.runtime.today().year
    report = service.overview.coach_report(coach_id, date(year, 1, 1))
    office = ctx.user.role == Role.OFFICE
    assigned = service.registry.coach(coach_id)[1] if office else []
    current = report.coach
    values = typed or {
        "name": current.name,
        "email": current.email,
        "rate": f"{current.rate:.2f}".replace(".", ","),
        "valid_from": "",
        "reason": "",
    }
    return ctx.render(
        "web/coach.html.j2",
        400 if errors else 200,
        title=report.coach.name,
        report=report,
        year=year,
        maximum=service.workflow.coach_max_hours_per_month,
        office=office,
        assigned=assigned,
        values=values,
        errors=errors or {},
        form=form,
        rates=service.registry.rates(coach_id),
        earliest=EARLIEST,
    )


# ------------------------------------------------------------------- the office's
def _new_form(ctx: Context, values: dict[str, str], errors: Errors | None = None) -> Response:
    return ctx.render(
        "web/coach_form.html.j2",
        400 if errors else 200,
        title="Neue Prozessbegleitung",
        values=values,
        errors=errors or {},
    )


@page(Role.OFFICE)
def new_form(ctx: Context) -> Response:
    return _new_form(ctx, dict.fromkeys(COACH_FIELDS, ""))


@action(Role.OFFICE)
def add(ctx: Context) -> Response:
    typed = {name: ctx.text(name) for name in COACH_FIELDS}

    def change() -> Response:
        coach_id = ctx.service.registry.add_coach(typed["name"], typed["email"], typed["rate"])
        return ctx.redirect(coach_path(coach_id), f"Prozessbegleitung {typed['name']} angelegt.")

    return beside_fields(change, lambda errors: _new_form(ctx, typed, errors))


@action(Role.OFFICE)
def edit(ctx: Context) -> Response:
    coach_id = _coach_id(ctx)
    typed = {name: ctx.text(name) for name in (*COACH_FIELDS, *RATE_FIELDS)}

    def change() -> Response:
        since = typed["valid_from"].strip()
        day = validate.day("valid_from", since) if since else None
        done = ctx.service.registry.update_coach(
            coach_id,
            typed["name"],
            typed["email"],
            typed["rate"],
            valid_from=day,
            reason=typed["reason"] or None,
        )
        return ctx.redirect(
            coach_path(coach_id),
            f"Prozessbegleitung geändert: {done.name} ({done.email}), "
            f"{german.euro(done.rate)} je Stunde.",
        )

    return beside_fields(change, lambda errors: _detail(ctx, coach_id, errors, typed, "edit"))


def _confirmed(ctx: Context) -> None:
    if ctx.text("confirm") != "ja":
        raise InvalidInput("confirm", UNCONFIRMED)


@action(Role.OFFICE)
def deactivate(ctx: Context) -> Response:
    coach_id = _coach_id(ctx)

    def change() -> Response:
        _confirmed(ctx)
        done = ctx.service.registry.deactivate_coach(coach_id)
        return ctx.redirect(
            coach_path(coach_id),
            f"{done.name} ist deaktiviert und wird keiner Einrichtung mehr angeboten.",
        )

    return beside_fields(change, lambda errors: _detail(ctx, coach_id, errors, form="active"))


@action(Role.OFFICE)
def activate(ctx: Context) -> Response:
    coach_id = _coach_id(ctx)

    def change() -> Response:
        _confirmed(ctx)
        done = ctx.service.registry.activate_coach(coach_id)
        return ctx.redirect(
            coach_path(coach_id), f"{done.name} ist wieder aktiv und kann Einrichtungen begleiten."
        )

    return beside_fields(change, lambda errors: _detail(ctx, coach_id, errors, form="active"))


routes = [
    Route(PATH, coaches, methods=["GET"]),
    *export_routes(PATH, _export, Role.OFFICE),
    Route(NEW, new_form, methods=["GET"]),
    Route(NEW, add, methods=["POST"]),
    Route(PATH + "/{coach_id:id}", coach, methods=["GET"]),
    Route(PATH + "/{coach_id:id}/edit", edit, methods=["POST"]),
    Route(PATH + "/{coach_id:id}/deactivate", deactivate, methods=["POST"]),
    Route(PATH + "/{coach_id:id}/activate", activate, methods=["POST"]),
]
nav = [NavItem(PATH, "Prozessbegleitungen", READERS)]
