"""Bad files and numbers: one German line and exit 2 (or a 400 page), never a traceback."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import Run, berlin_today, dump
from tests.conftest import CLI_CONFIG, TODAY
from tests.test_web_sessions import planned, programme
from tests.web_helpers import login
from thekiz_flow.cli import runtime
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.model import ActivityFilter
from thekiz_flow.service import Service
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

ENCODINGS = ["utf-16", "latin-1"]  # UTF-16 with its byte order mark; Latin-1 with umlauts


def _config(text: str) -> str:
    return CLI_CONFIG + f'[workflow]\npath = "{text}"\n' if text else CLI_CONFIG


# ------------------------------------------------------------------ encodings
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_config_file_not_in_utf8_is_named(run: Run, tmp_path: Path, encoding: str) -> None:
    (tmp_path / "config.toml").write_text(CLI_CONFIG + "# Geschäftsstelle\n", encoding=encoding)
    result = run("centre", "list")
    assert (result.code, result.out) == (2, "")
    assert result.err == "Fehler: config.toml: keine UTF-8-Datei (bitte in UTF-8 speichern)\n"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_workflow_file_not_in_utf8_is_named(run: Run, tmp_path: Path, encoding: str) -> None:
    workflow = tmp_path / "ablauf.toml"
    text = DEFAULT_WORKFLOW.read_text(encoding="utf-8")
    workflow.write_bytes(text.encode(encoding, errors="replace"))
    (tmp_path / "config.toml").write_text(_config(str(workflow)), encoding="utf-8")
    message = f"Fehler: {workflow}: keine UTF-8-Datei (bitte in UTF-8 speichern)\n"
    for args in (["workflow", "check", str(workflow)], ["centre", "list"]):
        result = run(*args)
        assert (result.code, result.err) == (2, message), args


def test_a_config_file_with_a_byte_order_mark_is_utf8(run: Run, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CLI_CONFIG, encoding="utf-8-sig")
    assert run("init").code == 0


# ------------------------------------------------------------------ database
@pytest.mark.parametrize("args", [["init"], ["centre", "list"], ["tick"]])
def test_a_database_url_to_a_file_that_is_no_database(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    notes = tmp_path / "notizen.txt"
    notes.write_text("Einkaufsliste: Milch, Brot\n" * 200, encoding="utf-8")
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", f"sqlite:///{notes}")
    result = run(*args)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"Fehler: database.url: {notes} ist keine SQLite-Datenbank\n"
    assert notes.read_text(encoding="utf-8").startswith("Einkaufsliste")


# ------------------------------------------------------------------ run
@pytest.mark.parametrize(
    ("config", "init", "words"),
    [
        ("", True, "mail.sender: Pflichtangabe fehlt für den Versand"),
        (CLI_CONFIG, False, "Datenbank ist nicht eingerichtet"),
    ],
)
def test_run_refuses_to_start_when_a_tick_would_fail(
    run_on_empty: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    init: bool,
    words: str,
) -> None:
    started: list[object] = []
    monkeypatch.setattr(runtime, "run_forever", lambda *args: started.append(args))
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    if init:
        assert run_on_empty("init").code == 0
    result = run_on_empty("run")
    assert (result.code, result.out, started) == (2, "", [])
    assert words in result.err
    assert run_on_empty("tick").code == 2  # the same check


def test_run_starts_when_a_tick_can_run(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(runtime, "run_forever", lambda *args: started.append(args))
    assert run("init").code == 0
    assert run("run").code == 0
    assert len(started) == 1


# ------------------------------------------------------------------ hours and rates
NOT_NUMBERS = ["1e1", "٣", "inf", "nan", "NaN", "1_0", "0x1", "2,5,0", "1.23,4", ",5", "3 Std"]
NOT_POSITIVE = ["0", "-2", "0,00"]
TOO_MANY = ["1.000,50", "2.500"]  # read German first: 1000,50 and 2500 hours


@pytest.mark.parametrize("hours", NOT_NUMBERS + NOT_POSITIVE + TOO_MANY)
def test_hours_are_plain_decimal_numbers(ready: Run, database_url: str, hours: str) -> None:
    assert ready("advance", "1", "admit").code == 0
    before = dump(database_url)
    result = ready("session", "done", "E1", f"--date={berlin_today()}", f"--hours={hours}")
    assert (result.code, result.out, result.err.count("\n")) == (2, "", 1)
    expected = "keine Zahl" if hours in NOT_NUMBERS else "muss größer als 0 und höchstens 12"
    assert f"Fehler: --hours: {expected}" in result.err
    assert dump(database_url) == before


@pytest.mark.parametrize(
    ("hours", "stored"), [("3", 3), ("2,5", 2.5), ("2.5", 2.5), (" 1,25 ", 1.25), ("1,5", 1.5)]
)
def test_hours_with_a_comma_or_a_point(ready: Run, hours: str, stored: float) -> None:
    assert ready("advance", "1", "admit").code == 0
    day = berlin_today().isoformat()
    assert ready("session", "done", "E1", f"--date={day}", f"--hours={hours}").code == 0
    held = json.loads(ready("activities", "--status=held", "--json").out)
    assert [h["hours"] for h in held] == [stored]


@pytest.mark.parametrize(
    ("rate", "stored"),
    [
        ("62,50", 62.5),
        ("62.50 €", 62.5),
        ("70€", 70),
        ("65", 65),
        ("62,50 €", 62.5),
        ("€ 62,50", 62.5),
        ("62,50 EUR", 62.5),
        ("1.000,00 €", 1000),
        ("1.000", 1000),
    ],
)
def test_a_rate_like_hours_and_with_a_euro_sign(run: Run, rate: str, stored: float) -> None:
    assert run("init").code == 0
    added = run("coach", "add", "--name=Erika Beispiel", "--email=e@example.org", f"--rate={rate}")
    assert added.code == 0, added
    assert [c["rate"] for c in json.loads(run("coach", "list", "--json").out)] == [stored]


@pytest.mark.parametrize("rate", ["1e2", "٦٥", "inf", "6_5", "€", "65 $"])
def test_a_rate_that_is_no_plain_number(run: Run, rate: str) -> None:
    assert run("init").code == 0
    added = run("coach", "add", "--name=Erika Beispiel", "--email=e@example.org", f"--rate={rate}")
    assert (added.code, added.err) == (
        2,
        f"Fehler: --rate: keine Zahl: {rate!r} (z. B. „2,5“ oder „1.234,50“)\n",
    )


@pytest.mark.parametrize("hours", ["1e1", "٣", "nan"])
def test_the_session_form_reads_hours_the_same_way(
    web: TestClient, service: Service, database_url: str, hours: str
) -> None:
    mine, _ = programme(service)
    session = next(s for s in planned(service, mine) if s.date < TODAY)
    token = login(web, "office")
    before = dump(database_url)
    data = {"date": session.date.isoformat(), "hours": hours, "csrf_token": token}
    response = web.post(f"/sessions/{session.id}/record", data=data)
    assert response.status_code == 400
    assert "Stunden: keine Zahl" in response.text
    assert dump(database_url) == before
    data["hours"] = "2,5"
    assert web.post(f"/sessions/{session.id}/record", data=data).status_code == 200
    (held,) = service.overview.activities(
        ActivityFilter(centre_id=mine, status=ActivityStatus.HELD)
    )
    assert held.hours == Decimal("2.5")
