"""Recommended trainings a centre has not taken up yet. Pure functions: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from thekiz_flow.core import german
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.model import Workflow


def unmet_trainings(
    workflow: Workflow,
    stage_id: str,
    stage_start: date,
    enrolments: Sequence[tuple[str, str, date]],
    on: date,
) -> list[tuple[str, date]]:
    """The kinds the stage expects that the centre has not taken up, each with its deadline.

    ``enrolments`` are the centre's (training kind, status, training date). A kind is met
    by an enrolment that is planned or held, in a training on or after ``stage_start``.
    Before ``stage_start`` (``on`` is the day asked about) the stage expects nothing yet.
    """
    if on < stage_start:
        return []
    met = {
        kind
        for kind, status, day in enrolments
        if status in (ActivityStatus.PLANNED, ActivityStatus.HELD) and day >= stage_start
    }
    return [
        (rule.kind, deadline_of(stage_start, rule.within_months))
        for rule in workflow.stage(stage_id).trainings
        if rule.kind not in met
    ]


def deadline_of(stage_start: date, months: int) -> date:
    """The last day to take a training up that a stay begun on ``stage_start`` expects
    within ``months`` (the month's last day where the month is shorter)."""
    return stage_start + relativedelta(months=months)


def stay_starts_for_deadlines(first: date, last: date, months: int) -> tuple[date, date] | None:
    """The first and the last day a stay may have begun for its deadline ``months`` later
    (as :func:`unmet_trainings` reckons it) to fall from ``first`` to ``last``; None if no day.

    A later start never gives an earlier deadline, so these days are one stretch; the ends of
    longer months share the deadline of the shorter month's last day.
    """
    step, day = relativedelta(months=months), timedelta(days=1)
    earliest = first - step
    while earliest + step < first:
        earliest += day
    latest = last - step
    while latest + day + step <= last:
        latest += day
    return (earliest, latest) if earliest <= latest else None


def describe_unmet(workflow: Workflow, kind: str, deadline: date, on: date) -> str:
    """E.g. "Empfehlung: Fachtag bis 15.01.2026", or "… (Frist überschritten seit …)"."""
    name = workflow.training_kinds[kind]
    if on > deadline:
        return f"Empfehlung: {name} (Frist überschritten seit {german.short_date(deadline)})"
    return f"Empfehlung: {name} bis {german.short_date(deadline)}"
