"""The overview: centres per stage and district, the next 30 days, what is ready, failed mail."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import OutboxStatus, Role
from thekiz_flow.core.labels import trigger_name
from thekiz_flow.core.model import Workflow
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.state import NavItem


@dataclass(frozen=True)
class StageTable:
    """Centres per district (rows) and stage (columns), with totals."""

    stages: list[str]  # stage names, in the order of the programme
    rows: list[tuple[str, list[int], int]]  # district, count per stage, sum
    totals: list[int]
    total: int


def stage_table(workflow: Workflow, counts: Sequence[tuple[str, str, int]]) -> StageTable:
    """The table of the stages and districts that have centres."""
    cells = Counter({(stage, district): n for stage, district, n in counts})
    stages = [s for s in workflow.stages if any(cells[s, d] for d in workflow.districts)]
    districts = [d for d in workflow.districts if any(cells[s, d] for s in stages)]
    rows = [(d, [cells[s, d] for s in stages], sum(cells[s, d] for s in stages)) for d in districts]
    totals = [sum(cells[s, d] for d in districts) for s in stages]
    return StageTable([workflow.stage(s).name for s in stages], rows, totals, sum(totals))


@page(*READERS)
def overview(ctx: Context) -> Response:
    service = ctx.service
    return ctx.render(
        "web/overview.html.j2",
        title="Übersicht",
        stages=stage_table(service.workflow, service.registry.stage_counts()),
        summary=service.digest.overview_context(service.runtime.today()),
        failed=service.outbox.rows(OutboxStatus.FAILED),
        may_retry=ctx.user.role == Role.OFFICE,
        trigger_name=trigger_name,
    )


routes = [
    Route("/", overview, methods=["GET"]),
]
nav = [NavItem("/", "Übersicht", READERS)]
