"""The web's commands: users (password from standard input only) and the server."""

from __future__ import annotations

import getpass
import io
import json
import sys
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from starlette.applications import Starlette

from tests.cli_helpers import Run, dump
from tests.web_helpers import CHEAP_HASHER, PASSWORD
from thekiz_flow.service import Service
from thekiz_flow.service import users as service_users
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.tables import users


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


@pytest.fixture
def cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_users, "HASHER", CHEAP_HASHER)


def hashes(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(select(users.c.email, users.c.password_hash)).all())
    finally:
        engine.dispose()


def test_user_add_reads_the_password_from_stdin_and_stores_an_argon2id_hash(
    ready: Run, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    stdin(monkeypatch, f"{PASSWORD}\n")
    added = ready("user", "add", "--email", "Buero@Example.org", "--role", "OFFICE")
    assert (added.code, added.out) == (0, "1\n")
    stored = hashes(database_url)["buero@example.org"]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


@pytest.mark.usefixtures("cheap")
def test_the_password_is_never_an_option_and_never_short(
    ready: Run, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    before = dump(database_url)
    stdin(monkeypatch, f"{PASSWORD}\n")
    option = ready("user", "add", "--email", "b@example.org", "--role", "office", "--password", "x")
    assert option.code == 2
    assert option.err.startswith("Fehler: unbekannte Option --password")
    stdin(monkeypatch, "elf Zeichen\n")
    short = ready("user", "add", "--email", "b@example.org", "--role", "office")
    assert (short.code, short.err) == (2, "Fehler: Passwort: mindestens 12 Zeichen, nicht 11\n")
    assert dump(database_url) == before


@pytest.mark.usefixtures("cheap")
def test_on_a_terminal_the_password_is_asked_twice(
    ready: Run, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    answers: Iterator[str] = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))
    result = ready("user", "add", "--email", "b@example.org", "--role", "office")
    assert (result.code, result.err) == (
        2,
        "Fehler: Passwort: die beiden Eingaben stimmen nicht überein\n",
    )
    assert hashes(database_url) == {}


@pytest.mark.usefixtures("cheap")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "admin"), "--role: unbekannte Rolle 'admin'"),
        (("--role", "office", "--coach", "1"), "--coach: nur für die Rolle coach"),
        (("--role", "coach"), "--coach: keine Prozessbegleitung 'neu@example.org'"),
        (("--role", "coach", "--coach", "7"), "--coach: keine Prozessbegleitung '7'"),
    ],
)
def test_refused_users_write_nothing(
    ready: Run,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    args: tuple[str, ...],
    message: str,
) -> None:
    before = dump(database_url)
    stdin(monkeypatch, f"{PASSWORD}\n")
    result = ready("user", "add", "--email", "neu@example.org", *args)
    assert result.code == 2
    assert result.err.startswith(f"Fehler: {message}")
    assert dump(database_url) == before


@pytest.mark.usefixtures("cheap")
def test_coach_users_list_and_disable(ready: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    for args in (
        ("--email", "lena@example.org", "--role", "coach"),  # coach 1 by her e-mail
        ("--email", "l.sommer@example.org", "--role", "coach", "--coach", "1"),
        ("--email", "ministerium@example.org", "--role", "ministry"),
    ):
        stdin(monkeypatch, f"{PASSWORD}\n")
        assert ready("user", "add", *args).code == 0
    stdin(monkeypatch, f"{PASSWORD}\n")
    twice = ready("user", "add", "--email", "LENA@example.org", "--role", "coach")
    assert (twice.code, twice.err) == (
        2,
        "Fehler: --email: einen Zugang für lena@example.org gibt es schon\n",
    )
    assert ready("user", "disable", "--email", "Lena@example.org").out == (
        "Zugang lena@example.org gesperrt.\n"
    )
    listed = json.loads(ready("user", "list", "--json").out)
    assert [(u["email"], u["role"], u["coach"], u["disabled"]) for u in listed] == [
        ("lena@example.org", "coach", 1, True),
        ("l.sommer@example.org", "coach", 1, False),
        ("ministerium@example.org", "ministry", None, False),
    ]
    assert "Ministerium" in ready("user", "list").out
    missing = ready("user", "disable", "--email", "niemand@example.org")
    assert (missing.code, missing.err) == (
        2,
        "Fehler: --email: kein Zugang für 'niemand@example.org'\n",
    )


@pytest.mark.usefixtures("cheap")
def test_user_password_and_enable_end_the_sessions_and_let_sign_in_again(
    ready: Run, monkeypatch: pytest.MonkeyPatch, service: Service
) -> None:
    stdin(monkeypatch, f"{PASSWORD}\n")
    assert ready("user", "add", "--email", "buero@example.org", "--role", "office").code == 0
    signed = service.users.sign_in("buero@example.org", PASSWORD, "192.0.2.1")
    assert signed is not None
    secret = signed[1]
    stdin(monkeypatch, "ein-ganz-neues-Passwort\n")
    changed = ready("user", "password", "--email", "Buero@example.org")
    assert changed.out == (
        "Neues Passwort für buero@example.org gesetzt; seine Sitzungen sind beendet.\n"
    )
    assert service.users.web_session(secret) is None
    assert service.users.sign_in("buero@example.org", PASSWORD, "192.0.2.1") is None
    assert ready("user", "disable", "--email", "buero@example.org").code == 0
    assert (
        service.users.sign_in("buero@example.org", "ein-ganz-neues-Passwort", "192.0.2.1") is None
    )
    enabled = ready("user", "enable", "--email", "buero@example.org")
    assert enabled.out == "Zugang buero@example.org freigegeben.\n"
    assert service.users.sign_in("buero@example.org", "ein-ganz-neues-Passwort", "192.0.2.1")
    stdin(monkeypatch, "kurz\n")
    short = ready("user", "password", "--email", "buero@example.org")
    assert (short.code, short.err) == (2, "Fehler: Passwort: mindestens 12 Zeichen, nicht 4\n")
    missing = ready("user", "enable", "--email", "niemand@example.org")
    assert (missing.code, missing.err) == (
        2,
        "Fehler: --email: kein Zugang für 'niemand@example.org'\n",
    )


def test_serve_help(run: Run) -> None:
    result = run("serve", "--help")
    assert result.code == 0
    assert "--host" in result.out
    assert "--port" in result.out


def test_serve_runs_the_pages_with_an_ephemeral_key_and_a_warning(
    ready: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: dict[str, object] = {}

    def fake_run(app: object, host: str, port: int, log_level: str) -> None:
        started.update(app=app, host=host, port=port)

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.delenv("THEKIZ_FLOW_SECRET_KEY", raising=False)
    result = ready("serve", "--port", "8123")
    assert result.code == 0
    assert "THEKIZ_FLOW_SECRET_KEY ist nicht gesetzt" in result.err
    assert isinstance(started.pop("app"), Starlette)
    assert started == {"host": "127.0.0.1", "port": 8123}
    monkeypatch.setenv("THEKIZ_FLOW_SECRET_KEY", "k" * 32)
    assert ready("serve", "--host", "0.0.0.0").err == ""
    assert started["host"] == "0.0.0.0"


def test_serve_refuses_a_bad_port_and_an_uninitialised_database(
    run_on_empty: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: pytest.fail("started"))
    assert run_on_empty("serve", "--port", "70000").err.startswith(
        "Fehler: --port: zwischen 1 und 65535"
    )
    uninitialised = run_on_empty("serve")
    assert uninitialised.code == 2
    assert "nicht eingerichtet" in uninitialised.err
