"""Reminders in the store: a tick turns every due occurrence into outbox rows, once."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any, TypeVar

from thekiz_flow.core.budget import BudgetYear, budget_year
from thekiz_flow.core.enums import Follows, Judgement, OutboxStatus
from thekiz_flow.core.model import Activity, ReminderRule
from thekiz_flow.core.occurrences import (
    ActivityDays,
    activity_days,
    activity_dues,
    activity_statuses,
    budget_crossings,
    budget_dues,
    budget_since,
    by_year,
    judged_days,
    lowest_percent,
)
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.core.reminders import Due, Window
from thekiz_flow.service.budget_watch import BudgetWatch
from thekiz_flow.service.reminder_sources import Gathering, Source, Sources
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.activities import chunks
from thekiz_flow.store.repository import Repository

CASES = 20  # centres whose budget crossings a mail template's preview looks at

FIRST_PART = 8  # the rows a stream makes its first dues of (`parts`)
T = TypeVar("T")


def parts(rows: list[T]) -> Iterator[list[T]]:
    """``rows`` in parts that double in size, the first of FIRST_PART: a stream makes the dues
    of its rows part by part, as the page takes them. Merging the streams asks each for its
    first due, and most give only a few to a page: a large programme's page no longer makes
    the dues of every row each stream read (each part's centres, coaches and enrolments are
    read together)."""
    start, size = 0, FIRST_PART
    while start < len(rows):
        yield rows[start : start + size]
        start, size = start + size, size * 2


@dataclass(frozen=True)
class Stream:
    """A rule's dues not yet in the outbox, by when they go out; and how many there are."""

    dues: Iterator[Due]
    total: int


@dataclass
class ReminderReport:
    due: int = 0
    missed: int = 0
    new: int = 0


class ReminderService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.sources = Sources(rt)
        self.budget_watch = BudgetWatch(rt.workflow)

    def _window(self, repo: Repository, now: datetime) -> Window:
        last = repo.outbox.last_tick()
        return Window(now, last, self.rt.zone, self.rt.workflow.send_at)

    def _gather(
        self, repo: Repository, window: Window, rules: Iterable[ReminderRule] | None = None
    ) -> list[Due]:
        """Every occurrence of every rule (of ``rules`` if given) that this tick must send or
        record as missed."""
        dues: list[Due] = []
        gathering = self._gathering(repo, window)
        for rule in self.rt.workflow.reminders if rules is None else rules:
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
        # the last day written: of this tick's occurrences and the ticks' before (if none
        # noted one yet, the day after the tick mark's: `_written`)
        days = [self._day(d) for d in fresh]
        before = self._written(repo)
        report = ReminderReport(
            due=len(dues),
            missed=sum(d.verdict == Judgement.MISSED for d in fresh),
            new=store.add(mails, now),
        )
        store.set_last_tick(now, max(days + ([] if before is None else [before]), default=None))
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
        ran, there is none): what the ticks noted (`remind`), each the last day of the
        occurrences it wrote, forward only, in the transaction that wrote them. Before any
        tick noted one: the day after the tick mark's (a tick writes an occurrence once it is
        due, at or before the tick's time; a day more for a changed time zone)."""
        noted = repo.outbox.written_through()
        if noted is not None:
            return noted
        last = repo.outbox.last_tick()
        return None if last is None else last.astimezone(self.rt.zone).date() + timedelta(days=1)

    def _day(self, due: Due) -> date:
        """The local day a due's occurrence falls on (`Window.at`): what `_written` counts."""
        return due.occurrence.astimezone(self.rt.zone).date()

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
                for source in self.sources.of(g, rule):
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
                for part in parts(found):
                    yield from self._fresh(g.repo, self._activity_dues(g, rule, days.number, part))
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
        upto = None if written is None else min(last, written - timedelta(days=rule.offset_days))
        if rows and upto is not None and upto >= first:  # no rows: none the outbox holds
            total -= source.told(first, upto)

        def dues() -> Iterator[Due]:
            found = rows
            while True:
                for part in parts(found):
                    yield from self._fresh(g.repo, source.dues(part))
                if whole or len(found) < (batch or 0):
                    return
                found = source.read(paged, source.cursor(found[-1]), batch)

        return Stream(dues(), total)

    @staticmethod
    def _fresh(repo: Repository, dues: list[Due]) -> list[Due]:
        """The dues whose key the outbox does not hold yet, in their order."""
        known = repo.outbox.existing({d.key for d in dues})
        return [d for d in dues if d.key not in known]

    def around(
        self, repo: Repository, days: float, rules: Iterable[ReminderRule] | None = None
    ) -> list[Due]:
        """Every occurrence (of ``rules`` if given) from ``days`` before to ``days`` after
        now, sent or not: real cases for the preview of a mail template; nothing is
        written."""
        now = self.rt.clock.now()
        window = Window(
            now + timedelta(days=days),
            now - timedelta(days=days),
            self.rt.zone,
            self.rt.workflow.send_at,
            preview=True,
        )
        return self._gather(repo, window, rules)

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
        """Every due of a rule read from its sources (`Sources.of`) on the window's days."""
        ((_, first, last),) = g.window.anchor_days(rule)
        dues: list[Due] = []
        for source in self.sources.of(g, rule):
            paged = source.paged(first, last)
            if paged is not None:
                dues += source.dues(source.read(paged, None, None))
        return dues

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
        earliest start of the budget rules, by centre and year; of these, not the centres
        whose percent kept on write stands below the lowest rule's (`BudgetWatch.may_reach`:
        their years cross no rule's percent)."""
        rules = self.rt.workflow.reminders
        since = budget_since(window, rules)
        assert since is not None  # a budget rule asks
        lowest = lowest_percent(rules)
        years: list[BudgetYear] = []
        for year, centres in by_year(repo.recently_held(since)).items():
            ids = sorted(centres)
            if lowest is not None:  # a centre below every rule's percent crosses none
                ids = self.budget_watch.may_reach(repo, year, ids, lowest)
            for chunk in chunks(ids):  # a chunk's sessions at a time in memory
                years += self._years_of(repo, chunk, year)
        return sorted(years, key=lambda y: (y.centre_id, y.year))

    def _years_of(self, repo: Repository, centre_ids: Sequence[int], year: int) -> list[BudgetYear]:
        """The budget year ``year`` of each of these centres that held a session in it."""
        histories = repo.steps(centre_ids)
        return [
            budget_year(self.rt.workflow, centre_id, year, histories.get(centre_id, []), held)
            for centre_id, held in repo.held_sessions(centre_ids, year).items()
        ]

    def refresh_budgets(self) -> None:
        """The kept budget percents of this year figured again for what was recorded since
        they were last (`BudgetWatch`), in a short transaction of its own: on PostgreSQL it
        holds the marks' lock, which writers wait for."""
        with self.rt.unit() as repo:
            self.budget_watch.refresh(repo, self.rt.today().year)

    def budget_cases(self, repo: Repository, rules: Iterable[ReminderRule]) -> list[Due]:
        """Real cases of the budget rules for the preview of a mail template: this year's
        crossings of the `CASES` centres whose spending is just over a rule's percentage (the
        last to have reached it, as a rule: the percents kept on write, read by their index;
        `refresh_budgets` first), not every centre's; nothing is written."""
        now = self.rt.clock.now()
        today = now.astimezone(self.rt.zone).date()
        new_year = datetime.combine(date(today.year, 1, 1), time(0), self.rt.zone)
        window = Window(now, new_year, self.rt.zone, self.rt.workflow.send_at, preview=True)
        dues: list[Due] = []
        for rule in rules:
            if rule.follows != Follows.BUDGET or rule.percent is None:
                continue
            near = repo.budget_percents.just_over(rule.percent, CASES)
            years = self._years_of(repo, sorted(near), today.year)
            crossings = budget_crossings(window, rule, years)
            centres = repo.centres_by_id([c.year.centre_id for c in crossings])
            dues += budget_dues(window, rule, crossings, centres)
        return dues

    # ------------------------------------------------------------ rows
    def _mail(self, due: Due, now: datetime) -> NewMail:
        rule = due.rule
        mail = self.rt.compose(
            due.key, rule.id, rule.template, due.role, due.context, due.occurrence, rule.any_day
        )
        return (
            replace(mail, status=OutboxStatus.MISSED) if due.verdict == Judgement.MISSED else mail
        )
