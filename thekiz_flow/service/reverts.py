"""Undoing a centre's latest stage change (``core/revert.py``): the centre back in its
earlier stage, the plan that stage asks for, an audit entry, and mails only to those whose
work changes.

The stage change stays in the audit trail; a correction entry (subject ``stage_change``,
action ``reverted``) withdraws it, and the readings of the trail in force skip it from then
on, so a digest as recorded before stays as it was. Sessions and visits of the earlier stage
that the change cancelled (dated today or later, keyed by the planner) come back; those
planned for the withdrawn stage are cancelled. Unsent notices of the change are withdrawn;
the centre hears of the revert if it heard of the change, the coach if the plan changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from thekiz_flow.core import german, validate
from thekiz_flow.core.corrections import Action, Correction, Subject, plain
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, Recipient
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.labels import HELD_NOUNS
from thekiz_flow.core.model import Activity, Centre, StageChange
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.core.planning import PLANNER_PREFIXES, PlanChanges
from thekiz_flow.core.revert import latest, not_cutting_through, restored
from thekiz_flow.service.lifecycle import NOTIFIED
from thekiz_flow.service.planning import PlanningService, Trail
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

TEMPLATE = "stage_reverted"
INFORMED = (Recipient.CENTRE, Recipient.COACH)  # who may hear of a revert
WITHDRAWN = "Stufenwechsel zurückgenommen"  # why its unsent notices and its plan went


@dataclass
class Reverted:
    """What a revert did (or, previewed, would do)."""

    change: StageChange  # the change withdrawn
    centre: Centre  # as the revert leaves it
    entry: Correction
    cancelled: Counter[ActivityKind] = field(default_factory=Counter)
    cancelled_from: date | None = None
    planned: Counter[ActivityKind] = field(default_factory=Counter)
    planned_from: date | None = None
    mailed: list[Recipient] = field(default_factory=list)
    withdrawn_mails: int = 0

    def lines(self, stage_name: str) -> list[str]:
        """What happens, as German sentences: "Kita X (Jena) kehrt zurück in die Stufe …"."""
        lines = [f"{self.centre.title} kehrt zurück in die Stufe {stage_name}."]
        lines += _counted(self.cancelled, self.cancelled_from, "abgesagt")
        lines += _counted(self.planned, self.planned_from, "neu geplant")
        if not self.cancelled and not self.planned:
            lines.append("Die Planung bleibt, wie sie ist.")
        if self.withdrawn_mails:
            n = self.withdrawn_mails
            lines.append(
                f"{n} noch nicht versandte {'Nachricht' if n == 1 else 'Nachrichten'} über den "
                f"Stufenwechsel {'wird' if n == 1 else 'werden'} zurückgezogen."
            )
        told = {Recipient.CENTRE: "die Einrichtung", Recipient.COACH: "die Prozessbegleitung"}
        whom = [told[role] for role in INFORMED if role in self.mailed]
        if whom:
            verb = "erhält" if len(whom) == 1 else "erhalten"
            text = " und ".join(whom)
            lines.append(f"{text[0].upper()}{text[1:]} {verb} eine E-Mail.")
        else:
            lines.append("Niemand erhält eine E-Mail.")
        return lines


def _counted(counts: Counter[ActivityKind], first: date | None, verb: str) -> list[str]:
    day = "" if first is None else f" ab {german.short_date(first)}"
    return [
        f"{n} {HELD_NOUNS.get(kind, ('Termin', 'Termine'))[n != 1]}{day} "
        f"{'wird' if n == 1 else 'werden'} {verb}."
        for kind, n in sorted(counts.items())
    ]


class RevertService:
    def __init__(self, rt: Runtime, planning: PlanningService) -> None:
        self.rt = rt
        self.planning = planning

    def revert(self, centre_id: int, reason: str | None, change_id: int | None = None) -> Reverted:
        """Withdraw the centre's latest stage change (``change_id``, if given, must be it),
        with a reason: all of it in one transaction, or nothing."""
        why = validate.required_text("reason", reason, limit=2000)
        with self.rt.unit() as repo:
            return self._revert(repo, centre_id, why, change_id)

    def preview(self, centre_id: int, reason: str | None, change_id: int | None = None) -> Reverted:
        """What :meth:`revert` would do, refused alike, nothing written."""
        why = validate.required_text("reason", reason, limit=2000)
        with self.rt.trial() as repo:
            return self._revert(repo, centre_id, why, change_id)

    def reverted(self, centre_id: int) -> set[int]:
        """The centre's stage changes that were reverted (their numbers)."""
        with self.rt.unit() as repo:
            return {
                entry.subject_id
                for entry in repo.corrections.of_centre(centre_id)
                if entry.subject == Subject.STAGE_CHANGE and entry.action == Action.REVERTED
            }

    def _revert(
        self, repo: Repository, centre_id: int, why: str, change_id: int | None
    ) -> Reverted:
        centre = self.rt.centre(repo, centre_id)
        history = repo.history(centre.id)
        change = latest(history, centre.id, self._wanted(repo, change_id))
        names = self.rt.workflow.stages
        held = repo.held_from([centre.id], change.effective).get(centre.id, {})
        not_cutting_through(held, change, names[change.to_stage].name)
        back = restored(self.rt.workflow, centre, history[:-1], change)
        if (centre.stage, centre.stage_since) != (change.to_stage, change.effective) or not (
            repo.restore_stage(centre, back.stage, back.stage_since, back.resume_stage)
        ):
            raise Refused("die Einrichtung wurde gleichzeitig geändert; bitte erneut versuchen")
        moved = replace(
            centre, stage=back.stage, stage_since=back.stage_since, resume_stage=back.resume_stage
        )
        entry = self._entry(repo, centre, moved, change, why)
        done = Reverted(change, moved, entry)
        self._replan(repo, moved, change, done)
        self._mails(repo, moved, change, done)
        return done

    def _wanted(self, repo: Repository, change_id: int | None) -> int | None:
        """The change asked for; refused if it was reverted already."""
        if change_id is not None and repo.corrections.of_subject(Subject.STAGE_CHANGE, change_id):
            raise Refused(f"Stufenwechsel {change_id} ist schon zurückgenommen")
        return change_id

    def _entry(
        self, repo: Repository, centre: Centre, moved: Centre, change: StageChange, why: str
    ) -> Correction:
        """The audit entry: the stage and its first day, before and after."""
        assert change.id is not None
        entry = Correction(
            Subject.STAGE_CHANGE,
            change.id,
            centre.id,
            Action.REVERTED,
            self.rt.actor,
            self.rt.clock.now(),
            {"stage": centre.stage, "stage_since": plain(centre.stage_since)},
            {"stage": moved.stage, "stage_since": plain(moved.stage_since)},
            why,
        )
        return replace(entry, id=repo.corrections.add(entry))

    def _replan(
        self, repo: Repository, centre: Centre, change: StageChange, done: Reverted
    ) -> None:
        """The earlier stage's sessions and visits the change cancelled (from today on) are
        planned again; then the plan of the earlier stage: what the withdrawn stage planned
        from its first day on is cancelled, what is missing is planned."""
        today = self.rt.today()
        back = [a for a in repo.activities.of_centre(centre.id) if _cancelled_by(a, change, today)]
        for activity in back:
            repo.activities.set_status(
                activity.id, ActivityStatus.PLANNED, expected=ActivityStatus.CANCELLED, reason=None
            )
        trail = Trail.read(repo, [centre.id])
        (plan,) = self.planning.replan_many(
            repo,
            [centre],
            today,
            cancel_from=change.effective,
            reason=WITHDRAWN,
            stage_change=True,
            trail=trail,
        )
        again = [a for a in back if a.key not in {c.key for c in plan.cancel}]
        _count(done, plan, again)

    def _mails(self, repo: Repository, centre: Centre, change: StageChange, done: Reverted) -> None:
        """Withdraw the change's unsent notices; tell the centre if it heard of the change,
        the coach if its plan changed."""
        template = self.rt.workflow.transitions[change.trigger].notify
        keys = {f"{template}:{change.id}:{role}" for role in NOTIFIED} if template else set()
        unsent = [
            row
            for role in NOTIFIED
            for row in repo.outbox.unsent(centre.id, role)
            if row.key in keys
        ]
        done.withdrawn_mails = repo.outbox.withdraw(unsent, WITHDRAWN)
        told = repo.outbox.existing({k for k in keys if k.endswith(f":{Recipient.CENTRE}")})
        wanted = [Recipient.CENTRE] if told else []
        if centre.coach_id is not None and (done.cancelled or done.planned):
            wanted.append(Recipient.COACH)
        mails = [self._mail(repo, centre, change, role) for role in wanted]
        repo.outbox.add(mails, done.entry.recorded_at)
        done.mailed = wanted

    def _mail(
        self,
        repo: Repository,
        centre: Centre,
        change: StageChange,
        role: Recipient,
    ) -> NewMail:
        """The notice of the withdrawal to ``role`` (the office's reason stays internal)."""
        names = self.rt.workflow.stages
        coach = None if centre.coach_id is None else repo.coach(centre.coach_id)
        context = {
            "centre": centre,
            "coach": coach,
            "stage": names[centre.stage],
            "withdrawn_stage": names[change.to_stage],
            "effective": change.effective,
        }
        key = f"{TEMPLATE}:{change.id}:{role}"
        return self.rt.compose(key, TEMPLATE, TEMPLATE, role, context, self.rt.clock.now())


def _cancelled_by(activity: Activity, change: StageChange, today: date) -> bool:
    """A session or visit of the earlier stage the change cancelled, from today on."""
    return (
        activity.status == ActivityStatus.CANCELLED
        and activity.stage == change.from_stage
        and activity.recorded_at == change.recorded_at
        and activity.date >= today
        and activity.key.startswith(PLANNER_PREFIXES)
    )


def _count(done: Reverted, plan: PlanChanges, again: list[Activity]) -> None:
    """The sessions and visits cancelled and planned anew, each kind with the first day."""
    done.cancelled.update(a.kind for a in plan.cancel)
    done.planned.update(a.kind for a in again)
    done.planned.update(p.kind for p in plan.insert)
    cancelled = [a.date for a in plan.cancel]
    planned = [a.date for a in again] + [p.date for p in plan.insert]
    done.cancelled_from = min(cancelled) if cancelled else None
    done.planned_from = min(planned) if planned else None
