"""Data protection for the office: a person's data shown and downloaded (Art. 15 DSGVO),
their erasure after a confirmation naming what will happen (Art. 17), the record of
processing activities (Art. 30).

Every page of a person's data is an export: it is recorded (who, when, whose number), as
on the command line. An erasure is refused as there (a coach who still has centres, a
centre still in the programme); the confirmation page says why before anything is asked.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import InvalidInput, Refused, UserError
from thekiz_flow.core.privacy_map import SUBJECT_NAMES, Subject, register
from thekiz_flow.web.centre_choice import SEARCH, centre_choices
from thekiz_flow.web.coach_choice import CHOICES, coach_choice
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

PATH = "/privacy"
USER_SEARCH = "user_search"  # the search field of the accounts
UNCONFIRMED = "Häkchen setzen: die Löschung lässt sich nicht zurücknehmen"
OWN = "Den eigenen Zugang löschen Sie hier nicht; das übernimmt eine andere Person der Fachstelle."
KINDS = {Subject.COACH: "coach", Subject.CENTRE: "centre", Subject.USER: "user"}


def _person(ctx: Context, subject: Subject) -> int:
    number: int = ctx.request.path_params[f"{KINDS[subject]}_id"]
    return number


@page(Role.OFFICE)
def index(ctx: Context) -> Response:
    """The person is found by a search (a coach, a centre, an account: never a list of
    every one); what the next retention run would remove is counted, nothing written."""
    service = ctx.service
    search = ctx.request.query_params.get(SEARCH, "")
    user_search = ctx.request.query_params.get(USER_SEARCH, "").strip()

    def accounts(text: str) -> dict[str, object]:
        found, total = service.users.choices(text, CHOICES)
        return {"users": [(u.id, u.email) for u in found], "more_users": total - len(found)}

    def shown(errors: Errors, choices: dict[str, object]) -> Response:
        return ctx.render(
            "web/privacy.html.j2",
            400 if errors else 200,
            title="Datenschutz",
            coach=coach_choice(ctx, with_email=True),
            errors=errors,
            user_search=user_search,
            retention=service.privacy.retention(apply=False).lines(),
            **choices,
        )

    def kept(find: Callable[[str], dict[str, object]], text: str) -> dict[str, object]:
        """What ``find`` finds for ``text``; for a refused search, what it finds without one
        (the message stands beside that search's field, the other searches kept)."""
        try:
            return find(text)
        except UserError:
            return find("")

    def centres(text: str) -> dict[str, object]:
        return centre_choices(ctx, text) | {"search": search}

    return beside_fields(
        lambda: shown({}, centres(search) | accounts(user_search)),
        lambda refused: shown(refused, kept(centres, search) | kept(accounts, user_search)),
    )


@page(Role.OFFICE)
def choose(ctx: Context) -> Response:
    """The person picked on the index page: to their data."""
    query = ctx.request.query_params
    for kind in KINDS.values():
        value = query.get(kind, "")
        if value.isascii() and value.isdigit():
            return ctx.redirect(f"{PATH}/{kind}/{int(value)}")
    raise InvalidInput(None, "Bitte eine Person auswählen.")


def _export_page(subject: Subject) -> Route:
    @page(Role.OFFICE)
    def shown(ctx: Context) -> Response:
        number = _person(ctx, subject)
        service = ctx.service.privacy
        done = service.export(subject, number)
        return ctx.render(
            "web/privacy_export.html.j2",
            title=f"Auskunft {done.label}",
            label=service.describe(subject, number),
            export=done,
            intro=service.export_intro(done),
            sections=service.export_sections(done),
            base=f"{PATH}/{KINDS[subject]}/{number}",
        )

    return Route(f"{PATH}/{KINDS[subject]}/{{{KINDS[subject]}_id:id}}", shown, methods=["GET"])


def _json_download(subject: Subject) -> Route:
    @page(Role.OFFICE)
    def download(ctx: Context) -> Response:
        number = _person(ctx, subject)
        done = ctx.service.privacy.export(subject, number)
        body = json.dumps(done.as_json(), ensure_ascii=False, indent=2)
        name = f"auskunft-{KINDS[subject]}-{number}.json"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(body, media_type="application/json; charset=utf-8", headers=headers)

    path = f"{PATH}/{KINDS[subject]}/{{{KINDS[subject]}_id:id}}/json"
    return Route(path, download, methods=["GET"])


def _confirm_page(ctx: Context, subject: Subject, number: int, errors: Errors) -> Response:
    label = ctx.service.privacy.describe(subject, number)
    try:
        lines, refusal = ctx.service.privacy.erase_check(subject, number), None
    except Refused as exc:
        lines, refusal = [], f"{exc}."
    if subject is Subject.USER and number == ctx.user.id:
        lines, refusal = [], OWN
    return ctx.render(
        "web/privacy_erase.html.j2",
        400 if errors else 200,
        title=f"{label} löschen",
        label=label,
        lines=lines,
        refusal=refusal,
        errors=errors,
        base=f"{PATH}/{KINDS[subject]}/{number}",
    )


def _erase_routes(subject: Subject) -> list[Route]:
    @page(Role.OFFICE)
    def confirm(ctx: Context) -> Response:
        return _confirm_page(ctx, subject, _person(ctx, subject), {})

    @action(Role.OFFICE)
    def erase(ctx: Context) -> Response:
        number = _person(ctx, subject)

        def change() -> Response:
            if subject is Subject.USER and number == ctx.user.id:
                raise InvalidInput(None, OWN)
            if ctx.text("confirm") != "ja":
                raise InvalidInput("confirm", UNCONFIRMED)
            ctx.service.privacy.erase(subject, number)
            message = f"{SUBJECT_NAMES[subject]} {number} gelöscht; im Löschprotokoll vermerkt."
            return ctx.redirect(PATH, message)

        return beside_fields(change, lambda errors: _confirm_page(ctx, subject, number, errors))

    path = f"{PATH}/{KINDS[subject]}/{{{KINDS[subject]}_id:id}}/erase"
    return [Route(path, confirm, methods=["GET"]), Route(path, erase, methods=["POST"])]


@page(Role.OFFICE)
def register_page(ctx: Context) -> Response:
    lines = register(ctx.service.runtime.privacy.values())
    return ctx.render(
        "web/privacy_register.html.j2",
        title="Verzeichnis von Verarbeitungstätigkeiten",
        lines=lines,
    )


routes = [
    Route(PATH, index, methods=["GET"]),
    Route(PATH + "/show", choose, methods=["GET"]),
    Route(PATH + "/register", register_page, methods=["GET"]),
    *(_export_page(s) for s in KINDS),
    *(_json_download(s) for s in KINDS),
    *(route for s in KINDS for route in _erase_routes(s)),
]
nav = [NavItem(PATH, "Datenschutz", (Role.OFFICE,))]
