"""The parts that do not depend on the programme's size: the alternative users would build,
and several dispatcher processes sharing one PostgreSQL database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench import child
from bench.common import OFFICE, SENDER, SMTP_HOST, say, sqlite_url
from bench.report import Figure, Results, ratio
from bench.sink import Sink
from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.outbox import OutboxStore
from thekiz_flow.store.tables import outbox, outbox_attempts

SENT_LINE = re.compile(r"^(\d+) versandt, (\d+) später erneut, (\d+) fehlgeschlagen\.$", re.M)
ALTERNATIVE = ("apscheduler_jobs", "outbox_rows")
TRACED_BUDGET = 2.0  # a traced run's budget, in timed budgets


def alternative(folder: Path, results: Results, budget: float, count: int) -> None:
    """APScheduler 3 jobs in an SQLAlchemyJobStore against ``OutboxStore.add``, fresh files.

    Each side runs twice, each run in a fresh process on a fresh file: timed, with its peak
    RSS growth; and under tracemalloc, for the Python heap's peak (that run's time is no
    figure: tracing slows Python down, so it gets ``TRACED_BUDGET`` times the budget).
    """
    say(f"the alternative: {count:,} reminders as APScheduler jobs vs outbox rows")
    aps, ours = (_side(task, budget, count, folder, traced=False) for task in ALTERNATIVE)
    aps_traced, ours_traced = (
        _side(task, budget, count, folder, traced=True) for task in ALTERNATIVE
    )
    status = "ok" if aps.ok and ours.ok else (aps if not aps.ok else ours).describe()
    time_ratio, bound = ratio(aps.seconds, ours.seconds), None
    if aps.status == "timeout" and ours.seconds:
        time_ratio, bound = aps.budget / ours.seconds, ">"
    details = {
        "apscheduler": _side_details(aps, aps_traced),
        "outbox": _side_details(ours, ours_traced),
    }
    results.add(
        Figure(
            "apscheduler_vs_outbox_time",
            None,
            aps.seconds,
            ours.seconds,
            "s",
            time_ratio,
            status,
            bound,
            note=f"{count:,} date-trigger jobs (scheduler started paused) vs one OutboxStore.add "
            "of as many mails, sharing one rendered mail's bodies (key, recipient, subject and "
            "due time each row's own)",
            details=details,
        )
    )


def holding(folder: Path, results: Results, budget: float, count: int) -> None:
    """The whole process's peak memory while ``count`` reminders wait: APScheduler 3 holding
    them as jobs in its default MemoryJobStore against a thekiz-flow process running a tick
    while its outbox holds them (``bench/holding.py``; each a fresh process of its own)."""
    say(f"holding {count:,} pending reminders: APScheduler MemoryJobStore vs the outbox")
    url = sqlite_url(folder / "holding.db")
    setup = child.run("outbox_rows", budget, count=count, url=url)
    aps = _holding(["apscheduler", str(count)], budget)
    ours = _holding(["outbox", str(count), url], budget) if setup.ok else None
    theirs_mb = aps.get("peak_mb") if aps else None
    ours_mb = ours.get("peak_mb") if ours else None
    status = "ok" if theirs_mb and ours_mb else "error: a side did not finish"
    results.add(
        Figure(
            "apscheduler_memory_vs_outbox",
            None,
            theirs_mb,
            ours_mb,
            "MB",
            ratio(theirs_mb, ours_mb) if theirs_mb and ours_mb else None,
            status,
            note=f"whole process peak RSS (VmHWM): {count:,} date-trigger jobs held in "
            "APScheduler's MemoryJobStore (a process importing APScheduler alone) vs a "
            "thekiz-flow process running one tick while its outbox holds as many pending "
            "reminders (the package's imports included)",
            details={"apscheduler": aps, "outbox": ours, "setup": setup.describe()},
        )
    )


def _holding(args: list[str], budget: float) -> dict[str, Any] | None:
    root = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.holding", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=max(budget, 10),
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as error:
        say(f"  holding {args[0]}: {error}")
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    say(f"  holding {args[0]}: peak RSS {result['peak_mb']:.1f} MB, {result['held']:,} held")
    return result


def _side(task: str, budget: float, count: int, folder: Path, traced: bool) -> child.Outcome:
    """One run of one side of the alternative, on a file of its own."""
    name = f"{task}{'-traced' if traced else ''}"
    file = folder / f"{name}.db"
    where: dict[str, Any] = (
        {"path": str(file)} if task == "apscheduler_jobs" else {"url": sqlite_url(file)}
    )
    limit = budget * TRACED_BUDGET if traced else budget
    outcome = child.run(task, limit, trace_memory=traced, count=count, **where)
    say(f"  {name} -> {_summary(outcome)}")
    if outcome.status == "error":
        print(outcome.error, flush=True)
    return outcome


def _summary(outcome: child.Outcome) -> str:
    if not outcome.ok:
        return outcome.describe()
    traced = outcome.data.get("traced_peak_mb")
    if traced is not None:
        return f"ok, Python heap peak {traced:.2f} MB"
    growth = outcome.data.get("peak_growth_mb", 0)
    return f"ok, {outcome.seconds or 0:.3f} s, peak RSS growth {growth:.2f} MB"


def _side_details(timed: child.Outcome, traced: child.Outcome) -> dict[str, object]:
    """A side's timed run, and the Python heap's peak from its traced run (or why none)."""
    heap = {"status": traced.describe(), "peak_mb": traced.data.get("traced_peak_mb")}
    return {"status": timed.describe(), **timed.data, "traced": heap}


def postgres(
    url: str, folder: Path, results: Results, sink: Sink, budget: float, count: int, batch: int
) -> None:
    """1 and then 4 dispatcher processes (the real CLI) sending ``count`` messages."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    db_url = f"{url}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(db_url)
    runs: dict[int, dict[str, object]] = {}
    try:
        upgrade(engine)
        config = folder / "dispatch.toml"
        config.write_text(
            f'[mail]\nbackend = "smtp"\nsender = "{SENDER}"\noffice = "{OFFICE}"\n'
            f"batch_size = {batch}\nlease_seconds = 300\n"
            f'[mail.smtp]\nhost = "{SMTP_HOST}"\nport = {sink.port}\ntimeout = 30\n',
            encoding="utf-8",
        )
        for workers in (1, 4):
            say(f"postgres: {count:,} messages, {workers} dispatcher process(es)")
            runs[workers] = _dispatchers(engine, db_url, config, sink, workers, count, budget)
            say(f"  -> {runs[workers]}")
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    one, four = runs.get(1, {}), runs.get(4, {})
    rate1, rate4 = one.get("rate"), four.get("rate")
    results.add(
        Figure(
            "postgres_4_vs_1_dispatchers",
            None,
            rate4 if isinstance(rate4, float) else None,
            rate1 if isinstance(rate1, float) else None,
            "msg/s",
            ratio(
                rate4 if isinstance(rate4, float) else None,
                rate1 if isinstance(rate1, float) else None,
            ),
            str(four.get("status", "ok")),
            note=f"{count:,} messages, batch {batch}, the CLI `outbox send` per process; "
            f"{os.cpu_count()} CPUs shared with the SMTP sink",
            details={"1": one, "4": four},
        )
    )
    duplicates = sum(int(str(r.get("duplicates", 0))) for r in runs.values())
    results.add(
        Figure(
            "postgres_duplicates",
            None,
            float(duplicates),
            0.0,
            "msgs",
            float(duplicates),
            note="messages the sink received twice (same Message-ID), both runs",
            details={"1": one, "4": four},
        )
    )


def _dispatchers(
    engine: object, db_url: str, config: Path, sink: Sink, workers: int, count: int, budget: float
) -> dict[str, object]:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    due = datetime.now(UTC) - timedelta(minutes=1)
    with engine.begin() as conn:  # the previous run's messages, their attempts first
        conn.execute(outbox_attempts.delete())
        conn.execute(outbox.delete())
    for start in range(0, count, 5000):
        mails = [
            NewMail(
                key=f"bench:pg:{workers}:{n}",
                rule="session_upcoming",
                role=Recipient.COACH,
                recipient=f"person{n}@example.org",
                subject=f"Begleittermin {n}",
                text=f"Guten Tag,\n\nTermin Nr. {n}.\n" * 8,
                html=f"<p>Guten Tag,</p><p>Termin Nr. {n}.</p>\n" * 8,
                due_at=due,
            )
            for n in range(start + 1, min(count, start + 5000) + 1)
        ]
        with engine.begin() as conn:
            OutboxStore(conn).add(mails, due)
    sink.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEKIZ_FLOW_")}
    env["THEKIZ_FLOW_DATABASE_URL"] = db_url
    env["THEKIZ_FLOW_ACTOR"] = "bench"
    script = Path(sys.executable).parent / "thekiz-flow"
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [str(script), "--config", str(config), "outbox", "send"],
            env=env,
            cwd=config.parent,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(workers)
    ]
    outputs, status = [], "ok"
    for process in processes:
        left = max(1.0, started + budget - time.perf_counter())
        try:
            out, _ = process.communicate(timeout=left)
            outputs.append(out)
        except subprocess.TimeoutExpired:
            status = f"timeout after {budget:.0f} s"
            process.kill()
            out, _ = process.communicate(timeout=10)
            outputs.append(out)
    elapsed = time.perf_counter() - started
    stats = sink.stats()
    with engine.connect() as conn:
        grouped = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
        statuses: dict[str, int] = {str(k): int(v) for k, v in grouped.all()}
        twice = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.attempts > 1)
        ).scalar_one()
    per_process = [int(m.group(1)) if (m := SENT_LINE.search(o)) else None for o in outputs]
    return {
        "status": status,
        "seconds": round(elapsed, 3),
        "rate": count / elapsed if status == "ok" else None,
        "sent_per_process": per_process,
        "statuses": statuses,
        "rows_claimed_twice": int(twice),
        "sink_messages": stats.messages,
        "duplicates": stats.duplicates,
        "connections": stats.connections,
    }
