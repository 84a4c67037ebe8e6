"""Reminders in the store: a tick turns every due occurrence into outbox rows, once."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any, Generic, TypeVar

from thekiz_flow.core.budget import BudgetYear, budget_year
from thekiz_flow.core.enums import Follows, Judgement, OutboxStatus
from thekiz_flow.core.model import (
    Activity,
    Centre,
    Coach,
    ReminderRule,
    StageChange,
    Training,
    TrainingRule,
)
from thekiz_flow.core.occurrences import (
    ActivityDays,
    Coaches,
    activity_days,
    activity_dues,
    activity_statuses,
    budget_crossings,
    budget_dues,
    budget_since,
    by_year,
    deadline_dues,
    eligible_dues,
    judged_days,
    stage_start_dues,
)
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.core.recommend import deadline_of, stay_starts_for_deadlines
from thekiz_flow.core.reminders import Due, Window
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store import due_query
from thekiz_flow.store.activities import chunks
from thekiz_flow.store.due_query import After, Paged
from thekiz_flow.store.repository import Repository

T = TypeVar("T")

MAX_OFFERS = 5  # the next offerings a training-deadline mail lists


@dataclass(frozen=True)
class Offer:
    """An offering a centre may still enrol in, with its free seats."""

    training: Training
    free: int


@dataclass(frozen=True)
class Stream:
    """A rule's dues not yet in the outbox, by when they go out; and how many there are."""

    dues: Iterator[Due]
    total: int


@dataclass(frozen=True)
class Source(Generic[T]):
    """Where some dues of a rule that follows a stage change, a next step or a training
    deadline come from (`store.due_query`): rows of type T by the day their occurrence
    follows, ``offset`` days later, and id; read a page at a time."""

    offset: int
    paged: Callable[[date, date], Paged | None]  # the rows of those days (None: none can be)
    read: Callable[[Paged, After | None, int | None], list[T]]
    cursor: Callable[[T], After]  # a row's day and id
    dues: Callable[[list[T]], list[Due]]
    told: Callable[[date, date], int]  # how many of the dues of those days the outbox holds


@dataclass
class ReminderReport:
    due: int = 0
    missed: int = 0
    new: int = 0


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


class ReminderService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _window(self, repo: Repository, now: datetime) -> Window:
        last = repo.outbox.last_tick()
        return Window(now, last, self.rt.zone, self.rt.workflow.send_at)

    def _gather(self, repo: Repository, window: Window) -> list[Due]:
        """Every occurrence of every rule that this tick must send or record as missed."""
        dues: list[Due] = []
        gathering = self._gathering(repo, window)
        for rule in self.rt.workflow.reminders:
            dues += self._gatherer(rule)(gathering, rule)
        return dues

    @staticmethod
    def _gathering(repo: Repository, window: Window) -> Gathering:
        return Gathering(repo, window)

    def _gatherer(self, rule: ReminderRule) -> Callable[[Gathering, ReminderRule], list[Due]]:
        return {
            Follows.ACTIVITY: self._activities,
            Follows.STAGE_START: self._sourced,
            Follows.ELIGIBLE: self._sourced,
            Follows.BUDGET: self._budget,
            Follows.TRAINING_DEADLINE: self._sourced,
        }[rule.follows]

    def remind(self, repo: Repository, now: datetime) -> ReminderReport:
        """Materialise what is due as outbox rows (each key once) and move the tick mark."""
        store = repo.outbox
        store.lock_reminders()
        dues = self._gather(repo, self._window(repo, now))
        known = store.existing({d.key for d in dues})
        fresh = [d for d in dues if d.key not in known]
        mails = (self._mail(due, now) for due in fresh)  # rendered as they are inserted
        report = ReminderReport(
            due=len(dues),
            missed=sum(d.verdict == Judgement.MISSED for d in fresh),
            new=store.add(mails, now),
        )
        store.set_last_tick(now)
        return report

    def preview_page(
        self, days: int, offset: int, limit: int | None
    ) -> tuple[list[tuple[Due, str, str]], int]:
        """What the next ``days`` would send, to whom and when, ``limit`` rows from
        ``offset`` on (None: all), and how many there are; nothing is written.

        Each due's ``occurrence`` is the time the mail would go out: on a working day
        (`Runtime.send_time`), as the outbox would have it due. Each rule's dues not yet in
        the outbox come in the order they go out (`_streams`), merged as one sorted list of
        all of them would be (by when each goes out, else as gathered); only the page's
        mails are rendered. The dues of the rules are read a page at a time and counted in
        the database, so a page of a large programme reads about what it shows; only the
        budget rules' dues are gathered whole."""
        now = self.rt.clock.now()
        window = Window(
            now + timedelta(days=days), now, self.rt.zone, self.rt.workflow.send_at, preview=True
        )
        end = None if limit is None else offset + limit
        with self.rt.unit() as repo:
            while True:  # a tick that commits meanwhile is counted again (its keys are read)
                written = self._written(repo)
                streams = self._streams(repo, window, end, written)
                if self._written(repo) == written:
                    break
            merged = heapq.merge(*(s.dues for s in streams), key=self._sending)
            page = list(islice(merged, offset, end))
            total = sum(s.total for s in streams)
        result = []
        for due in page:
            mail = self._mail(due, now)
            sent = replace(due, occurrence=mail.due_at)
            result.append((sent, mail.recipient or f"({mail.problem})", mail.subject))
        return result, total

    def _written(self, repo: Repository) -> date | None:
        """The last day an occurrence the outbox holds a key of can fall on (None: no tick
        ran, there is none). A tick writes an occurrence once it is due, at or before the
        tick's time, and moves the tick mark to that time, forward only, in the same
        transaction; a day more for a changed time zone."""
        last = repo.outbox.last_tick()
        return None if last is None else last.astimezone(self.rt.zone).date() + timedelta(days=1)

    def _sending(self, due: Due) -> datetime:
        return self.rt.send_time(due.occurrence, due.rule.any_day)

    def _streams(
        self, repo: Repository, window: Window, wanted: int | None, written: date | None
    ) -> list[Stream]:
        """Per rule (an ``activity`` rule: per repetition; a ``training_deadline`` rule: per
        training a stage expects), in the rules' order: its dues not yet in the outbox, by when
        they go out (as gathered if at the same time), and how many. Read ``wanted`` rows at
        a time (`_activity_stream`, `_source_stream`), but a budget rule's gathered whole;
        ``written``: see `_written`."""
        g = self._gathering(repo, window)
        streams: list[Stream] = []
        for rule in self.rt.workflow.reminders:
            if rule.follows == Follows.ACTIVITY:
                for days in activity_days(window, rule):
                    streams.append(self._activity_stream(g, rule, days, wanted, written))
            elif rule.follows != Follows.BUDGET:
                for source in self._sources(g, rule):
                    found = self._source_stream(g, rule, source, wanted, written)
                    streams += [] if found is None else [found]
            else:
                dues = self._fresh(repo, self._gatherer(rule)(g, rule))
                streams.append(Stream(iter(sorted(dues, key=self._sending)), len(dues)))
        return streams

    def _activity_stream(
        self,
        g: Gathering,
        rule: ReminderRule,
        days: ActivityDays,
        batch: int | None,
        written: date | None,
    ) -> Stream:
        """The dues of one repetition of an ``activity`` rule not yet in the outbox: by the
        activities' date and id (its occurrence grows with the date), ``batch`` activities
        read at a time (None: all at once), the next ones only when these are used up; how
        many there are is counted in the database, the outbox's keys looked up only for the
        occurrences up to ``written`` (the others cannot be there)."""
        kind, statuses = rule.kind, activity_statuses(rule)
        assert kind is not None
        count, known = g.repo.activities_counted(kind, statuses, days, written)

        def dues() -> Iterator[Due]:
            after = None
            while True:
                found = g.repo.activities_dated(kind, statuses, days.first, days.last, after, batch)
                yield from self._fresh(g.repo, self._activity_dues(g, rule, days.number, found))
                if batch is None or len(found) < batch:
                    return
                after = (found[-1].date, found[-1].id)

        return Stream(dues(), count * len(days.roles) - known)

    def _source_stream(
        self,
        g: Gathering,
        rule: ReminderRule,
        source: Source[Any],
        batch: int | None,
        written: date | None,
    ) -> Stream | None:
        """The dues of one source of a rule not yet in the outbox, as `_activity_stream`
        makes those of activities: its rows of the days whose occurrence the window judges,
        ``batch`` at a time; counted in the database unless the first batch holds them all;
        the outbox's keys of the dues of the days up to ``written`` looked up there too.
        None if no day is judged."""
        days = judged_days(g.window, rule)
        paged = None if days is None else source.paged(*days)
        if days is None or paged is None:
            return None
        first, last = days
        rows = source.read(paged, None, batch)
        whole = batch is None or len(rows) < batch
        total = (len(rows) if whole else g.repo.counted(paged)) * len(rule.recipients)
        upto = None if written is None else min(last, written - timedelta(days=source.offset))
        if upto is not None and upto >= first:
            total -= source.told(first, upto)

        def dues() -> Iterator[Due]:
            found = rows
            while True:
                yield from self._fresh(g.repo, source.dues(found))
                if whole or len(found) < (batch or 0):
                    return
                found = source.read(paged, source.cursor(found[-1]), batch)

        return Stream(dues(), total)

    @staticmethod
    def _fresh(repo: Repository, dues: list[Due]) -> list[Due]:
        """The dues whose key the outbox does not hold yet, in their order."""
        known = repo.outbox.existing({d.key for d in dues})
        return [d for d in dues if d.key not in known]

    def around(self, repo: Repository, days: int) -> list[Due]:
        """Every occurrence from ``days`` before to ``days`` after now, sent or not: real
        cases for the preview of a mail template; nothing is written."""
        now = self.rt.clock.now()
        window = Window(
            now + timedelta(days=days),
            now - timedelta(days=days),
            self.rt.zone,
            self.rt.workflow.send_at,
            preview=True,
        )
        return self._gather(repo, window)

    # ------------------------------------------------------------ gatherers
    # Each reads what its rule follows; `core.occurrences` decides what is due.
    def _activities(self, g: Gathering, rule: ReminderRule) -> list[Due]:
        statuses = activity_statuses(rule)
        assert rule.kind is not None
        dues: list[Due] = []
        for number, first, last in g.window.anchor_days(rule):
            found = g.repo.activities_dated(rule.kind, statuses, first, last)
            dues += self._activity_dues(g, rule, number, found)
        return dues

    @staticmethod
    def _activity_dues(
        g: Gathering, rule: ReminderRule, number: int, found: list[Activity]
    ) -> list[Due]:
        centres = g.repo.centres_by_id([a.centre_id for a in found])
        coaches = g.coaches_of(
            a.coach_id or (c.coach_id if (c := centres.get(a.centre_id)) else None) for a in found
        )
        return activity_dues(g.window, rule, number, found, centres, coaches)

    def _sourced(self, g: Gathering, rule: ReminderRule) -> list[Due]:
        """Every due of a rule read from its sources (`_sources`) on the window's days."""
        ((_, first, last),) = g.window.anchor_days(rule)
        dues: list[Due] = []
        for source in self._sources(g, rule):
            paged = source.paged(first, last)
            if paged is not None:
                dues += source.dues(source.read(paged, None, None))
        return dues

    def _sources(self, g: Gathering, rule: ReminderRule) -> list[Source[Any]]:
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
            labels = {day: (day + shift).isoformat() for day in _days(first, last)}
            keys = due_query.stage_start_keys(rule.id, labels)
            return g.repo.told(due_query.stage_starts(first, last, rule.stage), keys, roles)

        shift, roles = timedelta(days=rule.offset_days), [str(r) for r in rule.recipients]
        return Source(
            rule.offset_days,
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
            return g.repo.told(found, keys, [str(r) for r in rule.recipients])

        return Source(rule.offset_days, paged, g.repo.centres_paged, _stepping_cursor, dues, told)

    def _deadlines(
        self, g: Gathering, rule: ReminderRule, stage: str, expected: TrainingRule
    ) -> Source[Centre]:
        """Centres in ``stage`` whose deadline for the ``expected`` training falls on the
        days, not taken up: found by the day their stay began (`episode_start`) and their
        enrolments, not by reading every history; `deadline_dues` checks each once more. A
        mail lists the next offerings with a free seat (read once per kind)."""

        def paged(first: date, last: date) -> Paged | None:
            starts = stay_starts_for_deadlines(first, last, expected.within_months)
            return (
                None
                if starts is None
                else due_query.lacking_training(stage, expected.kind, *starts)
            )

        def dues(found: list[Centre]) -> list[Due]:
            enrolments = g.repo.trainings.of_centres([c.id for c in found]) if found else {}
            coaches = g.coaches_of(c.coach_id for c in found)
            made = deadline_dues(
                g.window, rule, self.rt.workflow, expected, found, enrolments, coaches
            )
            if made and expected.kind not in g.offers:
                g.offers[expected.kind] = self._offers(g.repo, expected.kind, g.window.today)
            offers = g.offers.get(expected.kind, [])
            return [replace(d, context={**d.context, "offers": offers}) for d in made]

        def told(first: date, last: date) -> int:
            found, starts = paged(first, last), stay_starts_for_deadlines(first, last, months)
            if found is None or starts is None:
                return 0
            deadlines = {start: deadline_of(start, months) for start in _days(*starts)}
            keys = due_query.deadline_keys(
                rule.id,
                expected.kind,
                {start: day.isoformat() for start, day in deadlines.items()},
                {start: (day + shift).isoformat() for start, day in deadlines.items()},
            )
            return g.repo.told(found, keys, [str(r) for r in rule.recipients])

        months, shift = expected.within_months, timedelta(days=rule.offset_days)
        return Source(rule.offset_days, paged, g.repo.centres_paged, _episode_cursor, dues, told)

    def _budget(self, g: Gathering, rule: ReminderRule) -> list[Due]:
        """Budget years whose spending reached the rule's percentage, of the centres with a
        session recorded in this tick's window; the years are read once for all budget rules."""
        if g.budget_years is None:
            g.budget_years = self._budget_years(g.repo, g.window)
        crossings = budget_crossings(g.window, rule, g.budget_years)
        centres = g.repo.centres_by_id([c.year.centre_id for c in crossings])
        return budget_dues(g.window, rule, crossings, centres)

    def _budget_years(self, repo: Repository, window: Window) -> list[BudgetYear]:
        """The years of the centres with a coaching session recorded as held since the
        earliest start of the budget rules, by centre and year."""
        since = budget_since(window, self.rt.workflow.reminders)
        assert since is not None  # a budget rule asks
        years: list[BudgetYear] = []
        for year, centres in by_year(repo.recently_held(since)).items():
            for chunk in chunks(sorted(centres)):  # a chunk's sessions at a time in memory
                histories = repo.steps(chunk)
                for centre_id, held in repo.held_sessions(chunk, year).items():
                    history = histories.get(centre_id, [])
                    years.append(budget_year(self.rt.workflow, centre_id, year, history, held))
        return sorted(years, key=lambda y: (y.centre_id, y.year))

    @staticmethod
    def _offers(repo: Repository, kind: str, today: date) -> list[Offer]:
        """The next offerings of a training kind from tomorrow on with a free seat, by date."""
        offered = repo.trainings.offered(kind, today + timedelta(days=1), MAX_OFFERS)
        return [Offer(training, free) for training, free in offered]

    # ------------------------------------------------------------ rows
    def _mail(self, due: Due, now: datetime) -> NewMail:
        rule = due.rule
        mail = self.rt.compose(
            due.key, rule.id, rule.template, due.role, due.context, due.occurrence, rule.any_day
        )
        return (
            replace(mail, status=OutboxStatus.MISSED) if due.verdict == Judgement.MISSED else mail
        )


def _change_cursor(change: StageChange) -> After:
    assert change.id is not None
    return change.effective, change.id


def _stepping_cursor(centre: Centre) -> After:
    assert centre.next_step_on is not None
    return centre.next_step_on, centre.id


def _episode_cursor(centre: Centre) -> After:
    assert centre.episode_start is not None
    return centre.episode_start, centre.id


def _days(first: date, last: date) -> Iterator[date]:
    return (first + timedelta(days=n) for n in range((last - first).days + 1))
