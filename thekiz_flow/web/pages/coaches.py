"""Coaches: their centres and their load per month against the monthly maximum.

``/coaches`` lists every coach with the load of this month and the next ones;
``/coaches/{id}`` shows the months of the current year, as ``thekiz-flow coach show``.
"""

from __future__ import annotations

from datetime import date

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.web.auth import READERS
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.state import NavItem

LIST_MONTHS = 3  # months of the load in the list, from this one


@page(*READERS)
def coaches(ctx: Context) -> Response:
    service = ctx.service
    reports = [service.overview.coach_report(c.id) for c in service.registry.coaches()]
    return ctx.render(
        "web/coaches.html.j2",
        title="Prozessbegleitungen",
        rows=[(r.coach, r.centres, r.load[:LIST_MONTHS]) for r in reports],
        months=[m.month for m in reports[0].load[:LIST_MONTHS]] if reports else [],
        maximum=service.workflow.coach_max_hours_per_month,
    )


@page(*READERS)
def coach(ctx: Context) -> Response:
    service = ctx.service
    year = service.runtime.today().year
    report = service.overview.coach_report(ctx.request.path_params["coach_id"], date(year, 1, 1))
    return ctx.render(
        "web/coach.html.j2",
        title=report.coach.name,
        report=report,
        year=year,
        maximum=service.workflow.coach_max_hours_per_month,
    )


routes = [
    Route("/coaches", coaches, methods=["GET"]),
    Route("/coaches/{coach_id:id}", coach, methods=["GET"]),
]
nav = [NavItem("/coaches", "Prozessbegleitungen", READERS)]
