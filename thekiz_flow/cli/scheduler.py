"""APScheduler wiring only: an interval job that ticks, and one that keeps the forecast's
first view. The database is the source of truth.

APScheduler 3 loses a run when the process dies mid-job and must not share a job store
between processes, so it keeps no jobs of ours in a store: in-memory interval jobs call the
idempotent tick and the idempotent keeping. A missed or doubled run changes nothing that a
run would not.
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
KEEP_SECONDS = 300  # how often the forecast's first view is kept (figured if it is stale)


def build_scheduler(
    tick: Callable[[], object],
    seconds: int,
    zone: ZoneInfo,
    keep: Callable[[], object] | None = None,
) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=zone)
    jobs = [("tick", tick, seconds)] + ([] if keep is None else [("keep", keep, KEEP_SECONDS)])
    for name, job, every in jobs:
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=every, timezone=zone),
            id=name,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(zone),
        )
    return scheduler


def run_forever(
    tick: Callable[[], object],
    seconds: int,
    zone: ZoneInfo,
    keep: Callable[[], object] | None = None,
) -> None:
    """Tick every ``seconds`` (and keep the forecast's first view every `KEEP_SECONDS`)
    until SIGTERM or SIGINT; a running job is finished first."""
    scheduler = build_scheduler(tick, seconds, zone, keep)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("Signal %s: beende nach dem laufenden Durchlauf.", signal.Signals(signum).name)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("thekiz-flow läuft: ein Durchlauf alle %s Sekunden.", seconds)
    scheduler.start()
    log.info("thekiz-flow beendet.")
