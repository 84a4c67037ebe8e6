"""Running for real: each tick recorded, /healthz, /metrics, the watchdog and the log of `run`."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update
from starlette.testclient import TestClient

from tests.cli_helpers import Run
from tests.conftest import BERLIN
from tests.web_helpers import SECRET_KEY, USERS
from thekiz_flow.cli import runtime as cli_runtime
from thekiz_flow.cli.logs import configure
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.errors import ConfigError
from thekiz_flow.core.model import Workflow
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.service import Service
from thekiz_flow.service.operations import OperationsService
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import head_revision
from thekiz_flow.store.tables import outbox, state
from thekiz_flow.web import create_app
from thekiz_flow.workflow.config import (
    MailSettings,
    OperationsSettings,
    Settings,
    load_settings,
)

SETTINGS = OperationsSettings(health_tick_age=900, watchdog_tick_age=1800, watchdog_failed_mails=3)
TOKEN = "t" * 40


def ops(service: Service, settings: OperationsSettings = SETTINGS) -> OperationsService:
    return OperationsService(service.runtime, service.outbox, settings)


def watchdog_mails(engine: Engine) -> list[tuple[str, str, str]]:
    """(key, subject, status) of every mail of the watchdog, in order."""
    stmt = select(outbox.c.key, outbox.c.subject, outbox.c.status).where(
        outbox.c.rule == "watchdog"
    )
    with engine.connect() as connection:
        return [
            (r.key, r.subject, r.status) for r in connection.execute(stmt.order_by(outbox.c.id))
        ]


# ---------------------------------------------------------------------- /healthz, /metrics
@pytest.fixture
def pages(service: Service, web: TestClient) -> TestClient:
    """The pages with a metrics token (the ``web`` fixture made the users)."""
    settings = Settings(operations=OperationsSettings(metrics_token=TOKEN))
    app = create_app(settings, service.acting_as, SECRET_KEY)
    return TestClient(app, base_url="https://testserver")


def test_healthz_answers_503_with_a_reason_until_a_tick_succeeded_recently(
    pages: TestClient, service: Service, clock: FrozenClock
) -> None:
    first = pages.get("/healthz")
    assert (first.status_code, first.text) == (503, "noch kein erfolgreicher Durchlauf\n")
    ops(service).tick(service.ticks)
    assert (pages.get("/healthz").status_code, pages.get("/healthz").text) == (200, "in Ordnung\n")
    clock.advance(timedelta(minutes=14))
    assert pages.get("/healthz").status_code == 200
    clock.advance(timedelta(minutes=3))
    late = pages.get("/healthz")
    assert late.status_code == 503
    assert late.text == "letzter erfolgreicher Durchlauf vor 17 Minuten (erlaubt: 15 Minuten)\n"
    assert "\n" not in late.text.rstrip("\n")
    assert late.headers["cache-control"] == "no-store"


def test_healthz_answers_503_when_the_database_is_unreachable(
    workflow: Workflow, clock: FrozenClock, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gone' / 'db.sqlite'}")
    (tmp_path / "gone").rmdir()  # the folder of the database file vanished
    service = Service(engine, workflow, clock, BERLIN, "test", wall=clock)
    app = create_app(Settings(), service.acting_as, SECRET_KEY)
    answer = TestClient(app, base_url="https://testserver").get("/healthz")
    assert (answer.status_code, answer.text) == (503, "Datenbank nicht erreichbar\n")


def test_metrics_only_with_the_token_or_from_loopback(pages: TestClient, service: Service) -> None:
    refused = pages.get("/metrics")
    assert refused.status_code == 403
    assert refused.text.startswith("Kein Zugriff")
    assert pages.get("/metrics", headers={"Authorization": "Bearer falsch"}).status_code == 403
    assert pages.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    app = create_app(Settings(), service.acting_as, SECRET_KEY)  # no token configured
    local = TestClient(app, base_url="https://testserver", client=("127.0.0.1", 40000))
    assert local.get("/metrics").status_code == 200
    remote = TestClient(app, base_url="https://testserver", client=("203.0.113.9", 40000))
    assert remote.get("/metrics").status_code == 403


def test_metrics_report_ticks_outbox_and_sign_in_failures(
    pages: TestClient, service: Service, clock: FrozenClock
) -> None:
    bad = {"email": USERS["office"], "password": "falsch-falsch-falsch"}
    token = pages.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    pages.post("/login", data={**bad, "csrf_token": token})
    with service.runtime.unit() as repo:
        repo.outbox.add([mail("a", clock), mail("b", clock, OutboxStatus.FAILED)], clock.now())
    ops(service).tick(service.ticks)
    clock.advance(timedelta(minutes=5))
    text = pages.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["thekiz_last_tick_timestamp_seconds"] == clock.now().timestamp() - 300
    assert values["thekiz_last_tick_duration_seconds"] >= 0
    assert values['thekiz_outbox_messages{status="failed"}'] == 1
    assert values['thekiz_outbox_messages{status="sent"}'] == 1  # the file backend sent "a"
    assert values['thekiz_outbox_messages{status="pending"}'] == 0
    assert values["thekiz_outbox_oldest_pending_age_seconds"] == 0
    assert values["thekiz_outbox_failed_recent_messages"] == 1
    assert values["thekiz_sign_in_failures"] == 1
    assert values["thekiz_sign_in_failures_recent"] == 1


def mail(key: str, clock: FrozenClock, status: OutboxStatus = OutboxStatus.PENDING) -> NewMail:
    problem = "SMTP 550: unbekannt" if status == OutboxStatus.FAILED else None
    return NewMail(
        key,
        "test",
        Recipient.OFFICE,
        "fachstelle@example.org",
        f"Betreff {key}",
        "Text",
        "<p>Text</p>",
        clock.now(),
        status=status,
        problem=problem,
    )


# ---------------------------------------------------------------------- the watchdog
def test_ticks_that_stop_tell_the_office_once_and_once_when_they_run_again(
    service: Service, engine: Engine, clock: FrozenClock
) -> None:
    watch = ops(service)
    watch.tick(service.ticks)
    last = clock.now()
    assert watch.watch() == []
    clock.advance(timedelta(minutes=29))
    assert watch.watch() == []
    clock.advance(timedelta(minutes=2))
    (alarm,) = watch.watch()
    assert alarm == "Warnung: thekiz-flow arbeitet seit 15.06.2026 12:00 nicht mehr"
    for _ in range(3):  # later checks, another process, a restart: nothing more
        clock.advance(timedelta(minutes=10))
        assert watch.watch() == []
        assert ops(service).watch() == []
    watch.tick(service.ticks)
    assert watch.watch() == ["Entwarnung: thekiz-flow arbeitet wieder"]
    assert ops(service).watch() == []
    sent = watchdog_mails(engine)
    assert [(key, status) for key, _subject, status in sent] == [
        (f"watchdog:ticks:{last.astimezone(UTC).isoformat()}", "sent"),  # the last good tick
        (f"watchdog:ticks-ok:{last.astimezone(UTC).isoformat()}", "sent"),
    ]
    assert len(list(service.runtime.mail.file.dir.glob("*.eml"))) == 2


def test_a_clock_set_back_makes_neither_a_second_alarm_nor_a_false_all_clear(
    service: Service, engine: Engine, clock: FrozenClock
) -> None:
    watch = ops(service)
    watch.tick(service.ticks)
    clock.advance(timedelta(hours=1))
    assert len(watch.watch()) == 1
    clock.advance(timedelta(hours=-2))  # before the last good tick
    assert watch.watch() == []
    clock.advance(timedelta(hours=3))
    assert watch.watch() == []
    assert len(watchdog_mails(engine)) == 1


def test_ticks_that_never_succeeded_are_reported_after_the_same_time(
    service: Service, engine: Engine, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = ops(service)

    def broken() -> None:
        raise RuntimeError("kaputt")

    monkeypatch.setattr(service.ticks, "tick", broken)
    for _ in range(8):  # every 5 minutes, 35 minutes long
        with pytest.raises(RuntimeError):
            watch.tick(service.ticks)
        watch.watch()
        clock.advance(timedelta(minutes=5))
    assert [s for _k, s, _st in watchdog_mails(engine)] == [
        "Warnung: thekiz-flow arbeitet seit 15.06.2026 12:00 nicht mehr"
    ]
    assert watch.metrics().last_failure is not None


def test_failed_mails_beyond_the_threshold_tell_the_office_once(
    service: Service, engine: Engine, clock: FrozenClock
) -> None:
    watch = ops(service)
    with service.runtime.unit() as repo:
        repo.outbox.add([mail(f"f{i}", clock, OutboxStatus.FAILED) for i in range(2)], clock.now())
    assert watch.watch() == []
    with service.runtime.unit() as repo:
        repo.outbox.add([mail("f2", clock, OutboxStatus.FAILED)], clock.now())
    assert watch.watch() == ["Warnung: 3 E-Mails nicht zustellbar"]
    assert watch.watch() == []
    failed = [r for r in service.outbox.rows(OutboxStatus.FAILED) if r.rule == "test"]
    service.outbox.retry(failed[0].id)
    assert watch.watch() == ["Entwarnung: der E-Mail-Versand ist wieder in Ordnung"]
    assert watch.watch() == []
    assert len(watchdog_mails(engine)) == 2


@pytest.mark.backends("sqlite", "postgresql")
def test_two_processes_watching_at_once_tell_the_office_once(
    database_url: str, workflow: Workflow, clock: FrozenClock, mail_settings: MailSettings
) -> None:
    engines = [make_engine(database_url) for _ in range(4)]
    try:
        services = [
            Service(e, workflow, clock, BERLIN, "test", mail=mail_settings, wall=clock)
            for e in engines
        ]
        ops(services[0]).tick(services[0].ticks)
        clock.advance(timedelta(hours=1))
        barrier = threading.Barrier(len(services))
        written: list[list[str]] = []

        def check(service: Service) -> None:
            barrier.wait()
            written.append(ops(service).watch())

        threads = [threading.Thread(target=check, args=(s,)) for s in services]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(watchdog_mails(engines[0])) == 1
        assert sorted(len(w) for w in written) == [0, 0, 0, 1]  # and one process says so
    finally:
        for engine in engines:
            engine.dispose()


@pytest.fixture
def mail_settings(mail: MailSettings) -> MailSettings:
    return mail


# ---------------------------------------------------------------------- the log of `run`
@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The loggers as they were before the test (pytest's handlers, the levels)."""
    loggers = [logging.getLogger(name) for name in ("", "alembic", "apscheduler")]
    handlers, levels = list(loggers[0].handlers), [logger.level for logger in loggers]
    yield
    loggers[0].handlers[:] = handlers
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def installed(log_format: str) -> None:
    """The log as `run` sets it up in a process of its own: no handler there before."""
    logging.getLogger().handlers[:] = []  # pytest's, put back by restore_logging
    configure(log_format)


@pytest.mark.usefixtures("restore_logging")
def test_run_logs_each_tick_as_one_json_line(
    service: Service, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    installed("json")
    watch = ops(service)
    cli_runtime.one_tick(service, watch)

    def broken() -> None:
        raise RuntimeError("Verbindung\nverloren")

    monkeypatch.setattr(service.ticks, "tick", broken)
    cli_runtime.one_tick(service, watch)
    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    ticks = [r for r in records if r.get("event") == "tick"]
    assert [r["outcome"] for r in ticks] == ["ok", "failed"]
    assert ticks[0]["level"] == "info"
    assert ticks[0]["seconds"] >= 0
    assert ticks[0]["message"].startswith("Durchlauf: ")
    assert "mails_sent" in ticks[0]
    assert ticks[1]["reason"] == "RuntimeError: Verbindung\nverloren"
    assert ticks[1]["message"] == "Durchlauf fehlgeschlagen: RuntimeError: Verbindung verloren"


@pytest.mark.usefixtures("restore_logging")
def test_run_logs_each_tick_as_one_text_line(
    service: Service, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    installed("text")
    watch = ops(service)

    def broken() -> None:
        raise RuntimeError("Verbindung\nverloren")

    monkeypatch.setattr(service.ticks, "tick", broken)
    cli_runtime.one_tick(service, watch)
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("ERROR Durchlauf fehlgeschlagen: RuntimeError: Verbindung verloren")


def test_the_settings_of_operations(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        "[health]\ntick_age = 600\n[watchdog]\ntick_age = 3600\nfailed_mails = 5\n"
        '[logging]\nformat = "json"\n',
        encoding="utf-8",
    )
    found = load_settings(path, {"THEKIZ_FLOW_METRICS_TOKEN": TOKEN}).operations
    assert found == OperationsSettings(600, 3600, 5, "json", TOKEN)
    path.write_text('[logging]\nformat = "xml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unbekanntes Format 'xml'"):
        load_settings(path, {})
    path.write_text('[metrics]\ntoken = "geheim"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="nur über die Umgebung"):
        load_settings(path, {})


# ---------------------------------------------------------------------- the command line
def test_init_run_and_serve_refuse_a_database_newer_than_the_code(
    ready: Run, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: pytest.fail("started"))
    monkeypatch.setattr(cli_runtime, "run_forever", lambda *args: pytest.fail("started"))
    for command in (["init"], ["run"], ["serve"], ["tick"]):
        refused = ready(*command)
        assert (refused.code, refused.err) == (
            2,
            f"Fehler: Datenbankschema 9999 ist neuer als diese Version von thekiz-flow "
            f"(sie kennt bis {head_revision()}): bitte thekiz-flow aktualisieren\n",
        ), command


def test_serve_takes_a_number_of_workers(ready: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, object] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: started.update(app=app, **kwargs))
    monkeypatch.setenv("THEKIZ_FLOW_SECRET_KEY", "-")  # undone after the test: serve sets it
    monkeypatch.delenv("THEKIZ_FLOW_SECRET_KEY")
    assert ready("serve", "--workers", "0").err == (
        "Fehler: --workers: zwischen 1 und 32, nicht 0\n"
    )
    assert ready("serve", "--workers", "zwei").code == 2
    assert ready("serve", "--workers", "3").code == 0
    assert started["app"] == "thekiz_flow.cli.web:worker_pages"
    assert (started["workers"], started["factory"]) == (3, True)
    assert len(os.environ["THEKIZ_FLOW_SECRET_KEY"]) >= 32  # the same key for every worker


def test_the_watchdog_command_tells_the_office_once(ready: Run, engine: Engine) -> None:
    assert ready("tick").code == 0
    assert ready("watchdog").out == "Nichts zu melden.\n"
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as connection:  # the last good tick, two hours back
        connection.execute(update(state).where(state.c.name == "tick_ok").values(at=two_hours_ago))
    since = two_hours_ago.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")
    assert ready("watchdog").out == (
        f"An die Fachstelle: Warnung: thekiz-flow arbeitet seit {since} nicht mehr\n"
    )
    assert ready("watchdog").out == "Nichts zu melden.\n"
    assert ready("tick").code == 0
    assert ready("watchdog").out == "An die Fachstelle: Entwarnung: thekiz-flow arbeitet wieder\n"
    assert ready("watchdog").out == "Nichts zu melden.\n"
    assert len(watchdog_mails(engine)) == 2
