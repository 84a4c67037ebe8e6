"""Rules of the architecture that import-linter cannot see (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "thekiz_flow"
STORE = PACKAGE / "store"
SOURCES = [*PACKAGE.rglob("*.py"), *(ROOT / "bench").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(SOURCES)]


def test_only_the_store_reaches_for_a_connection() -> None:
    """Outside ``store/`` the stores are reached through the unit of work, never ``.conn``."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _trees()
        if STORE not in path.parents
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "conn"
    ]
    assert found == []


def test_no_class_has_more_than_two_bases() -> None:
    """The service is composed of areas, not inherited from mixins; so is everything else."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and len(node.bases) > 2
    ]
    assert found == []


def test_no_benchmark_module_grows_past_about_400_lines() -> None:
    """The benchmark stays readable: its generator calls the core's rules, it keeps no copy."""
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "bench").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 420
    }
    assert long == {}
