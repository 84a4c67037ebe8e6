"""The outbox: the messages, filtered (status, recipient, kind, address or subject, due
days), the newest or the oldest first, a page at a time, and as a file without their texts;
one message's text; retrying; sending what is due now (after a confirmation that says how many);
the reminders the next days would send."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, paging, validate
from thekiz_flow.core.enums import OutboxStatus, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.labels import (
    ATTEMPT_NAMES,
    OTHER_MAIL,
    OUTBOX_STATUS_NAMES,
    RECIPIENT_NAMES,
    mail_kind_name,
    mail_kinds,
)
from thekiz_flow.core.lists import OutboxSearch, OutboxSort
from thekiz_flow.core.outbox import OutboxRow
from thekiz_flow.core.paging import Page
from thekiz_flow.core.reminders import Due
from thekiz_flow.digest.tables import Kind
from thekiz_flow.web.auth import here, safe_next
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.export import Export, export_routes
from thekiz_flow.web.fields import Errors, beside_fields, described
from thekiz_flow.web.lists import query_of, search_of, shown
from thekiz_flow.web.state import NavItem

PATH = "/outbox"
DAYS = 30  # the reminder preview's default
MAX_DAYS = 366
UNCONFIRMED = "bitte bestätigen Sie den Versand"
SORT_NAMES = {OutboxSort.NEWEST: "neueste zuerst", OutboxSort.OLDEST: "älteste zuerst"}
#: The columns of the export (no texts of the messages): German titles, and their kinds.
COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("Nr.", "int"),
    ("fällig", "text"),
    ("Stand", "text"),
    ("Art", "text"),
    ("Empfänger", "text"),
    ("Adresse", "text"),
    ("Betreff", "text"),
    ("Versuche", "int"),
    ("letzter Fehler", "text"),
    ("versandt", "text"),
)


def link(status: OutboxStatus | None) -> str:
    """The outbox page of ``status`` (None: every message)."""
    return f"{PATH}?{urlencode({'status': status})}" if status else PATH


@page(Role.OFFICE)
def outbox(ctx: Context) -> Response:
    search = search_of(ctx, OutboxSearch)

    def show(found: Page[OutboxRow] | None, errors: Errors) -> Response:
        counts = ctx.service.outbox.counts()
        return ctx.render(
            "web/outbox.html.j2",
            400 if errors else 200,
            title="Postausgang",
            found=found,
            search=search,
            query=query_of(search),
            errors=errors,
            statuses=OUTBOX_STATUS_NAMES,
            recipients=RECIPIENT_NAMES,
            kind_name=partial(mail_kind_name, ctx.service.workflow),
            options={
                "status": [
                    (s, f"{name} ({counts.get(s, 0)})") for s, name in OUTBOX_STATUS_NAMES.items()
                ],
                "role": list(RECIPIENT_NAMES.items()),
                "kind": sorted(
                    mail_kinds(ctx.service.workflow).items(), key=lambda item: item[1].casefold()
                ),
                "sort": list(SORT_NAMES.items()),
            },
            total=sum(counts.values()),
            here=here(ctx.request),
        )

    return shown(lambda: ctx.service.lists.outbox(search), show)


def _export(ctx: Context) -> Export:
    found = ctx.service.lists.all_outbox(search_of(ctx, OutboxSearch))
    zone = ctx.service.zone
    names = mail_kinds(ctx.service.workflow)  # once, not for every row

    def local(moment: datetime | None) -> str | None:
        return None if moment is None else german.date_time(moment, zone)

    rows = [
        (
            r.id,
            local(r.due_at),
            OUTBOX_STATUS_NAMES[r.status],
            names.get(r.rule, OTHER_MAIL),
            RECIPIENT_NAMES[r.role],
            r.recipient,
            r.subject,
            r.attempts,
            r.last_error,
            local(r.sent_at),
        )
        for r in found
    ]
    name = f"postausgang-{ctx.service.runtime.today().isoformat()}"
    titles, kinds = zip(*COLUMNS, strict=True)
    return Export(name, titles, kinds, rows)


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
        attempts=ctx.service.outbox.attempts(row.id),
        outcomes=ATTEMPT_NAMES,
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
    """What the reminder rules would send in the next days, a page at a time (only the
    page's mails are rendered), with how many in all."""
    params = ctx.request.query_params
    typed = params.get("days", str(DAYS))
    errors: dict[str, str] = {}
    found: Page[tuple[Due, str, str]] | None = None
    count = DAYS
    try:
        count = _days(typed)
        number = paging.page_number(params.get("page", ""))
        rows, total = ctx.service.reminders.preview_page(
            count, paging.offset(number), paging.size()
        )
        found = Page.of(rows, total, number)
    except InvalidInput as refused:
        errors[refused.field or ""] = described(refused)
    return ctx.render(
        "web/reminders.html.j2",
        400 if errors else 200,
        title="Erinnerungsvorschau",
        found=found,
        days=count,
        typed=typed,
        errors=errors,
        recipients=RECIPIENT_NAMES,
    )


routes = [
    Route(PATH, outbox, methods=["GET"]),
    *export_routes(PATH, _export, Role.OFFICE),
    Route(PATH + "/send", send_form, methods=["GET"]),
    Route(PATH + "/send", send, methods=["POST"]),
    Route(PATH + "/reminders", reminders, methods=["GET"]),
    Route(PATH + "/{outbox_id:id}", message, methods=["GET"]),
    Route(PATH + "/{outbox_id:id}/retry", retry, methods=["POST"]),
]
nav = [NavItem(PATH, "Postausgang", (Role.OFFICE,))]
