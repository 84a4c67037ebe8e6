"""The reminders of a centre's stays in a stage: its next step allowed, a training's deadline.

Both follow the centre as it was when the tick came: its stage and stay, its derived dates as
the service refreshed them (after a stage change and after a site visit was recorded), its
enrolments booked and not cancelled by then.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from bench.common import BERLIN, TICK_BEFORE
from bench.synth.keeper import Keeper
from bench.synth.records import Act, Life
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.history import facts_as_of
from thekiz_flow.core.model import Centre, Coach, ReminderRule, StageChange, Workflow
from thekiz_flow.core.recommend import unmet_trainings
from thekiz_flow.core.reminders import Window
from thekiz_flow.core.rules import Lifecycle


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a rule that a tick (at ``tick``) found, with what its key names."""

    tick: datetime
    rule: ReminderRule
    subject: str
    at: datetime
    context: Mapping[str, object]
    label: str | None = None


@dataclass(frozen=True)
class Refresh:
    """The centre's derived dates as the service refreshed them at ``moment``."""

    moment: datetime
    start: date  # episode_start
    step: date | None  # next_step_on
    visits: tuple[tuple[date, str], ...]  # the site visits recorded by then


@dataclass(frozen=True)
class Stay:
    """A centre's stay in a stage: from its change until the next one was recorded."""

    centre: Centre  # as it was during the stay
    change: StageChange
    ends: datetime | None
    history: tuple[StageChange, ...]  # up to and with the change


def stays(life: Life) -> Iterator[Stay]:
    centre = life.centre()
    for n, change in enumerate(life.history):
        ends = life.history[n + 1].recorded_at if n + 1 < len(life.history) else None
        during = replace(centre, stage=change.to_stage, stage_since=change.effective)
        yield Stay(during, change, ends, tuple(life.history[: n + 1]))


class StayReminders:
    """The occurrences of the rules following ``eligible`` and ``training_deadline``."""

    def __init__(self, flow: Workflow, keeper: Keeper) -> None:
        self.workflow = flow
        self.keeper = keeper
        self.lifecycle = Lifecycle(flow)
        self.eligible_rules = [r for r in flow.reminders if r.follows == "eligible"]
        self.deadline_rules = [r for r in flow.reminders if r.follows == "training_deadline"]

    def at(self, day: date) -> datetime:
        return Window(TICK_BEFORE, None, BERLIN, self.workflow.send_at).at(day)

    def of_life(self, life: Life) -> Iterator[Occurrence]:
        visits = sorted(
            (a.closed, a.date, a.stage)
            for a in life.acts
            if a.kind == ActivityKind.SITE_VISIT
            and a.status == ActivityStatus.HELD
            and a.closed is not None
        )
        for stay in stays(life):
            refreshes = list(self._refreshes(stay, visits))
            yield from self._eligible(stay, refreshes)
            yield from self._deadlines(stay, refreshes[0].start, life.acts, life.coach)

    def _refreshes(self, stay: Stay, visits: list[tuple[datetime, date, str]]) -> Iterator[Refresh]:
        """The moments the service refreshed the centre's derived dates during the stay: its
        change, then each site visit recorded."""
        moments = [stay.change.recorded_at]
        moments += [m for m, _, _ in visits if stay.change.recorded_at < m]
        for moment in moments:
            if stay.ends is not None and moment >= stay.ends:
                break
            known = tuple((day, stage) for m, day, stage in visits if m <= moment)
            start, step = self.keeper.derived(stay.centre, stay.history, known, moment.date())
            yield Refresh(moment, start, step, known)

    def _eligible(self, stay: Stay, refreshes: list[Refresh]) -> Iterator[Occurrence]:
        """The first tick that found the centre's next step allowed (``next_step_on`` in its
        days and the guards holding), once per stay."""
        transition = self.workflow.forward_from(stay.centre.stage)
        if transition is None:
            return
        for rule in self.eligible_rules:
            for n, refresh in enumerate(refreshes):
                if refresh.step is None:
                    continue
                until = refreshes[n + 1].moment if n + 1 < len(refreshes) else stay.ends
                occurrence = self.at(refresh.step + timedelta(days=rule.offset_days))
                tick = max(occurrence, refresh.moment)
                if tick >= TICK_BEFORE or (until is not None and tick >= until):
                    continue
                facts = facts_as_of(stay.centre, stay.history, refresh.visits, tick.date())
                if not self.lifecycle.check(transition.trigger, facts).allowed:
                    continue
                context = {
                    "centre": stay.centre,
                    "stage": self.workflow.stage(stay.centre.stage),
                    "trigger": transition.trigger,
                    "next_stage": self.workflow.stage(transition.dest),
                }
                subject = f"c{stay.centre.id}:{transition.trigger}"
                label = stay.centre.stage_since.isoformat()
                yield Occurrence(tick, rule, subject, occurrence, context, label)
                break  # the key names the stay: once

    def _deadlines(
        self, stay: Stay, start: date, acts: list[Act], coach: Coach | None
    ) -> Iterator[Occurrence]:
        """A training the stage expects by a deadline, not taken up when its tick came."""
        stage = self.workflow.stage(stay.centre.stage)
        if not stage.active:
            return
        for rule in self.deadline_rules:
            for expected in stage.trainings:
                deadline = start + relativedelta(months=expected.within_months)
                occurrence = self.at(deadline + timedelta(days=rule.offset_days))
                tick = max(occurrence, stay.change.recorded_at)
                if tick >= TICK_BEFORE or (stay.ends is not None and tick >= stay.ends):
                    continue
                enrolments = [
                    (a.seat[0], a.status, a.date)
                    for a in acts
                    if a.seat is not None
                    and a.created <= tick
                    and (a.closed is None or a.closed > tick or a.status == ActivityStatus.HELD)
                ]
                taken = [
                    (
                        kind,
                        ActivityStatus.HELD if s == ActivityStatus.HELD else ActivityStatus.PLANNED,
                        day,
                    )
                    for kind, s, day in enrolments
                ]
                unmet = unmet_trainings(self.workflow, stage.id, start, taken, tick.date())
                if (expected.kind, deadline) not in unmet:
                    continue
                context = {
                    "centre": replace(stay.centre, episode_start=start),
                    "training_kind": self.workflow.training_kinds[expected.kind],
                    "deadline": deadline,
                    "coach": coach,
                    # the next offerings with free seats as of the tick: the history does not
                    # keep the catalogue as it was then (see tests/test_bench_history.py)
                    "offers": [],
                }
                subject = f"c{stay.centre.id}:{expected.kind}:{deadline.isoformat()}"
                yield Occurrence(tick, rule, subject, occurrence, context)
