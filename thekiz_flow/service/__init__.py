"""The service: the one place that reads the clock and runs a unit of work.

Every command is one database transaction: it commits whole or not at all.
"""

from thekiz_flow.service.lifecycle import Eligibility, LifecycleService, facts_as_of
from thekiz_flow.service.registry import RegistryService


class Service(RegistryService, LifecycleService):
    """Everything the CLI, the scheduler and the web pages may ask of thekiz-flow."""


__all__ = ["Eligibility", "Service", "facts_as_of"]
