"""The wheel: built from this tree, installed into a fresh venv outside it, used from there.

The venv gets no copy of the dependencies (that would need the network and a minute): a
``.pth`` file appends this interpreter's site-packages to its path. A path line in a ``.pth``
file is only appended, the ``.pth`` files inside it are not run, so the editable install of
this checkout stays invisible there and ``thekiz_flow`` comes from the wheel alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from tests.cli_helpers import berlin_today
from thekiz_flow import __version__
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW, SHIPPED_TEMPLATES

pytestmark = pytest.mark.wheel

SOURCE = Path(__file__).resolve().parent.parent
DATA = "thekiz_flow/_data"
CONFIG = """\
[database]
url = "sqlite:///thekiz-flow.db"

[mail]
backend = "file"
sender = "thekiz-flow@example.org"
office = "fachstelle@example.org"
ministry = "ministerium@example.org"

[mail.file]
dir = "post"
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built by the backend of pyproject.toml (installed with the dev extras)."""
    folder = tmp_path_factory.mktemp("dist")
    pip(sys.executable, "wheel", "--no-deps", "--no-build-isolation", "-w", folder, SOURCE)
    (built,) = folder.glob("thekiz_flow-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the source tree with the wheel installed; its bin folder."""
    root = tmp_path_factory.mktemp("venv")
    assert not root.is_relative_to(SOURCE)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root], check=True)
    python = root / "bin" / "python"
    pip(python, "install", "--no-deps", "--no-index", wheel)
    site = Path(output(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"))
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "dependencies.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    return root / "bin"


def pip(python: Path | str, *args: Path | str) -> None:
    """This interpreter's pip acting on ``python``'s environment."""
    command = [sys.executable, "-m", "pip", "--python", python, "--quiet", *args]
    subprocess.run(command, check=True, env=clean_environment())


def output(*command: Path | str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=clean_environment(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done
    return done.stdout.strip()


def clean_environment() -> dict[str, str]:
    """The environment without what would point the venv back at this checkout."""
    return {
        key: value
        for key, value in os.environ.items()
        if key != "PYTHONPATH" and not key.startswith("THEKIZ_")
    }


def test_wheel_holds_every_template_and_the_workflow(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    templates = {
        f"{DATA}/templates/{path.relative_to(SHIPPED_TEMPLATES).as_posix()}"
        for path in SHIPPED_TEMPLATES.rglob("*")
        if path.is_file()
    }
    assert len(templates) > 40
    assert templates <= names
    assert f"{DATA}/workflows/{DEFAULT_WORKFLOW.name}" in names
    assert "thekiz_flow/store/migrations/script.py.mako" in names
    assert not {n for n in names if n.startswith(("tests/", "bench/", "templates/"))}


def test_installed_wheel_runs_outside_the_source_tree(venv: Path, tmp_path: Path) -> None:
    where = "import thekiz_flow.workflow.paths as p; print(p.DEFAULT_WORKFLOW)"
    shown = Path(output(venv / "python", "-c", where, cwd=tmp_path))
    assert shown.is_relative_to(venv.parent / "lib")
    assert shown.is_file()
    flow = venv / "thekiz-flow"
    assert output(flow, "--version", cwd=tmp_path) == f"thekiz-flow {__version__}"
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    assert "Datenbank eingerichtet" in output(flow, "init", cwd=tmp_path)
    assert output(flow, "workflow", "check", cwd=tmp_path)
    assert output(flow, "tick", cwd=tmp_path).startswith("Durchlauf: ")
    written = output(flow, "digest", "2025", "--out", "x", "--send", cwd=tmp_path).splitlines()
    assert written[:4] == [f"x/digest-2025.{ext}" for ext in ("html", "csv", "xlsx", "pdf")]
    assert "<svg" in (tmp_path / "x" / "digest-2025.html").read_text(encoding="utf-8")
    mails = [
        message_from_bytes(path.read_bytes(), policy=default)
        for path in (tmp_path / "post").glob("*.eml")
    ]
    subjects = {m["Subject"] for m in mails}  # the tick may add some
    # it goes out today only on a working day (the real clock: not a weekend or holiday)
    today = berlin_today()
    working = WorkCalendar.of(load_workflow(DEFAULT_WORKFLOW)).next_working_day(today)
    if working == today:
        assert written[4] == "Jahresbericht 2025 in den Postausgang gestellt; 1 E-Mails versandt."
        assert "Jahresbericht ThEKiZ 2025" in subjects
    else:
        assert written[4].startswith(
            f"Jahresbericht 2025 in den Postausgang gestellt; er geht am {working:%d.%m.%Y} "
        )
        assert "Jahresbericht ThEKiZ 2025" not in subjects
    assert output(flow, "backup", "sicherung.db", cwd=tmp_path) == "Gesichert: sicherung.db"
    assert output(flow, "watchdog", cwd=tmp_path) == "Nichts zu melden."
