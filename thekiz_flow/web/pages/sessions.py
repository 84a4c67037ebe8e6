"""Sessions and site visits: what is coming and what is not yet recorded, and recording it.

``/sessions`` lists the planned coaching sessions before today (not yet recorded) and
those of the next days (or of one month), by coach; a coach sees their own at first.
Each session has the forms of ``web/_session_actions.html.j2``: record it as held, move
it, cancel it. The office may do so for every session, a coach only for the sessions of
the centres they accompany. Above the lists, two forms of ``web/_session_new_forms.html.j2``:
a session on request (what a Konsultationseinrichtung needs) and a session held that was
never planned (the CLI's ``session done E<n>``); the centre is picked by name, a coach only
sees their own. ``/visits`` lists the planned site visits; the office records a visit
held, moves or cancels a planned one (after a confirmation), or records another one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.model import Activity, ActivityFilter, Centre, Stage
from thekiz_flow.core.users import User
from thekiz_flow.service import Service
from thekiz_flow.web.auth import READERS, here, may_record_for, safe_next
from thekiz_flow.web.endpoints import Context, Endpoint, action, page
from thekiz_flow.web.errors import Forbidden
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

UPCOMING_DAYS = 30  # how far ahead the lists look without a month
ALL_COACHES = ""  # the coach filter's value for every coach
SESSIONS = "/sessions"
VISITS = "/visits"


def month_start(value: str) -> date:
    """The first day of a month given as JJJJ-MM (the value of an ``<input type="month">``)."""
    try:
        return datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        raise InvalidInput("month", f"ungültiger Monat {value!r} (Format JJJJ-MM)") from None


def period(month: date | None, today: date) -> tuple[date | None, date]:
    """The days the lists cover: the month, or everything up to the next ``UPCOMING_DAYS``."""
    if month is None:
        return None, today + timedelta(days=UPCOMING_DAYS)
    following = (month + timedelta(days=31)).replace(day=1)
    return month, following - timedelta(days=1)


def coach_filter(user: User, given: str | None) -> int | None:
    """The coach whose sessions are listed: as chosen, else the coach's own (None: all)."""
    if given is None:
        return user.coach_id if user.role == Role.COACH else None
    if given == ALL_COACHES:
        return None
    return parse_id("coach", "coach", given)


def _month_filter(request: Request) -> date | None:
    given = request.query_params.get("month", "")
    return month_start(given) if given else None


def _planned(
    service: Service, kind: ActivityKind, coach: int | None, month: date | None
) -> list[Activity]:
    first, last = period(month, service.runtime.today())
    where = ActivityFilter(
        coach_id=coach, kind=kind, status=ActivityStatus.PLANNED, first=first, last=last
    )
    return service.overview.activities(where)


def _split(found: Sequence[Activity], today: date) -> tuple[list[Activity], list[Activity]]:
    """(not recorded: before today, upcoming: from today)."""
    return [a for a in found if a.date < today], [a for a in found if a.date >= today]


@page(*READERS)
def sessions(ctx: Context) -> Response:
    service, today = ctx.service, ctx.service.runtime.today()
    month = _month_filter(ctx.request)
    coach = coach_filter(ctx.user, ctx.request.query_params.get("coach"))
    found = _planned(service, ActivityKind.COACHING, coach, month)
    centres = {c.id: c for c in service.registry.centres()}
    coaches = service.registry.coaches()
    unrecorded, upcoming = _split(found, today)
    return ctx.render(
        "web/sessions.html.j2",
        200,
        title="Begleittermine",
        unrecorded=unrecorded,
        upcoming=upcoming,
        centres=centres,
        coaches=coaches,
        coach_names={c.id: c.name for c in coaches},
        chosen_coach=coach,
        month=month,
        last=period(month, today)[1],
        back=here(ctx.request),
        may_act={a.id for a in found if may_record_for(ctx.user, centres[a.centre_id].coach_id)},
        **_new_session_options(ctx, list(centres.values())),
        typed={},
        errors={},
    )


def centre_label(centre: Centre, stages: Mapping[str, Stage]) -> str:
    """A centre as a choice names it: "Kita Regenbogen (Jena, Nr. 3) – Basisbegleitung"."""
    return f"{centre.name} ({centre.district}, Nr. {centre.id}) – {stages[centre.stage].name}"


def _new_session_options(ctx: Context, centres: Sequence[Centre]) -> dict[str, object]:
    """The centres the new-session forms offer: the user's (a coach's own), by name; those
    that may request one are in a stage with sessions."""
    stages = ctx.service.workflow.stages
    mine = sorted(
        (c for c in centres if c.coach_id is not None and may_record_for(ctx.user, c.coach_id)),
        key=lambda c: (c.name.casefold(), c.district, c.id),
    )
    coaching = [c for c in mine if stages[c.stage].offers(ActivityKind.COACHING)]
    return {
        "request_centres": [(c.id, centre_label(c, stages)) for c in coaching],
        "record_centres": [(c.id, centre_label(c, stages)) for c in mine],
        "today": ctx.service.runtime.today(),
    }


def _chosen_centre(ctx: Context) -> Centre:
    """The centre chosen in a form, if the user may act for it (else 403)."""
    given = ctx.text("centre")
    if not given.strip():
        raise InvalidInput("centre", "bitte eine Einrichtung wählen")
    centre, _ = ctx.service.registry.centre(parse_id("centre", "centre", given))
    if not may_record_for(ctx.user, centre.coach_id):
        raise Forbidden(f"{centre.title} wird nicht von Ihnen begleitet.")
    return centre


def _new_session_form(
    ctx: Context, form: str, title: str, fields: tuple[str, ...], change: Callable[[Centre], str]
) -> Response:
    """A form of a new session: ``change(centre)`` and back with its message; if it is
    refused, the form alone again with the message beside the field and what was typed."""

    def done() -> Response:
        return ctx.redirect(_back(ctx), change(_chosen_centre(ctx)))

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in ("centre", *fields)}
        values = {"form": form, "typed": typed, "errors": errors, "back": _back(ctx)}
        options = _new_session_options(ctx, ctx.service.registry.centres())
        return ctx.render("web/session_new_form.html.j2", 400, title=title, **values, **options)

    return beside_fields(done, again)


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

    return _new_session_form(ctx, "request", "Termin auf Anfrage", ("date", "hours"), change)


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

    fields = ("date", "hours", "note")
    return _new_session_form(ctx, "unplanned", "Nicht geplanten Termin erfassen", fields, change)


def _session_of(ctx: Context) -> tuple[Activity, Centre]:
    """The session of the address, if the user may record it (else 403)."""
    session, centre = ctx.service.sessions.get(ctx.request.path_params["activity_id"])
    if not may_record_for(ctx.user, centre.coach_id):
        raise Forbidden(
            f"Termin {session.id} gehört zu einer Einrichtung, die Sie nicht begleiten."
        )
    return session, centre


def _back(ctx: Context, default: str = SESSIONS) -> str:
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
        return ctx.redirect(_back(ctx), change(session, centre))

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in fields}
        values = {"activity": session, "form": form, "typed": typed, "errors": errors}
        return ctx.render("web/session_form.html.j2", 400, title=title, back=_back(ctx), **values)

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


@page(*READERS)
def visits(ctx: Context) -> Response:
    service = ctx.service
    month = _month_filter(ctx.request)
    return ctx.render(
        "web/visits.html.j2",
        title="Einrichtungsbesuche",
        visits=_planned(service, ActivityKind.SITE_VISIT, None, month),
        centres={c.id: c for c in service.registry.centres()},
        stages={s.id: s.name for s in service.workflow.stages.values()},
        month=month,
        last=period(month, service.runtime.today())[1],
        today=service.runtime.today(),
        may_record=ctx.user.role == Role.OFFICE,
        back=here(ctx.request),
        visit_centres=_visit_centres(service),
    )


def _visit_centres(service: Service) -> list[tuple[int, str]]:
    """Every centre, by name, for recording a visit that was not planned."""
    stages = service.workflow.stages
    found = sorted(service.registry.centres(), key=lambda c: (c.name.casefold(), c.district, c.id))
    return [(c.id, centre_label(c, stages)) for c in found]


@action(Role.OFFICE)
def record_visit(ctx: Context) -> Response:
    def change() -> Response:
        held = ctx.service.sessions.record_visit(
            _visit_centre(ctx.text("centre")),
            validate.day("date", ctx.text("date")),
            ctx.text("note"),
        )
        return ctx.redirect(
            _back(ctx, VISITS),
            f"Einrichtungsbesuch bei {_title(ctx, held.centre_id)} am "
            f"{german.short_date(held.date)} erfasst.",
        )

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in ("centre", "date", "note")}
        back = _back(ctx, VISITS)
        values = {"typed": typed, "errors": errors, "back": back}
        options = _visit_centres(ctx.service)
        return ctx.render(
            "web/visit_form.html.j2", 400, title="Besuch erfassen", visit_centres=options, **values
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
        return ctx.redirect(_back(ctx, VISITS), change(visit))

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in fields}
        centre, _ = ctx.service.registry.centre(visit.centre_id)
        values = {"activity": visit, "centre": centre, "form": form, "typed": typed}
        back = _back(ctx, VISITS)
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


def _session_route(name: str, handler: Endpoint) -> Route:
    return Route(f"{SESSIONS}/{{activity_id:id}}/{name}", handler, methods=["POST"])


def _visit_route(name: str, handler: Endpoint) -> Route:
    return Route(f"{VISITS}/{{activity_id:id}}/{name}", handler, methods=["POST"])


routes = [
    Route(SESSIONS, sessions, methods=["GET"]),
    Route(f"{SESSIONS}/request", request_session, methods=["POST"]),
    Route(f"{SESSIONS}/unplanned", record_unplanned, methods=["POST"]),
    _session_route("record", record),
    _session_route("move", move),
    _session_route("cancel", cancel),
    Route(VISITS, visits, methods=["GET"]),
    Route(VISITS, record_visit, methods=["POST"]),
    _visit_route("move", move_visit),
    _visit_route("cancel", cancel_visit),
]
nav = [
    NavItem(SESSIONS, "Begleittermine", READERS),
    NavItem(VISITS, "Besuche", READERS),
]
