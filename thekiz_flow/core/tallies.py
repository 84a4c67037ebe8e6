"""What the store counts for the digest: a centre's activities of a year alike in all but
their date (:class:`Tally`), and its held sessions in a row (:class:`Pair`) that may lie more
than two months apart; and what it reads of each centre (:class:`CentreRow`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from thekiz_flow.core.budget import session_cost
from thekiz_flow.core.enums import ActivityKind, ActivityStatus

GAP = relativedelta(months=2)
SHORTEST_GAP_DAYS = 59  # two months are never shorter: sessions closer are never a gap
LONGEST_GAP_DAYS = 62  # nor longer


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
