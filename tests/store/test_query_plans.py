"""Query plans: a tick's lookups search by an index (SQLite), and no page or tick reads a
whole table of activities, outbox or centres (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event

from tests.store.helpers import NOW
from thekiz_flow.core.activity_list import ActivityQuery, CalendarQuery
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, CentreSort, Recipient
from thekiz_flow.core.lists import CoachQuery
from thekiz_flow.core.model import ActivityFilter, CentreQuery
from thekiz_flow.core.occurrences import ActivityDays
from thekiz_flow.core.privacy_map import Key, Subject
from thekiz_flow.store import due_query
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
            "lacking_training": lambda: repo.centres_paged(
                due_query.lacking_training("basisbegleitung", "auftakt", day, day), None, None
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
    covering = "SEARCH activities USING COVERING INDEX"  # the rows are not read
    assert plans == {
        "activities_dated": [
            f"{search} ix_activities_kind_status_date (kind=? AND status=? AND date>? AND date<?)"
        ],
        "held_sessions": [
            f"{search} ix_activities_kind_centre_id_status_date_training_id "
            "(kind=? AND centre_id=? AND status=? AND date>? AND date<?)"
        ],
        "recently_held": [
            f"{search} ix_activities_kind_status_recorded_at "
            "(kind=? AND status=? AND recorded_at>?)"
        ],
        "site_visits": [  # the last held in each stage: from the index alone
            f"{covering} ix_activities_kind_status_centre_id_stage_date "
            "(kind=? AND status=? AND centre_id=?)"
        ],
        "enrolments": [
            f"{covering} ix_activities_kind_centre_id_status_date_training_id "
            "(kind=? AND centre_id=?)"
        ],
        "lacking_training": [  # the enrolments of the stay: a range of dates
            "SEARCH centres USING INDEX ix_centres_stage_episode_start "
            "(stage=? AND episode_start>? AND episode_start<?)",
            f"{covering} ix_activities_kind_centre_id_status_date_training_id "
            "(kind=? AND centre_id=? AND status=? AND date>?)",
        ],
        "to_plan": [
            "SEARCH centres USING INDEX ix_centres_plan_stamp (plan_stamp=?)",
            "SEARCH centres USING INDEX ix_centres_plan_stamp (plan_stamp<?)",
            "SEARCH centres USING INDEX ix_centres_plan_stamp (plan_stamp>?)",
        ],
    }


# What pages and ticks read, beside the tick's lookups above: none may read a whole table of
# activities, outbox or centres (a COUNT over a filter is fine, it reads an index's range).
HOT_TABLES = (
    "activities",
    "outbox",
    "centres",
    "budget_percents",
    "district_accounts",
    "account_stale",
)
# the coaching sessions of two days a reminder follows, 3 days on, for the coach and the office
PREVIEW_DAYS = ActivityDays(
    0,
    date(2026, 4, 1),
    date(2026, 4, 2),
    (Recipient.COACH, Recipient.OFFICE),
    "session_unrecorded:a",
    {date(2026, 4, 1): "2026-04-04", date(2026, 4, 2): "2026-04-05"},
)


def _page_lookups(repo: Repository) -> dict[str, Callable[[], object]]:
    day = date(2026, 4, 1)
    month = timedelta(days=29)
    stages = ["interessent", "basisbegleitung", "vertiefungsbegleitung"]
    return {
        "coach_count": lambda: repo.centre_count_of_coach(1),
        "coach_centres": lambda: repo.centres_of_coach(1),
        "allowed": lambda: repo.centres_allowed_by(day, stages, 10),
        "spent": lambda: repo.spent_in_year(2026, stages),
        "spent_of_centres": lambda: repo.spent_in_year(2026, stages, [1, 2]),
        "budget_warnings": lambda: repo.budget_percents.highest(80, 10),
        "coach_page": lambda: repo.find_coaches(CoachQuery(offset=0, limit=20)),
        "upcoming": lambda: repo.activities.first(
            ActivityFilter(status=ActivityStatus.PLANNED, first=day, last=day + month), 1
        ),
        "centre_activities": lambda: repo.activities.of_centre(1),
        "centre_planned": lambda: repo.activities.find(  # what goes to a centre's next coach
            ActivityFilter(centre_id=1, status=ActivityStatus.PLANNED, first=day)
        ),
        "coach_planned": lambda: repo.activities.find(
            ActivityFilter(coach_id=1, status=ActivityStatus.PLANNED, first=day)
        ),
        "open_trainings": lambda: repo.trainings.open_seats(day, day, 10),
        "coach_loads": lambda: repo.activities.of_coaches([1, 2], ActivityKind.COACHING, day, day),
        "feed": lambda: repo.feeds.events(1, day, NOW),
        "coach_sessions": lambda: repo.activities.listed(
            ActivityQuery(ActivityKind.COACHING, coach_id=1, last=day, offset=0, limit=50)
        ),
        "centres_by_name": lambda: repo.find_centres(CentreQuery(offset=0, limit=50)),
        "centres_by_district": lambda: repo.find_centres(
            CentreQuery(sort=CentreSort.DISTRICT, offset=0, limit=50)
        ),
        "centres_of_a_district": lambda: repo.find_centres(
            CentreQuery(district="Jena", offset=0, limit=50)
        ),
        "centres_with_sessions": lambda: repo.find_centres(  # a new session's choice of centre
            CentreQuery(among=stages[1:], offset=0, limit=20)
        ),
        "calendar": lambda: repo.calendar.days(CalendarQuery(day, day + timedelta(days=29)), 3),
        "calendar_of_a_coach": lambda: repo.calendar.days(
            CalendarQuery(day, day + timedelta(days=29), coach_id=1), 3
        ),
        "calendar_of_a_district": lambda: repo.calendar.days(
            CalendarQuery(day, day + timedelta(days=29), district="Jena"), 3
        ),
        "calendar_day": lambda: repo.calendar.day(CalendarQuery(day, day, coach_id=1), 0, 50),
        "preview_page": lambda: repo.activities_dated(
            ActivityKind.COACHING, (ActivityStatus.PLANNED,), day, day + month, (day, 7), 50
        ),
        "preview_count": lambda: repo.activities_counted(
            ActivityKind.COACHING, (ActivityStatus.PLANNED,), PREVIEW_DAYS, date(2026, 4, 5)
        ),
        "training_offers": lambda: repo.trainings.offered("auftakt", day, 5),
        "preview_stage_starts": lambda: repo.changes_paged(
            due_query.stage_starts(day, day + month, "vertiefungsbegleitung"), (day, 7), 50
        ),
        "preview_stage_starts_count": lambda: repo.counted(
            due_query.stage_starts(day, day + month, None)
        ),
        "preview_stage_starts_count_to_a_stage": lambda: repo.counted(
            due_query.stage_starts(day, day + month, "vertiefungsbegleitung")
        ),
        "preview_stepping": lambda: repo.centres_paged(
            due_query.stepping(day, day + month), (day, 7), 50
        ),
        "preview_stepping_count": lambda: repo.counted(due_query.stepping(day, day + month)),
        "preview_lacking_training": lambda: repo.centres_paged(
            due_query.lacking_training("basisbegleitung", "auftakt", day, day + month), (day, 7), 50
        ),
        "preview_lacking_training_count": lambda: repo.counted(
            due_query.lacking_training("basisbegleitung", "auftakt", day, day + month)
        ),
        "preview_stage_starts_told": lambda: repo.told(
            due_query.stage_starts(day, day, None),
            due_query.stage_start_keys("renewal_due", {day: "2027-03-02"}),
            ["office"],
        ),
        "preview_stepping_told": lambda: repo.told(
            due_query.stepping(day, day),
            due_query.stepping_keys("eligible", {"basisbegleitung": "deepen"}),
            ["office", "coach"],
        ),
        "person_data": lambda: repo.privacy.export(  # a centre's: its mails by address
            Subject.CENTRE, {Key.CENTRE_ID: [1], Key.EMAIL: ["Kita@example.org"]}
        ),
        "account_data": lambda: repo.privacy.export(  # what an account did, by its address
            Subject.USER,
            {Key.USER_ID: [1], Key.EMAIL: ["buero@example.org"], Key.ACTOR: ["buero@example.org"]},
        ),
        "coach_data": lambda: repo.privacy.export(
            Subject.COACH, {Key.COACH_ID: [1], Key.EMAIL: ["lena@example.org"]}
        ),
        "retention_count": lambda: repo.privacy.clear_mail_bodies(NOW, apply=False),
        # the centres that left whose address retention erases next, and how many
        "withdrawn_centres": lambda: repo.privacy.withdrawn_centres(
            ["ausgeschieden"], date(2023, 6, 1), 20
        ),
        "withdrawn_count": lambda: repo.privacy.withdrawn_count(
            ["ausgeschieden"], date(2023, 6, 1)
        ),
        "first_registered": repo.first_registered,  # the digests' first year
        # the forecast's: hours held in a stage on request, programme years renewed and left
        "forecast_held": lambda: repo.held_hours(
            ["konsultationseinrichtung"], day - timedelta(days=365), day
        ),
        "forecast_changes": lambda: repo.forecast.changes(
            [
                ("vertiefungsbegleitung", "vertiefungsbegleitung"),
                ("vertiefungsbegleitung", "konsultationseinrichtung"),
            ],
            day,
        ),
        # the districts' page: the kept totals, a page of a district's centres and their
        # stage changes of the year, whether a write marked a centre since
        "district_totals": lambda: repo.district_accounts.totals(2026),
        "district_page": lambda: repo.district_accounts.page(2026, "Jena", 50, 50),
        "district_page_changes": lambda: repo.changes_between(
            date(2026, 1, 1), date(2026, 12, 31), centre_ids=[1, 2]
        ),
        "district_marks": lambda: repo.district_accounts.newer_than(5),
        "retention": lambda: repo.privacy.clear_mail_bodies(NOW),  # rolled back
        "preview_lacking_training_told": lambda: repo.told(
            due_query.lacking_training("basisbegleitung", "auftakt", day, day),
            due_query.deadline_keys("training_deadline", "auftakt", {day: "x"}, {day: "y"}),
            ["centre"],
        ),
    }


def _statements(
    engine: Engine, lookups: Callable[[Repository], dict[str, Callable[[], object]]]
) -> Iterator[tuple[str, str, Any, Connection]]:
    """(lookup, SQL, parameters, connection) of every statement the lookups run."""
    seen: list[tuple[str, Any]] = []

    def remember(*args: object) -> None:
        seen.append((str(args[2]), args[3]))

    with engine.connect() as connection:
        repo = Repository(connection)
        event.listen(connection, "before_cursor_execute", remember)
        for name, lookup in lookups(repo).items():
            seen.clear()
            lookup()
            ran = list(seen)
            event.remove(connection, "before_cursor_execute", remember)
            for sql, params in ran:
                yield name, sql, params, connection
            event.listen(connection, "before_cursor_execute", remember)


def test_no_page_or_tick_reads_a_whole_table(engine: Engine) -> None:
    """The plans of the pages' reads: every table of HOT_TABLES searched by an index, on
    SQLite (EXPLAIN QUERY PLAN: no SCAN without an index) and on PostgreSQL (EXPLAIN with
    sequential scans made dear, as on a large table: no Seq Scan)."""
    postgres = engine.dialect.name == "postgresql"
    scans: dict[str, list[str]] = {}
    for name, sql, params, connection in _statements(engine, _page_lookups):
        if postgres:
            connection.exec_driver_sql("SET enable_seqscan = off")
            lines = [r[0] for r in connection.exec_driver_sql(f"EXPLAIN {sql}", params)]
            bad = [line for line in lines if any(f"Seq Scan on {t}" in line for t in HOT_TABLES)]
        else:
            lines = [r[3] for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
            bad = [
                line
                for line in lines
                if any(line.startswith(f"SCAN {t}") for t in HOT_TABLES) and "INDEX" not in line
            ]
        if bad:
            scans.setdefault(name, []).extend(bad)
    assert scans == {}


PINNED = (
    "allowed",
    "centre_activities",
    "centre_planned",
    "coach_planned",
    "budget_warnings",
    "coach_page",
    "upcoming",
    "coach_loads",
    "coach_sessions",
    "feed",
    "centres_by_name",
    "centres_by_district",
    "centres_of_a_district",
    "centres_with_sessions",
    "district_page",
)
COUNTING = ("training_offers", "open_trainings")  # their rows carry counts: pinned whole


def test_pages_read_by_the_index_they_need_on_sqlite(tmp_path: Path) -> None:
    """A page of the centre list by name (or district and name) reads the index in its order
    and stops after the page: no sort of every centre; the coaches' loads are read by coach
    and date, not by kind (every coach's sessions)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    plans: dict[str, list[list[str]]] = {}
    try:
        for name, sql, params, connection in _statements(engine, _page_lookups):
            if (name in PINNED and "count(" not in sql) or name in COUNTING:
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                plans.setdefault(name, []).append([r[3] for r in rows])
    finally:
        engine.dispose()
    assert plans == {
        "allowed": [  # the centres of the stages whose next step is allowed, by the index
            [
                "SEARCH centres USING INDEX ix_centres_stage_next_step_on "
                "(stage=? AND next_step_on<?)",
                "USE TEMP B-TREE FOR ORDER BY",
            ]
        ],
        "centre_activities": [  # the centre page's: that centre's, by the index
            [
                "SEARCH activities USING INDEX "
                "ix_activities_kind_centre_id_status_date_training_id "
                "(kind=? AND centre_id=?)"
            ]
        ],
        "centre_planned": [  # not every centre's planned ones from the day on
            [
                "SEARCH activities USING INDEX "
                "ix_activities_kind_centre_id_status_date_training_id "
                "(kind=? AND centre_id=? AND status=? AND date>?)"
            ]
        ],
        "coach_planned": [
            [
                "SEARCH activities USING INDEX ix_activities_coach_id_kind_status_date "
                "(coach_id=? AND kind=? AND status=? AND date>?)"
            ]
        ],
        "coach_page": [["SCAN coaches USING INDEX ix_coaches_lower_name"]],  # in order
        "upcoming": [  # what is planned in the next days, of any kind
            [
                "SEARCH activities USING INDEX ix_activities_status_date "
                "(status=? AND date>? AND date<?)"
            ]
        ],
        "budget_warnings": [  # the most first: the first rows of the index, no sort
            [
                "SEARCH budget_percents USING COVERING INDEX ix_budget_percents_percent_desc "
                "(percent>?)"
            ]
        ],
        "coach_loads": [
            [
                "SEARCH activities USING INDEX ix_activities_coach_id_date "
                "(coach_id=? AND date>? AND date<?)",
                "USE TEMP B-TREE FOR ORDER BY",
            ]
        ],
        "coach_sessions": [
            [  # a coach's planned sessions up to a day, by date: only theirs are read
                "SEARCH activities USING INDEX ix_activities_coach_id_kind_status_date "
                "(coach_id=? AND kind=? AND status=? AND date<?)",
                "SEARCH centres USING INTEGER PRIMARY KEY (rowid=?)",
                "SEARCH coaches USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN",
            ]
        ],
        "feed": [
            [  # the coach's sessions
                "SEARCH activities USING INDEX ix_activities_coach_id_date (coach_id=? AND date>?)",
                "SEARCH centres USING INTEGER PRIMARY KEY (rowid=?)",
            ],
            [  # the site visits of the coach's centres
                "SEARCH activities USING INDEX "
                "ix_activities_kind_centre_id_status_date_training_id "
                "(kind=? AND centre_id=?)",
                "LIST SUBQUERY 1",
                "SEARCH centres USING COVERING INDEX ix_centres_coach_id (coach_id=?)",
                "SEARCH centres USING INTEGER PRIMARY KEY (rowid=?)",
            ],
            [  # what the coach handed over
                "SEARCH handovers USING INDEX ix_handovers_coach_id_recorded_at "
                "(coach_id=? AND recorded_at>?)",
                "SEARCH activities USING INTEGER PRIMARY KEY (rowid=?)",
                "SEARCH centres USING INTEGER PRIMARY KEY (rowid=?)",
            ],
        ],
        "centres_by_name": [["SCAN centres USING INDEX ix_centres_lower_name"]],
        "centres_by_district": [["SCAN centres USING INDEX ix_centres_district_lower_name"]],
        "centres_of_a_district": [
            ["SEARCH centres USING INDEX ix_centres_district_lower_name (district=?)"]
        ],
        "centres_with_sessions": [["SCAN centres USING INDEX ix_centres_lower_name"]],
        "district_page": [  # a range of the index in its order: no sort of the district's
            [
                "SEARCH district_accounts USING INDEX "
                "ix_district_accounts_year_district_name_centre_id (year=? AND district=?)"
            ]
        ],
        "training_offers": [  # the coming ones of the kind in date order, not every one made
            [
                "SEARCH trainings USING INDEX ix_trainings_kind_date (kind=? AND date>?)",
                "CORRELATED SCALAR SUBQUERY 2",
                "SEARCH activities USING COVERING INDEX ix_activities_training_id_status "
                "(training_id=? AND status=?)",
                "CORRELATED SCALAR SUBQUERY 1",
                "SEARCH activities USING COVERING INDEX ix_activities_training_id_status "
                "(training_id=? AND status=?)",
            ]
        ],
        "open_trainings": [  # the ones up to a day and those of the waiting places, counted once
            [
                "CO-ROUTINE (subquery-6)",
                "MATERIALIZE seats",
                "MULTI-INDEX OR",
                "INDEX 1",
                "SEARCH trainings USING INDEX ix_trainings_date (date>? AND date<?)",
                "INDEX 2",
                "LIST SUBQUERY 3",
                "SEARCH activities USING INDEX ix_activities_kind_status_date "
                "(kind=? AND status=? AND date>?)",
                "SEARCH trainings USING INTEGER PRIMARY KEY (rowid=?)",
                "CORRELATED SCALAR SUBQUERY 1",
                "SEARCH activities USING COVERING INDEX ix_activities_training_id_status "
                "(training_id=? AND status=?)",
                "CORRELATED SCALAR SUBQUERY 2",
                "SEARCH activities USING COVERING INDEX ix_activities_training_id_status "
                "(training_id=? AND status=?)",
                "SCAN seats",
                "SCAN (subquery-6)",
                "USE TEMP B-TREE FOR ORDER BY",
            ]
        ],
    }


def test_a_page_of_the_reminder_preview_reads_by_date_and_counts_by_index_on_sqlite(
    tmp_path: Path,
) -> None:
    """A page of the preview reads an activity rule's sessions in the index's order by date
    from the last one read, and stops after the page (no sort); its count reads the index
    alone and looks each key up in the outbox's index of keys. So do the rules that follow a
    stage change (by its day, each centre by its key), a next step (by its day) or a training
    deadline (by stage and the day the stay began), and the count of their keys the outbox
    holds, each looked up by its index of keys."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    plans: dict[str, list[str]] = {}
    try:
        for name, sql, params, connection in _statements(engine, _page_lookups):
            if name.startswith("preview"):
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                plans[name] = [re.sub(r"SUBQUERY \d+", "SUBQUERY", r[3]) for r in rows]
    finally:
        engine.dispose()
    index = "ix_activities_kind_status_date (kind=? AND status=? AND date>? AND date<?)"
    key = "SEARCH outbox USING COVERING INDEX sqlite_autoindex_outbox_1 (key=?)"
    checks = [  # not withdrawn, still in force
        "CORRELATED SCALAR SUBQUERY",
        "SEARCH corrections USING INDEX ix_corrections_subject_subject_id "
        "(subject=? AND subject_id=?)",
        "CORRELATED SCALAR SUBQUERY",
        "SEARCH centres USING INTEGER PRIMARY KEY (rowid=?)",
    ]
    changes = [
        "SEARCH stage_changes USING INDEX ix_stage_changes_effective (effective>? AND effective<?)",
        *checks,
    ]
    # a stage's changes in order (no sort), each one's centre from the index
    to_stage = (
        "ix_stage_changes_to_stage_effective_id_centre_id "
        "(to_stage=? AND effective>? AND effective<?)"
    )
    stepping = "ix_centres_next_step_on (next_step_on>? AND next_step_on<?)"
    stays = "ix_centres_stage_episode_start (stage=? AND episode_start>? AND episode_start<?)"
    taken = [  # the stay's enrolments from the index alone, then each one's training
        "CORRELATED SCALAR SUBQUERY",
        "SEARCH activities USING COVERING INDEX "
        "ix_activities_kind_centre_id_status_date_training_id "
        "(kind=? AND centre_id=? AND status=? AND date>?)",
        "CORRELATED SCALAR SUBQUERY",
        "SEARCH trainings USING INTEGER PRIMARY KEY (rowid=?)",
    ]
    lookup = ["CORRELATED SCALAR SUBQUERY", key]  # a key looked up in the outbox
    assert plans == {
        "preview_stage_starts_told": [*changes, *lookup],
        "preview_stepping_told": [f"SEARCH centres USING INDEX {stepping}", *lookup, *lookup],
        "preview_lacking_training_told": [
            f"SEARCH centres USING COVERING INDEX {stays}",
            *taken,
            *lookup,
        ],
        "preview_stage_starts": [f"SEARCH stage_changes USING INDEX {to_stage}", *checks],
        "preview_stage_starts_count": changes,
        "preview_stage_starts_count_to_a_stage": [
            f"SEARCH stage_changes USING COVERING INDEX {to_stage}",
            *checks,
        ],
        "preview_stepping": [f"SEARCH centres USING INDEX {stepping}"],
        "preview_stepping_count": [f"SEARCH centres USING COVERING INDEX {stepping}"],
        "preview_lacking_training": [f"SEARCH centres USING INDEX {stays}", *taken],
        "preview_lacking_training_count": [f"SEARCH centres USING COVERING INDEX {stays}", *taken],
        "preview_page": [f"SEARCH activities USING INDEX {index}"],
        "preview_count": [f"SEARCH activities USING COVERING INDEX {index}", *lookup, *lookup],
    }


def test_the_start_pages_stage_table_reads_the_kept_counts_not_the_centres(
    tmp_path: Path,
) -> None:
    """The centres per stage and district are the counts kept on write and the changes
    since the last fold (SQLite): no centre is read, whatever the programme's size."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    statements: list[tuple[str, Any]] = []

    def remember(*args: object) -> None:
        if "SELECT" in str(args[2]):
            statements.append((str(args[2]), args[3]))

    with engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", remember)
        Repository(connection).stage_counts()
        event.remove(connection, "before_cursor_execute", remember)
        ((sql, params),) = statements
        plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
    engine.dispose()
    scanned = {step.split()[1] for step in plan if step.startswith("SCAN ")}
    assert scanned - {"anon_1"} == {"centre_counts", "centre_count_changes"}  # and the union
    assert not any(" centres" in step for step in plan)


def test_the_calendar_reads_a_range_per_kind_and_a_few_rows_per_day_on_sqlite(
    tmp_path: Path,
) -> None:
    """A month of the calendar counts each kind and status on a range of an index (the
    index alone), and takes the first few of each day from the same index by an equality
    on the day, in its order: no sort, no scan, whatever the filters."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    plans: dict[str, set[str]] = {}
    sorts = []
    try:
        for name, sql, params, connection in _statements(engine, _page_lookups):
            if name.startswith("calendar") and name != "calendar_day":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                lines = [r[3] for r in rows]
                sorts += [line for line in lines if "TEMP B-TREE" in line]
                plans.setdefault(name, set()).update(
                    line for line in lines if "activities" in line or " z " in f"{line} "
                )
    finally:
        engine.dispose()
    assert sorts == []
    index = "ix_activities_kind_status_date"
    of_coach = "ix_activities_coach_id_kind_status_date"
    assert plans == {
        "calendar": {
            f"SEARCH activities USING COVERING INDEX {index} "
            "(kind=? AND status=? AND date>? AND date<?)",
            f"SEARCH z USING COVERING INDEX {index} (kind=? AND status=? AND date=?)",
        },
        "calendar_of_a_coach": {  # sessions by their coach, visits by their centre's
            f"SEARCH activities USING COVERING INDEX {of_coach} "
            "(coach_id=? AND kind=? AND status=? AND date>? AND date<?)",
            f"SEARCH z USING COVERING INDEX {of_coach} "
            "(coach_id=? AND kind=? AND status=? AND date=?)",
            f"SEARCH activities USING INDEX {index} (kind=? AND status=? AND date>? AND date<?)",
            f"SEARCH z USING INDEX {index} (kind=? AND status=? AND date=?)",
        },
        "calendar_of_a_district": {
            f"SEARCH activities USING INDEX {index} (kind=? AND status=? AND date>? AND date<?)",
            f"SEARCH z USING INDEX {index} (kind=? AND status=? AND date=?)",
        },
    }


def test_the_digest_reads_the_held_site_visits_from_an_index_alone(engine: Engine) -> None:
    """The last held site visit of each centre in each stage, over every year, comes from
    the index by kind, status, centre and stage, in its order: not from the rows of every
    year (SQLite: a covering index and no sort; PostgreSQL: an index-only scan)."""
    name = "ix_activities_kind_status_centre_id_stage_date"
    postgres = engine.dialect.name == "postgresql"
    plans = []
    for _, sql, params, connection in _statements(
        engine, lambda repo: {"visits": lambda: list(repo.digest.visits(date(2026, 12, 31)))}
    ):
        if "FROM activities" not in sql:
            continue  # the transaction's start
        if postgres:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plans.append([r[0] for r in connection.exec_driver_sql(f"EXPLAIN {sql}", params)])
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            plans.append([r[3] for r in rows])
    (plan,) = plans
    if postgres:
        assert any(f"Index Only Scan using {name} on activities" in line for line in plan), plan
    else:
        assert plan == [f"SEARCH activities USING COVERING INDEX {name} (kind=? AND status=?)"]


# The privacy pages' reads and retention's, the digests' first year and the forecast's
# counts: each by the index that holds just what they need.
PINNED_INDEXES = {
    "person_data": ("ix_outbox_lower_recipient", "ix_outbox_attempts_lower_recipient"),
    "account_data": ("ix_stage_changes_lower_actor",),
    "coach_data": ("ix_invitations_coach_id", "ix_outbox_lower_recipient"),
    "first_registered": ("ix_centres_registered",),
    "retention_count": ("ix_outbox_held",),
    "retention": ("ix_outbox_held",),
    "withdrawn_centres": ("ix_centres_contact_kept",),
    "withdrawn_count": ("ix_centres_contact_kept",),
    "forecast_held": ("ix_activities_kind_status_stage_date_hours",),
    "forecast_changes": ("ix_stage_changes_from_stage_to_stage_effective",),
}
# PostgreSQL prices these indexes alike on the test's empty tables and takes either: there
# the general test holds (no sequential scan), the pin holds on SQLite.
TIED_ON_POSTGRESQL = {"forecast_held"}


def test_a_person_s_mails_and_the_mails_to_empty_are_read_by_their_indexes(
    engine: Engine,
) -> None:
    """A person's mails are found by their address in lower case, not by reading every mail;
    the mails retention empties next by when they settled, among the few still holding their
    texts (a partial index the query's condition matches, on SQLite and on PostgreSQL), not
    among every settled mail of ten years; the centres whose address it erases next among
    those that left and still hold one (a partial index too), not among all that left; the
    forecast's hours held in a stage and its programme years renewed from the indexes that
    hold them."""
    postgres = engine.dialect.name == "postgresql"
    found: dict[str, str] = {}
    for name, sql, params, connection in _statements(engine, _page_lookups):
        if name not in PINNED_INDEXES:
            continue
        if postgres:
            connection.exec_driver_sql("SET enable_seqscan = off")
            lines = [r[0] for r in connection.exec_driver_sql(f"EXPLAIN {sql}", params)]
        else:
            lines = [r[3] for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
        found[name] = found.get(name, "") + "\n".join(lines)
    used = {
        name: tuple(index for index in wanted if index in found.get(name, ""))
        for name, wanted in PINNED_INDEXES.items()
    }
    wanted = {
        name: indexes
        for name, indexes in PINNED_INDEXES.items()
        if not (postgres and name in TIED_ON_POSTGRESQL)
    }
    assert {name: used[name] for name in wanted} == wanted, found
