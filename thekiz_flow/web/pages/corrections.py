"""Correcting what was recorded: a held session's date, hours and note; a held session or
site visit cancelled as a mistake (``service.corrections``, as the CLI's ``correct`` and
``void``).

The office corrects and cancels everything. A coach corrects their own sessions for
``[web] coach_correction_days`` after recording them, and never cancels: the web passes
the coach to the service (:class:`ByCoach`), which refuses what they may not; the page
says so in advance and names the office. Each form comes from a centre's page (its held
activities) and returns there; a refusal shows the form again with the message beside its
field, what was typed kept, and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, paging, validate
from thekiz_flow.core.corrections import ByCoach, sentence
from thekiz_flow.core.enums import ActivityKind, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.labels import HELD_NOUNS
from thekiz_flow.core.model import Activity, Centre
from thekiz_flow.service import Service
from thekiz_flow.service.corrections import Entry
from thekiz_flow.web.auth import safe_next
from thekiz_flow.web.endpoints import Context, Endpoint, action, page
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem, web_state

CORRECT_FIELDS = ("date", "hours", "note", "reason")
VOID_FIELDS = ("reason", "confirm")
#: The query parameter of the page of a centre's corrections.
CHANGES_PAGE = "aenderungen"
#: The addresses of the forms, by kind of activity.
BASES = {ActivityKind.COACHING: "/sessions", ActivityKind.SITE_VISIT: "/visits"}


def by_coach(ctx: Context) -> ByCoach | None:
    """Who corrects, as the service sees it: a coach with their window, or the office."""
    if ctx.user.role != Role.COACH:
        return None
    days = web_state(ctx.request).settings.web.coach_correction_days
    return ByCoach(ctx.user.coach_id or 0, days)  # a coach's user without a coach: no own


def changes(service: Service, centre_id: int, asked: str) -> paging.Page[str]:
    """One page of the centre's corrections as German lines, the newest first."""
    number = paging.page_number(asked)
    entries: list[Entry] = service.corrections.of_centre(centre_id)[::-1]
    first = paging.offset(number)
    shown = entries[first : first + paging.size()]
    names = {stage.id: stage.name for stage in service.workflow.stages.values()}
    lines = [sentence(e.correction, service.zone, e.kind, e.day, names) for e in shown]
    return paging.Page.of(lines, len(entries), number)


def _activity(ctx: Context, kind: ActivityKind) -> tuple[Activity, Centre]:
    activity_id = ctx.request.path_params["activity_id"]
    if kind == ActivityKind.COACHING:
        return ctx.service.sessions.get(activity_id)
    return ctx.service.sessions.get_visit(activity_id)


def _back(ctx: Context, centre: Centre) -> str:
    given = ctx.text("back") or ctx.request.query_params.get("back")
    return safe_next(given) or f"/centres/{centre.id}"


def _about(activity: Activity, centre: Centre) -> str:
    """Der Begleittermin vom 02.03.2026 bei Kita X (Kreis)"""
    noun = HELD_NOUNS[activity.kind][0]
    return f"{noun} vom {german.short_date(activity.date)} bei {centre.title}"


def _form(
    ctx: Context,
    kind: ActivityKind,
    form: str,
    typed: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    """The form ``form`` (correct, void) of a held activity; after a refusal with the
    message beside its field and what was typed."""
    activity, centre = _activity(ctx, kind)
    refusal = None
    if form == "correct" and errors is None:
        refusal = ctx.service.corrections.refusal(activity.id, by_coach(ctx))
    if typed is None:
        hours = "" if activity.hours is None else german.number(activity.hours)
        typed = {
            "date": activity.date.isoformat(),
            "hours": hours,
            "note": activity.note or "",
            "reason": "",
        }
    noun = HELD_NOUNS[kind][0]
    title = f"{noun} korrigieren" if form == "correct" else f"{noun} als Fehler stornieren"
    return ctx.render(
        "web/correction_form.html.j2",
        400 if errors else 200,
        title=title,
        form=form,
        action=f"{BASES[kind]}/{activity.id}/{form}",
        activity=activity,
        about=_about(activity, centre),
        refusal=refusal,
        back=_back(ctx, centre),
        typed=typed,
        errors=errors or {},
    )


def _change(
    ctx: Context, kind: ActivityKind, form: str, fields: tuple[str, ...], done: Callable[[], str]
) -> Response:
    _, centre = _activity(ctx, kind)
    typed = {name: ctx.text(name) for name in fields}

    def change() -> Response:
        return ctx.redirect(_back(ctx, centre), done())

    return beside_fields(change, lambda errors: _form(ctx, kind, form, typed, errors))


# ---------------------------------------------------------------- sessions
@page(Role.OFFICE, Role.COACH)
def correct_form(ctx: Context) -> Response:
    return _form(ctx, ActivityKind.COACHING, "correct")


@action(Role.OFFICE, Role.COACH)
def correct(ctx: Context) -> Response:
    activity_id = ctx.request.path_params["activity_id"]

    def done() -> str:
        day = validate.day("date", ctx.text("date"))
        corrected, _ = ctx.service.corrections.correct_session(
            activity_id,
            ctx.text("reason"),
            day,
            ctx.text("hours"),
            ctx.text("note"),
            by=by_coach(ctx),
        )
        return f"Termin {corrected.id} korrigiert."

    return _change(ctx, ActivityKind.COACHING, "correct", CORRECT_FIELDS, done)


def _void(ctx: Context, kind: ActivityKind) -> Response:
    activity_id = ctx.request.path_params["activity_id"]
    void = (
        ctx.service.corrections.void_session
        if kind == ActivityKind.COACHING
        else ctx.service.corrections.void_visit
    )

    def done() -> str:
        if ctx.text("confirm") != "ja":
            raise InvalidInput("confirm", "Häkchen setzen")
        voided, _ = void(activity_id, ctx.text("reason"), by_coach(ctx))
        return f"Termin {voided.id} vom {german.short_date(voided.date)} als Fehler storniert."

    return _change(ctx, kind, "void", VOID_FIELDS, done)


@page(Role.OFFICE)
def void_session_form(ctx: Context) -> Response:
    return _form(ctx, ActivityKind.COACHING, "void")


@action(Role.OFFICE)
def void_session(ctx: Context) -> Response:
    return _void(ctx, ActivityKind.COACHING)


@page(Role.OFFICE)
def void_visit_form(ctx: Context) -> Response:
    return _form(ctx, ActivityKind.SITE_VISIT, "void")


@action(Role.OFFICE)
def void_visit(ctx: Context) -> Response:
    return _void(ctx, ActivityKind.SITE_VISIT)


def _routes(path: str, form: Endpoint, act: Endpoint) -> list[Route]:
    return [Route(path, form, methods=["GET"]), Route(path, act, methods=["POST"])]


routes = [
    *_routes("/sessions/{activity_id:id}/correct", correct_form, correct),
    *_routes("/sessions/{activity_id:id}/void", void_session_form, void_session),
    *_routes("/visits/{activity_id:id}/void", void_visit_form, void_visit),
]
nav: list[NavItem] = []
