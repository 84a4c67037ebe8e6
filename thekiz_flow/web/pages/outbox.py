"""The outbox: every message with its status, the newest first, a page at a time; one
message's text; retrying; sending what is due now (after a confirmation that says how many);
the reminders the next days would send."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import validate
from thekiz_flow.core.enums import OutboxStatus, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.labels import OUTBOX_STATUS_NAMES, ROLE_NAMES
from thekiz_flow.web.auth import here, safe_next
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.fields import Errors, beside_fields, described
from thekiz_flow.web.state import NavItem

PATH = "/outbox"
DAYS = 30  # the reminder preview's default
MAX_DAYS = 366
UNCONFIRMED = "bitte bestätigen Sie den Versand"
# Who a message is for, as the outbox page names the role.
RECIPIENT_NAMES = {
    "centre": "Einrichtung",
    "coach": ROLE_NAMES[Role.COACH],
    "office": ROLE_NAMES[Role.OFFICE],
    "ministry": ROLE_NAMES[Role.MINISTRY],
}


def _number(ctx: Context, name: str) -> int | None:
    value = ctx.request.query_params.get(name)
    return None if value is None else parse_id(name, "outbox", value)


def link(status: OutboxStatus | None, **where: int) -> str:
    """The outbox page of ``status`` (None: every message), e.g. older than ``before``."""
    query = urlencode({**({"status": status} if status else {}), **where})
    return f"{PATH}?{query}" if query else PATH


@page(Role.OFFICE)
def outbox(ctx: Context) -> Response:
    wanted = ctx.request.query_params.get("status") or None
    shown = ctx.service.outbox.page(wanted, _number(ctx, "before"), _number(ctx, "after"))
    rows, status = shown.rows, shown.status
    return ctx.render(
        "web/outbox.html.j2",
        title="Postausgang",
        shown=shown,
        statuses=OUTBOX_STATUS_NAMES,
        total=sum(shown.counts.values()),
        here=here(ctx.request),
        newer=link(status, after=rows[0].id) if shown.newer and rows else None,
        older=link(status, before=rows[-1].id) if shown.older and rows else None,
        link=link,
    )


@action(Role.OFFICE)
def retry(ctx: Context) -> Response:
    row = ctx.service.outbox.retry(ctx.request.path_params["outbox_id"])
    back = safe_next(ctx.text("next")) or link(OutboxStatus.FAILED)
    return ctx.redirect(back, f"Nachricht {row.id} an {row.recipient} wird erneut versandt.")


@page(Role.OFFICE)
def message(ctx: Context) -> Response:
    row, mail = ctx.service.outbox.message(ctx.request.path_params["outbox_id"])
    return ctx.render(
        "web/outbox_message.html.j2",
        title=f"Nachricht {row.id}",
        row=row,
        mail=mail,
        statuses=OUTBOX_STATUS_NAMES,
        recipients=RECIPIENT_NAMES,
        here=here(ctx.request),
    )


def _send_page(ctx: Context, errors: Errors | None = None) -> Response:
    return ctx.render(
        "web/outbox_send.html.j2",
        400 if errors else 200,
        title="Jetzt senden",
        due=ctx.service.outbox.due(),
        errors=errors or {},
    )


@page(Role.OFFICE)
def send_form(ctx: Context) -> Response:
    return _send_page(ctx)


@action(Role.OFFICE)
def send(ctx: Context) -> Response:
    def change() -> Response:
        if ctx.text("confirm") != "ja":
            raise InvalidInput("confirm", UNCONFIRMED)
        report = ctx.service.outbox.dispatch()
        return ctx.redirect(
            PATH,
            f"{report.sent} versandt, {report.retried} später erneut, "
            f"{report.failed} fehlgeschlagen.",
        )

    return beside_fields(change, lambda errors: _send_page(ctx, errors))


def _days(value: str) -> int:
    count = validate.identifier("days", value)
    if not 1 <= count <= MAX_DAYS:
        raise InvalidInput("days", f"zwischen 1 und {MAX_DAYS}")
    return count


@page(Role.OFFICE)
def reminders(ctx: Context) -> Response:
    typed = ctx.request.query_params.get("days", str(DAYS))
    errors: dict[str, str] = {}
    planned = []
    count = DAYS
    try:
        count = _days(typed)
        planned = ctx.service.reminders.preview(count)
    except InvalidInput as refused:
        errors[refused.field or ""] = described(refused)
    return ctx.render(
        "web/reminders.html.j2",
        400 if errors else 200,
        title="Erinnerungsvorschau",
        planned=planned,
        days=count,
        typed=typed,
        errors=errors,
        recipients=RECIPIENT_NAMES,
    )


routes = [
    Route(PATH, outbox, methods=["GET"]),
    Route(PATH + "/send", send_form, methods=["GET"]),
    Route(PATH + "/send", send, methods=["POST"]),
    Route(PATH + "/reminders", reminders, methods=["GET"]),
    Route(PATH + "/{outbox_id:id}", message, methods=["GET"]),
    Route(PATH + "/{outbox_id:id}/retry", retry, methods=["POST"]),
]
nav = [NavItem(PATH, "Postausgang", (Role.OFFICE,))]
