"""The programme forecast (``core/forecast.py``) from today's centres and coaches: read
once, computed in memory.

The page's first view (`FIRST_VIEW`) is kept (`keep`, by the service's scheduler): a view
finds it while no write it reads was marked since (`store/forecast_kept.py`) and it is of the
same day, rules and code; any other view, and this one when stale, is figured as it is
asked for, from what is there, exactly as it would be kept."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib.metadata import version
from pathlib import Path

import thekiz_flow
from thekiz_flow.core import forecast_codec, german
from thekiz_flow.core.budget import CENT, session_cost
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.forecast import (
    FIRST_VIEW,
    Estimate,
    Forecast,
    Renewal,
    Scenario,
    Seed,
    forecast_scenarios,
    forward_steps,
    mid_months_before,
    parse_scenarios,
    renewals,
)
from thekiz_flow.core.history import Step, stay_on, stay_start
from thekiz_flow.core.model import ActivityFilter, Workflow
from thekiz_flow.core.planning import add_months
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.forecast_kept import Kept
from thekiz_flow.store.forecast_reads import Span
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
        first of next month), the centres as they are today: as kept, if it is current."""
        asked = self._asked(years, scenarios, start, rate)
        with self.rt.unit() as repo:
            kept = repo.forecast_kept.current(asked.key)
            found = None if kept is None else _LAST_READ.get(asked.key, kept)
            if kept is not None and found is None:
                body = repo.forecast_kept.body(asked.key, kept)
                if body is not None:
                    found = forecast_codec.loads(body)
                    _LAST_READ.put(asked.key, kept, found)
        return found if found is not None else self._figure(asked)

    def keep(self) -> bool:
        """Figure and keep the page's first view, unless the one kept is current; whether
        it was figured. Takes its turn to read the newest mark, then figures from what was
        written up to it (and perhaps after: then it is stale at once, and figured again)."""
        years, per_year = FIRST_VIEW
        asked = self._asked(years, parse_scenarios(per_year, None), None, None)
        with self.rt.unit() as repo:
            repo.forecast_kept.take_turn()
            if repo.forecast_kept.current(asked.key) is not None:
                return False
            kept = Kept(repo.forecast_kept.last_mark(), secrets.token_hex(16))
        body = forecast_codec.dumps(self._figure(asked))
        with self.rt.unit() as repo:
            repo.forecast_kept.take_turn()
            repo.forecast_kept.keep(asked.key, kept, body)
        return True

    def _asked(
        self, years: int, scenarios: Sequence[Scenario], start: date | None, rate: Decimal | None
    ) -> _Asked:
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
        return _Asked(years, tuple(scenarios), start, rate, today, self.rt.workflow)

    def _figure(self, asked: _Asked) -> list[Forecast]:
        today = asked.today
        workflow = self.rt.workflow
        returns = [name for name, t in workflow.transitions.items() if t.returns]
        with self.rt.unit() as repo:
            coaches = [c for c in repo.coaches() if c.active]
            centres = repo.forecast.seeds(workflow.open_stages(), today, returns)
            renewed = _renewals(workflow, repo, today + timedelta(days=1))
            on_request = self._on_request(repo, today)
        rates = {c.id: c.rate for c in coaches}
        assumed = asked.rate
        if assumed is None:
            known = list(rates.values())
            assumed = (sum(known, Decimal(0)) / len(known)).quantize(CENT) if known else Decimal(0)
        seeds = [
            Seed(
                c.district,
                c.stage,
                c.since,
                rates.get(c.coach_id, assumed) if c.coach_id is not None else assumed,
                c.year_start,
            )
            for c in centres
        ]
        return forecast_scenarios(
            workflow,
            self.rt.calendar,
            seeds,
            asked.scenarios,
            asked.start,
            12 * asked.years,
            len(coaches),
            assumed,
            on_request,
            renewed,
        )

    def _on_request(self, repo: Repository, day: date) -> dict[str, Estimate]:
        """Hours of coaching a centre-month in each stage without a cadence (on request):
        held hours over the months centres were in it, in the 12 months before ``day``; if
        these have none, the office's estimate in the workflow file (``requests_per_year``
        sessions of the stage's hours); without one, all the history before ``day``; if that
        has none either, a session of the stage's hours as often as the stage before it
        plans them."""
        workflow = self.rt.workflow
        stages = [
            sid
            for sid, stage in workflow.stages.items()
            if stage.coaching is not None and stage.coaching.every_months == 0
        ]
        if not stages:
            return {}
        first_year = add_months(day.replace(day=1), -12)
        known = repo.forecast.first_known(day)
        first_ever = min(first_year, known.replace(day=1)) if known else first_year
        held: dict[date, dict[str, Decimal]] = {}  # from a day on: hours by stage, summed
        spans: dict[str, list[Span]] = {}  # by stage: the centres' times in it before day

        def recorded(stage: str, first: date, basis: str) -> Estimate | None:
            if first not in held:
                held[first] = repo.held_hours(stages, first, day - timedelta(days=1))
            hours = held[first].get(stage, Decimal(0))
            if hours and stage not in spans:
                spans[stage] = repo.forecast.spans(stage, workflow.initial, day)
            months = hours and _months_in(spans[stage], first, day)
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
            on_request = self._on_request(repo, start)
            renewed = _renewals(workflow, repo, start)
            history = _histories(repo, end - timedelta(days=1))
            held = repo.activities.find(
                ActivityFilter(
                    kind=ActivityKind.COACHING,
                    status=ActivityStatus.HELD,
                    first=start,
                    last=end - timedelta(days=1),
                )
            )
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
        (found,) = forecast_scenarios(
            workflow,
            self.rt.calendar,
            seeds,
            [scenario],
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


def _renewals(workflow: Workflow, repo: Repository, before: date) -> dict[str, Renewal]:
    """Per renewable stage, the programme years renewed and left forward before
    ``before``."""
    steps, renewable = forward_steps(workflow), renewals(workflow)
    forward = {stage: steps[stage][0] for stage in renewable if stage in steps}
    pairs = [(stage, stage) for stage in renewable] + list(forward.items())
    changes = repo.forecast.changes(pairs, before)
    return {
        stage: Renewal(
            changes.get((stage, stage), 0),
            changes.get((stage, forward[stage]), 0) if stage in forward else 0,
        )
        for stage in renewable
    }


def _histories(repo: Repository, last: date) -> dict[int, list[Step]]:
    """Each centre's stage changes in force effective up to ``last``, in the order they took
    effect (of one day, in the order recorded): only what the readings of the history need,
    not the audit rows (254,000 of them at 60,000 centres)."""
    return {
        centre: sorted((c for c in mine if c.effective <= last), key=lambda c: c.effective)
        for centre, mine in repo.steps(None).items()
    }


def _months_in(spans: Iterable[Span], first: date, day: date) -> int:
    """Centre-months (by their 15th) in the stage of ``spans`` from the month of ``first``
    to before ``day``, from the day the programme knew each centre on."""
    low = first.replace(day=1)
    count = 0
    for known, entered, after in spans:
        start = max(known, entered or known, low)
        end = min(after or day, day)
        if start < end:
            count += mid_months_before(end) - mid_months_before(start)
    return count


class _LastRead:
    """The kept forecast this process read last, as read: a view of the same keeping takes
    it as it is, without reading and decoding it again (its figures do not change)."""

    def __init__(self) -> None:
        self._last: tuple[str, Kept, list[Forecast]] | None = None

    def get(self, key: str, kept: Kept) -> list[Forecast] | None:
        last = self._last
        return last[2] if last is not None and last[:2] == (key, kept) else None

    def put(self, key: str, kept: Kept, found: list[Forecast]) -> None:
        self._last = (key, kept, found)


_LAST_READ = _LastRead()


@dataclass(frozen=True)
class _Asked:
    """A forecast asked for, on ``today``, under ``workflow``'s rules."""

    years: int
    scenarios: tuple[Scenario, ...]
    start: date
    rate: Decimal | None
    today: date
    workflow: Workflow

    @property
    def key(self) -> str:
        """What it is figured for, a digest: the question, the day, the rules (the whole
        workflow: its calendar too), and the code that figures it."""
        asked = (self.years, self.scenarios, self.start, self.rate, self.today, self.workflow)
        return hashlib.sha256(f"{_code()}{asked!r}".encode()).hexdigest()


@cache
def _code() -> str:
    """A digest of this code and of the holidays it knows: a kept forecast of other code is
    figured again."""
    digest = hashlib.sha256(version("holidays").encode())
    for path in sorted(Path(thekiz_flow.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()
