"""The lifecycle: stage changes, who may take the next step, the audit trail."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, CentreSort, Recipient
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused, UserError
from thekiz_flow.core.history import episode_start, facts_as_of
from thekiz_flow.core.ids import unknown
from thekiz_flow.core.labels import HELD_NOUNS
from thekiz_flow.core.model import (
    Centre,
    CentreFacts,
    CentreQuery,
    StageChange,
    Transition,
    Verdict,
    Workflow,
)
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.core.recommend import describe_unmet, unmet_trainings
from thekiz_flow.service.planning import PlanningService, Trail
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

NOTIFIED = (Recipient.CENTRE, Recipient.OFFICE)  # who hears of a stage change
BATCH = 1000  # centres checked, moved and re-planned at a time
BATCH_FIELDS = ("all_in_stage",)  # the field a message on choosing centres names


@dataclass(frozen=True)
class Skipped:
    """A centre a batch left as it was, and why."""

    centre_id: int
    error: UserError

    @property
    def reason(self) -> str:
        return str(self.error)


@dataclass
class BatchReport:
    """What a stage change of many centres did: the changes made, the centres skipped."""

    changes: list[StageChange] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class Effects:
    """What stage changes do besides the change itself: sessions and visits cancelled (by
    kind, with the first day they are cancelled from), training places given up, notices."""

    cancelled: Counter[ActivityKind] = field(default_factory=Counter)
    cancelled_from: date | None = None
    released: int = 0
    notices: list[tuple[Recipient, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Preview:
    """What a stage change would do, computed in a transaction that is rolled back."""

    report: BatchReport
    effects: Effects

    def lines(self) -> list[str]:
        """The effects as German sentences, for a confirmation."""
        e = self.effects
        lines = []
        day = "" if e.cancelled_from is None else f" ab {german.short_date(e.cancelled_from)}"
        for kind, n in sorted(e.cancelled.items()):
            noun = HELD_NOUNS.get(kind, ("Termin", "Termine"))[n != 1]
            lines.append(f"{n} {noun}{day} {'wird' if n == 1 else 'werden'} abgesagt.")
        if e.released:
            what = "Fortbildungsplatz wird" if e.released == 1 else "Fortbildungsplätze werden"
            lines.append(f"{e.released} {what} freigegeben.")
        if not e.cancelled and self.report.changes:
            lines.append("Keine geplanten Termine werden abgesagt.")
        centres = sum(role == Recipient.CENTRE for role, _ in e.notices)
        office = sum(role == Recipient.OFFICE for role, _ in e.notices)
        first = self.report.changes[0] if self.report.changes else None
        note = f" mit Ihrem Hinweis: „{first.centre_note}“" if first and first.centre_note else ""
        if centres == 1:
            lines.append(f"Die Einrichtung erhält eine E-Mail{note}.")
        elif centres:
            lines.append(f"{centres} Einrichtungen erhalten eine E-Mail{note}.")
        if centres and first and first.reason:
            lines.append("Die Begründung bleibt intern; keine Einrichtung erhält sie.")
        if office:
            lines.append("Die Fachstelle erhält eine Nachricht.")
        return lines


@dataclass(frozen=True)
class _Request:
    """One trigger fired for a batch: what the change of every centre in it shares."""

    transition: Transition
    day: date
    now: datetime
    actor: str
    reason: str | None
    force: bool
    note: str | None  # for the centre's mail

    def move(self, centre: Centre, verdict: Verdict) -> tuple[StageChange, Centre, str | None]:
        """(change, centre before, stage to remember), as the repository records them."""
        change = StageChange(
            centre.id,
            self.transition.trigger,
            centre.stage,
            verdict.dest,
            self.day,
            self.now,
            self.actor,
            self.reason,
            forced=self.force and not verdict.allowed,
            centre_note=self.note,
        )
        return change, centre, centre.stage if self.transition.remember else None


def change_context(workflow: Workflow, change: StageChange, centre: Centre) -> dict[str, object]:
    """What the mail of a stage change is written from (its ``notify`` template)."""
    names = workflow.stages
    return {
        "centre": centre,
        "from_stage": names[change.from_stage],
        "to_stage": names[change.to_stage],
        "effective": change.effective,
        "reason": change.reason,
        "centre_note": change.centre_note,
    }


@dataclass(frozen=True)
class Eligibility:
    centre: Centre
    trigger: str
    eligible: bool
    missing: tuple[str, ...]
    recommendations: tuple[str, ...] = ()  # trainings the stage expects, not taken up yet


def not_cutting_through(held: Mapping[ActivityKind, tuple[int, date]], day: date) -> None:
    """Refuse a stage change from ``day`` on if sessions or site visits were held on that
    day or later (``held``: kind -> (how many, the last day)): they would fall into the new
    stage. Not even --force overrides this: the record stays whole."""
    if not held:
        return
    counts = [f"{n} {HELD_NOUNS[kind][n != 1]}" for kind, (n, _) in sorted(held.items())]
    verb = "wurde" if sum(n for n, _ in held.values()) == 1 else "wurden"
    earliest = max(last for _, last in held.values()) + timedelta(days=1)
    raise Refused(
        f"{' und '.join(counts)} {verb} am {german.short_date(day)} oder später gehalten; "
        f"der Wechsel kann frühestens am {german.short_date(earliest)} gelten"
    )


def _moved(centre: Centre, change: StageChange, resume_stage: str | None) -> Centre:
    """The centre as the stage change left it."""
    return replace(
        centre, stage=change.to_stage, stage_since=change.effective, resume_stage=resume_stage
    )


class LifecycleService:
    def __init__(self, rt: Runtime, planning: PlanningService) -> None:
        self.rt = rt
        self.planning = planning

    def history(self, centre_id: int) -> list[StageChange]:
        """A centre's stage changes as recorded, those reverted too (the audit trail)."""
        with self.rt.unit() as repo:
            self.rt.centre(repo, centre_id)
            return repo.recorded_history(centre_id)

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
        *,
        note: str | None = None,
    ) -> StageChange:
        """Fire a trigger: new stage, audit row and the new plan, in one transaction.

        ``reason`` stays internal (the audit trail, the office's notice); ``note`` is the
        office's word to the centre, which its mail carries."""
        report = self.advance_many([centre_id], trigger, on, reason, force, note=note)
        if report.skipped:
            raise report.skipped[0].error
        return report.changes[0]

    def advance_many(
        self,
        centre_ids: Sequence[int],
        trigger: str,
        on: date | None = None,
        reason: str | None = None,
        force: bool = False,
        *,
        in_stage: str | None = None,
        note: str | None = None,
    ) -> BatchReport:
        """Fire a trigger for many centres (or every centre in ``in_stage``) in one transaction.

        Each centre is checked through the shared machine as :meth:`advance` checks one.
        A centre the trigger may not move (a guard not met, a stage it cannot leave that
        way, an effective day before its stage began) is skipped and reported with the
        reason; so is one that held sessions or site visits on the effective day or later,
        even with ``force``. The others change, with audit rows, new plans and notices. Bad
        input (an unknown trigger or centre, a day in the future, --force without --reason,
        nothing selected) is refused before anything is written.
        """
        request, stage = self._request(trigger, on, reason, force, in_stage, note)
        with self.rt.unit() as repo:
            return self._advance(repo, centre_ids, request, stage, Effects())

    def preview(
        self,
        centre_ids: Sequence[int],
        trigger: str,
        on: date | None = None,
        reason: str | None = None,
        force: bool = False,
        *,
        in_stage: str | None = None,
        note: str | None = None,
    ) -> Preview:
        """What :meth:`advance_many` would do with the same input, nothing written: the
        changes and the centres skipped (with the reasons), the sessions and visits
        cancelled, the training places given up and who is told. The same checks refuse
        bad input."""
        request, stage = self._request(trigger, on, reason, force, in_stage, note)
        effects = Effects()
        with self.rt.trial() as repo:
            report = self._advance(repo, centre_ids, request, stage, effects)
        return Preview(report, effects)

    def _request(
        self,
        trigger: str,
        on: date | None,
        reason: str | None,
        force: bool,
        in_stage: str | None,
        note: str | None,
    ) -> tuple[_Request, str | None]:
        day = self.rt.on(on)
        why = validate.text("reason", reason, required=False, limit=2000)
        told = validate.text("centre_note", note, required=False, limit=2000)
        if force and why is None:
            raise InvalidInput("reason", "{force} braucht eine Begründung", ("force",))
        transition = self.rt.rules.known(trigger)
        stage = None if in_stage is None else self.rt.stage_id(in_stage, "all_in_stage")
        request = _Request(transition, day, self.rt.clock.now(), self.rt.actor, why, force, told)
        return request, stage

    def _advance(
        self,
        repo: Repository,
        centre_ids: Sequence[int],
        request: _Request,
        stage: str | None,
        effects: Effects,
    ) -> BatchReport:
        report = BatchReport()
        selected = self._selected(repo, centre_ids, stage)
        for start in range(0, len(selected), BATCH):
            part = selected[start : start + BATCH]
            ids = [c.id for c in part]
            trail, later = Trail.read(repo, ids), repo.held_from(ids, request.day)
            moves = self._checked(part, trail, later, request, report)
            stored = repo.record_changes(moves)
            if stored is None:
                raise Refused("die Einrichtung wurde gleichzeitig geändert; bitte erneut versuchen")
            trail.record(stored)
            moved = [_moved(centre, change, resume) for change, centre, resume in moves]
            self._after_changes(repo, stored, moved, trail, effects)
            report.changes += stored
        return report

    def _selected(
        self, repo: Repository, centre_ids: Sequence[int], stage: str | None
    ) -> list[Centre]:
        """The centres of a batch, each once, in the order given (by number for a stage)."""
        if stage is not None:
            if centre_ids:
                raise InvalidInput(
                    None, "entweder Nummern oder {all_in_stage} angeben, nicht beides", BATCH_FIELDS
                )
            in_stage = repo.centres(stage=stage)
            if not in_stage:
                name = self.rt.workflow.stage(stage).name
                raise NotFound(f"keine Einrichtung in der Stufe {name}", "all_in_stage")
            return in_stage
        if not centre_ids:
            raise InvalidInput(
                None, "keine Einrichtung angegeben (Nummern oder {all_in_stage})", BATCH_FIELDS
            )
        wanted = list(dict.fromkeys(centre_ids))
        found = repo.centres_by_id(wanted)
        for centre_id in wanted:
            if centre_id not in found:
                raise unknown("centre", centre_id)
        return [found[centre_id] for centre_id in wanted]

    def _checked(
        self,
        centres: Sequence[Centre],
        trail: Trail,
        later: Mapping[int, Mapping[ActivityKind, tuple[int, date]]],
        request: _Request,
        report: BatchReport,
    ) -> list[tuple[StageChange, Centre, str | None]]:
        """The moves the machine allows, with the guards read from the centres' trail, that
        cut through no activity held on the effective day or ``later``; the centres refused
        go to the report."""
        moves = []
        for centre in centres:
            history, held = trail.history(centre.id), trail.visits_of(centre.id)
            facts = facts_as_of(centre, history, held, request.day)
            try:
                verdict = self._fire(request.transition.trigger, facts, request.force)
                not_cutting_through(later.get(centre.id, {}), request.day)
            except (InvalidInput, Refused) as refused:
                report.skipped.append(Skipped(centre.id, refused))
                continue
            moves.append(request.move(centre, verdict))
        return moves

    def _fire(self, trigger: str, facts: CentreFacts, force: bool) -> Verdict:
        stage_since = facts.centre.stage_since
        if facts.on < stage_since:
            raise InvalidInput(
                "on",
                f"{german.short_date(facts.on)} liegt vor dem Beginn der aktuellen Stufe "
                f"({german.short_date(stage_since)})",
            )
        return self.rt.rules.fire(trigger, facts, force)

    def _after_changes(
        self,
        repo: Repository,
        changes: Sequence[StageChange],
        moved: Sequence[Centre],
        trail: Trail,
        effects: Effects,
    ) -> None:
        """Re-plan (``trail`` holds the changes already), which also brings the derived dates
        up to date; a centre that leaves the active stages gives up its training seats; the
        notices go to the outbox."""
        if not changes:
            return
        names = self.rt.workflow.stages
        today = self.rt.today()
        groups: dict[tuple[str, str, date], list[Centre]] = defaultdict(list)
        for change, centre in zip(changes, moved, strict=True):
            groups[(change.from_stage, change.to_stage, change.effective)].append(centre)
        for (source, dest, effective), centres in groups.items():
            reason = self._change_reason(source, dest)
            plans = self.planning.replan_many(
                repo,
                centres,
                today,
                cancel_from=effective,
                reason=reason,
                stage_change=True,
                trail=trail,
            )
            for plan in plans:
                effects.cancelled.update(a.kind for a in plan.cancel)
                for activity in plan.cancel:
                    first = effects.cancelled_from
                    effects.cancelled_from = min(first or activity.date, activity.date)
            if not names[dest].active:
                ids = [c.id for c in centres]
                effects.released += self._places(repo, ids, max(effective, today))
                repo.trainings.release(ids, max(effective, today), reason)
        mails = [
            mail
            for change, centre in zip(changes, moved, strict=True)
            for mail in self._notices(change, centre)
        ]
        effects.notices += [(mail.role, mail.recipient) for mail in mails]
        repo.outbox.add(mails, changes[0].recorded_at)

    @staticmethod
    def _places(repo: Repository, centre_ids: Sequence[int], first: date) -> int:
        """The centres' training seats and waiting places from ``first`` on."""
        held = (ActivityStatus.PLANNED, ActivityStatus.WAITING)
        enrolments = repo.trainings.of_centres(centre_ids)
        return sum(
            status in held and day >= first
            for rows in enrolments.values()
            for _, status, day in rows
        )

    def _change_reason(self, source: str, dest: str) -> str:
        names = self.rt.workflow.stages
        return f"Stufenwechsel {names[source].name} → {names[dest].name}"

    def _notices(self, change: StageChange, centre: Centre) -> list[NewMail]:
        """The centre and the office hear of the change: outbox rows in the same transaction."""
        template = self.rt.workflow.transitions[change.trigger].notify
        if template is None or change.id is None:
            return []
        context = change_context(self.rt.workflow, change, centre)
        return [
            self.rt.compose(
                f"{template}:{change.id}:{role}",
                template,
                template,
                role,
                context,
                change.recorded_at,
            )
            for role in NOTIFIED
        ]

    def _step(
        self, facts: CentreFacts, enrolments: Sequence[tuple[str, str, date]]
    ) -> Eligibility | None:
        transition = self.rt.workflow.forward_from(facts.centre.stage)
        if transition is None:
            return None
        verdict = self.rt.rules.check(transition.trigger, facts)
        start = episode_start(facts, self.rt.workflow)
        unmet = unmet_trainings(self.rt.workflow, facts.centre.stage, start, enrolments, facts.on)
        advice = tuple(describe_unmet(self.rt.workflow, k, d, facts.on) for k, d in unmet)
        return Eligibility(
            facts.centre, transition.trigger, verdict.allowed, verdict.missing, advice
        )

    def _steps(
        self,
        centres: Sequence[Centre],
        trail: Trail,
        enrolments: Mapping[int, Sequence[tuple[str, str, date]]],
        day: date,
    ) -> list[Eligibility]:
        """Each centre's next step on ``day``, checked against the rules from its trail."""
        steps = (
            self._step(
                facts_as_of(c, trail.history(c.id), trail.visits_of(c.id), day),
                enrolments.get(c.id, []),
            )
            for c in centres
        )
        return [step for step in steps if step is not None]

    def eligible(self, on: date | None = None) -> list[Eligibility]:
        """For each centre with a next step: whether it may take it, and what is missing."""
        day = on or self.rt.today()
        with self.rt.unit() as repo:
            centres = [c for c in repo.centres() if self.rt.workflow.forward_from(c.stage)]
            trail = Trail.read(repo, None)  # every centre's, in one read each
            enrolments = repo.trainings.of_centres()
        return self._steps(centres, trail, enrolments, day)

    def eligible_page(
        self, on: date | None, offset: int, limit: int | None
    ) -> tuple[list[Eligibility], int]:
        """``limit`` entries of ``eligible`` from ``offset`` on (None: all), and how many it
        has: only the page's centres are read and checked."""
        day = on or self.rt.today()
        stages = [s for s in self.rt.workflow.stages if self.rt.workflow.forward_from(s)]
        query = CentreQuery(among=stages, sort=CentreSort.ID, offset=offset, limit=limit)
        with self.rt.unit() as repo:
            centres, total = repo.find_centres(query)
            ids = [c.id for c in centres]
            trail, enrolments = Trail.read(repo, ids), repo.trainings.of_centres(ids)
        return self._steps(centres, trail, enrolments, day), total

    def allowed(
        self, on: date | None = None, limit: int | None = None
    ) -> tuple[list[Eligibility], int]:
        """The first ``limit`` (None: all) centres that may take their next step on ``on``
        (default today), in the order of ``eligible``, and how many may in all.

        Reads the centres by their stored ``next_step_on`` (its index) and counts them in
        SQL; only the centres shown are checked against the rules (for what they still need
        and the trainings they should take). ``next_step_on`` is kept at every event that
        moves it (`Runtime.refresh`), as of the day it was written and never earlier than that
        day: for a day before today every centre's history is read instead."""
        day = on or self.rt.today()
        if day < self.rt.today():
            found = [e for e in self.eligible(day) if e.eligible]
            return (found if limit is None else found[:limit]), len(found)
        stages = [s for s in self.rt.workflow.stages if self.rt.workflow.forward_from(s)]
        with self.rt.unit() as repo:
            centres, total = repo.centres_allowed_by(day, stages, limit)
            ids = [c.id for c in centres]
            trail, enrolments = Trail.read(repo, ids), repo.trainings.of_centres(ids)
        return self._steps(centres, trail, enrolments, day), total

    def next_step(self, centre_id: int, on: date | None = None) -> Eligibility | None:
        """The centre's next step in the programme, if it has one, and what it still needs."""
        day = on or self.rt.today()
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            enrolments = repo.trainings.of_centres([centre.id]).get(centre.id, [])
            return self._step(self._facts(repo, centre, day), enrolments)
