"""The yearly digests: every year with history as HTML, CSV and Excel to download.

The files are the ones ``thekiz-flow digest`` writes into [digest] dir: a complete year's
are served as they are, the current (provisional) year's are written anew for each download.
"""

from __future__ import annotations

from starlette.responses import FileResponse, Response
from starlette.routing import Route

from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import NotFound
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.state import NavItem

PATH = "/digests"
ROLES = (Role.OFFICE, Role.MINISTRY)
# suffix: (what the page calls it, the content type)
FORMATS = {
    "html": ("HTML", "text/html; charset=utf-8"),
    "csv": ("CSV", "text/csv; charset=utf-8"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


@page(*ROLES)
def digests(ctx: Context) -> Response:
    this_year = ctx.service.runtime.today().year
    return ctx.render(
        "web/digests.html.j2",
        title="Jahresberichte",
        years=sorted(ctx.service.digest.years(), reverse=True),
        this_year=this_year,
        formats=FORMATS,
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


routes = [
    Route(PATH, digests, methods=["GET"]),
    Route(PATH + "/{year:year}.{suffix}", download, methods=["GET"]),
]
nav = [NavItem(PATH, "Jahresberichte", ROLES)]
