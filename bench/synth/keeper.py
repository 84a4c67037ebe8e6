"""The rules the synthetic history still reaches through a service without a database.

A ``Service`` built on no engine is never asked to open a transaction: it only lends its
pure parts, so the history holds exactly what the service computes. Each part is named here
once: the derived dates of a centre (``episode_start``, ``next_step_on``), the notices of a
stage change and the reason it gives cancelled rows, and a reminder's mail for one role (its
address, subject and bodies).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import cast

from sqlalchemy import Engine

from bench.common import BERLIN, TODAY, service
from thekiz_flow.core.derived import derived_dates
from thekiz_flow.core.model import Centre, StageChange
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.mail.render import Renderer

NOON = time(12)


class Keeper:
    """The service's own readings, on no database (see the module's docstring)."""

    def __init__(self) -> None:
        self.service = service(cast(Engine, None), now=datetime.combine(TODAY, NOON, BERLIN))
        self.renderer: Renderer = self.service.runtime.renderer
        self.compose = self.service.runtime.compose  # one role's mail, as a tick adds it

    def derived(
        self,
        centre: Centre,
        history: Sequence[StageChange],
        visits: Sequence[tuple[date, str]],
        day: date,
    ) -> tuple[date, date | None]:
        """(episode_start, next_step_on) of a centre as the service keeps them, as of ``day``."""
        return derived_dates(self.service.runtime.rules, centre, history, visits, day)

    def change_reason(self, source: str, dest: str) -> str:
        """Why a stage change cancels planned rows (their ``reason``), as ``advance`` says it."""
        return self.service.lifecycle._change_reason(source, dest)

    def notices(self, change: StageChange, centre: Centre) -> list[NewMail]:
        """The mails a stage change sends (one per role it notifies), as ``advance`` adds them."""
        return self.service.lifecycle._notices(change, centre)
