"""Pure readings of a centre's audit trail: when its stage began, how long it was paused."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta
from typing import NamedTuple, Protocol

from dateutil.relativedelta import relativedelta

from thekiz_flow.core.model import Centre, CentreFacts, StageChange, Workflow


class Change(Protocol):
    """What these readings need of an audit row (a :class:`StageChange` has it)."""

    @property
    def trigger(self) -> str: ...
    @property
    def from_stage(self) -> str: ...
    @property
    def to_stage(self) -> str: ...
    @property
    def effective(self) -> date: ...


class Step(NamedTuple):
    """A stage change as these readings need it, without what else the audit row holds."""

    trigger: str
    from_stage: str
    to_stage: str
    effective: date


def _returns(workflow: Workflow, change: Change) -> bool:
    transition = workflow.transitions.get(change.trigger)
    return transition is not None and transition.returns


def episode_start(facts: CentreFacts, workflow: Workflow, *, renewals: bool = False) -> date:
    """The day the centre's current stay in its stage began.

    A return from a pause continues the stay; a self-transition (renew) starts a new
    programme year, which counts as a start only with ``renewals``.
    """
    centre = facts.centre
    return stay_start(workflow, centre.stage, centre.stage_since, facts.history, renewals=renewals)


def stay_start(
    workflow: Workflow,
    stage: str,
    since: date,
    history: Iterable[Change],
    *,
    renewals: bool = False,
) -> date:
    """The day the stay in ``stage`` began that ``history`` ends in (``since`` if no change
    entered it): as :func:`episode_start`, for a stage and changes given apart."""
    start = since
    for change in history:
        if change.to_stage != stage or _returns(workflow, change):
            continue
        if change.from_stage != stage or renewals:
            start = change.effective
    return start


def stay_on(history: Iterable[Change], initial: str, day: date) -> tuple[str, date | None]:
    """The stage in force on ``day`` and the day it took effect (None: ``initial``, which no
    change entered); a change counts from its effective day on."""
    stage, since = initial, None
    for change in history:
        if change.effective > day:
            break
        stage, since = change.to_stage, change.effective
    return stage, since


def first_entry(history: Iterable[Change], stages: Collection[str]) -> Change | None:
    """The first change into one of ``stages``, if there was one."""
    return next((change for change in history if change.to_stage in stages), None)


def paused_days(history: Iterable[StageChange], workflow: Workflow, stage: str, since: date) -> int:
    """Days the centre spent paused out of ``stage`` since ``since``."""
    total = 0
    paused_at: date | None = None
    for change in history:
        if change.effective < since:
            continue
        transition = workflow.transitions.get(change.trigger)
        if transition is not None and transition.remember and change.from_stage == stage:
            paused_at = change.effective
        elif paused_at is not None and change.to_stage == stage and _returns(workflow, change):
            total += (change.effective - paused_at).days
            paused_at = None
    return total


def months_between(start: date, end: date) -> int:
    """Whole calendar months from start to end (negative if end is earlier)."""
    delta = relativedelta(end, start)
    return delta.years * 12 + delta.months


def reached_after(start: date, months: int, paused: int = 0) -> date:
    """The day on which ``months`` in a stage are complete, pauses not counted."""
    return start + timedelta(days=paused) + relativedelta(months=months)


def facts_as_of(
    centre: Centre,
    history: Sequence[StageChange],
    visits: Sequence[tuple[date, str]],
    on: date,
) -> CentreFacts:
    """What the guards may know on ``on``: nothing recorded for a later date."""
    return CentreFacts(
        centre,
        tuple(c for c in history if c.effective <= on),
        tuple(v for v in visits if v[0] <= on),
        on,
    )
