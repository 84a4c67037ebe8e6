"""The yearly status digest: pure aggregation of history into a :class:`Digest`.

Stages come from the audit trail by effective date (the stage in force on 1 January and
31 December, each month on its 15th for the budget), activities by their date and the
coach's rate recorded with them. Nothing reads a centre's current stage, so a digest of
a year produced later reads the same.

The year's activities arrive counted (:class:`Tally`), not one by one, and the held
sessions as the pairs in a row that lie far enough apart to be a gap: the store counts and
pairs them, the figures here stay exact. A gap follows the rhythm of the stage in force
(:mod:`thekiz_flow.core.tallies`): more days without a held session than the stage's
cadence and half of it, counted from the last session or the start of the stay or year.
"""

from __future__ import annotations

import operator
from calendar import monthrange
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache, reduce
from typing import Any, NamedTuple, Protocol, TypeVar

from thekiz_flow.core.budget import accrued_budget, has_budget, mid_months, stages_on
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.history import Change, stay_start
from thekiz_flow.core.model import Workflow
from thekiz_flow.core.tallies import Pair, Tally, gap_limits
from thekiz_flow.digest.model import (
    CentreYear,
    Digest,
    Gap,
    SessionFigures,
    TrainingFigures,
    add_figures,
)

ONE_DAY = timedelta(days=1)
K = TypeVar("K")
V = TypeVar("V")


class Member(Protocol):
    """What the digest reads of a centre."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def stage_since(self) -> date: ...
    @property
    def registered(self) -> date | None: ...


@dataclass(frozen=True)
class YearInput:
    """What the store hands over for one year."""

    year: int
    centres: Sequence[Member]
    # per centre: its stage changes in the order recorded (those dated after the year may be
    # left out: a change is never dated before the stay it ends began, so none of them is
    # dated within the year)
    histories: Mapping[int, Sequence[Change]]
    tallies: Mapping[int, Sequence[Tally]]  # per centre: its activities dated in the year
    # per centre: held sessions of the year in a row; at least every pair more than
    # tallies.shortest_gap(workflow) days apart (closer pairs may be left out)
    pairs: Mapping[int, Sequence[Pair]]
    # per centre: held site visits up to the year's end, at least the last in each stage
    visits: Mapping[int, Sequence[tuple[date, str]]]
    trainings: Mapping[int, str]  # the kind of each training, by id

    @cached_property
    def first(self) -> date:
        return date(self.year, 1, 1)

    @cached_property
    def last(self) -> date:
        return date(self.year, 12, 31)

    def known(self) -> list[Member]:
        """The centres the programme knew by the end of the year."""
        return [c for c in self.centres if c.registered is None or c.registered <= self.last]


ZERO = Decimal(0)


class _Counted(NamedTuple):
    """What a centre's tallies come to."""

    sessions: SessionFigures
    held: Pair | None  # its first and its last held session
    site_visits: int  # held
    trainings: int  # attended


NOTHING = _Counted(SessionFigures(), None, 0, 0)


@dataclass
class _Counts:
    """What all the centres' tallies come to, counted in one pass."""

    centres: dict[int, _Counted] = field(default_factory=dict)
    # per stage: planned, held, cancelled, hours and cost (of the held) of its sessions
    stages: dict[str, list[Any]] = field(default_factory=dict)
    site_visits: int = 0  # held
    seats: dict[str, list[int]] = field(default_factory=dict)  # per kind: enrolled, attended

    def sessions_by_stage(self, workflow: Workflow) -> dict[str, SessionFigures]:
        return {s: SessionFigures(*self.stages[s]) for s in workflow.stages if s in self.stages}


def _count_all(data: YearInput) -> _Counts:
    """The tallies of all centres counted: per centre, per stage, per kind of training."""
    coaching, site_visit, training = (
        ActivityKind.COACHING,
        ActivityKind.SITE_VISIT,
        ActivityKind.TRAINING,
    )
    planned_, held_, cancelled_ = (
        ActivityStatus.PLANNED,
        ActivityStatus.HELD,
        ActivityStatus.CANCELLED,
    )
    counts = _Counts()
    by_stage, seats, kinds = counts.stages, counts.seats, data.trainings
    for centre_id, tallies in data.tallies.items():
        planned = held = cancelled = visits = attended = 0
        hours = cost = ZERO
        first: date | None = None
        last: date | None = None
        for tally in tallies:
            kind, status, number = tally.kind, tally.status, tally.number
            if kind == coaching:
                stage = by_stage.get(tally.stage)
                if stage is None:
                    stage = by_stage[tally.stage] = [0, 0, 0, ZERO, ZERO]
                if status == held_:
                    spent_hours, spent = tally.total_hours, tally.total_cost
                    held += number
                    hours += spent_hours
                    cost += spent
                    stage[1] += number
                    stage[3] += spent_hours
                    stage[4] += spent
                    if first is None or tally.first < first:
                        first = tally.first
                    if last is None or tally.last > last:
                        last = tally.last
                elif status == planned_:
                    planned += number
                    stage[0] += number
                elif status == cancelled_:
                    cancelled += number
                    stage[2] += number
            elif kind == site_visit:
                if status == held_:
                    visits += number
            elif kind == training:
                if status == held_:
                    attended += number
                offered = None if tally.training_id is None else kinds.get(tally.training_id)
                if offered is not None and status in (planned_, held_):
                    seat = seats.get(offered)
                    if seat is None:
                        seat = seats[offered] = [0, 0]
                    seat[0] += number
                    if status == held_:
                        seat[1] += number
        counts.centres[centre_id] = _Counted(
            SessionFigures(planned, held, cancelled, hours, cost),
            None if first is None or last is None else (first, last),
            visits,
            attended,
        )
        counts.site_visits += visits
    return counts


@dataclass(frozen=True)
class _Year:
    """What the figures of every centre share in a year, worked out once per digest."""

    workflow: Workflow
    first: date
    last: date
    days: tuple[date, ...]  # 1 January, each month's 15th, 31 December
    limits: dict[str, int]  # the stages with a gap rule: days without a held session allowed
    names: dict[str, str]  # the stages' German names
    # accrued budget per sequence of monthly stages: the centre's (None: no month in a stage
    # with a budget), and each stage's share
    budgets: dict[tuple[str | None, ...], tuple[Decimal | None, dict[str, Decimal]]] = field(
        default_factory=dict
    )

    @classmethod
    def of(cls, workflow: Workflow, year: int) -> _Year:
        first, last = date(year, 1, 1), date(year, 12, 31)
        days = (first, *mid_months(year), last)
        return cls(workflow, first, last, days, gap_limits(workflow), stage_names_of(workflow))

    def budget(self, months: tuple[str | None, ...]) -> tuple[Decimal | None, dict[str, Decimal]]:
        """Accrued over ``months`` (January to December, None where a month does not count):
        in all (None without a month in a stage with a budget), and per stage with a budget.
        The stages' shares add up to the whole exactly."""
        known = self.budgets.get(months)
        if known is None:
            by_stage = {
                stage: accrued_budget(self.workflow, [s if s == stage else None for s in months])
                for stage in {s for s in months if s is not None}
                if has_budget(self.workflow, [stage])
            }
            total = sum(by_stage.values(), Decimal(0)) if by_stage else None
            known = self.budgets[months] = total, by_stage
        return known


class _Stages(NamedTuple):
    """A centre's stages on the year's days (:attr:`_Year.days`) once it was registered."""

    start: str | None  # on 1 January
    end: str | None  # on 31 December
    months: tuple[str | None, ...]  # on the 15th of each month; None before registration


def _stages(year: _Year, data: YearInput, centre: Member) -> _Stages:
    stages = stages_on(data.histories.get(centre.id, ()), year.workflow.initial, year.days)
    registered = centre.registered
    if registered is None or registered <= year.first:
        return _Stages(stages[0], stages[-1], tuple(stages[1:-1]))
    known = [s if registered <= day else None for s, day in zip(stages, year.days, strict=True)]
    return _Stages(known[0], known[-1], tuple(known[1:-1]))


def _census(
    stages: Mapping[int, str], centres: Sequence[Member]
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    district = {c.id: c.district for c in centres}
    return (
        Counter(stages.values()),
        Counter((district[i], s) for i, s in stages.items()),
    )


def _changes(workflow: Workflow, data: YearInput) -> tuple[int, dict[str, int], int, int]:
    """Admissions, changes by trigger, pauses and withdrawals effective in the year."""
    in_year = [
        c
        for changes in data.histories.values()
        for c in changes
        if data.first <= c.effective <= data.last and c.trigger in workflow.transitions
    ]
    admit = workflow.forward_from(workflow.initial)
    by_trigger = Counter(c.trigger for c in in_year)
    pauses = sum(workflow.transitions[c.trigger].remember for c in in_year)
    withdrawals = sum(workflow.stage(c.to_stage).final for c in in_year)
    return by_trigger[admit.trigger] if admit else 0, dict(by_trigger), pauses, withdrawals


def _budgets(
    year: _Year, stages: Mapping[int, _Stages]
) -> tuple[dict[str, Decimal], dict[int, Decimal | None]]:
    """Accrued budget per stage with a budget (months counted on their 15th) and per centre
    (None: none of its months was in a stage with a budget)."""
    by_stage: dict[str, Decimal] = {}
    by_centre: dict[int, Decimal | None] = {}
    for centre_id, centre_stages in stages.items():
        by_centre[centre_id], shares = year.budget(centre_stages.months)
        for stage, amount in shares.items():
            by_stage[stage] = by_stage.get(stage, Decimal(0)) + amount
    return by_stage, by_centre


@lru_cache(maxsize=4096)
def _months_after(day: date, months: int) -> date:
    """``day`` plus ``months`` months, the day kept or cut to the month's last (as
    ``relativedelta(months=months)`` adds them, without its cost on a first call)."""
    years, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _outstanding(
    year: _Year, data: YearInput, known: Sequence[Member], stages_end: Mapping[int, str]
) -> int:
    """Centres at year end whose stage's site visit was due and had not been held."""
    workflow = year.workflow
    missing = 0
    for centre in known:
        stage = workflow.stage(stages_end.get(centre.id, workflow.initial))
        within = stage.site_visit_within_months
        if not stage.active or within is None:
            continue
        history = [c for c in data.histories.get(centre.id, ()) if c.effective <= year.last]
        since = history[-1].effective if history else centre.registered or centre.stage_since
        start = stay_start(workflow, stage.id, since, history)
        visits = data.visits.get(centre.id, ())
        held = any(s == stage.id and start <= d <= year.last for d, s in visits)
        missing += _months_after(start, within) <= year.last and not held
    return missing


class _Segment(NamedTuple):
    """A stretch of the year in one stage with a gap rule, and its limit in days."""

    start: date
    end: date
    stage: str
    limit: int


def _segments(year: _Year, history: Sequence[Change], registered: date | None) -> list[_Segment]:
    """The stretches of the year in stages with a gap rule, each in one stage."""
    first = max(year.first, registered or year.first)
    if first > year.last:
        return []
    starts = [first, *sorted({c.effective for c in history if first < c.effective <= year.last})]
    ends = [*(day - ONE_DAY for day in starts[1:]), year.last]
    stages = stages_on(history, year.workflow.initial, starts)
    segments: list[_Segment] = []
    for start, end, stage in zip(starts, ends, stages, strict=True):
        if stage not in year.limits:
            continue
        if segments and segments[-1].end + ONE_DAY == start and segments[-1].stage == stage:
            segments[-1] = segments[-1]._replace(end=end)
        else:
            segments.append(_Segment(start, end, stage, year.limits[stage]))
    return segments


def _periods(segments: Sequence[_Segment]) -> list[Pair]:
    """The segments merged where one follows the other without a day between."""
    periods: list[Pair] = []
    for segment in segments:
        if periods and periods[-1][1] + ONE_DAY == segment.start:
            periods[-1] = (periods[-1][0], segment.end)
        else:
            periods.append((segment.start, segment.end))
    return periods


def held_runs(first: date, last: date, pairs: Iterable[Pair]) -> list[Pair]:
    """The stretches from the ``first`` to the ``last`` held session split at ``pairs``:
    sessions in a row, at least every pair that lies far enough apart to be a gap (closer
    pairs split a run into runs whose stretch between is no gap either)."""
    runs = []
    start = first
    for earlier, later in sorted(pairs):
        runs.append((start, earlier))
        start = later
    runs.append((start, last))
    return runs


def _uncovered(start: date, end: date, runs: Sequence[Pair]) -> Iterator[Pair]:
    """The stretches from ``start`` to ``end`` between the runs of held sessions: each from
    the start or a run's last session to the next run's first session or the end. Inside a
    run no two sessions in a row lie far enough apart to be a gap, nor do its sessions and
    ``start`` or ``end`` falling into it."""
    day = start
    for first, last in runs:
        if first <= end and last >= start:
            yield day, max(first, start)
            day = min(last, end)
    yield day, end


def _rule(segments: Sequence[_Segment], first: date, last: date) -> _Segment:
    """The segment whose rule a stretch inside the merged segments follows: of the stages in
    force over the stretch, the one with the longest limit (a stretch across a change of stage
    is measured by the more lenient rhythm)."""
    return max(
        (s for s in segments if s.start <= last and s.end >= first),
        key=lambda s: s.limit,
    )


def _gap(year: _Year, data: YearInput, centre: Member, held: Pair | None) -> Gap | None:
    """The longest stretch without a held session longer than its stage's limit, if any
    (``held``: the first and the last held session of the year)."""
    segments = _segments(year, data.histories.get(centre.id, ()), centre.registered)
    if not segments:
        return None
    longest: Gap | None = None
    runs = [] if held is None else held_runs(*held, data.pairs.get(centre.id, ()))
    names = year.names
    shortest = min(s.limit for s in segments)
    for start, end in _periods(segments):
        for first, last in _uncovered(start, end, runs):
            days = (last - first).days
            if days <= shortest or (longest and days <= longest.days):
                continue
            rule = _rule(segments, first, last)
            if days > rule.limit:
                longest = Gap(
                    centre.id, centre.name, centre.district, first, last, days, names[rule.stage]
                )
    return longest


def _cadence(workflow: Workflow, stage: str) -> int:
    coaching = workflow.stage(stage).coaching
    return 0 if coaching is None else coaching.every_months


def stage_names_of(workflow: Workflow) -> dict[str, str]:
    return {stage.id: stage.name for stage in workflow.stages.values()}


def _trainings(workflow: Workflow, counts: _Counts) -> tuple[TrainingFigures, ...]:
    return tuple(
        TrainingFigures(name, *counts.seats.get(kind, (0, 0)))
        for kind, name in workflow.training_kinds.items()
    )


def _sessions_by_district(
    workflow: Workflow, known: Sequence[Member], sessions: Mapping[int, SessionFigures]
) -> dict[str, SessionFigures]:
    by_district: dict[str, SessionFigures] = {}
    for centre in known:
        figures = by_district.get(centre.district, SessionFigures())
        by_district[centre.district] = add_figures(figures, sessions[centre.id])
    return {d: by_district.get(d, SessionFigures()) for d in workflow.districts}


def _centre_row(
    centre: Member, stages: _Stages, counted: _Counted, budget: Decimal | None, initial: str
) -> CentreYear:
    sessions = counted.sessions
    return CentreYear(
        centre.id,
        centre.name,
        centre.district,
        stages.start or initial,
        stages.end or initial,
        sessions.held,
        sessions.hours,
        sessions.cost,
        budget,
        counted.site_visits > 0,
        counted.trainings,
    )


def build_digest(workflow: Workflow, data: YearInput) -> Digest:
    year = _Year.of(workflow, data.year)
    known = data.known()
    stages = {c.id: _stages(year, data, c) for c in known}
    start = {i: s.start for i, s in stages.items() if s.start is not None}
    end = {i: s.end for i, s in stages.items() if s.end is not None}
    stage_start, district_start = _census(start, known)
    stage_end, district_end = _census(end, known)
    admissions, by_trigger, pauses, withdrawals = _changes(workflow, data)
    counts = _count_all(data)
    counted = {c.id: counts.centres.get(c.id, NOTHING) for c in known}
    sessions = {i: figures.sessions for i, figures in counted.items()}
    budget_by_stage, budget_by_centre = _budgets(year, stages)
    gaps = (_gap(year, data, c, counted[c.id].held) for c in known)
    return Digest(
        year=data.year,
        stages=tuple((s.id, s.name) for s in workflow.stages.values()),
        steps=tuple((t, workflow.step_name(t)) for t in workflow.transitions),
        districts=workflow.districts,
        stage_start=dict(stage_start),
        stage_end=dict(stage_end),
        district_start=dict(district_start),
        district_end=dict(district_end),
        admissions=admissions,
        changes_by_trigger=by_trigger,
        pauses=pauses,
        withdrawals=withdrawals,
        sessions_by_stage=counts.sessions_by_stage(workflow),
        sessions_by_district=_sessions_by_district(workflow, known, sessions),
        budget_by_stage=budget_by_stage,
        site_visits_held=counts.site_visits,
        site_visits_outstanding=_outstanding(year, data, known, end),
        trainings=_trainings(workflow, counts),
        gaps=tuple(g for g in gaps if g is not None),
        gap_rules=tuple(
            (workflow.stage(s).name, _cadence(workflow, s), limit)
            for s, limit in year.limits.items()
        ),
        centres=tuple(
            _centre_row(c, stages[c.id], counted[c.id], budget_by_centre[c.id], workflow.initial)
            for c in known
        ),
    )


def _add(a: Mapping[K, V], b: Mapping[K, V], plus: Callable[[V, V], V]) -> dict[K, V]:
    merged = dict(a)
    for key, value in b.items():
        merged[key] = plus(merged[key], value) if key in merged else value
    return merged


def merge(a: Digest, b: Digest) -> Digest:
    """One digest of the centres of two partial digests of the same year."""
    return replace(
        a,
        stage_start=_add(a.stage_start, b.stage_start, operator.add),
        stage_end=_add(a.stage_end, b.stage_end, operator.add),
        district_start=_add(a.district_start, b.district_start, operator.add),
        district_end=_add(a.district_end, b.district_end, operator.add),
        admissions=a.admissions + b.admissions,
        changes_by_trigger=_add(a.changes_by_trigger, b.changes_by_trigger, operator.add),
        pauses=a.pauses + b.pauses,
        withdrawals=a.withdrawals + b.withdrawals,
        sessions_by_stage=_add(a.sessions_by_stage, b.sessions_by_stage, add_figures),
        sessions_by_district=_add(a.sessions_by_district, b.sessions_by_district, add_figures),
        budget_by_stage=_add(a.budget_by_stage, b.budget_by_stage, operator.add),
        site_visits_held=a.site_visits_held + b.site_visits_held,
        site_visits_outstanding=a.site_visits_outstanding + b.site_visits_outstanding,
        trainings=tuple(
            TrainingFigures(x.kind, x.enrolled + y.enrolled, x.attended + y.attended)
            for x, y in zip(a.trainings, b.trainings, strict=True)
        ),
        gaps=a.gaps + b.gaps,
        centres=a.centres + b.centres,
    )


def build_digest_in_parts(workflow: Workflow, parts: Iterable[YearInput]) -> Digest:
    """The digest of many centres, a part at a time: memory stays bounded by the part."""
    return reduce(merge, (build_digest(workflow, part) for part in parts))
