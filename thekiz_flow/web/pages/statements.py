"""Coaches' monthly fee statements: the office chooses any coach, a coach sees only their
own. The page shows the statement; its PDF and workbook are the ones ``thekiz-flow
statement`` writes, the same bytes for the same month unless something was corrected."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.accounts.files import PDF_TYPE, XLSX_TYPE
from thekiz_flow.accounts.statement import (
    edition_text,
    file_name,
    statement_pdf,
    statement_xlsx,
)
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import NotFound, UserError
from thekiz_flow.core.statements import Month, Statement, parse_month
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.coach_choice import CoachChoice, coach_choice
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.errors import Forbidden
from thekiz_flow.web.fields import described
from thekiz_flow.web.state import NavItem

PATH = "/statements"
NOT_YOURS = "Sie sehen nur Ihre eigene Honorarabrechnung."
FORMATS = {"pdf": ("PDF", PDF_TYPE), "xlsx": ("Excel", XLSX_TYPE)}


def _last_month(ctx: Context) -> Month:
    today = ctx.service.runtime.today()
    return Month(today.year - 1, 12) if today.month == 1 else Month(today.year, today.month - 1)


def _own(ctx: Context, coach_id: int) -> None:
    """A coach may read only their own statements."""
    if ctx.user.role != Role.OFFICE and ctx.user.coach_id != coach_id:
        raise Forbidden(NOT_YOURS)


@page(*READERS)
def statements(ctx: Context) -> Response:
    params = ctx.request.query_params
    office = ctx.user.role == Role.OFFICE
    errors: dict[str, str] = {}
    month_text = params.get("month", "").strip()
    month = _last_month(ctx)
    try:
        if month_text:
            month = parse_month("month", month_text)
    except UserError as refused:
        errors["month"] = described(refused)
    wanted = params.get("coach", "").strip()
    choice: CoachChoice | None = None
    if office:  # a search, never a list of every coach
        choice = coach_choice(ctx, wanted)
        chosen = wanted or (choice.options[0][0] if choice.options else "")
    else:
        chosen = wanted or str(ctx.user.coach_id or "")
    if chosen and not office and chosen != str(ctx.user.coach_id):
        raise Forbidden(NOT_YOURS)
    found: Statement | None = None
    if chosen and not errors:
        try:
            found = ctx.service.statements.statement(chosen, month)
        except UserError as refused:
            errors[refused.field or "coach"] = described(refused)
    return ctx.render(
        "web/statements.html.j2",
        400 if errors else 200,
        title="Honorarabrechnungen",
        office=office,
        coach=choice,
        chosen=chosen,
        month_text=month_text or month.key,
        s=found,
        edition=None if found is None else edition_text(found),
        formats=FORMATS,
        errors=errors,
    )


@page(*READERS)
def download(ctx: Context) -> Response:
    coach_id: int = ctx.request.path_params["coach_id"]
    _own(ctx, coach_id)
    suffix: str = ctx.request.path_params["suffix"]
    if suffix not in FORMATS:
        raise NotFound("Die Abrechnung gibt es als PDF oder Excel-Datei.")
    month = parse_month("month", ctx.request.path_params["month"])
    found = ctx.service.statements.statement(str(coach_id), month)
    if suffix == "pdf":
        data = statement_pdf(found, ctx.service.workflow.templates_dir)
    else:
        data = statement_xlsx(found)
    return Response(
        data,
        media_type=FORMATS[suffix][1],
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(found, suffix)}"',
            "Cache-Control": "private, no-cache",
        },
    )


routes = [
    Route(PATH, statements, methods=["GET"]),
    Route(PATH + "/{coach_id:id}/{month:str}.{suffix:str}", download, methods=["GET"]),
]
nav = [NavItem(PATH, "Abrechnungen", READERS)]
