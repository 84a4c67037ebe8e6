"""The centres: the list, one centre's page, and the office's changes to a centre.

Everyone who reads (office and coaches) sees every centre; a coach's own centres are
marked. Adding, editing, assigning or removing a coach, changing the stage and withdrawing
the latest stage change are the office's (the removal after a ticked confirmation that says
what follows, a stage change and its withdrawal after one that says what they do): each
is one call of the service the CLI uses, with its checks and its German messages. A form
the service refuses comes back with the message and what was typed.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.calendar import WEEKDAYS as WEEKDAY_NAMES
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.labels import KIND_NAMES, STATUS_NAMES
from thekiz_flow.core.model import (
    NO_COACH,
    ActivityFilter,
    Centre,
    CentreEdit,
    CentreInput,
    CentreSearch,
)
from thekiz_flow.service import Service
from thekiz_flow.web.auth import READERS, may_record_for
from thekiz_flow.web.coach_choice import (
    coach_choice,
    coach_options,
    coach_search,
    finding_coach,
    found_one,
)
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.pages import stages as stages_page
from thekiz_flow.web.pages.corrections import CHANGES_PAGE, changes
from thekiz_flow.web.pages.planning import centre_planning
from thekiz_flow.web.state import NavItem

LIST = "/centres"
NEW = "/centres/new"
SORT_NAMES = {
    "name": "Name",
    "district": "Kreis",
    "stage": "Stufe",
    "since": "zuletzt gewechselt",
    "id": "Nummer",
}
WEEKDAY_CHOICES = [
    (validate.NO_WEEKDAY, "kein bevorzugter"),
    *((code, WEEKDAY_NAMES[day]) for code, day in validate.WEEKDAYS.items()),
]
WEEKDAY_CODES = {day: code for code, day in validate.WEEKDAYS.items()}
NEW_FIELDS = ("name", "district", "email", "carrier", "coach", "on")
EDIT_FIELDS = ("name", "district", "email", "carrier", "weekday")
NO_COACH_OPTION = (NO_COACH, "ohne Prozessbegleitung")


def centre_path(centre_id: int) -> str:
    return f"{LIST}/{centre_id}"


def _centre_id(ctx: Context) -> int:
    value = ctx.request.path_params["centre_id"]
    assert isinstance(value, int)
    return value


def _own_coach(ctx: Context) -> int | None:
    """The coach whose centres are marked as the user's own (coaches only)."""
    return ctx.user.coach_id if ctx.user.role == Role.COACH else None


# ---------------------------------------------------------------------- list
@page(*READERS)
def centre_list(ctx: Context) -> Response:
    params = ctx.request.query_params
    given = {f.name: params[f.name] for f in fields(CentreSearch) if f.name in params}
    search = CentreSearch(**given)
    service = ctx.service
    found = service.registry.find_centres(search)
    coaches = service.registry.coaches_by_id(
        [c.coach_id for c in found.centres if c.coach_id is not None]
    )
    query = {f.name: getattr(search, f.name) for f in fields(CentreSearch) if f.name != "page"}
    return ctx.render(
        "web/centres.html.j2",
        title="Einrichtungen",
        found=found,
        search=search,
        query=query,
        stages=service.workflow.stages,
        coaches=coaches,
        coach_search=coach_search(ctx),
        options={
            "stage": [(s.id, s.name) for s in service.workflow.stages.values()],
            "district": [(d, d) for d in service.workflow.districts],
            "coach": [*coach_options(ctx, search.coach), NO_COACH_OPTION],
            "sort": list(SORT_NAMES.items()),
        },
        own=_own_coach(ctx),
        may_add=ctx.user.role == Role.OFFICE,
        batch_triggers=[(t, service.workflow.step_name(t)) for t in service.workflow.transitions],
    )


# -------------------------------------------------------------------- detail
@page(*READERS)
def centre_page(ctx: Context) -> Response:
    return _detail(ctx, _centre_id(ctx))


def _detail(
    ctx: Context,
    centre_id: int,
    advance_errors: Errors | None = None,
    assign_errors: Errors | None = None,
    revert_errors: Errors | None = None,
) -> Response:
    """The centre's page; after a refused stage change or coach with the message beside
    its field and what was typed."""
    service = ctx.service
    centre, coach = service.registry.centre(centre_id)
    office = ctx.user.role == Role.OFFICE
    return ctx.render(
        "web/centre.html.j2",
        400 if advance_errors or assign_errors or revert_errors else 200,
        title=centre.name,
        centre=centre,
        coach=coach,
        stages=service.workflow.stages,
        weekday=None if centre.weekday is None else WEEKDAY_NAMES[centre.weekday],
        step=service.lifecycle.next_step(centre.id),
        budgets=service.overview.budgets(centre.id),
        history=service.lifecycle.history(centre.id),
        changes=changes(service, centre.id, ctx.request.query_params.get(CHANGES_PAGE, "")),
        reverted=service.reverts.reverted(centre.id),
        activities=service.overview.activities(ActivityFilter(centre_id=centre.id)),
        planning=centre_planning(service, centre),
        trigger_name=service.workflow.step_name,
        kind_names=KIND_NAMES,
        status_names=STATUS_NAMES,
        own=coach is not None and coach.id == _own_coach(ctx),
        office=office,
        may_record=may_record_for(ctx.user, centre.coach_id),
        triggers=_triggers(service, centre) if office else [],
        coach_choice=coach_choice(
            ctx, str(centre.coach_id or ""), ctx.text("coach"), active_only=True
        )
        if office
        else None,
        no_coach_option=NO_COACH_OPTION,
        handover=service.registry.planned_handover(centre.id) if office and coach else [],
        advance_errors=advance_errors or {},
        assign_errors=assign_errors or {},
        revert_errors=revert_errors or {},
        typed={name: ctx.text(name) for name in (*TYPED, "revert_reason")},
    )


# the fields of the page's forms
TYPED = ("trigger", "on", "reason", "centre_note", "force", "coach")


def _triggers(service: Service, centre: Centre) -> list[tuple[str, str]]:
    """(trigger, German label) of every stage change the machine allows from here."""
    stages = service.workflow.stages
    options = []
    for trigger in service.runtime.rules.triggers(centre.stage):
        transition = service.workflow.transitions[trigger]
        dest = centre.resume_stage if transition.returns else transition.dest
        arrow = f" (→ {stages[dest].name})" if dest is not None else ""
        options.append((trigger, service.workflow.step_name(trigger) + arrow))
    return options


# ------------------------------------------------------------------- actions
def _day(field: str, value: str) -> date | None:
    """An optional date of a form: empty is None (today), as without the CLI's option."""
    return validate.day(field, value) if value.strip() else None


@action(Role.OFFICE)
def advance(ctx: Context) -> Response:
    centre_id = _centre_id(ctx)

    def change() -> Response:
        asked = stages_page.Asked.of(ctx)
        args = (asked.trigger, asked.on, asked.reason, asked.force)
        if not stages_page.confirmed(ctx):  # first what it will do, then the change
            preview = ctx.service.lifecycle.preview([centre_id], *args, note=asked.note)
            if preview.report.skipped:
                raise preview.report.skipped[0].error
            centre, _ = ctx.service.registry.centre(centre_id)
            return stages_page.confirmation(
                ctx,
                f"{centre_path(centre_id)}/advance",
                preview,
                list(asked.typed.items()),
                centre_path(centre_id),
                {centre.id: centre.name},
            )
        done = ctx.service.lifecycle.advance(centre_id, *args, note=asked.note)
        stages = ctx.service.workflow.stages
        forced = " (erzwungen)" if done.forced else ""
        return ctx.redirect(
            centre_path(centre_id),
            f"Stufenwechsel: {stages[done.from_stage].name} → {stages[done.to_stage].name} "
            f"ab {german.short_date(done.effective)}{forced}.",
        )

    return beside_fields(
        change,
        lambda errors: _detail(
            ctx, centre_id, advance_errors=stages_page.german_errors(errors, ctx.service.workflow)
        ),
    )


@action(Role.OFFICE)
def revert(ctx: Context) -> Response:
    """Withdraw the centre's latest stage change: first what it will do, then, confirmed, the
    revert; a refusal beside the reason, as typed."""
    centre_id = _centre_id(ctx)

    def change() -> Response:
        reason = ctx.text("revert_reason")
        reverts = ctx.service.reverts
        if not stages_page.confirmed(ctx):
            preview = reverts.preview(centre_id, reason)
            path = f"{centre_path(centre_id)}/revert"
            return stages_page.revert_confirmation(ctx, path, preview, centre_path(centre_id))
        done = reverts.revert(centre_id, reason)
        stages = ctx.service.workflow.stages
        return ctx.redirect(
            centre_path(centre_id),
            f"Stufenwechsel zurückgenommen: wieder {stages[done.centre.stage].name}.",
        )

    def again(errors: Errors) -> Response:
        shown = {"revert_reason" if key == "reason" else key: text for key, text in errors.items()}
        return _detail(ctx, centre_id, revert_errors=shown)

    return beside_fields(change, again)


@action(Role.OFFICE)
def assign(ctx: Context) -> Response:
    centre_id = _centre_id(ctx)

    def change() -> Response:
        done = ctx.service.registry.assign_coach(centre_id, ctx.text("coach"))
        return ctx.redirect(centre_path(centre_id), done.summary())

    return beside_fields(change, lambda errors: _detail(ctx, centre_id, assign_errors=errors))


@action(Role.OFFICE)
def remove_coach(ctx: Context) -> Response:
    """The centre without a coach, after a ticked confirmation: its planned sessions and
    visits wait for the next coach (``service.registry._reassign``)."""
    centre_id = _centre_id(ctx)

    def change() -> Response:
        if ctx.text("confirm") != "ja":
            raise InvalidInput("confirm", "Häkchen setzen")
        done = ctx.service.registry.assign_coach(centre_id, NO_COACH)
        return ctx.redirect(centre_path(centre_id), done.summary())

    return beside_fields(change, lambda errors: _detail(ctx, centre_id, assign_errors=errors))


def _form(
    ctx: Context,
    values: dict[str, str],
    centre: Centre | None = None,
    errors: Errors | None = None,
) -> Response:
    """The form of a new centre (``centre`` None) or of an existing one."""
    service = ctx.service
    return ctx.render(
        "web/centre_form.html.j2",
        400 if errors else 200,
        title="Neue Einrichtung" if centre is None else f"{centre.name} bearbeiten",
        centre=centre,
        values=values,
        districts=[(d, d) for d in service.workflow.districts],
        coach_choice=coach_choice(ctx, values.get("coach", ""), active_only=True)
        if centre is None
        else None,
        weekdays=WEEKDAY_CHOICES,
        errors=errors or {},
    )


@page(Role.OFFICE)
def new_form(ctx: Context) -> Response:
    return _form(ctx, dict.fromkeys(NEW_FIELDS, ""))


@action(Role.OFFICE)
def add(ctx: Context) -> Response:
    typed = {name: ctx.text(name) for name in NEW_FIELDS}
    if finding_coach(ctx):
        return _form(ctx, found_one(ctx, typed))
    given = CentreInput(
        typed["name"],
        typed["district"],
        typed["email"],
        typed["carrier"] or None,
        typed["coach"] or None,
    )

    def change() -> Response:
        centre_id = ctx.service.registry.add_centre(given, _day("on", typed["on"]))
        added, _ = ctx.service.registry.centre(centre_id)
        return ctx.redirect(centre_path(centre_id), f"{added.title} angelegt.")

    return beside_fields(change, lambda errors: _form(ctx, typed, None, errors))


@page(Role.OFFICE)
def edit_form(ctx: Context) -> Response:
    centre, _ = ctx.service.registry.centre(_centre_id(ctx))
    values = {
        "name": centre.name,
        "district": centre.district,
        "email": centre.email,
        "carrier": centre.carrier or "",
        "weekday": validate.NO_WEEKDAY if centre.weekday is None else WEEKDAY_CODES[centre.weekday],
    }
    return _form(ctx, values, centre)


@action(Role.OFFICE)
def edit(ctx: Context) -> Response:
    centre_id = _centre_id(ctx)
    typed = {name: ctx.text(name) for name in EDIT_FIELDS}

    def change() -> Response:
        _, plan, _ = ctx.service.registry.update_centre(centre_id, CentreEdit(**typed))
        moved = f" {len(plan.update)} Termine verlegt." if plan.update else ""
        return ctx.redirect(centre_path(centre_id), f"Einrichtung geändert.{moved}")

    return beside_fields(
        change, lambda errors: _form(ctx, typed, ctx.service.registry.centre(centre_id)[0], errors)
    )


routes = [
    Route(LIST, centre_list, methods=["GET"]),
    Route(NEW, new_form, methods=["GET"]),
    Route(NEW, add, methods=["POST"]),
    Route(LIST + "/{centre_id:id}", centre_page, methods=["GET"]),
    Route(LIST + "/{centre_id:id}/edit", edit_form, methods=["GET"]),
    Route(LIST + "/{centre_id:id}/edit", edit, methods=["POST"]),
    Route(LIST + "/{centre_id:id}/coach", assign, methods=["POST"]),
    Route(LIST + "/{centre_id:id}/coach/remove", remove_coach, methods=["POST"]),
    Route(LIST + "/{centre_id:id}/advance", advance, methods=["POST"]),
    Route(LIST + "/{centre_id:id}/revert", revert, methods=["POST"]),
]
nav = [NavItem(LIST, "Einrichtungen", READERS)]
