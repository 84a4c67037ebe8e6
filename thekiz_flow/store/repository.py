"""The repository: every statement thekiz-flow runs, on one connection in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from thekiz_flow.core.budget import session_cost
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.history import Step
from thekiz_flow.core.lists import CoachQuery
from thekiz_flow.core.model import (
    Activity,
    Centre,
    CentreQuery,
    Closure,
    Coach,
    HeldSession,
    NewCentre,
    StageChange,
)
from thekiz_flow.core.occurrences import ActivityDays
from thekiz_flow.store.accounts import AccountQueries
from thekiz_flow.store.activities import ActivityStore, activity_from_row, chunks
from thekiz_flow.store.budget_percents import BudgetPercents
from thekiz_flow.store.calendar_query import CalendarStore
from thekiz_flow.store.centre_query import among_by_name, order, where
from thekiz_flow.store.corrections import CorrectionStore, withdrawn
from thekiz_flow.store.digest_queries import DigestQueries
from thekiz_flow.store.district_accounts import DistrictAccounts
from thekiz_flow.store.due_query import After, Paged
from thekiz_flow.store.feeds import FeedStore
from thekiz_flow.store.forecast_kept import ForecastKept
from thekiz_flow.store.forecast_reads import ForecastReads
from thekiz_flow.store.invitations import InvitationStore
from thekiz_flow.store.kept_counts import KeptCounts
from thekiz_flow.store.list_queries import (
    LOAD_SORTS,
    coach_order,
    coach_where,
    coaches_with_centres,
)
from thekiz_flow.store.operations import HealthStore
from thekiz_flow.store.outbox import OutboxStore
from thekiz_flow.store.privacy import PrivacyStore
from thekiz_flow.store.rates import RateStore, SendStore
from thekiz_flow.store.simulation import SimulationMark
from thekiz_flow.store.tables import (
    activities,
    centre_count_changes,
    centre_counts,
    centres,
    closures,
    coaches,
    outbox,
    stage_changes,
)
from thekiz_flow.store.trainings import TrainingStore
from thekiz_flow.store.users import AttemptStore, SessionStore, UserStore

T = TypeVar("T")


def _coach(row: Row[Any]) -> Coach:
    return Coach(row.id, row.name, row.email, Decimal(row.rate), bool(row.active))


def _centre(row: Row[Any]) -> Centre:
    return Centre(
        row.id,
        row.name,
        row.district,
        row.email,
        row.carrier,
        row.coach_id,
        row.stage,
        row.stage_since,
        row.resume_stage,
        row.weekday,
        row.registered,
        row.episode_start,
        row.next_step_on,
    )


def _change(row: Row[Any]) -> StageChange:
    return StageChange(
        row.centre_id,
        row.trigger,
        row.from_stage,
        row.to_stage,
        row.effective,
        row.recorded_at,
        row.actor,
        row.reason,
        row.forced,
        row.id,
        row.centre_note,
    )


def _step(row: Row[Any]) -> Step:
    return Step(row.trigger, row.from_stage, row.to_stage, row.effective)


def change_values(c: StageChange) -> dict[str, object]:
    """A stage change as the row of the audit trail (without its id)."""
    return {
        "centre_id": c.centre_id,
        "trigger": c.trigger,
        "from_stage": c.from_stage,
        "to_stage": c.to_stage,
        "effective": c.effective,
        "recorded_at": c.recorded_at,
        "actor": c.actor,
        "reason": c.reason,
        "forced": c.forced,
        "centre_note": c.centre_note,
    }


class Repository:
    """The unit of work: the centres, coaches and their history itself, and the other stores
    of the same connection (made on first use, once per unit). ``now``, when given, is the
    moment the activities' changes are recorded with."""

    def __init__(self, connection: Connection, now: datetime | None = None) -> None:
        self.conn = connection
        self._now = now

    @cached_property
    def activities(self) -> ActivityStore:
        return ActivityStore(self.conn, self._now)

    @cached_property
    def centre_counts(self) -> KeptCounts:
        """The centres per stage and district, kept on write."""
        return KeptCounts(self.conn, centre_counts, centre_count_changes, "centres")

    @cached_property
    def budget_percents(self) -> BudgetPercents:
        """The year's budget percents kept on write."""
        return BudgetPercents(self.conn)

    @cached_property
    def calendar(self) -> CalendarStore:
        """The calendar's counts and first few activities of each day."""
        return CalendarStore(self.conn)

    @cached_property
    def corrections(self) -> CorrectionStore:
        return CorrectionStore(self.conn)

    @cached_property
    def accounts(self) -> AccountQueries:
        """The queries of fee statements and district accounts."""
        return AccountQueries(self.conn)

    @cached_property
    def forecast(self) -> ForecastReads:
        """What the forecast reads."""
        return ForecastReads(self.conn)

    @cached_property
    def forecast_kept(self) -> ForecastKept:
        """The forecast kept, and the marks of the writes since."""
        return ForecastKept(self.conn)

    @cached_property
    def rates(self) -> RateStore:
        """The coaches' rates over time."""
        return RateStore(self.conn, self._now)

    @cached_property
    def digest_sends(self) -> SendStore:
        """The digests sent to the ministry and the moments they were recorded as of."""
        return SendStore(self.conn)

    @cached_property
    def trainings(self) -> TrainingStore:
        return TrainingStore(self.conn, self._now)

    @cached_property
    def outbox(self) -> OutboxStore:
        return OutboxStore(self.conn)

    @cached_property
    def users(self) -> UserStore:
        return UserStore(self.conn)

    @cached_property
    def web_sessions(self) -> SessionStore:
        return SessionStore(self.conn)

    @cached_property
    def sign_ins(self) -> AttemptStore:
        """The sign-ins tried."""
        return AttemptStore(self.conn)

    @cached_property
    def feeds(self) -> FeedStore:
        return FeedStore(self.conn)

    @cached_property
    def invitations(self) -> InvitationStore:
        return InvitationStore(self.conn)

    @cached_property
    def digest(self) -> DigestQueries:
        return DigestQueries(self.conn)

    def digest_of(self, centre_ids: Sequence[int]) -> DigestQueries:
        """The digest's queries of these centres alone."""
        return DigestQueries(self.conn, only=centre_ids)

    @cached_property
    def district_accounts(self) -> DistrictAccounts:
        """The districts' accounts of a year, kept on write."""
        return DistrictAccounts(self.conn)

    def digest_as_recorded(self, before: datetime) -> DigestQueries:
        """The digest's queries of what was recorded before the moment ``before``."""
        return DigestQueries(self.conn, before)

    @cached_property
    def privacy(self) -> PrivacyStore:
        """One person's data by the data map: export, erasure; retention."""
        return PrivacyStore(self.conn)

    @cached_property
    def health(self) -> HealthStore:
        """The ticks' health marks, the figures of /healthz and /metrics."""
        return HealthStore(self.conn)

    @cached_property
    def simulation(self) -> SimulationMark:
        return SimulationMark(self.conn)

    # ------------------------------------------------------------------ coaches
    def add_coach(self, name: str, email: str, rate: Decimal, now: datetime) -> int:
        stmt = insert(coaches).values(name=name, email=email, rate=rate, created_at=now)
        return int(self.conn.execute(stmt.returning(coaches.c.id)).scalar_one())

    def coach(self, coach_id: int, lock: bool = False) -> Coach | None:
        """The coach; with ``lock`` their row is locked to the end of the transaction
        (SELECT ... FOR UPDATE on PostgreSQL; SQLite's writers take turns anyway)."""
        stmt = select(coaches).where(coaches.c.id == coach_id)
        row = self.conn.execute(stmt.with_for_update() if lock else stmt).first()
        return None if row is None else _coach(row)

    def coach_by_email(self, email: str, lock: bool = False) -> Coach | None:
        stmt = select(coaches).where(func.lower(coaches.c.email) == email.lower())
        row = self.conn.execute(stmt.with_for_update() if lock else stmt).first()
        return None if row is None else _coach(row)

    def coaches(self) -> list[Coach]:
        return [_coach(r) for r in self.conn.execute(select(coaches).order_by(coaches.c.id))]

    def coaches_by_id(self, coach_ids: Iterable[int]) -> dict[int, Coach]:
        """These coaches by id (a page's few)."""
        stmt = select(coaches).where(coaches.c.id.in_(sorted(set(coach_ids))))
        return {row.id: _coach(row) for row in self.conn.execute(stmt)}

    def find_coaches(self, query: CoachQuery) -> tuple[list[tuple[Coach, int]], int]:
        """One page of the coaches the query finds, each with their number of centres, in
        its order, and how many it finds. Only an order by that number counts every coach's
        centres; otherwise just the page's coaches' are counted (by the coach's index)."""
        found = coach_where(query, select(coaches))
        if query.sort in LOAD_SORTS:
            listed, assigned = coaches_with_centres()
            stmt, order = coach_where(query, listed), coach_order(query.sort, assigned)
        else:
            stmt, order = found, coach_order(query.sort)
        rows = self.conn.execute(stmt.order_by(*order).offset(query.offset).limit(query.limit))
        page = [(_coach(r), r) for r in rows]
        if query.sort in LOAD_SORTS:
            counts = {coach.id: int(r.assigned) for coach, r in page}
        else:
            counts = self.centre_counts_of_coaches([coach.id for coach, _ in page])
        total = self.conn.execute(select(func.count()).select_from(found.subquery()))
        return [(coach, counts.get(coach.id, 0)) for coach, _ in page], int(total.scalar_one())

    def centre_counts_of_coaches(self, coach_ids: Sequence[int]) -> dict[int, int]:
        """How many centres each of these coaches is assigned to (those with any)."""
        c = centres.c
        stmt = (
            select(c.coach_id, func.count()).where(c.coach_id.in_(coach_ids)).group_by(c.coach_id)
        )
        return {int(coach_id): int(n) for coach_id, n in self.conn.execute(stmt)}

    def update_coach(self, coach_id: int, values: Mapping[str, object]) -> None:
        """New values of a coach's columns (name, email, rate, active)."""
        self.conn.execute(update(coaches).where(coaches.c.id == coach_id).values(**values))

    def centre_count_of_coach(self, coach_id: int) -> int:
        """How many centres a coach is assigned to (one COUNT by the coach's index)."""
        stmt = select(func.count()).select_from(centres).where(centres.c.coach_id == coach_id)
        return int(self.conn.execute(stmt).scalar_one())

    def centres_of_coach(self, coach_id: int) -> list[Centre]:
        """The centres a coach is assigned to, by name."""
        stmt = select(centres).where(centres.c.coach_id == coach_id)
        return [_centre(r) for r in self.conn.execute(stmt.order_by(func.lower(centres.c.name)))]

    # ------------------------------------------------------------------ centres
    def add_centres(self, rows: Sequence[NewCentre], now: datetime) -> list[int]:
        if not rows:
            return []
        stmt = insert(centres).returning(centres.c.id, sort_by_parameter_order=True)
        values = [
            {
                "name": r.name,
                "district": r.district,
                "email": r.email,
                "carrier": r.carrier,
                "coach_id": r.coach_id,
                "stage": r.stage,
                "stage_since": r.stage_since,
                "resume_stage": r.resume_stage,
                "registered": r.stage_since,
                "created_at": now,
            }
            for r in rows
        ]
        return [int(i) for i in self.conn.execute(stmt, values).scalars()]

    def centre(self, centre_id: int) -> Centre | None:
        row = self.conn.execute(select(centres).where(centres.c.id == centre_id)).first()
        return None if row is None else _centre(row)

    def centres_by_id(self, centre_ids: Iterable[int]) -> dict[int, Centre]:
        """These centres by id, read a chunk of ids at a time."""
        result: dict[int, Centre] = {}
        for chunk in chunks(sorted(set(centre_ids))):
            stmt = select(centres).where(centres.c.id.in_(chunk))
            result.update((row.id, _centre(row)) for row in self.conn.execute(stmt))
        return result

    def centres(self, stage: str | None = None, district: str | None = None) -> list[Centre]:
        stmt = select(centres).order_by(centres.c.id)
        if stage is not None:
            stmt = stmt.where(centres.c.stage == stage)
        if district is not None:
            stmt = stmt.where(centres.c.district == district)
        return [_centre(r) for r in self.conn.execute(stmt)]

    def find_centres(self, query: CentreQuery) -> tuple[list[Centre], int]:
        """One page of the centres the query finds, in its order, and how many it finds."""
        total = self.conn.execute(where(query, select(func.count()).select_from(centres)))
        stmt = select(centres)
        among = among_by_name(query)
        if among is not None:
            # by the stage's index, SQLite would read every centre of the stages and sort them
            # all; the stage as an expression (no index has it) leaves it the index of names,
            # read in order up to the page
            stmt = stmt.where(centres.c.stage.concat("").in_(among))
            query = replace(query, among=None)
        stmt = where(query, stmt).order_by(*order(query))
        stmt = stmt.offset(query.offset).limit(query.limit)
        return [_centre(r) for r in self.conn.execute(stmt)], int(total.scalar_one())

    def update_centre(self, centre_id: int, values: Mapping[str, object]) -> None:
        self.conn.execute(update(centres).where(centres.c.id == centre_id).values(**values))

    def existing_centres(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (name, district) pairs are taken already, compared case-insensitively."""
        wanted = {(n.casefold(), d) for n, d in keys}
        stmt = select(centres.c.name, centres.c.district)
        return {
            (n.casefold(), d) for n, d in self.conn.execute(stmt) if (n.casefold(), d) in wanted
        }

    def centres_to_plan(self, stages: Sequence[str], stamp: str) -> list[Centre]:
        """Centres in one of ``stages`` not yet planned with the rules ``stamp`` names.

        Found by their stamp, through its index: a tick reads the centres it plans (and those
        of other stages whose stamp is old), not every centre in an active stage.
        """
        c = centres.c
        stale = select(c.id, c.stage).where(
            or_(c.plan_stamp.is_(None), c.plan_stamp < stamp, c.plan_stamp > stamp)
        )
        wanted = set(stages)
        ids = [centre_id for centre_id, stage in self.conn.execute(stale) if stage in wanted]
        return list(self.centres_by_id(ids).values())

    def set_derived(self, centre_id: int, episode_start: date, next_step_on: date | None) -> None:
        stmt = update(centres).where(centres.c.id == centre_id)
        self.conn.execute(stmt.values(episode_start=episode_start, next_step_on=next_step_on))

    def centres_allowed_by(
        self, day: date, stages: Sequence[str], limit: int | None = None
    ) -> tuple[list[Centre], int]:
        """The first ``limit`` (None: all) centres in ``stages`` whose next step is allowed on
        ``day`` or earlier, as their derived ``next_step_on`` tells (by its index), in the
        order of their ids; and how many there are (a COUNT)."""
        c = centres.c
        wanted = (c.next_step_on <= day, c.stage.in_(stages))
        stmt = select(centres).where(*wanted).order_by(c.id)
        found = [_centre(r) for r in self.conn.execute(stmt.limit(limit))]
        if limit is None or len(found) < limit:
            return found, len(found)
        count = select(func.count()).select_from(centres).where(*wanted)
        return found, int(self.conn.execute(count).scalar_one())

    def centres_paged(self, paged: Paged, after: After | None, limit: int | None) -> list[Centre]:
        """The centres of a query of `due_query`, a page at a time (see `Paged.page`)."""
        return [_centre(r) for r in self.conn.execute(paged.page(after, limit))]

    def changes_paged(
        self, paged: Paged, after: After | None, limit: int | None
    ) -> list[StageChange]:
        """The stage changes of a query of `due_query`, a page at a time."""
        return [_change(r) for r in self.conn.execute(paged.page(after, limit))]

    def counted(self, paged: Paged) -> int:
        """How many rows a query of `due_query` has."""
        return int(self.conn.execute(paged.count()).scalar_one())

    def told(self, paged: Paged, head: ColumnElement[str], roles: Sequence[str]) -> int:
        """How many keys of the rows of a query of `due_query` the outbox holds (see
        `Paged.told`)."""
        return sum(int(n) for n in self.conn.execute(paged.told(head, roles)).one())

    def changes_between(
        self,
        first: date,
        last: date,
        to_stage: str | None = None,
        centre_ids: Sequence[int] | None = None,
    ) -> list[StageChange]:
        """Stage changes in force (not reverted) effective from ``first`` to ``last`` (that
        lead to ``to_stage``, if given; of these centres, if given: a page's)."""
        c = stage_changes.c
        stmt = select(stage_changes).where(c.effective.between(first, last), ~withdrawn(c.id))
        if to_stage is not None:
            stmt = stmt.where(c.to_stage == to_stage)
        if centre_ids is not None:
            stmt = stmt.where(c.centre_id.in_(centre_ids))
        return [_change(r) for r in self.conn.execute(stmt.order_by(c.id))]

    def closures_of(self, centre_ids: Sequence[int]) -> dict[int, list[tuple[date, date]]]:
        result: dict[int, list[tuple[date, date]]] = defaultdict(list)
        for chunk in chunks(centre_ids):
            stmt = select(closures.c.centre_id, closures.c.first, closures.c.last).where(
                closures.c.centre_id.in_(chunk)
            )
            for centre_id, first, last in self.conn.execute(stmt):
                result[centre_id].append((first, last))
        return result

    def set_plan_stamps(self, centre_ids: Sequence[int], stamp: str) -> None:
        for chunk in chunks(centre_ids):
            stmt = update(centres).where(centres.c.id.in_(chunk)).values(plan_stamp=stamp)
            self.conn.execute(stmt)

    def set_derived_many(self, rows: Sequence[tuple[int, date, date | None]]) -> None:
        """(centre, episode_start, next_step_on) for many centres, in one executemany."""
        if rows:
            stmt = (
                update(centres)
                .where(centres.c.id == bindparam("ident"))
                .values(episode_start=bindparam("start"), next_step_on=bindparam("step"))
            )
            params = [{"ident": i, "start": start, "step": step} for i, start, step in rows]
            self.conn.execute(stmt, params)

    def set_plan_stamp(self, centre_id: int, stamp: str) -> None:
        stmt = update(centres).where(centres.c.id == centre_id).values(plan_stamp=stamp)
        self.conn.execute(stmt)

    def set_weekday(self, centre_id: int, weekday: int | None) -> None:
        stmt = update(centres).where(centres.c.id == centre_id).values(weekday=weekday)
        self.conn.execute(stmt)

    def closures(self, centre_id: int) -> list[Closure]:
        stmt = select(closures).where(closures.c.centre_id == centre_id).order_by(closures.c.first)
        return [
            Closure(r.id, r.centre_id, r.first, r.last, r.note) for r in self.conn.execute(stmt)
        ]

    def add_closure(self, centre_id: int, first: date, last: date, note: str | None) -> int:
        stmt = insert(closures).values(centre_id=centre_id, first=first, last=last, note=note)
        return int(self.conn.execute(stmt.returning(closures.c.id)).scalar_one())

    def assign_coach(self, centre_id: int, coach_id: int | None) -> None:
        stmt = update(centres).where(centres.c.id == centre_id).values(coach_id=coach_id)
        self.conn.execute(stmt)

    def stage_counts(self) -> list[tuple[str, str, int]]:
        """(stage, district, number of centres): the counts kept on write."""
        return [(str(s), str(d), n) for s, d, n in self.centre_counts.counts()]

    def first_registered(self) -> date | None:
        """The day the programme first knew a centre: where its history begins."""
        found: date | None = self.conn.execute(select(func.min(centres.c.registered))).scalar()
        return found

    # ------------------------------------------------------------ stage changes
    def record_changes(
        self, moves: Sequence[tuple[StageChange, Centre, str | None]]
    ) -> list[StageChange] | None:
        """Move each centre (change, centre before, stage to remember) and write the audit rows
        in two executemanys; None if any of the centres changed in the meantime."""
        if not moves:
            return []
        stmt = (
            update(centres)
            .where(
                centres.c.id == bindparam("ident"),
                centres.c.stage == bindparam("was"),
                centres.c.stage_since == bindparam("was_since"),
            )
            .values(
                stage=bindparam("to"),
                stage_since=bindparam("since"),
                resume_stage=bindparam("resume"),
            )
        )
        params = [
            {
                "ident": before.id,
                "was": before.stage,
                "was_since": before.stage_since,
                "to": change.to_stage,
                "since": change.effective,
                "resume": resume,
            }
            for change, before, resume in moves
        ]
        if self.conn.execute(stmt, params).rowcount != len(moves):
            return None
        return self.add_changes([change for change, _, _ in moves])

    def add_changes(self, changes: Sequence[StageChange]) -> list[StageChange]:
        stmt = insert(stage_changes).returning(stage_changes.c.id, sort_by_parameter_order=True)
        values = [change_values(c) for c in changes]
        ids = self.conn.execute(stmt, values).scalars().all()
        return [_with_id(c, int(i)) for c, i in zip(changes, ids, strict=True)]

    def history(self, centre_id: int) -> list[StageChange]:
        return self.histories([centre_id]).get(centre_id, [])

    def histories(self, centre_ids: Sequence[int] | None = None) -> dict[int, list[StageChange]]:
        """These centres' (or every centre's) audit trails in the order recorded, by centre:
        the changes in force, without those reverted."""
        return self._trails(select(stage_changes), centre_ids, _change)

    def recorded_history(self, centre_id: int) -> list[StageChange]:
        """A centre's stage changes as recorded, those reverted too, in the order recorded."""
        stmt = select(stage_changes).where(stage_changes.c.centre_id == centre_id)
        return [_change(r) for r in self.conn.execute(stmt.order_by(stage_changes.c.id))]

    def restore_stage(
        self, centre: Centre, stage: str, since: date, resume_stage: str | None
    ) -> bool:
        """Put a centre back into a stage (a stage change reverted); False if its stage
        changed in the meantime."""
        c = centres.c
        stmt = (
            update(centres)
            .where(c.id == centre.id, c.stage == centre.stage, c.stage_since == centre.stage_since)
            .values(stage=stage, stage_since=since, resume_stage=resume_stage)
        )
        return self.conn.execute(stmt).rowcount == 1

    def steps(self, centre_ids: Sequence[int] | None) -> dict[int, list[Step]]:
        """These centres' stage changes (None: every centre's) in the order recorded, only
        what the readings of the history need (`history.Change`), by centre."""
        c = stage_changes.c
        base = select(c.centre_id, c.trigger, c.from_stage, c.to_stage, c.effective)
        return self._trails(base, centre_ids, _step)

    def trails_from(self, centre_ids: Sequence[int], day: date) -> dict[int, list[Step]]:
        """The part of these centres' audit trails (`steps`) that decides their stages from
        ``day`` on (`budget.stages_on`): the changes in force from the first one effective
        after ``day`` on, and the one in force before it; a trail none of whose changes takes
        effect after ``day``: its last change alone. The walk along the trail passes every
        change before that first one by ``day``, so it finds the same stages from ``day`` on
        in this part as in the whole trail. Read a chunk of centres at a time, in SQL: a
        centre whose stage did not change since ``day`` costs one row."""
        c = stage_changes.c
        result: dict[int, list[Step]] = defaultdict(list)
        for chunk in chunks(centre_ids):
            in_force = (c.centre_id.in_(chunk), ~withdrawn(c.id))
            later = (
                select(c.centre_id, func.min(case((c.effective > day, c.id))).label("first"))
                .where(*in_force)
                .group_by(c.centre_id)
                .subquery()
            )
            before = (
                select(later.c.centre_id, func.max(c.id).label("last"))
                .join(later, later.c.centre_id == c.centre_id)
                .where(*in_force, or_(later.c.first.is_(None), c.id < later.c.first))
                .group_by(later.c.centre_id)
                .subquery()
            )
            stmt: Select[Any] = (
                select(c.centre_id, c.trigger, c.from_stage, c.to_stage, c.effective)
                .join(later, later.c.centre_id == c.centre_id)
                .outerjoin(before, before.c.centre_id == c.centre_id)
                .where(*in_force, c.id >= func.coalesce(before.c.last, later.c.first))
                .order_by(c.centre_id, c.id)
            )
            for row in self.conn.execute(stmt):
                result[row.centre_id].append(_step(row))
        return result

    def _trails(
        self, base: Select[Any], centre_ids: Sequence[int] | None, make: Callable[[Row[Any]], T]
    ) -> dict[int, list[T]]:
        """Rows of ``base`` (from the audit trail) by centre, in the order recorded, read a
        chunk of centres at a time (every centre for None)."""
        c = stage_changes.c
        base = base.where(~withdrawn(c.id)).order_by(c.centre_id, c.id)
        result: dict[int, list[T]] = defaultdict(list)
        for chunk in [None] if centre_ids is None else chunks(centre_ids):
            stmt = base if chunk is None else base.where(c.centre_id.in_(chunk))
            for row in self.conn.execute(stmt):
                result[row.centre_id].append(make(row))
        return result

    def site_visits(
        self, centre_ids: Sequence[int] | None = None
    ) -> dict[int, list[tuple[date, str]]]:
        """Held site visits per centre: (date, stage), by date.

        Sorted here, not by the query: an ORDER BY date would lead SQLite to the index
        on (kind, status, date) instead of the one by centre.
        """
        c = activities.c
        base = select(c.centre_id, c.date, c.stage).where(
            c.kind == ActivityKind.SITE_VISIT, c.status == ActivityStatus.HELD
        )
        result: dict[int, list[tuple[date, str]]] = defaultdict(list)
        for chunk in [None] if centre_ids is None else chunks(centre_ids):
            stmt = base if chunk is None else base.where(c.centre_id.in_(chunk))
            for centre_id, day, stage in self.conn.execute(stmt):
                result[centre_id].append((day, stage))
        for visits in result.values():
            visits.sort()
        return result

    def held_from(
        self, centre_ids: Sequence[int], first: date
    ) -> dict[int, dict[ActivityKind, tuple[int, date]]]:
        """Coaching sessions and site visits these centres held on ``first`` or later, by
        centre and kind: (how many, the last day)."""
        c = activities.c
        base = (
            select(c.centre_id, c.kind, func.count(), func.max(c.date))
            .where(
                c.kind.in_((ActivityKind.COACHING, ActivityKind.SITE_VISIT)),
                c.status == ActivityStatus.HELD,
                c.date >= first,
            )
            .group_by(c.centre_id, c.kind)
        )
        result: dict[int, dict[ActivityKind, tuple[int, date]]] = defaultdict(dict)
        for chunk in chunks(centre_ids):
            rows = self.conn.execute(base.where(c.centre_id.in_(chunk)))
            for centre_id, kind, count, last in rows:
                result[centre_id][ActivityKind(kind)] = (int(count), last)
        return result

    # ------------------------------------------------------------ for the reminders
    def activities_dated(
        self,
        kind: ActivityKind,
        statuses: Sequence[ActivityStatus],
        first: date,
        last: date,
        after: tuple[date, int] | None = None,
        limit: int | None = None,
    ) -> list[Activity]:
        """Activities of ``kind`` in one of ``statuses`` dated ``first`` to ``last``, by date
        and id: the first ``limit`` (None: all) after the activity ``after`` (date, id)."""
        c = activities.c
        stmt = select(activities).where(c.kind == kind, c.status.in_(statuses))
        if after is None:
            stmt = stmt.where(c.date.between(first, last))
        else:
            day, number = after
            stmt = stmt.where(c.date.between(day, last), or_(c.date > day, c.id > number))
        stmt = stmt.order_by(c.date, c.id).limit(limit)
        return [activity_from_row(r) for r in self.conn.execute(stmt)]

    def activities_counted(
        self,
        kind: ActivityKind,
        statuses: Sequence[ActivityStatus],
        days: ActivityDays,
        written: date | None,
    ) -> tuple[int, int]:
        """How many activities of ``kind`` in one of ``statuses`` are dated ``days.first`` to
        ``days.last``, and how many of their keys (`ActivityDays`: one per role) the outbox
        holds, of those whose key names a day up to ``written`` (None: none can be there).
        One statement: a COUNT on the index by kind, status and date; the keys of the
        activities up to ``written`` looked up by the outbox's index of keys."""
        c = activities.c
        stmt = select(func.count()).where(
            c.kind == kind, c.status.in_(statuses), c.date.between(days.first, days.last)
        )
        keyed = [d for d, label in days.labels.items() if written and label <= written.isoformat()]
        if not keyed:
            return int(self.conn.execute(stmt).scalar_one()), 0
        label = case(dict(days.labels), value=c.date)
        head = literal(days.head) + cast(c.id, String) + ":" + label + ":"
        later = c.date > max(keyed)  # tested first: CASE keeps the order, AND need not
        held = [
            func.count(
                case(
                    (later, None),
                    (select(outbox.c.key).where(outbox.c.key == head + role).exists(), 1),
                )
            )
            for role in days.roles
        ]
        total, *known = self.conn.execute(stmt.add_columns(*held)).one()
        return int(total), sum(int(n) for n in known)

    def recently_held(self, since: datetime) -> list[tuple[int, date]]:
        """Coaching sessions recorded as held since ``since``: (centre id, date)."""
        c = activities.c
        stmt = select(c.centre_id, c.date).where(
            c.kind == ActivityKind.COACHING, c.status == ActivityStatus.HELD, c.recorded_at >= since
        )
        return [(centre_id, day) for centre_id, day in self.conn.execute(stmt)]

    def held_hours(self, stages: Sequence[str], first: date, last: date) -> dict[str, Decimal]:
        """Hours of the coaching sessions held from ``first`` to ``last`` in one of
        ``stages``, by stage: a GROUP BY (each distinct number of hours summed once, exactly)."""
        a = activities.c
        stmt = (
            select(a.stage, a.hours, func.count())
            .where(
                a.kind == ActivityKind.COACHING,
                a.status == ActivityStatus.HELD,
                a.date.between(first, last),
                a.stage.in_(stages),
            )
            .group_by(a.stage, a.hours)
        )
        held: dict[str, Decimal] = defaultdict(Decimal)
        for stage, hours, count in self.conn.execute(stmt):
            held[stage] += (hours or Decimal(0)) * count
        return dict(held)

    def spent_in_year(
        self, year: int, stages: Sequence[str], centre_ids: Sequence[int] | None = None
    ) -> dict[int, Decimal]:
        """What the coaching sessions held in ``year`` cost, by centre, for the centres now in
        ``stages`` (of ``centre_ids``; None: of all) that spent anything: a GROUP BY over the
        year's held sessions (each distinct hours and rate costed once, to the cent, as
        `budget.session_cost` does), of a chunk of the centres at a time if named."""
        a, c = activities.c, centres.c
        stmt = (
            select(a.centre_id, a.hours, a.rate, func.count())
            .join(centres, c.id == a.centre_id)
            .where(
                a.kind == ActivityKind.COACHING,
                a.status == ActivityStatus.HELD,
                a.date.between(date(year, 1, 1), date(year, 12, 31)),
                c.stage.in_(stages),
            )
            .group_by(a.centre_id, a.hours, a.rate)
        )
        parts = (
            [stmt]
            if centre_ids is None
            else [stmt.where(a.centre_id.in_(chunk)) for chunk in chunks(centre_ids)]
        )
        spent: dict[int, Decimal] = defaultdict(Decimal)
        for part in parts:
            for centre_id, hours, rate, count in self.conn.execute(part):
                spent[centre_id] += session_cost(hours, rate) * count
        return {i: amount for i, amount in spent.items() if amount > 0}

    def held_sessions(self, centre_ids: Sequence[int], year: int) -> dict[int, list[HeldSession]]:
        """The coaching sessions these centres held in ``year``, by centre: only what their
        cost and the moment it was recorded need."""
        c = activities.c
        base = select(c.centre_id, c.id, c.recorded_at, c.hours, c.rate).where(
            c.kind == ActivityKind.COACHING,
            c.status == ActivityStatus.HELD,
            c.date.between(date(year, 1, 1), date(year, 12, 31)),
        )
        result: dict[int, list[HeldSession]] = {i: [] for i in centre_ids}
        for chunk in chunks(centre_ids):
            for centre_id, *session in self.conn.execute(base.where(c.centre_id.in_(chunk))):
                result[centre_id].append(HeldSession(*session))
        return result


def _with_id(change: StageChange, change_id: int) -> StageChange:
    return replace(change, id=change_id)
