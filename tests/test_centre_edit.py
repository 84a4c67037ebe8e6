"""Editing a centre (service and `centre edit`) and the triggers the machine offers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.cli_helpers import Run, dump
from thekiz_flow.core.rules import Lifecycle
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW


def test_editing_a_centre_through_the_cli(ready: Run) -> None:
    result = ready(
        "centre", "edit", "2", "--name", "Kita Sonnenschein", "--carrier", "AWO", "--weekday", "di"
    )
    assert result.out == (
        "Einrichtung 2 geändert: Kita Sonnenschein (Weimarer Land), "
        "regenbogen@example.org; 0 Termine verlegt.\n"
    )
    shown = json.loads(ready("centre", "show", "2", "--json").out)
    assert (shown["name"], shown["carrier"], shown["district"]) == (
        "Kita Sonnenschein",
        "AWO",
        "Weimarer Land",
    )
    assert ready("centre", "edit", "2", "--carrier", "").code == 0
    assert json.loads(ready("centre", "show", "2", "--json").out)["carrier"] is None
    assert ready("centre", "edit", "1", "--name", "KITA PUSTEBLUME").code == 0  # its own name


def test_a_new_weekday_moves_the_planned_sessions(ready: Run) -> None:
    assert ready("advance", "1", "admit").code == 0
    planned = ["activities", "--centre", "1", "--kind", "coaching", "--status", "planned"]
    before = json.loads(ready(*planned, "--json").out)
    # a weekday other than the first session's, whatever day the test runs on
    weekday = "di" if date.fromisoformat(before[0]["date"]).weekday() == 0 else "mo"
    result = ready("centre", "edit", "1", "--weekday", weekday)
    after = json.loads(ready(*planned, "--json").out)
    moved = sum(a["date"] != b["date"] for a, b in zip(before, after, strict=True))
    assert moved > 0
    assert result.out.endswith(f"; {moved} Termine verlegt.\n")


EXIT_2 = [
    (["centre", "edit", "1"], "nichts zu ändern"),
    (["centre", "edit", "1", "--weekday", "sa"], "--weekday: unbekannter Wochentag 'sa'"),
    (["centre", "edit", "1", "--district", "Bayern"], "--district: unbekannter Kreis 'Bayern'"),
    (["centre", "edit", "1", "--email", "kein-at"], "--email: ungültige E-Mail-Adresse"),
    (["centre", "edit", "1", "--name", " "], "--name: darf nicht leer sein"),
    (
        ["centre", "edit", "2", "--name", "kita pusteblume", "--district", "Jena"],
        "--name: 'kita pusteblume' gibt es in Jena schon",
    ),
    (["centre", "edit", "9", "--name", "X"], "keine Einrichtung mit der Nummer 9"),
    (["centre", "edit", "eins", "--name", "X"], "ungültige Nummer 'eins'"),
]


@pytest.mark.parametrize(("args", "words"), EXIT_2, ids=[" ".join(a)[:60] for a, _ in EXIT_2])
def test_a_refused_edit_is_one_german_line(
    ready: Run, database_url: str, tmp_path: Path, args: list[str], words: str
) -> None:
    before = dump(database_url)
    result = ready(*args)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("Fehler: ")
    assert result.err.count("\n") == 1
    assert words in result.err
    assert dump(database_url) == before


def test_the_machine_offers_the_triggers_of_a_stage() -> None:
    lifecycle = Lifecycle(load_workflow(DEFAULT_WORKFLOW))
    assert lifecycle.triggers("interessent") == ["admit", "withdraw"]
    assert lifecycle.triggers("vertiefungsbegleitung") == ["renew", "consult", "pause", "withdraw"]
    assert lifecycle.triggers("pausiert") == ["resume", "withdraw"]
    assert lifecycle.triggers("ausgeschieden") == []
