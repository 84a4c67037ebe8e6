"""The service: the one place that reads the clock and runs a unit of work.

Every command is one database transaction: it commits whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from thekiz_flow import validate
from thekiz_flow.centres_csv import read_centres
from thekiz_flow.clock import Clock, local_today
from thekiz_flow.db.migrate import require_current
from thekiz_flow.db.repository import Repository
from thekiz_flow.errors import InvalidInput, NotFound, Refused
from thekiz_flow.guards import german_date
from thekiz_flow.model import (
    Centre,
    CentreFacts,
    CentreInput,
    Coach,
    NewCentre,
    StageChange,
    Workflow,
)
from thekiz_flow.rules import Lifecycle

MAX_RATE = Decimal("1000")


@dataclass(frozen=True)
class Eligibility:
    centre: Centre
    trigger: str
    eligible: bool
    missing: tuple[str, ...]


class Service:
    def __init__(
        self, engine: Engine, workflow: Workflow, clock: Clock, zone: ZoneInfo, actor: str
    ) -> None:
        self.engine = engine
        self.workflow = workflow
        self.lifecycle = Lifecycle(workflow)
        self.clock = clock
        self.zone = zone
        self.actor = actor

    @contextmanager
    def unit(self) -> Iterator[Repository]:
        with self.engine.begin() as connection:
            require_current(connection)
            yield Repository(connection)

    def today(self) -> date:
        return local_today(self.clock, self.zone)

    def _on(self, on: date | None) -> date:
        today = self.today()
        if on is None:
            return today
        if on > today:
            raise InvalidInput(f"--on: {german_date(on)} liegt in der Zukunft")
        return on

    # ------------------------------------------------------------------ coaches
    def add_coach(self, name: str, email: str, rate: str) -> int:
        checked_name = validate.required_text("--name", name)
        checked_email = validate.email("--email", email)
        checked_rate = validate.amount("--rate", rate, maximum=MAX_RATE)
        with self.unit() as repo:
            if repo.coach_by_email(checked_email) is not None:
                raise InvalidInput(f"--email: Prozessbegleitung mit {checked_email} gibt es schon")
            return repo.add_coach(checked_name, checked_email, checked_rate, self.clock.now())

    def coaches(self) -> list[Coach]:
        with self.unit() as repo:
            return repo.coaches()

    def coach(self, repo: Repository, ref: str, field: str = "--coach") -> Coach:
        found = repo.coach(int(ref)) if ref.strip().isdigit() else repo.coach_by_email(ref.strip())
        if found is None:
            raise NotFound(f"{field}: keine Prozessbegleitung {ref!r} (Nummer oder E-Mail)")
        return found

    # ------------------------------------------------------------------ centres
    def _new_centre(
        self, repo: Repository, given: CentreInput, on: date, prefix: str = "--"
    ) -> NewCentre:
        stage = self.workflow.initial
        if given.stage:
            stage = self.stage_id(given.stage, f"{prefix}stage")
        since = validate.day(f"{prefix}stage_since", given.stage_since) if given.stage_since else on
        if since > self.today():
            raise InvalidInput(f"{prefix}stage_since: {german_date(since)} liegt in der Zukunft")
        coach = self.coach(repo, given.coach, f"{prefix}coach") if given.coach else None
        return NewCentre(
            name=validate.required_text(f"{prefix}name", given.name),
            district=self.district(given.district or "", f"{prefix}district"),
            email=validate.email(f"{prefix}email", given.email),
            carrier=validate.text(f"{prefix}carrier", given.carrier, required=False),
            coach_id=None if coach is None else coach.id,
            stage=stage,
            stage_since=since,
        )

    def _store_centres(self, repo: Repository, rows: Sequence[NewCentre]) -> list[int]:
        now = self.clock.now()
        ids = repo.add_centres(rows, now)
        imported = [
            StageChange(
                i,
                "import",
                self.workflow.initial,
                r.stage,
                r.stage_since,
                now,
                self.actor,
                "Übernahme der bestehenden Stufe",
                True,
            )
            for i, r in zip(ids, rows, strict=True)
            if r.stage != self.workflow.initial
        ]
        if imported:
            repo.add_changes(imported)
        return ids

    def add_centre(self, given: CentreInput, on: date | None = None) -> int:
        day = self._on(on)
        with self.unit() as repo:
            row = self._new_centre(repo, given, day)
            if repo.existing_centres([(row.name, row.district)]):
                raise InvalidInput(f"--name: {row.name!r} gibt es in {row.district} schon")
            return self._store_centres(repo, [row])[0]

    def import_centres(self, path: Path) -> list[int]:
        """All rows or none: every bad row is reported with its line number."""
        given, problems = read_centres(path)
        today = self.today()
        with self.unit() as repo:
            checked: list[tuple[int, NewCentre]] = []
            first_line: dict[tuple[str, str], int] = {}
            for line, item in given:
                try:
                    row = self._new_centre(repo, item, today, prefix="")
                except (InvalidInput, NotFound) as exc:
                    problems.append(f"Zeile {line}: {exc}")
                    continue
                key = (row.name.casefold(), row.district)
                if key in first_line:
                    problems.append(
                        f"Zeile {line}: {row.name!r} doppelt (wie Zeile {first_line[key]})"
                    )
                first_line.setdefault(key, line)
                checked.append((line, row))
            taken = repo.existing_centres((r.name, r.district) for _, r in checked)
            problems += [
                f"Zeile {line}: {r.name!r} gibt es in {r.district} schon"
                for line, r in checked
                if (r.name.casefold(), r.district) in taken
            ]
            if problems:
                problems.sort(key=lambda p: int(p.split(":")[0].split()[1]))
                raise InvalidInput(
                    f"{path}: nichts importiert, {len(problems)} Fehler: " + "; ".join(problems)
                )
            return self._store_centres(repo, [row for _, row in checked])

    def stage_id(self, value: str, field: str = "--stage") -> str:
        return validate.choice(field, value, list(self.workflow.stages), "unbekannte Stufe")

    def district(self, value: str, field: str = "--district") -> str:
        return validate.choice(field, value, self.workflow.districts, "unbekannter Kreis")

    def centres(self, stage: str | None = None, district: str | None = None) -> list[Centre]:
        stage_id = None if stage is None else self.stage_id(stage)
        district_name = None if district is None else self.district(district)
        with self.unit() as repo:
            return repo.centres(stage_id, district_name)

    def _centre(self, repo: Repository, centre_id: int) -> Centre:
        centre = repo.centre(centre_id)
        if centre is None:
            raise NotFound(f"keine Einrichtung mit der Nummer {centre_id}")
        return centre

    def centre(self, centre_id: int) -> tuple[Centre, Coach | None]:
        with self.unit() as repo:
            centre = self._centre(repo, centre_id)
            coach = None if centre.coach_id is None else repo.coach(centre.coach_id)
            return centre, coach

    def history(self, centre_id: int) -> list[StageChange]:
        with self.unit() as repo:
            self._centre(repo, centre_id)
            return repo.history(centre_id)

    def stage_counts(self) -> list[tuple[str, str, int]]:
        with self.unit() as repo:
            return repo.stage_counts()

    # ------------------------------------------------------------ the lifecycle
    def _facts(self, repo: Repository, centre: Centre, on: date) -> CentreFacts:
        visits = repo.site_visits([centre.id]).get(centre.id, [])
        return facts_as_of(centre, repo.history(centre.id), visits, on)

    def advance(
        self,
        centre_id: int,
        trigger: str,
        on: date | None = None,
        reason: str | None = None,
        force: bool = False,
    ) -> StageChange:
        """Fire a trigger: new stage, stage_since and the audit row, in one transaction."""
        day = self._on(on)
        why = validate.text("--reason", reason, required=False, limit=2000)
        if force and why is None:
            raise InvalidInput("--force braucht eine Begründung (--reason)")
        with self.unit() as repo:
            centre = self._centre(repo, centre_id)
            if day < centre.stage_since:
                raise InvalidInput(
                    f"--on: {german_date(day)} liegt vor dem Beginn der aktuellen Stufe "
                    f"({german_date(centre.stage_since)})"
                )
            verdict = self.lifecycle.fire(trigger, self._facts(repo, centre, day), force)
            transition = self.workflow.transitions[trigger]
            change = StageChange(
                centre.id,
                trigger,
                centre.stage,
                verdict.dest,
                day,
                self.clock.now(),
                self.actor,
                why,
                forced=force and not verdict.allowed,
            )
            resume = centre.stage if transition.remember else None
            stored = repo.record_change(change, centre, resume)
            if stored is None:
                raise Refused("die Einrichtung wurde gleichzeitig geändert; bitte erneut versuchen")
            return stored

    def eligible(self, on: date | None = None) -> list[Eligibility]:
        """For each centre with a next step: whether it may take it, and what is missing."""
        day = on or self.today()
        with self.unit() as repo:
            centres = [c for c in repo.centres() if self.workflow.forward_from(c.stage)]
            histories, visits = repo.histories(), repo.site_visits()
        result = []
        for centre in centres:
            transition = self.workflow.forward_from(centre.stage)
            assert transition is not None
            facts = facts_as_of(
                centre, histories.get(centre.id, []), visits.get(centre.id, []), day
            )
            verdict = self.lifecycle.check(transition.trigger, facts)
            result.append(Eligibility(centre, transition.trigger, verdict.allowed, verdict.missing))
        return result

    def record_site_visit(self, centre_id: int, on: date, note: str | None = None) -> int:
        day = self._on(on)
        with self.unit() as repo:
            centre = self._centre(repo, centre_id)
            return repo.add_site_visit(centre.id, centre.stage, day, note)

    def assign_coach(self, centre_id: int, coach_ref: str) -> Coach:
        with self.unit() as repo:
            centre = self._centre(repo, centre_id)
            coach = self.coach(repo, coach_ref)
            repo.assign_coach(centre.id, coach.id)
            return coach


def facts_as_of(
    centre: Centre,
    history: Sequence[StageChange],
    visits: Sequence[tuple[date, str]],
    on: date,
) -> CentreFacts:
    """What the guards may know on ``on``: nothing recorded for a later date."""
    return CentreFacts(
        centre,
        tuple(c for c in history if c.effective <= on),
        tuple(v for v in visits if v[0] <= on),
        on,
    )
