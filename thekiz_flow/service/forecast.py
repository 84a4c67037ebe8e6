"""The programme forecast (``core/forecast.py``) from today's centres and coaches: read
once, computed in memory, nothing written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

from thekiz_flow.core import german
from thekiz_flow.core.budget import CENT, MID_MONTH, session_cost
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.forecast import (
    Estimate,
    Forecast,
    Renewal,
    Scenario,
    Seed,
    StayPlans,
    forecast,
    forward_steps,
    renewals,
)
from thekiz_flow.core.history import Step, stay_on, stay_start
from thekiz_flow.core.model import ActivityFilter, Centre
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
            history = _histories(repo, today)
            on_request = self._on_request(repo, centres, today, history)
        renewed = self._renewals(history, today + timedelta(days=1))
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
                stay_start(workflow, c.stage, c.stage_since, history.get(c.id, []), renewals=True),
            )
            for c in centres
            if not workflow.stage(c.stage).final
        ]
        plans = StayPlans(workflow, self.rt.calendar)  # the scenarios share today's centres
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
                renewed,
                plans,
            )
            for scenario in scenarios
        ]

    def _renewals(self, history: Mapping[int, Sequence[Step]], start: date) -> dict[str, Renewal]:
        """Per renewable stage, the programme years renewed and left forward before
        ``start``."""
        workflow = self.rt.workflow
        steps = forward_steps(workflow)
        found: dict[str, Renewal] = {}
        for stage in renewals(workflow):
            step = steps.get(stage)
            changes = [c for mine in history.values() for c in mine if c.effective < start]
            renewed = sum(1 for c in changes if c.from_stage == c.to_stage == stage)
            forward = sum(
                1
                for c in changes
                if step is not None and c.from_stage == stage and c.to_stage == step[0]
            )
            found[stage] = Renewal(renewed, forward)
        return found

    def _on_request(
        self,
        repo: Repository,
        centres: Sequence[Centre],
        day: date,
        history: Mapping[int, Sequence[Step]] | None = None,
    ) -> dict[str, Estimate]:
        """Hours of coaching a centre-month in each stage without a cadence (on request):
        held hours over the months centres were in it, in the 12 months before ``day``; if
        these have none, the office's estimate in the workflow file (``requests_per_year``
        sessions of the stage's hours); without one, all the history before ``day``; if that
        has none either, a session of the stage's hours as often as the stage before it
        plans them. ``history``: the centres' stage changes, if they were read already (up
        to ``day`` or later)."""
        workflow = self.rt.workflow
        stages = [
            sid
            for sid, stage in workflow.stages.items()
            if stage.coaching is not None and stage.coaching.every_months == 0
        ]
        if not stages:
            return {}
        before = {
            centre: [c for c in mine if c.effective < day]
            for centre, mine in (history or _histories(repo, day)).items()
        }
        first_year = add_months(day.replace(day=1), -12)
        known = [c.registered or c.stage_since for c in centres]
        known += [c.effective for mine in before.values() for c in mine]
        first_ever = min([first_year, *(d.replace(day=1) for d in known)])
        held: dict[date, dict[str, Decimal]] = {}  # from a day on: hours by stage, summed

        def recorded(stage: str, first: date, basis: str) -> Estimate | None:
            if first not in held:
                held[first] = repo.held_hours(stages, first, day - timedelta(days=1))
            hours = held[first].get(stage, Decimal(0))
            months = hours and _months_in(workflow.initial, centres, before, stage, first, day)
            return Estimate((hours / months).quantize(CENT), basis) if months else None

        found: dict[str, Estimate] = {}
        for stage in stages:
            found[stage] = (
                recorded(stage, first_year, "wie in den 12 Monaten vor Beginn der Prognose")
                or self._expected_request(stage)
                or recorded(
                    stage,
                    first_ever,
                    "wie im gesamten Verlauf vor Beginn der Prognose (in den 12 Monaten davor "
                    "keine Stunden)",
                )
                or self._assumed_request(stage)
            )
        return found

    def _expected_request(self, stage: str) -> Estimate | None:
        """The office's estimate in the workflow file: ``requests_per_year`` sessions of the
        stage's hours a year, spread over its months (None: not set)."""
        rule = self.rt.workflow.stage(stage).coaching
        if rule is None or rule.requests_per_year is None:
            return None
        return Estimate(
            (rule.hours * rule.requests_per_year / 12).quantize(CENT),
            "da in den 12 Monaten vor Beginn der Prognose keine Stunden dieser Stufe erfasst "
            "sind, wie von der Fachstelle in der Programmdefinition angenommen: "
            f"{german.number(rule.requests_per_year)} Termine je Einrichtung und Jahr zu je "
            f"{german.number(rule.hours)} Stunden",
        )

    def _assumed_request(self, stage: str) -> Estimate:
        """No hours on record: a session of the stage's hours as often as the stage whose
        forward step leads to it plans them (once a month if there is none)."""
        workflow = self.rt.workflow
        rule = workflow.stage(stage).coaching
        hours = rule.hours if rule is not None else Decimal(0)
        before = next(
            (s for s, (dest, _) in forward_steps(workflow).items() if dest == stage), None
        )
        every = 1
        text = "einmal im Monat"
        earlier = workflow.stage(before).coaching if before is not None else None
        if before is not None and earlier is not None and earlier.every_months:
            every = earlier.every_months
            text = f"so oft wie in der Stufe davor, {workflow.stage(before).name}: " + (
                "jeden Monat" if every == 1 else f"alle {every} Monate"
            )
        return Estimate(
            (hours / every).quantize(CENT),
            "da vor Beginn der Prognose keine Stunden dieser Stufe erfasst sind, angenommen: "
            f"ein Termin von {german.number(hours)} Stunden {text} (eher zu viel als zu wenig)",
        )

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
            history = _histories(repo, end - timedelta(days=1))
            held = repo.activities.find(
                ActivityFilter(
                    kind=ActivityKind.COACHING,
                    status=ActivityStatus.HELD,
                    first=start,
                    last=end - timedelta(days=1),
                )
            )
        renewed = self._renewals(history, start)
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
            before = [c for c in mine if c.effective <= day_before]
            since = since or centre.registered or start
            seeds.append(
                Seed(
                    centre.district,
                    stage,
                    stay_start(workflow, stage, since, before),
                    rate,
                    stay_start(workflow, stage, since, before, renewals=True),
                )
            )
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
            renewed,
        )
        hours = sum((a.hours or Decimal(0) for a in held), Decimal(0))
        cost = sum((session_cost(a.hours, a.rate) for a in held), Decimal(0))
        return found, hours, cost


def _histories(repo: Repository, last: date) -> dict[int, list[Step]]:
    """Each centre's stage changes in force effective up to ``last``, in the order they took
    effect (of one day, in the order recorded): only what the readings of the history need,
    not the audit rows (254,000 of them at 60,000 centres)."""
    return {
        centre: sorted((c for c in mine if c.effective <= last), key=lambda c: c.effective)
        for centre, mine in repo.steps(None).items()
    }


def _months_in(
    initial: str,
    centres: Sequence[Centre],
    history: Mapping[int, Sequence[Step]],
    stage: str,
    first: date,
    day: date,
) -> int:
    """Centre-months (by their 15th) in ``stage`` from the month of ``first`` to before
    ``day``."""
    count = 0
    month = first.replace(day=1)
    while month.replace(day=MID_MONTH) < day:
        mid = month.replace(day=MID_MONTH)
        for centre in centres:
            if (centre.registered or centre.stage_since) <= mid:
                count += stay_on(history.get(centre.id, ()), initial, mid)[0] == stage
        month = add_months(month, 1)
    return count
