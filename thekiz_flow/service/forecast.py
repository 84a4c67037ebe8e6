"""The programme forecast (``core/forecast.py``) from today's centres and coaches: read
once, computed in memory, nothing written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from thekiz_flow.core.budget import CENT
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.forecast import Forecast, Scenario, Seed, forecast
from thekiz_flow.service.runtime import Runtime

MAX_YEARS = 10


class ForecastService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def forecasts(
        self,
        years: int,
        scenarios: Sequence[Scenario],
        start: date | None = None,
        rate: Decimal | None = None,
    ) -> list[Forecast]:
        """One forecast per scenario over ``years`` years from ``start`` (default: the
        first of next month), the centres as they are today."""
        if not 1 <= years <= MAX_YEARS:
            raise InvalidInput("years", f"muss zwischen 1 und {MAX_YEARS} liegen, nicht {years}")
        scenarios = [
            Scenario(
                s.per_year,
                tuple((self.rt.district(d, "districts"), n) for d, n in s.districts),
            )
            for s in scenarios
        ]
        today = self.rt.today()
        if start is None:
            start = date(today.year + today.month // 12, today.month % 12 + 1, 1)
        workflow = self.rt.workflow
        with self.rt.unit() as repo:
            coaches = [c for c in repo.coaches() if c.active]
            centres = repo.centres()
        rates = {c.id: c.rate for c in coaches}
        assumed = rate
        if assumed is None:
            known = list(rates.values())
            assumed = (sum(known, Decimal(0)) / len(known)).quantize(CENT) if known else Decimal(0)
        seeds = [
            Seed(
                c.district,
                c.stage,
                c.episode_start or c.stage_since,
                rates.get(c.coach_id, assumed) if c.coach_id is not None else assumed,
            )
            for c in centres
            if not workflow.stage(c.stage).final
        ]
        return [
            forecast(
                workflow,
                self.rt.calendar,
                seeds,
                scenario,
                start,
                12 * years,
                len(coaches),
                assumed,
            )
            for scenario in scenarios
        ]
