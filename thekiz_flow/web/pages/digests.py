"""The yearly digests: every year with history as PDF, HTML, CSV and Excel to download.

The files are the ones ``thekiz-flow digest`` writes into [digest] dir: a complete year's
are served as they are, the current (provisional) year's are written anew for each download.
The office sends a finished year's digest to the ministry by hand, after a confirmation,
once (as ``thekiz-flow digest YEAR --send``). What changed in a sent year since is on
``/digests/{year}/changes`` (as ``thekiz-flow digest YEAR --changes-since-sent``).
"""

from __future__ import annotations

from starlette.responses import FileResponse, Response
from starlette.routing import Route

from thekiz_flow.core.corrections import sentence
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

PATH = "/digests"
ROLES = (Role.OFFICE, Role.MINISTRY)
UNCONFIRMED = "bitte bestätigen Sie den Versand"
# suffix: (what the page calls it, the content type)
FORMATS = {
    "pdf": ("PDF", "application/pdf"),
    "html": ("HTML", "text/html; charset=utf-8"),
    "csv": ("CSV", "text/csv; charset=utf-8"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


@page(*ROLES)
def digests(ctx: Context) -> Response:
    this_year = ctx.service.runtime.today().year
    office = ctx.user.role == Role.OFFICE
    digest = ctx.service.digest
    now = ctx.service.runtime.clock.now()
    unsent = digest.unsent_mails() if office else {}
    return ctx.render(
        "web/digests.html.j2",
        title="Jahresberichte",
        years=sorted(digest.years(), reverse=True),
        this_year=this_year,
        formats=FORMATS,
        office=office,
        sent=ctx.service.digest_changes.sent_years() if office else {},
        unsent={year: (row.id, digest.mail_state(row, now)) for year, row in unsent.items()},
    )


@page(*ROLES)
def download(ctx: Context) -> Response:
    year, suffix = ctx.request.path_params["year"], ctx.request.path_params["suffix"]
    if suffix not in FORMATS:
        raise NotFound(f"Den Jahresbericht gibt es als {', '.join(FORMATS)}, nicht als {suffix}.")
    files = ctx.service.digest.files(year)
    return FileResponse(
        getattr(files, suffix),
        media_type=FORMATS[suffix][1],
        filename=f"thekiz-jahresbericht-{year}.{suffix}",
    )


def _year(ctx: Context) -> int:
    value = ctx.request.path_params["year"]
    assert isinstance(value, int)
    return value


def _already(year: int) -> Refused:
    return Refused(f"Der Jahresbericht {year} wurde bereits an das Ministerium versandt")


def _send_page(ctx: Context, errors: Errors | None = None) -> Response:
    year = _year(ctx)
    digest = ctx.service.digest
    digest.require_year_over(year)
    if not errors and digest.sent(year):
        errors = {"": str(_already(year))}
    return ctx.render(
        "web/digest_send.html.j2",
        400 if errors else 200,
        title=f"Jahresbericht {year} senden",
        year=year,
        ministry=ctx.service.runtime.mail.ministry,
        errors=errors or {},
    )


@page(Role.OFFICE)
def send_form(ctx: Context) -> Response:
    return _send_page(ctx)


@action(Role.OFFICE)
def send(ctx: Context) -> Response:
    year = _year(ctx)

    def change() -> Response:
        if ctx.text("confirm") != "ja":
            raise InvalidInput("confirm", UNCONFIRMED)
        digest = ctx.service.digest
        digest.require_year_over(year)
        if digest.sent(year):
            raise _already(year)
        ctx.service.outbox.require_backend()  # before the digest waits in the outbox
        if not digest.send(year, digest.write(year)):
            raise _already(year)
        report = ctx.service.outbox.dispatch()
        return ctx.redirect(PATH, digest.sent_note(year, True, report.sent))

    return beside_fields(change, lambda errors: _send_page(ctx, errors))


@page(Role.OFFICE)
def changes(ctx: Context) -> Response:
    """What changed in a year's digest since it was sent: for a correction notice."""
    year = _year(ctx)
    return ctx.render(
        "web/digest_changes.html.j2",
        title=f"Jahresbericht {year}: Änderungen seit dem Versand",
        changes=ctx.service.digest_changes.since_sent(year),
        zone=ctx.service.zone,
        sentence=sentence,
    )


routes = [
    Route(PATH, digests, methods=["GET"]),
    Route(PATH + "/{year:year}/send", send_form, methods=["GET"]),
    Route(PATH + "/{year:year}/send", send, methods=["POST"]),
    Route(PATH + "/{year:year}/changes", changes, methods=["GET"]),
    Route(PATH + "/{year:year}.{suffix}", download, methods=["GET"]),
]
nav = [NavItem(PATH, "Jahresberichte", ROLES)]
