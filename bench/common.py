"""What every part of the harness shares: the bench's moment in time, the service, memory."""

from __future__ import annotations

import re
import sqlite3
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import DeliveryStatus
from thekiz_flow.core.model import Mail, Workflow
from thekiz_flow.mail.delivery import Backend, Lease, Outcome
from thekiz_flow.mail.message import build_message
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.workflow.config import MailSettings, SmtpSettings
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

BERLIN = ZoneInfo("Europe/Berlin")
# The bench's "now": a Wednesday in June, outside the digest's and the overview's days.
# The previous tick ran at 08:00:10 and materialised the day's 08:00 reminders; the measured
# tick runs at 08:05. Ten years of history lie before that day.
NOW = datetime(2026, 6, 17, 8, 5, 0, tzinfo=BERLIN)
PREVIOUS_TICK = datetime(2026, 6, 17, 8, 0, 10, tzinfo=BERLIN)
TICK_BEFORE = datetime(2026, 6, 17, 7, 55, 10, tzinfo=BERLIN)
TODAY = NOW.date()
HISTORY_YEARS = 10
HISTORY_START = TODAY.replace(year=TODAY.year - HISTORY_YEARS)
DIGEST_YEAR = TODAY.year - 1
SENDER = "thekiz-flow@example.org"
OFFICE = "fachstelle@example.org"
MINISTRY = "ministerium@example.org"
SMTP_HOST = "127.0.0.1"


def say(message: str) -> None:
    """A line of the bench's log, with the time of day."""
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def workflow() -> Workflow:
    return load_workflow(DEFAULT_WORKFLOW)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///`` URL."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a SQLite file URL: {url}")
    return url[len("sqlite:///") :]


def raw_sqlite(path: str) -> sqlite3.Connection:
    """A bare sqlite3 connection with the pragmas the package's engine sets (autocommit mode)."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=30000")
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def mail_settings(port: int | None = None, batch_size: int = 50) -> MailSettings:
    smtp = SmtpSettings(host=SMTP_HOST, port=port or 25, timeout=30)
    return MailSettings(
        backend="smtp",
        sender=SENDER,
        office=OFFICE,
        ministry=MINISTRY,
        smtp=smtp,
        batch_size=batch_size,
        lease_seconds=600,
    )


class NullBackend:
    """Builds every message as the SMTP backend would, then drops it: a tick without a wire."""

    def deliver(self, mails: Sequence[Mail], now: datetime, lease: Lease) -> list[Outcome]:
        outcomes = []
        for mail in mails:
            build_message(mail, SENDER, now)
            outcomes.append(Outcome(mail.id, DeliveryStatus.SENT))
        return outcomes


def service(
    engine: Engine,
    now: datetime = NOW,
    backend: Backend | None = None,
    port: int | None = None,
    batch_size: int = 50,
    digest_dir: Path | None = None,
) -> Service:
    from thekiz_flow.workflow.config import DigestSettings

    digest = DigestSettings(dir=digest_dir) if digest_dir is not None else None
    return Service(
        engine,
        workflow(),
        FrozenClock(now),
        BERLIN,
        actor="fachstelle",
        mail=mail_settings(port, batch_size),
        backend=backend if backend is not None or port is not None else NullBackend(),
        digest=digest,
    )


def engine_for(url: str) -> Engine:
    return make_engine(url)


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


# ------------------------------------------------------------------ memory
_STATUS = re.compile(r"^(VmRSS|VmHWM):\s+(\d+) kB", re.M)


def _status() -> dict[str, int]:
    text = Path("/proc/self/status").read_text(encoding="ascii", errors="replace")
    return {name: int(kb) for name, kb in _STATUS.findall(text)}


@dataclass
class PeakMemory:
    """Peak resident memory of this process during a ``with`` block, above where it started.

    Linux: the high-water mark (VmHWM) is reset through /proc/self/clear_refs before the block,
    so the figure is the real peak of the block, C allocations (SQLite, lxml ...) included.
    Where the reset is not allowed, the high-water mark of the whole process is used instead
    (``reset`` False: an upper bound).
    """

    before_kb: int = 0
    peak_kb: int = 0
    reset: bool = False

    def __enter__(self) -> PeakMemory:
        try:
            Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
            self.reset = True
        except OSError:
            self.reset = False
        self.before_kb = _status().get("VmRSS", 0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak_kb = _status().get("VmHWM", 0)

    @property
    def growth_mb(self) -> float:
        return max(0, self.peak_kb - self.before_kb) / 1024

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


@dataclass
class TracedPeak:
    """Peak of the Python heap during a ``with`` block, above where it started (tracemalloc).

    Byte exact and blind to what RSS adds (allocator arenas, page granularity), but it sees
    only what goes through Python's allocators: C libraries' own mallocs (SQLite's page
    cache) are not in it. Tracing slows Python several times over: never time a traced block.
    ``on`` False leaves the block untraced (``peak_mb`` None).
    """

    on: bool = True
    peak_bytes: int | None = None

    def __enter__(self) -> TracedPeak:
        if self.on:
            tracemalloc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.on:
            self.peak_bytes = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

    @property
    def peak_mb(self) -> float | None:
        return None if self.peak_bytes is None else self.peak_bytes / 2**20
