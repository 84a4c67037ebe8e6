"""The training catalogue and enrolment: seats, the waiting list and attendance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import ActivityStatus, Recipient
from thekiz_flow.core.errors import Field, InvalidInput, NotFound, Refused, RowProblem, RowsRefused
from thekiz_flow.core.ids import unknown
from thekiz_flow.core.model import (
    Activity,
    Centre,
    NewTraining,
    Training,
    TrainingInput,
)
from thekiz_flow.service.csvfiles import Table, parse_trainings, read_bytes
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.trainings import TrainingStore

MAX_CAPACITY = 1000
MAX_REASON = 2000
CANCELLED_RULE = "training_cancelled"  # the mail to a centre whose training was called off


@dataclass(frozen=True)
class Enrolment:
    """One centre's enrolment in a training, as the office sees it."""

    centre_id: int
    centre_name: str
    status: ActivityStatus
    position: int | None  # the place on the waiting list
    reason: str | None  # why it was cancelled


def _capacity(field: Field, value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_CAPACITY:
        raise InvalidInput(field, f"ganze Zahl von 1 bis {MAX_CAPACITY}, nicht {value!r}")
    return int(text)


def _key(row: NewTraining) -> tuple[str, str, date]:
    return (row.kind, row.title.casefold(), row.date)


class TrainingService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _kind(self, field: Field, value: str) -> str:
        """A kind by its id (``reflexion``) or German name (``Reflexionsfortbildung``)."""
        kinds = self.rt.workflow.training_kinds
        wanted = " ".join(value.split()).casefold()
        by_name = {name.casefold(): kind for kind, name in kinds.items()}
        if wanted in by_name and wanted not in {k.casefold() for k in kinds}:
            return by_name[wanted]
        return validate.choice(field, value, list(kinds), "unbekannte Fortbildungsart")

    def _new_training(self, given: TrainingInput) -> NewTraining:
        """The training's fields are its CSV columns."""
        return NewTraining(
            kind=self._kind("kind", given.kind),
            title=validate.required_text("title", given.title),
            date=validate.day("date", given.date),
            place=validate.required_text("place", given.place),
            capacity=_capacity("capacity", given.capacity),
        )

    def add(self, kind: str, title: str, date: str, place: str, capacity: str) -> int:
        row = self._new_training(TrainingInput(kind, title, date, place, capacity))
        with self.rt.unit() as repo:
            store = repo.trainings
            if store.taken([_key(row)]):
                raise InvalidInput(
                    "title",
                    f"{row.title!r} ({row.kind}) am {german.short_date(row.date)} gibt es schon",
                )
            return store.add(row, self.rt.clock.now())

    def _check_rows(
        self, given: Sequence[tuple[int, TrainingInput]], table: Table, problems: list[RowProblem]
    ) -> list[tuple[int, NewTraining]]:
        """The rows that are good on their own; the problems of the others go to ``problems``."""
        checked: list[tuple[int, NewTraining]] = []
        first_line: dict[tuple[str, str, date], int] = {}
        for line, item in given:
            try:
                row = self._new_training(item)
            except InvalidInput as exc:
                problems.append(RowProblem(line, table.column(exc.field), exc.worded(table.quoted)))
                continue
            if _key(row) in first_line:
                duplicate = f"{row.title!r} doppelt (wie Zeile {first_line[_key(row)]})"
                problems.append(RowProblem(line, None, duplicate))
            first_line.setdefault(_key(row), line)
            checked.append((line, row))
        return checked

    def import_trainings(self, path: Path) -> list[int]:
        """All rows or none: every bad row is reported with its line number and column."""
        return self.import_training_file(str(path), read_bytes(path))

    def import_training_file(self, name: str, data: bytes) -> list[int]:
        """``import_trainings`` of a file's bytes: ``name`` names it in the messages."""
        source = name or "Datei"
        given, table = parse_trainings(data, source)
        problems = [RowProblem(line, None, message) for line, message in table.unreadable]
        checked = self._check_rows(given, table, problems)
        with self.rt.unit() as repo:
            store = repo.trainings
            taken = store.taken(_key(r) for _, r in checked)
            problems += [
                RowProblem(
                    line,
                    None,
                    f"{r.title!r} ({r.kind}) am {german.short_date(r.date)} gibt es schon",
                )
                for line, r in checked
                if _key(r) in taken
            ]
            if problems:
                raise RowsRefused(source, problems)
            return store.add_many([r for _, r in checked], self.rt.clock.now())

    def update(
        self, training_id: int, title: str, date: str, place: str, capacity: str
    ) -> Training:
        """New title, date, place and capacity of an offering; its kind stays. The capacity
        may not drop below the seats taken, the date not move into the past."""
        today = self.rt.today()
        with self.rt.unit() as repo:
            store = repo.trainings
            training = self._training(store, training_id, lock=True)
            self._not_cancelled(training)
            row = self._new_training(TrainingInput(training.kind, title, date, place, capacity))
            if row.date != training.date and row.date < today:
                raise InvalidInput(
                    "date", f"{german.short_date(row.date)} liegt in der Vergangenheit"
                )
            counts = store.counts([training.id]).get(training.id, (0, 0))
            held = [a for a, _ in store.enrolments(training.id) if a.status == ActivityStatus.HELD]
            if row.date != training.date and held:
                raise InvalidInput(
                    "date", "an der Fortbildung wurde schon teilgenommen; das Datum bleibt"
                )
            if row.capacity < counts[0]:
                raise InvalidInput(
                    "capacity",
                    f"{counts[0]} Einrichtungen sind angemeldet; "
                    f"mindestens {counts[0]} Plätze nötig",
                )
            unchanged = (training.kind, training.title.casefold(), training.date)
            if _key(row) != unchanged and store.taken([_key(row)]):
                raise InvalidInput(
                    "title", f"{row.title!r} am {german.short_date(row.date)} gibt es schon"
                )
            store.update(training.id, row, self.rt.clock.now())
            if row.capacity > training.capacity:
                store.fill_seats({training.id: row.capacity - training.capacity})
            found = store.get(training.id)
            assert found is not None
            return found

    def cancel_preview(self, training_id: int) -> tuple[Training, int, int]:
        """What calling the offering off would do: (training, seats, waiting places) that
        are cancelled, each centre told by e-mail; nothing is written."""
        with self.rt.unit() as repo:
            store = repo.trainings
            training = self._training(store, training_id)
            enrolled, waiting = store.counts([training.id]).get(training.id, (0, 0))
        return training, enrolled, waiting

    def cancel(self, training_id: int, reason: str) -> list[int]:
        """Call an offering off: every seat and waiting place is cancelled with the reason,
        each centre concerned gets an e-mail (through the outbox); the training keeps who
        called it off and when. Returns the centres told."""
        why = validate.required_text("reason", reason, limit=MAX_REASON)
        now = self.rt.clock.now()
        with self.rt.unit() as repo:
            store = repo.trainings
            training = self._training(store, training_id, lock=True)
            self._not_cancelled(training)
            if training.date < self.rt.today():
                raise InvalidInput(
                    None,
                    f"Fortbildung {training.id} war am {german.short_date(training.date)}; "
                    "sie kann nicht mehr abgesagt werden",
                )
            cancelled = store.cancel(training.id, why, self.rt.actor, now)
            centres = repo.centres_by_id([e.centre_id for e in cancelled])
            kind = self.rt.workflow.training_kinds.get(training.kind, training.kind)
            mails = [
                self.rt.compose(
                    f"{CANCELLED_RULE}:{training.id}:{e.centre_id}",
                    CANCELLED_RULE,
                    CANCELLED_RULE,
                    Recipient.CENTRE,
                    {
                        "centre": centres[e.centre_id],
                        "training": training,
                        "kind": kind,
                        "reason": why,
                        "waiting": e.status == ActivityStatus.WAITING,
                    },
                    now,
                )
                for e in cancelled
            ]
            repo.outbox.add(mails, now)
            return [e.centre_id for e in cancelled]

    @staticmethod
    def _not_cancelled(training: Training) -> None:
        if training.cancelled is not None:
            raise Refused(f"Fortbildung {training.id} ist abgesagt")

    def find(
        self, kind: str | None = None, first: date | None = None
    ) -> list[tuple[Training, int, int]]:
        """The catalogue by date, each offering with its numbers enrolled and waiting."""
        kind_id = None if kind is None else self._kind("kind", kind)
        with self.rt.unit() as repo:
            store = repo.trainings
            found = store.find(kind_id, first)
            counts = store.counts([t.id for t in found])
        return [(t, *counts.get(t.id, (0, 0))) for t in found]

    # ---------------------------------------------------------------- enrolments
    def _training(self, store: TrainingStore, training_id: int, *, lock: bool = False) -> Training:
        training = store.get(training_id, lock=lock)
        if training is None:
            raise unknown("training", training_id)
        return training

    def _enrolment(
        self, repo: Repository, store: TrainingStore, training_id: int, centre_id: int
    ) -> tuple[Training, Centre, Activity]:
        """The training (its row locked), the centre and its enrolment in the training."""
        training = self._training(store, training_id, lock=True)
        centre = self.rt.centre(repo, centre_id)
        found = store.enrolment(training.id, centre.id)
        if found is None:
            raise NotFound(f"{centre.title} ist zur Fortbildung {training.id} nicht angemeldet")
        return training, centre, found

    def _set_status(
        self, repo: Repository, enrolment: Activity, status: ActivityStatus, **values: object
    ) -> None:
        if not repo.activities.set_status(
            enrolment.id, status, expected=enrolment.status, **values
        ):
            raise Refused("die Anmeldung wurde gleichzeitig geändert; bitte erneut versuchen")

    def enrol(self, training_id: int, centre_id: int) -> tuple[ActivityStatus, int | None]:
        """Planned if a seat is free, else waiting: (status, place on the waiting list)."""
        today = self.rt.today()
        with self.rt.unit() as repo:
            store = repo.trainings
            training = self._training(store, training_id, lock=True)
            self._not_cancelled(training)
            centre = self.rt.centre(repo, centre_id)
            stage = self.rt.workflow.stage(centre.stage)
            if stage.final:
                raise InvalidInput(
                    None,
                    f"{centre.title} ist in der Stufe {stage.name}; keine Anmeldung möglich",
                )
            if training.date < today:
                raise InvalidInput(
                    None,
                    f"Fortbildung {training.id} war am {german.short_date(training.date)}; "
                    "keine Anmeldung mehr möglich",
                )
            current = store.enrolment(training.id, centre.id)
            if current is not None and current.status != ActivityStatus.CANCELLED:
                state = _state(current, centre)
                raise InvalidInput(None, f"{state}; keine zweite Anmeldung möglich")
            status = (
                ActivityStatus.PLANNED
                if store.enrolled(training.id) < training.capacity
                else ActivityStatus.WAITING
            )
            stored = store.enrol(training, centre.id, centre.stage, status)
            return status, None if status == ActivityStatus.PLANNED else store.position(stored)

    def attended(self, training_id: int, centre_id: int, on: date | None = None) -> None:
        """Record that a centre with a seat took part (planned -> held)."""
        day = self.rt.on(on)
        with self.rt.unit() as repo:
            found = self._enrolment(repo, repo.trainings, training_id, centre_id)
            training, centre, enrolment = found
            if day < training.date:
                raise InvalidInput(
                    "on",
                    f"die Fortbildung {training.id} ist erst am {german.short_date(training.date)}",
                )
            if enrolment.status != ActivityStatus.PLANNED:
                state = _state(enrolment, centre)
                raise InvalidInput(None, f"{state}; keine Teilnahme zu vermerken")
            self._set_status(repo, enrolment, ActivityStatus.HELD)

    def cancel_enrolment(self, training_id: int, centre_id: int, reason: str) -> int | None:
        """Cancel a seat or a place on the waiting list; returns the centre that moved up.

        A freed seat goes to the first on the waiting list, unless the training is over.
        """
        why = validate.required_text("reason", reason, limit=MAX_REASON)
        today = self.rt.today()
        with self.rt.unit() as repo:
            store = repo.trainings
            training, centre, enrolment = self._enrolment(repo, store, training_id, centre_id)
            if enrolment.status not in (ActivityStatus.PLANNED, ActivityStatus.WAITING):
                raise InvalidInput(None, f"{_state(enrolment, centre)}; nichts abzumelden")
            self._set_status(repo, enrolment, ActivityStatus.CANCELLED, reason=why)
            if enrolment.status == ActivityStatus.WAITING or training.date < today:
                return None
            moved = store.fill_seat(training)
            return None if moved is None else moved.centre_id

    def enrolments(self, training_id: int) -> tuple[Training, list[Enrolment]]:
        """The offering and every enrolment, in the order of enrolment."""
        with self.rt.unit() as repo:
            store = repo.trainings
            training = self._training(store, training_id)
            rows = store.enrolments(training.id)
        result: list[Enrolment] = []
        waiting = 0
        for activity, name in rows:
            position = None
            if activity.status == ActivityStatus.WAITING:
                waiting += 1
                position = waiting
            result.append(
                Enrolment(activity.centre_id, name, activity.status, position, activity.reason)
            )
        return training, result


def _state(enrolment: Activity, centre: Centre) -> str:
    """Where the centre's enrolment stands, as a German clause."""
    training = enrolment.training_id
    verbs = {
        ActivityStatus.PLANNED: f"ist zur Fortbildung {training} angemeldet",
        ActivityStatus.WAITING: f"steht für die Fortbildung {training} auf der Warteliste",
        ActivityStatus.HELD: f"hat an der Fortbildung {training} teilgenommen",
        ActivityStatus.CANCELLED: f"ist von der Fortbildung {training} abgemeldet",
    }
    return f"{centre.title} {verbs[enrolment.status]}"
