"""The demonstration's coordination office: admissions, stage changes, pauses, withdrawals."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta

from thekiz_flow.core.errors import Refused
from thekiz_flow.core.model import Centre
from thekiz_flow.demo.data import COACHES
from thekiz_flow.service import Service

FORCE_ON = date(2025, 10, 6)  # from then on, the office shortens one Basisbegleitung
FORCE_REASON = "Langjährige Arbeit als Familienzentrum: die Fachstelle verkürzt die Basisbegleitung"
RENEW_AFTER = relativedelta(months=12, days=-7)


@dataclass
class Diary:
    """What the office remembers between months."""

    stay_interested: set[int] = field(default_factory=set)
    renew_due: dict[int, date] = field(default_factory=dict)
    resume_due: dict[int, date] = field(default_factory=dict)
    pauses: int = 0
    withdrawals: int = 0
    changes: int = 0
    forced: bool = False


class Office:
    """The coordination office, once a month: every stage change goes through the service."""

    def __init__(self, service: Service, rng: random.Random) -> None:
        self.service = service
        self.rng = rng
        self.diary = Diary()

    def begin(self) -> None:
        """Remember the programme as imported: who stays an applicant, whose year runs."""
        centres = self.service.registry.centres()
        applicants = [c.id for c in centres if c.stage == "interessent"]
        self.diary.stay_interested = set(self.rng.sample(applicants, min(4, len(applicants))))
        for centre in self.in_stage("vertiefungsbegleitung"):
            self.diary.renew_due[centre.id] = centre.stage_since + RENEW_AFTER

    def month(self, day: date) -> None:
        self.resume(day)
        self.admit(day)
        self.step_forward(day)
        self.renew(day)
        if day >= FORCE_ON and not self.diary.forced:
            self.diary.forced = self.force_one(day)
        self.disrupt(day)

    def in_stage(self, stage: str) -> list[Centre]:
        return self.service.registry.centres(stage=stage)

    def advance(self, centre: Centre, trigger: str, day: date, reason: str | None = None) -> bool:
        """Fire a trigger; a refusal (a guard not yet met) is simply tried again later."""
        try:
            change = self.service.lifecycle.advance(
                centre.id, trigger, reason=reason, force=bool(reason)
            )
        except Refused:
            return False
        self.diary.changes += 1
        if change.from_stage != change.to_stage and trigger != "resume":
            self.started(centre.id, change.to_stage, day)
        return True

    def started(self, centre_id: int, stage: str, day: date) -> None:
        """A stage began: a Vertiefungsbegleitung runs for a programme year."""
        if stage == "vertiefungsbegleitung":
            self.diary.renew_due[centre_id] = day + RENEW_AFTER

    def admit(self, day: date) -> None:
        for centre in self.in_stage("interessent"):
            if centre.id in self.diary.stay_interested or self.rng.random() >= 0.04:
                continue
            if centre.coach_id is None:
                self.service.registry.assign_coach(centre.id, self.rng.choice(COACHES)[1])
            self.advance(centre, "admit", day)

    def step_forward(self, day: date) -> None:
        """Deepen or consult where `eligible()` says so, not always at the first chance."""
        chance = {"deepen": 0.5, "consult": 0.1}
        for item in self.service.lifecycle.eligible():
            if item.eligible and self.rng.random() < chance.get(item.trigger, 0.0):
                self.advance(item.centre, item.trigger, day)

    def renew(self, day: date) -> None:
        for centre in self.in_stage("vertiefungsbegleitung"):
            due = self.diary.renew_due.get(centre.id)
            if due is not None and due <= day and self.advance(centre, "renew", day):
                self.diary.renew_due[centre.id] = day + RENEW_AFTER

    def resume(self, day: date) -> None:
        for centre in self.in_stage("pausiert"):
            due = self.diary.resume_due.get(centre.id)
            if due is not None and due <= day and self.advance(centre, "resume", day):
                del self.diary.resume_due[centre.id]

    def force_one(self, day: date) -> bool:
        """The office overrides the guards once, with a reason in the audit trail."""
        basis = sorted(self.in_stage("basisbegleitung"), key=lambda c: (c.stage_since, c.id))
        return bool(basis) and self.advance(basis[-1], "deepen", day, reason=FORCE_REASON)

    def disrupt(self, day: date) -> None:
        """Now and then a centre pauses (and resumes months later) or leaves."""
        if self.diary.pauses < 8 and self.rng.random() < 0.08:
            self.pause_one(day)
        if self.diary.withdrawals < 3 and self.rng.random() < 0.07:
            self.withdraw_one(day)

    def pause_one(self, day: date) -> None:
        stages = self.service.workflow.stages
        active = [c for c in self.service.registry.centres() if stages[c.stage].active]
        if not active:
            return
        centre = self.rng.choice(active)
        if self.advance(centre, "pause", day):
            self.diary.pauses += 1
            months = self.rng.randint(3, 8)
            self.diary.resume_due[centre.id] = day + relativedelta(months=months)

    def withdraw_one(self, day: date) -> None:
        stages = self.service.workflow.stages
        open_ = [c for c in self.service.registry.centres() if not stages[c.stage].final]
        centre = self.rng.choice(open_)
        if self.advance(centre, "withdraw", day):
            self.diary.withdrawals += 1
            self.diary.resume_due.pop(centre.id, None)
