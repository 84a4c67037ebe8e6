"""The outbox: every message with its status, the newest first, a page at a time; retrying."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import OutboxStatus, Role
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.labels import OUTBOX_STATUS_NAMES
from thekiz_flow.web.auth import here, safe_next
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.state import NavItem

PATH = "/outbox"


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


routes = [
    Route(PATH, outbox, methods=["GET"]),
    Route(PATH + "/{outbox_id:id}/retry", retry, methods=["POST"]),
]
nav = [NavItem(PATH, "Postausgang", (Role.OFFICE,))]
