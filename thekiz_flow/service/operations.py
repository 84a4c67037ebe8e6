"""Running thekiz-flow: each tick recorded, its health, its metrics and the watchdog.

A tick that succeeds records when it started and ended on the real clock (``tick_ok``);
one that fails records when (``tick_failed``). `/healthz` and `/metrics` read these marks,
and the watchdog tells the office, once, when no tick has succeeded for too long or too
many mails failed, and once when that is over.

The watchdog is exactly-once across processes and restarts: each alarm is a mark in the
database, set only where none is (the first process to set it wins, the others read its
value), and its mail's idempotency key is made of that mark's time, which no later clock
reading changes; the mail of the recovery is keyed by the same time. Its times are the real
clock's (`Runtime.wall`), which on PostgreSQL never runs ahead of the database server; a
clock set back makes the last tick look younger, never a second alarm.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from thekiz_flow.core import german, mailcontext
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.errors import ThekizError, UserError
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.service.outbox import OutboxService
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.service.ticks import TickReport, TickService
from thekiz_flow.store.repository import Repository
from thekiz_flow.workflow.config import OperationsSettings

log = logging.getLogger("thekiz_flow.run")

TICK_STARTED, TICK_OK, TICK_FAILED = "tick_started", "tick_ok", "tick_failed"
FAILING_SINCE = "tick_failing_since"  # the first failure since the last successful tick
TICKS_ALARM, MAILS_ALARM = "watchdog_ticks", "watchdog_mails"
WATCHDOG_RULE = "watchdog"
WATCHDOG_ANY_DAY = True  # the office's own alert: it goes at any time, weekends too
FAILED_WINDOW = timedelta(days=7)  # failed mails counted: those due in the last 7 days
SIGN_IN_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str  # German, one line: "in Ordnung" or what is wrong


@dataclass(frozen=True)
class Metrics:
    last_tick: datetime | None  # end of the last successful tick
    last_tick_seconds: float | None  # how long it took
    last_failure: datetime | None
    outbox: dict[OutboxStatus, int] = field(default_factory=dict)
    oldest_pending_seconds: float | None = None  # age of the oldest mail still to be sent
    failed_recent: int = 0  # failed for good, of the mails due in the last 7 days
    sign_in_failures: int = 0  # failed sign-ins kept (30 days)
    sign_in_failures_recent: int = 0  # of the last 15 minutes


def duration(seconds: float) -> str:
    """A span in German: "45 Sekunden", "47 Minuten", "3 Stunden 5 Minuten"."""
    whole = max(0, int(seconds))
    if whole < 120:
        return f"{whole} Sekunden"
    minutes = whole // 60
    if minutes < 120:
        return f"{minutes} Minuten"
    return f"{minutes // 60} Stunden {minutes % 60} Minuten"


class OperationsService:
    """Ticks recorded, health and metrics; the watchdog's checks."""

    def __init__(self, rt: Runtime, outbox: OutboxService, settings: OperationsSettings) -> None:
        self.rt = rt
        self.outbox = outbox
        self.settings = settings

    # ------------------------------------------------------------------ ticks
    def tick(self, ticks: TickService) -> tuple[TickReport, float]:
        """One tick, recorded as succeeded or failed; its report and its seconds."""
        begun = time.monotonic()
        try:
            report = ticks.tick()
        except UserError:
            raise  # refused before anything was written (the clock ran ahead): nor is this
        except Exception:
            self._record_failure()
            raise
        seconds = time.monotonic() - begun
        ended = self.rt.wall.now()
        with self.rt.unit() as repo:
            repo.health.set_mark(TICK_STARTED, ended - timedelta(seconds=seconds))
            repo.health.set_mark(TICK_OK, ended)
            repo.health.clear_mark(FAILING_SINCE)
        return report, seconds

    def _record_failure(self) -> None:
        try:
            with self.rt.unit() as repo:
                now = self.rt.wall.now()
                repo.health.set_mark(TICK_FAILED, now)
                repo.health.mark_once(FAILING_SINCE, now)
        except (ThekizError, SQLAlchemyError) as exc:  # the database may be what failed
            log.warning("Fehlschlag des Durchlaufs nicht vermerkt: %s", exc)

    # ------------------------------------------------------------------ health
    def health(self) -> Health:
        """Whether the database answers and the last tick succeeded recently enough."""
        limit = self.settings.health_tick_age
        try:
            with self.rt.unit() as repo:
                repo.health.ping()
                last = repo.health.mark(TICK_OK)
            now = self.rt.wall.now()
        except ThekizError as exc:
            return Health(False, str(exc))
        except SQLAlchemyError:
            return Health(False, "Datenbank nicht erreichbar")
        if last is None:
            return Health(False, "noch kein erfolgreicher Durchlauf")
        age = (now - last).total_seconds()
        if age > limit:
            return Health(
                False,
                f"letzter erfolgreicher Durchlauf vor {duration(age)} (erlaubt: {duration(limit)})",
            )
        return Health(True, "in Ordnung")

    def metrics(self) -> Metrics:
        now = self.rt.wall.now()
        with self.rt.unit() as repo:
            health = repo.health
            started, last = health.mark(TICK_STARTED), health.mark(TICK_OK)
            oldest = health.oldest_pending()
            return Metrics(
                last_tick=last,
                last_tick_seconds=(last - started).total_seconds() if last and started else None,
                last_failure=health.mark(TICK_FAILED),
                outbox=repo.outbox.counts(),
                oldest_pending_seconds=None
                if oldest is None
                else max(0.0, (now - oldest).total_seconds()),
                failed_recent=health.failed_since(now - FAILED_WINDOW),
                sign_in_failures=health.sign_in_failures(),
                sign_in_failures_recent=health.sign_in_failures(now - SIGN_IN_WINDOW),
            )

    # ------------------------------------------------------------------ watchdog
    def watch(self) -> list[str]:
        """Check the ticks and the failed mails; the subjects of the mails written for the
        office (each alarm and each recovery once), which are then sent at once."""
        if not self.rt.mail.office:
            log.warning("Wächter: [mail] office fehlt, niemand würde benachrichtigt.")
            return []
        now = self.rt.wall.now()
        with self.rt.unit() as repo:
            found = [*self._watch_ticks(repo, now), *self._watch_mails(repo, now)]
            known = repo.outbox.existing({m.key for m in found})  # another process's
            mails = [m for m in found if m.key not in known]
            repo.outbox.add(mails, now)
        if mails:
            try:
                self.outbox.dispatch()
            except (ThekizError, SQLAlchemyError) as exc:  # sent by the next dispatch then
                log.warning("Wächter: Versand später: %s", exc)
        return [m.subject for m in mails]

    def _watch_ticks(self, repo: Repository, now: datetime) -> list[NewMail]:
        health = repo.health
        last, alarm = health.mark(TICK_OK), health.mark(TICKS_ALARM)
        since = last or health.mark(FAILING_SINCE)  # no tick succeeded yet: the first failure
        if since is None:
            return []  # no tick has run yet
        stale = (now - since).total_seconds() > self.settings.watchdog_tick_age
        if stale and alarm is None:
            alarm = health.mark_once(TICKS_ALARM, since)
            return [self._mail(f"ticks:{alarm.isoformat()}", "ticks", False, alarm, now)]
        recovered = not stale and alarm is not None and last != alarm
        if recovered and alarm is not None and health.clear_mark(TICKS_ALARM, alarm):
            return [self._mail(f"ticks-ok:{alarm.isoformat()}", "ticks", True, alarm, now)]
        return []

    def _watch_mails(self, repo: Repository, now: datetime) -> list[NewMail]:
        health = repo.health
        failed, alarm = health.failed_since(now - FAILED_WINDOW), health.mark(MAILS_ALARM)
        over = failed >= self.settings.watchdog_failed_mails
        if over and alarm is None:
            alarm = health.mark_once(MAILS_ALARM, now)
            return [self._mail(f"mails:{alarm.isoformat()}", "mails", False, alarm, now, failed)]
        if not over and alarm is not None and health.clear_mark(MAILS_ALARM, alarm):
            return [self._mail(f"mails-ok:{alarm.isoformat()}", "mails", True, alarm, now, failed)]
        return []

    def _mail(
        self,
        key: str,
        problem: str,
        recovered: bool,
        since: datetime,
        now: datetime,
        failed: int = 0,
    ) -> NewMail:
        context = {
            "problem": problem,
            "recovered": recovered,
            "since": german.date_time(since, self.rt.zone),
            "now": german.date_time(now, self.rt.zone),
            "age": duration((now - since).total_seconds()),
            "failed": failed,
            "threshold": self.settings.watchdog_failed_mails,
            "days": FAILED_WINDOW.days,
        }
        rendered = self.rt.renderer.render(WATCHDOG_RULE, context, Recipient.OFFICE.value)
        return NewMail(
            f"{WATCHDOG_RULE}:{key}",
            WATCHDOG_RULE,
            Recipient.OFFICE,
            self.rt.mail.office or "",
            rendered.subject,
            rendered.text,
            rendered.html,
            self.rt.send_time(now, any_day=WATCHDOG_ANY_DAY),
            template=WATCHDOG_RULE,
            context=mailcontext.encode(context),
        )
