"""The activities as recorded at a moment: every change keeps the state before it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select, update

from tests.store.helpers import NOW, B, centre
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, ActivityFilter, NewTraining, PlannedActivity, Training
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import activities, activity_undo

EVERY = ActivityFilter()
SECOND = timedelta(seconds=1)


def at(engine: Engine, moment: datetime) -> Iterator[Repository]:
    """One transaction whose changes are recorded at ``moment``."""
    with engine.begin() as connection:
        yield Repository(connection, moment)


unit_at = contextmanager(at)


def offer(repo: Repository, training_id: int) -> Training:
    found = repo.trainings.get(training_id)
    assert found is not None
    return found


def session(key: str, day: date, coach: int | None = None) -> PlannedActivity:
    return PlannedActivity(key, ActivityKind.COACHING, B, day, Decimal(2), coach)


def test_every_moment_reads_back_as_it_was_recorded(engine: Engine) -> None:
    """After each transaction the activities are read as they are; read as recorded before
    a later moment, they must be the same, whatever changed after that moment."""
    moments = [NOW + timedelta(hours=h) for h in range(7)]
    seen: list[list[Activity]] = []

    def current() -> None:
        with unit_at(engine, moments[len(seen)]) as repo:
            seen.append(repo.activities.find(EVERY))

    with unit_at(engine, moments[0]) as repo:
        coach = repo.add_coach("A", "a@example.org", Decimal(60), NOW)
        other = repo.add_coach("B", "b@example.org", Decimal(70), NOW)
        (kita,) = repo.add_centres([centre(coach_id=coach)], NOW)
        training = repo.trainings.add(
            NewTraining("auftakt", "Auftakt", date(2026, 5, 4), "Jena", 9), NOW
        )
        first, second, third = repo.activities.insert(
            kita,
            [
                session("s:1", date(2026, 3, 2), coach),
                session("s:2", date(2026, 4, 6), coach),
                session("s:3", date(2026, 5, 4), coach),
            ],
            ActivityStatus.PLANNED,
            {coach: Decimal(60)},
        )
        enrolment = repo.trainings.enrol(offer(repo, training), kita, B, ActivityStatus.PLANNED)
    current()
    with unit_at(engine, moments[1]) as repo:  # held, moved, cancelled: each written once
        assert repo.activities.set_status(
            first, ActivityStatus.HELD, expected=ActivityStatus.PLANNED, hours=Decimal(3)
        )
        repo.activities.update(first, note="gut")  # again within the moment: kept once
        repo.activities.update_many([(second, {"date": date(2026, 4, 8)})])
        repo.activities.cancel_many([third], "Planänderung")
    current()
    with unit_at(engine, moments[2]) as repo:  # corrected, handed over, a new one
        repo.activities.update(first, hours=Decimal("1.5"))
        repo.activities.hand_over(kita, date(2026, 1, 1), coach, other, Decimal(70))
        repo.activities.insert(kita, [session("s:4", date(2026, 6, 1))], ActivityStatus.PLANNED, {})
        repo.trainings.release([kita], date(2026, 1, 1), "Stufenwechsel")
    current()
    with unit_at(engine, moments[3]) as repo:  # enrolled anew: the cancelled row is deleted
        repo.trainings.enrol(offer(repo, training), kita, B, ActivityStatus.PLANNED)
    current()
    with unit_at(engine, moments[4]) as repo:
        for when, expected in zip(moments[1:5], seen, strict=True):
            assert repo.activities.as_recorded(when, EVERY) == expected
        assert repo.activities.as_recorded(moments[0], EVERY) == []
        assert repo.activities.as_recorded(moments[0] + SECOND, EVERY) == seen[0]
        only = ActivityFilter(centre_id=kita, status=ActivityStatus.HELD)
        (held,) = repo.activities.as_recorded(moments[2], only)
        assert (held.id, held.hours, held.note) == (first, Decimal(3), "gut")
        assert [a.id for a in seen[2] if a.kind == ActivityKind.TRAINING] == [enrolment.id]
        assert enrolment.id not in [a.id for a in seen[3]]
    with engine.connect() as connection:
        kept = connection.execute(
            select(activity_undo.c.activity_id, activity_undo.c.changed_at).order_by(
                activity_undo.c.id
            )
        ).all()
    assert kept.count((first, moments[1])) == 1  # its state before the moment, once
    assert all(changed > moments[0] for _, changed in kept)  # nothing kept of an insert


def test_an_activity_stored_before_the_log_always_existed(engine: Engine) -> None:
    with unit_at(engine, NOW) as repo:
        (kita,) = repo.add_centres([centre()], NOW)
        (old,) = repo.activities.insert(
            kita, [session("s:1", date(2025, 3, 2))], ActivityStatus.PLANNED, {}
        )
    with engine.begin() as connection:  # as migrated: the moment it was created is unknown
        connection.execute(update(activities).values(created_at=None))
    later = NOW + timedelta(days=30)
    with unit_at(engine, later) as repo:
        repo.activities.set_status(old, ActivityStatus.HELD, hours=Decimal(2))
    with unit_at(engine, later) as repo:
        (before,) = repo.activities.as_recorded(NOW - timedelta(days=400), EVERY)
        (after,) = repo.activities.as_recorded(later + SECOND, EVERY)
    assert (before.status, after.status) == (ActivityStatus.PLANNED, ActivityStatus.HELD)
