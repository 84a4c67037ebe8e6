"""The centre list as a file, and centres from a file.

``/centres/export.csv`` and ``/centres/export.xlsx`` download the list as the page shows it
(its filters, search and order; every page of it), for German Excel (:mod:`thekiz_flow.web.export`).
``/centres/import`` takes a CSV file of centres, as ``thekiz-flow centre import`` does: all
rows or none; a refused file is listed row by row with its line number and the column.
"""

from __future__ import annotations

from dataclasses import fields

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import InvalidInput, RowsRefused
from thekiz_flow.core.model import CentreSearch
from thekiz_flow.digest.tables import Kind
from thekiz_flow.service.csvfiles import CENTRE_COLUMNS, CENTRE_OPTIONAL, CENTRE_REQUIRED
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.export import Export, export_routes
from thekiz_flow.web.state import NavItem

IMPORT = "/centres/import"
MAX_UPLOAD = 5 * 1024 * 1024  # bytes of an import file
#: The columns of the export: German titles, and the kind of each.
COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("Nr.", "int"),
    ("Name", "text"),
    ("Kreis", "text"),
    ("Stufe", "text"),
    ("seit", "date"),
    ("Prozessbegleitung", "text"),
    ("Honorar je Stunde (€)", "euro"),
    ("E-Mail", "text"),
    ("Träger", "text"),
)


def _export(ctx: Context) -> Export:
    params = ctx.request.query_params
    given = {f.name: params[f.name] for f in fields(CentreSearch) if f.name in params}
    service = ctx.service
    found = service.registry.export_centres(CentreSearch(**given))
    coaches = {c.id: c for c in service.registry.coaches()}
    stages = service.workflow.stages
    rows = []
    for centre in found:
        coach = coaches.get(centre.coach_id) if centre.coach_id is not None else None
        rows.append(
            (
                centre.id,
                centre.name,
                centre.district,
                stages[centre.stage].name,
                centre.stage_since,
                None if coach is None else coach.name,
                None if coach is None else coach.rate,
                centre.email,
                centre.carrier,
            )
        )
    name = f"einrichtungen-{service.runtime.today().isoformat()}"
    titles, kinds = zip(*COLUMNS, strict=True)
    return Export(name, titles, kinds, rows)


def _form(
    ctx: Context, error: str = "", problems: list[str] | None = None, status: int = 200
) -> Response:
    return ctx.render(
        "web/centre_import.html.j2",
        status,
        title="Einrichtungen importieren",
        error=error,
        problems=problems or [],
        required=[CENTRE_COLUMNS[key] for key in CENTRE_REQUIRED],
        optional=[CENTRE_COLUMNS[key] for key in CENTRE_OPTIONAL],
        stages=ctx.service.workflow.stages.values(),
    )


@page(Role.OFFICE)
def import_form(ctx: Context) -> Response:
    return _form(ctx)


@action(Role.OFFICE)
def import_file(ctx: Context) -> Response:
    upload = ctx.form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form(ctx, "Datei: bitte eine CSV-Datei wählen", status=400)
    with upload.file:  # spooled to a temporary file: closed once read
        data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _form(ctx, f"Datei: größer als {MAX_UPLOAD // (1024 * 1024)} MB", status=400)
    try:
        ids = ctx.service.registry.import_centre_file(upload.filename, data)
    except RowsRefused as refused:
        summary = (
            f"{refused.source}: nichts importiert, {len(refused.problems)} Fehler – bitte "
            "korrigieren und die ganze Datei erneut hochladen."
        )
        return _form(ctx, summary, [p.described() for p in refused.problems], 400)
    except InvalidInput as invalid:
        return _form(ctx, f"Datei: {invalid.worded()}", status=400)
    if not ids:
        return ctx.redirect(IMPORT, "Keine Einrichtungen in der Datei.")
    return ctx.redirect(
        "/centres", f"{len(ids)} Einrichtungen importiert (Nr. {ids[0]}–{ids[-1]})."
    )


routes = [
    *export_routes("/centres", _export, *READERS),
    Route(IMPORT, import_form, methods=["GET"]),
    Route(IMPORT, import_file, methods=["POST"]),
]
nav: list[NavItem] = []
