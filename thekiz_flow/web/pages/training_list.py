"""The training catalogue: filtered, sorted, a page at a time, and as a file.

Everyone who reads (office and coaches) sees the catalogue: by date, title or free seats,
searched by title or place, from one day to another, only with free seats, called off or
not. The office's forms to add and import offerings stand below it (``trainings``).
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import Role
from thekiz_flow.core.lists import NO, YES, TrainingSearch, TrainingSort
from thekiz_flow.core.model import Training
from thekiz_flow.core.paging import Page
from thekiz_flow.digest.tables import Kind
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.export import Export, export_routes
from thekiz_flow.web.fields import Errors
from thekiz_flow.web.lists import query_of, search_of, shown

TRAININGS = "/trainings"
NEW_FIELDS = ("kind", "title", "date", "place", "capacity")
SORT_NAMES = {
    TrainingSort.DATE: "Datum (früheste zuerst)",
    TrainingSort.DATE_DESC: "Datum (späteste zuerst)",
    TrainingSort.TITLE: "Titel",
    TrainingSort.FREE: "freie Plätze (meiste zuerst)",
}
FREE_OPTIONS = [(YES, "nur mit freien Plätzen")]
CANCELLED_OPTIONS = [(NO, "nicht abgesagt"), (YES, "nur abgesagte")]
#: The columns of the export: German titles, and the kind of each.
COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("Nr.", "int"),
    ("Datum", "date"),
    ("Art", "text"),
    ("Titel", "text"),
    ("Ort", "text"),
    ("Plätze", "int"),
    ("belegt", "int"),
    ("frei", "int"),
    ("Warteliste", "int"),
    ("abgesagt", "text"),
)
Listed = tuple[Training, int, int]  # an offering, its seats taken and its waiting list


def free(training: Training, taken: int) -> int:
    """The seats left of an offering (none once it is called off)."""
    return 0 if training.cancelled is not None else max(training.capacity - taken, 0)


@page(*READERS)
def catalogue(ctx: Context) -> Response:
    return catalogue_page(ctx)


def catalogue_page(
    ctx: Context,
    typed: dict[str, str] | None = None,
    errors: Errors | None = None,
    import_errors: Errors | None = None,
) -> Response:
    """The catalogue; for the office with the forms to add and import, after a refusal
    with the message beside its field and what was typed."""
    search = search_of(ctx, TrainingSearch)
    kinds = ctx.service.workflow.training_kinds

    def show(found: Page[Listed] | None, list_errors: Errors) -> Response:
        return ctx.render(
            "web/trainings.html.j2",
            400 if errors or import_errors or list_errors else 200,
            title="Fortbildungen",
            found=found,
            search=search,
            query=query_of(search),
            list_errors=list_errors,
            options={
                "free": FREE_OPTIONS,
                "cancelled": CANCELLED_OPTIONS,
                "sort": list(SORT_NAMES.items()),
            },
            free=free,
            kinds=kinds,
            kind_options=list(kinds.items()),
            office=ctx.user.role == Role.OFFICE,
            typed=typed or dict.fromkeys(NEW_FIELDS, ""),
            errors=errors or {},
            import_errors=import_errors or {},
        )

    return shown(lambda: ctx.service.lists.trainings(search), show)


def _export(ctx: Context) -> Export:
    found = ctx.service.lists.all_trainings(search_of(ctx, TrainingSearch))
    kinds = ctx.service.workflow.training_kinds
    rows = [
        (
            t.id,
            t.date,
            kinds.get(t.kind, t.kind),
            t.title,
            t.place,
            t.capacity,
            taken,
            free(t, taken),
            waiting,
            "ja" if t.cancelled is not None else "nein",
        )
        for t, taken, waiting in found
    ]
    name = f"fortbildungen-{ctx.service.runtime.today().isoformat()}"
    titles, kinds_of = zip(*COLUMNS, strict=True)
    return Export(name, titles, kinds_of, rows)


routes = [
    Route(TRAININGS, catalogue, methods=["GET"]),
    *export_routes(TRAININGS, _export, *READERS),
]
