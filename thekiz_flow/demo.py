"""A demonstration database: fictional coaches and centres, a few years of stage changes.

Run from the project directory with ``make demo`` (``python -m thekiz_flow.demo``). It
deletes and recreates ``var/demo/``, imports about 70 fictional centres on 3 January 2022
and then lets a frozen clock walk month by month up to today, using only the service's
public methods, exactly as the office would. The same seed gives the same history.

Every name and address here is invented; the e-mail addresses are at example.org.
"""

from __future__ import annotations

import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from rich.console import Console
from rich.table import Table

from thekiz_flow.clock import FrozenClock, noon
from thekiz_flow.db.engine import make_engine
from thekiz_flow.db.migrate import upgrade
from thekiz_flow.definitions import load_workflow
from thekiz_flow.demo_data import COACHES, centre_rows, write_csv
from thekiz_flow.errors import Refused
from thekiz_flow.model import Centre
from thekiz_flow.paths import DEFAULT_WORKFLOW
from thekiz_flow.service import Service

DEMO_DIR = Path("var/demo")
DATABASE_URL = "sqlite:///var/demo/thekiz-flow.db"
CSV_NAME = "centres.csv"
ZONE = ZoneInfo("Europe/Berlin")
SEED = 20220103
START = date(2022, 1, 3)  # the import; the first Monday of 2022
FORCE_ON = date(2023, 10, 2)  # the office shortens one Basisbegleitung

NOTES = ("Rundgang mit Leitung und Koordination", "Gespräch mit Team und Elternbeirat")
FORCE_REASON = "Langjährige Arbeit als Familienzentrum: die Fachstelle verkürzt die Basisbegleitung"


def first_mondays(start: date, until: date) -> Iterator[date]:
    """The first Monday of every month from ``start``'s month up to ``until``."""
    month = start.replace(day=1)
    while month <= until:
        day = month + timedelta(days=(7 - month.weekday()) % 7)
        if day <= until:
            yield day
        month += relativedelta(months=1)


@dataclass
class Diary:
    """What the office remembers between months."""

    stay_interested: set[int] = field(default_factory=set)
    visit_due: dict[int, tuple[str, date]] = field(default_factory=dict)  # stage, day
    renew_due: dict[int, date] = field(default_factory=dict)
    resume_due: dict[int, date] = field(default_factory=dict)
    pauses: int = 0
    withdrawals: int = 0
    changes: int = 0


class Simulation:
    """A frozen clock walking month by month; every change goes through the service."""

    def __init__(self, service: Service, clock: FrozenClock, rng: random.Random) -> None:
        self.service = service
        self.clock = clock
        self.rng = rng
        self.diary = Diary()

    def run(self, until: date) -> None:
        ids = [c.id for c in self.service.centres()]
        self.diary.stay_interested = set(self.rng.sample(ids, 4))
        for day in first_mondays(START, until):
            self.clock.set(noon(day, ZONE))
            self.month(day)

    def month(self, day: date) -> None:
        self.resume(day)
        self.hold_visits(day)
        self.admit(day)
        self.step_forward(day)
        self.renew(day)
        if day == FORCE_ON:
            self.force_one(day)
        self.disrupt(day)

    def in_stage(self, stage: str) -> list[Centre]:
        return self.service.centres(stage=stage)

    def advance(self, centre: Centre, trigger: str, day: date, reason: str | None = None) -> bool:
        """Fire a trigger; a refusal (a guard not yet met) is simply tried again later."""
        try:
            change = self.service.advance(centre.id, trigger, reason=reason, force=bool(reason))
        except Refused:
            return False
        self.diary.changes += 1
        if change.from_stage != change.to_stage and trigger != "resume":
            self.started(centre.id, change.to_stage, day)
        return True

    def started(self, centre_id: int, stage: str, day: date) -> None:
        """A stage began: its site visit is due a few months later, its year runs."""
        if self.service.workflow.stage(stage).active:
            months = self.rng.randint(2, 6)
            self.diary.visit_due[centre_id] = (stage, day + relativedelta(months=months))
        if stage == "vertiefungsbegleitung":
            self.diary.renew_due[centre_id] = day + relativedelta(months=12, days=-7)

    def hold_visits(self, day: date) -> None:
        for centre in self.service.centres():
            stage, due = self.diary.visit_due.get(centre.id, ("", day))
            if stage == centre.stage and due <= day:
                self.service.record_visit(centre.id, day, self.rng.choice(NOTES))
                del self.diary.visit_due[centre.id]

    def admit(self, day: date) -> None:
        for centre in self.in_stage("interessent"):
            if centre.id in self.diary.stay_interested or self.rng.random() >= 0.04:
                continue
            if centre.coach_id is None:
                self.service.assign_coach(centre.id, self.rng.choice(COACHES)[1])
            self.advance(centre, "admit", day)

    def step_forward(self, day: date) -> None:
        """Deepen or consult where `eligible()` says so, not always at the first chance."""
        chance = {"deepen": 0.5, "consult": 0.1}
        for item in self.service.eligible():
            if item.eligible and self.rng.random() < chance.get(item.trigger, 0.0):
                self.advance(item.centre, item.trigger, day)

    def renew(self, day: date) -> None:
        for centre in self.in_stage("vertiefungsbegleitung"):
            due = self.diary.renew_due.get(centre.id)
            if due is not None and due <= day and self.advance(centre, "renew", day):
                self.diary.renew_due[centre.id] = day + relativedelta(months=12, days=-7)

    def resume(self, day: date) -> None:
        for centre in self.in_stage("pausiert"):
            due = self.diary.resume_due.get(centre.id)
            if due is not None and due <= day and self.advance(centre, "resume", day):
                del self.diary.resume_due[centre.id]

    def force_one(self, day: date) -> None:
        """The office overrides the guards once, with a reason in the audit trail."""
        basis = sorted(self.in_stage("basisbegleitung"), key=lambda c: (c.stage_since, c.id))
        if basis:
            self.advance(basis[0], "deepen", day, reason=FORCE_REASON)

    def disrupt(self, day: date) -> None:
        """Now and then a centre pauses (and resumes months later) or leaves."""
        if self.diary.pauses < 8 and self.rng.random() < 0.08:
            self.pause_one(day)
        if self.diary.withdrawals < 3 and self.rng.random() < 0.07:
            self.withdraw_one(day)

    def pause_one(self, day: date) -> None:
        stages = self.service.workflow.stages
        active = [c for c in self.service.centres() if stages[c.stage].active]
        if not active:
            return
        centre = self.rng.choice(active)
        if self.advance(centre, "pause", day):
            self.diary.pauses += 1
            months = self.rng.randint(3, 8)
            self.diary.resume_due[centre.id] = day + relativedelta(months=months)

    def withdraw_one(self, day: date) -> None:
        stages = self.service.workflow.stages
        open_ = [c for c in self.service.centres() if not stages[c.stage].final]
        centre = self.rng.choice(open_)
        if self.advance(centre, "withdraw", day):
            self.diary.withdrawals += 1
            self.diary.resume_due.pop(centre.id, None)


# ---------------------------------------------------------------- set-up and summary
def build_service(clock: FrozenClock) -> Service:
    """A fresh demo database in var/demo/, schema at head."""
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    engine = make_engine(DATABASE_URL)
    upgrade(engine)
    workflow = load_workflow(DEFAULT_WORKFLOW)
    return Service(engine, workflow, clock, ZONE, actor="demo")


def populate(service: Service, clock: FrozenClock, rng: random.Random) -> int:
    """The coaches and, on the first day, the centres as applicants; returns how many."""
    clock.set(noon(START, ZONE))
    for name, email, rate in COACHES:
        service.add_coach(name, email, rate)
    path = DEMO_DIR / CSV_NAME
    write_csv(path, centre_rows(service.workflow.districts, rng))
    return len(service.import_centres(path))


def summary(service: Service, today: date) -> Table:
    """Centres per district (rows) and stage (columns), with totals."""
    stages = service.workflow.stages
    counts = {(stage, district): n for stage, district, n in service.stage_counts()}
    table = Table(
        title=f"ThEKiZ-Einrichtungen nach Kreis und Stufe (Stand {today:%d.%m.%Y})",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("Kreis")
    for stage in stages.values():
        table.add_column(stage.name, justify="right")
    table.add_column("Summe", justify="right", style="bold")
    for index, district in enumerate(service.workflow.districts):
        row = [counts.get((s, district), 0) for s in stages]
        last = index == len(service.workflow.districts) - 1
        table.add_row(district, *map(str, row), str(sum(row)), end_section=last)
    totals = [sum(n for (s, _), n in counts.items() if s == stage) for stage in stages]
    table.add_row("Gesamt", *map(str, totals), str(sum(totals)), style="bold")
    return table


def main() -> int:
    today = date.today()
    clock = FrozenClock(noon(START, ZONE))
    rng = random.Random(SEED)
    service = build_service(clock)
    imported = populate(service, clock, rng)
    simulation = Simulation(service, clock, rng)
    simulation.run(today)
    service.engine.dispose()
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(summary(service, today))
    console.print(
        f"{len(COACHES)} Prozessbegleiter*innen, {imported} Einrichtungen (erfunden), "
        f"{simulation.diary.changes} Stufenwechsel vom {START:%d.%m.%Y} bis {today:%d.%m.%Y}."
    )
    console.print(f"Datenbank: {DEMO_DIR / 'thekiz-flow.db'}. Ansehen zum Beispiel mit:")
    console.print(
        f"  THEKIZ_FLOW_DATABASE_URL={DATABASE_URL} .venv/bin/thekiz-flow centre list",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
