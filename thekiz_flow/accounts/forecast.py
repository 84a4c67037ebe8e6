"""Forecasts (``core/forecast.py``) as tables and one workbook, the scenarios side by side."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from thekiz_flow.accounts.files import workbook_bytes
from thekiz_flow.core.forecast import Forecast
from thekiz_flow.digest.tables import Column, Row, Table

MONEY = (
    Column("Termine", "int"),
    Column("Stunden", "number"),
    Column("Kosten", "euro"),
    Column("Budget", "euro"),
)


class YearRow(NamedTuple):
    year: int
    centres: int  # at the year's end
    sessions: int
    hours: Decimal
    cost: Decimal
    budget: Decimal
    needed: int  # the most coaches needed in a month of it
    coaches: int  # there are


def year_rows(found: Forecast) -> list[YearRow]:
    """Per year: centres at its end, sessions, hours, cost, budget, the most coaches needed
    in a month of it, the coaches there are."""
    rows = []
    for year in found.years:
        cell = found.year(year)
        needed = max(found.coaches_needed(m) for m in found.months if m.year == year)
        rows.append(
            YearRow(
                year,
                cell.centres,
                cell.sessions,
                cell.hours,
                cell.cost,
                cell.budget,
                needed,
                found.coaches,
            )
        )
    return rows


YEAR_COLUMNS = (
    Column("Jahr", "int"),
    Column("Einrichtungen am Jahresende", "int"),
    *MONEY,
    Column("Prozessbegleitungen nötig (höchstens)", "int"),
    Column("Prozessbegleitungen vorhanden", "int"),
)


def comparison(forecasts: Sequence[Forecast]) -> Table:
    """Every scenario's years, with the difference to the first scenario."""
    base = {row.year: row for row in year_rows(forecasts[0])}
    rows: list[Row] = []
    for found in forecasts:
        for row in year_rows(found):
            first = base[row.year]
            rows.append(
                (
                    found.scenario.name,
                    *row,
                    row.cost - first.cost,
                    row.budget - first.budget,
                )
            )
    return Table(
        "vergleich",
        "Szenarien im Vergleich",
        "Vergleich",
        (
            Column("Szenario"),
            *YEAR_COLUMNS,
            Column("Kosten gegenüber Szenario 1", "euro"),
            Column("Budget gegenüber Szenario 1", "euro"),
        ),
        tuple(rows),
    )


def month_table(found: Forecast, index: int) -> Table:
    stages = [(sid, name) for sid, name in found.stages]
    rows: list[Row] = []
    for month in found.months:
        cell = found.month(month)
        rows.append(
            (
                month.strftime("%m/%Y"),
                *(found.month_stage(month, sid).centres for sid, _ in stages),
                cell.sessions,
                cell.hours,
                cell.cost,
                cell.budget,
                found.coaches_needed(month),
                found.coaches,
            )
        )
    return Table(
        f"monate-{index}",
        f"{found.scenario.name}: Monate",
        f"S{index} Monate",
        (
            Column("Monat"),
            *(Column(name, "int") for _, name in stages),
            *MONEY,
            Column("Prozessbegleitungen nötig", "int"),
            Column("Prozessbegleitungen vorhanden", "int"),
        ),
        tuple(rows),
    )


def district_table(found: Forecast, index: int) -> Table:
    rows = []
    for year in found.years:
        for district in found.districts:
            cell = found.year(year, district)
            rows.append(
                (year, district, cell.centres, cell.sessions, cell.hours, cell.cost, cell.budget)
            )
    return Table(
        f"landkreise-{index}",
        f"{found.scenario.name}: Landkreise",
        f"S{index} Landkreise",
        (
            Column("Jahr", "int"),
            Column("Landkreis"),
            Column("Einrichtungen am Jahresende", "int"),
            *MONEY,
        ),
        tuple(rows),
    )


def notes(forecasts: Sequence[Forecast]) -> Table:
    first = forecasts[0]
    rows: list[Row] = [
        ("Zeitraum", f"{first.months[0]:%m/%Y} bis {first.months[-1]:%m/%Y}"),
        ("Stundensatz neuer Einrichtungen", f"{first.assumed_rate} €"),
        ("Höchststunden je Prozessbegleitung und Monat", str(first.max_hours)),
        *((f"Szenario {i}", f.scenario.name) for i, f in enumerate(forecasts, start=1)),
        *(("Annahme", text) for text in first.assumptions),
    ]
    return Table(
        "annahmen", "Annahmen", "Annahmen", (Column("Angabe"), Column("Wert")), tuple(rows)
    )


def forecast_tables(forecasts: Sequence[Forecast]) -> list[Table]:
    tables = [comparison(forecasts)]
    for index, found in enumerate(forecasts, start=1):
        tables += [month_table(found, index), district_table(found, index)]
    return [*tables, notes(forecasts)]


def forecast_xlsx(forecasts: Sequence[Forecast]) -> bytes:
    first = forecasts[0].months[0]
    return workbook_bytes(
        forecast_tables(forecasts),
        "Prognose ThEKiZ",
        datetime(first.year, first.month, 1),
    )
