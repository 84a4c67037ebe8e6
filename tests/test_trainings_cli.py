"""Trainings through the real CLI entry point: the waiting list, and every exit-2 path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import Run, dump

FUTURE = "2099-03-02"  # the CLI runs on the real clock


@pytest.fixture
def catalogue(ready: Run) -> Run:
    """Training 1 (one seat, centre 1 enrolled) on top of `ready`."""
    add = ["--title", "Fachkraft I", "--date", FUTURE, "--place", "Erfurt", "--capacity", "1"]
    assert ready("training", "add", "--kind", "fachkraft", *add).out == "1\n"
    assert ready("training", "enrol", "1", "1").out == "Einrichtung 1 ist angemeldet.\n"
    return ready


def test_cli_waiting_list(catalogue: Run, tmp_path: Path) -> None:
    waits = catalogue("training", "enrol", "1", "2")
    assert waits.out == "Einrichtung 2 steht auf der Warteliste (Platz 1).\n"
    listed = json.loads(catalogue("training", "list", "--json").out)
    assert listed == [
        {
            "id": 1,
            "kind": "fachkraft",
            "title": "Fachkraft I",
            "date": FUTURE,
            "place": "Erfurt",
            "capacity": 1,
            "enrolled": 1,
            "waiting": 1,
        }
    ]
    cancelled = catalogue("training", "cancel", "1", "1", "--reason", "Elternzeit")
    assert cancelled.out == (
        "Einrichtung 1 ist abgemeldet.\n"
        "Einrichtung 2 rückt von der Warteliste nach und ist angemeldet.\n"
    )
    shown = json.loads(catalogue("training", "show", "1", "--json").out)
    assert (shown["enrolled"], shown["waiting"]) == (1, 0)
    assert [(e["centre"], e["status"], e["reason"]) for e in shown["enrolments"]] == [
        (1, "cancelled", "Elternzeit"),
        (2, "planned", None),
    ]
    assert "Kita Regenbogen" in catalogue("training", "show", "1").out
    (tmp_path / "t.csv").write_text(
        f"kind,title,date,place,capacity\nfachtag,Fachtag,{FUTURE},Suhl,90\n", encoding="utf-8"
    )
    assert catalogue("training", "import", "t.csv").out == "1 Fortbildungen importiert (Nr. 2–2).\n"
    assert "Fachtag" in catalogue("training", "list", "--kind", "fachtag").out


ADD = ["training", "add", "--title", "T", "--date", FUTURE, "--place", "P"]
EXIT_2 = [
    ([*ADD, "--kind", "tanz", "--capacity", "3"], "--kind: unbekannte Fortbildungsart 'tanz'"),
    ([*ADD, "--kind", "fachtag", "--capacity", "viele"], "--capacity: ganze Zahl"),
    (["training", "add", "--kind", "fachtag", "--date", FUTURE], "Angabe fehlt: --title"),
    (["training", "list", "--from", "morgen"], "--from: ungültiges Datum 'morgen'"),
    (["training", "enrol", "1", "1"], "keine zweite Anmeldung möglich"),
    (["training", "enrol", "9", "2"], "keine Fortbildung mit der Nummer 9"),
    (["training", "enrol", "1", "zwei"], "CENTRE: ungültige Nummer 'zwei'"),
    (["training", "enrol", "1"], "Angabe fehlt: CENTRE"),
    (["training", "attended", "1", "1"], "ist erst am 02.03.2099"),
    (
        ["training", "attended", "1", "2"],
        "Kita Regenbogen (Weimarer Land) ist zur Fortbildung 1 nicht angemeldet",
    ),
    (["training", "cancel", "1", "1"], "Angabe fehlt: --reason"),
    (["training", "import", "bad.csv"], "Zeile 2, Feld „capacity“: ganze Zahl"),
    (["training", "show", "x"], "TRAINING: ungültige Nummer 'x'"),
]


@pytest.mark.parametrize(("args", "words"), EXIT_2, ids=[" ".join(a)[:50] for a, _ in EXIT_2])
def test_cli_exit_2_nothing_written(
    catalogue: Run, database_url: str, tmp_path: Path, args: list[str], words: str
) -> None:
    (tmp_path / "bad.csv").write_text(
        f"kind,title,date,place,capacity\nfachtag,Fachtag,{FUTURE},Suhl,0\n", encoding="utf-8"
    )
    before = dump(database_url)
    result = catalogue(*args)
    assert (result.code, result.out, result.err.count("\n")) == (2, "", 1), result
    assert result.err.startswith("Fehler: ")
    assert words in result.err
    assert dump(database_url) == before
