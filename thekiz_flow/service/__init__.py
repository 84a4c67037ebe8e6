"""The service: the one place that reads the clock and runs a unit of work.

Every command is one database transaction: it commits whole or not at all.
"""

from __future__ import annotations

import copy

from thekiz_flow.service.feeds import FeedService
from thekiz_flow.service.lifecycle import Eligibility
from thekiz_flow.service.overview import OverviewService
from thekiz_flow.service.registry import RegistryService
from thekiz_flow.service.sessions import SessionService
from thekiz_flow.service.ticks import TickService
from thekiz_flow.service.trainings import TrainingService
from thekiz_flow.service.users import UserService


class Service(
    TickService,
    RegistryService,
    SessionService,
    OverviewService,
    TrainingService,
    UserService,
    FeedService,
):
    """Everything the CLI, the scheduler and the web pages may ask of thekiz-flow."""

    def acting_as(self, actor: str) -> Service:
        """This service for another person (the audit trail's actor), e.g. per web request.

        A shallow copy: it shares the engine, the clock and what is built once from the
        workflow (mail templates, working calendar), so it costs next to nothing.
        """
        _ = (self.renderer, self.calendar, self.stamp)  # built here once, shared by every copy
        clone = copy.copy(self)
        clone.actor = actor
        return clone


__all__ = ["Eligibility", "Service"]
