"""One centre's life through the programme, as the office and the service would record it.

The office's steps (admit, deepen, renew, consult, pause, resume, withdraw) come when the
workflow's guards allow them (the months its guards name, then some delay); every change is
checked by the package's Lifecycle and re-planned by the package's planner and reconciler.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from bench.common import HISTORY_START, TICK_BEFORE, TODAY
from bench.synth.calendar import CachedCalendar, at, training_day, workday
from bench.synth.keeper import Keeper
from bench.synth.quiet import QuietDays
from bench.synth.records import Act, Counters, Life
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.history import episode_start, facts_as_of, paused_days, reached_after
from thekiz_flow.core.model import CentreFacts, Coach, StageChange, Workflow
from thekiz_flow.core.planning import PlanInput, plan, reconcile
from thekiz_flow.core.rules import Lifecycle

ACTOR = "fachstelle"
WORDS = ("Sonnenschein", "Regenbogen", "Pusteblume", "Löwenzahn", "Kunterbunt", "Wirbelwind")
CARRIERS = ("Stadt", "Diakonie", "AWO", "Caritas", "Volkssolidarität", "DRK", "Elterninitiative")
PLACES = ("Erfurt", "Jena", "Gera", "Suhl", "Weimar", "Nordhausen")
HOURS = tuple(Decimal(h) for h in ("2", "2.5", "3", "3", "3", "3", "3.5", "4", "5"))
RECORD_LAG = (0, 0, 0, 1, 1, 1, 2, 2, 3, 5, 8, 12)  # days from a session to its record


class Lives:
    """Lives centres through the programme (one at a time, from a random source)."""

    def __init__(
        self,
        flow: Workflow,
        coaches: Sequence[Coach],
        calendar: CachedCalendar,
        quiet: QuietDays,
        keeper: Keeper,
    ) -> None:
        self.workflow = flow
        self.keeper = keeper
        self.coaches = list(coaches)
        self.calendar = calendar
        self.quiet = quiet
        self.lifecycle = Lifecycle(flow)
        self.deepen_months = self._guard_months("deepen", "min_months_in_stage")
        self.renew_months = self._guard_months("renew", "min_months_in_programme_year")
        self.consult_months = self._guard_months("consult", "min_months_in_stage")

    def _guard_months(self, trigger: str, guard: str) -> int:
        """The months a guard of the workflow's transition asks for."""
        (months,) = [
            g.params["months"] for g in self.workflow.transitions[trigger].guards if g.name == guard
        ]
        return months

    def live(self, counters: Counters, cid: int, rng: random.Random) -> Life:
        district = rng.choice(self.workflow.districts)
        span = (TODAY - HISTORY_START).days
        early = rng.random() < 0.4
        offset = rng.randrange(0, span // 3) if early else rng.randrange(0, span - 30)
        registered = workday(HISTORY_START + timedelta(days=offset))
        life = Life(
            id=cid,
            name=f"Kita {rng.choice(WORDS)} {cid}",
            district=district,
            email=f"leitung{cid}@kita{cid}.example.org",
            carrier=f"{rng.choice(CARRIERS)} {district}" if rng.random() < 0.8 else None,
            coach=None,
            registered=registered,
            stage=self.workflow.initial,
            since=registered,
        )
        admit = workday(registered + timedelta(days=rng.randrange(30, 270)))
        if rng.random() < 0.04 or admit >= TODAY - timedelta(days=2):
            return life
        life.coach = rng.choice(self.coaches)
        pause = resume = withdraw = None
        if rng.random() < 0.06:
            start = admit + timedelta(days=60)
            if start < TODAY - timedelta(days=20):
                pause = workday(start + timedelta(days=rng.randrange((TODAY - start).days - 19)))
                resume = workday(pause + timedelta(days=rng.randrange(60, 240)))
        if rng.random() < 0.05:
            start = admit + timedelta(days=30)
            if start < TODAY - timedelta(days=5):
                withdraw = workday(start + timedelta(days=rng.randrange((TODAY - start).days - 4)))
        self._change(life, counters, "admit", admit, rng)
        natural = self._natural(life, rng)
        while True:
            stage = self.workflow.stage(life.stage)
            options: list[tuple[date, str]] = []
            if natural is not None:
                options.append(natural)
            if pause is not None and stage.active:
                options.append((pause, "pause"))
            if resume is not None and life.stage == "pausiert":
                options.append((resume, "resume"))
            if withdraw is not None and not stage.final:
                options.append((withdraw, "withdraw"))
            options = [(d, t) for d, t in options if life.since < d < TODAY]
            if not options:
                break
            day, trigger = min(options)
            self._progress(life, day, rng)
            if trigger in ("deepen", "consult", "renew") and not self._allowed(life, trigger, day):
                natural = (workday(day + timedelta(days=30)), trigger)
                continue
            self._change(life, counters, trigger, day, rng)
            if trigger == "pause":
                pause = None
            elif trigger == "resume":
                resume = None
            elif trigger == "withdraw":
                break
            natural = self._natural(life, rng)
        self._progress(life, TODAY, rng)
        for act in life.acts:
            if act.status == ActivityStatus.PLANNED and act.date >= TODAY:
                moved = self.quiet.free_day(act.kind, act.date)
                act.date, act.moved = moved, act.moved or moved != act.date
        return life

    def _allowed(self, life: Life, trigger: str, day: date) -> bool:
        """The guards of the shared Machine's transition hold (no change is forced)."""
        visits = [
            (a.date, a.stage)
            for a in life.acts
            if a.kind == ActivityKind.SITE_VISIT and a.status == ActivityStatus.HELD
        ]
        facts = facts_as_of(life.centre(), life.history, visits, day)
        return self.lifecycle.check(trigger, facts).allowed

    def _natural(self, life: Life, rng: random.Random) -> tuple[date, str] | None:
        """The next step the office would take in the centre's present stage, if any: some
        days after the months the transition's guards ask for (checked when it comes)."""
        facts = CentreFacts(life.centre(), tuple(life.history), (), life.since)
        if life.stage == "basisbegleitung":
            start = episode_start(facts, self.workflow)
            paused = paused_days(life.history, self.workflow, life.stage, start)
            due = reached_after(start, self.deepen_months, paused)
            return workday(due + timedelta(days=rng.randrange(0, 150))), "deepen"
        if life.stage == "vertiefungsbegleitung":
            year = episode_start(facts, self.workflow, renewals=True)
            start = episode_start(facts, self.workflow)
            paused = paused_days(life.history, self.workflow, life.stage, year)
            due = reached_after(year, self.renew_months, paused)
            due = workday(due + timedelta(days=rng.randrange(5, 25)))
            in_stage = relativedelta(due, start)
            months = in_stage.years * 12 + in_stage.months
            moves_on = months >= self.consult_months and rng.random() < 0.3
            return due, "consult" if moves_on else "renew"
        return None

    def _change(
        self, life: Life, counters: Counters, trigger: str, day: date, rng: random.Random
    ) -> None:
        """A stage change as ``advance`` records it: audit row, re-plan, seats released."""
        transition = self.workflow.transitions[trigger]
        source = life.stage
        dest = life.resume_stage if transition.returns else transition.dest
        assert dest is not None
        recorded = at(day, time(10, rng.randrange(60)))
        change = StageChange(
            life.id,
            trigger,
            source,
            dest,
            day,
            recorded,
            ACTOR,
            None,
            False,
            counters.next_change(),
        )
        life.history.append(change)
        life.resume_stage = source if transition.remember else None
        life.stage, life.since = dest, day
        names = self.workflow.stages
        reason = self.keeper.change_reason(source, dest)
        self._replan(life, counters, day, recorded, reason)
        if not names[dest].active:
            for act in life.acts:
                if (
                    act.kind == ActivityKind.TRAINING
                    and act.status == ActivityStatus.PLANNED
                    and act.date >= day
                ):
                    act.status, act.reason = ActivityStatus.CANCELLED, reason
                    act.recorded_at = act.closed = recorded
        elif source != dest and not transition.returns:
            self._book_trainings(life, counters, dest, day, recorded, rng)

    def _replan(
        self, life: Life, counters: Counters, day: date, recorded: datetime, reason: str
    ) -> None:
        """The package's planner and reconciler decide; the rows follow their verdict."""
        by_id = {act.id: act for act in life.acts}
        existing = tuple(act.model() for act in life.acts)
        data = PlanInput(life.centre(), tuple(life.history), existing, day)
        desired = plan(self.workflow, data, self.calendar)
        changes = reconcile(desired, existing, cancel_from=day, insert_from=day, stage_change=True)
        coach = life.coach
        for wanted in changes.insert:
            rate = coach.rate if coach is not None and wanted.coach_id is not None else None
            life.acts.append(
                Act(
                    counters.next_activity(),
                    life.id,
                    wanted.kind,
                    wanted.key,
                    wanted.stage,
                    wanted.date,
                    ActivityStatus.PLANNED,
                    wanted.hours,
                    wanted.coach_id,
                    rate,
                    None,
                    recorded,
                    recorded,
                )
            )
        for stored, wanted, fields in changes.update:
            act = by_id[stored.id]
            for name in fields:
                setattr(act, name, getattr(wanted, name))
            act.recorded_at = recorded
        for stored in changes.cancel:
            act = by_id[stored.id]
            act.status, act.reason = ActivityStatus.CANCELLED, reason
            act.recorded_at = act.closed = recorded
        life.planned_once = True

    def _book_trainings(
        self,
        life: Life,
        counters: Counters,
        stage_id: str,
        day: date,
        recorded: datetime,
        rng: random.Random,
    ) -> None:
        place = PLACES[self.workflow.districts.index(life.district) % len(PLACES)]
        for rule in self.workflow.stage(stage_id).trainings:
            if rng.random() > 0.92:
                continue
            month = (
                day + relativedelta(months=rng.randrange(1, max(2, rule.within_months)))
            ).replace(day=1)
            act = Act(
                counters.next_activity(),
                life.id,
                ActivityKind.TRAINING,
                "",  # training:<id>, once the catalogue has given a seat
                stage_id,
                training_day(self.workflow, self.calendar, rule.kind, month),
                ActivityStatus.PLANNED,
                None,
                None,
                None,
                None,
                None,
                recorded,
                seat=(rule.kind, month, place),
            )
            life.acts.append(act)

    def _progress(self, life: Life, until: date, rng: random.Random) -> None:
        """Everything planned before ``until`` happened: held and recorded, or cancelled."""
        latest = TICK_BEFORE - timedelta(hours=1)
        for act in life.acts:
            if act.status != ActivityStatus.PLANNED or act.date >= until:
                continue
            if act.kind == ActivityKind.COACHING:
                if rng.random() < 0.07:
                    act.status, act.reason = ActivityStatus.CANCELLED, "Leitung erkrankt"
                    act.recorded_at = act.closed = at(act.date - timedelta(days=2), time(9))
                    continue
                lag = rng.choice(RECORD_LAG)
                if self.quiet.hit("activity", act.date, ActivityKind.COACHING):
                    lag = 0  # recorded before a reminder of it falls in the measured tick
                recorded = at(act.date + timedelta(days=lag), time(17))
                if recorded >= latest:
                    continue  # held, but the coach has not recorded it yet
                act.status, act.hours = ActivityStatus.HELD, rng.choice(HOURS)
                act.note = "Sozialraumanalyse" if rng.random() < 0.1 else None
                act.recorded_at = act.closed = recorded
            elif act.kind == ActivityKind.SITE_VISIT:
                act.status = ActivityStatus.HELD
                act.recorded_at = act.closed = min(at(act.date, time(16)), latest)
            elif rng.random() < 0.05:
                act.status, act.reason = ActivityStatus.CANCELLED, "Terminkonflikt"
                act.recorded_at = act.closed = at(act.date - timedelta(days=5), time(9))
            else:
                act.status = ActivityStatus.HELD
                act.recorded_at = act.closed = min(at(act.date, time(18)), latest)
