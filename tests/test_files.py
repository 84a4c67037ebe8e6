"""Files written atomically: whole or not at all, with the permission asked for."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from thekiz_flow.workflow.files import write_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_is_written_into_new_folders_private_unless_shared(tmp_path: Path) -> None:
    private, shared = tmp_path / "a" / "b" / "mail.eml", tmp_path / "digest.html"
    write_atomically(private, b"mail")
    write_atomically(shared, b"old")
    write_atomically(shared, b"new", mode=0o644)
    assert (private.read_bytes(), _mode(private)) == (b"mail", 0o600)
    assert (shared.read_bytes(), _mode(shared)) == (b"new", 0o644)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["digest.html", "mail.eml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "digest.csv"
    path.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomically(path, "not bytes")  # type: ignore[arg-type]  # the failure under test
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["digest.csv"]
