"""Planning in the store: re-plan a centre, and the pass of everything time-driven (tick)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thekiz_flow.core import validate
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Activity, Centre, Closure, StageChange
from thekiz_flow.core.planning import (
    PLANNED_KINDS,
    PlanChanges,
    PlanInput,
    plan,
    reconcile,
)
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

PART = 2000  # centres read, planned and written together: memory is bounded by a part


@dataclass(frozen=True)
class Trail:
    """Some centres' audit trails and held site visits (date, stage), read in bulk."""

    histories: dict[int, list[StageChange]]
    visits: dict[int, list[tuple[date, str]]]

    @classmethod
    def read(cls, repo: Repository, centre_ids: Sequence[int] | None) -> Trail:
        """These centres' trails (None: every centre's)."""
        return cls(repo.histories(centre_ids), repo.site_visits(centre_ids))

    def history(self, centre_id: int) -> list[StageChange]:
        return self.histories.get(centre_id, [])

    def visits_of(self, centre_id: int) -> list[tuple[date, str]]:
        return self.visits.get(centre_id, [])

    def record(self, changes: Sequence[StageChange]) -> None:
        """The stage changes just stored, each at the end of its centre's trail."""
        for change in changes:
            self.histories.setdefault(change.centre_id, []).append(change)


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


class PlanningService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def centre_calendar(self, repo: Repository, centre_id: int) -> WorkCalendar:
        return self.rt.calendar.for_centre((c.first, c.last) for c in repo.closures(centre_id))

    def replan(
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
        (changes,) = self.replan_many(
            repo,
            [centre],
            today,
            cancel_from=cancel_from,
            reason=reason,
            stage_change=stage_change,
        )
        return changes

    def replan_many(
        self,
        repo: Repository,
        centres: Sequence[Centre],
        today: date,
        *,
        cancel_from: date | None = None,
        reason: str = "Planänderung",
        stage_change: bool = False,
        rates: dict[int, Decimal] | None = None,
        trail: Trail | None = None,
    ) -> list[PlanChanges]:
        """Re-plan many centres with a few bulk reads and writes, not queries per centre.

        ``rates`` (coach -> hourly rate) are the rates known so far; those missing are read
        and added, so that parts of one re-planning read each coach once. ``trail``, when
        given, is the centres' trail as stored now; else it is read.
        """
        ids = [c.id for c in centres]
        cancel_from = cancel_from or today
        trail = Trail.read(repo, ids) if trail is None else trail
        existing, closures = self._existing(repo, centres, cancel_from), repo.closures_of(ids)
        all_changes = []
        for centre in centres:
            mine = tuple(existing[centre.id])
            data = PlanInput(centre, tuple(trail.history(centre.id)), mine, today)
            desired = plan(self.rt.workflow, data, self.rt.calendar.for_centre(closures[centre.id]))
            all_changes.append(
                reconcile(
                    desired,
                    mine,
                    cancel_from=cancel_from,
                    insert_from=today,
                    stage_change=stage_change,
                )
            )
        self._apply_many(repo, centres, all_changes, reason, {} if rates is None else rates)
        repo.set_plan_stamps(ids, self.rt.stamp)
        repo.set_derived_many(
            [
                (c.id, *self.rt.derived(c, trail.history(c.id), trail.visits_of(c.id)))
                for c in centres
            ]
        )
        return all_changes

    def _existing(
        self, repo: Repository, centres: Sequence[Centre], cancel_from: date
    ) -> dict[int, list[Activity]]:
        """The stored sessions and visits planning reads, by centre.

        A centre in an active stage gets all of them (its history shapes its plan). One in
        another stage has no plan: only its sessions and visits still planned from
        ``cancel_from`` on can change (they are cancelled), so only those are read.
        """
        active = [c.id for c in centres if self.active(c)]
        idle = [c.id for c in centres if not self.active(c)]
        existing = repo.activities.for_planning(active, PLANNED_KINDS)
        existing.update(
            repo.activities.for_planning(
                idle, PLANNED_KINDS, status=ActivityStatus.PLANNED, first=cancel_from
            )
        )
        return existing

    def _apply_many(
        self,
        repo: Repository,
        centres: Sequence[Centre],
        all_changes: Sequence[PlanChanges],
        reason: str,
        rates: dict[int, Decimal],
    ) -> None:
        inserts = [
            (centre.id, changes.insert)
            for centre, changes in zip(centres, all_changes, strict=True)
        ]
        wanted_coaches = {p.coach_id for c in all_changes for p in c.insert} | {
            p.coach_id for c in all_changes for _, p, _ in c.update
        }
        coaches = (repo.coach(i) for i in wanted_coaches - rates.keys() if i is not None)
        rates.update((coach.id, coach.rate) for coach in coaches if coach is not None)
        repo.activities.insert_many(inserts, ActivityStatus.PLANNED, rates)
        updates: list[tuple[int, dict[str, object]]] = []
        for changes in all_changes:
            for stored, wanted, fields in changes.update:
                values: dict[str, object] = {name: getattr(wanted, name) for name in fields}
                if "coach_id" in fields:
                    values["rate"] = rates.get(wanted.coach_id or 0)
                updates.append((stored.id, values))
        repo.activities.update_many(updates)
        repo.activities.cancel_many([a.id for c in all_changes for a in c.cancel], reason)
        repo.rates.apply_to_planned([i for i in wanted_coaches if i is not None])

    def replan_parts(self, repo: Repository, centres: Sequence[Centre], today: date) -> PlanReport:
        """Re-plan many centres a part at a time, each part written before the next is read."""
        report, rates = PlanReport(), dict[int, Decimal]()
        for start in range(0, len(centres), PART):
            part = centres[start : start + PART]
            for changes in self.replan_many(repo, part, today, rates=rates):
                report.add(changes)
        return report

    def plan(self, centre_id: int | None = None, on: date | None = None) -> PlanReport:
        """Re-plan one centre or every centre in an active stage (idempotent)."""
        today = on or self.rt.today()
        with self.rt.unit() as repo:
            if centre_id is not None:
                centres = [self.rt.centre(repo, centre_id)]
            else:
                centres = [c for c in repo.centres() if self.active(c)]
            return self.replan_parts(repo, centres, today)

    def plan_pending(self, today: date) -> PlanReport:
        """Plan every centre that was not yet planned under the current rules."""
        with self.rt.unit() as repo:
            pending = repo.centres_to_plan(self.rt.workflow.open_stages(), self.rt.stamp)
            return self.replan_parts(repo, pending, today)

    def set_weekday(self, centre_id: int, weekday: int | None) -> PlanChanges:
        """A centre's preferred weekday for sessions; its plan follows at once."""
        with self.rt.unit() as repo:
            self.rt.centre(repo, centre_id)
            repo.set_weekday(centre_id, weekday)
            return self.replan_if_active(repo, self.rt.centre(repo, centre_id))

    def closures(self, centre_id: int) -> list[Closure]:
        """A centre's closure days, by their first day."""
        with self.rt.unit() as repo:
            self.rt.centre(repo, centre_id)
            return repo.closures(centre_id)

    def add_closure(
        self, centre_id: int, first: date, last: date, note: str | None = None
    ) -> PlanChanges:
        """Days the centre is closed; sessions planned on them move at once."""
        if last < first:
            raise InvalidInput("to", "liegt vor {from}", ("from",))
        text = validate.text("note", note, required=False)
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            repo.add_closure(centre.id, first, last, text)
            return self.replan_if_active(repo, centre)

    def replan_if_active(self, repo: Repository, centre: Centre) -> PlanChanges:
        """Re-plan a centre after a change of its dates; a centre out of the programme has none."""
        return self.replan(repo, centre, self.rt.today()) if self.active(centre) else PlanChanges()

    def active(self, centre: Centre) -> bool:
        return self.rt.workflow.stage(centre.stage).active
