"""Settings: where they come from, and what overrides what."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thekiz_flow.core.errors import ConfigError
from thekiz_flow.workflow.config import load_settings
from thekiz_flow.workflow.paths import DEFAULT_DATABASE_URL, DEFAULT_WORKFLOW

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
        "reply_to",
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
        "[web]",
        "secure_cookies",
        "base_url",
        "coach_correction_days",
        "THEKIZ_FLOW_SECRET_KEY",
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


def test_web_settings_and_the_secret_key_from_the_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    defaults = load_settings(None, {}).web
    assert (defaults.host, defaults.port, defaults.secure_cookies) == ("127.0.0.1", 8000, True)
    assert (defaults.base_url, defaults.secret_key) == (None, None)
    assert defaults.coach_correction_days == 14
    path = tmp_path / "c.toml"
    path.write_text(
        "[web]\nhost = '0.0.0.0'\nport = 8080\nsecure_cookies = false\n"
        "base_url = 'https://thekiz.example.org/'\ncoach_correction_days = 7\n",
        encoding="utf-8",
    )
    key = "k" * 32
    web = load_settings(path, {"THEKIZ_FLOW_SECRET_KEY": key}).web
    assert (web.host, web.port, web.secure_cookies) == ("0.0.0.0", 8080, False)
    assert (web.base_url, web.secret_key) == ("https://thekiz.example.org", key)
    assert web.coach_correction_days == 7
    assert key not in repr(web)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("port = 0", r"web\.port: ungültige Zahl 0: muss mindestens 1 sein"),
        ("base_url = 'thekiz.example.org'", r"web\.base_url: ungültige Adresse"),
        ("secret_key = 'x'", r"web\.secret_key: Schlüssel nur über die Umgebung"),
        ("secure = true", r"web\.secure: unbekannter Schlüssel"),
        ("coach_correction_days = -1", r"web\.coach_correction_days: ungültige Zahl -1"),
    ],
)
def test_wrong_web_settings_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[web]\n{text}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(path, {})


def test_a_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="THEKIZ_FLOW_SECRET_KEY: mindestens 32 Zeichen, nicht 5"):
        load_settings(None, {"THEKIZ_FLOW_SECRET_KEY": "kurz!"})


def test_a_lease_may_be_shorter_than_the_smtp_timeout(tmp_path: Path) -> None:
    """The dispatcher renews with half a lease left then (tests/test_outbox_lease.py)."""
    path = tmp_path / "c.toml"
    path.write_text(
        "[mail]\nbackend = 'smtp'\nlease_seconds = 30\n[mail.smtp]\ntimeout = 30\n",
        encoding="utf-8",
    )
    assert load_settings(path, {}).mail.lease_seconds == 30


def test_the_sender_and_reply_to_may_carry_a_display_name(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        "[mail]\nsender = 'ThEKiZ Koordination <koordination@example.org>'\n"
        "reply_to = '\"Fachstelle, ThEKiZ\" <fachstelle@example.org>'\n"
        "[web]\nbase_url = 'https://thekiz.example.org/'\n",
        encoding="utf-8",
    )
    mail = load_settings(path, {}).mail
    assert mail.sender == "ThEKiZ Koordination <koordination@example.org>"
    assert mail.reply_to == '"Fachstelle, ThEKiZ" <fachstelle@example.org>'
    assert mail.base_url == "https://thekiz.example.org"  # [web] base_url, for the links


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("ThEKiZ <koordination>", "sender"),
        ("ThEKiZ <a@example.org, b@example.org>", "sender"),
        ("Koordination", "sender"),
        ("<koordination@example.org", "reply_to"),
        ("a@example.org b@example.org", "reply_to"),
    ],
)
def test_a_wrong_sender_or_reply_to_names_the_key(tmp_path: Path, value: str, key: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[mail]\n{key} = '{value}'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"mail.{key}: ungültige E-Mail-Adresse"):
        load_settings(path, {})
