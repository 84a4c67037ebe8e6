"""Correcting what was recorded: a held session's date, hours and note; a held session or
site visit cancelled as a mistake. Each correction writes one entry of the audit trail of
corrections in the same transaction, with who, when, the changed fields and why."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from thekiz_flow.core import german, validate
from thekiz_flow.core.corrections import (
    MISTAKE,
    VOID_BY_COACH,
    Action,
    ByCoach,
    Correction,
    Subject,
    changed,
    coach_refusal,
)
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, Refused
from thekiz_flow.core.labels import STATUS_NAMES
from thekiz_flow.core.model import Activity
from thekiz_flow.core.planning import PLANNER_PREFIXES
from thekiz_flow.service.planning import PlanningService
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.service.sessions import MAX_HOURS, SessionService
from thekiz_flow.store.repository import Repository

MAX_RATE = Decimal("1000")  # a coach's hourly rate at most
KEY_LENGTH = 120  # activities.key
#: What a correction of a held session may change.
SESSION_FIELDS = ("date", "hours", "note", "rate")


@dataclass(frozen=True)
class Entry:
    """An entry of a centre's record with what it is about: the activity's kind and its
    date before the entry (None for other subjects)."""

    correction: Correction
    kind: ActivityKind | None = None
    day: date | None = None


def audit(
    rt: Runtime,
    repo: Repository,
    subject: tuple[Subject, int, int | None],
    action: Action,
    before: dict[str, object],
    after: dict[str, object],
    reason: str | None = None,
) -> Correction | None:
    """Write the entry of a change of (subject, its id, its centre) from ``before`` to
    ``after`` (only the fields that differ), in the caller's transaction; None if nothing
    differs."""
    old, new = changed(before, after)
    if not new:
        return None
    kind, ident, centre_id = subject
    entry = Correction(kind, ident, centre_id, action, rt.actor, rt.clock.now(), old, new, reason)
    return replace(entry, id=repo.corrections.add(entry))


class CorrectionService:
    def __init__(self, rt: Runtime, planning: PlanningService, sessions: SessionService) -> None:
        self.rt = rt
        self.planning = planning
        self.sessions = sessions

    def _held(self, repo: Repository, activity_id: int, kind: ActivityKind) -> Activity:
        found = self.sessions.activity(repo, activity_id, kind)
        if found.status != ActivityStatus.HELD:
            raise Refused(
                f"Termin {activity_id} ist nicht gehalten ({STATUS_NAMES[found.status]}): "
                "nur Gehaltenes wird korrigiert oder storniert"
            )
        return found

    def correct_session(
        self,
        activity_id: int,
        reason: str,
        day: date | None = None,
        hours: str | None = None,
        note: str | None = None,
        rate: str | None = None,
        by: ByCoach | None = None,
    ) -> tuple[Activity, Correction]:
        """A held session's date, hours, note or rate (None: unchanged; note "": none), with
        a reason. The date stays in the stay in the stage the session belongs to. ``by``: a
        coach asks (the web), else the office (the CLI)."""
        why = validate.required_text("reason", reason, limit=2000)
        values: dict[str, object] = {}
        if day is not None:
            values["date"] = self.sessions.past(day)
        if hours is not None:
            values["hours"] = validate.amount("hours", hours, maximum=MAX_HOURS)
        if note is not None:
            values["note"] = validate.lines("note", note)
        if rate is not None:
            values["rate"] = validate.amount("rate", rate, maximum=MAX_RATE, unit="€")
        if not values:
            raise InvalidInput(
                None, "nichts zu korrigieren ({date}, {hours}, {note} oder {rate})", SESSION_FIELDS
            )
        with self.rt.unit() as repo:
            session = self._held(repo, activity_id, ActivityKind.COACHING)
            self._coach_may(repo, session, by)
            if day is not None and day != session.date:
                self._same_stay(repo, session, day)
            before = {name: getattr(session, name) for name in values}
            entry = audit(
                self.rt,
                repo,
                (Subject.ACTIVITY, session.id, session.centre_id),
                Action.CORRECTED,
                before,
                values,
                why,
            )
            if entry is None:
                raise InvalidInput(None, f"Termin {session.id} hat diese Werte schon")
            repo.activities.update(session.id, **{name: values[name] for name in entry.after})
            corrected = repo.activities.get(session.id)
            assert corrected is not None
            return corrected, entry

    def _coach_may(self, repo: Repository, session: Activity, by: ByCoach | None) -> None:
        if by is not None:
            recorded = repo.activities.held_since(session.id)
            refusal = coach_refusal(by, session.coach_id, recorded, self.rt.clock.now())
            if refusal is not None:
                raise Refused(refusal)

    def refusal(self, activity_id: int, by: ByCoach | None) -> str | None:
        """Why a correction of the held session would be refused to ``by`` before anything
        is typed (a page shows it instead of the form), or None."""
        with self.rt.unit() as repo:
            try:
                self._coach_may(repo, self._held(repo, activity_id, ActivityKind.COACHING), by)
            except Refused as refused:
                return str(refused.message)
        return None

    def _same_stay(self, repo: Repository, session: Activity, day: date) -> None:
        """``day`` lies in the centre's time in the stage the session belongs to."""
        centre = self.rt.centre(repo, session.centre_id)
        stage = self.sessions.stage_held(repo, centre, day, session.kind)
        if stage != session.stage:
            names = self.rt.workflow.stages
            raise InvalidInput(
                "date",
                f"Am {german.short_date(day)} war die Einrichtung {centre.id} in der Stufe "
                f"{names[stage].name}, der Termin gehört zur Stufe {names[session.stage].name}",
            )

    def void_session(
        self, activity_id: int, reason: str, by: ByCoach | None = None
    ) -> tuple[Activity, Correction]:
        """A held session cancelled as a mistake; the plan puts one back where it asks.
        Only the office (``by`` None) may."""
        return self._void(activity_id, reason, ActivityKind.COACHING, by)

    def void_visit(
        self, activity_id: int, reason: str, by: ByCoach | None = None
    ) -> tuple[Activity, Correction]:
        """A held site visit cancelled as a mistake; the plan puts one back where it asks.
        Only the office (``by`` None) may."""
        return self._void(activity_id, reason, ActivityKind.SITE_VISIT, by)

    def _void(
        self, activity_id: int, reason: str, kind: ActivityKind, by: ByCoach | None
    ) -> tuple[Activity, Correction]:
        if by is not None:
            raise Refused(VOID_BY_COACH)
        why = validate.required_text("reason", reason, limit=2000)
        with self.rt.unit() as repo:
            held = self._held(repo, activity_id, kind)
            values: dict[str, object] = {"reason": f"{MISTAKE}: {why}"}
            if held.key.startswith(PLANNER_PREFIXES):  # its place in the plan is free again
                values["key"] = f"void:{held.id}:{held.key}"[:KEY_LENGTH]
            cancelled = ActivityStatus.CANCELLED
            if not repo.activities.set_status(
                held.id, cancelled, expected=ActivityStatus.HELD, **values
            ):
                raise Refused(f"Termin {held.id} wurde gleichzeitig geändert")
            entry = audit(
                self.rt,
                repo,
                (Subject.ACTIVITY, held.id, held.centre_id),
                Action.VOIDED,
                {"status": held.status.value},
                {"status": ActivityStatus.CANCELLED.value},
                why,
            )
            assert entry is not None
            centre = self.rt.centre(repo, held.centre_id)
            if self.planning.active(centre):
                self.planning.replan(repo, centre, self.rt.today())
            else:
                self.rt.refresh(repo, centre.id)
            return replace(held, status=cancelled, reason=str(values["reason"])), entry

    def of_centre(self, centre_id: int) -> list[Entry]:
        """The corrections of a centre's record, in the order recorded, each with what it is
        about (an activity by its date before the entry)."""
        with self.rt.unit() as repo:
            self.rt.centre(repo, centre_id)
            found = repo.corrections.of_centre(centre_id)
            ids = {c.subject_id for c in found if c.subject == Subject.ACTIVITY}
            about = {i: a for i in ids if (a := repo.activities.get(i)) is not None}
        running = {i: a.date for i, a in about.items()}  # walked back from today's dates
        entries: list[Entry] = []
        for correction in reversed(found):
            activity = about.get(correction.subject_id)
            if correction.subject != Subject.ACTIVITY or activity is None:
                entries.append(Entry(correction))
                continue
            earlier = correction.before.get("date")
            if isinstance(earlier, str):
                running[activity.id] = date.fromisoformat(earlier)
            entries.append(Entry(correction, activity.kind, running[activity.id]))
        return entries[::-1]
