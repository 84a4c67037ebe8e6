"""Coaching sessions: what is coming and what is not yet recorded, and recording it.

``/sessions`` lists the planned coaching sessions before today (not yet recorded) and
those of the next days (or of one month), a page at a time, filtered and ordered as the
office asks (``web/activity_lists.py``); a coach sees their own at first. It downloads as
CSV or XLSX (``/sessions/export.csv``, ``.xlsx``). Each session has the forms of
``web/_session_actions.html.j2``: record it as held, move it, cancel it. The office may do
so for every session, a coach only for the sessions of the centres they accompany.
``/sessions/<id>`` is one session with these forms open, where a coach's mails lead.
``/sessions/request`` plans a session on request (what a Konsultationseinrichtung needs),
``/sessions/unplanned`` records one held that was never planned (the CLI's
``session done E<n>``); their centre is found by name (``web/centre_choice.py``), a coach
only finds their own.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import ActivityKind, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.labels import STATUS_NAMES
from thekiz_flow.core.model import Activity, Centre
from thekiz_flow.core.users import User
from thekiz_flow.web.activity_lists import PlannedList, exporter, show
from thekiz_flow.web.auth import READERS, may_record_for, safe_next
from thekiz_flow.web.centre_choice import SEARCH, centre_choices
from thekiz_flow.web.endpoints import Context, Endpoint, action, page
from thekiz_flow.web.errors import Forbidden
from thekiz_flow.web.export import export_routes
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

ALL_COACHES = ""  # the coach filter's value for every coach
SESSIONS = "/sessions"
LIST = PlannedList(
    ActivityKind.COACHING,
    SESSIONS,
    "web/sessions.html.j2",
    "Begleittermine",
    "begleittermine",
    own_first=True,
)
#: The forms of a new session: (title, the fields besides the centre, the kind of activity
#: the centre's stage must have, or None).
NEW_FORMS: dict[str, tuple[str, tuple[str, ...], ActivityKind | None]] = {
    "request": ("Termin auf Anfrage planen", ("date", "hours"), ActivityKind.COACHING),
    "unplanned": ("Nicht geplanten Termin erfassen", ("date", "hours", "note"), None),
}


def coach_filter(user: User, given: str | None) -> int | None:
    """The coach whose sessions are listed: as chosen, else the coach's own (None: all)."""
    if given is None:
        return user.coach_id if user.role == Role.COACH else None
    if given == ALL_COACHES:
        return None
    return parse_id("coach", "coach", given)


@page(*READERS)
def sessions(ctx: Context) -> Response:
    return show(ctx, LIST, may_act=lambda row: may_record_for(ctx.user, row.centre_coach_id))


def _new_form(ctx: Context, form: str, errors: Errors | None = None) -> Response:
    """The form of a new session (``form``: request, unplanned) with the centres its search
    finds; after a refusal with the message beside the field and what was typed."""
    title, fields, kind = NEW_FORMS[form]
    if errors is None:  # the page: its search in the address
        search = ctx.request.query_params.get(SEARCH, "")
        back = safe_next(ctx.request.query_params.get("back")) or SESSIONS
        typed: dict[str, str] = {}
    else:  # the form again: its search in the form
        search, back = ctx.text(SEARCH), back_to(ctx)
        typed = {name: ctx.text(name) for name in ("centre", *fields)}

    def page(errors: Errors, choices: dict[str, object]) -> Response:
        return ctx.render(
            "web/session_new_form.html.j2",
            400 if errors else 200,
            title=title,
            form=form,
            back=back,
            today=ctx.service.runtime.today(),
            typed=typed,
            errors=errors,
            **choices,
        )

    chosen = typed.get("centre", "")
    return beside_fields(
        lambda: page(errors or {}, centre_choices(ctx, search, kind, chosen)),
        lambda refused: page(refused, centre_choices(ctx, "", kind, chosen)),
    )


@page(Role.OFFICE, Role.COACH)
def request_form(ctx: Context) -> Response:
    return _new_form(ctx, "request")


@page(Role.OFFICE, Role.COACH)
def unplanned_form(ctx: Context) -> Response:
    return _new_form(ctx, "unplanned")


def _chosen_centre(ctx: Context) -> Centre:
    """The centre chosen in a form, if the user may act for it (else 403)."""
    given = ctx.text("centre")
    if not given.strip():
        raise InvalidInput("centre", "bitte eine Einrichtung wählen")
    centre, _ = ctx.service.registry.centre(parse_id("centre", "centre", given))
    if not may_record_for(ctx.user, centre.coach_id):
        raise Forbidden(f"{centre.title} wird nicht von Ihnen begleitet.")
    return centre


def _new_session(ctx: Context, form: str, change: Callable[[Centre], str]) -> Response:
    """A new session: ``change(centre)`` and back with its message; if it is refused, the
    form again with the message beside the field and what was typed."""

    def done() -> Response:
        return ctx.redirect(back_to(ctx), change(_chosen_centre(ctx)))

    return beside_fields(done, lambda errors: _new_form(ctx, form, errors))


@action(Role.OFFICE, Role.COACH)
def request_session(ctx: Context) -> Response:
    def change(centre: Centre) -> str:
        day = validate.day("date", ctx.text("date"))
        hours = ctx.text("hours").strip() or None
        planned = ctx.service.sessions.request(centre.id, day, hours)
        return (
            f"Termin {planned.id} bei {centre.title} auf Anfrage geplant am "
            f"{german.short_date(planned.date)}."
        )

    return _new_session(ctx, "request", change)


@action(Role.OFFICE, Role.COACH)
def record_unplanned(ctx: Context) -> Response:
    def change(centre: Centre) -> str:
        day = validate.day("date", ctx.text("date"))
        held = ctx.service.sessions.record(
            f"E{centre.id}", day, ctx.text("hours"), ctx.text("note")
        )
        hours = german.number(held.hours or Decimal(0))
        return (
            f"Termin {held.id} bei {centre.title} gehalten am "
            f"{german.short_date(held.date)}: {hours} Std."
        )

    return _new_session(ctx, "unplanned", change)


def _session_of(ctx: Context) -> tuple[Activity, Centre]:
    """The session of the address, if the user may record it (else 403)."""
    session, centre = ctx.service.sessions.get(ctx.request.path_params["activity_id"])
    if not may_record_for(ctx.user, centre.coach_id):
        raise Forbidden(
            f"Termin {session.id} gehört zu einer Einrichtung, die Sie nicht begleiten."
        )
    return session, centre


@page(Role.OFFICE, Role.COACH)
def session_page(ctx: Context) -> Response:
    """One session, with its forms open: where a coach's mail leads (record, move, cancel)."""
    session, centre = _session_of(ctx)
    _, coach = ctx.service.registry.centre(centre.id)
    stages = ctx.service.workflow.stages
    return ctx.render(
        "web/session.html.j2",
        title=f"Begleittermin am {german.short_date(session.date)}: {centre.title}",
        activity=session,
        centre=centre,
        coach=coach,
        stage=stages[session.stage].name if session.stage in stages else session.stage,
        state=STATUS_NAMES[session.status],
        back=session_path(session.id),
    )


def session_path(activity_id: int) -> str:
    return f"{SESSIONS}/{activity_id}"


def back_to(ctx: Context, default: str = SESSIONS) -> str:
    """Where a form came from (its ``back`` field), to return to after the action."""
    return safe_next(ctx.text("back")) or default


def _session_form(
    ctx: Context,
    form: str,
    title: str,
    fields: tuple[str, ...],
    change: Callable[[Activity, Centre], str],
) -> Response:
    """One of a session's forms: ``change(session, its centre)`` and back with its message; if
    it is refused, the form again with the message beside the field and what was typed."""
    session, centre = _session_of(ctx)

    def done() -> Response:
        return ctx.redirect(back_to(ctx), change(session, centre))

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in fields}
        values = {"activity": session, "form": form, "typed": typed, "errors": errors}
        return ctx.render("web/session_form.html.j2", 400, title=title, back=back_to(ctx), **values)

    return beside_fields(done, again)


@action(Role.OFFICE, Role.COACH)
def record(ctx: Context) -> Response:
    def change(session: Activity, centre: Centre) -> str:
        day = validate.day("date", ctx.text("date"))
        ref = str(session.id)
        held = ctx.service.sessions.record(ref, day, ctx.text("hours"), ctx.text("note"))
        hours = german.number(held.hours or Decimal(0))
        return (
            f"Termin {held.id} bei {centre.title} gehalten am "
            f"{german.short_date(held.date)}: {hours} Std."
        )

    return _session_form(ctx, "record", "Termin erfassen", ("date", "hours", "note"), change)


@action(Role.OFFICE, Role.COACH)
def move(ctx: Context) -> Response:
    def change(session: Activity, centre: Centre) -> str:
        day = validate.day("date", ctx.text("date"))
        moved = ctx.service.sessions.move(session.id, day, ctx.text("reason"))
        return (
            f"Termin {moved.id} bei {centre.title} verschoben auf {german.short_date(moved.date)}."
        )

    return _session_form(ctx, "move", "Termin verschieben", ("date", "reason"), change)


@action(Role.OFFICE, Role.COACH)
def cancel(ctx: Context) -> Response:
    def change(session: Activity, centre: Centre) -> str:
        cancelled = ctx.service.sessions.cancel(session.id, ctx.text("reason"))
        return (
            f"Termin {cancelled.id} bei {centre.title} am "
            f"{german.short_date(cancelled.date)} abgesagt."
        )

    return _session_form(ctx, "cancel", "Termin absagen", ("reason",), change)


def _session_route(name: str, handler: Endpoint) -> Route:
    return Route(f"{SESSIONS}/{{activity_id:id}}/{name}", handler, methods=["POST"])


routes = [
    Route(SESSIONS, sessions, methods=["GET"]),
    *export_routes(SESSIONS, exporter(LIST), *READERS),
    Route(f"{SESSIONS}/request", request_form, methods=["GET"]),
    Route(f"{SESSIONS}/request", request_session, methods=["POST"]),
    Route(f"{SESSIONS}/unplanned", unplanned_form, methods=["GET"]),
    Route(f"{SESSIONS}/unplanned", record_unplanned, methods=["POST"]),
    Route(f"{SESSIONS}/{{activity_id:id}}", session_page, methods=["GET"]),
    _session_route("record", record),
    _session_route("move", move),
    _session_route("cancel", cancel),
]
nav = [NavItem(SESSIONS, "Begleittermine", READERS)]
