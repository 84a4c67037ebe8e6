"""The yearly status digest: pure aggregation of history into a :class:`Digest`.

Stages come from the audit trail by effective date (the stage in force on 1 January and
31 December, each month on its 15th for the budget), activities by their date and the
coach's rate recorded with them. Nothing reads a centre's current stage, so a digest of
a year produced later reads the same.

The year's activities arrive counted (:class:`Tally`), not one by one, and the held
sessions as the pairs in a row that may lie more than two months apart: the store counts
and pairs them, the figures here stay exact.
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property, reduce
from typing import TypeVar

from dateutil.relativedelta import relativedelta

from thekiz_flow.budget import accrued_budget, monthly_stages, session_cost, stage_on
from thekiz_flow.digest_model import (
    CentreYear,
    Digest,
    Gap,
    SessionFigures,
    TrainingFigures,
    add_figures,
)
from thekiz_flow.history import episode_start, facts_as_of
from thekiz_flow.model import (
    CANCELLED,
    COACHING,
    HELD,
    PLANNED,
    SITE_VISIT,
    TRAINING,
    Centre,
    StageChange,
    Training,
    Workflow,
)

GAP = relativedelta(months=2)
SHORTEST_GAP_DAYS = 59  # two months are never shorter: sessions closer are never a gap
LONGEST_GAP_DAYS = 62  # nor longer
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Tally:
    """A centre's activities of the year alike in all but their date: how many, and the first
    and the last date among them."""

    kind: str
    stage: str
    status: str
    training_id: int | None
    hours: Decimal | None
    rate: Decimal | None
    count: int
    first: date
    last: date

    @property
    def total_hours(self) -> Decimal:
        return (self.hours or Decimal(0)) * self.count

    @property
    def total_cost(self) -> Decimal:
        each = session_cost(self.hours, self.rate) if self.kind == COACHING else Decimal(0)
        return each * self.count


Pair = tuple[date, date]  # two held sessions of a centre in a row: (earlier, later)


@dataclass(frozen=True)
class YearInput:
    """What the store hands over for one year."""

    year: int
    centres: Sequence[Centre]
    histories: Mapping[int, Sequence[StageChange]]
    tallies: Mapping[int, Sequence[Tally]]  # per centre: its activities dated in the year
    # per centre: held sessions of the year in a row; at least every pair more than
    # SHORTEST_GAP_DAYS apart (closer pairs may be left out)
    pairs: Mapping[int, Sequence[Pair]]
    visits: Mapping[int, Sequence[tuple[date, str]]]  # all held site visits
    trainings: Mapping[int, Training]

    @cached_property
    def first(self) -> date:
        return date(self.year, 1, 1)

    @cached_property
    def last(self) -> date:
        return date(self.year, 12, 31)

    def known(self) -> list[Centre]:
        """The centres the programme knew by the end of the year."""
        return [c for c in self.centres if c.registered is None or c.registered <= self.last]

    def all_tallies(self) -> Iterator[Tally]:
        """The tallies of all centres."""
        return (t for tallies in self.tallies.values() for t in tallies)


def _apart(first: date, last: date) -> bool:
    """Whether ``last`` lies more than two months after ``first`` (by the calendar)."""
    days = (last - first).days
    if SHORTEST_GAP_DAYS <= days <= LONGEST_GAP_DAYS:
        return last > first + GAP
    return days > LONGEST_GAP_DAYS


def _count(tallies: Iterable[Tally], kind: str, *statuses: str) -> int:
    return sum(t.count for t in tallies if t.kind == kind and t.status in statuses)


def _figures(sessions: Iterable[Tally]) -> SessionFigures:
    counts = dict.fromkeys((PLANNED, HELD, CANCELLED), 0)
    hours = cost = Decimal(0)
    for tally in sessions:
        if tally.status in counts:
            counts[tally.status] += tally.count
        if tally.status == HELD:
            hours += tally.total_hours
            cost += tally.total_cost
    return SessionFigures(counts[PLANNED], counts[HELD], counts[CANCELLED], hours, cost)


def _group(items: Iterable[V], key: Callable[[V], K | None]) -> dict[K, list[V]]:
    groups: dict[K, list[V]] = defaultdict(list)
    for item in items:
        group = key(item)
        if group is not None:
            groups[group].append(item)
    return groups


def _stages_at(workflow: Workflow, data: YearInput, day: date) -> dict[int, str]:
    return {
        c.id: stage_on(data.histories.get(c.id, []), workflow.initial, day)
        for c in data.known()
        if c.registered is None or c.registered <= day
    }


def _census(
    stages: Mapping[int, str], centres: Sequence[Centre]
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


def _budgets(workflow: Workflow, data: YearInput) -> tuple[dict[str, Decimal], dict[int, Decimal]]:
    """Accrued budget per stage (months counted on their 15th) and per centre."""
    by_stage: dict[str, Decimal] = {}
    by_centre: dict[int, Decimal] = {}
    for centre in data.known():
        months = monthly_stages(data.histories.get(centre.id, []), workflow.initial, data.year)
        if centre.registered is not None:
            months = [
                s for m, s in enumerate(months, 1) if centre.registered <= date(data.year, m, 15)
            ]
        by_centre[centre.id] = accrued_budget(workflow, months)
        for stage in set(months):
            amount = accrued_budget(workflow, [s for s in months if s == stage])
            by_stage[stage] = by_stage.get(stage, Decimal(0)) + amount
    return by_stage, by_centre


def _outstanding(workflow: Workflow, data: YearInput, stages_end: Mapping[int, str]) -> int:
    """Centres at year end whose stage's site visit was due and had not been held."""
    missing = 0
    for centre in data.known():
        stage = workflow.stage(stages_end.get(centre.id, workflow.initial))
        if not stage.active or stage.site_visit_within_months is None:
            continue
        history = data.histories.get(centre.id, [])
        earlier = [c.effective for c in history if c.effective <= data.last]
        since = earlier[-1] if earlier else centre.registered or centre.stage_since
        as_stage = Centre(
            centre.id, centre.name, centre.district, centre.email, None, None, stage.id, since
        )
        facts = facts_as_of(as_stage, history, data.visits.get(centre.id, []), data.last)
        start = episode_start(facts, workflow)
        due = start + relativedelta(months=stage.site_visit_within_months)
        held = any(s == stage.id and start <= d for d, s in facts.site_visits)
        missing += due <= data.last and not held
    return missing


def _coaching_periods(
    workflow: Workflow, data: YearInput, history: Sequence[StageChange], registered: date | None
) -> list[tuple[date, date]]:
    """The stretches of the year in stages that plan regular sessions, merged."""
    periods: list[tuple[date, date]] = []
    day = max(data.first, registered or data.first)
    while day <= data.last:
        stage = workflow.stage(stage_on(history, workflow.initial, day))
        later = [c.effective for c in history if day < c.effective <= data.last]
        end = (min(later) - timedelta(days=1)) if later else data.last
        regular = stage.coaching is not None and stage.coaching.every_months > 0
        if regular and periods and periods[-1][1] + timedelta(days=1) == day:
            periods[-1] = (periods[-1][0], end)
        elif regular:
            periods.append((day, end))
        day = end + timedelta(days=1)
    return periods


def held_runs(first: date, last: date, pairs: Iterable[Pair]) -> list[Pair]:
    """The stretches from the ``first`` to the ``last`` held session in which no two sessions
    in a row lie more than two months apart. ``pairs`` are sessions in a row, at least every
    pair that lies further apart (closer pairs change nothing)."""
    runs = []
    start = first
    for earlier, later in sorted(pairs):
        if _apart(earlier, later):
            runs.append((start, earlier))
            start = later
    runs.append((start, last))
    return runs


def _runs(data: YearInput, centre_id: int) -> list[Pair]:
    held = [t for t in data.tallies.get(centre_id, ()) if t.kind == COACHING and t.status == HELD]
    if not held:
        return []
    first, last = min(t.first for t in held), max(t.last for t in held)
    return held_runs(first, last, data.pairs.get(centre_id, ()))


def _uncovered(start: date, end: date, runs: Sequence[Pair]) -> Iterator[Pair]:
    """The stretches from ``start`` to ``end`` between the runs of held sessions: each from
    the start or a run's last session to the next run's first session or the end. Inside a
    run no two sessions in a row lie more than two months apart, nor do its sessions and
    ``start`` or ``end`` falling into it."""
    day = start
    for first, last in runs:
        if first <= end and last >= start:
            yield day, max(first, start)
            day = min(last, end)
    yield day, end


def _gap(workflow: Workflow, data: YearInput, centre: Centre) -> Gap | None:
    """The longest stretch without a held session longer than two months, if any."""
    longest: Gap | None = None
    history = data.histories.get(centre.id, [])
    runs = _runs(data, centre.id)
    for start, end in _coaching_periods(workflow, data, history, centre.registered):
        for first, last in _uncovered(start, end, runs):
            if _apart(first, last) and (longest is None or (last - first).days > longest.days):
                longest = Gap(
                    centre.id, centre.name, centre.district, first, last, (last - first).days
                )
    return longest


def _sessions_by_district(data: YearInput, district: Mapping[int, str]) -> dict[str, list[Tally]]:
    by_district: dict[str, list[Tally]] = defaultdict(list)
    for centre_id, tallies in data.tallies.items():
        if centre_id in district:
            by_district[district[centre_id]].extend(t for t in tallies if t.kind == COACHING)
    return by_district


def _training_kind(data: YearInput, seat: Tally) -> str | None:
    training = None if seat.training_id is None else data.trainings.get(seat.training_id)
    return None if training is None else training.kind


def _trainings(workflow: Workflow, data: YearInput) -> tuple[TrainingFigures, ...]:
    by_kind = _group(
        (t for t in data.all_tallies() if t.kind == TRAINING),
        lambda seat: _training_kind(data, seat),
    )
    figures = []
    for kind, name in workflow.training_kinds.items():
        mine = by_kind.get(kind, [])
        enrolled = _count(mine, TRAINING, PLANNED, HELD)
        figures.append(TrainingFigures(name, enrolled, _count(mine, TRAINING, HELD)))
    return tuple(figures)


def _centre_rows(
    data: YearInput,
    start: Mapping[int, str],
    end: Mapping[int, str],
    budgets: Mapping[int, Decimal],
    initial: str,
) -> tuple[CentreYear, ...]:
    rows = []
    for centre in data.known():
        mine = data.tallies.get(centre.id, ())
        sessions = _figures(t for t in mine if t.kind == COACHING)
        rows.append(
            CentreYear(
                centre.id,
                centre.name,
                centre.district,
                start.get(centre.id, initial),
                end.get(centre.id, initial),
                sessions.held,
                sessions.hours,
                sessions.cost,
                budgets.get(centre.id, Decimal(0)),
                _count(mine, SITE_VISIT, HELD) > 0,
                _count(mine, TRAINING, HELD),
            )
        )
    return tuple(rows)


def build_digest(workflow: Workflow, data: YearInput) -> Digest:
    start, end = _stages_at(workflow, data, data.first), _stages_at(workflow, data, data.last)
    known = data.known()
    stage_start, district_start = _census(start, known)
    stage_end, district_end = _census(end, known)
    admissions, by_trigger, pauses, withdrawals = _changes(workflow, data)
    district = {c.id: c.district for c in known}
    by_stage = _group((t for t in data.all_tallies() if t.kind == COACHING), lambda t: t.stage)
    by_district = _sessions_by_district(data, district)
    budget_by_stage, budget_by_centre = _budgets(workflow, data)
    gaps = (_gap(workflow, data, c) for c in known)
    return Digest(
        year=data.year,
        stages=tuple((s.id, s.name) for s in workflow.stages.values()),
        districts=workflow.districts,
        stage_start=dict(stage_start),
        stage_end=dict(stage_end),
        district_start=dict(district_start),
        district_end=dict(district_end),
        admissions=admissions,
        changes_by_trigger=by_trigger,
        pauses=pauses,
        withdrawals=withdrawals,
        sessions_by_stage={s: _figures(by_stage[s]) for s in workflow.stages if s in by_stage},
        sessions_by_district={d: _figures(by_district.get(d, [])) for d in workflow.districts},
        budget_by_stage=budget_by_stage,
        site_visits_held=_count(data.all_tallies(), SITE_VISIT, HELD),
        site_visits_outstanding=_outstanding(workflow, data, end),
        trainings=_trainings(workflow, data),
        gaps=tuple(g for g in gaps if g is not None),
        centres=_centre_rows(data, start, end, budget_by_centre, workflow.initial),
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
