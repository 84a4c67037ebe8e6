"""The programme forecast (``core/forecast.py``) from today's centres and coaches: read
once, computed in memory, nothing written."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from thekiz_flow.core.budget import CENT, MID_MONTH, session_cost
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.forecast import Forecast, Scenario, Seed, forecast
from thekiz_flow.core.history import stay_on
from thekiz_flow.core.model import ActivityFilter, Centre, StageChange
from thekiz_flow.core.planning import add_months
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

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
            on_request = self._on_request(repo, centres, today)
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
                on_request,
            )
            for scenario in scenarios
        ]

    def _on_request(
        self, repo: Repository, centres: Sequence[Centre], day: date
    ) -> dict[str, Decimal]:
        """Hours of coaching a centre-month in each stage without a cadence (on request),
        in the 12 months before ``day``: held hours over the months centres were in it."""
        workflow = self.rt.workflow
        stages = {
            sid
            for sid, stage in workflow.stages.items()
            if stage.coaching is not None and stage.coaching.every_months == 0
        }
        first = add_months(day.replace(day=1), -12)
        mids = [add_months(first, k).replace(day=MID_MONTH) for k in range(12)]
        history: dict[int, list[StageChange]] = defaultdict(list)
        for change in sorted(
            repo.changes_between(date(1, 1, 1), day - timedelta(days=1)),
            key=lambda c: (c.effective, c.id or 0),
        ):
            history[change.centre_id].append(change)
        months: Counter[str] = Counter()
        for centre in centres:
            for mid in mids:
                if (centre.registered or centre.stage_since) <= mid:
                    months[stay_on(history[centre.id], workflow.initial, mid)[0]] += 1
        held = repo.activities.find(
            ActivityFilter(
                kind=ActivityKind.COACHING,
                status=ActivityStatus.HELD,
                first=first,
                last=day - timedelta(days=1),
            )
        )
        hours: dict[str, Decimal] = defaultdict(Decimal)
        for activity in held:
            hours[activity.stage] += activity.hours or Decimal(0)
        return {
            stage: (hours[stage] / months[stage]).quantize(CENT)
            for stage in sorted(stages)
            if months[stage]
        }

    def backtest(self, start: date, months: int = 12) -> tuple[Forecast, Decimal, Decimal]:
        """The forecast as it would have been made on ``start`` (the centres and stages of
        the day before, the admissions that really followed in the ``months``), and the
        hours and cost recorded for those months: how close the forecast comes."""
        workflow = self.rt.workflow
        end = add_months(start.replace(day=1), months)
        with self.rt.unit() as repo:
            coaches = [c for c in repo.coaches() if c.active]
            centres = repo.centres()
            on_request = self._on_request(repo, centres, start)
            changes = repo.changes_between(date(1, 1, 1), end - timedelta(days=1))
            held = repo.activities.find(
                ActivityFilter(
                    kind=ActivityKind.COACHING,
                    status=ActivityStatus.HELD,
                    first=start,
                    last=end - timedelta(days=1),
                )
            )
        history: dict[int, list[StageChange]] = defaultdict(list)
        for change in sorted(changes, key=lambda c: (c.effective, c.id or 0)):
            history[change.centre_id].append(change)
        rates = {c.id: c.rate for c in coaches}
        known = list(rates.values())
        assumed = (sum(known, Decimal(0)) / len(known)).quantize(CENT) if known else Decimal(0)
        day_before = start - timedelta(days=1)
        admitted, seeds = [], []
        for centre in centres:
            mine = history.get(centre.id, [])
            admissions = [
                c for c in mine if c.from_stage == workflow.initial and start <= c.effective < end
            ]
            admitted += [(c.effective, centre.district) for c in admissions[:1]]
            if admissions or (centre.registered or centre.stage_since) > day_before:
                continue
            stage, since = stay_on(mine, workflow.initial, day_before)
            if workflow.stage(stage).final:
                continue
            rate = rates.get(centre.coach_id, assumed) if centre.coach_id else assumed
            seeds.append(Seed(centre.district, stage, since or centre.registered or start, rate))
        scenario = Scenario(len(admitted), admitted=tuple(sorted(admitted)))
        found = forecast(
            workflow,
            self.rt.calendar,
            seeds,
            scenario,
            start,
            months,
            len(coaches),
            assumed,
            on_request,
        )
        hours = sum((a.hours or Decimal(0) for a in held), Decimal(0))
        cost = sum((session_cost(a.hours, a.rate) for a in held), Decimal(0))
        return found, hours, cost
