"""Planning through the real CLI: JSON output and every exit-2 path, with nothing written."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.cli_helpers import Run, berlin_today, dump

TODAY = berlin_today()


@pytest.fixture
def admitted(ready: Run) -> Run:
    """Centre 1 admitted today with coach 1: its sessions and visit are planned."""
    assert ready("advance", "1", "admit").code == 0
    return ready


def first_session(run: Run) -> dict[str, object]:
    found: list[dict[str, object]] = json.loads(
        run("activities", "--centre", "1", "--kind", "coaching", "--json").out
    )
    return found[0]


def test_activities_json_and_filters(admitted: Run) -> None:
    sessions = json.loads(
        admitted("activities", "--centre", "1", "--kind", "coaching", "--json").out
    )
    assert len(sessions) == 24
    assert {"id", "centre", "kind", "date", "status", "hours", "coach"} <= set(sessions[0])
    assert {s["status"] for s in sessions} == {"planned"}
    assert {s["coach"] for s in sessions} == {1}
    visits = json.loads(admitted("activities", "--kind", "SITE_VISIT", "--json").out)
    assert len(visits) == 1
    until = sessions[2]["date"]
    window = json.loads(admitted("activities", "--to", until, "--coach", "1", "--json").out)
    assert len(window) == 3
    assert "Begleittermin" in admitted("activities", "--centre", "1").out


def test_plan_tick_and_coach_show(admitted: Run) -> None:
    assert admitted("plan").out == "1 Einrichtungen geplant: 0 neu, 0 geändert, 0 abgesagt.\n"
    assert admitted("tick").code == 0  # the first tick also checks the applicant, once
    assert "0 Einrichtungen geplant" in admitted("tick").out
    shown = json.loads(admitted("coach", "show", "1", "--json").out)
    assert shown["centres"] == 1
    assert len(shown["months"]) == 12
    assert sum(m["planned"] for m in shown["months"]) >= 3 * 11


def test_session_move_and_cancel(admitted: Run) -> None:
    session = first_session(admitted)
    later = date.fromisoformat(str(session["date"])) + timedelta(days=1)
    while later.weekday() >= 5:
        later += timedelta(days=1)
    moved = admitted(
        "session", "move", str(session["id"]), "--date", later.isoformat(), "--reason", "Urlaub"
    )
    if moved.code == 2:  # a holiday or closure day: the message says which
        assert "kein Arbeitstag" in moved.err
    else:
        assert f"verschoben auf {later:%d.%m.%Y}" in moved.out
        shown = json.loads(admitted("activities", "--json").out)
        assert {a["id"]: a["reason"] for a in shown}[session["id"]] == "Urlaub"
    cancelled = admitted("session", "cancel", str(session["id"]), "--reason", "krank")
    assert cancelled.code == 0
    assert "abgesagt" in cancelled.out


def next_weekend(start: date) -> date:
    day = start + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day


EXIT_2 = [
    (
        ["session", "done", "999", "--date", TODAY.isoformat(), "--hours", "3"],
        "kein Termin mit der Nummer 999",
    ),
    (
        [
            "session",
            "done",
            "E1",
            "--date",
            (TODAY + timedelta(days=3)).isoformat(),
            "--hours",
            "3",
        ],
        "liegt in der Zukunft",
    ),
    (
        ["session", "done", "E2", "--date", TODAY.isoformat(), "--hours", "3"],
        "war Kita Regenbogen (Weimarer Land) noch nicht im Programm (Interessent seit 08.01.2024)",
    ),
    (["session", "done", "E1", "--date", TODAY.isoformat(), "--hours", "20"], "höchstens 12"),
    (["session", "done", "E1", "--date", TODAY.isoformat(), "--hours", "drei"], "keine Zahl"),
    (
        ["session", "done", "E9", "--date", TODAY.isoformat(), "--hours", "3"],
        "keine Einrichtung mit der Nummer 9",
    ),
    (["session", "move", "1", "--date", next_weekend(TODAY).isoformat()], "kein Arbeitstag"),
    (["session", "move", "1", "--date", "2020-01-07"], "liegt in der Vergangenheit"),
    (
        ["session", "move", "25", "--date", next_weekend(TODAY).isoformat()],
        "ist kein Begleittermin",
    ),
    (["session", "cancel", "1"], "Angabe fehlt: --reason"),
    (["session", "cancel", "1", "--reason", "  "], "--reason: darf nicht leer sein"),
    (["session", "request", "1", "--date", next_weekend(TODAY).isoformat()], "kein Arbeitstag"),
    (["session", "request", "2", "--date", "2099-01-05"], "ist in der Stufe Interessent"),
    (["visit", "done", "1", "--date", "2099-01-05"], "liegt in der Zukunft"),
    (["centre", "weekday", "1", "sa"], "unbekannter Wochentag 'sa'"),
    (["centre", "closure", "1", "--from", "2027-05-10", "--to", "2027-05-01"], "liegt vor --from"),
    (["activities", "--kind", "besuch"], "unbekannte Art 'besuch'"),
    (["activities", "--from", "gestern"], "ungültiges Datum"),
    (["tick", "--now", "2026-03-01T07:00:00"], "braucht eine Zeitzone"),
    (["tick", "--now", "bald"], "ungültiger Zeitpunkt"),
    (["simulate", "--from", "2026-03-02", "--to", "2026-03-01"], "liegt vor --from"),
    (["plan", "--centre", "99"], "keine Einrichtung mit der Nummer 99"),
    (["coach", "show", "9"], "keine Prozessbegleitung mit der Nummer 9"),
]


@pytest.mark.parametrize(("args", "words"), EXIT_2, ids=[" ".join(a)[:50] for a, _ in EXIT_2])
def test_exit_2_nothing_written(
    admitted: Run, database_url: str, args: list[str], words: str
) -> None:
    before = dump(database_url)
    result = admitted(*args)
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert words in result.err
    assert dump(database_url) == before
