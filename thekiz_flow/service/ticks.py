"""The tick: one idempotent pass of everything time-driven, as of the service's clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from thekiz_flow.core import german
from thekiz_flow.core.clock import TOLERANCE
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.occurrences import lowest_percent
from thekiz_flow.service.digest import DigestService
from thekiz_flow.service.districts import DistrictService
from thekiz_flow.service.invitations import InvitationService
from thekiz_flow.service.outbox import DispatchReport, OutboxService
from thekiz_flow.service.planning import PlanningService, PlanReport
from thekiz_flow.service.privacy import PrivacyService, RetentionReport
from thekiz_flow.service.reminders import ReminderReport, ReminderService
from thekiz_flow.service.runtime import Runtime


@dataclass
class TickReport:
    plan: PlanReport = field(default_factory=PlanReport)
    reminders: ReminderReport = field(default_factory=ReminderReport)
    mail: DispatchReport = field(default_factory=DispatchReport)
    periodic: int = 0  # the yearly digest and the monthly overview, when due
    invitations: int = 0  # calendar invitations and cancellations written
    retention: RetentionReport | None = None  # once a day: what [privacy] had removed

    def add(self, other: TickReport) -> None:
        self.plan.add_report(other.plan)
        self.reminders.due += other.reminders.due
        self.reminders.missed += other.reminders.missed
        self.reminders.new += other.reminders.new
        self.mail.add(other.mail)
        self.periodic += other.periodic
        self.invitations += other.invitations
        self.retention = other.retention or self.retention

    def summary(self) -> str:
        return (
            f"{self.plan.centres} Einrichtungen geplant ({self.plan.inserted} neu, "
            f"{self.plan.updated} geändert, {self.plan.cancelled} abgesagt); "
            f"{self.reminders.new} neue Erinnerungen ({self.reminders.missed} versäumt); "
            f"{self.invitations} Kalendereinladungen; "
            f"{self.mail.sent} E-Mails versandt, {self.mail.retried} später erneut, "
            f"{self.mail.failed} fehlgeschlagen"
        ) + (
            f"; Datenschutz: {self.retention.summary()}"
            if self.retention and self.retention.total
            else ""
        )


class TickService:
    def __init__(
        self,
        rt: Runtime,
        planning: PlanningService,
        reminders: ReminderService,
        outbox: OutboxService,
        digest: DigestService,
        privacy: PrivacyService | None = None,
        districts: DistrictService | None = None,
    ) -> None:
        self.rt = rt
        self.invitations = InvitationService(rt)
        self.planning = planning
        self.reminders = reminders
        self.outbox = outbox
        self.digest = digest
        self.privacy = privacy or PrivacyService(rt)
        self.districts = districts or DistrictService(rt, digest)

    def check_ready(self) -> None:
        """What every tick needs, or the error that it lacks: the mail backend ([mail]
        sender) and a current database schema. Nothing is written."""
        self.outbox.require_backend()
        with self.rt.unit():
            pass

    def tick(self) -> TickReport:
        """Plan what is new, turn due reminders into outbox rows, send what is due; bring
        the figures kept on write up to date (the budget percents, the districts' accounts
        of this year and the year before).

        Each step is idempotent: a tick repeated, or two ticks at once, change nothing
        that one tick would not.
        """
        self.check_ready()
        now = self.acting_now()
        plan = self.planning.plan_pending(now.astimezone(self.rt.zone).date())
        with self.rt.unit() as repo:
            # the counts kept on write (centres per stage and district, messages per
            # status): their changes added up; the districts' accounts' marks no year needs
            repo.centre_counts.fold()
            repo.outbox.fold_counts()
            repo.district_accounts.prune()
        if lowest_percent(self.rt.workflow.reminders) is not None:
            # the budget rules pass over the centres whose percent kept on write stands
            # below theirs: the percents brought up to date first
            self.reminders.refresh_budgets()
        with self.rt.unit() as repo:
            repo.rates.bring_current(now.astimezone(self.rt.zone).date())
            reminders = self.reminders.remind(repo, now)  # holds the reminders' lock
            invitations = self.invitations.invite(repo, now)
        periodic = self.digest.periodic(now)
        retention = self.privacy.daily(now)
        mail = self.outbox.dispatch()
        # a year's first, whole figuring of the districts' accounts falls to a tick too
        self.districts.keep_shown(now.astimezone(self.rt.zone).date())
        return TickReport(plan, reminders, mail, periodic, invitations, retention)

    def acting_now(self) -> datetime:
        """The time this tick acts for: the clock rule of the tick, in one place.

        A tick never acts beyond the real clock (``wall``) plus `TOLERANCE`: what it does
        for a time cannot be undone (mails sent, occurrences recorded as missed, the
        digest's once-only key taken, the tick mark moved), so a time that has not come
        yet is refused before anything is written. This covers ``tick --now`` in the
        future and this machine's clock jumping ahead of the database server's. Then
        every occurrence a tick records as missed lies before the real time, the tick mark
        never passes it, and the yearly digest waits for its day. Only a simulation
        database (see `thekiz_flow.store.simulation`) may run ahead.
        """
        now = self.rt.clock.now()
        with self.rt.unit() as repo:
            if repo.simulation.marked():
                return now
        real = self.rt.wall.now()
        if now > real + TOLERANCE:
            raise Refused(
                f"Durchlauf für {self._moment(now)} abgelehnt: die wirkliche Zeit ist "
                f"{self._moment(real)}; vorauslaufen darf nur eine Simulationskopie "
                "(simulate --copy)"
            )
        return now

    def mark_simulation(self) -> None:
        """Mark this database as a simulation: its ticks may then run ahead of real time."""
        with self.rt.unit() as repo:
            repo.simulation.mark(self.rt.wall.now())

    def _moment(self, instant: datetime) -> str:
        return german.date_time(instant, self.rt.zone)
