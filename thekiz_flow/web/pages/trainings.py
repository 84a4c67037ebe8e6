"""Trainings: the catalogue, one offering's enrolments, and (office) enrolling centres.

``/trainings`` is the catalogue by date with seats taken and the waiting list;
``/trainings/{id}`` the enrolments by state. The office enrols a centre (found by its name,
district or e-mail address, ``?q=``, never by number), cancels an enrolment and records
attendance; a full training puts the centre on the waiting list. The office also adds an
offering (or imports a CSV file of them: all rows or none), edits one and calls one off
after a confirmation that says how many centres are told.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import ActivityStatus, Role
from thekiz_flow.core.errors import InvalidInput, NotFound
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.labels import ENROLMENT_NAMES
from thekiz_flow.core.model import Centre, CentreSearch
from thekiz_flow.service import Service
from thekiz_flow.service.trainings import Enrolment
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.endpoints import Context, Endpoint, action, page
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.pages import training_list
from thekiz_flow.web.pages.training_list import NEW_FIELDS, catalogue_page
from thekiz_flow.web.state import NavItem

TRAININGS = "/trainings"
MATCHES = 20  # centres shown for a search
EDIT_FIELDS = ("title", "date", "place", "capacity")
MAX_UPLOAD = 2_000_000  # bytes of an import file
UNCONFIRMED = "bitte bestätigen Sie die Absage"
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
    """Centres by a part of the name, district or e-mail address (the centre list's search,
    by name), without those enrolled already."""
    if not query.strip():
        return []
    found = service.registry.find_centres(CentreSearch(text=query)).centres
    return [c for c in found if c.id not in enrolled][:limit]


def choices(centres: Sequence[Centre]) -> list[tuple[Centre, str]]:
    """Each centre with what names it, "Kita Sonne (Gotha)"; where two have the same name in
    the same district, their numbers tell them apart: "Kita Sonne (Gotha, Nr. 3)"."""
    twice = {title for title, n in Counter(c.title for c in centres).items() if n > 1}
    return [
        (c, f"{c.name} ({c.district}, Nr. {c.id})" if c.title in twice else c.title)
        for c in centres
    ]


def sections(enrolments: Sequence[Enrolment]) -> list[tuple[str, list[Enrolment]]]:
    """The enrolments by state: enrolled, waiting, attended, cancelled."""
    return [(ENROLMENT_NAMES[s], [e for e in enrolments if e.status == s]) for s in STATES]


@action(Role.OFFICE)
def add(ctx: Context) -> Response:
    typed = {name: ctx.text(name) for name in NEW_FIELDS}

    def change() -> Response:
        made = ctx.service.trainings.add(**typed)
        return ctx.redirect(
            f"{TRAININGS}/{made}", f"Fortbildung {typed['title'].strip()} angelegt."
        )

    return beside_fields(change, lambda errors: catalogue_page(ctx, typed, errors))


def _upload_name(upload: UploadFile) -> str:
    """The uploaded file's own name, without a folder, as a message may show it."""
    name = Path((upload.filename or "").replace("\\", "/")).name
    return re.sub(r"[^\w.\- ]", "_", name).lstrip(".") or "Datei.csv"


@action(Role.OFFICE)
def import_file(ctx: Context) -> Response:
    upload = ctx.form.get("file")

    def change() -> Response:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", "bitte eine CSV-Datei wählen")
        try:
            data = upload.file.read(MAX_UPLOAD + 1)
        finally:
            upload.file.close()
        if len(data) > MAX_UPLOAD:
            raise InvalidInput("file", f"die Datei ist größer als {MAX_UPLOAD // 1_000_000} MB")
        made = ctx.service.trainings.import_training_file(_upload_name(upload), data)
        return ctx.redirect(TRAININGS, f"{len(made)} Fortbildungen importiert.")

    return beside_fields(change, lambda errors: catalogue_page(ctx, import_errors=errors))


def _training_id(ctx: Context) -> int:
    value = ctx.request.path_params["training_id"]
    assert isinstance(value, int)
    return value


def _edit_page(
    ctx: Context, typed: dict[str, str] | None = None, errors: Errors | None = None
) -> Response:
    found, enrolments = ctx.service.trainings.enrolments(_training_id(ctx))
    values = typed or {
        "title": found.title,
        "date": found.date.isoformat(),
        "place": found.place,
        "capacity": str(found.capacity),
    }
    return ctx.render(
        "web/training_form.html.j2",
        400 if errors else 200,
        title=f"{found.title} bearbeiten",
        training=found,
        kind=ctx.service.workflow.training_kinds.get(found.kind, found.kind),
        taken=sum(e.status in (ActivityStatus.PLANNED, ActivityStatus.HELD) for e in enrolments),
        typed=values,
        errors=errors or {},
    )


@page(Role.OFFICE)
def edit_form(ctx: Context) -> Response:
    return _edit_page(ctx)


@action(Role.OFFICE)
def edit(ctx: Context) -> Response:
    typed = {name: ctx.text(name) for name in EDIT_FIELDS}

    def change() -> Response:
        done = ctx.service.trainings.update(_training_id(ctx), **typed)
        return ctx.redirect(f"{TRAININGS}/{done.id}", "Fortbildung geändert.")

    return beside_fields(change, lambda errors: _edit_page(ctx, typed, errors))


def _call_off_page(ctx: Context, reason: str = "", errors: Errors | None = None) -> Response:
    found, enrolled, waiting = ctx.service.trainings.cancel_preview(_training_id(ctx))
    return ctx.render(
        "web/training_cancel.html.j2",
        400 if errors else 200,
        title=f"{found.title} absagen",
        training=found,
        effects=call_off_effects(enrolled, waiting),
        reason=reason,
        errors=errors or {},
    )


def call_off_effects(enrolled: int, waiting: int) -> str:
    """What calling an offering off does, as the confirmation says it."""
    parts = []
    if enrolled:
        parts.append(
            "1 angemeldete Einrichtung"
            if enrolled == 1
            else f"{enrolled} angemeldete Einrichtungen"
        )
    if waiting:
        parts.append(
            "1 Einrichtung auf der Warteliste"
            if waiting == 1
            else f"{waiting} Einrichtungen auf der Warteliste"
        )
    if not parts:
        return "Niemand ist angemeldet; es wird keine E-Mail versandt."
    many = enrolled + waiting != 1
    return (
        f"{' und '.join(parts)} {'werden' if many else 'wird'} abgemeldet und "
        f"{'erhalten' if many else 'erhält'} eine E-Mail mit dem Grund."
    )


@page(Role.OFFICE)
def call_off_form(ctx: Context) -> Response:
    return _call_off_page(ctx)


@action(Role.OFFICE)
def call_off(ctx: Context) -> Response:
    training_id = _training_id(ctx)
    reason = ctx.text("reason")

    def change() -> Response:
        if ctx.text("confirm") != "ja":
            raise InvalidInput("confirm", UNCONFIRMED)
        told = ctx.service.trainings.cancel(training_id, reason)
        return ctx.redirect(
            f"{TRAININGS}/{training_id}",
            f"Fortbildung abgesagt; {len(told)} Einrichtungen werden per E-Mail benachrichtigt.",
        )

    return beside_fields(change, lambda errors: _call_off_page(ctx, reason, errors))


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
        matches=choices(matches),
    )


def _form_centre(ctx: Context) -> Centre:
    """The centre the form names (by the number of its hidden field): 400 or 404 if none."""
    return ctx.service.registry.centre(parse_id("centre", "centre", ctx.text("centre")))[0]


def _enrolment_form(
    ctx: Context, form: str, label: str, change: Callable[[int, Centre], str]
) -> Response:
    """``change(training, centre)`` of the address's training and the form's centre, and
    back with its message; if it is refused, the form again with the message."""
    training_id: int = ctx.request.path_params["training_id"]

    def done() -> Response:
        centre = _form_centre(ctx)
        return ctx.redirect(f"{TRAININGS}/{training_id}", change(training_id, centre))

    def again(errors: Errors) -> Response:
        found, _ = ctx.service.trainings.enrolments(training_id)
        try:
            centre: Centre | None = _form_centre(ctx)
        except (InvalidInput, NotFound):
            centre = None
        reason = form == "cancel"
        values = {"training": found, "form": form, "label": label, "reason": reason}
        typed = {"reason": ctx.text("reason")}
        values |= {"centre_id": ctx.text("centre"), "centre": centre}
        values |= {"typed": typed, "errors": errors}
        return ctx.render("web/enrolment_form.html.j2", 400, title=label.capitalize(), **values)

    return beside_fields(done, again)


@action(Role.OFFICE)
def enrol(ctx: Context) -> Response:
    def change(training_id: int, centre: Centre) -> str:
        status, position = ctx.service.trainings.enrol(training_id, centre.id)
        if status == ActivityStatus.WAITING:
            return (
                f"Die Fortbildung ist ausgebucht: {centre.title} steht auf der "
                f"Warteliste (Platz {position})."
            )
        return f"{centre.title} ist angemeldet."

    return _enrolment_form(ctx, "enrol", "anmelden", change)


@action(Role.OFFICE)
def cancel(ctx: Context) -> Response:
    def change(training_id: int, centre: Centre) -> str:
        moved = ctx.service.trainings.cancel_enrolment(training_id, centre.id, ctx.text("reason"))
        message = f"{centre.title} ist abgemeldet."
        if moved is not None:
            successor, _ = ctx.service.registry.centre(moved)
            message += f" {successor.title} rückt von der Warteliste nach und ist angemeldet."
        return message

    return _enrolment_form(ctx, "cancel", "abmelden", change)


@action(Role.OFFICE)
def attended(ctx: Context) -> Response:
    def change(training_id: int, centre: Centre) -> str:
        ctx.service.trainings.attended(training_id, centre.id)
        return f"{centre.title} hat an der Fortbildung teilgenommen."

    return _enrolment_form(ctx, "attended", "teilgenommen", change)


def _training_route(name: str, handler: Endpoint) -> Route:
    return Route(f"{TRAININGS}/{{training_id:id}}/{name}", handler, methods=["POST"])


routes = [
    *training_list.routes,
    Route(f"{TRAININGS}/new", add, methods=["POST"]),
    Route(f"{TRAININGS}/import", import_file, methods=["POST"]),
    Route(f"{TRAININGS}/{{training_id:id}}", training, methods=["GET"]),
    Route(f"{TRAININGS}/{{training_id:id}}/edit", edit_form, methods=["GET"]),
    _training_route("edit", edit),
    Route(f"{TRAININGS}/{{training_id:id}}/call-off", call_off_form, methods=["GET"]),
    _training_route("call-off", call_off),
    _training_route("enrol", enrol),
    _training_route("cancel", cancel),
    _training_route("attended", attended),
]
nav = [NavItem(TRAININGS, "Fortbildungen", READERS)]
