"""Trainings: the catalogue, one offering's enrolments, and (office) enrolling centres.

``/trainings`` is the catalogue by date with seats taken and the waiting list;
``/trainings/{id}`` the enrolments by state. The office enrols a centre (found by number
or name, ``?q=``), cancels an enrolment and records attendance; a full training puts the
centre on the waiting list.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.labels import ENROLMENT_NAMES
from thekiz_flow.core.model import CANCELLED, HELD, PLANNED, WAITING, Centre, CentreSearch
from thekiz_flow.service import Service
from thekiz_flow.service.trainings import Enrolment
from thekiz_flow.store.users import OFFICE
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.endpoints import Context, Endpoint, action, page
from thekiz_flow.web.state import NavItem

TRAININGS = "/trainings"
MATCHES = 20  # centres shown for a search
STATES = (PLANNED, WAITING, HELD, CANCELLED)  # the order of the enrolments' sections


def find_centres(
    service: Service, query: str, enrolled: set[int], limit: int = MATCHES
) -> list[Centre]:
    """Centres by number or by a part of the name (the centre list's search, by number),
    without those enrolled already."""
    if not query.strip():
        return []
    found = service.find_centres(CentreSearch(text=query, sort="id")).centres
    return [c for c in found if c.id not in enrolled][:limit]


def sections(enrolments: Sequence[Enrolment]) -> list[tuple[str, list[Enrolment]]]:
    """The enrolments by state: enrolled, waiting, attended, cancelled."""
    return [(ENROLMENT_NAMES[s], [e for e in enrolments if e.status == s]) for s in STATES]


@page(*READERS)
def catalogue(ctx: Context) -> Response:
    return ctx.render(
        "web/trainings.html.j2",
        title="Fortbildungen",
        trainings=ctx.service.trainings(),
        kinds=ctx.service.workflow.training_kinds,
    )


@page(*READERS)
def training(ctx: Context) -> Response:
    service = ctx.service
    found, enrolments = service.training_enrolments(ctx.request.path_params["training_id"])
    query = ctx.request.query_params.get("q", "")
    may_enrol = ctx.user.role == OFFICE
    active = {e.centre_id for e in enrolments if e.status != CANCELLED}
    matches = find_centres(service, query, active) if may_enrol else []
    return ctx.render(
        "web/training.html.j2",
        title=found.title,
        training=found,
        kind=service.workflow.training_kinds[found.kind],
        sections=sections(enrolments),
        taken=sum(e.status in (PLANNED, HELD) for e in enrolments),
        today=service.today(),
        may_enrol=may_enrol,
        query=query,
        matches=matches,
    )


def _ids(ctx: Context) -> tuple[int, int]:
    """The training of the address and the centre of the form."""
    centre = parse_id("Einrichtung", "centre", ctx.text("centre"))
    return ctx.request.path_params["training_id"], centre


def _back(training_id: int) -> str:
    return f"{TRAININGS}/{training_id}"


@action(OFFICE)
def enrol(ctx: Context) -> Response:
    training_id, centre_id = _ids(ctx)
    status, position = ctx.service.enrol(training_id, centre_id)
    if status == WAITING:
        message = (
            f"Die Fortbildung ist ausgebucht: Einrichtung {centre_id} steht auf der "
            f"Warteliste (Platz {position})."
        )
    else:
        message = f"Einrichtung {centre_id} ist angemeldet."
    return ctx.redirect(_back(training_id), message)


@action(OFFICE)
def cancel(ctx: Context) -> Response:
    training_id, centre_id = _ids(ctx)
    moved = ctx.service.cancel_enrolment(training_id, centre_id, ctx.text("reason"))
    message = f"Einrichtung {centre_id} ist abgemeldet."
    if moved is not None:
        message += f" Einrichtung {moved} rückt von der Warteliste nach und ist angemeldet."
    return ctx.redirect(_back(training_id), message)


@action(OFFICE)
def attended(ctx: Context) -> Response:
    training_id, centre_id = _ids(ctx)
    ctx.service.attended(training_id, centre_id)
    return ctx.redirect(
        _back(training_id),
        f"Einrichtung {centre_id} hat an Fortbildung {training_id} teilgenommen.",
    )


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
