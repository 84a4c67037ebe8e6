"""APScheduler wiring only: one interval job that ticks. The database is the source of truth.

APScheduler 3 loses a run when the process dies mid-job and must not share a job store
between processes, so it keeps no jobs of ours in a store: a single in-memory interval job
calls the idempotent tick. A missed or doubled tick changes nothing that a tick would not.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("thekiz_flow.run")


def build_scheduler(tick: Callable[[], object], seconds: int, zone: ZoneInfo) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=zone)
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=seconds, timezone=zone),
        id="tick",
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(zone),
    )
    return scheduler


def run_forever(tick: Callable[[], object], seconds: int, zone: ZoneInfo) -> None:
    """Tick every ``seconds`` until SIGTERM or SIGINT; a running tick is finished first."""
    scheduler = build_scheduler(tick, seconds, zone)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("Signal %s: beende nach dem laufenden Durchlauf.", signal.Signals(signum).name)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("thekiz-flow läuft: ein Durchlauf alle %s Sekunden.", seconds)
    scheduler.start()
    log.info("thekiz-flow beendet.")
