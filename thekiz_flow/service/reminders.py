"""Reminders in the store: a tick turns every due occurrence into outbox rows, once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from thekiz_flow.budget import cost, year_budget
from thekiz_flow.db.activities import ActivityFilter
from thekiz_flow.db.outbox import NewMail, OutboxStore
from thekiz_flow.db.repository import Repository
from thekiz_flow.history import facts_as_of
from thekiz_flow.model import (
    COACHING,
    HELD,
    MISSED,
    PLANNED,
    Centre,
    Coach,
    ReminderRule,
    TrainingRule,
)
from thekiz_flow.recommend import unmet_trainings
from thekiz_flow.reminders import MISSED as JUDGED_MISSED
from thekiz_flow.reminders import Due, Window, due_for
from thekiz_flow.service.base import ServiceBase

Coaches = Mapping[int, Coach]


@dataclass
class ReminderReport:
    due: int = 0
    missed: int = 0
    new: int = 0


class ReminderService(ServiceBase):
    def window(self, repo: Repository, now: datetime) -> Window:
        last = OutboxStore(repo.conn).last_tick()
        return Window(now, last, self.zone, self.workflow.send_at)

    def gather(self, repo: Repository, window: Window) -> list[Due]:
        """Every occurrence of every rule that this tick must send or record as missed."""
        dues: list[Due] = []
        coaches = {coach.id: coach for coach in repo.coaches()}
        for rule in self.workflow.reminders:
            gatherer = {
                "activity": self._activities,
                "stage_start": self._stage_starts,
                "eligible": self._eligible,
                "budget": self._budget,
                "training_deadline": self._deadlines,
            }[rule.follows]
            dues += gatherer(repo, window, rule, coaches)
        return dues

    def remind(self, repo: Repository, now: datetime) -> ReminderReport:
        """Materialise what is due as outbox rows (each key once) and move the tick mark."""
        store = OutboxStore(repo.conn)
        dues = self.gather(repo, self.window(repo, now))
        known = store.existing({d.key for d in dues})
        fresh = [d for d in dues if d.key not in known]
        mails = (self._mail(due, now) for due in fresh)  # rendered as they are inserted
        report = ReminderReport(
            due=len(dues),
            missed=sum(d.verdict == JUDGED_MISSED for d in fresh),
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
    def _activities(
        self, repo: Repository, window: Window, rule: ReminderRule, coaches: Coaches
    ) -> list[Due]:
        statuses = (PLANNED,) if rule.stop == "recorded" else (PLANNED, HELD)
        dues: list[Due] = []
        for number, first, last in window.anchor_days(rule):
            where = ActivityFilter(kind=rule.kind, first=first, last=last)
            for activity in repo.activities.find(where):
                if activity.status not in statuses:
                    continue
                day = activity.date + timedelta(days=rule.offsets()[number])
                centre = self._centre(repo, activity.centre_id)
                coach = coaches.get(activity.coach_id or centre.coach_id or 0)
                context = {
                    "centre": centre,
                    "coach": coach,
                    "activity": activity,
                    "number": number + 1,
                }
                dues += due_for(window, rule, f"a{activity.id}", centre.id, window.at(day), context)
        return dues

    def _stage_starts(
        self, repo: Repository, window: Window, rule: ReminderRule, coaches: Coaches
    ) -> list[Due]:
        """Stage changes (a renewal starts a programme year too) whose day plus offset is due."""
        ((_, first, last),) = window.anchor_days(rule)
        dues: list[Due] = []
        for change in repo.changes_between(first, last):
            if rule.stage is not None and change.to_stage != rule.stage:
                continue
            centre = self._centre(repo, change.centre_id)
            if centre.stage != change.to_stage or centre.stage_since != change.effective:
                continue  # the centre has moved on since: nothing to remind of
            context = {
                "centre": centre,
                "stage": self.workflow.stage(change.to_stage),
                "since": change.effective,
                "coach": coaches.get(centre.coach_id or 0),
            }
            day = change.effective + timedelta(days=rule.offset_days)
            dues += due_for(
                window, rule, f"c{centre.id}:{change.id}", centre.id, window.at(day), context
            )
        return dues

    def _eligible(
        self, repo: Repository, window: Window, rule: ReminderRule, coaches: Coaches
    ) -> list[Due]:
        """Centres whose next step became allowed (`next_step_on`) in this tick's days.

        One mail per stay in a stage: the key names the day the stay's segment began.
        """
        ((_, first, last),) = window.anchor_days(rule)
        today = window.now.astimezone(self.zone).date()
        dues: list[Due] = []
        for centre in repo.centres_stepping(first, last):
            transition = self.workflow.forward_from(centre.stage)
            if transition is None or centre.next_step_on is None:
                continue
            visits = repo.site_visits([centre.id]).get(centre.id, [])
            facts = facts_as_of(centre, repo.history(centre.id), visits, today)
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
                window,
                rule,
                f"c{centre.id}:{transition.trigger}",
                centre.id,
                window.at(day),
                context,
                label=centre.stage_since.isoformat(),
            )
        return dues

    def _budget(
        self, repo: Repository, window: Window, rule: ReminderRule, coaches: Coaches
    ) -> list[Due]:
        where = ActivityFilter(kind=COACHING, status=HELD, recorded_since=window.start(rule))
        recent = repo.activities.find(where)
        dues: list[Due] = []
        for centre_id, year in sorted({(a.centre_id, a.date.year) for a in recent}):
            dues += self._budget_for(repo, window, rule, centre_id, year)
        return dues

    def _budget_for(
        self, repo: Repository, window: Window, rule: ReminderRule, centre_id: int, year: int
    ) -> list[Due]:
        sessions = repo.activities.of_centre(centre_id)
        budget = year_budget(self.workflow, repo.history(centre_id), sessions, year)
        if budget.budget <= 0 or rule.percent is None:
            return []
        limit = budget.budget * rule.percent / 100
        held = sorted(
            (a for a in sessions if a.status == HELD and a.date.year == year and a.recorded_at),
            key=lambda a: (a.recorded_at, a.id),
        )
        spent = 0 * limit
        for activity in held:
            spent += cost(activity)
            if spent >= limit and activity.recorded_at is not None:
                context = {
                    "centre": self._centre(repo, centre_id),
                    "year": year,
                    "percent": rule.percent,
                    "budget": budget.budget,
                    "spent": budget.spent,
                }
                return due_for(
                    window,
                    rule,
                    f"c{centre_id}:{year}",
                    centre_id,
                    activity.recorded_at,
                    context,
                    label=str(year),
                )
        return []

    def _deadlines(
        self, repo: Repository, window: Window, rule: ReminderRule, coaches: Coaches
    ) -> list[Due]:
        """Trainings a stage expects by a deadline that falls in this tick's days, not taken up.

        The candidates are the centres whose stay began `within_months` before such a
        deadline: found by date (`episode_start`), not by reading every history.
        """
        ((_, first, last),) = window.anchor_days(rule)
        dues: list[Due] = []
        for stage in (s for s in self.workflow.stages.values() if s.active):
            for expected in stage.trainings:
                months = relativedelta(months=expected.within_months)
                slack = timedelta(days=3)  # month lengths differ; the exact check is below
                found = repo.centres_started(
                    stage.id, first - months - slack, last - months + slack
                )
                dues += self._deadlines_of(repo, window, rule, found, expected, coaches)
        return dues

    def _deadlines_of(
        self,
        repo: Repository,
        window: Window,
        rule: ReminderRule,
        found: list[Centre],
        expected: TrainingRule,
        coaches: Coaches,
    ) -> list[Due]:
        ((_, first, last),) = window.anchor_days(rule)
        today = window.now.astimezone(self.zone).date()
        enrolments = repo.trainings.of_centres([c.id for c in found]) if found else {}
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
                    "coach": coaches.get(centre.coach_id or 0),
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

    # ------------------------------------------------------------ rows
    def _mail(self, due: Due, now: datetime) -> NewMail:
        mail = self.compose(
            due.key, due.rule.id, due.rule.template, due.role, due.context, due.occurrence
        )
        return replace(mail, status=MISSED) if due.verdict == JUDGED_MISSED else mail
