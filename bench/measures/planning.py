"""1. planning: N freshly admitted centres planned by ``Service.plan()`` against one raw
executemany of the same rows."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

from sqlalchemy import select

from bench.common import NOW, TODAY, say
from bench.synth import CachedCalendar, Encoder
from thekiz_flow.core.model import Centre, StageChange
from thekiz_flow.core.planning import PlanInput, plan, reconcile
from thekiz_flow.store.tables import activities, centres, coaches

if TYPE_CHECKING:
    from bench.scenario import SizeRun


def measure(run: SizeRun) -> None:
    say(f"planning: {run.size:,} centres admitted today")
    ids = run.add_centres(run.size, "Neue Kita", "basisbegleitung", TODAY, None)
    first, last = ids[0], ids[-1]
    ours = run.run_task(
        "planning",
        "plan_service",
        run.allowance.budget(run.budgets.planning),
        url=run.url,
        on=TODAY.isoformat(),
    )
    connection = run.raw()
    cursor = connection.execute(
        "SELECT * FROM activities WHERE centre_id BETWEEN ? AND ? ORDER BY id", (first, last)
    )
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    connection.close()
    source = "Service.plan()"
    if not rows:
        source = "the pure planner (Service.plan() did not finish)"
        columns, rows = _planner_rows(run, first, last)
    rows_file = run.folder / "planned-rows.pickle"
    rows_file.write_bytes(pickle.dumps((columns, rows)))
    run.execute(("DELETE FROM activities WHERE centre_id BETWEEN ? AND ?", (first, last)))
    base = run.run_task(
        "planning_raw",
        "insert_raw",
        run.allowance.budget(run.budgets.raw),
        url=run.url,
        rows_file=str(rows_file),
    )
    rows_file.unlink()
    run.drop_centres(first, last)
    run.results.add(
        run.figure(
            "planning_vs_executemany",
            ours,
            base,
            note=f"{len(rows):,} activity rows for {run.size:,} centres; rows from {source}",
        )
    )


def _planner_rows(
    run: SizeRun, first: int, last: int
) -> tuple[list[str], list[tuple[object, ...]]]:
    """The rows Service.plan() would write, from the package's pure planner."""
    calendar = CachedCalendar(run.workflow)
    encoder = Encoder(activities, run.engine.dialect)
    with run.engine.connect() as conn:
        rates = {r.id: r.rate for r in conn.execute(select(coaches))}
        found = conn.execute(select(centres).where(centres.c.id.between(first, last)))
        centre_rows = list(found)

    rows = []
    next_id = int(run.scalar("SELECT coalesce(max(id), 0) FROM activities")) + 1
    for r in centre_rows:
        centre = Centre(
            r.id, r.name, r.district, r.email, r.carrier, r.coach_id, r.stage, r.stage_since
        )
        admit = StageChange(
            r.id, "admit", "interessent", r.stage, TODAY, NOW, "fachstelle", None, False, 1
        )
        desired = plan(run.workflow, PlanInput(centre, (admit,), (), TODAY), calendar)
        changes = reconcile(desired, (), cancel_from=TODAY, insert_from=TODAY)
        for p in changes.insert:
            rows.append(
                encoder.encode(
                    {
                        "id": next_id,
                        "centre_id": r.id,
                        "kind": p.kind,
                        "key": p.key,
                        "stage": p.stage,
                        "date": p.date,
                        "status": "planned",
                        "hours": p.hours,
                        "coach_id": p.coach_id,
                        "note": None,
                        "rate": rates.get(p.coach_id) if p.coach_id else None,
                        "training_id": None,
                        "reason": None,
                        "moved": False,
                        "recorded_at": NOW,
                    }
                )
            )
            next_id += 1
    return encoder.names, rows
