"""6. dispatch of M pending mails against a bare aiosmtplib loop (same sink, same connections)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bench.child import Outcome
from bench.common import NOW, TODAY, say, service
from bench.measures import summary
from bench.report import Figure, ratio
from bench.sink import SinkStats
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, Recipient
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.store.outbox import OutboxStore
from thekiz_flow.store.tables import outbox

if TYPE_CHECKING:
    from bench.scenario import SizeRun


def measure(run: SizeRun) -> None:
    """Ours and the bare loop, interleaved twice (ours, bare, ours, bare): the best of each
    counts, so a slow moment of the machine does not decide the ratio."""
    say(f"dispatch: {run.mails:,} pending mails, {run.batch_size} per connection, x2")
    runs: dict[str, list[tuple[Outcome, SinkStats]]] = {"ours": [], "bare": []}
    for round_ in range(2):
        ids = _pending_mails(run, round_)
        run.sink.reset()
        ours = run.run_task(
            "dispatch",
            "dispatch",
            run.allowance.budget(run.budgets.dispatch),
            url=run.url,
            port=run.sink.port,
            batch_size=run.batch_size,
        )
        runs["ours"].append((ours, run.sink.stats()))
        run.sink.reset()
        bare = run.run_task(
            "dispatch_raw",
            "bare_smtp",
            run.allowance.budget(run.budgets.dispatch / 2),
            url=run.url,
            port=run.sink.port,
            batch_size=run.batch_size,
            ids=ids,
        )
        runs["bare"].append((bare, run.sink.stats()))
    (ours, ours_sink), (base, base_sink) = (_best(runs["ours"]), _best(runs["bare"]))
    rate = (_rate(ours, run.mails), _rate(base, run.mails))
    figure = Figure(
        "dispatch_vs_raw",
        run.size,
        rate[0],
        rate[1],
        "msg/s",
        ratio(rate[0], rate[1]),
        "ok" if ours.ok and base.ok else (ours if not ours.ok else base).describe(),
        note=(
            f"{run.mails:,} messages over {-(-run.mails // run.batch_size)} connections, "
            f"best of 2 each (all rates: ours "
            f"{[_round(_rate(o, run.mails)) for o, _ in runs['ours']]}, bare "
            f"{[_round(_rate(o, run.mails)) for o, _ in runs['bare']]}); sink saw "
            f"{ours_sink.messages}/{base_sink.messages} messages, "
            f"{ours_sink.duplicates}/{base_sink.duplicates} duplicates, "
            f"{ours_sink.connections}/{base_sink.connections} connections"
        ),
        details={"ours": summary(ours), "baseline": summary(base)},
    )
    run.results.add(figure)


def _pending_mails(run: SizeRun, round_: int) -> list[int]:
    """``mails`` pending messages due a minute ago (a real template's text and HTML)."""
    svc = service(run.engine)
    sample = svc.runtime.renderer.render("session_upcoming", _sample_context(run.workflow))
    due = NOW - timedelta(minutes=1)
    mails = [
        NewMail(
            key=f"bench:dispatch:{run.size}:{round_}:{n}",
            rule="session_upcoming",
            role=Recipient.COACH,
            recipient=f"person{n}@example.org",
            subject=f"{sample.subject} ({n})",
            text=sample.text,
            html=sample.html,
            due_at=due,
        )
        for n in range(1, run.mails + 1)
    ]
    with run.engine.begin() as conn:
        OutboxStore(conn).add(mails, due)
        keys = [m.key for m in mails]
        found = conn.execute(select(outbox.c.id).where(outbox.c.key.in_(keys)))
        return sorted(found.scalars())


def _best(runs: list[tuple[Outcome, SinkStats]]) -> tuple[Outcome, SinkStats]:
    done = [run for run in runs if run[0].seconds is not None]
    return min(done, key=lambda run: run[0].seconds or 0.0) if done else runs[-1]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value)


def _rate(outcome: Outcome, count: int) -> float | None:
    seconds = outcome.seconds
    sent = outcome.data.get("sent")
    if seconds is None or not sent:
        return None
    if sent != count:
        return None
    return count / seconds


def _sample_context(flow: Any) -> dict[str, object]:
    from thekiz_flow.core.model import Activity, Centre, Coach

    centre = Centre(1, "Kita Sonnenschein 1", "Gotha", "kita1@example.org", None, 1, "x", TODAY)
    coach = Coach(1, "Anna Schmidt", "anna@example.org", Decimal("62.50"))
    activity = Activity(
        1,
        1,
        ActivityKind.COACHING,
        "k",
        "basisbegleitung",
        TODAY,
        ActivityStatus.PLANNED,
        Decimal(3),
    )
    return {"centre": centre, "coach": coach, "activity": activity}
