"""Corrections through the real CLI: German lines, the history, JSON, and every exit-2 path
with nothing written."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from tests.cli_helpers import Run, berlin_today, dump
from tests.conftest import BERLIN

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TODAY = berlin_today()
ADMITTED = TODAY - timedelta(days=70)
HELD = ADMITTED + timedelta(days=7)  # a day in the programme, in the past


def short(day: date) -> str:
    return f"{day:%d.%m.%Y}"


@pytest.fixture
def held(ready: Run) -> Run:
    """Centre 1 admitted 70 days ago; a session held a week later, with 2 hours."""
    assert ready("advance", "1", "admit", "--on", ADMITTED.isoformat()).code == 0
    done = ready("session", "done", "E1", "--date", HELD.isoformat(), "--hours", "2")
    assert done.code == 0, done
    return ready


def the_held(run: Run, kind: str = "coaching") -> dict[str, object]:
    (found,) = json.loads(
        run("activities", "--centre", "1", "--kind", kind, "--status", "held", "--json").out
    )
    assert isinstance(found, dict)
    return found


def test_a_session_corrected_is_in_the_history(held: Run) -> None:
    ident = str(the_held(held)["id"])
    result = held("session", "correct", ident, "--hours", "1,5", "--reason", "falsch notiert")
    assert result.code == 0, result
    assert result.out == f"Termin {ident} (Einrichtung 1) korrigiert: Stunden 2,0 → 1,5.\n"
    assert the_held(held)["hours"] == 1.5
    shown = held("history", "1").out
    today = short(datetime.now(BERLIN).date())
    line = (
        f"{today} Begleittermin vom {HELD:%d.%m.} korrigiert: Stunden 2,0 → 1,5 "
        "(Grund: falsch notiert), von buero"
    )
    assert shown.index("Basisbegleitung") < shown.index("Korrekturen:") < shown.index(line)
    entries = json.loads(held("history", "1", "--json").out)
    assert [e["type"] for e in entries] == ["stage_change", "correction"]
    assert entries[0]["trigger"] == "admit"
    assert {k: entries[1][k] for k in ("subject", "subject_id", "action", "actor")} == {
        "subject": "activity",
        "subject_id": int(ident),
        "action": "corrected",
        "actor": "buero",
    }
    assert (entries[1]["before"], entries[1]["after"]) == ({"hours": "2"}, {"hours": "1.5"})
    assert entries[1]["reason"] == "falsch notiert"


def test_a_session_and_a_visit_voided(held: Run) -> None:
    ident = str(the_held(held)["id"])
    voided = held("session", "void", ident, "--reason", "andere Einrichtung")
    assert voided.out == f"Termin {ident} (Einrichtung 1) vom {short(HELD)} als Fehler storniert.\n"
    assert held("visit", "done", "1", "--date", HELD.isoformat()).code == 0
    visit = str(the_held(held, "site_visit")["id"])
    result = held("visit", "void", visit, "--reason", "verwechselt")
    assert result.out == (
        f"Einrichtungsbesuch {visit} (Einrichtung 1) vom {short(HELD)} als Fehler storniert.\n"
    )
    planned = json.loads(
        held(
            "activities", "--centre", "1", "--kind", "site_visit", "--status", "planned", "--json"
        ).out
    )
    assert len(planned) == 1  # the plan asks for a visit again
    entries = json.loads(held("history", "1", "--json").out)
    assert [(e["type"], e.get("action")) for e in entries] == [
        ("stage_change", None),
        ("correction", "voided"),
        ("correction", "voided"),
    ]
    assert "Einrichtungsbesuch vom" in held("history", "1").out


def refusals() -> list[tuple[list[str], str]]:
    return [
        (
            ["session", "correct", "{held}", "--hours", "0", "--reason", "x"],
            "--hours: muss größer als 0",
        ),
        (
            [
                "session",
                "correct",
                "{held}",
                "--date",
                (ADMITTED - timedelta(days=3)).isoformat(),
                "--reason",
                "x",
            ],
            "noch nicht im Programm",
        ),
        (
            [
                "session",
                "correct",
                "{held}",
                "--date",
                (TODAY + timedelta(days=2)).isoformat(),
                "--reason",
                "x",
            ],
            "--date: ",
        ),
        (
            ["session", "correct", "{held}", "--reason", "x"],
            "nichts zu korrigieren (--date, --hours, --note oder --rate)",
        ),
        (["session", "correct", "{held}", "--hours", "3"], "Angabe fehlt: --reason"),
        (
            ["session", "correct", "{held}", "--hours", "3", "--reason", " "],
            "--reason: darf nicht leer sein",
        ),
        (
            ["session", "correct", "999", "--hours", "3", "--reason", "x"],
            "kein Termin mit der Nummer 999",
        ),
        (
            ["session", "correct", "{planned}", "--hours", "3", "--reason", "x"],
            "ist nicht gehalten (geplant)",
        ),
        (["session", "void", "{planned}", "--reason", "x"], "ist nicht gehalten (geplant)"),
        (["visit", "void", "{held}", "--reason", "x"], "ist kein Einrichtungsbesuch"),
        (["visit", "void", "{visit}", "--reason", "x"], "ist nicht gehalten (geplant)"),
    ]


@pytest.mark.parametrize(("args", "message"), refusals())
def test_a_refused_correction_exits_2_and_writes_nothing(
    held: Run, database_url: str, args: list[str], message: str
) -> None:
    planned = json.loads(
        held(
            "activities", "--centre", "1", "--kind", "coaching", "--status", "planned", "--json"
        ).out
    )[0]["id"]
    (visit,) = json.loads(held("activities", "--kind", "site_visit", "--json").out)
    ids = {"held": str(the_held(held)["id"]), "planned": str(planned), "visit": str(visit["id"])}
    before = dump(database_url)
    result = held(*(a.format(**ids) for a in args))
    assert (result.code, result.out) == (2, ""), result
    assert message in result.err
    assert result.err.startswith("Fehler: ")
    assert dump(database_url) == before
