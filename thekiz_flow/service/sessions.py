"""What really happened: sessions held, moved, cancelled or requested; site visits held;
and the lists of the planned ones (not yet recorded, upcoming), a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from thekiz_flow.core import german, paging, validate
from thekiz_flow.core.activity_list import (
    DIRECTION_NAMES,
    DUE_NAMES,
    SORT_NAMES,
    ActivityQuery,
    ActivitySearch,
    Direction,
    ListedActivity,
    chosen,
    due_days,
    month_start,
)
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import Field, InvalidInput, Refused
from thekiz_flow.core.history import Change, first_entry, stay_on
from thekiz_flow.core.ids import parse_id, unknown
from thekiz_flow.core.labels import HELD_NOUNS
from thekiz_flow.core.model import NO_COACH, Activity, Centre, CentreQuery, PlannedActivity
from thekiz_flow.core.paging import Page
from thekiz_flow.core.rates import in_force
from thekiz_flow.service.planning import PlanningService
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository

MAX_HOURS = Decimal(12)
CHOICES = 20  # centres a form offers for a search


class SessionService:
    def __init__(self, rt: Runtime, planning: PlanningService) -> None:
        self.rt = rt
        self.planning = planning

    def activity(
        self, repo: Repository, activity_id: int, kind: ActivityKind | None = None
    ) -> Activity:
        found = repo.activities.get(activity_id)
        if found is None:
            raise unknown("activity", activity_id)
        if kind is not None and found.kind != kind:
            raise InvalidInput(None, f"Termin {activity_id} ist kein {HELD_NOUNS[kind][0]}")
        return found

    def _planned(
        self, repo: Repository, activity_id: int, kind: ActivityKind = ActivityKind.COACHING
    ) -> Activity:
        found = self.activity(repo, activity_id, kind)
        if found.status != ActivityStatus.PLANNED:
            state = "gehalten" if found.status == ActivityStatus.HELD else "abgesagt"
            raise Refused(f"Termin {activity_id} ist schon {state}")
        return found

    @staticmethod
    def _rates(repo: Repository, coach_id: int) -> dict[int, Decimal]:
        """The coach's hourly rate, to record with a session."""
        coach = repo.coach(coach_id)
        return {} if coach is None else {coach.id: coach.rate}

    @staticmethod
    def rate_on(repo: Repository, coach_id: int, day: date) -> Decimal | None:
        """The coach's hourly rate in force on ``day``, to record with a session held then."""
        found = in_force(repo.rates.of_coach(coach_id), day)
        if found is not None:
            return found.rate
        coach = repo.coach(coach_id)
        return None if coach is None else coach.rate

    def _working_day(self, repo: Repository, centre_id: int, day: date, field: Field) -> None:
        why = self.planning.centre_calendar(repo, centre_id).closed(day)
        if why is not None:
            raise InvalidInput(field, f"{german.short_date(day)} ist kein Arbeitstag ({why})")

    def past(self, day: date, field: Field = "date") -> date:
        if day > self.rt.today():
            raise InvalidInput(field, f"{german.short_date(day)} liegt in der Zukunft")
        return day

    def _future(self, day: date, field: Field = "date") -> date:
        if day < self.rt.today():
            raise InvalidInput(field, f"{german.short_date(day)} liegt in der Vergangenheit")
        return day

    def stage_held(self, repo: Repository, centre: Centre, day: date, kind: ActivityKind) -> str:
        """The stage the centre was in on ``day`` if that stage has activities of ``kind``
        (coaching sessions, site visits); else :class:`Refused` saying where the day lies."""
        history = repo.history(centre.id)
        stage, since = stay_on(history, self.rt.workflow.initial, day)
        if self.rt.workflow.stage(stage).offers(kind):
            return stage
        names = self.rt.workflow.stages
        when = f"Am {german.short_date(day)} war {centre.title}"
        if since is None:
            first, start = self._programme_start(centre, history)
            raise Refused(
                f"{when} noch nicht im Programm "
                f"({names[first].name} seit {german.short_date(start)})"
            )
        raise Refused(
            f"{when} in der Stufe {names[stage].name} (seit {german.short_date(since)}), "
            f"in der es keine {HELD_NOUNS[kind][1]} gibt"
        )

    def _programme_start(self, centre: Centre, history: Sequence[Change]) -> tuple[str, date]:
        """(stage, day) the centre entered the programme's active stages, or where it is now."""
        active = [s.id for s in self.rt.workflow.stages.values() if s.active]
        entry = first_entry(history, active)
        if entry is None:
            return centre.stage, centre.stage_since
        return entry.to_stage, entry.effective

    def _coach_of(self, repo: Repository, centre: Centre) -> int:
        if centre.coach_id is None:
            raise Refused(f"{centre.title} hat keine Prozessbegleitung")
        return centre.coach_id

    def record(self, ref: str, day: date, hours: str, note: str | None = None) -> Activity:
        """A session held: the planned one (by its number, or the centre's of that month)."""
        self.past(day)
        amount = validate.amount("hours", hours, maximum=MAX_HOURS)
        text = validate.lines("note", note)
        with self.rt.unit() as repo:
            session, stage = self._session_for(repo, ref, day)
            coach_id = session.coach_id
            if coach_id is None:
                coach_id = self._coach_of(repo, self.rt.centre(repo, session.centre_id))
            rate = self.rate_on(repo, coach_id, day)
            values = {
                "date": day,
                "hours": amount,
                "note": text,
                "coach_id": coach_id,
                "rate": rate,
                "stage": stage,
            }
            if not repo.activities.set_status(
                session.id, ActivityStatus.HELD, expected=ActivityStatus.PLANNED, **values
            ):
                raise Refused(f"Termin {session.id} wurde gleichzeitig geändert")
            return replace(
                session,
                status=ActivityStatus.HELD,
                date=day,
                hours=amount,
                note=text,
                rate=rate,
                stage=stage,
            )

    def _session_for(self, repo: Repository, ref: str, day: date) -> tuple[Activity, str]:
        """The session held on ``day`` and the stage of that day, if it is one with sessions."""
        text = ref.strip()
        if text[:1] in ("E", "e") and text[1:].isascii() and text[1:].isdigit():
            centre = self.rt.centre(repo, parse_id("id", "centre", text[1:]))
            stage = self.stage_held(repo, centre, day, ActivityKind.COACHING)
            month = [
                a
                for a in repo.activities.of_centre(centre.id)
                if a.kind == ActivityKind.COACHING
                and a.status == ActivityStatus.PLANNED
                and (a.date.year, a.date.month) == (day.year, day.month)
            ]
            found = month[0] if month else self._new_session(repo, centre, stage, day, "held")
            return found, stage
        session = self._planned(repo, parse_id("id", "activity", text))
        centre = self.rt.centre(repo, session.centre_id)
        return session, self.stage_held(repo, centre, day, ActivityKind.COACHING)

    def _new_session(
        self, repo: Repository, centre: Centre, stage_id: str, day: date, prefix: str
    ) -> Activity:
        """A session of ``stage_id`` (a stage with sessions) on ``day``, not planned before."""
        coaching = self.rt.workflow.stage(stage_id).coaching
        coach_id = self._coach_of(repo, centre)
        hours = coaching.hours if coaching else None
        taken = {a.key for a in repo.activities.of_centre(centre.id)}
        number = 1 + sum(1 for k in taken if k.startswith(f"{prefix}:{day.isoformat()}:"))
        wanted = PlannedActivity(
            f"{prefix}:{day.isoformat()}:{number}",
            ActivityKind.COACHING,
            stage_id,
            day,
            hours,
            coach_id,
        )
        return repo.activities.insert_one(
            centre.id, wanted, ActivityStatus.PLANNED, self._rates(repo, coach_id)
        )

    def get(self, activity_id: int) -> tuple[Activity, Centre]:
        """A coaching session and its centre (e.g. to check who may record it)."""
        with self.rt.unit() as repo:
            found = self.activity(repo, activity_id, ActivityKind.COACHING)
            return found, self.rt.centre(repo, found.centre_id)

    def get_visit(self, activity_id: int) -> tuple[Activity, Centre]:
        """A site visit and its centre."""
        with self.rt.unit() as repo:
            found = self.activity(repo, activity_id, ActivityKind.SITE_VISIT)
            return found, self.rt.centre(repo, found.centre_id)

    def move(self, activity_id: int, day: date, reason: str | None = None) -> Activity:
        """A planned session on another day; ``reason`` (optional) is kept with it."""
        return self._move(activity_id, day, reason, ActivityKind.COACHING)

    def move_visit(self, activity_id: int, day: date, reason: str | None = None) -> Activity:
        """A planned site visit on another day (the planner leaves it there)."""
        return self._move(activity_id, day, reason, ActivityKind.SITE_VISIT)

    def _move(
        self, activity_id: int, day: date, reason: str | None, kind: ActivityKind
    ) -> Activity:
        self._future(day)
        why = validate.text("reason", reason, required=False, limit=2000)
        with self.rt.unit() as repo:
            session = self._planned(repo, activity_id, kind)
            self._working_day(repo, session.centre_id, day, "date")
            values: dict[str, object] = {"date": day, "moved": True}
            if why is not None:
                values["reason"] = why
            repo.activities.update(session.id, **values)
            return replace(session, date=day, moved=True, reason=why or session.reason)

    def cancel(self, activity_id: int, reason: str) -> Activity:
        return self._cancel(activity_id, reason, ActivityKind.COACHING)

    def cancel_visit(self, activity_id: int, reason: str) -> Activity:
        """A planned site visit cancelled; the planner does not plan it again."""
        return self._cancel(activity_id, reason, ActivityKind.SITE_VISIT)

    def _cancel(self, activity_id: int, reason: str, kind: ActivityKind) -> Activity:
        why = validate.required_text("reason", reason, limit=2000)
        with self.rt.unit() as repo:
            session = self._planned(repo, activity_id, kind)
            repo.activities.set_status(
                session.id, ActivityStatus.CANCELLED, expected=ActivityStatus.PLANNED, reason=why
            )
            return replace(session, status=ActivityStatus.CANCELLED, reason=why)

    def request(self, centre_id: int, day: date, hours: str | None = None) -> Activity:
        """A session on request (Konsultationseinrichtung, or an extra one in any stage)."""
        self._future(day)
        amount = None if hours is None else validate.amount("hours", hours, maximum=MAX_HOURS)
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            self._working_day(repo, centre.id, day, "date")
            stage = self.rt.workflow.stage(centre.stage)
            if not stage.offers(ActivityKind.COACHING):
                raise Refused(f"{centre.title} ist in der Stufe {stage.name}")
            session = self._new_session(repo, centre, stage.id, day, "request")
            if amount is not None:
                repo.activities.update(session.id, hours=amount)
                session = replace(session, hours=amount)
            return session

    def record_visit(self, centre_id: int, day: date, note: str | None = None) -> Activity:
        """The office's site visit held: the planned one of that stage, or a new one."""
        self.past(day)
        text = validate.lines("note", note)
        with self.rt.unit() as repo:
            centre = self.rt.centre(repo, centre_id)
            stage = self.stage_held(repo, centre, day, ActivityKind.SITE_VISIT)
            visits = [
                a for a in repo.activities.of_centre(centre.id) if a.kind == ActivityKind.SITE_VISIT
            ]
            if any(
                a.status == ActivityStatus.HELD and a.date == day for a in visits
            ):  # e.g. sent twice
                raise Refused(f"Einrichtungsbesuch am {german.short_date(day)} ist schon erfasst")
            planned = [a for a in visits if a.status == ActivityStatus.PLANNED and a.stage == stage]
            if planned:
                visit = planned[0]
            else:
                key = f"visit:{stage}:{day.isoformat()}"
                if any(a.key == key for a in visits):
                    raise Refused(
                        f"Einrichtungsbesuch am {german.short_date(day)} ist schon erfasst"
                    )
                wanted = PlannedActivity(key, ActivityKind.SITE_VISIT, stage, day)
                visit = repo.activities.insert_one(centre.id, wanted, ActivityStatus.PLANNED, {})
            repo.activities.set_status(
                visit.id, ActivityStatus.HELD, expected=ActivityStatus.PLANNED, date=day, note=text
            )
            self.rt.refresh(repo, centre.id)
            return replace(visit, status=ActivityStatus.HELD, date=day, note=text)

    # -------------------------------------------------------------------- lists
    def find_planned(self, kind: ActivityKind, search: ActivitySearch) -> Page[ListedActivity]:
        """One page of the planned activities of ``kind`` that ``search`` finds, found,
        ordered and counted by the database."""
        page = paging.page_number(search.page)
        with self.rt.unit() as repo:
            query = self._list_query(repo, kind, search)
            where = replace(query, offset=paging.offset(page), limit=paging.size())
            found, total = repo.activities.listed(where)
        return Page.of(found, total, page)

    def export_planned(self, kind: ActivityKind, search: ActivitySearch) -> list[ListedActivity]:
        """Every planned activity the list finds with ``search`` (its page aside), in order."""
        with self.rt.unit() as repo:
            found, _ = repo.activities.listed(self._list_query(repo, kind, search))
        return found

    def _list_query(
        self, repo: Repository, kind: ActivityKind, search: ActivitySearch
    ) -> ActivityQuery:
        """The checked query of ``search`` (every row of it: no page)."""
        month = month_start(search.month) if search.month.strip() else None
        due = chosen("due", search.due, DUE_NAMES, "unbekannte Auswahl")
        first, last = due_days(month, due, self.rt.today())
        coach = search.coach.strip()
        direction = chosen("order", search.order, DIRECTION_NAMES, "unbekannte Reihenfolge")
        return ActivityQuery(
            kind,
            coach_id=None if coach in ("", NO_COACH) else self._coach_id(repo, coach),
            without_coach=coach == NO_COACH,
            district=self.rt.district(search.district) if search.district.strip() else None,
            text=validate.text("text", search.text, required=False),
            first=first,
            last=last,
            sort=chosen("sort", search.sort, SORT_NAMES, "unbekannte Sortierung"),
            descending=direction == Direction.DESC,
        )

    @staticmethod
    def _coach_id(repo: Repository, ref: str) -> int:
        """The coach a list is filtered by, by number (an unknown one: NotFound)."""
        number = parse_id("coach", "coach", ref)
        if repo.coach(number) is None:
            raise unknown("coach", number)
        return number

    def centre_choices(
        self, text: str, coach_id: int | None = None, kind: ActivityKind | None = None
    ) -> tuple[list[Centre], int]:
        """The first ``CHOICES`` centres, by name, whose name, district or e-mail address
        contains ``text`` ("": every one), of the coach if given, in a stage with activities
        of ``kind`` if given; and how many there are in all."""
        stages = self.rt.workflow.stages.values()
        query = CentreQuery(
            coach_id=coach_id,
            text=validate.text("text", text, required=False),
            among=None if kind is None else [s.id for s in stages if s.offers(kind)],
            limit=CHOICES,
        )
        with self.rt.unit() as repo:
            return repo.find_centres(query)
