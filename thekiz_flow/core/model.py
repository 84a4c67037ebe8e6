"""The values of thekiz-flow: frozen dataclasses. Imports nothing of the package but its enums."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from thekiz_flow.core.enums import (
    ActivityKind,
    ActivityStatus,
    CatchUp,
    CentreSort,
    Follows,
    Recipient,
    Stop,
)

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
    # on request only: the sessions a centre is expected to ask for a year (the office's
    # estimate, which the forecast assumes while no hours are on record); None: not set
    requests_per_year: Decimal | None = None


@dataclass(frozen=True)
class TrainingRule:
    """A kind of training a stage expects, within so many months of its start."""

    kind: str
    within_months: int


@dataclass(frozen=True)
class Stage:
    id: str
    name: str  # German display name
    active: bool = False
    final: bool = False
    budget_per_year: Decimal | None = None  # None: by need
    coaching: CoachingRule | None = None
    site_visit_within_months: int | None = None
    trainings: tuple[TrainingRule, ...] = ()

    def offers(self, kind: ActivityKind) -> bool:
        """Whether a centre in this stage has coaching sessions or site visits (``kind``)."""
        if kind == ActivityKind.COACHING:
            return self.coaching is not None
        return kind == ActivityKind.SITE_VISIT and self.site_visit_within_months is not None


@dataclass(frozen=True)
class AnnualClosure:
    """Days every centre is closed each year, e.g. 24 to 31 December (both included)."""

    first: tuple[int, int]  # (month, day)
    last: tuple[int, int]
    name: str


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
    label: str = ""  # its German name (the workflow file's `label`), as people read it

    @property
    def returns(self) -> bool:
        """True for the transition that goes back to a remembered stage (resume)."""
        return self.dest == REMEMBERED


@dataclass(frozen=True)
class ReminderRule:
    """When to remind whom of what, and what to do after downtime."""

    id: str
    follows: Follows
    template: str
    recipients: tuple[Recipient, ...]  # never the ministry
    kind: ActivityKind | None = None  # for follows = "activity"
    offset_days: int = 0
    every_days: int = 0
    times: int = 1
    stop: Stop = Stop.NEVER
    catch_up: CatchUp = CatchUp.LATE
    late_days: int = 3
    percent: int | None = None  # for follows = "budget"
    stage: str | None = None  # for follows = "stage_start": only the start of this stage
    label: str = ""  # what its mail is, in German (the workflow file's `label`)
    any_day: bool = False  # sent on any day; else a non-working day's mail waits for the next

    def offsets(self) -> list[int]:
        """Days after the event of each occurrence (negative: before)."""
        return [self.offset_days + n * self.every_days for n in range(self.times)]


# the step that records the stage a centre was imported in (not a step of the workflow file)
IMPORT_TRIGGER = "import"
IMPORT_STEP_NAME = "Übernahme beim Import"


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
    holidays: str = "DE-TH"  # COUNTRY or COUNTRY-SUBDIVISION for the holidays package
    closures: tuple[AnnualClosure, ...] = ()
    training_kinds: Mapping[str, str] = field(default_factory=dict)
    coach_max_hours_per_month: Decimal = Decimal(40)
    reminders: tuple[ReminderRule, ...] = ()
    send_at: time = time(8)  # local time at which reminders of a day go out

    def stage(self, stage_id: str) -> Stage:
        return self.stages[stage_id]

    def open_stages(self) -> list[str]:
        """The stages a centre can still leave (not final), in workflow order."""
        return [s.id for s in self.stages.values() if not s.final]

    def step_name(self, trigger: str) -> str:
        """A step's German name from the workflow file: "Wechsel in die Vertiefungsbegleitung";
        the stage a centre was imported in is "Übernahme beim Import"."""
        if trigger == IMPORT_TRIGGER:
            return IMPORT_STEP_NAME
        transition = self.transitions.get(trigger)
        return transition.label if transition is not None and transition.label else trigger

    def forward_from(self, stage_id: str) -> Transition | None:
        """The next step in the programme from this stage, if there is one."""
        for transition in self.transitions.values():
            if transition.forward and stage_id in transition.sources:
                return transition
        return None

    def triggers_from(self, stage_id: str) -> list[str]:
        return [t.trigger for t in self.transitions.values() if stage_id in t.sources]

    def paused_out_of(self, stage_id: str) -> tuple[str, ...]:
        """The stages a centre in this stage may have been paused out of, to return to later
        (none: no `remember` transition leads into it)."""
        stages: list[str] = []
        for transition in self.transitions.values():
            if transition.remember and transition.dest == stage_id:
                stages += transition.sources
        return tuple(dict.fromkeys(stages))


@dataclass(frozen=True)
class Coach:
    id: int
    name: str
    email: str
    rate: Decimal  # EUR per hour
    active: bool = True  # False: deactivated, offered for no centre


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
    weekday: int | None = None  # preferred weekday for sessions, 0 = Monday
    registered: date | None = None  # since when the programme knows the centre
    episode_start: date | None = None  # derived: the current stay in the stage began
    next_step_on: date | None = None  # derived: its next step becomes allowed

    @property
    def title(self) -> str:
        """The centre as pages and messages name it: "Kita Pusteblume (Jena)"."""
        return f"{self.name} ({self.district})"


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
    reason: str | None = None  # internal: never in a mail to the centre
    forced: bool = False
    id: int | None = None
    centre_note: str | None = None  # what the office tells the centre with the change


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
    resume_stage: str | None = None  # for a paused centre: the stage it returns to


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
    resume_stage: str | None = None


@dataclass(frozen=True)
class CentreEdit:
    """New values of a centre (unchecked); None leaves a value as it is."""

    name: str | None = None
    district: str | None = None
    email: str | None = None
    carrier: str | None = None  # "" removes it
    weekday: str | None = None  # mo to fr, or keiner
    coach: str | None = None  # a coach's number or e-mail address, or NO_COACH


@dataclass(frozen=True)
class CentreSearch:
    """What the centre list asks for (unchecked): filters, a search, an order, a page."""

    stage: str = ""  # "": every one
    district: str = ""
    coach: str = ""  # a coach's number, NO_COACH, or "": every centre
    text: str = ""  # part of the name, district or e-mail address
    sort: str = "name"
    page: str = "1"


@dataclass(frozen=True)
class CentrePage:
    centres: list[Centre]
    total: int  # centres found, on every page
    page: int
    pages: int


NO_COACH = "keine"  # CentreSearch.coach: centres without a coach


@dataclass(frozen=True)
class CentreQuery:
    """Which centres the store finds, in which order, and which page of them (checked)."""

    stage: str | None = None
    district: str | None = None
    coach_id: int | None = None
    without_coach: bool = False
    text: str | None = None  # part of the name, district or e-mail address (any case)
    sort: CentreSort = CentreSort.NAME
    stages: Sequence[str] = ()  # the programme's order of the stages, for sort="stage"
    among: Sequence[str] | None = None  # only centres in one of these stages (None: any)
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class Activity:
    """A coaching session, a training enrolment or a site visit of one centre.

    Held and cancelled activities are history: planning never changes them.
    """

    id: int
    centre_id: int
    kind: ActivityKind
    key: str  # stable: the planner finds its own rows by it
    stage: str
    date: date
    status: ActivityStatus
    hours: Decimal | None = None
    coach_id: int | None = None
    rate: Decimal | None = None  # the coach's hourly rate when planned or held
    training_id: int | None = None
    note: str | None = None
    reason: str | None = None  # why it was cancelled
    moved: bool = False  # its date was set by hand: planning leaves it there
    recorded_at: datetime | None = None  # when its status or date was last set


@dataclass(frozen=True)
class ActivityFilter:
    """Which activities to find: each given value must match; dated from ``first`` to
    ``last`` (both included)."""

    centre_id: int | None = None
    coach_id: int | None = None
    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    first: date | None = None
    last: date | None = None


class HeldSession(NamedTuple):
    """A held coaching session, as the budget reminders read it."""

    id: int
    recorded_at: datetime | None
    hours: Decimal | None
    rate: Decimal | None


@dataclass(frozen=True)
class PlannedActivity:
    """What the planner wants to exist, before it is stored."""

    key: str
    kind: ActivityKind
    stage: str
    date: date
    hours: Decimal | None = None
    coach_id: int | None = None
    floating: bool = False  # the date was derived from `today`: never move a stored one


@dataclass(frozen=True)
class Closure:
    """Days one centre is closed (both included)."""

    id: int
    centre_id: int
    first: date
    last: date
    note: str | None = None


@dataclass(frozen=True)
class Training:
    """An offering in the training catalogue."""

    id: int
    kind: str
    title: str
    date: date
    place: str
    capacity: int
    cancelled: str | None = None  # why the office called it off


@dataclass(frozen=True)
class NewTraining:
    """An offering to be stored: checked input."""

    kind: str
    title: str
    date: date
    place: str
    capacity: int


@dataclass(frozen=True)
class TrainingInput:
    """An offering as typed on the command line or read from one CSV row (unchecked)."""

    kind: str
    title: str
    date: str
    place: str
    capacity: str


@dataclass(frozen=True)
class Mail:
    """One message to one recipient, rendered, as the outbox keeps it."""

    id: int
    key: str  # the idempotency key: (centre, rule, subject, occurrence)
    recipient: str
    subject: str
    text: str
    html: str
    attachments: tuple[str, ...] = ()  # file paths
    calendar: str | None = None  # an iCalendar invitation (METHOD:REQUEST or CANCEL)

    @property
    def message_id(self) -> str:
        """Deterministic per outbox row: a resend after a crash shows as a duplicate."""
        digest = hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:16]
        return f"<outbox-{self.id}-{digest}@thekiz-flow>"


@dataclass(frozen=True)
class FeedEvent:
    """One coaching session or site visit, with its centre, as a calendar shows it."""

    activity_id: int
    kind: ActivityKind
    day: date
    status: ActivityStatus
    revision: int
    recorded_at: datetime | None
    hours: Decimal | None
    stage: str
    reason: str | None
    centre: str
    district: str
