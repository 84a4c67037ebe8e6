"""Forecasts (`core/forecast.py`) as JSON and back, each figure as it was: a day in ISO form,
an amount as the text of its decimal (its exponent kept), so that a forecast read back is
equal to the one written, down to its ``repr``. The layout needs no version of its own: a
forecast is kept for the code that wrote it (`service/forecast.py`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from thekiz_flow.core.forecast import Cell, Estimate, Forecast, Scenario


def dumps(forecasts: Sequence[Forecast]) -> str:
    return json.dumps(
        [_forecast(f) for f in forecasts],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def loads(text: str) -> list[Forecast]:
    return [_read(f) for f in json.loads(text)]


def _forecast(f: Forecast) -> dict[str, Any]:
    index = {month: i for i, month in enumerate(f.months)}
    return {
        "scenario": [
            f.scenario.per_year,
            [list(quota) for quota in f.scenario.districts],
            [[day.isoformat(), district] for day, district in f.scenario.admitted],
        ],
        "months": [m.isoformat() for m in f.months],
        "cells": [
            [
                index[month],
                district,
                stage,
                cell.centres,
                cell.sessions,
                str(cell.hours),
                str(cell.cost),
                str(cell.budget),
            ]
            for (month, district, stage), cell in f.cells.items()
        ],
        "stages": [list(stage) for stage in f.stages],
        "max_hours": str(f.max_hours),
        "coaches": f.coaches,
        "assumed_rate": str(f.assumed_rate),
        "on_request": {s: [str(e.hours), e.basis] for s, e in f.on_request.items()},
        "assumptions": list(f.assumptions),
    }


def _read(f: dict[str, Any]) -> Forecast:
    per_year, districts, admitted = f["scenario"]
    months = tuple(date.fromisoformat(m) for m in f["months"])
    return Forecast(
        Scenario(
            per_year,
            tuple((d, n) for d, n in districts),
            tuple((date.fromisoformat(day), d) for day, d in admitted),
        ),
        months,
        {
            (months[i], district, stage): Cell(
                centres, sessions, Decimal(hours), Decimal(cost), Decimal(budget)
            )
            for i, district, stage, centres, sessions, hours, cost, budget in f["cells"]
        },
        tuple((s, name) for s, name in f["stages"]),
        Decimal(f["max_hours"]),
        f["coaches"],
        Decimal(f["assumed_rate"]),
        {s: Estimate(Decimal(hours), basis) for s, (hours, basis) in f["on_request"].items()},
        tuple(f["assumptions"]),
    )
