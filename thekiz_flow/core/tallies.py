"""What the store counts for the digest: a centre's activities of a year alike in all but
their date (:class:`Tally`), and its held sessions in a row (:class:`Pair`) that may lie far
enough apart to be a gap; and what it reads of each centre (:class:`CentreRow`).

The gap rule follows each stage's own rhythm: a stage with a cadence of ``n`` months
(``coaching.every_months``) expects a session every ``n * 30`` days; a stretch without a
held session is a gap when it is longer than that plus half of it (``n * 45`` days: more
than 45 days in a monthly stage, more than 90 days in a stage with a session every two
months), that is when at least one session was missed, while a session held a couple of
weeks late is not. A stage on request (cadence 0) has no gap rule.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from thekiz_flow.core.budget import session_cost
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Workflow

DAYS_PER_MONTH = 30  # a cadence month, as the gap rule counts it
TOLERANCE = 0.5  # of the cadence: a session may be this late before it counts as missed


def gap_limit(every_months: int) -> int | None:
    """The most days a stage with a session every ``every_months`` months may go without a
    held session; None for a stage on request (see the module)."""
    if every_months <= 0:
        return None
    return round(every_months * DAYS_PER_MONTH * (1 + TOLERANCE))


def gap_limits(workflow: Workflow) -> dict[str, int]:
    """The stages with a gap rule and their limit in days, in the workflow's order."""
    limits = {}
    for stage in workflow.stages.values():
        limit = None if stage.coaching is None else gap_limit(stage.coaching.every_months)
        if limit is not None:
            limits[stage.id] = limit
    return limits


def shortest_gap(workflow: Workflow) -> int:
    """Days held sessions in a row must lie apart to possibly be a gap: the smallest limit
    (sessions closer are never a gap in any stage; without a stage with a gap rule, none
    is)."""
    return min(gap_limits(workflow).values(), default=366)


class CentreRow(NamedTuple):
    """What the digest reads of a centre (:class:`thekiz_flow.digest.aggregate.Member`)."""

    id: int
    name: str
    district: str
    stage_since: date
    registered: date | None


class Tally(NamedTuple):
    """A centre's activities of the year alike in all but their date: how many, and the first
    and the last date among them."""

    kind: ActivityKind
    stage: str
    status: ActivityStatus
    training_id: int | None
    hours: Decimal | None
    rate: Decimal | None
    number: int  # how many
    first: date
    last: date

    @property
    def total_hours(self) -> Decimal:
        return (self.hours or Decimal(0)) * self.number

    @property
    def total_cost(self) -> Decimal:
        each = (
            session_cost(self.hours, self.rate)
            if self.kind == ActivityKind.COACHING
            else Decimal(0)
        )
        return each * self.number


Pair = tuple[date, date]  # two held sessions of a centre in a row: (earlier, later)
