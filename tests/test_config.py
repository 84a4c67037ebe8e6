"""Settings: where they come from, and what overrides what."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thekiz_flow.config import load_settings
from thekiz_flow.errors import ConfigError
from thekiz_flow.paths import DEFAULT_DATABASE_URL, DEFAULT_WORKFLOW

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def write(path: Path, url: str) -> Path:
    path.write_text(f"[database]\nurl = '{url}'\n", encoding="utf-8")
    return path


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None, {})
    assert settings.source is None
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///var/thekiz-flow.db"
    assert settings.workflow_path == DEFAULT_WORKFLOW
    assert settings.timezone == ZoneInfo("Europe/Berlin")
    assert (settings.mail.backend, settings.mail.smtp.password) == ("file", None)


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    local = write(tmp_path / "config.toml", "sqlite:///local.db")
    from_env = write(tmp_path / "env.toml", "sqlite:///env.db")
    explicit = write(tmp_path / "explicit.toml", "sqlite:///explicit.db")
    environ = {"THEKIZ_FLOW_CONFIG": str(from_env)}
    assert load_settings(explicit, environ).database_url == "sqlite:///explicit.db"
    assert load_settings(None, environ).database_url == "sqlite:///env.db"
    assert load_settings(None, {}).source == Path("config.toml")
    assert load_settings(None, {}).database_url == "sqlite:///local.db"
    local.unlink()
    assert load_settings(None, {}).database_url == DEFAULT_DATABASE_URL


def test_environment_overrides_url_and_holds_the_password(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "sqlite:///file.db")
    environ = {
        "THEKIZ_FLOW_DATABASE_URL": "postgresql://postgres@127.0.0.1/test",
        "THEKIZ_FLOW_SMTP_PASSWORD": "geheim",
    }
    settings = load_settings(path, environ)
    assert settings.database_url == "postgresql://postgres@127.0.0.1/test"
    assert settings.mail.smtp.password == "geheim"
    assert "geheim" not in repr(settings)


def test_example_documents_every_key_and_loads(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE, {})
    assert settings.mail.backend in ("smtp", "file")
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in (
        "[database]",
        "url",
        "[workflow]",
        "path",
        "[scheduler]",
        "timezone",
        "[mail]",
        "backend",
        "sender",
        "office",
        "ministry",
        "[mail.smtp]",
        "host",
        "port",
        "starttls",
        "username",
        "[mail.file]",
        "dir",
        "THEKIZ_FLOW_SMTP_PASSWORD",
    ):
        assert key in text


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    path = tmp_path / "etc" / "c.toml"
    path.write_text("[workflow]\npath = 'wf.toml'\n[mail.file]\ndir = 'post'\n", encoding="utf-8")
    settings = load_settings(path, {})
    assert settings.workflow_path == tmp_path / "etc" / "wf.toml"
    assert settings.mail.file.dir == tmp_path / "etc" / "post"


def test_a_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[mail.smtp]\nstarttls = 'ja'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.toml: mail\.smtp\.starttls: muss true oder false"):
        load_settings(path, {})


def test_digest_settings(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[digest]\ndir = 'berichte'\nsend_on = '02-01'\n", encoding="utf-8")
    settings = load_settings(path, {})
    assert (settings.digest.dir, settings.digest.send_on) == (tmp_path / "berichte", (2, 1))
    path.write_text("[digest]\nsend_on = '02-29'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"digest\.send_on: ungültiger Tag '02-29'"):
        load_settings(path, {})
