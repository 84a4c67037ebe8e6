"""The store's contract, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import IntegrityError

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import (
    ActivityFilter,
    NewCentre,
    NewTraining,
    PlannedActivity,
    StageChange,
)
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import current_revision, head_revision, upgrade
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import metadata, stage_changes

pytestmark = pytest.mark.backends("sqlite", "postgresql")  # the store's contract

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def centre(name: str = "Kita Löwenzahn", district: str = "Gera", **kw: object) -> NewCentre:
    values: dict[str, object] = {
        "name": name,
        "district": district,
        "email": "kita@example.org",
        "carrier": None,
        "coach_id": None,
        "stage": "interessent",
        "stage_since": date(2025, 1, 2),
    }
    values.update(kw)
    return NewCentre(**values)  # type: ignore[arg-type]  # fields of NewCentre by name


def test_init_is_idempotent_and_matches_the_tables(engine: Engine) -> None:
    assert upgrade(engine) == (head_revision(), head_revision())
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_coaches_round_trip(engine: Engine) -> None:
    with engine.begin() as connection:
        repo = Repository(connection)
        coach_id = repo.add_coach("Lena Sommer", "Lena@Example.org", Decimal("62.50"), NOW)
    with engine.connect() as connection:
        repo = Repository(connection)
        found = repo.coach_by_email("lena@example.org")
        assert found is not None
        assert (found.id, found.rate) == (coach_id, Decimal("62.50"))
        assert repo.coach(coach_id) == found
        assert repo.coach(coach_id + 1) is None
        assert repo.coaches() == [found]


def test_coach_email_is_unique(engine: Engine) -> None:
    def add_twice() -> None:
        with engine.begin() as connection:
            repo = Repository(connection)
            repo.add_coach("A", "a@example.org", Decimal(60), NOW)
            repo.add_coach("B", "a@example.org", Decimal(60), NOW)

    with pytest.raises(IntegrityError):
        add_twice()
    with engine.connect() as connection:
        assert Repository(connection).coaches() == []


def test_centres_bulk_insert_keeps_order_and_filters(engine: Engine) -> None:
    rows = [centre(f"Kita {i}", "Jena" if i % 2 else "Suhl") for i in range(5)]
    with engine.begin() as connection:
        ids = Repository(connection).add_centres(rows, NOW)
    with engine.connect() as connection:
        repo = Repository(connection)
        assert [repo.centre(i).name for i in ids] == [r.name for r in rows]  # type: ignore[union-attr]  # ids just added
        assert [c.name for c in repo.centres(district="Jena")] == ["Kita 1", "Kita 3"]
        assert repo.centres(stage="basisbegleitung") == []
        assert repo.existing_centres([("KITA 1", "Jena"), ("Kita 1", "Suhl")]) == {
            ("kita 1", "Jena")
        }
        assert sorted(repo.stage_counts()) == [
            ("interessent", "Jena", 2),
            ("interessent", "Suhl", 3),
        ]


def test_centre_name_is_unique_per_district(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        Repository(connection).add_centres([centre(), centre()], NOW)


def test_times_are_stored_as_utc(engine: Engine) -> None:
    summer = timezone(timedelta(hours=2))
    recorded = datetime(2026, 7, 1, 9, 0, tzinfo=summer)
    with engine.begin() as connection:
        repo = Repository(connection)
        (centre_id,) = repo.add_centres([centre()], NOW)
        repo.add_changes(
            [
                StageChange(
                    centre_id,
                    "admit",
                    "interessent",
                    "basisbegleitung",
                    date(2026, 7, 1),
                    recorded,
                    "test",
                )
            ]
        )
    with engine.connect() as connection:
        (stored,) = Repository(connection).history(centre_id)
    assert stored.recorded_at == recorded
    assert stored.recorded_at.tzinfo == UTC


def test_record_changes_move_the_centres_and_write_the_audit(engine: Engine) -> None:
    with engine.begin() as connection:
        repo = Repository(connection)
        first, second = repo.add_centres([centre(), centre("Kita Sonnenschein")], NOW)
        loaded = repo.centres_by_id([second, first, 999])
        assert sorted(loaded) == [first, second]
        before = [loaded[first], loaded[second]]
        moves = [
            (
                StageChange(
                    c.id,
                    "admit",
                    "interessent",
                    "basisbegleitung",
                    date(2025, 2, 1),
                    NOW,
                    "office",
                    "Start",
                    False,
                ),
                c,
                None,
            )
            for c in before
        ]
        stored = repo.record_changes(moves)
        assert stored is not None
        assert [s.centre_id for s in stored] == [first, second]
        assert len({s.id for s in stored}) == 2
        # The same previous state again: somebody else moved them in the meantime.
        assert repo.record_changes(moves) is None
        assert repo.record_changes([]) == []
    with engine.connect() as connection:
        repo = Repository(connection)
        for centre_id, change in zip((first, second), stored, strict=True):
            after = repo.centre(centre_id)
            assert after is not None
            assert (after.stage, after.stage_since) == ("basisbegleitung", date(2025, 2, 1))
            assert repo.history(centre_id) == [change]
        count = connection.execute(select(func.count()).select_from(stage_changes)).scalar()
        assert count == 2


def test_histories_and_site_visits_by_centre(engine: Engine) -> None:
    with engine.begin() as connection:
        repo = Repository(connection)
        first, second = repo.add_centres([centre("A"), centre("B")], NOW)
        for day in (date(2025, 5, 6), date(2025, 3, 4)):
            visit = PlannedActivity(f"visit:{day}", ActivityKind.SITE_VISIT, "basisbegleitung", day)
            repo.activities.insert_one(second, visit, ActivityStatus.HELD, {})
        repo.add_changes(
            [
                StageChange(
                    second, "admit", "interessent", "basisbegleitung", date(2025, 2, 1), NOW, "o"
                ),
                StageChange(
                    first, "withdraw", "interessent", "ausgeschieden", date(2025, 2, 2), NOW, "o"
                ),
            ]
        )
    with engine.connect() as connection:
        repo = Repository(connection)
        histories = repo.histories()
        assert [c.trigger for c in histories[first]] == ["withdraw"]
        assert [c.trigger for c in histories[second]] == ["admit"]
        steps = repo.steps([second, first])
        assert {
            i: [(c.trigger, c.from_stage, c.to_stage, c.effective) for c in histories[i]]
            for i in (first, second)
        } == {i: [tuple(step) for step in steps[i]] for i in (first, second)}
        assert repo.site_visits()[second] == [
            (date(2025, 3, 4), "basisbegleitung"),
            (date(2025, 5, 6), "basisbegleitung"),
        ]
        assert repo.site_visits([first]) == {}


def test_bulk_insert_stores_what_a_single_insert_stores(engine: Engine) -> None:
    """insert_many binds through the driver itself: the stored values must not differ."""

    def planned(coach: int, prefix: str) -> list[PlannedActivity]:
        stage = "basisbegleitung"
        return [
            PlannedActivity(
                f"{prefix}:1", ActivityKind.COACHING, stage, date(2025, 3, 4), Decimal("2.5"), coach
            ),
            PlannedActivity(
                f"{prefix}:2", ActivityKind.COACHING, stage, date(2025, 4, 1), Decimal(3), coach
            ),
            PlannedActivity(f"{prefix}:3", ActivityKind.SITE_VISIT, stage, date(2025, 4, 1)),
        ]

    with engine.begin() as connection:
        repo = Repository(connection, NOW)
        coach = repo.add_coach("A", "a@example.org", Decimal("62.50"), NOW)
        one, many, other = repo.add_centres([centre("A"), centre("B"), centre("C")], NOW)
        rates = {coach: Decimal("62.50")}
        repo.activities.insert(one, planned(coach, "p"), ActivityStatus.PLANNED, rates)
        bulk = [(many, planned(coach, "p")), (other, planned(coach, "q")[:1]), (one, [])]
        repo.activities.insert_many(bulk, ActivityStatus.PLANNED, rates)
        repo.activities.insert_many([], ActivityStatus.PLANNED, rates)
        stored = connection.execute(text("SELECT * FROM activities ORDER BY id")).mappings().all()
        typed = repo.activities.find(ActivityFilter(centre_id=many))
    as_stored = {
        c: [
            {k: v for k, v in r.items() if k not in ("id", "centre_id")}
            for r in stored
            if r["centre_id"] == c
        ]
        for c in (one, many, other)
    }
    assert len(as_stored[one]) == 3
    assert as_stored[many] == as_stored[one]
    assert [r["key"] for r in as_stored[other]] == ["q:1"]
    assert [(a.date, a.hours, a.rate, a.moved, a.recorded_at) for a in typed[:2]] == [
        (date(2025, 3, 4), Decimal("2.5"), Decimal("62.50"), False, NOW),
        (date(2025, 4, 1), Decimal(3), Decimal("62.50"), False, NOW),
    ]


def _activity(
    repo: Repository, centre_id: int, kind: ActivityKind, day: date, status: ActivityStatus
) -> int:
    planned = PlannedActivity(f"{kind}:{day}", kind, "basisbegleitung", day)
    return repo.activities.insert_one(centre_id, planned, status, {}).id


def test_the_reminders_lookups(engine: Engine) -> None:
    with engine.begin() as connection:
        repo = Repository(connection, NOW)
        first, second = repo.add_centres([centre("A"), centre("B")], NOW)
        late = _activity(
            repo, second, ActivityKind.COACHING, date(2026, 4, 2), ActivityStatus.PLANNED
        )
        early = _activity(repo, first, ActivityKind.COACHING, date(2026, 4, 1), ActivityStatus.HELD)
        _activity(repo, first, ActivityKind.COACHING, date(2026, 4, 3), ActivityStatus.CANCELLED)
        _activity(repo, first, ActivityKind.SITE_VISIT, date(2026, 4, 2), ActivityStatus.PLANNED)
        _activity(
            repo, first, ActivityKind.COACHING, date(2026, 4, 4), ActivityStatus.PLANNED
        )  # after the days
        new_year = _activity(
            repo, second, ActivityKind.COACHING, date(2026, 1, 1), ActivityStatus.HELD
        )
        _activity(repo, second, ActivityKind.COACHING, date(2025, 12, 31), ActivityStatus.HELD)
    with engine.connect() as connection:
        repo = Repository(connection)
        assert list(repo.centres_by_id([second, first, second])) == [first, second]
        assert repo.centres_by_id([second])[second] == repo.centre(second)
        assert repo.centres_by_id([]) == {}
        dated = repo.activities_dated(
            ActivityKind.COACHING,
            (ActivityStatus.PLANNED, ActivityStatus.HELD),
            date(2026, 4, 1),
            date(2026, 4, 3),
        )
        assert [a.id for a in dated] == [early, late]
        planned = repo.activities_dated(
            ActivityKind.COACHING, (ActivityStatus.PLANNED,), date(2026, 4, 1), date(2026, 4, 3)
        )
        assert [a.id for a in planned] == [late]
        held = repo.held_sessions([first, second], 2026)
        assert {c: [s.id for s in sessions] for c, sessions in held.items()} == {
            first: [early],
            second: [new_year],
        }


def test_centres_lacking_a_training_since_their_stay_began(engine: Engine) -> None:
    """Only a planned or held enrolment of the kind, in a training dated in the current stay,
    counts as taken up; the stay must have begun within the days asked about."""
    start = date(2026, 1, 10)
    with engine.begin() as connection:
        repo = Repository(connection, NOW)
        names = ["none", "planned", "held", "cancelled", "before", "other kind", "late", "stage"]
        ids = dict(
            zip(
                names,
                repo.add_centres([centre(n, stage="basisbegleitung") for n in names], NOW),
                strict=True,
            )
        )
        for name, centre_id in ids.items():
            began = date(2026, 2, 1) if name == "late" else start
            repo.set_derived(centre_id, began, None)
        repo.update_centre(ids["stage"], {"stage": "vertiefungsbegleitung"})
        store = repo.trainings
        made = store.add_many(
            [
                NewTraining("auftakt", "Auftakt", date(2026, 3, 1), "Erfurt", 50),
                NewTraining("auftakt", "Auftakt alt", date(2026, 1, 9), "Erfurt", 50),
                NewTraining("fachtag", "Fachtag", date(2026, 3, 1), "Erfurt", 50),
            ],
            NOW,
        )
        auftakt, old, fachtag = (store.get(i) for i in made)
        assert auftakt is not None
        assert old is not None
        assert fachtag is not None
        store.enrol(auftakt, ids["planned"], "basisbegleitung", ActivityStatus.PLANNED)
        store.enrol(auftakt, ids["held"], "basisbegleitung", ActivityStatus.HELD)
        store.enrol(auftakt, ids["cancelled"], "basisbegleitung", ActivityStatus.CANCELLED)
        store.enrol(old, ids["before"], "basisbegleitung", ActivityStatus.HELD)
        store.enrol(fachtag, ids["other kind"], "basisbegleitung", ActivityStatus.PLANNED)
    with engine.connect() as connection:
        repo = Repository(connection)
        found = repo.centres_lacking_training(
            "basisbegleitung", "auftakt", date(2026, 1, 1), date(2026, 1, 31)
        )
    assert [c.name for c in found] == ["none", "cancelled", "before", "other kind"]


def test_centres_to_plan_are_those_of_the_stages_with_another_stamp(engine: Engine) -> None:
    stamps = {"never": None, "older": "a", "current": "b", "newer": "c", "other stage": "a"}
    with engine.begin() as connection:
        repo = Repository(connection, NOW)
        rows = [centre(name, stage="basisbegleitung") for name in stamps]
        for (name, stamp), centre_id in zip(
            stamps.items(), repo.add_centres(rows, NOW), strict=True
        ):
            if stamp is not None:
                repo.set_plan_stamp(centre_id, stamp)
            if name == "other stage":
                repo.update_centre(centre_id, {"stage": "ausgeschieden"})
    with engine.connect() as connection:
        found = Repository(connection).centres_to_plan(["basisbegleitung", "interessent"], "b")
    assert [c.name for c in found] == ["never", "older", "newer"]


def test_a_ticks_lookups_use_an_index_on_sqlite(tmp_path: Path) -> None:
    """Without statistics SQLite's planner prefers more equality terms, or an index that
    spares a sort; each of these lookups must search by every column it narrows on."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    statements: list[tuple[str, Any]] = []  # Any: the driver's parameters, passed back to it

    def remember(*args: object) -> None:
        if "FROM activities" in str(args[2]) or "FROM centres" in str(args[2]):
            statements.append((str(args[2]), args[3]))

    day = date(2026, 4, 1)
    with engine.connect() as connection:
        repo = Repository(connection)
        event.listen(connection, "before_cursor_execute", remember)
        lookups: dict[str, Callable[[], object]] = {
            "activities_dated": lambda: repo.activities_dated(
                ActivityKind.COACHING, (ActivityStatus.PLANNED,), day, day
            ),
            "held_sessions": lambda: repo.held_sessions([1, 2], 2026),
            "recently_held": lambda: repo.recently_held(NOW),
            "site_visits": lambda: repo.site_visits([1, 2]),
            "enrolments": lambda: repo.trainings.of_centres([1, 2]),
            "lacking_training": lambda: repo.centres_lacking_training(
                "basisbegleitung", "auftakt", day, day
            ),
            "to_plan": lambda: repo.centres_to_plan(["basisbegleitung"], "stamp"),
        }
        plans = {}
        for name, lookup in lookups.items():
            statements.clear()
            lookup()
            ((sql, params),) = statements
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            plans[name] = [
                row[3]
                for row in rows
                if " activities " in f"{row[3]} " or " centres " in f"{row[3]} "
            ]
    engine.dispose()
    search = "SEARCH activities USING INDEX"
    assert plans == {
        "activities_dated": [
            f"{search} ix_activities_kind_status_date (kind=? AND status=? AND date>? AND date<?)"
        ],
        "held_sessions": [
            f"{search} ix_activities_kind_centre_id_status_date "
            "(kind=? AND centre_id=? AND status=? AND date>? AND date<?)"
        ],
        "recently_held": [
            f"{search} ix_activities_kind_status_recorded_at "
            "(kind=? AND status=? AND recorded_at>?)"
        ],
        "site_visits": [
            f"{search} ix_activities_kind_centre_id_status_date "
            "(kind=? AND centre_id=? AND status=?)"
        ],
        "enrolments": [
            f"{search} ix_activities_kind_centre_id_status_date (kind=? AND centre_id=?)"
        ],
        "lacking_training": [
            "SEARCH centres USING INDEX ix_centres_stage_episode_start "
            "(stage=? AND episode_start>? AND episode_start<?)",
            f"{search} ix_activities_kind_centre_id_status_date "
            "(kind=? AND centre_id=? AND status=?)",
        ],
        "to_plan": [
            "SEARCH centres USING INDEX ix_centres_plan_stamp (plan_stamp=?)",
            "SEARCH centres USING INDEX ix_centres_plan_stamp (plan_stamp<?)",
            "SEARCH centres USING INDEX ix_centres_plan_stamp (plan_stamp>?)",
        ],
    }
