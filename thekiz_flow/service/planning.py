"""Planning in the store: re-plan a centre, and the pass of everything time-driven (tick)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from thekiz_flow import validate
from thekiz_flow.calendar import WorkCalendar
from thekiz_flow.db.repository import Repository
from thekiz_flow.errors import InvalidInput
from thekiz_flow.model import CANCELLED, PLANNED, Centre
from thekiz_flow.planning import PlanChanges, PlanInput, plan, plan_stamp, reconcile
from thekiz_flow.service.base import ServiceBase


@dataclass
class PlanReport:
    centres: int = 0
    inserted: int = 0
    updated: int = 0
    cancelled: int = 0

    def add_report(self, other: PlanReport) -> None:
        self.centres += other.centres
        self.inserted += other.inserted
        self.updated += other.updated
        self.cancelled += other.cancelled

    def add(self, changes: PlanChanges) -> None:
        self.centres += 1
        self.inserted += len(changes.insert)
        self.updated += len(changes.update)
        self.cancelled += len(changes.cancel)


class PlanningService(ServiceBase):
    @cached_property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar.of(self.workflow)

    @cached_property
    def stamp(self) -> str:
        return plan_stamp(self.workflow)

    def open_stages(self) -> list[str]:
        """Stages a centre can still leave: planned and re-checked by the tick."""
        return [s.id for s in self.workflow.stages.values() if not s.final]

    def centre_calendar(self, repo: Repository, centre_id: int) -> WorkCalendar:
        return self.calendar.for_centre((c.first, c.last) for c in repo.closures(centre_id))

    def _replan(
        self,
        repo: Repository,
        centre: Centre,
        today: date,
        *,
        cancel_from: date | None = None,
        reason: str = "Planänderung",
        stage_change: bool = False,
    ) -> PlanChanges:
        """Bring one centre's stored plan in line with the rules; history stays as it is."""
        existing = tuple(repo.activities.of_centre(centre.id))
        data = PlanInput(centre, tuple(repo.history(centre.id)), existing, today)
        desired = plan(self.workflow, data, self.centre_calendar(repo, centre.id))
        changes = reconcile(
            desired,
            existing,
            cancel_from=cancel_from or today,
            insert_from=today,
            stage_change=stage_change,
        )
        self._apply(repo, centre, changes, reason)
        repo.set_plan_stamp(centre.id, self.stamp)
        self._refresh(repo, centre.id)
        return changes

    def _apply(self, repo: Repository, centre: Centre, changes: PlanChanges, reason: str) -> None:
        rates = self._rates(repo, {p.coach_id for p in changes.insert})
        repo.activities.insert(centre.id, changes.insert, PLANNED, rates)
        for stored, wanted, fields in changes.update:
            values: dict[str, object] = {name: getattr(wanted, name) for name in fields}
            if "coach_id" in fields:
                values["rate"] = self._rates(repo, {wanted.coach_id}).get(wanted.coach_id or 0)
            repo.activities.update(stored.id, **values)
        for stored in changes.cancel:
            repo.activities.set_status(stored.id, CANCELLED, expected=PLANNED, reason=reason)

    @staticmethod
    def _rates(repo: Repository, coach_ids: set[int | None]) -> dict[int, Decimal]:
        coaches = (repo.coach(i) for i in coach_ids if i is not None)
        return {c.id: c.rate for c in coaches if c is not None}

    def plan(self, centre_id: int | None = None, on: date | None = None) -> PlanReport:
        """Re-plan one centre or every centre in an active stage (idempotent)."""
        today = on or self.today()
        report = PlanReport()
        with self.unit() as repo:
            if centre_id is not None:
                centres = [self._centre(repo, centre_id)]
            else:
                centres = [c for c in repo.centres() if self._active(c)]
            for centre in centres:
                report.add(self._replan(repo, centre, today))
        return report

    def plan_pending(self, today: date) -> PlanReport:
        """Plan every centre that was not yet planned under the current rules."""
        report = PlanReport()
        with self.unit() as repo:
            for centre in repo.centres_to_plan(self.open_stages(), self.stamp):
                report.add(self._replan(repo, centre, today))
        return report

    def set_weekday(self, centre_id: int, weekday: int | None) -> PlanChanges:
        """A centre's preferred weekday for sessions; its plan follows at once."""
        with self.unit() as repo:
            self._centre(repo, centre_id)
            repo.set_weekday(centre_id, weekday)
            centre = self._centre(repo, centre_id)
            return (
                self._replan(repo, centre, self.today()) if self._active(centre) else PlanChanges()
            )

    def add_closure(
        self, centre_id: int, first: date, last: date, note: str | None = None
    ) -> PlanChanges:
        """Days the centre is closed; sessions planned on them move at once."""
        if last < first:
            raise InvalidInput("--to: liegt vor --from")
        text = validate.text("--note", note, required=False)
        with self.unit() as repo:
            centre = self._centre(repo, centre_id)
            repo.add_closure(centre.id, first, last, text)
            return (
                self._replan(repo, centre, self.today()) if self._active(centre) else PlanChanges()
            )

    def _active(self, centre: Centre) -> bool:
        return self.workflow.stage(centre.stage).active
