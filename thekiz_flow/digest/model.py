"""The yearly status digest as values: what the aggregation produces and the files show.

Imports nothing of the package but the model. Every figure is for one calendar year and
comes from history (audit rows with their effective dates, activities with their dates),
so the digest of a year reads the same whenever it is produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple


class CentreYear(NamedTuple):  # a tuple: one per centre, made cheaply
    """One centre in the year: one row of digest-YEAR.csv."""

    id: int
    name: str
    district: str
    stage_start: str  # stage id on 1 January
    stage_end: str  # stage id on 31 December
    sessions_held: int
    hours: Decimal
    cost: Decimal
    budget: Decimal | None  # accrued over the year's months; None: no month with a budget
    site_visit_held: bool
    trainings_attended: int


class SessionFigures(NamedTuple):  # a tuple: one per centre, made cheaply
    planned: int = 0  # still planned (not recorded) at the time of the digest
    held: int = 0
    cancelled: int = 0
    hours: Decimal = Decimal(0)  # of the held sessions
    cost: Decimal = Decimal(0)  # of the held sessions


def add_figures(a: SessionFigures, b: SessionFigures) -> SessionFigures:
    return SessionFigures(
        a.planned + b.planned,
        a.held + b.held,
        a.cancelled + b.cancelled,
        a.hours + b.hours,
        a.cost + b.cost,
    )


@dataclass(frozen=True)
class Gap:
    """A centre in a stage with regular sessions and none held for longer than the stage's
    rhythm allows (:mod:`thekiz_flow.core.tallies`): at least one session missed."""

    centre_id: int
    name: str
    district: str
    first: date  # the last session before the gap, or the start of the stay
    last: date  # the next session, or the end of the year
    days: int
    stage: str = ""  # the German name of the stage whose rhythm the stretch exceeds


@dataclass(frozen=True)
class TrainingFigures:
    kind: str  # the German name of the kind
    enrolled: int
    attended: int


@dataclass(frozen=True)
class Digest:
    year: int
    stages: tuple[tuple[str, str], ...]  # (id, German name), in workflow order
    districts: tuple[str, ...]
    # centres per stage at the start and end of the year, in total and per district
    stage_start: dict[str, int]
    stage_end: dict[str, int]
    district_start: dict[tuple[str, str], int]  # (district, stage) -> centres
    district_end: dict[tuple[str, str], int]
    # what happened in the year
    admissions: int
    changes_by_trigger: dict[str, int]
    pauses: int
    withdrawals: int
    sessions_by_stage: dict[str, SessionFigures]
    sessions_by_district: dict[str, SessionFigures]
    # accrued budgets of the months in each stage with a budget (a stage by need is absent)
    budget_by_stage: dict[str, Decimal]
    site_visits_held: int
    site_visits_outstanding: int  # planned in the year and not held, or due and missing
    trainings: tuple[TrainingFigures, ...]
    gaps: tuple[Gap, ...]
    centres: tuple[CentreYear, ...] = field(default_factory=tuple)
    # the gap rule per stage with one: (German name, cadence in months, days allowed)
    gap_rules: tuple[tuple[str, int, int], ...] = ()
    # the programme's steps: (trigger, German name from the workflow file), in its order
    steps: tuple[tuple[str, str], ...] = ()

    @property
    def total_cost(self) -> Decimal:
        return sum((f.cost for f in self.sessions_by_stage.values()), Decimal(0))

    @property
    def budgeted_cost(self) -> Decimal:
        """The cost of the sessions held in stages with a budget."""
        return sum(
            (f.cost for s, f in self.sessions_by_stage.items() if s in self.budget_by_stage),
            Decimal(0),
        )

    @property
    def total_budget(self) -> Decimal:
        return sum(self.budget_by_stage.values(), Decimal(0))

    @property
    def total_held(self) -> int:
        return sum(f.held for f in self.sessions_by_stage.values())
