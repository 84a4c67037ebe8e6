"""Which occurrences of a reminder rule are due: one function per kind of event a rule
follows (`ReminderRule.follows`). Pure: the events are arguments, `now` is the window's.

The service reads the events a rule follows on the days `Window.anchor_days` names (the
activities, stage changes, centres and budget years below) and hands them over with the
rule and the window; each function returns the :class:`Due` values (one per occurrence and
recipient role) that the tick must send or record as missed, with the context their
templates show. The helpers before them say what to read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from thekiz_flow.core.budget import BudgetYear, crossing
from thekiz_flow.core.enums import ActivityStatus, Follows, Recipient, Stop
from thekiz_flow.core.history import facts_as_of
from thekiz_flow.core.model import (
    Activity,
    Centre,
    Coach,
    ReminderRule,
    StageChange,
    TrainingRule,
    Workflow,
)
from thekiz_flow.core.recommend import unmet_trainings
from thekiz_flow.core.reminders import (
    Due,
    Window,
    activity_key_head,
    activity_subject,
    due_for,
)
from thekiz_flow.core.rules import Lifecycle

Coaches = Mapping[int, Coach]
Centres = Mapping[int, Centre]


def _coach(coaches: Coaches, coach_id: int | None) -> Coach | None:
    return coaches.get(coach_id or 0)


# ------------------------------------------------------------------ activity
def activity_statuses(rule: ReminderRule) -> tuple[ActivityStatus, ...]:
    """The statuses of the activities an ``activity`` rule follows: planned ones only if it
    stops once the activity is recorded (``stop = "recorded"``), else planned and held."""
    return (
        (ActivityStatus.PLANNED,)
        if rule.stop == Stop.RECORDED
        else (ActivityStatus.PLANNED, ActivityStatus.HELD)
    )


def activity_dues(
    window: Window,
    rule: ReminderRule,
    number: int,
    activities: Iterable[Activity],
    centres: Centres,
    coaches: Coaches,
) -> list[Due]:
    """The dues of repetition ``number`` (0: the first) of an ``activity`` rule.

    Takes the activities of ``rule.kind`` in :func:`activity_statuses` dated in that
    repetition's anchor days (`Window.anchor_days`), their centres by id and the coaches by
    id. Returns, per activity whose occurrence (its date plus the repetition's offset, at
    ``send_at``) the window judges, one :class:`Due` per recipient role; the recipient coach
    is the activity's, else the centre's.
    """
    offset = rule.offsets()[number]
    dues: list[Due] = []
    for activity in activities:
        centre = centres[activity.centre_id]
        context = {
            "centre": centre,
            "coach": _coach(coaches, activity.coach_id or centre.coach_id),
            "activity": activity,
            "number": number + 1,
        }
        day = activity.date + timedelta(days=offset)
        subject = activity_subject(activity.id)
        dues += due_for(window, rule, subject, centre.id, window.at(day), context)
    return dues


@dataclass(frozen=True)
class ActivityDays:
    """The activities repetition ``number`` of an ``activity`` rule follows in a window: those
    dated ``first`` to ``last``, each with one due per role of ``roles``. Their keys as the
    database builds them from an activity's id and date: ``head`` + id + ``":"`` + the label
    ``labels`` gives its date + ``":"`` + role (`key_of`)."""

    number: int
    first: date
    last: date
    roles: tuple[Recipient, ...]
    head: str
    labels: Mapping[date, str]


def each_day(first: date, last: date) -> Iterator[date]:
    """Every day from ``first`` to ``last``."""
    return (first + timedelta(days=n) for n in range((last - first).days + 1))


def judged_days(window: Window, rule: ReminderRule, number: int = 0) -> tuple[date, date] | None:
    """The first and the last day of the events that repetition ``number`` of ``rule``
    follows whose occurrence, at the rule's time on the day plus its offset, the window
    judges: one stretch, as the occurrence follows the day. None if no such day."""
    _, start, last = window.anchor_days(rule)[number]
    shift = timedelta(days=rule.offsets()[number])
    days = [
        d for d in each_day(start, last) if window.judge(rule, window.at(d + shift)) is not None
    ]
    return (days[0], days[-1]) if days else None


def activity_days(window: Window, rule: ReminderRule) -> list[ActivityDays]:
    """Per repetition of an ``activity`` rule, the dates of the activities whose occurrence
    (as `activity_dues` makes it) the window judges (`judged_days`); a repetition none of
    whose days is judged is left out."""
    found: list[ActivityDays] = []
    for number, offset in enumerate(rule.offsets()):
        span = judged_days(window, rule, number)
        if span is not None:
            first, last = span
            shift = timedelta(days=offset)
            labels = {day: (day + shift).isoformat() for day in each_day(first, last)}
            head = activity_key_head(rule)
            found.append(ActivityDays(number, first, last, rule.recipients, head, labels))
    return found


# --------------------------------------------------------------- stage_start
def stage_start_dues(
    window: Window,
    rule: ReminderRule,
    workflow: Workflow,
    changes: Iterable[StageChange],
    centres: Centres,
    coaches: Coaches,
) -> list[Due]:
    """The dues of a ``stage_start`` rule: stage changes (a renewal starts a programme year
    too) whose day plus the rule's offset the window judges.

    Takes the stage changes effective on the rule's anchor days (`Window.anchor_days`), their
    centres (as stored now) by id and the coaches by id. A change counts if it leads to the
    rule's ``stage`` (any, if it names none) and the centre is still in the stay it began.
    Returns one :class:`Due` per such change and recipient role.
    """
    dues: list[Due] = []
    for change in changes:
        if rule.stage is not None and change.to_stage != rule.stage:
            continue
        centre = centres[change.centre_id]
        if centre.stage != change.to_stage or centre.stage_since != change.effective:
            continue  # the centre has moved on since: nothing to remind of
        context = {
            "centre": centre,
            "stage": workflow.stage(change.to_stage),
            "since": change.effective,
            "coach": _coach(coaches, centre.coach_id),
        }
        day = change.effective + timedelta(days=rule.offset_days)
        subject = f"c{centre.id}:{change.id}"
        dues += due_for(window, rule, subject, centre.id, window.at(day), context)
    return dues


# ------------------------------------------------------------------ eligible
def eligible_dues(
    window: Window,
    rule: ReminderRule,
    lifecycle: Lifecycle,
    centres: Iterable[Centre],
    histories: Mapping[int, Sequence[StageChange]],
    visits: Mapping[int, Sequence[tuple[date, str]]],
) -> list[Due]:
    """The dues of an ``eligible`` rule: centres whose next step became allowed.

    Takes the centres whose ``next_step_on`` falls on the rule's anchor days
    (`Window.anchor_days`), and their audit trails (in the order recorded) and held site
    visits (date, stage) by centre id. A centre counts if its next step's guards hold as of
    the window's day (`Window.today`). Returns one :class:`Due` per such centre and recipient
    role; the key names the day its stay began, so there is one mail per stay in a stage.
    """
    workflow = lifecycle.workflow
    dues: list[Due] = []
    for centre in centres:
        transition = workflow.forward_from(centre.stage)
        if transition is None or centre.next_step_on is None:
            continue
        facts = facts_as_of(
            centre, histories.get(centre.id, []), visits.get(centre.id, []), window.today
        )
        if not lifecycle.check(transition.trigger, facts).allowed:
            continue
        context = {
            "centre": centre,
            "stage": workflow.stage(centre.stage),
            "trigger": transition.trigger,
            "next_stage": workflow.stage(transition.dest),
        }
        day = centre.next_step_on + timedelta(days=rule.offset_days)
        dues += due_for(
            window,
            rule,
            f"c{centre.id}:{transition.trigger}",
            centre.id,
            window.at(day),
            context,
            label=centre.stage_since.isoformat(),
        )
    return dues


# -------------------------------------------------------------------- budget
def budget_since(window: Window, rules: Iterable[ReminderRule]) -> datetime | None:
    """The earliest moment from which a session's record may raise an alert of the
    ``budget`` rules among ``rules`` in this window (None: there is no budget rule)."""
    starts = [window.start(r) for r in rules if r.follows == Follows.BUDGET]
    return min(starts) if starts else None


def lowest_percent(rules: Iterable[ReminderRule]) -> int | None:
    """The lowest percentage of the ``budget`` rules among ``rules`` (None: none has one)."""
    found = [r.percent for r in rules if r.follows == Follows.BUDGET and r.percent is not None]
    return min(found, default=None)


def by_year(recorded: Iterable[tuple[int, date]]) -> dict[int, set[int]]:
    """Per year: the centres of the sessions ``recorded`` (centre id, session date)."""
    centres: dict[int, set[int]] = defaultdict(set)
    for centre_id, day in recorded:
        centres[day.year].add(centre_id)
    return dict(centres)


@dataclass(frozen=True)
class Crossing:
    """A budget year whose spending reached a rule's percentage, and when it did."""

    year: BudgetYear
    reached: datetime


def budget_crossings(
    window: Window, rule: ReminderRule, years: Iterable[BudgetYear]
) -> list[Crossing]:
    """The budget years whose spending reached ``rule.percent`` of their budget at a moment
    the window judges (to send, or as missed).

    Takes the budget years of the centres with a session recorded since
    :func:`budget_since` (a year whose last record is older than the window's start for this
    rule is left alone). Returns them with that moment, in the order given.
    """
    if rule.percent is None:
        return []
    start = window.start(rule)
    found: list[Crossing] = []
    for year in years:
        if year.last_recorded < start or year.budget <= 0:
            continue
        reached = crossing(year.spending, year.budget * rule.percent / 100)
        if reached is not None and window.judge(rule, reached) is not None:
            found.append(Crossing(year, reached))
    return found


def budget_dues(
    window: Window, rule: ReminderRule, crossings: Iterable[Crossing], centres: Centres
) -> list[Due]:
    """The dues of a ``budget`` rule: one :class:`Due` per crossing (see
    :func:`budget_crossings`) and recipient role, at the moment the threshold was reached.

    Takes the crossings and their centres by id; the key names the centre and the year, so
    each threshold of a year is announced once.
    """
    dues: list[Due] = []
    for found in crossings:
        year = found.year
        context = {
            "centre": centres[year.centre_id],
            "year": year.year,
            "percent": rule.percent,
            "budget": year.budget,
            "spent": year.spent,
        }
        dues += due_for(
            window,
            rule,
            f"c{year.centre_id}:{year.year}",
            year.centre_id,
            found.reached,
            context,
            label=str(year.year),
        )
    return dues


# --------------------------------------------------------- training_deadline
def deadline_dues(
    window: Window,
    rule: ReminderRule,
    workflow: Workflow,
    expected: TrainingRule,
    centres: Iterable[Centre],
    enrolments: Mapping[int, Sequence[tuple[str, str, date]]],
    coaches: Coaches,
) -> list[Due]:
    """The dues of a ``training_deadline`` rule for one expected training.

    Takes the centres one :class:`DeadlineSearch` found (each with its ``episode_start``), their
    enrolments (training kind, status, training date) by centre id and the coaches by id.
    Each centre is checked once more (`unmet_trainings` as of `Window.today`); returns one
    :class:`Due` per centre whose deadline for ``expected.kind`` falls on the rule's anchor
    days, and recipient role.
    """
    ((_, first, last),) = window.anchor_days(rule)
    dues: list[Due] = []
    for centre in centres:
        assert centre.episode_start is not None
        unmet = unmet_trainings(
            workflow,
            centre.stage,
            centre.episode_start,
            enrolments.get(centre.id, []),
            window.today,
        )
        for kind, deadline in unmet:
            if kind != expected.kind or not first <= deadline <= last:
                continue
            context = {
                "centre": centre,
                "training_kind": workflow.training_kinds[kind],
                "deadline": deadline,
                "coach": _coach(coaches, centre.coach_id),
            }
            day = deadline + timedelta(days=rule.offset_days)
            dues += due_for(
                window,
                rule,
                f"c{centre.id}:{kind}:{deadline.isoformat()}",
                centre.id,
                window.at(day),
                context,
            )
    return dues
