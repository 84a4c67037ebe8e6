"""`make demo` builds a believable programme from fictional data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import main


def test_demo_builds_a_programme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from thekiz_flow import demo

    monkeypatch.chdir(tmp_path)
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert "Gesamt" in out
    assert "Stufenwechsel" in out
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", "sqlite:///var/demo/thekiz-flow.db")
    assert main(["centre", "list", "--json"]) == 0
    centres = json.loads(capsys.readouterr().out)
    assert 60 <= len(centres) <= 80
    assert len({c["district"] for c in centres}) == 22
    stages = {c["stage"] for c in centres}
    assert {"interessent", "basisbegleitung", "vertiefungsbegleitung"} <= stages
    assert main(["coach", "list", "--json"]) == 0
    assert 8 <= len(json.loads(capsys.readouterr().out)) <= 12
    forced = []
    for centre in centres:
        assert main(["history", str(centre["id"]), "--json"]) == 0
        forced += [c for c in json.loads(capsys.readouterr().out) if c["forced"]]
    assert forced
    assert all(c["reason"] for c in forced)
