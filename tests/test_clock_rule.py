"""The tick's clock rule: it never acts beyond the real clock; simulation works on a copy.

The acting clock (``tick --now``, a simulation) and the real clock (``wall``) are frozen
separately, so a tick can be asked to act for a time that has not come.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from tests.cli_helpers import Run, berlin_today, dump
from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import ActivityKind, OutboxStatus
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.model import ActivityFilter, CentreInput, Workflow
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.simulation import RealClock
from thekiz_flow.workflow.config import DigestSettings, MailSettings

START = date(2025, 1, 6)  # the centre's admission
LAST_TICK = datetime(2025, 3, 3, 9, tzinfo=BERLIN)  # the last tick before a downtime
REAL = datetime(2025, 3, 13, 9, tzinfo=BERLIN)  # ten days later, by the wall clock
AHEAD = datetime(2025, 9, 1, 7, tzinfo=BERLIN)  # `tick --now 2025-09-01T07:00:00+02:00`


@pytest.fixture
def wall() -> FrozenClock:
    return FrozenClock(datetime.combine(START, time(9), BERLIN))


@pytest.fixture
def office(
    engine: Engine,
    workflow: Workflow,
    clock: FrozenClock,
    wall: FrozenClock,
    mail: MailSettings,
    tmp_path: Path,
) -> Service:
    """The service acting by ``clock``, with ``wall`` as the real time; digests on 15 January."""
    with_ministry = replace(mail, ministry="ministerium@example.org")
    digest = DigestSettings(tmp_path / "digests", (1, 15))
    return Service(engine, workflow, clock, BERLIN, "test", with_ministry, None, digest, wall=wall)


def really(clock: FrozenClock, wall: FrozenClock, moment: datetime) -> None:
    """Time really passes: both clocks show ``moment``."""
    clock.set(moment)
    wall.set(moment)


def admitted(office: Service, clock: FrozenClock, wall: FrozenClock) -> int:
    really(clock, wall, datetime.combine(START, time(9), BERLIN))
    coach = str(office.registry.add_coach("Paul Winter", "p@example.org", "60"))
    centre = office.registry.add_centre(
        CentreInput("Kita A", "Gera", "kita@example.org", coach=coach)
    )
    office.lifecycle.advance(centre, "admit")
    return centre


def test_a_tick_ahead_of_the_real_clock_is_refused_and_writes_nothing(
    office: Service, clock: FrozenClock, wall: FrozenClock, database_url: str
) -> None:
    centre = admitted(office, clock, wall)
    really(clock, wall, LAST_TICK)
    office.ticks.tick()
    wall.set(REAL)  # the service was really down for ten days
    before = dump(database_url)
    clock.set(AHEAD)
    with pytest.raises(Refused) as refused:
        office.ticks.tick()
    assert str(refused.value) == (
        "Durchlauf für 01.09.2025 07:00 abgelehnt: die wirkliche Zeit ist 13.03.2025 09:00; "
        "vorauslaufen darf nur eine Simulationskopie (simulate --copy)"
    )
    assert dump(database_url) == before  # no mail, nothing missed, the tick mark unmoved

    clock.set(REAL)  # the real tick after the gap
    report = office.ticks.tick()
    assert report.reminders.missed > 0  # what fell due in the real gap, before its window
    assert all(r.due_at <= REAL for r in office.outbox.rows())  # nothing of the future
    later = next(
        s
        for s in office.overview.activities(
            ActivityFilter(centre_id=centre, kind=ActivityKind.COACHING)
        )
        if s.date > REAL.date() + timedelta(days=7)
    )
    reminded = datetime.combine(later.date - timedelta(days=7), time(9), BERLIN)
    really(clock, wall, reminded)
    office.ticks.tick()
    upcoming = [r for r in office.outbox.rows() if r.rule == "session_upcoming"]
    assert (upcoming[-1].due_at.date(), upcoming[-1].status) == (reminded.date(), OutboxStatus.SENT)
    assert [r for r in upcoming if r.due_at > REAL and r.status == OutboxStatus.MISSED] == []


@pytest.mark.parametrize(("minutes", "acts"), [(4, True), (6, False)])
def test_the_tolerance_is_five_minutes(
    office: Service, clock: FrozenClock, wall: FrozenClock, minutes: int, acts: bool
) -> None:
    admitted(office, clock, wall)
    clock.set(wall.now() + timedelta(minutes=minutes))
    if acts:
        done = office.ticks.tick()
        # the admission's two mails, the monthly overview, an invitation per coming session
        assert done.mail.sent == 3 + done.invitations
    else:
        with pytest.raises(Refused):
            office.ticks.tick()


def test_the_digest_waits_for_its_day_when_a_tick_is_asked_for_january_in_december(
    office: Service, clock: FrozenClock, wall: FrozenClock, tmp_path: Path
) -> None:
    admitted(office, clock, wall)
    really(clock, wall, datetime(2026, 12, 3, 9, tzinfo=BERLIN))
    office.ticks.tick()
    clock.set(datetime(2027, 1, 16, 7, tzinfo=BERLIN))  # `tick --now 2027-01-16T07:00+01:00`
    with pytest.raises(Refused, match=r"die wirkliche Zeit ist 03\.12\.2026 09:00"):
        office.ticks.tick()
    assert [r for r in office.outbox.rows() if r.rule == "digest"] == []  # the key is still free
    assert not (tmp_path / "digests").exists()
    assert office.digest.send_day(2026) == date(2027, 1, 15)
    really(clock, wall, datetime(2027, 1, 14, 9, tzinfo=BERLIN))
    office.ticks.tick()
    assert [r for r in office.outbox.rows() if r.rule == "digest"] == []  # the day before
    really(clock, wall, datetime(2027, 1, 15, 9, tzinfo=BERLIN))
    office.ticks.tick()
    rows = [r for r in office.outbox.rows() if r.rule == "digest"]
    assert [(r.key, r.status) for r in rows] == [("digest:2026", OutboxStatus.SENT)]


def test_a_simulation_database_may_run_ahead(
    office: Service, clock: FrozenClock, wall: FrozenClock, engine: Engine
) -> None:
    admitted(office, clock, wall)
    office.ticks.tick()
    office.ticks.mark_simulation()
    with office.runtime.unit() as repo:
        assert repo.simulation.marked()
    clock.set(AHEAD)
    assert office.ticks.tick().reminders.new > 0


def test_the_real_clock_on_sqlite_is_the_system_clock(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    jumped = FrozenClock(datetime.now(UTC) + timedelta(days=200))
    assert RealClock(engine, jumped).now() == jumped.now()  # no other clock to ask


@pytest.mark.backends("postgresql")
def test_this_machines_clock_jumping_ahead_of_the_database_server_is_refused(
    engine: Engine, workflow: Workflow, mail: MailSettings, database_url: str
) -> None:
    """An NTP step or a resumed VM puts this machine's clock 40 days ahead; PostgreSQL's
    clock did not jump: the tick acts for nothing, so nothing is recorded as missed."""
    jumped = FrozenClock(datetime.now(UTC) + timedelta(days=40))
    real = RealClock(engine, jumped)
    assert abs(real.now() - datetime.now(UTC)) < timedelta(minutes=1)  # the server's
    service = Service(engine, workflow, jumped, BERLIN, "test", mail, wall=real)
    before = dump(database_url)
    with pytest.raises(Refused, match="abgelehnt: die wirkliche Zeit ist"):
        service.ticks.tick()
    assert dump(database_url) == before


# ---------------------------------------------------------------- the command line
@pytest.fixture
def admitted_now(ready: Run) -> Run:
    """Centre 1 admitted today (the real today) with coach 1."""
    assert ready("advance", "1", "admit").code == 0
    return ready


def test_tick_now_in_the_future_exits_2(
    admitted_now: Run, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = datetime.now(BERLIN).replace(second=0, microsecond=0)
    monkeypatch.setattr("thekiz_flow.store.simulation.SystemClock", lambda: FrozenClock(real))
    ahead = real + timedelta(days=180)
    before = dump(database_url)
    result = admitted_now("tick", "--now", ahead.isoformat())
    assert result.code == 2, result
    assert result.err == (
        f"Fehler: Durchlauf für {ahead:%d.%m.%Y %H:%M} abgelehnt: die wirkliche Zeit ist "
        f"{real:%d.%m.%Y %H:%M}; vorauslaufen darf nur eine Simulationskopie (simulate --copy)\n"
    )
    assert dump(database_url) == before


def test_simulate_refuses_the_configured_database(admitted_now: Run, database_url: str) -> None:
    today = berlin_today()
    before = dump(database_url)
    result = admitted_now("simulate", "--from", f"{today}", "--to", f"{today + timedelta(60)}")
    assert result.code == 2, result
    assert "keine Simulationskopie" in result.err
    assert "--copy PFAD" in result.err
    assert dump(database_url) == before


@pytest.mark.backends("sqlite", "postgresql")  # PostgreSQL refuses --copy
def test_simulate_on_a_copy_leaves_the_configured_database_alone(
    admitted_now: Run, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = berlin_today()
    days = ("--from", f"{today}", "--to", f"{today + timedelta(60)}")
    before = dump(database_url)
    result = admitted_now("simulate", *days, "--copy", "var/sim.db")
    if database_url.startswith("postgresql"):
        assert result.code == 2, result
        assert "--copy: nur eine SQLite-Datenbank lässt sich kopieren" in result.err
        assert dump(database_url) == before
        return
    assert result.code == 0, result
    assert "Simulationskopie: var/sim.db" in result.out
    assert dump(database_url) == before  # no outbox row, no once-only key, no tick mark
    again = admitted_now("simulate", *days, "--copy", "var/sim.db")
    assert (again.code, again.err) == (
        2,
        "Fehler: --copy: var/sim.db gibt es schon; bitte eine neue Datei angeben\n",
    )
    copy = tmp_path / "var" / "sim.db"
    engine = make_engine(f"sqlite:///{copy}")
    with engine.connect() as conn:
        assert Repository(conn).simulation.marked()
    engine.dispose()
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", f"sqlite:///{copy}")
    rows = json.loads(admitted_now("outbox", "--json").out)
    assert {row["rule"] for row in rows if row["status"] == "sent"} >= {
        "stage_changed",
        "session_upcoming",
    }


def test_on_a_copy_simulate_and_tick_may_run_ahead(
    admitted_now: Run, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("only a SQLite database is copied")
    today = berlin_today()
    assert (
        admitted_now("simulate", "--from", f"{today}", "--to", f"{today}", "--copy", "s.db").code
        == 0
    )
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    ahead = today + timedelta(days=90)
    assert admitted_now("simulate", "--from", f"{today}", "--to", f"{ahead}").code == 0
    later = datetime.combine(ahead + timedelta(days=1), time(7), BERLIN).isoformat()
    result = admitted_now("tick", "--now", later)
    assert result.code == 0, result
    rows = json.loads(admitted_now("outbox", "--json").out)
    assert any(row["status"] == "sent" and row["rule"] == "session_upcoming" for row in rows)


def test_run_skips_a_pass_ahead_of_the_real_clock_and_goes_on(
    admitted_now: Run,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """This machine's clock jumped a day ahead of the real one: `run` logs and goes on."""
    real = datetime.now(BERLIN) - timedelta(days=1)
    monkeypatch.setattr("thekiz_flow.store.simulation.SystemClock", lambda: FrozenClock(real))
    passes: list[object] = []

    def twice(tick: Callable[[], object], seconds: int, zone: ZoneInfo, *_: object) -> None:
        passes.extend(tick() for _ in range(2))  # what the scheduler does: call, again

    monkeypatch.setattr("thekiz_flow.cli.runtime.run_forever", twice)
    before = dump(database_url)
    assert admitted_now("run").code == 0
    skipped = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(skipped) == 2
    assert skipped[0].startswith("Durchlauf ausgelassen: Durchlauf für ")
    assert f"die wirkliche Zeit ist {real:%d.%m.%Y %H:%M}" in skipped[0]
    assert dump(database_url) == before
