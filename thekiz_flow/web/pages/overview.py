"""The start page ``/``, by role.

The office: first what needs doing today ("Heute zu tun": sessions nobody recorded, site
visits due, centres ready for their next step, trainings with free seats or a waiting list,
budget warnings, failed mail), each item with the form or the link that settles it; then
the statistics (centres per stage and district, the next 30 days). A coach: the sessions
still to record (with the form), the next ones, the calendar link. The ministry: the digests
(its start page is the digests page). Long groups are cut; ``?alle=GROUP`` shows one whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import Role
from thekiz_flow.core.labels import KIND_NAMES
from thekiz_flow.core.model import Workflow
from thekiz_flow.service.overview import GROUPS, VISITS_AHEAD
from thekiz_flow.web.auth import ALL, READERS, here, landing, may_record_for
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.state import NavItem

SHOWN = 10  # items of a group on the start page before "alle N anzeigen"
WHOLE = "alle"  # the query parameter naming the group shown whole


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


@page(*ALL)
def start(ctx: Context) -> Response:
    """The start page of the user's role."""
    if ctx.user.role == Role.OFFICE:
        return _office(ctx)
    if ctx.user.role == Role.COACH:
        return _coach(ctx)
    return ctx.redirect(landing(ctx.user))


def _office(ctx: Context) -> Response:
    service = ctx.service
    today = service.runtime.today()
    whole = ctx.request.query_params.get(WHOLE, "")
    work = service.overview.worklist(today, SHOWN, [whole] if whole in GROUPS else [])
    return ctx.render(
        "web/overview.html.j2",
        title="Übersicht",
        work=work,
        digests_changed=service.digest_changes.changed_years(),
        stages=stage_table(service.workflow, service.registry.stage_counts()),
        stage_names={s.id: s.name for s in service.workflow.stages.values()},
        trigger_name=ctx.service.workflow.step_name,
        kind_names=KIND_NAMES,
        visits_until=today + VISITS_AHEAD,
        whole=WHOLE,
        back=here(ctx.request),
    )


def _coach(ctx: Context) -> Response:
    service, coach_id = ctx.service, ctx.user.coach_id
    today = service.runtime.today()
    whole = ctx.request.query_params.get(WHOLE, "") in ("unrecorded", "upcoming")
    day = None
    if coach_id is not None:
        day = service.overview.coach_day(coach_id, today, None if whole else SHOWN)
    shown = [] if day is None else [*day.unrecorded.items, *day.upcoming.items]
    return ctx.render(
        "web/coach_start.html.j2",
        title="Übersicht",
        day=day,
        feed=None if coach_id is None else service.feeds.issued([coach_id]).get(coach_id),
        may_act={d.activity.id for d in shown if may_record_for(ctx.user, d.centre.coach_id)},
        whole=WHOLE,
        back=here(ctx.request),
    )


routes = [
    Route("/", start, methods=["GET"]),
]
nav = [NavItem("/", "Übersicht", READERS)]
