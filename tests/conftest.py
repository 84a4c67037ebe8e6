"""Fixtures: one database per test, on SQLite or, where marked, on PostgreSQL as well."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.cli_helpers import Result, Run, main
from tests.compiled import SharedBytecode, sharing_bytecode
from tests.databases import POSTGRESQL, SQLITE, Databases
from tests.web_helpers import CHEAP_HASHER, add_users, web_client
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.model import Workflow
from thekiz_flow.digest import files as digest_files
from thekiz_flow.mail import render as mail_render
from thekiz_flow.service import Service
from thekiz_flow.service import users as service_users
from thekiz_flow.store.engine import make_engine
from thekiz_flow.web import app as web_app
from thekiz_flow.web import endpoints
from thekiz_flow.web import render as web_render
from thekiz_flow.workflow.config import FileMailSettings, MailSettings, PrivacySettings
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 6, 15)

# The backends a test runs on: SQLite, unless it (or its module) is marked
# ``@pytest.mark.backends(...)``. The store's contract (tests/store/) runs on both; elsewhere
# only what PostgreSQL does its own way (locks, concurrent claims, the server's clock) does.
BACKENDS = {SQLITE: SQLITE, POSTGRESQL: pytest.param(POSTGRESQL, marks=pytest.mark.postgres)}


# SQLite syncs every commit to the disk, and the tests commit tens of thousands of times:
# on a RAM disk (Linux's /dev/shm, if it has room) the same files cost no disk waits.
# Pytest's own variable for the root of tmp_path; set outside, it stays as it is.
RAM_DISK = Path("/dev/shm")
RAM_DISK_ROOM = 2**30  # bytes free at least: the demo, the wheel and a session's databases


def pytest_configure(config: pytest.Config) -> None:
    if (
        "PYTEST_DEBUG_TEMPROOT" not in os.environ
        and RAM_DISK.is_dir()
        and os.access(RAM_DISK, os.W_OK)
        and shutil.disk_usage(RAM_DISK).free >= RAM_DISK_ROOM
    ):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(RAM_DISK)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is None or "backend" not in metafunc.fixturenames:
        return  # SQLite, or no database at all
    params = [BACKENDS[name] for name in marker.args]
    metafunc.parametrize("backend", params, indirect=True)


# The digest's PDF of each HTML (by its SHA-256), laid out once per session: WeasyPrint
# takes seconds a report, and the same HTML gives the same bytes (tests/test_digest_print.py
# shows it on the function itself, which this leaves alone). The as-recorded property tests
# write a digest dozens of times, most of them twice with the same HTML.
_PDFS: dict[str, bytes] = {}


@pytest.fixture(autouse=True)
def pdf_once_per_html(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every digest written in a test gets its PDF from ``_PDFS`` or lays it out there."""
    laid_out = digest_files.pdf_bytes

    def pdf_bytes(html: str) -> bytes:
        key = hashlib.sha256(html.encode("utf-8")).hexdigest()
        if key not in _PDFS:
            _PDFS[key] = laid_out(html)
        return _PDFS[key]

    monkeypatch.setattr(digest_files, "pdf_bytes", pdf_bytes)


@pytest.fixture(scope="session", autouse=True)
def templates_compiled_once() -> Iterator[None]:
    """The pages', the reports' and the mails' templates compiled once per session
    (tests/compiled.py)."""
    with pytest.MonkeyPatch.context() as patch:
        pages = sharing_bytecode(web_render.environment, SharedBytecode())
        reports = sharing_bytecode(digest_files.report_environment, SharedBytecode())
        mails = sharing_bytecode(mail_render.mail_environment, SharedBytecode())
        patch.setattr(web_app, "environment", pages)
        patch.setattr(digest_files, "report_environment", reports)
        patch.setattr(mail_render, "mail_environment", mails)
        yield


@pytest.fixture(scope="session")
def workflow() -> Workflow:
    return load_workflow(DEFAULT_WORKFLOW)


@dataclass(frozen=True)
class Demo:
    """The demonstration as `make demo` builds it, in ``folder``, with what it printed."""

    folder: Path
    output: str

    @property
    def url(self) -> str:
        return f"sqlite:///{self.folder / 'var/demo/thekiz-flow.db'}"


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demonstration, built once per session (it takes a while): read it, never change it."""
    from thekiz_flow import demo

    folder = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.chdir(folder)
        assert demo.main() == 0
    return Demo(folder, printed.getvalue())


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Migrated templates, made once per session (tests/databases.py)."""
    made = Databases(tmp_path_factory.mktemp("templates"))
    yield made
    made.close()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, or what the test's ``backends`` marker parametrises."""
    return str(getattr(request, "param", SQLITE))


@pytest.fixture
def database_url(databases: Databases, backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own, migrated to the newest schema (as `thekiz-flow init` leaves it)."""
    with databases.database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def empty_database_url(databases: Databases, backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own with nothing in it: for `init` and the migrations themselves."""
    with databases.database(backend, tmp_path, "empty", migrated=False) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
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
def privacy(tmp_path: Path) -> PrivacySettings:
    """[privacy] with the erasure log in the test's own folder."""
    return PrivacySettings(erasure_log=tmp_path / "erasures.log")


@pytest.fixture
def service(
    engine: Engine,
    workflow: Workflow,
    clock: FrozenClock,
    mail: MailSettings,
    privacy: PrivacySettings,
) -> Service:
    # The frozen clock is the real time too: a test's ticks act for no time beyond it.
    return Service(
        engine, workflow, clock, BERLIN, actor="test", mail=mail, wall=clock, privacy=privacy
    )


def cli(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Run:
    """The command line in ``tmp_path`` (its ./config.toml) on ``database_url``."""
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
def run(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Run:
    """The command line on a migrated database: `init` finds nothing to do."""
    return cli(database_url, monkeypatch, capsys, tmp_path)


@pytest.fixture
def run_on_empty(
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Run:
    """The command line on a database `init` has not set up yet."""
    return cli(empty_database_url, monkeypatch, capsys, tmp_path)


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
