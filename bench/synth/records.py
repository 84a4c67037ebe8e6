"""A centre's rows while its life is simulated: its activities, itself, the id blocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, Centre, Coach, StageChange


@dataclass
class Act:
    """An activity row while its centre's life is simulated."""

    id: int
    centre_id: int
    kind: str
    key: str
    stage: str
    date: dt.date
    status: str
    hours: Decimal | None
    coach_id: int | None
    rate: Decimal | None
    training_id: int | None
    recorded_at: datetime | None
    created: datetime  # when the row was written (planned or booked)
    note: str | None = None
    reason: str | None = None
    closed: datetime | None = None  # when it stopped being planned
    moved: bool = False  # moved by hand off the planner's day
    seat: tuple[str, dt.date, str] | None = None  # a training: (kind, month, place)

    def model(self) -> Activity:
        return Activity(
            self.id,
            self.centre_id,
            ActivityKind(self.kind),
            self.key,
            self.stage,
            self.date,
            ActivityStatus(self.status),
            self.hours,
            self.coach_id,
            self.rate,
            self.training_id,
            self.note,
            self.reason,
            self.moved,
            self.recorded_at,
        )

    def row(self) -> dict[str, object]:
        return {
            "id": self.id,
            "centre_id": self.centre_id,
            "kind": self.kind,
            "key": self.key,
            "stage": self.stage,
            "date": self.date,
            "status": self.status,
            "hours": self.hours,
            "coach_id": self.coach_id,
            "note": self.note,
            "rate": self.rate,
            "training_id": self.training_id,
            "reason": self.reason,
            "moved": self.moved,
            "recorded_at": self.recorded_at,
            "created_at": self.created,
        }


@dataclass
class Life:
    """One centre while it lives through the programme."""

    id: int
    name: str
    district: str
    email: str
    carrier: str | None
    coach: Coach | None
    registered: date
    stage: str
    since: date
    resume_stage: str | None = None
    history: list[StageChange] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    planned_once: bool = False

    def centre(self) -> Centre:
        return Centre(
            self.id,
            self.name,
            self.district,
            self.email,
            self.carrier,
            None if self.coach is None else self.coach.id,
            self.stage,
            self.since,
            self.resume_stage,
            None,
            self.registered,
        )


@dataclass
class Counters:
    """The next ids of a chunk, each within its block."""

    change: int
    activity: int
    outbox: int
    change_end: int
    activity_end: int
    outbox_end: int

    def next_change(self) -> int:
        self.change += 1
        if self.change >= self.change_end:
            raise RuntimeError("id block of stage changes exhausted")
        return self.change

    def next_activity(self) -> int:
        self.activity += 1
        if self.activity >= self.activity_end:
            raise RuntimeError("id block of activities exhausted")
        return self.activity

    def mark(self) -> tuple[int, int, int]:
        return self.change, self.activity, self.outbox

    def reset(self, mark: tuple[int, int, int]) -> None:
        self.change, self.activity, self.outbox = mark

    def next_outbox(self) -> int:
        self.outbox += 1
        if self.outbox >= self.outbox_end:
            raise RuntimeError("id block of the outbox exhausted")
        return self.outbox
