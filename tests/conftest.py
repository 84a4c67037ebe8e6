"""Fixtures: one database per test on SQLite and (when configured) on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from tests.cli_helpers import Result, Run, main
from tests.web_helpers import CHEAP_HASHER, add_users, web_client
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.model import Workflow
from thekiz_flow.service import Service
from thekiz_flow.service import users as service_users
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.web import endpoints
from thekiz_flow.workflow.config import FileMailSettings, MailSettings
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

BERLIN = ZoneInfo("Europe/Berlin")
PG_URL = os.environ.get("THEKIZ_TEST_DATABASE_URL")
TODAY = date(2026, 6, 15)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def workflow() -> Workflow:
    return load_workflow(DEFAULT_WORKFLOW)


@contextmanager
def fresh_database(backend: str, folder: Path, name: str = "thekiz") -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a schema of its own on PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    if not PG_URL:
        pytest.skip("THEKIZ_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(noon(TODAY, BERLIN))


# ./config.toml of the CLI tests: mail as files in ./mail
CLI_CONFIG = """\
[mail]
sender = "thekiz-flow@example.org"
office = "fachstelle@example.org"
"""


def file_mail(folder: Path) -> MailSettings:
    """Mail for tests that do not talk SMTP: .eml files in ``folder``."""
    return MailSettings(
        backend="file",
        sender="thekiz-flow@example.org",
        office="fachstelle@example.org",
        file=FileMailSettings(folder),
    )


@pytest.fixture
def mail(tmp_path: Path) -> MailSettings:
    return file_mail(tmp_path / "mail")


@pytest.fixture
def service(engine: Engine, workflow: Workflow, clock: FrozenClock, mail: MailSettings) -> Service:
    # The frozen clock is the real time too: a test's ticks act for no time beyond it.
    return Service(engine, workflow, clock, BERLIN, actor="test", mail=mail, wall=clock)


@pytest.fixture
def run(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Run:
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", database_url)
    monkeypatch.delenv("THEKIZ_FLOW_CONFIG", raising=False)
    monkeypatch.setenv("THEKIZ_FLOW_ACTOR", "buero")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text(CLI_CONFIG, encoding="utf-8")

    def _run(*args: str) -> Result:
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run


@pytest.fixture
def ready(run: Run) -> Run:
    """An initialised database with one coach (1) and two centres (1 with coach, 2 without)."""
    assert run("init").code == 0
    assert (
        run(
            "coach", "add", "--name", "Lena Sommer", "--email", "lena@example.org", "--rate", "65"
        ).out
        == "1\n"
    )
    assert (
        run(
            "centre",
            "add",
            "--name",
            "Kita Pusteblume",
            "--district",
            "jena",
            "--email",
            "pusteblume@example.org",
            "--coach",
            "lena@example.org",
            "--on",
            "2024-01-08",
        ).out
        == "1\n"
    )
    assert (
        run(
            "centre",
            "add",
            "--name",
            "Kita Regenbogen",
            "--district",
            "Weimarer Land",
            "--email",
            "regenbogen@example.org",
            "--carrier",
            "Beispielverein e. V.",
            "--on",
            "2024-01-08",
        ).out
        == "2\n"
    )
    return run


@pytest.fixture
def web(service: Service, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The web pages on a fresh database with one user per role (tests/web_helpers.py)."""
    monkeypatch.setattr(service_users, "HASHER", CHEAP_HASHER)
    monkeypatch.setattr(endpoints, "REFUSAL_DELAY", 0.0)  # answers, not the flood's pace
    add_users(service)
    with web_client(service) as client:
        yield client
