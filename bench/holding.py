"""The whole process's peak memory while pending reminders wait: run as its own process.

    python -m bench.holding apscheduler COUNT
    python -m bench.holding outbox COUNT DATABASE_URL

``apscheduler``: a process that imports APScheduler 3 alone and holds COUNT date-trigger jobs
in its default MemoryJobStore (the scheduler started paused, as a running application's
would be); ``outbox``: a thekiz-flow process (the package's service, as ``thekiz-flow tick``
builds it) that runs one tick over a database whose outbox holds COUNT pending reminders, due
later. Prints one line of JSON: the process's peak resident set (VmHWM) at the end, in MB,
and what it holds. Nothing of the bench is imported before the measurement: each process
pays only for what it uses.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

_HWM = re.compile(r"^VmHWM:\s+(\d+) kB", re.M)


def peak_mb() -> float:
    """The process's peak resident set so far, in MB (Linux)."""
    found = _HWM.search(Path("/proc/self/status").read_text(encoding="ascii", errors="replace"))
    return int(found.group(1)) / 1024 if found else 0.0


def send_reminder(key: str, centre_id: int, rule: str, role: str) -> None:
    """The job an APScheduler user would schedule per reminder (never run here)."""


def apscheduler(count: int) -> dict[str, object]:
    from apscheduler.schedulers.background import BackgroundScheduler

    zone = ZoneInfo("Europe/Berlin")
    scheduler = BackgroundScheduler(timezone=zone)  # the default store: MemoryJobStore
    scheduler.start(paused=True)
    first = datetime.now(zone) + timedelta(days=30)
    for n in range(1, count + 1):
        key = f"session_upcoming:a{n}:2026-07-{n % 28 + 1:02d}:coach"
        scheduler.add_job(
            send_reminder,
            "date",
            run_date=first + timedelta(minutes=n % 5000),
            args=(key, n % 500 + 1, "session_upcoming", "coach"),
            id=key,
            misfire_grace_time=3 * 86400,
        )
    held = len(scheduler.get_jobs())
    scheduler.shutdown(wait=True)
    return {"peak_mb": peak_mb(), "held": held}


def outbox(count: int, url: str) -> dict[str, object]:
    from sqlalchemy import func, select

    from bench.common import engine_for, service
    from thekiz_flow.core.enums import OutboxStatus
    from thekiz_flow.store.tables import outbox as outbox_table

    engine = engine_for(url)
    svc = service(engine)
    report = svc.ticks.tick()
    with engine.connect() as conn:
        held = conn.execute(
            select(func.count()).where(outbox_table.c.status == OutboxStatus.PENDING)
        ).scalar_one()
    return {"peak_mb": peak_mb(), "held": held, "sent": report.mail.sent, "wanted": count}


def main(argv: list[str]) -> int:
    mode, count = argv[0], int(argv[1])
    result = apscheduler(count) if mode == "apscheduler" else outbox(count, argv[2])
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
