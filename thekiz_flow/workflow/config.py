"""Settings: a TOML file plus the environment, validated, with German errors naming the key.

Lookup: ``--config PATH``, else ``$THEKIZ_FLOW_CONFIG``, else ``./config.toml``, else the
built-in defaults. ``THEKIZ_FLOW_DATABASE_URL`` overrides ``[database] url``; the SMTP
password comes only from ``THEKIZ_FLOW_SMTP_PASSWORD`` and the key that signs the web
pages' session cookies only from ``THEKIZ_FLOW_SECRET_KEY``, never from a file.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from thekiz_flow.core.addresses import named_address
from thekiz_flow.core.errors import ConfigError, InvalidInput
from thekiz_flow.core.validate import EMAIL
from thekiz_flow.workflow.paths import DEFAULT_DATABASE_URL, DEFAULT_WORKFLOW
from thekiz_flow.workflow.tomlread import TomlTable, load_toml

ENV_CONFIG = "THEKIZ_FLOW_CONFIG"
ENV_DATABASE_URL = "THEKIZ_FLOW_DATABASE_URL"
ENV_SMTP_PASSWORD = "THEKIZ_FLOW_SMTP_PASSWORD"
ENV_SECRET_KEY = "THEKIZ_FLOW_SECRET_KEY"
ENV_METRICS_TOKEN = "THEKIZ_FLOW_METRICS_TOKEN"
MIN_SECRET_KEY = 32  # characters of the session signing key


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: int = 30


@dataclass(frozen=True)
class FileMailSettings:
    dir: Path = Path("var/mail")


@dataclass(frozen=True)
class MailSettings:
    backend: str = "file"
    sender: str | None = None  # an address, or "Name <address>"
    office: str | None = None
    ministry: str | None = None
    smtp: SmtpSettings = SmtpSettings()
    file: FileMailSettings = FileMailSettings()
    batch_size: int = 50  # messages per claim and SMTP connection
    lease_seconds: int = 600  # a claim neither renewed nor settled by then is taken again
    reply_to: str | None = None  # where answers go ("Reply-To"); None: to the sender
    base_url: str | None = None  # [web] base_url: the mails link to the web pages there
    templates_dir: Path | None = None  # the office's own mail templates (override the packaged)


@dataclass(frozen=True)
class DigestSettings:
    dir: Path = Path("var/digests")
    send_on: tuple[int, int] = (1, 15)  # (month, day): the previous year's digest goes out


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = True  # session cookie only over HTTPS (and http://localhost)
    base_url: str | None = None  # e.g. "https://thekiz.example.org", for links in feeds
    secret_key: str | None = field(default=None, repr=False)  # signs the session cookie
    coach_correction_days: int = 14  # a coach corrects their own sessions this long after


@dataclass(frozen=True)
class OperationsSettings:
    """Running the service: /healthz, /metrics, the watchdog and the log of `run`."""

    health_tick_age: int = 900  # seconds: /healthz answers 503 after this without a good tick
    watchdog_tick_age: int = 1800  # seconds without a good tick before the office is told
    watchdog_failed_mails: int = 10  # failed mails in the outbox from which the office is told
    log_format: str = "text"  # or "json": one JSON object per line
    metrics_token: str | None = field(default=None, repr=False)  # from the environment only


@dataclass(frozen=True)
class PrivacySettings:
    """Data protection: how long each kind of personal data is kept, and the erasure log."""

    mail_bodies_months: int = 12  # the text of a mail, after it was sent (or failed)
    sign_ins_days: int = 30  # sign-ins and failed attempts (never a password)
    audit_days: int = 1095  # who exported or erased whose data
    withdrawn_centre_years: int = 3  # a withdrawn centre's contact address, after it left
    erasure_log: Path = Path("var/erasures.log")  # numbers only; replayed after a restore

    def values(self) -> dict[str, object]:
        """The retention settings by name, for the texts of the data map."""
        return {
            "mail_bodies_months": self.mail_bodies_months,
            "sign_ins_days": self.sign_ins_days,
            "audit_days": self.audit_days,
            "withdrawn_centre_years": self.withdrawn_centre_years,
        }


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    workflow_path: Path = DEFAULT_WORKFLOW
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))
    mail: MailSettings = MailSettings()
    tick_seconds: int = 300
    digest: DigestSettings = DigestSettings()
    source: Path | None = None
    web: WebSettings = WebSettings()
    operations: OperationsSettings = OperationsSettings()
    privacy: PrivacySettings = PrivacySettings()


def find_config(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        return explicit
    if environ.get(ENV_CONFIG):
        return Path(environ[ENV_CONFIG])
    local = Path("config.toml")
    return local if local.is_file() else None


def load_settings(explicit: Path | None, environ: Mapping[str, str]) -> Settings:
    path = find_config(explicit, environ)
    data = load_toml(path, ConfigError) if path is not None else {}
    root = TomlTable(data, str(path or "Konfiguration"), ConfigError)
    base = path.parent if path is not None else Path.cwd()
    database = root.table("database")
    url = database.text("url", DEFAULT_DATABASE_URL)
    database.finish()
    workflow = root.table("workflow")
    workflow_path = _path(base, workflow.text("path", str(DEFAULT_WORKFLOW)))
    workflow.finish()
    scheduler = root.table("scheduler")
    timezone = _zone(scheduler)
    tick_seconds = scheduler.integer("tick_seconds", 300, minimum=1, maximum=86400)
    scheduler.finish()
    mail = _mail(root.table("mail"), base, environ)
    digest = _digest(root.table("digest"), base)
    web = _web(root.table("web"), environ)
    mail = replace(mail, base_url=web.base_url)
    operations = _operations(root, environ)
    privacy = _privacy(root.table("privacy"), base)
    root.finish()
    if environ.get(ENV_DATABASE_URL):
        url = environ[ENV_DATABASE_URL]
    return Settings(
        url, workflow_path, timezone, mail, tick_seconds, digest, path, web, operations, privacy
    )


def _privacy(table: TomlTable, base: Path) -> PrivacySettings:
    settings = PrivacySettings(
        mail_bodies_months=table.integer("mail_bodies_months", 12, minimum=1, maximum=120),
        sign_ins_days=table.integer("sign_ins_days", 30, minimum=1, maximum=3650),
        audit_days=table.integer("audit_days", 1095, minimum=30, maximum=3650),
        withdrawn_centre_years=table.integer("withdrawn_centre_years", 3, minimum=1, maximum=30),
        erasure_log=_path(base, table.text("erasure_log", "var/erasures.log")),
    )
    table.finish()
    return settings


def _path(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _zone(table: TomlTable) -> ZoneInfo:
    name = table.text("timezone", "Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        table.fail("timezone", f"unbekannte Zeitzone {name!r} (z. B. Europe/Berlin)")


def _address(table: TomlTable, name: str) -> str | None:
    value = table.opt_text(name)
    if value is not None and not EMAIL.match(value):
        table.fail(name, f"ungültige E-Mail-Adresse {value!r}")
    return value


def _named_address(table: TomlTable, name: str) -> str | None:
    """An address, or a display name with the address in angle brackets."""
    value = table.opt_text(name)
    if value is None:
        return None
    try:
        named_address(value, name)
    except InvalidInput:
        table.fail(
            name,
            f"ungültige E-Mail-Adresse {value!r} "
            "(z. B. koordination@example.org oder ThEKiZ Koordination <koordination@example.org>)",
        )
    return value.strip()


def _mail(table: TomlTable, base: Path, environ: Mapping[str, str]) -> MailSettings:
    backend = table.text("backend", "file")
    if backend not in ("smtp", "file"):
        table.fail("backend", f"unbekannter Versandweg {backend!r} (möglich: smtp, file)")
    sender, office = _named_address(table, "sender"), _address(table, "office")
    reply_to = _named_address(table, "reply_to")
    ministry = _address(table, "ministry")
    smtp_table = table.table("smtp")
    smtp = SmtpSettings(
        host=smtp_table.text("host", "localhost"),
        port=smtp_table.integer("port", 25, minimum=1, maximum=65535),
        starttls=smtp_table.flag("starttls", False),
        username=smtp_table.opt_text("username"),
        password=environ.get(ENV_SMTP_PASSWORD) or None,
        timeout=smtp_table.integer("timeout", 30, minimum=1, maximum=600),
    )
    if smtp_table.has("password"):
        smtp_table.fail("password", f"Passwörter nur über die Umgebung ({ENV_SMTP_PASSWORD})")
    smtp_table.finish()
    file_table = table.table("file")
    file = FileMailSettings(_path(base, file_table.text("dir", "var/mail")))
    file_table.finish()
    batch = table.integer("batch_size", 50, minimum=1, maximum=1000)
    lease = table.integer("lease_seconds", 600, minimum=2, maximum=86400)
    templates = table.opt_text("templates_dir")
    table.finish()
    return MailSettings(
        backend,
        sender,
        office,
        ministry,
        smtp,
        file,
        batch,
        lease,
        reply_to,
        templates_dir=None if templates is None else _path(base, templates),
    )


def _digest(table: TomlTable, base: Path) -> DigestSettings:
    folder = _path(base, table.text("dir", "var/digests"))
    text = table.text("send_on", "01-15")
    try:
        month, day = (int(part) for part in text.split("-"))
        date(2023, month, day)  # not a leap year: the day must exist every year
    except ValueError:
        table.fail("send_on", f"ungültiger Tag {text!r} (Format MM-TT, z. B. 01-15)")
    table.finish()
    return DigestSettings(folder, (month, day))


def _web(table: TomlTable, environ: Mapping[str, str]) -> WebSettings:
    host = table.text("host", "127.0.0.1").strip()
    port = table.integer("port", 8000, minimum=1, maximum=65535)
    secure = table.flag("secure_cookies", True)
    base_url = table.opt_text("base_url")
    if base_url is not None and not re.match(r"^https?://[^/\s]+(/\S*)?$", base_url):
        table.fail("base_url", f"ungültige Adresse {base_url!r} (z. B. https://thekiz.example.org)")
    if table.has("secret_key"):
        table.fail("secret_key", f"Schlüssel nur über die Umgebung ({ENV_SECRET_KEY})")
    days = table.integer("coach_correction_days", 14, minimum=0, maximum=366)
    table.finish()
    key = secret_key_from(environ)
    return WebSettings(host, port, secure, base_url and base_url.rstrip("/"), key, days)


def _operations(root: TomlTable, environ: Mapping[str, str]) -> OperationsSettings:
    health = root.table("health")
    health_age = health.integer("tick_age", 900, minimum=10, maximum=7 * 86400)
    health.finish()
    watchdog = root.table("watchdog")
    watch_age = watchdog.integer("tick_age", 1800, minimum=10, maximum=7 * 86400)
    failed = watchdog.integer("failed_mails", 10, minimum=1, maximum=100000)
    watchdog.finish()
    logging = root.table("logging")
    log_format = logging.text("format", "text")
    if log_format not in ("text", "json"):
        logging.fail("format", f"unbekanntes Format {log_format!r} (möglich: text, json)")
    logging.finish()
    metrics = root.table("metrics")
    if metrics.has("token"):
        metrics.fail("token", f"Zugangsschlüssel nur über die Umgebung ({ENV_METRICS_TOKEN})")
    metrics.finish()
    token = environ.get(ENV_METRICS_TOKEN) or None
    return OperationsSettings(health_age, watch_age, failed, log_format, token)


def secret_key_from(environ: Mapping[str, str]) -> str | None:
    """The key that signs the session cookies, from the environment only (None: not set)."""
    key = environ.get(ENV_SECRET_KEY) or None
    if key is not None and len(key) < MIN_SECRET_KEY:
        raise ConfigError(
            f"{ENV_SECRET_KEY}: mindestens {MIN_SECRET_KEY} Zeichen, nicht {len(key)}"
        )
    return key


EPHEMERAL_KEY = (
    f"{ENV_SECRET_KEY} ist nicht gesetzt: ein Schlüssel nur für diesen Lauf wird verwendet – "
    "alle Anmeldungen enden mit dem Server."
)


def session_key(configured: str | None) -> tuple[str, bool]:
    """The key that signs the session cookies, and whether it was made for this run only
    (``configured`` is None: then every sign-in ends with the server; say EPHEMERAL_KEY)."""
    if configured is not None:
        return configured, False
    return secrets.token_urlsafe(32), True
