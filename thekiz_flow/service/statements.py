"""Coaches' monthly fee statements (``core/statements.py``), read from what is recorded."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from thekiz_flow.core.corrections import sentence
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import ActivityFilter
from thekiz_flow.core.rates import in_force
from thekiz_flow.core.statements import Line, Month, Statement, amount, build
from thekiz_flow.service.runtime import Runtime


class StatementService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def month_over(self, month: Month) -> datetime:
        """The moment the month ends (local midnight): a correction recorded from then on
        makes a new edition of its statements."""
        return datetime.combine(month.following.first, datetime.min.time(), self.rt.zone)

    def statement(self, coach_ref: str, month: Month) -> Statement:
        """The fee statement of the coach ``coach_ref`` (number or e-mail) for ``month``;
        the current month's is provisional, a later month's is refused."""
        today = self.rt.today()
        if month.first > today:
            raise InvalidInput("month", f"{month.name} liegt in der Zukunft")
        with self.rt.unit() as repo:
            coach = self.rt.coach(repo, coach_ref)
            held = repo.activities.find(
                ActivityFilter(
                    coach_id=coach.id,
                    kind=ActivityKind.COACHING,
                    status=ActivityStatus.HELD,
                    first=month.first,
                    last=month.last,
                )
            )
            centres = repo.centres_by_id({a.centre_id for a in held})
            history = repo.rates.of_coach(coach.id)
            since = self.month_over(month)
            later = repo.accounts.session_corrections(coach.id, month.first, month.last, since)
        lines = []
        for activity in held:
            rate = activity.rate
            if rate is None:  # recorded before rates were kept with sessions
                entry = in_force(history, activity.date)
                rate = coach.rate if entry is None else entry.rate
            hours = activity.hours or Decimal(0)
            centre = centres[activity.centre_id]
            lines.append(
                Line(
                    activity.id,
                    activity.date,
                    centre.name,
                    centre.district,
                    hours,
                    rate,
                    amount(hours, rate),
                )
            )
        corrections = [
            (entry.recorded_at, sentence(entry, self.rt.zone, ActivityKind.COACHING, day))
            for entry, day in later
        ]
        return build(coach.id, coach.name, month, lines, month.last >= today, corrections)
