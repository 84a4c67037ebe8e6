"""The CLI through its real entry point: output, JSON, and every exit-2 path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import Run, dump


def test_init_twice(run_on_empty: Run) -> None:
    first, second = run_on_empty("init"), run_on_empty("init")
    assert (first.code, second.code) == (0, 0)
    assert "eingerichtet" in first.out
    assert "aktuell" in second.out


def test_lifecycle_through_the_cli(ready: Run) -> None:
    assert ready("advance", "1", "admit", "--on", "2024-02-01").out == (
        "Einrichtung 1: Interessent → Basisbegleitung ab 01.02.2024.\n"
    )
    shown = json.loads(ready("centre", "show", "1", "--json").out)
    assert {
        k: shown[k] for k in ("id", "name", "district", "email", "coach", "stage", "stage_since")
    } == {
        "id": 1,
        "name": "Kita Pusteblume",
        "district": "Jena",
        "email": "pusteblume@example.org",
        "coach": 1,
        "stage": "basisbegleitung",
        "stage_since": "2024-02-01",
    }
    assert shown["next"]["trigger"] == "deepen"
    for said in (ready("centre", "show", "1").out, ready("eligible").out):
        assert "Wechsel in die Vertiefungsbegleitung" in said
        assert "deepen" not in said  # the step's German name, never its id
    forced = ready("advance", "1", "deepen", "--force", "--reason", "Sonderfall Landkreis")
    assert forced.code == 0
    assert "(erzwungen)" in forced.out
    trail = json.loads(ready("history", "1", "--json").out)
    assert [(t["trigger"], t["forced"], t["actor"]) for t in trail] == [
        ("admit", False, "buero"),
        ("deepen", True, "buero"),
    ]
    assert trail[1]["reason"] == "Sonderfall Landkreis"
    noted = ready("advance", "1", "pause", "--centre-note", "Bis bald!", "--reason", "Umbau")
    assert noted.code == 0
    paused = json.loads(ready("history", "1", "--json").out)[-1]
    assert (paused["reason"], paused["centre_note"]) == ("Umbau", "Bis bald!")
    assert "Bis bald!" in ready("history", "1").out
    assert set(trail[0]) >= {"centre", "from", "to", "effective", "recorded_at"}


def test_lists_and_json(ready: Run) -> None:
    centres = json.loads(ready("centre", "list", "--json").out)
    assert [c["name"] for c in centres] == ["Kita Pusteblume", "Kita Regenbogen"]
    only = json.loads(ready("centre", "list", "--district", "WEIMARER LAND", "--json").out)
    assert [c["id"] for c in only] == [2]
    assert json.loads(ready("centre", "list", "--stage", "basisbegleitung", "--json").out) == []
    coaches = json.loads(ready("coach", "list", "--json").out)
    assert coaches == [{"id": 1, "name": "Lena Sommer", "email": "lena@example.org", "rate": 65}]
    eligible = json.loads(ready("eligible", "--json").out)
    assert eligible == [
        {
            "centre": 1,
            "stage": "interessent",
            "trigger": "admit",
            "eligible": True,
            "missing": [],
            "recommendations": [],
        },
        {
            "centre": 2,
            "stage": "interessent",
            "trigger": "admit",
            "eligible": False,
            "missing": ["keine Prozessbegleitung zugeordnet"],
            "recommendations": [],
        },
    ]
    table = ready("centre", "list")
    assert "Kita Regenbogen" in table.out
    assert "Weimarer Land" in table.out


def test_workflow_graph_and_check(run: Run, tmp_path: Path) -> None:
    graph = run("workflow", "graph")
    assert graph.code == 0
    assert graph.out.startswith("stateDiagram-v2")
    assert "in Ordnung" in run("workflow", "check").out


BAD_CSV = "name,district,email\nKita A,Jena,a@example.org\nKita B,Nirgendwo,b@example.org\n"

EXIT_2 = [
    # (arguments, words the German line must contain)
    (
        ["coach", "add", "--name", "X", "--email", "lena@example.org", "--rate", "60"],
        "gibt es schon",
    ),
    (["coach", "add", "--name", "X", "--email", "kein-at", "--rate", "60"], "ungültige E-Mail"),
    (["coach", "add", "--name", "X", "--email", "x@example.org", "--rate", "viel"], "keine Zahl"),
    (["coach", "add", "--name", "X", "--email", "x@example.org", "--rate", "-3"], "größer als 0"),
    (
        ["coach", "add", "--name", " ", "--email", "x@example.org", "--rate", "60"],
        "--name: darf nicht leer",
    ),
    (["coach", "add", "--email", "x@example.org", "--rate", "60"], "Angabe fehlt: --name"),
    (
        ["centre", "add", "--name", "K", "--district", "Erfurd", "--email", "k@example.org"],
        "unbekannter Kreis 'Erfurd'; meinten Sie 'Erfurt'?",
    ),
    (
        [
            "centre",
            "add",
            "--name",
            "Kita Pusteblume",
            "--district",
            "Jena",
            "--email",
            "k@example.org",
        ],
        "gibt es in Jena schon",
    ),
    (
        [
            "centre",
            "add",
            "--name",
            "K",
            "--district",
            "Jena",
            "--email",
            "k@example.org",
            "--coach",
            "9",
        ],
        "keine Prozessbegleitung '9'",
    ),
    (
        ["centre", "add", "--name", "K\nBcc: x", "--district", "Jena", "--email", "k@example.org"],
        "Steuerzeichen",
    ),
    (
        [
            "centre",
            "add",
            "--name",
            "K",
            "--district",
            "Jena",
            "--email",
            "k@example.org",
            "--on",
            "2024-13-01",
        ],
        "ungültiges Datum '2024-13-01'",
    ),
    (["centre", "import", "bad.csv"], "Zeile 3, Feld „district“: unbekannter Kreis"),
    (["centre", "import", "missing.csv"], "Datei nicht gefunden"),
    (["centre", "list", "--stage", "basis"], "unbekannte Stufe 'basis'"),
    (["centre", "list", "--district", "Bayern"], "unbekannter Kreis 'Bayern'"),
    (["centre", "show", "42"], "keine Einrichtung mit der Nummer 42"),
    (["centre", "show", "eins"], "ungültige Nummer 'eins'"),
    (["centre", "assign", "2", "--coach", "niemand@example.org"], "keine Prozessbegleitung"),
    (["advance", "2", "admit"], "'admit' abgelehnt: keine Prozessbegleitung zugeordnet"),
    (["advance", "1", "deepen"], "'deepen' ist in der Stufe Interessent nicht möglich"),
    (["advance", "1", "befoerdern"], "unbekannter Auslöser 'befoerdern'"),
    (["advance", "2", "admit", "--force"], "--force braucht eine Begründung"),
    (["advance", "1", "admit", "--centre-note", "x" * 2001], "--centre-note: höchstens 2000"),
    (["advance", "1", "admit", "--on", "2099-01-01"], "liegt in der Zukunft"),
    (["advance", "1", "admit", "--on", "2023-12-31"], "liegt vor dem Beginn der aktuellen Stufe"),
    (["advance", "1", "admit", "--on", "morgen"], "ungültiges Datum"),
    (["history", "7"], "keine Einrichtung mit der Nummer 7"),
    (["eligible", "--on", "31.12.25"], "ungültiges Datum"),
    (["centre", "add", "--nmae", "K"], "unbekannte Option --nmae; meinten Sie"),
    (["centre", "delete", "1"], "unbekannter Befehl 'delete'"),
    (["advance", "1"], "Angabe fehlt: TRIGGER"),
    (["advance", "pause"], "Angabe fehlt: CENTRE_IDS"),
    (["advance", "1", "7", "admit"], "keine Einrichtung mit der Nummer 7"),
    (["advance", "1", "eins", "admit"], "ungültige Nummer 'eins'"),
    (["advance", "1", "pause", "--all-in-stage", "interessent"], "nicht beides"),
    (["advance", "pause", "--all-in-stage", "basis"], "unbekannte Stufe 'basis'"),
    (
        ["advance", "pause", "--all-in-stage", "basisbegleitung"],
        "keine Einrichtung in der Stufe Basisbegleitung",
    ),
    (["--config", "nope.toml", "centre", "list"], "nope.toml: Datei nicht gefunden"),
]


@pytest.mark.parametrize(("args", "words"), EXIT_2, ids=[" ".join(a)[:60] for a, _ in EXIT_2])
def test_exit_2_one_german_line_nothing_written(
    ready: Run, database_url: str, tmp_path: Path, args: list[str], words: str
) -> None:
    (tmp_path / "bad.csv").write_text(BAD_CSV, encoding="utf-8")
    before = dump(database_url)
    result = ready(*args)
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("Fehler: ")
    assert words in result.err
    assert dump(database_url) == before


def test_not_initialised(run_on_empty: Run) -> None:
    result = run_on_empty("centre", "list")
    assert result.code == 2
    assert "thekiz-flow init" in result.err


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("[database]\nurl = 'mysql://x'\n", "database.url: nicht unterstützte Datenbank 'mysql'"),
        ("[mail]\nbackend = 'pigeon'\n", "mail.backend: unbekannter Versandweg 'pigeon'"),
        ("[mail.smtp]\nport = 70000\n", "mail.smtp.port: ungültige Zahl 70000"),
        (
            "[mail.smtp]\npassword = 'geheim'\n",
            "mail.smtp.password: Passwörter nur über die Umgebung",
        ),
        ("[scheduler]\ntimezone = 'Mars/Olympus'\n", "scheduler.timezone: unbekannte Zeitzone"),
        ("[workflow]\npath = 'fehlt.toml'\n", "fehlt.toml: Datei nicht gefunden"),
        ("[mail]\noffice = 'buero'\n", "mail.office: ungültige E-Mail-Adresse 'buero'"),
        ("[datenbank]\nurl = 'sqlite://'\n", "datenbank: unbekannter Schlüssel"),
    ],
)
def test_bad_configuration(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, words: str
) -> None:
    monkeypatch.delenv("THEKIZ_FLOW_DATABASE_URL")
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    result = run("--config", "config.toml", "workflow", "check")
    if "database" in words:
        result = run("--config", "config.toml", "coach", "list")
    assert result.code == 2, result
    assert words in result.err
    assert result.err.count("\n") == 1


def test_broken_workflow_check_exits_2(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.toml"
    broken.write_text("[workflow]\nname = 'x'\n", encoding="utf-8")
    result = run("workflow", "check", str(broken))
    assert result.code == 2
    assert f"{broken}: workflow.title: Pflichtangabe fehlt" in result.err


def test_import_reports_every_bad_row_and_imports_none(ready: Run, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "name;district;email;coach;stage;stage_since\n"
        "Kita Eins;Gera;eins@example.org;lena@example.org;;\n"
        "Kita Zwei;Gotha;kaputt;;;\n"
        "Kita Drei;Suhl;drei@example.org;;vertiefung;\n"
        "Kita Eins;gera;eins@example.org;;;\n"
        "Kita Vier;Jena\n",
        encoding="utf-8",
    )
    result = ready("centre", "import", "c.csv")
    assert result.code == 2
    for line in (
        "nichts importiert, 4 Fehler",
        "Zeile 3, Feld „email“: ungültige E-Mail-Adresse 'kaputt'",
        "Zeile 4, Feld „stage“: unbekannte Stufe 'vertiefung'",
        "Zeile 5: 'Kita Eins' doppelt (wie Zeile 2)",
        "Zeile 6: 2 statt 6 Spalten",
    ):
        assert line in result.err
    assert json.loads(ready("centre", "list", "--json").out)[-1]["id"] == 2


def test_import_with_existing_stages(ready: Run, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "name,district,email,carrier,coach,stage,stage_since\n"
        'Kita Eins,Gera,eins@example.org,"Verein, e. V.",lena@example.org,,\n'
        "Kita Zwei,Gotha,zwei@example.org,,,Vertiefungsbegleitung,2025-03-01\n",
        encoding="utf-8",
    )
    result = ready("centre", "import", "c.csv")
    assert result.code == 0, result
    assert "2 Einrichtungen importiert" in result.out
    second = json.loads(ready("centre", "show", "4", "--json").out)
    assert (second["stage"], second["stage_since"]) == ("vertiefungsbegleitung", "2025-03-01")
    assert json.loads(ready("centre", "show", "3", "--json").out)["carrier"] == "Verein, e. V."
    (entry,) = json.loads(ready("history", "4", "--json").out)
    assert (entry["trigger"], entry["from"], entry["to"]) == (
        "import",
        "interessent",
        "vertiefungsbegleitung",
    )


def test_console_script_and_module_entry_points(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "thekiz-flow"
    for number, command in enumerate(([str(script)], [sys.executable, "-m", "thekiz_flow"])):
        env = {**os.environ, "THEKIZ_FLOW_DATABASE_URL": f"sqlite:///{tmp_path}/{number}.db"}
        env.pop("THEKIZ_FLOW_CONFIG", None)
        done = subprocess.run(
            [*command, "centre", "list"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2
        assert done.stderr.startswith("Fehler: Datenbank ist nicht eingerichtet")
        done = subprocess.run(
            [*command, "init"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
