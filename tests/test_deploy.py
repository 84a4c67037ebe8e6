"""deploy/: the systemd units pass `systemd-analyze verify` and hold what a service needs."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
INSTALLED = "/opt/thekiz-flow/bin/thekiz-flow"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
LONG_RUNNING = ("thekiz-flow-run.service", "thekiz-flow-serve.service")


def unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze fehlt (Debian: apt-get install systemd)",
)
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """Verified as installed: the programme path is this environment's thekiz-flow, which
    `verify` requires to exist and be executable."""
    ours = Path(sys.executable).parent / "thekiz-flow"
    assert ours.is_file()
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace(INSTALLED, str(ours))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / p.name) for p in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_a_service_runs_hardened_as_its_own_user_with_secrets_from_a_file(name: str) -> None:
    service = unit(DEPLOY / name)["Service"]
    assert service["User"] == "thekiz"
    assert service["Restart"] == "on-failure"
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert service["EnvironmentFile"] == "/etc/thekiz-flow/secrets.env"
    assert service["ExecStart"].startswith(f"{INSTALLED} {name.split('-')[2].split('.')[0]}")
    assert "PASSWORD" not in (DEPLOY / name).read_text(encoding="utf-8")


def test_serve_runs_with_several_workers_behind_the_proxy() -> None:
    start = unit(DEPLOY / "thekiz-flow-serve.service")["Service"]["ExecStart"]
    assert "--workers 2" in start
    assert "--host 127.0.0.1" in start
    assert "reverse_proxy 127.0.0.1:8000" in (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
