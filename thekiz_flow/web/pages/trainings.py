"""Trainings: the catalogue, one offering's enrolments, and (office) enrolling centres.

``/trainings`` is the catalogue by date with seats taken and the waiting list;
``/trainings/{id}`` the enrolments by state. The office enrols a centre (found by number
or name, ``?q=``), cancels an enrolment and records attendance; a full training puts the
centre on the waiting list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import ActivityStatus, Role
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.labels import ENROLMENT_NAMES
from thekiz_flow.core.model import Centre, CentreSearch
from thekiz_flow.service import Service
from thekiz_flow.service.trainings import Enrolment
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.endpoints import Context, Endpoint, action, page
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

TRAININGS = "/trainings"
MATCHES = 20  # centres shown for a search
# The order of the enrolments' sections.
STATES = (
    ActivityStatus.PLANNED,
    ActivityStatus.WAITING,
    ActivityStatus.HELD,
    ActivityStatus.CANCELLED,
)


def find_centres(
    service: Service, query: str, enrolled: set[int], limit: int = MATCHES
) -> list[Centre]:
    """Centres by number or by a part of the name (the centre list's search, by number),
    without those enrolled already."""
    if not query.strip():
        return []
    found = service.registry.find_centres(CentreSearch(text=query, sort="id")).centres
    return [c for c in found if c.id not in enrolled][:limit]


def sections(enrolments: Sequence[Enrolment]) -> list[tuple[str, list[Enrolment]]]:
    """The enrolments by state: enrolled, waiting, attended, cancelled."""
    return [(ENROLMENT_NAMES[s], [e for e in enrolments if e.status == s]) for s in STATES]


@page(*READERS)
def catalogue(ctx: Context) -> Response:
    return ctx.render(
        "web/trainings.html.j2",
        title="Fortbildungen",
        trainings=ctx.service.trainings.find(),
        kinds=ctx.service.workflow.training_kinds,
    )


@page(*READERS)
def training(ctx: Context) -> Response:
    service = ctx.service
    found, enrolments = service.trainings.enrolments(ctx.request.path_params["training_id"])
    query = ctx.request.query_params.get("q", "")
    may_enrol = ctx.user.role == Role.OFFICE
    active = {e.centre_id for e in enrolments if e.status != ActivityStatus.CANCELLED}
    matches = find_centres(service, query, active) if may_enrol else []
    return ctx.render(
        "web/training.html.j2",
        title=found.title,
        training=found,
        kind=service.workflow.training_kinds[found.kind],
        sections=sections(enrolments),
        taken=sum(e.status in (ActivityStatus.PLANNED, ActivityStatus.HELD) for e in enrolments),
        today=service.runtime.today(),
        may_enrol=may_enrol,
        query=query,
        matches=matches,
    )


def _enrolment_form(
    ctx: Context, form: str, label: str, change: Callable[[int, int], str]
) -> Response:
    """``change(training, centre)`` of the address's training and the form's centre, and
    back with its message; if it is refused, the form again with the message."""
    training_id: int = ctx.request.path_params["training_id"]

    def done() -> Response:
        centre_id = parse_id("centre", "centre", ctx.text("centre"))
        return ctx.redirect(f"{TRAININGS}/{training_id}", change(training_id, centre_id))

    def again(errors: Errors) -> Response:
        found, _ = ctx.service.trainings.enrolments(training_id)
        reason = form == "cancel"
        values = {"training": found, "form": form, "label": label, "reason": reason}
        typed = {"reason": ctx.text("reason")}
        values |= {"centre_id": ctx.text("centre"), "typed": typed, "errors": errors}
        return ctx.render("web/enrolment_form.html.j2", 400, title=label.capitalize(), **values)

    return beside_fields(done, again)


@action(Role.OFFICE)
def enrol(ctx: Context) -> Response:
    def change(training_id: int, centre_id: int) -> str:
        status, position = ctx.service.trainings.enrol(training_id, centre_id)
        if status == ActivityStatus.WAITING:
            return (
                f"Die Fortbildung ist ausgebucht: Einrichtung {centre_id} steht auf der "
                f"Warteliste (Platz {position})."
            )
        return f"Einrichtung {centre_id} ist angemeldet."

    return _enrolment_form(ctx, "enrol", "anmelden", change)


@action(Role.OFFICE)
def cancel(ctx: Context) -> Response:
    def change(training_id: int, centre_id: int) -> str:
        moved = ctx.service.trainings.cancel_enrolment(training_id, centre_id, ctx.text("reason"))
        message = f"Einrichtung {centre_id} ist abgemeldet."
        if moved is not None:
            message += f" Einrichtung {moved} rückt von der Warteliste nach und ist angemeldet."
        return message

    return _enrolment_form(ctx, "cancel", "abmelden", change)


@action(Role.OFFICE)
def attended(ctx: Context) -> Response:
    def change(training_id: int, centre_id: int) -> str:
        ctx.service.trainings.attended(training_id, centre_id)
        return f"Einrichtung {centre_id} hat an Fortbildung {training_id} teilgenommen."

    return _enrolment_form(ctx, "attended", "teilgenommen", change)


def _training_route(name: str, handler: Endpoint) -> Route:
    return Route(f"{TRAININGS}/{{training_id:id}}/{name}", handler, methods=["POST"])


routes = [
    Route(TRAININGS, catalogue, methods=["GET"]),
    Route(f"{TRAININGS}/{{training_id:id}}", training, methods=["GET"]),
    _training_route("enrol", enrol),
    _training_route("cancel", cancel),
    _training_route("attended", attended),
]
nav = [NavItem(TRAININGS, "Fortbildungen", READERS)]
