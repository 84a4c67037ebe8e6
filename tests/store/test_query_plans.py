"""SQLite's query plans of a tick's lookups: each searches by an index (SQLite only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event

from tests.store.helpers import NOW
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.repository import Repository


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
