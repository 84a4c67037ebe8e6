"""The service: the one place that reads the clock and runs a unit of work.

Every command is one database transaction: it commits whole or not at all.
"""

from thekiz_flow.service.lifecycle import Eligibility
from thekiz_flow.service.overview import OverviewService
from thekiz_flow.service.registry import RegistryService
from thekiz_flow.service.sessions import SessionService
from thekiz_flow.service.ticks import TickService
from thekiz_flow.service.trainings import TrainingService


class Service(
    TickService,
    RegistryService,
    SessionService,
    OverviewService,
    TrainingService,
):
    """Everything the CLI, the scheduler and the web pages may ask of thekiz-flow."""


__all__ = ["Eligibility", "Service"]
