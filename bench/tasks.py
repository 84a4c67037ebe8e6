"""The measured operations, each run by ``bench.child`` in a fresh process.

Each task sets up (engine, service, inputs), then measures exactly one operation inside
``probe.timed()`` and returns its figures. "Ours" is always a public entry point of the
package (``Service.plan``, ``tick``, ``dispatch``, ``digest``, ``advance_many``,
``OutboxStore.add``); the baselines are the bare physical operations on the same file.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from bench.child import Probe, Timing
from bench.common import (
    NOW,
    SENDER,
    SMTP_HOST,
    TODAY,
    engine_for,
    raw_sqlite,
    service,
    sqlite_path,
)
from bench.measures.pages import pages as pages  # the pages' task, beside its figures
from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.model import Centre

BENCH_SHORTEST_GAP = 45  # days: the shortest gap of workflows/thekiz.toml (core.tallies)


def _timing(timing: Timing, **extra: Any) -> dict[str, Any]:
    return {
        "seconds": timing.seconds,
        "peak_growth_mb": timing.peak_growth_mb,
        "peak_mb": timing.peak_mb,
        "memory_reset": timing.memory_reset,
        **({} if timing.traced_peak_mb is None else {"traced_peak_mb": timing.traced_peak_mb}),
        **extra,
    }


# ------------------------------------------------------------------ planning
def plan_service(probe: Probe, url: str, on: str) -> dict[str, Any]:
    """``Service.plan()``: every centre in an active stage planned and persisted."""
    svc = service(engine_for(url))
    svc.registry.coaches()  # the schema check and a warm connection, outside the measurement
    with probe.timed() as timing:
        report = svc.planning.plan(on=date.fromisoformat(on))
    return _timing(
        timing,
        centres=report.centres,
        inserted=report.inserted,
        updated=report.updated,
        cancelled=report.cancelled,
    )


def insert_raw(probe: Probe, url: str, rows_file: str) -> dict[str, Any]:
    """The physical limit: one executemany of the same rows, in one transaction."""
    columns, rows = pickle.loads(Path(rows_file).read_bytes())
    connection = raw_sqlite(sqlite_path(url))
    marks = ", ".join("?" for _ in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f"INSERT INTO activities ({names}) VALUES ({marks})"
    with probe.timed() as timing:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(sql, rows)
        connection.execute("COMMIT")
    connection.close()
    return _timing(timing, rows=len(rows))


# ------------------------------------------------------------------ tick
def tick(probe: Probe, url: str, now: str) -> dict[str, Any]:
    """One ``Service.tick()`` at ``now`` (mail built, then dropped: no wire)."""
    svc = service(engine_for(url), now=datetime.fromisoformat(now))
    svc.registry.coaches()
    with probe.timed() as timing:
        report = svc.ticks.tick()
    return _timing(
        timing,
        planned=report.plan.centres,
        due=report.reminders.due,
        new=report.reminders.new,
        missed=report.reminders.missed,
        sent=report.mail.sent,
        periodic=report.periodic,
    )


# ------------------------------------------------------------------ digest
def digest(probe: Probe, url: str, year: int) -> dict[str, Any]:
    """``Service.digest(year)``: the yearly digest's figures, from history."""
    svc = service(engine_for(url))
    svc.registry.coaches()
    with probe.timed() as timing:
        result = svc.digest.build(year)
    return _timing(timing, centres=len(result.centres), gaps=len(result.gaps))


def digest_reads(probe: Probe, url: str, year: int) -> dict[str, Any]:
    """What the digest reads, alone: its queries (``store.digest_queries``), every row fetched
    as the digest fetches it (the year's activities counted and paired on the way into
    tallies and pairs) and dropped; no figure is built of them. ``rows``: the centres, the
    trainings, the tallies and pairs, the stage changes and the site visits handed over."""
    from thekiz_flow.store.repository import Repository

    engine = engine_for(url)
    first, last = date(year, 1, 1), date(year, 12, 31)
    with engine.connect() as conn:
        conn.execute(select(1)).all()
        reads = Repository(conn).digest
        with probe.timed() as timing:
            rows = len(reads.members()) + len(reads.training_kinds())
            for _, (tallies, pairs) in reads.counted(first, last, BENCH_SHORTEST_GAP):
                rows += len(tallies) + len(pairs)
            rows += sum(len(steps) for _, steps in reads.histories(last))
            rows += sum(len(visits) for _, visits in reads.visits(last))
    return _timing(timing, rows=rows)


def groupby(probe: Probe, url: str, year: int) -> dict[str, Any]:
    """One scan: SELECT kind, stage, status, count(*), sum(hours) ... GROUP BY over the year."""
    from thekiz_flow.store.tables import activities

    engine = engine_for(url)
    c = activities.c
    stmt = (
        select(c.kind, c.stage, c.status, func.count(), func.sum(c.hours))
        .where(c.date.between(date(year, 1, 1), date(year, 12, 31)))
        .group_by(c.kind, c.stage, c.status)
    )
    with engine.connect() as conn:
        conn.execute(select(1)).all()
        with probe.timed() as timing:
            rows = conn.execute(stmt).all()
    return _timing(timing, groups=len(rows), activities=sum(int(r[3]) for r in rows))


# ------------------------------------------------------------------ dispatch
def dispatch(probe: Probe, url: str, port: int, batch_size: int) -> dict[str, Any]:
    """``Service.dispatch()`` over SMTP to the sink: claim, build, send, settle."""
    svc = service(engine_for(url), port=port, batch_size=batch_size)
    svc.registry.coaches()
    with probe.timed() as timing:
        report = svc.outbox.dispatch()
    return _timing(timing, sent=report.sent, retried=report.retried, failed=report.failed)


def bare_smtp(probe: Probe, url: str, port: int, batch_size: int, ids: list[int]) -> dict[str, Any]:
    """The same messages, built beforehand by ``build_message`` (envelope and wire bytes), sent
    by a bare aiosmtplib loop (``sendmail``), ``batch_size`` per connection, one connection
    after the other (as dispatch does)."""
    import aiosmtplib

    from thekiz_flow.core.model import Mail
    from thekiz_flow.mail.message import OutgoingMessage, build_message
    from thekiz_flow.store.tables import outbox

    engine = engine_for(url)
    with engine.connect() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id))
        mails = [Mail(r.id, r.key, r.recipient, r.subject, r.body_text, r.body_html) for r in rows]
    messages = [build_message(mail, SENDER, NOW) for mail in mails]

    async def send_all(batches: Sequence[Sequence[OutgoingMessage]]) -> int:
        sent = 0
        for batch in batches:
            client = aiosmtplib.SMTP(hostname=SMTP_HOST, port=port, timeout=30)
            await client.connect()
            for message in batch:
                await client.sendmail(message.sender, [message.recipient], message.content)
                sent += 1
            await client.quit()
        return sent

    batches = [messages[n : n + batch_size] for n in range(0, len(messages), batch_size)]
    with probe.timed() as timing:
        sent = asyncio.run(send_all(batches))
    return _timing(timing, sent=sent)


# ------------------------------------------------------------------ stage change of all
def advance_all(probe: Probe, url: str, ids: list[int], trigger: str, on: str) -> dict[str, Any]:
    """``Service.advance_many``: every centre in one batch, one transaction."""
    svc = service(engine_for(url))
    svc.registry.coaches()
    day = date.fromisoformat(on)
    with probe.timed() as timing:
        report = svc.lifecycle.advance_many(ids, trigger, on=day)
    return _timing(timing, centres=len(ids), changed=len(report.changes))


def stage_raw(probe: Probe, url: str, plan_file: str) -> dict[str, Any]:
    """The physical limit of the same batch: a few set-based statements and executemanys."""
    batch = pickle.loads(Path(plan_file).read_bytes())
    connection = raw_sqlite(sqlite_path(url))
    with probe.timed() as timing:
        connection.execute("BEGIN IMMEDIATE")
        for sql, params in batch["statements"]:
            connection.execute(sql, params)
        for sql, rows in batch["many"]:
            connection.executemany(sql, rows)
        connection.execute("COMMIT")
    connection.close()
    return _timing(timing, centres=batch["centres"])


# ------------------------------------------------------------------ the alternative
def send_reminder(key: str, centre_id: int, rule: str, role: str) -> None:
    """The job an APScheduler user would schedule per reminder (never run here)."""


def _reminders(count: int) -> Iterator[tuple[int, str, int, date]]:
    """The reminders both sides schedule: (number, key, centre, session day), made lazily."""
    for n in range(1, count + 1):
        day = date(2026, 7, n % 28 + 1)
        yield n, f"session_upcoming:a{n}:{day.isoformat()}:coach", n % 500 + 1, day


def apscheduler_jobs(probe: Probe, path: str, count: int) -> dict[str, Any]:
    """APScheduler 3: one date-trigger job per reminder in an SQLAlchemyJobStore (SQLite).

    The scheduler is started paused, so every ``add_job`` is written to the store at once
    (a scheduler never started would only queue the jobs in memory). A job's arguments are
    its whole payload: the job would look up and render its mail when it runs. One job is
    added and removed before the measured section, as ours renders one mail before its own.
    """
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from bench.common import BERLIN

    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")}, timezone=BERLIN
    )
    scheduler.start(paused=True)
    first = datetime.now(BERLIN) + timedelta(days=30)  # in the future of the real clock

    def add(n: int, key: str, centre_id: int) -> None:
        scheduler.add_job(
            "bench.tasks:send_reminder",
            "date",
            run_date=first + timedelta(minutes=n % 5000),
            args=(key, centre_id, "session_upcoming", "coach"),
            id=key,
            misfire_grace_time=3 * 86400,
        )

    add(0, "warm-up", 1)
    scheduler.remove_job("warm-up")
    with probe.timed() as timing:
        for n, key, centre_id, _ in _reminders(count):
            add(n, key, centre_id)
    stored = len(scheduler.get_jobs())
    scheduler.shutdown(wait=True)
    return _timing(timing, jobs=stored)


def outbox_rows(probe: Probe, url: str, count: int) -> dict[str, Any]:
    """thekiz-flow: the same reminders materialised as outbox rows, as a tick does it.

    Both sides measure what scheduling costs: making the reminders persistent, streamed.
    APScheduler gets its job arguments ready-made and would render each mail only when the
    job runs; ours gets one mail rendered beforehand (``Service.compose``, the path of the
    reminder rows) whose bodies every row shares, while key, recipient, subject and due time
    are each row's own and made inside the measured section, streamed into one
    ``OutboxStore.add``, committed. (Pre-rendering all 10,000 would hold them all at once, and
    their UTF-8 copies, made when first bound, would count as the operation's memory.)
    The centres and coaches the mails name are in the store already.
    """
    from decimal import Decimal

    from thekiz_flow.core.enums import ActivityKind, ActivityStatus
    from thekiz_flow.core.model import Activity, Coach
    from thekiz_flow.core.outbox import NewMail
    from thekiz_flow.store.migrate import upgrade
    from thekiz_flow.store.outbox import OutboxStore

    engine = engine_for(url)
    upgrade(engine)
    svc = service(engine)
    centres = _stored_centres(engine, 500)
    coaches = [
        Coach(n, f"Begleitung {n}", f"begleitung{n}@example.org", Decimal("62.50"))
        for n in range(1, 401)
    ]

    def mail(n: int, key: str, centre_id: int, day: date) -> NewMail:
        context = {
            "centre": centres[centre_id],
            "coach": coaches[n % 400],
            "activity": Activity(
                n,
                centre_id,
                ActivityKind.COACHING,
                "k",
                "basisbegleitung",
                day,
                ActivityStatus.PLANNED,
                Decimal(3),
            ),
            "number": 1,
        }
        due = NOW + timedelta(days=1, minutes=n % 5000)
        return svc.runtime.compose(
            key, "session_upcoming", "session_upcoming", Recipient.COACH, context, due
        )

    sample = mail(*next(_reminders(1)))

    def rows() -> Iterator[NewMail]:
        for n, key, centre_id, _ in _reminders(count):
            yield NewMail(  # as ``compose`` makes it: the constructor, not ``replace``
                key,
                sample.rule,
                sample.role,
                f"begleitung{n % 400 + 1}@example.org",
                f"{sample.subject} ({centre_id})",
                sample.text,
                sample.html,
                NOW + timedelta(days=1, minutes=n % 5000),
                sample.centre_id,
                sample.status,
                sample.problem,
                sample.attachments,
                sample.calendar,
                sample.template,
                sample.context,
            )

    with probe.timed() as timing, engine.begin() as conn:
        added = OutboxStore(conn).add(rows(), NOW)
    return _timing(timing, rows=added)


def _stored_centres(engine: Engine, count: int) -> dict[int, Centre]:
    """``count`` centres, written to the store (the outbox rows refer to them)."""
    from thekiz_flow.store.tables import centres as centre_table

    made = {
        n: Centre(
            n, f"Kita Sonnenschein {n}", "Gotha", f"kita{n}@example.org", None, None, "x", TODAY
        )
        for n in range(1, count + 1)
    }
    rows = [
        {
            "id": c.id,
            "name": c.name,
            "district": c.district,
            "email": c.email,
            "stage": c.stage,
            "stage_since": c.stage_since,
            "registered": c.stage_since,
            "created_at": NOW,
        }
        for c in made.values()
    ]
    with engine.begin() as conn:
        conn.execute(centre_table.insert(), rows)
    return made
