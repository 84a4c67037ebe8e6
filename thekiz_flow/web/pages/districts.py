"""The districts' accounts of a year (Verwendungsnachweis): for the office and the ministry,
every district with centres or one of them, as a page, PDF and workbook (as
``thekiz-flow district-report`` writes them). The page shows every district's totals; a
district's centres on its own page, ``PAGE_SIZE`` at a time (the files hold them all), read
from the accounts kept on write."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.accounts.districts import (
    CentreAccount,
    DistrictOverview,
    file_name,
    report_pdf,
    report_xlsx,
    title,
)
from thekiz_flow.accounts.files import PDF_TYPE, XLSX_TYPE
from thekiz_flow.core import paging, validate
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import NotFound, UserError
from thekiz_flow.core.paging import Page
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.fields import described
from thekiz_flow.web.state import NavItem

PATH = "/districts"
ROLES = (Role.OFFICE, Role.MINISTRY)
FORMATS = {"pdf": ("PDF", PDF_TYPE), "xlsx": ("Excel", XLSX_TYPE)}


@page(*ROLES)
def districts(ctx: Context) -> Response:
    params = ctx.request.query_params
    today = ctx.service.runtime.today()
    this_year = today.year
    year_text = params.get("year", "").strip() or str(ctx.service.districts.first_shown(today))
    district = params.get("district", "").strip() or None
    if district is not None:  # as the workflow spells it ("jena": Jena)
        spelt = {d.casefold(): d for d in ctx.service.workflow.districts}
        district = spelt.get(district.casefold(), district)
    errors: dict[str, str] = {}
    report: DistrictOverview | None = None
    rows: Page[CentreAccount] | None = None
    try:
        year = validate.identifier("year", year_text)
        number = paging.page_number(params.get("page", ""))
        report = ctx.service.districts.overview(year, district)
        if district is not None and report.districts:  # its centres, a page at a time
            rows = ctx.service.districts.centres(year, report.districts[0], number)
    except UserError as refused:
        if isinstance(refused, NotFound) and refused.field is None:
            raise
        errors[refused.field or "year"] = described(refused)
    return ctx.render(
        "web/districts.html.j2",
        400 if errors else 200,
        title="Verwendungsnachweise",
        years=list(range(this_year, this_year - 6, -1)),
        year_text=year_text,
        district_options=[(d, d) for d in ctx.service.workflow.districts],
        office=ctx.user.role == Role.OFFICE,
        district=district or "",
        r=report,
        rows=rows,
        heading=None if report is None else title(report),
        download_query="" if district is None else "?" + urlencode({"district": district}),
        query={"year": year_text} | ({} if district is None else {"district": district}),
        formats=FORMATS,
        errors=errors,
    )


@page(*ROLES)
def download(ctx: Context) -> Response:
    year: int = ctx.request.path_params["year"]
    suffix: str = ctx.request.path_params["suffix"]
    if suffix not in FORMATS:
        raise NotFound("Den Verwendungsnachweis gibt es als PDF oder Excel-Datei.")
    district = ctx.request.query_params.get("district", "").strip() or None
    report = ctx.service.districts.report(year, district)
    if suffix == "pdf":
        data = report_pdf(report, ctx.service.workflow.templates_dir)
    else:
        data = report_xlsx(report)
    chosen = report.districts[0].name if district is not None and report.districts else None
    return Response(
        data,
        media_type=FORMATS[suffix][1],
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(report, suffix, chosen)}"'
        },
    )


routes = [
    Route(PATH, districts, methods=["GET"]),
    Route(PATH + "/{year:year}.{suffix:str}", download, methods=["GET"]),
]
nav: list[NavItem] = []  # reached from the yearly digests' page
