"""Planning: a pure function of (workflow, centre, its history, today, calendar).

The planner produces activities with stable keys, so planning twice gives the same rows.
A *segment* is the time since the centre's last stage change (``stage_since``): every
planned key names it, so a pause or a renewal starts a new set of keys and never revives
a cancelled row. :func:`reconcile` turns a plan into inserts, updates and cancellations;
held and cancelled activities are history and never change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.history import episode_start
from thekiz_flow.core.model import (
    Activity,
    Centre,
    CentreFacts,
    PlannedActivity,
    Stage,
    StageChange,
    Workflow,
)

PLANNER_PREFIXES = (f"{ActivityKind.COACHING}:", f"{ActivityKind.SITE_VISIT}:")
PLANNED_KINDS = (ActivityKind.COACHING, ActivityKind.SITE_VISIT)


@dataclass(frozen=True)
class PlanInput:
    centre: Centre
    history: tuple[StageChange, ...]
    activities: tuple[Activity, ...]
    today: date

    def facts(self) -> CentreFacts:
        return CentreFacts(self.centre, self.history, (), self.today)


def plan(workflow: Workflow, data: PlanInput, calendar: WorkCalendar) -> list[PlannedActivity]:
    stage = workflow.stage(data.centre.stage)
    if not stage.active:
        return []
    return [
        *_coaching(workflow, stage, data, calendar),
        *_site_visit(workflow, stage, data, calendar),
    ]


def add_months(first_of_month: date, months: int) -> date:
    """The first of the month ``months`` after (cheaper than relativedelta on a hot path)."""
    years, month = divmod(first_of_month.month - 1 + months, 12)
    return date(first_of_month.year + years, month + 1, 1)


@lru_cache(maxsize=4096)  # called for every session; months x weekdays x weeks are few
def nth_weekday(month: date, weekday: int, nth: int) -> date:
    first = month.replace(day=1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def session_day(
    month: date, weekday: int, nth: int, not_before: date, calendar: WorkCalendar
) -> date | None:
    """The session day of a month: the nth preferred weekday, moved onto a working day."""
    day = nth_weekday(month, weekday, nth)
    if day < not_before:
        day = not_before + timedelta(days=(weekday - not_before.weekday()) % 7)
        if day.month != not_before.month:
            day = not_before
    shifted = calendar.shift(day)
    return shifted if shifted is not None and shifted >= not_before else None


def _coaching(
    workflow: Workflow, stage: Stage, data: PlanInput, calendar: WorkCalendar
) -> list[PlannedActivity]:
    rule = stage.coaching
    if rule is None or rule.every_months == 0 or rule.for_months == 0:
        return []
    centre, segment = data.centre, data.centre.stage_since
    year_start = episode_start(data.facts(), workflow, renewals=True)
    sessions = [
        a for a in data.activities if a.kind == ActivityKind.COACHING and a.stage == stage.id
    ]
    taken = sum(
        1
        for a in sessions
        if a.status in (ActivityStatus.PLANNED, ActivityStatus.HELD)
        and year_start <= a.date < segment
    )
    held_months = {(a.date.year, a.date.month) for a in sessions if a.status == ActivityStatus.HELD}
    weekday = centre.weekday if centre.weekday is not None else year_start.weekday()
    weekday, nth = (weekday if weekday < 5 else 0), min((year_start.day - 1) // 7 + 1, 4)
    first = segment.replace(day=1)
    if session_day(first, weekday, nth, segment, calendar) is None:
        first += relativedelta(months=1)
    planned, prefix = [], f"{ActivityKind.COACHING}:{stage.id}:{segment.isoformat()}:"
    for k in range(-(-rule.for_months // rule.every_months) - taken):
        month = add_months(first, k * rule.every_months)
        day = session_day(month, weekday, nth, segment, calendar)
        if day is None or (month.year, month.month) in held_months:
            continue
        key = prefix + month.isoformat()[:7]  # YYYY-MM
        planned.append(
            PlannedActivity(key, ActivityKind.COACHING, stage.id, day, rule.hours, centre.coach_id)
        )
    return planned


def _site_visit(
    workflow: Workflow, stage: Stage, data: PlanInput, calendar: WorkCalendar
) -> list[PlannedActivity]:
    within = stage.site_visit_within_months
    if within is None:
        return []
    start, segment = episode_start(data.facts(), workflow), data.centre.stage_since
    visits = [
        a for a in data.activities if a.kind == ActivityKind.SITE_VISIT and a.stage == stage.id
    ]
    if any(a.status == ActivityStatus.HELD and a.date >= start for a in visits):
        return []
    target = start + (start + relativedelta(months=within) - start) / 2
    if target < segment:
        target = segment + relativedelta(months=1)
    floating = target < data.today
    if floating:
        target = data.today + timedelta(days=14)
    key = f"{ActivityKind.SITE_VISIT}:{stage.id}:{segment.isoformat()}"
    day = calendar.next_working_day(target)
    return [PlannedActivity(key, ActivityKind.SITE_VISIT, stage.id, day, floating=floating)]


@dataclass(frozen=True)
class PlanChanges:
    insert: tuple[PlannedActivity, ...] = ()
    update: tuple[tuple[Activity, PlannedActivity, tuple[str, ...]], ...] = ()  # fields
    cancel: tuple[Activity, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.insert or self.update or self.cancel)


def reconcile(
    desired: Sequence[PlannedActivity],
    existing: Sequence[Activity],
    *,
    cancel_from: date,
    insert_from: date,
    stage_change: bool = False,
) -> PlanChanges:
    """What must change so that the stored plan is the desired one, history untouched.

    The planner owns the rows it keyed; at a stage change it also cancels the sessions
    and visits planned by hand (requests) for the old stage.
    """
    owned = {
        a.key: a
        for a in existing
        if a.key.startswith(PLANNER_PREFIXES) or (stage_change and a.kind in PLANNED_KINDS)
    }
    wanted = {p.key for p in desired}
    cancel = tuple(
        a
        for a in owned.values()
        if a.status == ActivityStatus.PLANNED and a.key not in wanted and a.date >= cancel_from
    )
    insert = tuple(p for p in desired if p.key not in owned and p.date >= insert_from)
    update = []
    for p in desired:
        stored = owned.get(p.key)
        if (
            stored is None
            or stored.status != ActivityStatus.PLANNED
            or min(stored.date, p.date) < insert_from
        ):
            continue
        fields = tuple(
            name
            for name, differs in (
                ("date", not stored.moved and not p.floating and stored.date != p.date),
                ("coach_id", stored.coach_id != p.coach_id),
                ("hours", stored.hours != p.hours),
            )
            if differs
        )
        if fields:
            update.append((stored, p, fields))
    return PlanChanges(insert, tuple(update), cancel)


def plan_stamp(workflow: Workflow) -> str:
    """A fingerprint of the planning and guard rules: a centre kept with others is redone."""
    rules = repr(
        (
            workflow.holidays,
            workflow.closures,
            [(s.id, s.coaching, s.site_visit_within_months) for s in workflow.stages.values()],
            [(t.trigger, t.sources, t.guards) for t in workflow.transitions.values()],
        )
    )
    return hashlib.sha256(rules.encode("utf-8")).hexdigest()[:32]
