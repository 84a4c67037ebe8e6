"""The invitations a tick owes, found from what was written since the last tick (the marks of
migration 0026's triggers) and the days that came into the window: the same as reading
every planned session, after any writes and clock jumps; and read by an index."""

from __future__ import annotations

import random
from contextlib import suppress
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, update

from tests.databases import trigger_names
from tests.test_invitations import ERIKA, MAX, programme, sessions
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.service import Service
from thekiz_flow.service.invitations import AHEAD
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import invitation_state

pytestmark = pytest.mark.backends("sqlite", "postgresql")

Owed = set[tuple[int, int, bool, int, date | None]]


def owed(service: Service, everything: bool) -> Owed:
    """What a tick now would owe (nothing kept): from the marks, or (``everything``) from
    every planned session, as the first tick after the upgrade reads them."""
    today = service.runtime.today()
    with service.runtime.engine.connect() as conn:
        if everything:
            conn.execute(update(invitation_state).values(since=None, through=None))
        found = Repository(conn).invitations.take_owed(today, today + AHEAD)
        conn.rollback()
    return {(o.activity.id, o.coach_id, o.cancel, o.revision, o.invited_day) for o in found}


def change(service: Service, clock: FrozenClock, centre: int, pick: random.Random) -> None:
    """One write an office or a coach could make (refused on a day off: none), or the clock
    going on or back."""
    with suppress(InvalidInput):
        _change(service, clock, centre, pick)


def _change(service: Service, clock: FrozenClock, centre: int, pick: random.Random) -> None:
    planned = [s for s in sessions(service, centre) if s.status == ActivityStatus.PLANNED]
    what = pick.choice(("move", "move far", "cancel", "coach", "request", "clock", "clock back"))
    if what.startswith("move") and planned:
        session = pick.choice(planned)
        days = pick.choice((1, -1, 3)) if what == "move" else pick.choice((70, 120))
        day = max(session.date + timedelta(days=days), service.runtime.today())
        service.sessions.move(session.id, weekday(day))
    elif what == "cancel" and planned:
        service.sessions.cancel(pick.choice(planned).id, "Leitung erkrankt")
    elif what == "coach":
        service.registry.assign_coach(centre, pick.choice((MAX, ERIKA)))
    elif what == "request":
        day = service.runtime.today() + timedelta(days=pick.choice((2, 30, 75)))
        service.sessions.request(centre, weekday(day), "2")
    elif what == "clock":
        clock.set(clock.now() + timedelta(days=pick.choice((1, 6, 40))))
    elif what == "clock back":
        clock.set(clock.now() - timedelta(days=pick.choice((1, 20))))


def weekday(day: date) -> date:
    """``day``, or the Monday after it if it falls on a weekend."""
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


@pytest.mark.parametrize("seed", range(3))
def test_what_is_owed_from_the_marks_is_what_every_session_owes(
    service: Service, clock: FrozenClock, seed: int
) -> None:
    """After each random write or clock jump, and a tick at times: the marks and the days
    not looked at yet find just what reading every planned session finds."""
    pick = random.Random(seed)
    centre = programme(service)
    service.ticks.tick()
    compared = 0
    for _ in range(24):
        change(service, clock, centre, pick)
        expected = owed(service, everything=True)
        assert owed(service, everything=False) == expected
        compared += bool(expected)
        if pick.random() < 0.5:
            service.ticks.tick()
            assert owed(service, everything=False) == owed(service, everything=True) == set()
    assert compared >= 3  # the writes owed something to compare


def test_a_tick_after_the_clock_went_back_invites_the_days_it_skipped(
    service: Service, clock: FrozenClock
) -> None:
    """A tick at a clock weeks ahead looked at later days only; when the clock is right
    again, the sessions of the days it skipped are invited, as they come near."""
    centre = programme(service)
    right = clock.now()
    clock.set(right + timedelta(weeks=10))
    service.ticks.tick()
    clock.set(right)
    requested = {o[0] for o in owed(service, everything=False) if not o[2]}
    near = {
        s.id
        for s in sessions(service, centre)
        if s.status == ActivityStatus.PLANNED and s.date <= right.date() + AHEAD
    }
    assert near
    assert requested == near


def test_the_head_has_the_marking_triggers(engine: Engine) -> None:
    """A later migration that rebuilds activities on SQLite drops its triggers with it."""
    names = trigger_names(engine, "activities", "invitation_mark")
    assert names == {"invitation_mark_insert", "invitation_mark_update"}


@pytest.mark.backends("sqlite")
def test_a_tick_reads_the_marked_sessions_and_the_new_days_by_an_index(
    service: Service, clock: FrozenClock, tmp_path: Path
) -> None:
    """Not every planned session (the moved ones used to be found so): the sessions marked,
    by their number; the days that came into the window, by kind, status and date; the
    invitations, by session."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    statements: list[tuple[str, Any]] = []

    def remember(*args: object) -> None:
        statements.append((str(args[2]), args[3]))

    day = date(2026, 4, 1)
    with engine.connect() as conn:
        conn.execute(update(invitation_state).values(since=day, through=day + AHEAD))
        conn.exec_driver_sql("INSERT INTO invitation_marks (activity_id) VALUES (1)")
        event.listen(conn, "before_cursor_execute", remember)
        Repository(conn).invitations.take_owed(day + timedelta(days=1), day + AHEAD + timedelta(1))
        event.remove(conn, "before_cursor_execute", remember)
        plans: set[str] = set()
        for sql, params in statements:
            if sql.lstrip().startswith("SELECT") and "activities" in sql:
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                plans.update(r[3] for r in rows if " activities " in f"{r[3]} ")
    engine.dispose()
    assert plans == {
        "SEARCH activities USING INDEX ix_activities_kind_status_date "
        "(kind=? AND status=? AND date>? AND date<?)",
        "SEARCH activities USING INTEGER PRIMARY KEY (rowid=?)",
    }
