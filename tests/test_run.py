"""`thekiz-flow run`: ticks on its own, stops cleanly on SIGTERM, and a restart repeats nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_helpers import dump, main

SCRIPT = Path(sys.executable).parent / "thekiz-flow"


def start(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SCRIPT), "--config", "run.toml", "run"],
        env=env,
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for_ticks(process: subprocess.Popen[str], count: int, seconds: float = 30) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while sum("Durchlauf:" in line for line in lines) < count:
        assert time.monotonic() < deadline, lines
        line = process.stdout.readline()
        assert line, f"run ended early: {lines}"
        lines.append(line)
    return lines


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    return out


def test_restart_between_two_ticks(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.toml").write_text(
        "[scheduler]\ntick_seconds = 1\n"
        "[mail]\nsender = 'thekiz-flow@example.org'\noffice = 'fachstelle@example.org'\n",
        encoding="utf-8",
    )
    (tmp_path / "first.csv").write_text(
        "name,district,email,coach,stage,stage_since\n"
        "Kita Eins,Gera,eins@example.org,1,basisbegleitung,2026-01-12\n",
        encoding="utf-8",
    )
    (tmp_path / "second.csv").write_text(
        "name,district,email,coach,stage,stage_since\n"
        "Kita Zwei,Suhl,zwei@example.org,1,vertiefungsbegleitung,2026-02-02\n",
        encoding="utf-8",
    )
    assert main(["init"]) == 0
    assert (
        main(["coach", "add", "--name", "Paul Winter", "--email", "p@example.org", "--rate", "60"])
        == 0
    )
    assert main(["centre", "import", "first.csv"]) == 0
    capsys.readouterr()
    env = {**os.environ}

    first = start(env, tmp_path)
    lines = wait_for_ticks(first, 2)
    assert "1 Einrichtungen geplant" in "".join(lines)  # the first tick planned Kita Eins
    assert "beendet" in stop(first)
    planned = dump(database_url)["activities"]
    assert planned

    assert main(["centre", "import", "second.csv"]) == 0  # while the service is down
    second = start(env, tmp_path)
    lines = wait_for_ticks(second, 3)
    stop(second)
    after = dump(database_url)["activities"]
    assert after[: len(planned)] == planned  # nothing of the first centre changed
    keys = [(row[1], row[3]) for row in after]
    assert len(keys) == len(set(keys))
    assert {row[1] for row in after} == {1, 2}
    assert "".join(lines).count("1 Einrichtungen geplant") == 1  # caught up exactly once
