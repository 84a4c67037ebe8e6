"""The service: the one place that reads the clock and runs a unit of work.

Every command is one database transaction: it commits whole or not at all. `Service` holds
one object per area, each built from the shared `Runtime` and the areas it uses::

    service.lifecycle.advance(centre_id, "deepen")
    service.ticks.tick()
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from thekiz_flow.core.clock import Clock
from thekiz_flow.core.model import Workflow
from thekiz_flow.mail.delivery import Backend
from thekiz_flow.service.calendar import CalendarService
from thekiz_flow.service.corrections import CorrectionService
from thekiz_flow.service.digest import DigestService
from thekiz_flow.service.digest_changes import DigestChangeService
from thekiz_flow.service.districts import DistrictService
from thekiz_flow.service.feeds import FeedService
from thekiz_flow.service.forecast import ForecastService
from thekiz_flow.service.lifecycle import Eligibility, LifecycleService
from thekiz_flow.service.lists import ListService
from thekiz_flow.service.mail_templates import MailTemplateService
from thekiz_flow.service.outbox import OutboxService
from thekiz_flow.service.overview import OverviewService
from thekiz_flow.service.planning import PlanningService
from thekiz_flow.service.privacy import PrivacyService
from thekiz_flow.service.registry import RegistryService
from thekiz_flow.service.reminders import ReminderService
from thekiz_flow.service.reverts import RevertService
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.service.sessions import SessionService
from thekiz_flow.service.statements import StatementService
from thekiz_flow.service.ticks import TickService
from thekiz_flow.service.trainings import TrainingService
from thekiz_flow.service.users import UserService
from thekiz_flow.workflow.config import DigestSettings, MailSettings, PrivacySettings


class Service:
    """Everything the CLI, the scheduler and the web pages may ask of thekiz-flow, by area."""

    def __init__(
        self,
        engine: Engine,
        workflow: Workflow,
        clock: Clock,
        zone: ZoneInfo,
        actor: str,
        mail: MailSettings | None = None,
        backend: Backend | None = None,
        digest: DigestSettings | None = None,
        wall: Clock | None = None,
        privacy: PrivacySettings | None = None,
    ) -> None:
        """``clock`` is the time the service acts for (frozen for ``tick --now`` and
        simulations); ``wall`` the real time it may not act beyond (default: the system
        clock, checked against the database server's clock)."""
        self._compose(
            Runtime(engine, workflow, clock, zone, actor, mail, backend, digest, wall, privacy)
        )

    def _compose(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.planning = PlanningService(runtime)
        self.registry = RegistryService(runtime, self.planning)
        self.sessions = SessionService(runtime, self.planning)
        self.lifecycle = LifecycleService(runtime, self.planning)
        self.corrections = CorrectionService(runtime, self.planning, self.sessions)
        self.reverts = RevertService(runtime, self.planning)
        self.trainings = TrainingService(runtime)
        self.reminders = ReminderService(runtime)
        self.outbox = OutboxService(runtime)
        self.lists = ListService(runtime)
        self.overview = OverviewService(runtime, self.lifecycle)
        self.digest = DigestService(runtime, self.overview)
        self.digest_changes = DigestChangeService(runtime, self.digest, self.corrections)
        self.privacy = PrivacyService(runtime)
        self.districts = DistrictService(runtime, self.digest)
        self.ticks = TickService(
            runtime,
            self.planning,
            self.reminders,
            self.outbox,
            self.digest,
            self.privacy,
            self.districts,
        )
        self.users = UserService(runtime)
        self.mail_templates = MailTemplateService(runtime, self.reminders, self.digest)
        self.feeds = FeedService(runtime)
        self.statements = StatementService(runtime)
        self.forecast = ForecastService(runtime)
        self.calendar = CalendarService(runtime)

    def acting_as(self, actor: str) -> Service:
        """This service for another person (the audit trail's actor), e.g. per web request.

        It shares the engine, the clock and what is built once from the workflow (mail
        templates, working calendar), so it costs next to nothing.
        """
        clone = Service.__new__(Service)
        clone._compose(self.runtime.acting_as(actor))
        return clone

    @property
    def workflow(self) -> Workflow:
        return self.runtime.workflow

    @property
    def zone(self) -> ZoneInfo:
        return self.runtime.zone

    def now(self) -> datetime:
        """The time the service acts for."""
        return self.runtime.clock.now()


__all__ = ["Eligibility", "Service"]
