"""The lifecycle: stage changes, who may take the next step, the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from thekiz_flow import validate
from thekiz_flow.db.outbox import OutboxStore
from thekiz_flow.db.repository import Repository
from thekiz_flow.errors import InvalidInput, Refused
from thekiz_flow.guards import german_date
from thekiz_flow.history import episode_start, facts_as_of
from thekiz_flow.model import Centre, CentreFacts, StageChange
from thekiz_flow.recommend import describe_unmet, unmet_trainings
from thekiz_flow.service.planning import PlanningService

NOTIFIED = ("centre", "office")  # who hears of a stage change


@dataclass(frozen=True)
class Eligibility:
    centre: Centre
    trigger: str
    eligible: bool
    missing: tuple[str, ...]
    recommendations: tuple[str, ...] = ()  # trainings the stage expects, not taken up yet


class LifecycleService(PlanningService):
    def history(self, centre_id: int) -> list[StageChange]:
        with self.unit() as repo:
            self._centre(repo, centre_id)
            return repo.history(centre_id)

    def _facts(self, repo: Repository, centre: Centre, on: date) -> CentreFacts:
        visits = repo.site_visits([centre.id]).get(centre.id, [])
        return facts_as_of(centre, repo.history(centre.id), visits, on)

    def advance(
        self,
        centre_id: int,
        trigger: str,
        on: date | None = None,
        reason: str | None = None,
        force: bool = False,
    ) -> StageChange:
        """Fire a trigger: new stage, audit row and the new plan, in one transaction."""
        day = self._on(on)
        why = validate.text("--reason", reason, required=False, limit=2000)
        if force and why is None:
            raise InvalidInput("--force braucht eine Begründung (--reason)")
        with self.unit() as repo:
            centre = self._centre(repo, centre_id)
            if day < centre.stage_since:
                raise InvalidInput(
                    f"--on: {german_date(day)} liegt vor dem Beginn der aktuellen Stufe "
                    f"({german_date(centre.stage_since)})"
                )
            verdict = self.lifecycle.fire(trigger, self._facts(repo, centre, day), force)
            change = StageChange(
                centre.id,
                trigger,
                centre.stage,
                verdict.dest,
                day,
                self.clock.now(),
                self.actor,
                why,
                forced=force and not verdict.allowed,
            )
            remember = self.workflow.transitions[trigger].remember
            stored = repo.record_change(change, centre, centre.stage if remember else None)
            if stored is None:
                raise Refused("die Einrichtung wurde gleichzeitig geändert; bitte erneut versuchen")
            self._after_change(repo, stored)
            return stored

    def _after_change(self, repo: Repository, change: StageChange) -> None:
        """Re-plan; a centre that leaves the active stages also gives up its training seats."""
        names = self.workflow.stages
        reason = f"Stufenwechsel {names[change.from_stage].name} → {names[change.to_stage].name}"
        moved = self._centre(repo, change.centre_id)
        today = self.today()
        self._replan(
            repo, moved, today, cancel_from=change.effective, reason=reason, stage_change=True
        )
        if not names[change.to_stage].active:
            repo.trainings.release(moved.id, max(change.effective, today), reason)
        self._notify(repo, change, moved)
        self._refresh(repo, moved.id)

    def _notify(self, repo: Repository, change: StageChange, centre: Centre) -> None:
        """The centre and the office hear of the change: outbox rows in the same transaction."""
        template = self.workflow.transitions[change.trigger].notify
        if template is None or change.id is None:
            return
        names = self.workflow.stages
        context = {
            "centre": centre,
            "from_stage": names[change.from_stage],
            "to_stage": names[change.to_stage],
            "effective": change.effective,
            "reason": change.reason,
        }
        mails = [
            self.compose(
                f"{template}:{change.id}:{role}",
                template,
                template,
                role,
                context,
                change.recorded_at,
            )
            for role in NOTIFIED
        ]
        OutboxStore(repo.conn).add(mails, change.recorded_at)

    def _step(
        self, facts: CentreFacts, enrolments: Sequence[tuple[str, str, date]]
    ) -> Eligibility | None:
        transition = self.workflow.forward_from(facts.centre.stage)
        if transition is None:
            return None
        verdict = self.lifecycle.check(transition.trigger, facts)
        start = episode_start(facts, self.workflow)
        unmet = unmet_trainings(self.workflow, facts.centre.stage, start, enrolments, facts.on)
        advice = tuple(describe_unmet(self.workflow, k, d, facts.on) for k, d in unmet)
        return Eligibility(
            facts.centre, transition.trigger, verdict.allowed, verdict.missing, advice
        )

    def eligible(self, on: date | None = None) -> list[Eligibility]:
        """For each centre with a next step: whether it may take it, and what is missing."""
        day = on or self.today()
        with self.unit() as repo:
            centres = [c for c in repo.centres() if self.workflow.forward_from(c.stage)]
            histories, visits = repo.histories(), repo.site_visits()
            enrolments = repo.trainings.of_centres()
        steps = (
            self._step(
                facts_as_of(c, histories.get(c.id, []), visits.get(c.id, []), day),
                enrolments.get(c.id, []),
            )
            for c in centres
        )
        return [step for step in steps if step is not None]

    def next_step(self, centre_id: int, on: date | None = None) -> Eligibility | None:
        """The centre's next step in the programme, if it has one, and what it still needs."""
        day = on or self.today()
        with self.unit() as repo:
            centre = self._centre(repo, centre_id)
            enrolments = repo.trainings.of_centres([centre.id]).get(centre.id, [])
            return self._step(self._facts(repo, centre, day), enrolments)
