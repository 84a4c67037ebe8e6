"""Reverting a stage change through the real CLI: German lines, the history (text and JSON),
and every exit-2 path with nothing written."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from tests.cli_helpers import Run, dump
from tests.conftest import BERLIN

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TODAY = datetime.now(BERLIN).date()
ADMITTED = TODAY - timedelta(days=70)
DEEPENED = TODAY - timedelta(days=10)


def short(day: date) -> str:
    return f"{day:%d.%m.%Y}"


@pytest.fixture
def deepened(ready: Run) -> Run:
    """Centre 1 admitted 70 days ago, deepened (forced) 10 days ago."""
    assert ready("advance", "1", "admit", "--on", ADMITTED.isoformat()).code == 0
    forced = ready(
        "advance", "1", "deepen", "--on", DEEPENED.isoformat(), "--force", "--reason", "Test"
    )
    assert forced.code == 0, forced
    return ready


def test_the_latest_change_is_reverted_and_shown_in_the_history(deepened: Run) -> None:
    result = deepened("revert", "1", "--reason", "zu früh geklickt")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0] == (
        "Einrichtung 1: Stufenwechsel Basisbegleitung → Vertiefungsbegleitung ab "
        f"{short(DEEPENED)} zurückgenommen."
    )
    assert lines[1] == "Kita Pusteblume (Jena) kehrt zurück in die Stufe Basisbegleitung."
    assert lines[-1] == "Die Prozessbegleitung erhält eine E-Mail."
    shown = json.loads(deepened("centre", "show", "1", "--json").out)
    assert shown["stage"] == "basisbegleitung"

    text = deepened("history", "1").out
    assert "Wechsel in die Vertiefungsbegleitung (zurückgenommen)" in text
    assert "deepen" not in text  # the step's German name, never its id
    assert (
        f"{short(TODAY)} Stufenwechsel 2 zurückgenommen: Stufe Vertiefungsbegleitung → "
        f"Basisbegleitung; in der Stufe seit {short(DEEPENED)} → {short(ADMITTED)} "
        "(Grund: zu früh geklickt), von buero"
    ) in text
    entries = json.loads(deepened("history", "1", "--json").out)
    assert [(e["type"], e.get("trigger"), e.get("reverted")) for e in entries] == [
        ("stage_change", "admit", False),
        ("stage_change", "deepen", True),
        ("correction", None, None),
    ]
    assert {k: entries[2][k] for k in ("subject", "subject_id", "action", "reason")} == {
        "subject": "stage_change",
        "subject_id": 2,
        "action": "reverted",
        "reason": "zu früh geklickt",
    }
    assert entries[2]["before"] == {
        "stage": "vertiefungsbegleitung",
        "stage_since": DEEPENED.isoformat(),
    }
    assert entries[2]["after"] == {"stage": "basisbegleitung", "stage_since": ADMITTED.isoformat()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["revert", "1"], "Fehler: --reason: darf nicht leer sein"),
        (["revert", "1", "--reason", "  "], "Fehler: --reason: darf nicht leer sein"),
        (
            ["revert", "1", "--reason", "alt", "--change", "1"],
            "Fehler: Nur der letzte Stufenwechsel der Einrichtung 1 kann zurückgenommen werden",
        ),
        (
            ["revert", "2", "--reason", "nie gewechselt"],
            "Fehler: Einrichtung 2 hat keinen Stufenwechsel, der zurückzunehmen wäre",
        ),
        (["revert", "9", "--reason", "gibt es nicht"], "Fehler: "),
    ],
)
def test_refused_with_exit_2_and_nothing_written(
    deepened: Run, database_url: str, args: list[str], message: str
) -> None:
    before = dump(database_url)
    result = deepened(*args)
    assert result.code == 2, result
    assert result.err.startswith(message), result.err
    assert dump(database_url) == before


def test_a_change_with_sessions_held_since_is_not_reverted(
    deepened: Run, database_url: str
) -> None:
    done = deepened("session", "done", "E1", "--date", TODAY.isoformat(), "--hours", "2")
    assert done.code == 0, done
    before = dump(database_url)
    result = deepened("revert", "1", "--reason", "zu früh")
    assert result.code == 2
    assert result.err == (
        f"Fehler: 1 Begleittermin wurde ab dem {short(DEEPENED)} in der Stufe "
        "Vertiefungsbegleitung gehalten; der Stufenwechsel kann nicht zurückgenommen werden "
        "(erst diese Termine als Fehler stornieren)\n"
    )
    assert dump(database_url) == before
