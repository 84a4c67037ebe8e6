"""Reminders in the store: a tick turns every due occurrence into outbox rows, once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from thekiz_flow.core.budget import crossing, session_cost, year_allowance
from thekiz_flow.core.enums import ActivityStatus, Follows, Judgement, OutboxStatus, Stop
from thekiz_flow.core.history import facts_as_of
from thekiz_flow.core.model import Centre, Coach, HeldSession, ReminderRule, TrainingRule
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.core.recommend import stay_starts_for_deadlines, unmet_trainings
from thekiz_flow.core.reminders import Due, Window, activity_subject, due_for
from thekiz_flow.service.base import ServiceBase
from thekiz_flow.store.activities import chunks
from thekiz_flow.store.outbox import OutboxStore
from thekiz_flow.store.repository import Repository

Coaches = Mapping[int, Coach]


@dataclass
class ReminderReport:
    due: int = 0
    missed: int = 0
    new: int = 0


@dataclass(frozen=True)
class BudgetYear:
    """A centre's budget year, as far as the budget rules need it."""

    centre_id: int
    year: int
    budget: Decimal
    spent: Decimal  # by the held sessions
    spending: list[tuple[datetime, Decimal]]  # (recorded_at, cost) of those, as recorded

    @property
    def last_recorded(self) -> datetime:
        """When the latest of its sessions was recorded (one was, or it would not be read)."""
        return self.spending[-1][0]


@dataclass
class Gathering:
    """What one gathering reads once and every rule shares."""

    repo: Repository
    window: Window
    coaches: Coaches
    budget_years: list[BudgetYear] | None = None  # read by the first budget rule


class ReminderService(ServiceBase):
    def window(self, repo: Repository, now: datetime) -> Window:
        last = OutboxStore(repo.conn).last_tick()
        return Window(now, last, self.zone, self.workflow.send_at)

    def gather(self, repo: Repository, window: Window) -> list[Due]:
        """Every occurrence of every rule that this tick must send or record as missed."""
        dues: list[Due] = []
        gathering = Gathering(repo, window, {coach.id: coach for coach in repo.coaches()})
        for rule in self.workflow.reminders:
            gatherer = {
                Follows.ACTIVITY: self._activities,
                Follows.STAGE_START: self._stage_starts,
                Follows.ELIGIBLE: self._eligible,
                Follows.BUDGET: self._budget,
                Follows.TRAINING_DEADLINE: self._deadlines,
            }[rule.follows]
            dues += gatherer(gathering, rule)
        return dues

    def remind(self, repo: Repository, now: datetime) -> ReminderReport:
        """Materialise what is due as outbox rows (each key once) and move the tick mark."""
        store = OutboxStore(repo.conn)
        store.lock_reminders()
        dues = self.gather(repo, self.window(repo, now))
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

    def preview(self, days: int) -> list[tuple[Due, str, str]]:
        """What the next ``days`` would send, to whom and when; nothing is written."""
        now = self.clock.now()
        window = Window(
            now + timedelta(days=days), now, self.zone, self.workflow.send_at, preview=True
        )
        with self.unit() as repo:
            dues = self.gather(repo, window)
            known = OutboxStore(repo.conn).existing({d.key for d in dues})
        result = []
        for due in sorted((d for d in dues if d.key not in known), key=lambda d: d.occurrence):
            mail = self._mail(due, now)
            result.append((due, mail.recipient or f"({mail.problem})", mail.subject))
        return result

    # ------------------------------------------------------------ gatherers
    def _activities(self, g: Gathering, rule: ReminderRule) -> list[Due]:
        statuses = (
            (ActivityStatus.PLANNED,)
            if rule.stop == Stop.RECORDED
            else (ActivityStatus.PLANNED, ActivityStatus.HELD)
        )
        assert rule.kind is not None
        dues: list[Due] = []
        for number, first, last in g.window.anchor_days(rule):
            found = g.repo.activities_dated(rule.kind, statuses, first, last)
            centres = g.repo.centres_by_id([a.centre_id for a in found])
            for activity in found:
                day = activity.date + timedelta(days=rule.offsets()[number])
                centre = centres[activity.centre_id]
                coach = g.coaches.get(activity.coach_id or centre.coach_id or 0)
                context = {
                    "centre": centre,
                    "coach": coach,
                    "activity": activity,
                    "number": number + 1,
                }
                subject = activity_subject(activity.id)
                dues += due_for(g.window, rule, subject, centre.id, g.window.at(day), context)
        return dues

    def _stage_starts(self, g: Gathering, rule: ReminderRule) -> list[Due]:
        """Stage changes (a renewal starts a programme year too) whose day plus offset is due."""
        ((_, first, last),) = g.window.anchor_days(rule)
        changes = g.repo.changes_between(first, last)
        centres = g.repo.centres_by_id([c.centre_id for c in changes])
        dues: list[Due] = []
        for change in changes:
            if rule.stage is not None and change.to_stage != rule.stage:
                continue
            centre = centres[change.centre_id]
            if centre.stage != change.to_stage or centre.stage_since != change.effective:
                continue  # the centre has moved on since: nothing to remind of
            context = {
                "centre": centre,
                "stage": self.workflow.stage(change.to_stage),
                "since": change.effective,
                "coach": g.coaches.get(centre.coach_id or 0),
            }
            day = change.effective + timedelta(days=rule.offset_days)
            dues += due_for(
                g.window, rule, f"c{centre.id}:{change.id}", centre.id, g.window.at(day), context
            )
        return dues

    def _eligible(self, g: Gathering, rule: ReminderRule) -> list[Due]:
        """Centres whose next step became allowed (`next_step_on`) in this tick's days.

        One mail per stay in a stage: the key names the day the stay's segment began.
        """
        ((_, first, last),) = g.window.anchor_days(rule)
        today = g.window.now.astimezone(self.zone).date()
        found = g.repo.centres_stepping(first, last)
        ids = [centre.id for centre in found]
        visits, histories = g.repo.site_visits(ids), g.repo.histories(ids)
        dues: list[Due] = []
        for centre in found:
            transition = self.workflow.forward_from(centre.stage)
            if transition is None or centre.next_step_on is None:
                continue
            facts = facts_as_of(
                centre, histories.get(centre.id, []), visits.get(centre.id, []), today
            )
            if not self.lifecycle.check(transition.trigger, facts).allowed:
                continue
            context = {
                "centre": centre,
                "stage": self.workflow.stage(centre.stage),
                "trigger": transition.trigger,
                "next_stage": self.workflow.stage(transition.dest),
            }
            day = centre.next_step_on + timedelta(days=rule.offset_days)
            dues += due_for(
                g.window,
                rule,
                f"c{centre.id}:{transition.trigger}",
                centre.id,
                g.window.at(day),
                context,
                label=centre.stage_since.isoformat(),
            )
        return dues

    def _budget(self, g: Gathering, rule: ReminderRule) -> list[Due]:
        """Budget years whose spending reached the rule's percentage, of the centres with a
        session recorded in this tick's window; the years are read once for all budget rules."""
        if g.budget_years is None:
            g.budget_years = self._budget_years(g.repo, g.window)
        start = g.window.start(rule)
        dues: list[Due] = []
        for year in g.budget_years:
            if year.last_recorded >= start:
                dues += self._budget_due(g, rule, year)
        return dues

    def _budget_years(self, repo: Repository, window: Window) -> list[BudgetYear]:
        """The years of the centres with a coaching session recorded as held since the
        earliest start of the budget rules, by centre and year."""
        since = min(window.start(r) for r in self.workflow.reminders if r.follows == Follows.BUDGET)
        years: list[BudgetYear] = []
        for year, centres in _recorded_since(repo, since).items():
            for chunk in chunks(sorted(centres)):  # a chunk's sessions at a time in memory
                histories = repo.steps(chunk)
                for centre_id, held in repo.held_sessions(chunk, year).items():
                    years.append(
                        BudgetYear(
                            centre_id,
                            year,
                            year_allowance(self.workflow, histories.get(centre_id, []), year),
                            sum((_cost(s) for s in held), Decimal(0)),
                            _spending(held),
                        )
                    )
        return sorted(years, key=lambda y: (y.centre_id, y.year))

    def _budget_due(self, g: Gathering, rule: ReminderRule, year: BudgetYear) -> list[Due]:
        if year.budget <= 0 or rule.percent is None:
            return []
        reached = crossing(year.spending, year.budget * rule.percent / 100)
        if reached is None:
            return []
        context = {
            "centre": self._centre(g.repo, year.centre_id),
            "year": year.year,
            "percent": rule.percent,
            "budget": year.budget,
            "spent": year.spent,
        }
        return due_for(
            g.window,
            rule,
            f"c{year.centre_id}:{year.year}",
            year.centre_id,
            reached,
            context,
            label=str(year.year),
        )

    def _deadlines(self, g: Gathering, rule: ReminderRule) -> list[Due]:
        """Trainings a stage expects by a deadline that falls in this tick's days, not taken up.

        The candidates are the centres whose stay began the expected months before such a
        deadline and that have not taken the training up: found by date (`episode_start`)
        and enrolment, not by reading every history; each is checked once more below.
        """
        ((_, first, last),) = g.window.anchor_days(rule)
        dues: list[Due] = []
        for stage in (s for s in self.workflow.stages.values() if s.active):
            for expected in stage.trainings:
                starts = stay_starts_for_deadlines(first, last, expected.within_months)
                if starts is None:
                    continue
                found = g.repo.centres_lacking_training(stage.id, expected.kind, *starts)
                dues += self._deadlines_of(g, rule, found, expected)
        return dues

    def _deadlines_of(
        self, g: Gathering, rule: ReminderRule, found: list[Centre], expected: TrainingRule
    ) -> list[Due]:
        ((_, first, last),) = g.window.anchor_days(rule)
        today = g.window.now.astimezone(self.zone).date()
        enrolments = g.repo.trainings.of_centres([c.id for c in found]) if found else {}
        dues: list[Due] = []
        for centre in found:
            assert centre.episode_start is not None
            unmet = unmet_trainings(
                self.workflow,
                centre.stage,
                centre.episode_start,
                enrolments.get(centre.id, []),
                today,
            )
            for kind, deadline in unmet:
                if kind != expected.kind or not first <= deadline <= last:
                    continue
                context = {
                    "centre": centre,
                    "training_kind": self.workflow.training_kinds[kind],
                    "deadline": deadline,
                    "coach": g.coaches.get(centre.coach_id or 0),
                }
                day = deadline + timedelta(days=rule.offset_days)
                dues += due_for(
                    g.window,
                    rule,
                    f"c{centre.id}:{kind}:{deadline.isoformat()}",
                    centre.id,
                    g.window.at(day),
                    context,
                )
        return dues

    # ------------------------------------------------------------ rows
    def _mail(self, due: Due, now: datetime) -> NewMail:
        mail = self.compose(
            due.key, due.rule.id, due.rule.template, due.role, due.context, due.occurrence
        )
        return (
            replace(mail, status=OutboxStatus.MISSED) if due.verdict == Judgement.MISSED else mail
        )


def _recorded_since(repo: Repository, since: datetime) -> dict[int, set[int]]:
    """Per year: the centres with a coaching session of that year recorded as held since
    ``since``."""
    centres: dict[int, set[int]] = defaultdict(set)
    for centre_id, day in repo.recently_held(since):
        centres[day.year].add(centre_id)
    return centres


def _cost(session: HeldSession) -> Decimal:
    return session_cost(session.hours, session.rate)


def _spending(held: list[HeldSession]) -> list[tuple[datetime, Decimal]]:
    """(recorded_at, cost) of the held sessions with a record, in the order recorded."""
    recorded = sorted((s.recorded_at, s.id, _cost(s)) for s in held if s.recorded_at is not None)
    return [(moment, amount) for moment, _, amount in recorded]
