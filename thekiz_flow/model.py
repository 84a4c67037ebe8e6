"""The values of thekiz-flow: frozen dataclasses. Imports nothing of the package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

#: The `to` of a transition that returns to the stage a `remember` transition left.
REMEMBERED = "@remembered"


@dataclass(frozen=True)
class CoachingRule:
    """How often a stage plans coaching sessions and for how long."""

    every_months: int  # 0: on request only
    for_months: int  # 0: open-ended / on request
    hours: Decimal
    hours_min: Decimal
    hours_max: Decimal


@dataclass(frozen=True)
class Stage:
    id: str
    name: str  # German display name
    active: bool = False
    final: bool = False
    budget_per_year: Decimal | None = None
    coaching: CoachingRule | None = None


@dataclass(frozen=True)
class GuardSpec:
    """A named guard of a transition and its parameters, as written in the workflow file."""

    name: str
    params: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str  # a stage id or REMEMBERED
    forward: bool = False
    remember: bool = False
    guards: tuple[GuardSpec, ...] = ()
    notify: str | None = None

    @property
    def returns(self) -> bool:
        """True for the transition that goes back to a remembered stage (resume)."""
        return self.dest == REMEMBERED


@dataclass(frozen=True)
class Workflow:
    name: str
    title: str
    initial: str
    stages: Mapping[str, Stage]
    transitions: Mapping[str, Transition]
    districts: tuple[str, ...]
    templates_dir: Path
    source: Path

    def stage(self, stage_id: str) -> Stage:
        return self.stages[stage_id]

    def forward_from(self, stage_id: str) -> Transition | None:
        """The next step in the programme from this stage, if there is one."""
        for transition in self.transitions.values():
            if transition.forward and stage_id in transition.sources:
                return transition
        return None

    def triggers_from(self, stage_id: str) -> list[str]:
        return [t.trigger for t in self.transitions.values() if stage_id in t.sources]


@dataclass(frozen=True)
class Coach:
    id: int
    name: str
    email: str
    rate: Decimal  # EUR per hour


@dataclass(frozen=True)
class Centre:
    id: int
    name: str
    district: str
    email: str
    carrier: str | None
    coach_id: int | None
    stage: str
    stage_since: date
    resume_stage: str | None = None


@dataclass(frozen=True)
class StageChange:
    """One row of the audit trail."""

    centre_id: int
    trigger: str
    from_stage: str
    to_stage: str
    effective: date
    recorded_at: datetime
    actor: str
    reason: str | None = None
    forced: bool = False
    id: int | None = None


@dataclass(frozen=True)
class CentreFacts:
    """What the guards read: a centre's stored history as of a date."""

    centre: Centre
    history: tuple[StageChange, ...]
    site_visits: tuple[tuple[date, str], ...]  # (date, stage) of held site visits
    on: date


@dataclass(frozen=True)
class Verdict:
    """Whether a trigger may fire for a centre, and if not, why."""

    trigger: str
    source: str
    dest: str
    missing: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class NewCentre:
    """A centre to be created: checked input, not yet stored."""

    name: str
    district: str
    email: str
    carrier: str | None
    coach_id: int | None
    stage: str
    stage_since: date


@dataclass(frozen=True)
class CentreInput:
    """A centre as typed on the command line or read from one CSV row (unchecked)."""

    name: str | None
    district: str | None
    email: str | None
    carrier: str | None = None
    coach: str | None = None
    stage: str | None = None
    stage_since: str | None = None
