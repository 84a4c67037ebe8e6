"""2./4. the tick over an empty history and over ten years of history, the same K reminders
due in both (the previous tick ran at 08:00:10, the measured one runs at 08:05); 3. the
ten years of history loaded between the two."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING

from sqlalchemy import delete

from bench.child import Outcome
from bench.common import BERLIN, NOW, PREVIOUS_TICK, TICK_BEFORE, say, service
from bench.measures import stored, summary
from bench.report import Figure, ratio
from bench.synth import HistoryGenerator
from thekiz_flow.store.outbox import LAST_TICK, WRITTEN_THROUGH, OutboxStore
from thekiz_flow.store.tables import activities, state

if TYPE_CHECKING:
    from bench.scenario import SizeRun

K_ADMITTED = date(2026, 5, 27)  # a Wednesday: the K centres' admission
K_WEEKDAY = 3  # Thursday: sessions on the 4th Thursday, e.g. 2026-06-25 ...
K_PLANNED = date(2026, 6, 25)
K_MOVED = date(2026, 6, 24)  # ... moved by hand to Wednesday 24 June: reminded today
K_FIRST = date(2026, 5, 28)  # the first session, held
TICK_ATTEMPTS = 3  # runs of the measured tick per history, the best counts


def setup(run: SizeRun) -> None:
    """K centres admitted on 27 May, planned by the service, the first session held."""
    say(f"tick: {run.k:,} centres with a session moved to next week")
    run.k_ids = run.add_centres(
        run.k, "Kita Terminwechsel", "basisbegleitung", K_ADMITTED, K_WEEKDAY
    )
    at_admission = datetime.combine(K_ADMITTED, dtime(12), BERLIN)
    service(run.engine, now=at_admission).planning.plan_pending(K_ADMITTED)
    first, last = run.k_ids[0], run.k_ids[-1]
    recorded = datetime.combine(K_FIRST, dtime(17), BERLIN)
    moment = stored(activities, "recorded_at", recorded, run.engine)
    run.execute(
        (
            "UPDATE activities SET status = 'held', recorded_at = ? WHERE centre_id "
            "BETWEEN ? AND ? AND kind = 'coaching' AND date = ? AND status = 'planned'",
            (moment, first, last, K_FIRST.isoformat()),
        )
    )
    planned = run.scalar(
        "SELECT count(*) FROM activities WHERE centre_id BETWEEN ? AND ? AND kind = "
        "'coaching' AND status = 'planned' AND date = ?",
        first,
        last,
        K_PLANNED.isoformat(),
    )
    run.results.note(run.size, "tick_due_sessions", {"k": run.k, "planned": planned})
    if planned != run.k:
        say(f"  warning: {planned} of {run.k} sessions on {K_PLANNED} (planner changed?)")


def _move(run: SizeRun, moved: bool) -> None:
    first, last = run.k_ids[0], run.k_ids[-1]
    when = stored(activities, "recorded_at", NOW - timedelta(minutes=3), run.engine)
    source, dest = (K_PLANNED, K_MOVED) if moved else (K_MOVED, K_PLANNED)
    run.execute(
        (
            "UPDATE activities SET date = ?, moved = ?, recorded_at = ? WHERE centre_id "
            "BETWEEN ? AND ? AND kind = 'coaching' AND status = 'planned' AND date = ?",
            (dest.isoformat(), int(moved), when, first, last, source.isoformat()),
        )
    )


def _last_tick(run: SizeRun, moment: datetime) -> None:
    """The marks as a tick at ``moment`` leaves them: its time, and the last day an occurrence
    written falls on (at most the moment's day: the generator writes those due by then)."""
    with run.engine.begin() as conn:
        conn.execute(delete(state).where(state.c.name.in_((LAST_TICK, WRITTEN_THROUGH))))
        OutboxStore(conn).set_last_tick(moment, moment.astimezone(BERLIN).date())


def tick_pass(run: SizeRun, label: str) -> tuple[Outcome, Outcome] | None:
    if not run.k_ids:
        return None
    say(f"tick over the {label} history")
    marker = int(run.scalar("SELECT coalesce(max(id), 0) FROM outbox"))
    _last_tick(run, TICK_BEFORE)
    previous = run.run_task(
        f"tick_previous_{label}",
        "tick",
        run.allowance.budget(run.budgets.tick),
        url=run.url,
        now=PREVIOUS_TICK.isoformat(),
    )
    _move(run, True)
    attempts = []
    for attempt in range(TICK_ATTEMPTS):  # the best counts: the same tick, reset in between
        before = int(run.scalar("SELECT coalesce(max(id), 0) FROM outbox"))
        attempts.append(
            run.run_task(
                "tick" if label == "history" else "tick_empty",
                "tick",
                run.allowance.budget(run.budgets.tick),
                url=run.url,
                now=NOW.isoformat(),
            )
        )
        if attempt < TICK_ATTEMPTS - 1:
            run.execute(*_drop_mails(before))
            _last_tick(run, PREVIOUS_TICK)
    done = [a for a in attempts if a.seconds is not None]
    measured = min(done, key=lambda a: a.seconds or 0.0) if done else attempts[-1]
    measured.data["all_seconds"] = [a.seconds for a in attempts]
    if label == "empty":  # the history run repeats it: back to the state before
        run.execute(*_drop_mails(marker))
        _move(run, False)
    run.results.note(
        run.size,
        f"tick_{label}",
        {"previous": summary(previous), "measured": summary(measured)},
    )
    return previous, measured


def tick_figures(
    run: SizeRun, empty: tuple[Outcome, Outcome] | None, full: tuple[Outcome, Outcome] | None
) -> None:
    if empty is None or full is None:
        return
    base, ours = empty[1], full[1]
    counts = {
        label: {"due": outcome.data.get("due"), "new": outcome.data.get("new")}
        for label, outcome in (("empty", base), ("history", ours))
    }
    note = (
        f"K={run.k:,} due reminders; due/new empty {counts['empty']['due']}/"
        f"{counts['empty']['new']}, history {counts['history']['due']}/"
        f"{counts['history']['new']}; history dues the previous tick materialised: "
        f"{full[0].data.get('new')}"
    )
    figure = run.figure("tick_history_vs_empty", ours, base, note=note)
    figure.details["due"] = counts
    if counts["empty"] != counts["history"]:  # not the same work: no comparable ratio
        figure.status, figure.ratio = "due differs", None
    run.results.add(figure)
    growth = (base.data.get("peak_growth_mb"), ours.data.get("peak_growth_mb"))
    if growth[0] is not None and growth[1] is not None:
        run.results.add(
            Figure(
                "tick_memory_history_vs_empty",
                run.size,
                growth[1],
                growth[0],
                "MB",
                ratio(growth[1], max(growth[0], 1.0)),
                note="peak RSS growth of one tick (empty floored at 1 MB); "
                f"absolute peak {ours.data.get('peak_mb', 0):.0f} MB",
            )
        )


def history(run: SizeRun) -> None:
    say(f"history: {run.size:,} centres, ten years")
    report = HistoryGenerator(run.engine, run.workflow, run.size).generate()
    data = report.as_dict()
    data["file_mb"] = round(run.path.stat().st_size / 2**20)
    say(
        f"  {report.centres:,} centres, {report.stage_changes:,} stage changes, "
        f"{report.activities:,} activities, {report.outbox:,} outbox rows, "
        f"{report.trainings:,} trainings in {report.seconds:.0f} s ({data['file_mb']:,} MB)"
    )
    if report.unfilled_columns:
        say(f"  warning: columns the generator left NULL: {report.unfilled_columns}")
    run.results.note(run.size, "history", data)


def _drop_mails(after: int) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """The statements that delete the mails after ``after`` and their attempts."""
    return (
        ("DELETE FROM outbox_attempts WHERE outbox_id > ?", (after,)),
        ("DELETE FROM outbox WHERE id > ?", (after,)),
    )
