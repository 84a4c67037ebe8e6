"""Where the reminders of the rules that follow a stage change, a next step or a training
deadline come from: the rows `store.due_query` reads, by the day their occurrence follows
and id, a page at a time, and the dues `core.occurrences` makes of them. A tick reads a
source whole; the preview a page at a time, counted in the database (`ReminderService`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from thekiz_flow.core.budget import BudgetYear
from thekiz_flow.core.enums import Follows
from thekiz_flow.core.model import Centre, Coach, ReminderRule, StageChange, Training, TrainingRule
from thekiz_flow.core.occurrences import (
    Coaches,
    deadline_dues,
    each_day,
    eligible_dues,
    stage_start_dues,
)
from thekiz_flow.core.recommend import deadline_of, stay_starts_for_deadlines
from thekiz_flow.core.reminders import Due, Window
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store import due_query
from thekiz_flow.store.due_query import After, Paged
from thekiz_flow.store.repository import Repository

T = TypeVar("T")

MAX_OFFERS = 5  # the next offerings a training-deadline mail lists


@dataclass(frozen=True)
class Offer:
    """An offering a centre may still enrol in, with its free seats."""

    training: Training
    free: int


@dataclass
class Gathering:
    """What one gathering reads once and every rule shares."""

    repo: Repository
    window: Window
    coaches: dict[int, Coach] = field(default_factory=dict)  # those read so far, by id
    budget_years: list[BudgetYear] | None = None  # read by the first budget rule
    offers: dict[str, list[Offer]] = field(default_factory=dict)  # by kind, once asked

    def coaches_of(self, ids: Iterable[int | None]) -> Coaches:
        """The coaches read so far, with these (read now if not yet): not every coach."""
        wanted = {i for i in ids if i is not None} - self.coaches.keys()
        if wanted:
            self.coaches.update(self.repo.coaches_by_id(wanted))
        return self.coaches


@dataclass(frozen=True)
class Source(Generic[T]):
    """Where some dues of a rule that follows a stage change, a next step or a training
    deadline come from (`store.due_query`): rows of type T by the day their occurrence
    follows (the rule's ``offset_days`` later) and id; read a page at a time."""

    paged: Callable[[date, date], Paged | None]  # the rows of those days (None: none can be)
    read: Callable[[Paged, After | None, int | None], list[T]]
    cursor: Callable[[T], After]  # a row's day and id
    dues: Callable[[list[T]], list[Due]]
    told: Callable[[date, date], int]  # how many of the dues of those days the outbox holds


class Sources:
    """The sources of the rules that follow a stage change, a next step or a training
    deadline."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def of(self, g: Gathering, rule: ReminderRule) -> list[Source[Any]]:
        """A rule's sources: one, or per training an active stage expects."""
        if rule.follows == Follows.STAGE_START:
            return [self._stage_starts(g, rule)]
        if rule.follows == Follows.ELIGIBLE:
            return [self._eligible(g, rule)]
        return [
            self._deadlines(g, rule, stage.id, expected)
            for stage in self.rt.workflow.stages.values()
            if stage.active
            for expected in stage.trainings
        ]

    def _stage_starts(self, g: Gathering, rule: ReminderRule) -> Source[StageChange]:
        """Stage changes (a renewal starts a programme year too) whose day plus offset is
        due, of centres still in the stay they began."""

        def dues(changes: list[StageChange]) -> list[Due]:
            centres = g.repo.centres_by_id([c.centre_id for c in changes])
            coaches = g.coaches_of(c.coach_id for c in centres.values())
            return stage_start_dues(g.window, rule, self.rt.workflow, changes, centres, coaches)

        def told(first: date, last: date) -> int:
            labels = {day: (day + shift).isoformat() for day in each_day(first, last)}
            keys = due_query.stage_start_keys(rule.id, labels)
            return g.repo.told(due_query.stage_starts(first, last, rule.stage), keys, roles)

        shift, roles = timedelta(days=rule.offset_days), _roles(rule)
        return Source(
            lambda first, last: due_query.stage_starts(first, last, rule.stage),
            g.repo.changes_paged,
            _change_cursor,
            dues,
            told,
        )

    def _eligible(self, g: Gathering, rule: ReminderRule) -> Source[Centre]:
        """Centres whose next step became allowed (`next_step_on`) in this tick's days. Their
        guards are checked as of the window's day: a next step allowed only later is not
        read (`next_step_on` is the first day the guards hold)."""

        def paged(first: date, last: date) -> Paged | None:
            last = min(last, g.window.today)
            return due_query.stepping(first, last) if first <= last else None

        def dues(found: list[Centre]) -> list[Due]:
            ids = [centre.id for centre in found]
            visits, histories = g.repo.site_visits(ids), g.repo.histories(ids)
            return eligible_dues(g.window, rule, self.rt.rules, found, histories, visits)

        def told(first: date, last: date) -> int:
            found = paged(first, last)
            if found is None:
                return 0
            workflow = self.rt.workflow
            steps = {s: t.trigger for s in workflow.stages if (t := workflow.forward_from(s))}
            keys = due_query.stepping_keys(rule.id, steps)
            return g.repo.told(found, keys, _roles(rule))

        return Source(paged, g.repo.centres_paged, _stepping_cursor, dues, told)

    def _deadlines(
        self, g: Gathering, rule: ReminderRule, stage: str, expected: TrainingRule
    ) -> Source[Centre]:
        """Centres in ``stage`` whose deadline for the ``expected`` training falls on the
        days, not taken up: found by the day their stay began (`episode_start`) and their
        enrolments, not by reading every history; `deadline_dues` checks each once more. A
        mail lists the next offerings with a free seat (read once per kind)."""

        def paged(first: date, last: date) -> Paged | None:
            starts = stay_starts_for_deadlines(first, last, expected.within_months)
            if starts is None:
                return None
            return due_query.lacking_training(stage, expected.kind, *starts)

        def dues(found: list[Centre]) -> list[Due]:
            enrolments = g.repo.trainings.of_centres([c.id for c in found]) if found else {}
            coaches = g.coaches_of(c.coach_id for c in found)
            made = deadline_dues(
                g.window, rule, self.rt.workflow, expected, found, enrolments, coaches
            )
            if made and expected.kind not in g.offers:
                g.offers[expected.kind] = offers(g.repo, expected.kind, g.window.today)
            listed = g.offers.get(expected.kind, [])
            return [replace(d, context={**d.context, "offers": listed}) for d in made]

        def told(first: date, last: date) -> int:
            starts = stay_starts_for_deadlines(first, last, months)
            if starts is None:
                return 0
            deadlines = {start: deadline_of(start, months) for start in each_day(*starts)}
            keys = due_query.deadline_keys(
                rule.id,
                expected.kind,
                {start: day.isoformat() for start, day in deadlines.items()},
                {start: (day + shift).isoformat() for start, day in deadlines.items()},
            )
            found = due_query.lacking_training(stage, expected.kind, *starts)
            return g.repo.told(found, keys, _roles(rule))

        months, shift = expected.within_months, timedelta(days=rule.offset_days)
        return Source(paged, g.repo.centres_paged, _episode_cursor, dues, told)


def offers(repo: Repository, kind: str, today: date) -> list[Offer]:
    """The next offerings of a training kind from tomorrow on with a free seat, by date."""
    offered = repo.trainings.offered(kind, today + timedelta(days=1), MAX_OFFERS)
    return [Offer(training, free) for training, free in offered]


def _change_cursor(change: StageChange) -> After:
    assert change.id is not None
    return change.effective, change.id


def _stepping_cursor(centre: Centre) -> After:
    assert centre.next_step_on is not None
    return centre.next_step_on, centre.id


def _episode_cursor(centre: Centre) -> After:
    assert centre.episode_start is not None
    return centre.episode_start, centre.id


def _roles(rule: ReminderRule) -> list[str]:
    return [str(role) for role in rule.recipients]
