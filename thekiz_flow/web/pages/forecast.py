"""The programme forecast for the office and the ministry: scenarios side by side, with
charts and the workbook (as ``thekiz-flow forecast`` computes them; nothing is written)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.accounts.files import XLSX_TYPE
from thekiz_flow.accounts.forecast import YearRow, forecast_xlsx, year_rows
from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import UserError
from thekiz_flow.core.forecast import ASSUMPTIONS, FIRST_VIEW, Forecast, parse_scenarios
from thekiz_flow.digest.charts import Number, Series, bar_chart
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.fields import label
from thekiz_flow.web.state import NavItem

PATH = "/forecast"
ROLES = (Role.OFFICE, Role.MINISTRY)
FIELDS = ("years", "new_per_year", "from", "districts", "rate")
# the form's own names of its fields (``from`` elsewhere is a closure's first day)
LABELS = {
    "years": "Jahre",
    "new_per_year": "Neue je Jahr",
    "from": "Beginn",
    "districts": "je Landkreis",
    "rate": "Stundensatz neuer Einrichtungen",
}
DEFAULTS = {"years": str(FIRST_VIEW[0]), "new_per_year": FIRST_VIEW[1]}
COLOURS = ("#1f5f8b", "#c77c0e", "#3b8b4b", "#7a4d8c")


def _values(ctx: Context) -> dict[str, str]:
    params = ctx.request.query_params
    return {name: params.get(name, DEFAULTS.get(name, "")).strip() for name in FIELDS}


def _forecasts(ctx: Context, values: dict[str, str]) -> list[Forecast]:
    years = validate.identifier("years", values["years"] or DEFAULTS["years"])
    scenarios = parse_scenarios(values["new_per_year"] or None, values["districts"] or None)
    start = validate.day("from", values["from"]) if values["from"] else None
    rate = (
        validate.amount("rate", values["rate"], maximum=Decimal(1000)) if values["rate"] else None
    )
    return ctx.service.forecast.forecasts(years, scenarios, start, rate)


def _chart(title: str, found: list[Forecast], value: str, fmt: object) -> Markup:
    rows = [year_rows(f) for f in found]
    labels = [str(row.year) for row in rows[0]]
    series = [
        Series(f.scenario.name, tuple(getattr(row, value) for row in mine), COLOURS[i % 4])
        for i, (f, mine) in enumerate(zip(found, rows, strict=True))
    ]
    return bar_chart(title, labels, series, fmt)  # type: ignore[arg-type]


def _euro(value: Number) -> str:
    return german.euro(value)


def _count(value: Number) -> str:
    return german.number(value)


@page(*ROLES)
def forecast(ctx: Context) -> Response:
    values = _values(ctx)
    errors: dict[str, str] = {}
    found: list[Forecast] = []
    try:
        found = _forecasts(ctx, values)
    except UserError as refused:
        errors[refused.field or "years"] = refused.described(
            lambda field: LABELS.get(field) or label(field)
        )
    tables: list[tuple[Forecast, list[YearRow]]] = [(f, year_rows(f)) for f in found]
    wanted = (
        ("Kosten der Begleitung je Jahr", "cost", _euro),
        ("Anteiliges Budget je Jahr", "budget", _euro),
        ("Prozessbegleitungen nötig (höchstens in einem Monat)", "needed", _count),
    )
    charts = [(name, _chart(name, found, value, fmt)) for name, value, fmt in wanted if found]
    return ctx.render(
        "web/forecast.html.j2",
        400 if errors else 200,
        title="Prognose",
        values=values,
        errors=errors,
        tables=tables,
        charts=charts,
        first=found[0] if found else None,
        assumptions=found[0].assumptions if found else ASSUMPTIONS,
        download=f"{PATH}.xlsx?{urlencode(values)}",
    )


@page(*ROLES)
def download(ctx: Context) -> Response:
    found = _forecasts(ctx, _values(ctx))
    return Response(
        forecast_xlsx(found),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="prognose.xlsx"'},
    )


routes = [
    Route(PATH, forecast, methods=["GET"]),
    Route(PATH + ".xlsx", download, methods=["GET"]),
]
nav: list[NavItem] = []  # reached from the yearly digests' page
