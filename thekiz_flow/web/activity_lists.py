"""The lists of planned sessions and site visits: one page of the address's search, and all
of it as a file.

Both lists take the filters of :class:`ActivitySearch` from the address (coach, district,
part of a centre's name, month, which ones, order, page); a coach's list of sessions shows
their own until another coach (or every one) is chosen. A bad value is shown beside its
filter (400), with the list empty. The pager and the export links keep every filter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from starlette.responses import Response

from thekiz_flow.core.activity_list import (
    DIRECTION_NAMES,
    DUE_NAMES,
    SORT_NAMES,
    ActivitySearch,
    ListedActivity,
    due_name,
    month_start,
    period,
)
from thekiz_flow.core.enums import ActivityKind, Role
from thekiz_flow.core.model import NO_COACH
from thekiz_flow.core.paging import Page
from thekiz_flow.digest.tables import Cell, Kind
from thekiz_flow.web.auth import here
from thekiz_flow.web.coach_choice import coach_options, coach_search
from thekiz_flow.web.endpoints import Context
from thekiz_flow.web.export import Export
from thekiz_flow.web.fields import Errors, beside_fields

NO_COACH_OPTION = (NO_COACH, "ohne Prozessbegleitung")
#: The columns of an export: German titles and the kind of each; "Stunden" only of sessions.
COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("Nr.", "int"),
    ("Datum", "date"),
    ("Stand", "text"),
    ("Einrichtung", "text"),
    ("Einrichtung Nr.", "int"),
    ("Kreis", "text"),
    ("Prozessbegleitung", "text"),
    ("Stufe", "text"),
    ("Stunden", "number"),
)
HOURS = "Stunden"


@dataclass(frozen=True)
class PlannedList:
    """One of the lists: its kind of activity, address, template and file name."""

    kind: ActivityKind
    path: str
    template: str
    title: str
    file: str  # the export's name before the date
    own_first: bool  # a coach sees their own at first


def search_of(ctx: Context, listed: PlannedList) -> ActivitySearch:
    """The search the address asks for; a coach's own activities when ``listed.own_first``
    and no coach is asked for (``coach=`` asks for every one)."""
    params = ctx.request.query_params
    given = {f.name: params[f.name] for f in fields(ActivitySearch) if f.name in params}
    user = ctx.user
    if listed.own_first and "coach" not in given and user.role == Role.COACH:
        given["coach"] = "" if user.coach_id is None else str(user.coach_id)
    return ActivitySearch(**given)


def show(ctx: Context, listed: PlannedList, **extra: object) -> Response:
    """One page of the list, with its filters; ``extra`` for the template. A bad filter is
    shown beside its field (400) above an empty list."""
    search = search_of(ctx, listed)

    def page(found: Page[ListedActivity], errors: Errors) -> Response:
        service = ctx.service
        today = service.runtime.today()
        month = None if errors or not search.month.strip() else month_start(search.month)
        return ctx.render(
            listed.template,
            400 if errors else 200,
            title=listed.title,
            found=found,
            search=search,
            query={f.name: getattr(search, f.name) for f in fields(search) if f.name != "page"},
            month=month,
            last=period(month, today)[1],
            today=today,
            stages={s.id: s.name for s in service.workflow.stages.values()},
            options=_options(ctx, search.coach),
            coach_search=coach_search(ctx),
            back=here(ctx.request),
            errors=errors,
            **extra,
        )

    return beside_fields(
        lambda: page(ctx.service.sessions.find_planned(listed.kind, search), {}),
        lambda errors: page(Page.of([], 0, 1), errors),
    )


def _options(ctx: Context, coach: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "coach": [*coach_options(ctx, coach), NO_COACH_OPTION],
        "district": [(d, d) for d in ctx.service.workflow.districts],
        "due": [(d.value, name) for d, name in DUE_NAMES.items()],
        "sort": [(s.value, name) for s, name in SORT_NAMES.items()],
        "order": [(o.value, name) for o, name in DIRECTION_NAMES.items()],
    }


def exporter(listed: PlannedList) -> Callable[[Context], Export]:
    """The list as the page shows it (every page of it), as a table to download."""

    def table(ctx: Context) -> Export:
        service = ctx.service
        found = service.sessions.export_planned(listed.kind, search_of(ctx, listed))
        today = service.runtime.today()
        stages = service.workflow.stages
        hours = listed.kind == ActivityKind.COACHING
        columns = [c for c in COLUMNS if hours or c[0] != HOURS]
        rows: list[list[Cell]] = []
        for row in found:
            activity = row.activity
            stage = stages.get(activity.stage)
            cells: list[Cell] = [
                activity.id,
                activity.date,
                due_name(activity.date, today),
                row.centre_name,
                activity.centre_id,
                row.district,
                row.coach_name,
                activity.stage if stage is None else stage.name,
            ]
            rows.append([*cells, activity.hours] if hours else cells)
        titles, kinds = zip(*columns, strict=True)
        return Export(f"{listed.file}-{today.isoformat()}", titles, kinds, rows)

    return table
