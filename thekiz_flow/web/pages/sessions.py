"""Sessions and site visits: what is coming and what is not yet recorded, and recording it.

``/sessions`` lists the planned coaching sessions before today (not yet recorded) and
those of the next days (or of one month), by coach; a coach sees their own at first.
Each session has the forms of ``web/_session_actions.html.j2``: record it as held, move
it, cancel it. The office may do so for every session, a coach only for the sessions of
the centres they accompany. ``/visits`` lists the planned site visits; the office
records a visit held.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.model import Activity, ActivityFilter
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
    )


def _session_of(ctx: Context) -> Activity:
    """The session of the address, if the user may record it (else 403)."""
    session, centre = ctx.service.sessions.get(ctx.request.path_params["activity_id"])
    if not may_record_for(ctx.user, centre.coach_id):
        raise Forbidden(
            f"Termin {session.id} gehört zu einer Einrichtung, die Sie nicht begleiten."
        )
    return session


def _back(ctx: Context, default: str = SESSIONS) -> str:
    """Where a form came from (its ``back`` field), to return to after the action."""
    return safe_next(ctx.text("back")) or default


def _session_form(
    ctx: Context, form: str, title: str, fields: tuple[str, ...], change: Callable[[Activity], str]
) -> Response:
    """One of a session's forms: ``change(session)`` and back with its message; if it is refused,
    the form again with the message beside the field and what was typed."""
    session = _session_of(ctx)

    def done() -> Response:
        return ctx.redirect(_back(ctx), change(session))

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in fields}
        values = {"activity": session, "form": form, "typed": typed, "errors": errors}
        return ctx.render("web/session_form.html.j2", 400, title=title, back=_back(ctx), **values)

    return beside_fields(done, again)


@action(Role.OFFICE, Role.COACH)
def record(ctx: Context) -> Response:
    def change(session: Activity) -> str:
        day = validate.day("date", ctx.text("date"))
        ref = str(session.id)
        held = ctx.service.sessions.record(ref, day, ctx.text("hours"), ctx.text("note"))
        hours = german.number(held.hours or Decimal(0))
        return f"Termin {held.id} gehalten am {german.short_date(held.date)}: {hours} Std."

    return _session_form(ctx, "record", "Termin erfassen", ("date", "hours", "note"), change)


@action(Role.OFFICE, Role.COACH)
def move(ctx: Context) -> Response:
    def change(session: Activity) -> str:
        day = validate.day("date", ctx.text("date"))
        moved = ctx.service.sessions.move(session.id, day, ctx.text("reason"))
        return f"Termin {moved.id} verschoben auf {german.short_date(moved.date)}."

    return _session_form(ctx, "move", "Termin verschieben", ("date", "reason"), change)


@action(Role.OFFICE, Role.COACH)
def cancel(ctx: Context) -> Response:
    def change(session: Activity) -> str:
        cancelled = ctx.service.sessions.cancel(session.id, ctx.text("reason"))
        return f"Termin {cancelled.id} am {german.short_date(cancelled.date)} abgesagt."

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
    )


@action(Role.OFFICE)
def record_visit(ctx: Context) -> Response:
    def change() -> Response:
        held = ctx.service.sessions.record_visit(
            parse_id("centre", "centre", ctx.text("centre")),
            validate.day("date", ctx.text("date")),
            ctx.text("note"),
        )
        return ctx.redirect(
            _back(ctx, VISITS),
            f"Einrichtungsbesuch bei Einrichtung {held.centre_id} am "
            f"{german.short_date(held.date)} erfasst.",
        )

    def again(errors: Errors) -> Response:
        typed = {name: ctx.text(name) for name in ("centre", "date", "note")}
        back = _back(ctx, VISITS)
        values = {"typed": typed, "errors": errors, "back": back}
        return ctx.render("web/visit_form.html.j2", 400, title="Besuch erfassen", **values)

    return beside_fields(change, again)


def _session_route(name: str, handler: Endpoint) -> Route:
    return Route(f"{SESSIONS}/{{activity_id:id}}/{name}", handler, methods=["POST"])


routes = [
    Route(SESSIONS, sessions, methods=["GET"]),
    _session_route("record", record),
    _session_route("move", move),
    _session_route("cancel", cancel),
    Route(VISITS, visits, methods=["GET"]),
    Route(VISITS, record_visit, methods=["POST"]),
]
nav = [
    NavItem(SESSIONS, "Begleittermine", READERS),
    NavItem(VISITS, "Besuche", READERS),
]
