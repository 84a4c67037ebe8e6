"""A centre's planning dates on its page: closure days and the preferred weekday.

Both re-plan the centre at once (``service.planning.add_closure`` / ``set_weekday``, as the
CLI's ``centre closure`` and ``centre weekday``); the message after saving says what the
re-planning changed ("2 Begleittermine verschoben"). The forms are the office's; they live
in ``web/_centre_planning.html.j2``, a refused one comes back alone with the message beside
its field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.calendar import WEEKDAYS as WEEKDAY_NAMES
from thekiz_flow.core.enums import ActivityKind, Role
from thekiz_flow.core.labels import HELD_NOUNS
from thekiz_flow.core.model import Centre, Closure
from thekiz_flow.core.planning import PlanChanges
from thekiz_flow.service import Service
from thekiz_flow.web.endpoints import Context, action
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

CLOSURE_FIELDS = ("from", "to", "note")
WEEKDAY_OPTIONS = [
    (validate.NO_WEEKDAY, "kein bevorzugter"),
    *((code, WEEKDAY_NAMES[day]) for code, day in validate.WEEKDAYS.items()),
]
_CODES = {day: code for code, day in validate.WEEKDAYS.items()}


@dataclass(frozen=True)
class CentrePlanning:
    """What the centre page's planning part shows: the closures and the weekday form's values."""

    centre_id: int
    closures: list[Closure]
    weekday: str  # the code of the preferred weekday (``validate.WEEKDAYS``) or NO_WEEKDAY
    options: list[tuple[str, str]]


def centre_planning(service: Service, centre: Centre) -> CentrePlanning:
    code = validate.NO_WEEKDAY if centre.weekday is None else _CODES[centre.weekday]
    return CentrePlanning(centre.id, service.planning.closures(centre.id), code, WEEKDAY_OPTIONS)


def _counted(count: int, kind: ActivityKind) -> str:
    singular, plural = HELD_NOUNS[kind]
    return f"{count} {singular if count == 1 else plural}"


def plan_effect(changes: PlanChanges) -> str:
    """What a re-planning changed, in words: "2 Begleittermine verschoben"."""
    parts = []
    for verb, activities in (
        ("verschoben", [stored for stored, _, fields in changes.update if "date" in fields]),
        ("neu geplant", list(changes.insert)),
        ("abgesagt", list(changes.cancel)),
    ):
        for kind in HELD_NOUNS:
            count = sum(1 for a in activities if a.kind == kind)
            if count:
                parts.append(f"{_counted(count, kind)} {verb}")
    return ", ".join(parts) + "." if parts else "Keine Termine betroffen."


def _centre_id(ctx: Context) -> int:
    value = ctx.request.path_params["centre_id"]
    assert isinstance(value, int)
    return value


def _form(
    ctx: Context, form: str, title: str, fields: tuple[str, ...], change: Callable[[int], str]
) -> Response:
    """``change(centre)`` and back to the centre's page with its message; if it is refused,
    the form alone again, with the message beside the field and what was typed."""
    centre_id = _centre_id(ctx)

    def done() -> Response:
        return ctx.redirect(f"/centres/{centre_id}", change(centre_id))

    def again(errors: Errors) -> Response:
        centre, _ = ctx.service.registry.centre(centre_id)
        typed = {name: ctx.text(name) for name in fields}
        values = {"centre": centre, "form": form, "typed": typed, "errors": errors}
        values["planning"] = centre_planning(ctx.service, centre)
        return ctx.render("web/planning_form.html.j2", 400, title=title, **values)

    return beside_fields(done, again)


@action(Role.OFFICE)
def add_closure(ctx: Context) -> Response:
    def change(centre_id: int) -> str:
        first = validate.day("from", ctx.text("from"))
        last = validate.day("to", ctx.text("to"))
        changes = ctx.service.planning.add_closure(centre_id, first, last, ctx.text("note"))
        days = german.short_date(first)
        if last != first:
            days += f" bis {german.short_date(last)}"
        return f"Schließtage {days} eingetragen. {plan_effect(changes)}"

    return _form(ctx, "closure", "Schließtage eintragen", CLOSURE_FIELDS, change)


@action(Role.OFFICE)
def set_weekday(ctx: Context) -> Response:
    def change(centre_id: int) -> str:
        day = validate.weekday("weekday", ctx.text("weekday"))
        changes = ctx.service.planning.set_weekday(centre_id, day)
        name = "kein bevorzugter" if day is None else WEEKDAY_NAMES[day]
        return f"Wochentag: {name}. {plan_effect(changes)}"

    return _form(ctx, "weekday", "Wochentag ändern", ("weekday",), change)


routes = [
    Route("/centres/{centre_id:id}/closures", add_closure, methods=["POST"]),
    Route("/centres/{centre_id:id}/weekday", set_weekday, methods=["POST"]),
]
nav: list[NavItem] = []
