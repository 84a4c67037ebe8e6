"""Keeping the register: coaches and centres, one by one or from a CSV file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from thekiz_flow.core import german, paging, validate
from thekiz_flow.core.corrections import Action, Subject
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, CentreSort, Recipient
from thekiz_flow.core.errors import Field, InvalidInput, NotFound, RowProblem, RowsRefused
from thekiz_flow.core.ids import id_in_range, unknown
from thekiz_flow.core.lists import CoachQuery
from thekiz_flow.core.model import (
    IMPORT_TRIGGER,
    NO_COACH,
    Activity,
    ActivityFilter,
    Centre,
    CentreEdit,
    CentreInput,
    CentrePage,
    CentreQuery,
    CentreSearch,
    Coach,
    NewCentre,
    StageChange,
)
from thekiz_flow.core.planning import PlanChanges
from thekiz_flow.core.rates import Rate, in_force
from thekiz_flow.core.reminders import activity_of
from thekiz_flow.service.corrections import MAX_RATE, audit
from thekiz_flow.service.csvfiles import Table, parse_centres, read_bytes
from thekiz_flow.service.invitations import INVITATION_RULES
from thekiz_flow.service.planning import PlanningService
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

EARLIEST = date(2000, 1, 1)  # a rate without a known start is in force since then
IMPORT_REASON = "Übernahme der bestehenden Stufe"
WITHDRAWN_REASON = "zurückgezogen: die Einrichtung hat eine andere Prozessbegleitung"
#: What ``update_centre`` changes: the fields of a ``CentreEdit``.
CHANGEABLE: tuple[Field, ...] = ("name", "district", "email", "carrier", "weekday", "coach")
#: What ``update_coach`` changes.
COACH_FIELDS: tuple[Field, ...] = ("name", "email", "rate")


@dataclass(frozen=True)
class Reassignment:
    """A centre's new coach (None: none) and what followed them."""

    coach: Coach | None
    moved: int = 0  # sessions and site visits handed over
    withdrawn: int = 0  # reminders to the former coach withdrawn

    def summary(self) -> str:
        """Prozessbegleitung: Lena Sommer (lena@example.org); 5 geplante Termine ..."""
        coach = "keine" if self.coach is None else f"{self.coach.name} ({self.coach.email})"
        return (
            f"Prozessbegleitung: {coach}; {self.moved} geplante Termine übergeben, "
            f"{self.withdrawn} Erinnerungen zurückgezogen."
        )


class RegistryService:
    def __init__(self, rt: Runtime, planning: PlanningService) -> None:
        self.rt = rt
        self.planning = planning

    def add_coach(self, name: str, email: str, rate: str) -> int:
        checked_name = validate.required_text("name", name)
        checked_email = validate.email("email", email)
        checked_rate = validate.amount("rate", rate, maximum=MAX_RATE, unit="€")
        with self.rt.unit() as repo:
            if repo.coach_by_email(checked_email) is not None:
                raise InvalidInput("email", f"Prozessbegleitung mit {checked_email} gibt es schon")
            now = self.rt.clock.now()
            coach_id = repo.add_coach(checked_name, checked_email, checked_rate, now)
            repo.rates.add(Rate(coach_id, checked_rate, EARLIEST, now, self.rt.actor))
            return coach_id

    def coaches(self, active_only: bool = False) -> list[Coach]:
        """Every coach, or only those offered for a centre (not deactivated)."""
        with self.rt.unit() as repo:
            return [c for c in repo.coaches() if c.active or not active_only]

    def coaches_by_id(self, coach_ids: Sequence[int]) -> dict[int, Coach]:
        """The coaches of those numbers (a page's few), by number."""
        with self.rt.unit() as repo:
            return repo.coaches_by_id(coach_ids)

    def coach_choices(
        self, text: str, limit: int, active_only: bool = False
    ) -> tuple[list[Coach], int]:
        """The first ``limit`` coaches whose name or e-mail address contains ``text`` (every
        coach for blank), by name, only those not deactivated if ``active_only``, and how
        many it finds: one page, read by the store. A search with control characters or
        longer than 200 characters is refused (``coach_search``)."""
        query = CoachQuery(
            active=True if active_only else None,
            text=validate.text("coach_search", text, required=False),
            offset=0,
            limit=limit,
        )
        with self.rt.unit() as repo:
            found, total = repo.find_coaches(query)
            return [coach for coach, _ in found], total

    def coach(self, coach_id: int) -> tuple[Coach, list[Centre]]:
        """A coach and the centres assigned to them."""
        with self.rt.unit() as repo:
            coach = self._coach_by_id(repo, coach_id)
            return coach, repo.centres_of_coach(coach.id)

    @staticmethod
    def _coach_by_id(repo: Repository, coach_id: int, lock: bool = False) -> Coach:
        found = repo.coach(coach_id, lock)
        if found is None:
            raise unknown("coach", coach_id)
        return found

    def update_coach(
        self,
        coach_id: int,
        name: str | None = None,
        email: str | None = None,
        rate: str | None = None,
        *,
        valid_from: date | None = None,
        reason: str | None = None,
    ) -> Coach:
        """A coach's new name, e-mail address or hourly rate (None: unchanged). A new rate is
        in force from ``valid_from`` (default: today) on: sessions held from that day on are
        recorded with it, and those still planned take it; those recorded keep theirs."""
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = validate.required_text("name", name)
        if email is not None:
            values["email"] = validate.email("email", email)
        if rate is not None:
            values["rate"] = validate.amount("rate", rate, maximum=MAX_RATE, unit="€")
        elif valid_from is not None:
            raise InvalidInput("valid_from", "nur zusammen mit einem neuen {rate}", ("rate",))
        why = validate.text("reason", reason, required=False, limit=2000)
        if not values:
            raise InvalidInput(None, "nichts zu ändern ({name}, {email} oder {rate})", COACH_FIELDS)
        with self.rt.unit() as repo:
            coach = self._coach_by_id(repo, coach_id)
            address = values.get("email")
            if isinstance(address, str):
                other = repo.coach_by_email(address)
                if other is not None and other.id != coach.id:
                    raise InvalidInput("email", f"Prozessbegleitung mit {address} gibt es schon")
            before = {name: getattr(coach, name) for name in values}
            after, columns = dict(values), dict(values)
            day = self.rt.today() if valid_from is None else valid_from
            new = values.get("rate")
            if isinstance(new, Decimal) and self._rate_on(repo, coach, day) != new:
                before["rate"], columns["rate"] = self._new_rate(repo, coach, new, day)
                after["valid_from"] = day
            else:  # the rate in force on that day: nothing to record
                for fields in (before, after, columns):
                    fields.pop("rate", None)
            if columns:
                repo.update_coach(coach.id, columns)
            audit(self.rt, repo, (Subject.COACH, coach.id, None), Action.EDITED, before, after, why)
            return self._coach_by_id(repo, coach.id)

    @staticmethod
    def _rate_on(repo: Repository, coach: Coach, day: date) -> Decimal:
        found = in_force(repo.rates.of_coach(coach.id), day)
        return coach.rate if found is None else found.rate

    def _new_rate(
        self, repo: Repository, coach: Coach, new: Decimal, day: date
    ) -> tuple[Decimal, Decimal]:
        """Record ``new`` in force from ``day`` on in the coach's rate history; their sessions
        still planned take the rate of their day. Returns the rate that was in force on that
        day before, and the one in force today."""
        now, history = self.rt.clock.now(), repo.rates.of_coach(coach.id)
        earlier = in_force(history, day)
        if not history:  # the rate so far, in force since always
            repo.rates.add(Rate(coach.id, coach.rate, EARLIEST, now, self.rt.actor))
        repo.rates.add(Rate(coach.id, new, day, now, self.rt.actor))
        current = in_force(repo.rates.of_coach(coach.id), self.rt.today())
        assert current is not None
        repo.rates.apply_to_planned([coach.id])
        return (coach.rate if earlier is None else earlier.rate), current.rate

    def rates(self, coach_id: int) -> list[Rate]:
        """A coach's rate history, by the day each is in force from."""
        with self.rt.unit() as repo:
            return repo.rates.of_coach(self._coach_by_id(repo, coach_id).id)

    def deactivate_coach(self, coach_id: int) -> Coach:
        """A coach who no longer works in the programme: offered for no centre, so no new
        sessions are planned for them; their history stays. Refused while centres are still
        assigned to them: those are handed over first, each with its planned sessions.

        The coach's row stays locked from the check to the change, as it does while a centre
        gets them (``_assignable``): an assignment meanwhile waits, and then finds them
        deactivated; one committed first is found here. The web sessions of the coach's
        users end with it; they may not sign in again until the coach is activated."""
        with self.rt.unit() as repo:
            coach = self._coach_by_id(repo, coach_id, lock=True)
            if not coach.active:
                raise InvalidInput(None, f"{coach.name} ist bereits deaktiviert")
            assigned = repo.centres_of_coach(coach.id)
            if assigned:
                names = ", ".join(c.name for c in assigned)
                raise InvalidInput(
                    None,
                    f"{coach.name} begleitet noch {len(assigned)} "
                    f"{'Einrichtung' if len(assigned) == 1 else 'Einrichtungen'} ({names}); "
                    "bitte diese zuerst einer anderen Prozessbegleitung übergeben",
                )
            repo.update_coach(coach.id, {"active": False})
            repo.web_sessions.end_of_coach(coach.id)
            return self._coach_by_id(repo, coach.id)

    def activate_coach(self, coach_id: int) -> Coach:
        """A deactivated coach is offered for centres again (and may sign in again)."""
        with self.rt.unit() as repo:
            coach = self._coach_by_id(repo, coach_id, lock=True)
            if coach.active:
                raise InvalidInput(None, f"{coach.name} ist bereits aktiv")
            repo.update_coach(coach.id, {"active": True})
            return self._coach_by_id(repo, coach.id)

    def _assignable(self, repo: Repository, ref: str, field: Field = "coach") -> Coach:
        """The coach ``ref`` names, if a centre may get them (not deactivated): their row
        locked to the end of the transaction, so that no deactivation slips in between."""
        coach = self.rt.coach(repo, ref, field, lock=True)
        if not coach.active:
            raise InvalidInput(field, f"{coach.name} ist deaktiviert")
        return coach

    # ------------------------------------------------------------------ centres
    def _new_centre(self, repo: Repository, given: CentreInput, on: date) -> NewCentre:
        """The centre's fields are its CSV columns."""
        stage = self.rt.workflow.initial
        if given.stage:
            stage = self.rt.stage_id(given.stage)
        since = validate.day("stage_since", given.stage_since) if given.stage_since else on
        if since > self.rt.today():
            raise InvalidInput("stage_since", f"{german.short_date(since)} liegt in der Zukunft")
        coach = self._assignable(repo, given.coach) if given.coach else None
        resume = self._resume_stage(stage, given.resume_stage or "")
        return NewCentre(
            name=validate.required_text("name", given.name),
            district=self.rt.district(given.district or ""),
            email=validate.email("email", given.email),
            carrier=validate.text("carrier", given.carrier, required=False),
            coach_id=None if coach is None else coach.id,
            stage=stage,
            stage_since=since,
            resume_stage=resume,
        )

    def _resume_stage(self, stage: str, given: str, field: Field = "resume_stage") -> str | None:
        """The stage a centre registered as paused returns to (``resume``): required for a
        paused stage, refused for any other."""
        stages = self.rt.workflow.stages
        into = self.rt.workflow.paused_out_of(stage)
        if not into:
            if given.strip():
                paused = [s.name for s in stages.values() if self.rt.workflow.paused_out_of(s.id)]
                raise InvalidInput(field, f"nur in der Stufe {' oder '.join(paused)}")
            return None
        if not given.strip():
            raise InvalidInput(
                field,
                f"fehlt; eine Einrichtung in der Stufe {stages[stage].name} braucht "
                f"die Stufe, in der sie fortgesetzt wird ({', '.join(into)})",
            )
        return validate.choice(field, given, into, "keine Stufe zum Fortsetzen")

    def _store_centres(self, repo: Repository, rows: Sequence[NewCentre]) -> list[int]:
        now = self.rt.clock.now()
        ids = repo.add_centres(rows, now)
        imported = [
            StageChange(
                i,
                IMPORT_TRIGGER,
                self.rt.workflow.initial,
                r.stage,
                r.stage_since,
                now,
                self.rt.actor,
                IMPORT_REASON,
                forced=True,
            )
            for i, r in zip(ids, rows, strict=True)
            if r.stage != self.rt.workflow.initial
        ]
        if imported:
            repo.add_changes(imported)
        for centre_id in ids:
            self.rt.refresh(repo, centre_id)
        return ids

    def add_centre(self, given: CentreInput, on: date | None = None) -> int:
        day = self.rt.on(on)
        with self.rt.unit() as repo:
            row = self._new_centre(repo, given, day)
            if repo.existing_centres([(row.name, row.district)]):
                raise InvalidInput("name", f"{row.name!r} gibt es in {row.district} schon")
            return self._store_centres(repo, [row])[0]

    def import_centres(self, path: Path) -> list[int]:
        """All rows or none: every bad row is reported with its line number and column."""
        return self.import_centre_file(str(path), read_bytes(path))

    def import_centre_file(self, name: str, data: bytes) -> list[int]:
        """``import_centres`` of a file's bytes: ``name`` names it in the messages."""
        source = name or "Datei"
        return self._import(*parse_centres(data, source), source)

    def _import(self, given: list[tuple[int, CentreInput]], table: Table, source: str) -> list[int]:
        problems = [RowProblem(line, None, message) for line, message in table.unreadable]
        today = self.rt.today()
        with self.rt.unit() as repo:
            checked: list[tuple[int, NewCentre]] = []
            first_line: dict[tuple[str, str], int] = {}
            for line, item in given:
                try:
                    row = self._new_centre(repo, item, today)
                except (InvalidInput, NotFound) as exc:
                    column = table.column(exc.field)
                    problems.append(RowProblem(line, column, exc.worded(table.quoted)))
                    continue
                key = (row.name.casefold(), row.district)
                if key in first_line:
                    duplicate = f"{row.name!r} doppelt (wie Zeile {first_line[key]})"
                    problems.append(RowProblem(line, None, duplicate))
                first_line.setdefault(key, line)
                checked.append((line, row))
            taken = repo.existing_centres((r.name, r.district) for _, r in checked)
            problems += [
                RowProblem(line, None, f"{r.name!r} gibt es in {r.district} schon")
                for line, r in checked
                if (r.name.casefold(), r.district) in taken
            ]
            if problems:
                raise RowsRefused(source, problems)
            return self._store_centres(repo, [row for _, row in checked])

    def centres(self, stage: str | None = None, district: str | None = None) -> list[Centre]:
        stage_id = None if stage is None else self.rt.stage_id(stage)
        district_name = None if district is None else self.rt.district(district)
        with self.rt.unit() as repo:
            return repo.centres(stage_id, district_name)

    def centre_page(
        self, stage: str | None, district: str | None, offset: int, limit: int | None
    ) -> tuple[list[Centre], int]:
        """``limit`` centres from ``offset`` on (None: all), by number, as ``centres`` lists
        them, read and counted by the store; and how many there are."""
        stage_id = None if stage is None else self.rt.stage_id(stage)
        district_name = None if district is None else self.rt.district(district)
        query = CentreQuery(
            stage=stage_id, district=district_name, sort=CentreSort.ID, offset=offset, limit=limit
        )
        with self.rt.unit() as repo:
            return repo.find_centres(query)

    def find_centres(self, search: CentreSearch) -> CentrePage:
        """One page of the centres that match, found and ordered by the database."""
        page = paging.page_number(search.page)
        with self.rt.unit() as repo:
            query = replace(self._query(repo, search), offset=paging.offset(page))
            found, total = repo.find_centres(query)
        return CentrePage(found, total, page, paging.page_count(total))

    def _query(self, repo: Repository, search: CentreSearch) -> CentreQuery:
        """The checked query of the list's first page."""
        return CentreQuery(
            stage=self.rt.stage_id(search.stage, "Stufe") if search.stage else None,
            district=self.rt.district(search.district, "Kreis") if search.district else None,
            coach_id=self._coach_filter(repo, search.coach),
            without_coach=search.coach == NO_COACH,
            text=validate.text("text", search.text, required=False),
            sort=validate.choice("sort", search.sort, CentreSort, "unbekannte Sortierung"),
            stages=list(self.rt.workflow.stages),
            offset=0,
            limit=paging.size(),
        )

    def export_centres(self, search: CentreSearch) -> list[Centre]:
        """Every centre the list finds with ``search`` (its page aside), in its order."""
        with self.rt.unit() as repo:
            query = self._query(repo, search)
            found, _ = repo.find_centres(replace(query, offset=0, limit=None))
        return found

    def _coach_filter(self, repo: Repository, ref: str) -> int | None:
        if ref in ("", NO_COACH):
            return None
        return self.rt.coach(repo, ref).id

    def update_centre(
        self, centre_id: int, edit: CentreEdit
    ) -> tuple[Centre, PlanChanges, Reassignment | None]:
        """New name, district, address, carrier, weekday or coach; the plan follows a new
        weekday, the planned activities a new coach (see ``_reassign``)."""
        if edit == CentreEdit():
            named = ", ".join(f"{{{key}}}" for key in CHANGEABLE[:-1])
            raise InvalidInput(None, f"nichts zu ändern ({named} oder {{coach}})", CHANGEABLE)
        values = self._edited(edit)
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            coach = None if edit.coach is None else self._coach_or_none(repo, edit.coach)
            name = str(values.get("name", centre.name))
            district = str(values.get("district", centre.district))
            moved = (name.casefold(), district) != (centre.name.casefold(), centre.district)
            if moved and repo.existing_centres([(name, district)]):
                raise InvalidInput("name", f"{name!r} gibt es in {district} schon")
            if values:
                repo.update_centre(centre.id, values)
                before = {name: getattr(centre, name) for name in values}
                edited = (Subject.CENTRE, centre.id, centre.id)
                audit(self.rt, repo, edited, Action.EDITED, before, values)
            handed = None if edit.coach is None else self._reassign(repo, centre, coach)
            changed = self.rt.centre(repo, centre.id)
            if changed.weekday == centre.weekday:
                return changed, PlanChanges(), handed
            return changed, self.planning.replan_if_active(repo, changed), handed

    def _edited(self, edit: CentreEdit) -> dict[str, object]:
        """The checked columns of an edit: only the values it gives."""
        checks: dict[str, Callable[[str], object]] = {
            "name": lambda v: validate.required_text("name", v),
            "district": lambda v: self.rt.district(v),
            "email": lambda v: validate.email("email", v),
            "carrier": lambda v: validate.text("carrier", v, required=False),
            "weekday": lambda v: validate.weekday("weekday", v),
        }
        return {
            column: check(value)
            for column, check in checks.items()
            if (value := getattr(edit, column)) is not None
        }

    def centre(self, centre_id: int) -> tuple[Centre, Coach | None]:
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            coach = None if centre.coach_id is None else repo.coach(centre.coach_id)
            return centre, coach

    def centres_by_id(self, centre_ids: Sequence[int]) -> dict[int, Centre]:
        """The centres of those numbers (a page's few), by number."""
        with self.rt.unit() as repo:
            return repo.centres_by_id(centre_ids)

    def centre_names(self, centre_ids: Sequence[int]) -> dict[int, str]:
        """The names of the centres of those numbers that exist."""
        with self.rt.unit() as repo:
            found = repo.centres_by_id([i for i in centre_ids if id_in_range(i)])
        return {i: c.name for i, c in found.items()}

    def stage_counts(self) -> list[tuple[str, str, int]]:
        with self.rt.unit() as repo:
            return repo.stage_counts()

    def assign_coach(self, centre_id: int, coach_ref: str) -> Reassignment:
        """A centre's coach (``NO_COACH``: none), with its planned activities."""
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            return self._reassign(repo, centre, self._coach_or_none(repo, coach_ref))

    def planned_handover(self, centre_id: int) -> list[Activity]:
        """What goes with a centre to its next coach (or to none), as ``_reassign`` hands it
        over: its sessions and site visits still planned from today on."""
        kinds = (ActivityKind.COACHING, ActivityKind.SITE_VISIT)
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            wanted = ActivityFilter(
                centre_id=centre.id, status=ActivityStatus.PLANNED, first=self.rt.today()
            )
            return [a for a in repo.activities.find(wanted) if a.kind in kinds]

    def _coach_or_none(self, repo: Repository, ref: str) -> Coach | None:
        return None if ref.strip().casefold() == NO_COACH else self._assignable(repo, ref)

    def _reassign(self, repo: Repository, centre: Centre, coach: Coach | None) -> Reassignment:
        """The one rule by which a centre changes its coach, in the caller's transaction.

        Its sessions and site visits still planned from today on go with it to the new coach
        (held and cancelled ones, and those of days past, stay with the former): both coaches'
        calendar feeds see the change. The reminders to the former coach about the centre
        that were not sent yet are withdrawn, except those about a session they keep; the
        next tick writes the new coach's.
        """
        new = None if coach is None else coach.id
        if new == centre.coach_id:
            return Reassignment(coach)
        repo.outbox.lock_reminders()  # a tick writing reminders finishes first
        repo.assign_coach(centre.id, new)
        rate = None if coach is None else coach.rate
        moved = repo.activities.hand_over(centre.id, self.rt.today(), centre.coach_id, new, rate)
        if new is not None:
            repo.rates.apply_to_planned([new])
        withdrawn = self._withdraw_reminders(repo, centre, moved)
        self.rt.refresh(repo, centre.id)
        return Reassignment(coach, len(moved), withdrawn)

    def _withdraw_reminders(self, repo: Repository, centre: Centre, moved: list[Activity]) -> int:
        """Withdraw the coach's unsent mails about the centre: about an activity handed over,
        or about the centre itself (a training deadline, say). Not the calendar invitations:
        each is for its coach, and the tick sends the former one a CANCEL of their own."""
        handed = {a.id for a in moved}
        store = repo.outbox
        stale = [
            row
            for row in store.unsent(centre.id, Recipient.COACH)
            if row.rule not in INVITATION_RULES
            and ((activity := activity_of(row.key)) is None or activity in handed)
        ]
        return store.withdraw(stale, WITHDRAWN_REASON)
