"""Backup while a tick runs, restore into a fresh database, and the move to PostgreSQL."""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.cli_helpers import Result, Run
from tests.conftest import BERLIN
from tests.databases import POSTGRESQL, Databases
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.model import Workflow
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.service import Service
from thekiz_flow.service.simulation import SIMULATED_HOUR, simulate_days
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.operations import TABLES, rows
from thekiz_flow.store.repository import Repository
from thekiz_flow.workflow.config import MailSettings


def every_table(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (the sign-ins' too), in primary-key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {table.name: list(rows(connection, table)) for table in TABLES}
    finally:
        engine.dispose()


def stage_counts(url: str) -> list[tuple[str, str, int]]:
    """The start page's centres per stage and district (kept on write)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return Repository(connection).stage_counts()
    finally:
        engine.dispose()


@pytest.fixture
def paused_tick(
    ready: Run, database_url: str, workflow: Workflow, clock: FrozenClock, mail: MailSettings
) -> Iterator[tuple[threading.Event, threading.Event, threading.Thread]]:
    """A tick in a thread of its own that stops inside its reminders' transaction (rows
    written, not committed) until told to go on: (inside, go_on, thread)."""
    engine = make_engine(database_url)
    service = Service(engine, workflow, clock, BERLIN, "test", mail=mail, wall=clock)
    inside, go_on = threading.Event(), threading.Event()
    remind = service.reminders.remind

    def slow_remind(repo: object, now: datetime) -> object:
        found = remind(repo, now)  # type: ignore[arg-type]
        repo.outbox.add([marker(now)], now)  # type: ignore[attr-defined]
        inside.set()
        assert go_on.wait(30)
        return found

    service.reminders.remind = slow_remind  # type: ignore[method-assign,assignment]
    thread = threading.Thread(target=service.ticks.tick)
    thread.start()
    try:
        yield inside, go_on, thread
    finally:
        go_on.set()
        thread.join()
        engine.dispose()


def marker(now: datetime) -> NewMail:
    return NewMail(
        "marker", "test", Recipient.OFFICE, "fachstelle@example.org", "Marke", "", "", now
    )


def test_a_backup_during_a_tick_restores_into_a_fresh_database(
    ready: Run,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    paused_tick: tuple[threading.Event, threading.Event, threading.Thread],
) -> None:
    inside, go_on, thread = paused_tick
    assert inside.wait(30)
    during = tmp_path / "waehrend.backup"
    assert ready("backup", str(during)) == Result(0, f"Gesichert: {during}\n", "")
    assert thread.is_alive()  # the tick was under way all along
    go_on.set()
    thread.join()
    after = tmp_path / "danach.backup"
    assert ready("backup", str(after)).code == 0
    source = every_table(database_url)
    assert any(row[1] == "marker" for row in source["outbox"])  # committed after the backup

    fresh = tmp_path / "neu" / "thekiz-flow.db"
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", f"sqlite:///{fresh}")
    restored = ready("restore", str(during))
    assert restored.code == 0, restored
    copy = every_table(f"sqlite:///{fresh}")
    assert copy == every_table(f"sqlite:///{during}")
    assert copy["centres"] == source["centres"]
    assert not any(row[1] == "marker" for row in copy["outbox"])  # only what was committed
    assert ready("init").code == 0
    assert ready("centre", "list").code == 0

    refused = ready("restore", str(after))
    assert refused.code == 2
    assert refused.err.startswith("Fehler: die Datenbank ist nicht leer (")
    assert refused.err.rstrip().endswith("sie wird nur mit --force überschrieben")
    assert every_table(f"sqlite:///{fresh}") == copy
    assert ready("restore", str(after), "--force").code == 0
    assert every_table(f"sqlite:///{fresh}") == source  # every table, every row


def test_backup_and_restore_refuse_what_they_cannot_do(ready: Run, tmp_path: Path) -> None:
    existing = tmp_path / "da.backup"
    existing.write_text("schon da", encoding="utf-8")
    taken = ready("backup", str(existing))
    assert (taken.code, taken.err) == (
        2,
        f"Fehler: FILE: {existing} gibt es schon; bitte einen neuen Dateinamen wählen\n",
    )
    assert existing.read_text(encoding="utf-8") == "schon da"
    missing = ready("restore", str(tmp_path / "fehlt.backup"), "--force")
    assert missing.code == 2
    assert "gibt es nicht" in missing.err
    wrong = ready("restore", str(existing), "--force")
    assert (wrong.code, wrong.err) == (
        2,
        f"Fehler: FILE: {existing} ist keine Sicherung von thekiz-flow (SQLite)\n",
    )


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump fehlt (postgresql-client)")
@pytest.mark.backends("postgresql")
def test_a_postgresql_backup_is_a_pg_dump_of_the_database(
    ready: Run, tmp_path: Path, backend: str
) -> None:
    target = tmp_path / "pg.backup"
    assert ready("backup", str(target)).code == 0
    listed = subprocess.run(
        ["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE DATA" in listed
    assert " centres " in listed
    refused = ready("restore", str(target))
    assert refused.code == 2
    assert "nicht leer" in refused.err


# ---------------------------------------------------------------------- the move to PostgreSQL
def demo_database(folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demonstration's programme (its fictional centres, coaches, trainings, the office
    and the people acting each day) from January to March 2025: a smaller `make demo`."""
    from thekiz_flow.demo import START, build_service, populate
    from thekiz_flow.demo.office import Office
    from thekiz_flow.demo.people import People

    monkeypatch.chdir(folder)  # the demo writes its import files under var/demo/
    (folder / "var" / "demo").mkdir(parents=True)
    url = f"sqlite:///{folder / 'demo.db'}"
    clock = FrozenClock(datetime.combine(START, SIMULATED_HOUR, BERLIN))
    mail = MailSettings(
        backend="file",
        sender="thekiz-flow@example.org",
        office="fachstelle@example.org",
        ministry="ministerium@example.org",
    )
    service = build_service(clock, mail, url)
    service.ticks.mark_simulation()
    rng = random.Random(20250101)
    populate(service, rng, date(2025, 12, 31))
    office, people = Office(service, rng), People(service, rng)
    office.begin()

    def each_day(day: date) -> None:
        if day.weekday() == 0 and day.day <= 7:
            office.month(day)
            people.request(day)
            people.enrol(day)
        people.day(day)

    simulate_days(service, clock, START, date(2025, 3, 31), each_day)
    service.runtime.engine.dispose()
    return url


@pytest.fixture
def postgresql_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    with databases.database(POSTGRESQL, tmp_path, migrated=False) as url:
        yield url


@pytest.mark.postgres
def test_transfer_to_postgresql_gives_the_same_digest(
    run_on_empty: Run,
    postgresql_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sqlite_url = demo_database(tmp_path, monkeypatch)
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", sqlite_url)
    done = run_on_empty("transfer", "--to", postgresql_url)
    assert done.code == 0, done
    assert "Übertragen und geprüft" in done.out
    assert every_table(postgresql_url) == every_table(sqlite_url)
    # the figures derived on write are made again by the target's triggers as it is filled
    assert sorted(stage_counts(postgresql_url)) == sorted(stage_counts(sqlite_url))

    assert run_on_empty("digest", "2025", "--out", str(tmp_path / "sqlite")).code == 0
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", postgresql_url)
    assert run_on_empty("digest", "2025", "--out", str(tmp_path / "postgresql")).code == 0
    centres = (tmp_path / "sqlite" / "digest-2025.csv").read_text(encoding="utf-8").splitlines()
    assert len(centres) > 60  # a row per centre of the demonstration
    for kind in ("html", "csv", "xlsx", "pdf"):
        name = f"digest-2025.{kind}"
        assert (tmp_path / "sqlite" / name).read_bytes() == (
            tmp_path / "postgresql" / name
        ).read_bytes()

    # the sequences go on after the copied ids
    added = run_on_empty(
        "coach", "add", "--name", "Neu", "--email", "neu@example.org", "--rate", "1"
    )
    assert added.code == 0, added
    ids = [int(str(row[0])) for row in every_table(sqlite_url)["coaches"]]
    assert int(added.out) == max(ids) + 1

    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", sqlite_url)
    again = run_on_empty("transfer", "--to", postgresql_url)
    assert again.code == 2
    assert again.err.startswith("Fehler: --to: die Zieldatenbank ist nicht leer (")


def test_transfer_refuses_its_own_database(ready: Run, database_url: str) -> None:
    same = ready("transfer", "--to", database_url)
    assert (same.code, same.err) == (2, "Fehler: --to: ist dieselbe Datenbank wie die Quelle\n")


@pytest.mark.backends("postgresql")
def test_without_pg_dump_backup_says_how(
    ready: Run, tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    refused = ready("backup", str(tmp_path / "pg.backup"))
    assert refused.code == 2
    assert refused.err.startswith("Fehler: pg_dump nicht gefunden (auf Debian/Ubuntu im Paket ")
    assert "von Hand: pg_dump --format=custom --file " in refused.err
    assert not (tmp_path / "pg.backup").exists()
