"""The tick: one idempotent pass of everything time-driven, as of the service's clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from thekiz_flow.service.digest import DigestService
from thekiz_flow.service.outbox import DispatchReport, OutboxService
from thekiz_flow.service.planning import PlanReport
from thekiz_flow.service.reminders import ReminderReport, ReminderService


@dataclass
class TickReport:
    plan: PlanReport = field(default_factory=PlanReport)
    reminders: ReminderReport = field(default_factory=ReminderReport)
    mail: DispatchReport = field(default_factory=DispatchReport)
    periodic: int = 0  # the yearly digest and the monthly overview, when due

    def add(self, other: TickReport) -> None:
        self.plan.add_report(other.plan)
        self.reminders.due += other.reminders.due
        self.reminders.missed += other.reminders.missed
        self.reminders.new += other.reminders.new
        self.mail.add(other.mail)
        self.periodic += other.periodic

    def summary(self) -> str:
        return (
            f"{self.plan.centres} Einrichtungen geplant ({self.plan.inserted} neu, "
            f"{self.plan.updated} geändert, {self.plan.cancelled} abgesagt); "
            f"{self.reminders.new} neue Erinnerungen ({self.reminders.missed} versäumt); "
            f"{self.mail.sent} E-Mails versandt, {self.mail.retried} später erneut, "
            f"{self.mail.failed} fehlgeschlagen"
        )


class TickService(DigestService, ReminderService, OutboxService):
    def check_ready(self) -> None:
        """What every tick needs, or the error that it lacks: the mail backend ([mail]
        sender) and a current database schema. Nothing is written."""
        self.backend  # noqa: B018
        with self.unit():
            pass

    def tick(self) -> TickReport:
        """Plan what is new, turn due reminders into outbox rows, send what is due.

        Each step is idempotent: a tick repeated, or two ticks at once, change nothing
        that one tick would not.
        """
        self.check_ready()
        now = self.clock.now()
        plan = self.plan_pending(now.astimezone(self.zone).date())
        with self.unit() as repo:
            reminders = self.remind(repo, now)
        periodic = self.periodic(now)
        return TickReport(plan, reminders, self.dispatch(), periodic)
