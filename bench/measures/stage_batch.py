"""7. a stage change of all active centres (pause) through ``Service.advance_many`` against
set-based SQL; the raw statements run first (then are undone), because the service's run
changes the file for good."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bench.common import NOW, TODAY, say
from bench.measures import stored
from bench.synth import Encoder
from bench.synth.keeper import Keeper
from bench.synth.lives import ACTOR
from thekiz_flow.core.model import Centre, StageChange
from thekiz_flow.store.outbox import row_values as outbox_row
from thekiz_flow.store.tables import activities, outbox, stage_changes

if TYPE_CHECKING:
    from bench.scenario import SizeRun

PAUSED = "pausiert"


def measure(run: SizeRun) -> None:
    active = [s.id for s in run.workflow.stages.values() if s.active]
    marks = ", ".join("?" for _ in active)
    connection = run.raw()
    before = connection.execute(
        f"SELECT * FROM centres WHERE stage IN ({marks}) ORDER BY id", active
    )
    centre_columns = [d[0] for d in before.description]
    centre_rows = before.fetchall()
    ids = [row[0] for row in centre_rows]
    day = TODAY.isoformat()
    touched = connection.execute(
        "SELECT id, status, reason, recorded_at FROM activities WHERE date >= ? AND "
        "status IN ('planned', 'waiting')",
        (day,),
    ).fetchall()
    top_change = connection.execute("SELECT coalesce(max(id), 0) FROM stage_changes").fetchone()
    top_mail = connection.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()
    connection.close()
    say(f"stage change of all {len(ids):,} active centres (pause)")
    plan_file = run.folder / "stage-batch.pickle"
    plan_file.write_bytes(pickle.dumps(_batch_statements(run, centre_rows, centre_columns)))
    base = run.run_task(
        "stage_batch_raw",
        "stage_raw",
        run.allowance.budget(run.budgets.raw),
        url=run.url,
        plan_file=str(plan_file),
    )
    plan_file.unlink()
    # Undo the raw batch: the service's run starts from the same state.
    stage_at = centre_columns.index("stage")
    since_at = centre_columns.index("stage_since")
    resume_at = centre_columns.index("resume_stage")
    connection = run.raw()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "UPDATE centres SET stage = ?, stage_since = ?, resume_stage = ? WHERE id = ?",
        [(r[stage_at], r[since_at], r[resume_at], r[0]) for r in centre_rows],
    )
    connection.executemany(
        "UPDATE activities SET status = ?, reason = ?, recorded_at = ? WHERE id = ?",
        [(status, reason, recorded, aid) for aid, status, reason, recorded in touched],
    )
    connection.execute("DELETE FROM stage_changes WHERE id > ?", top_change)
    connection.execute("DELETE FROM outbox_attempts WHERE outbox_id > ?", top_mail)
    connection.execute("DELETE FROM outbox WHERE id > ?", top_mail)
    connection.execute("COMMIT")
    connection.close()
    ours = run.run_task(
        "stage_batch",
        "advance_all",
        run.allowance.budget(run.budgets.stage),
        url=run.url,
        ids=ids,
        trigger="pause",
        on=day,
    )
    run.results.add(
        run.figure(
            "stage_batch_vs_raw",
            ours,
            base,
            note=f"{len(ids):,} centres paused: Service.advance_many vs set-based SQL",
        )
    )


def _batch_statements(
    run: SizeRun, centre_rows: list[tuple[object, ...]], columns: list[str]
) -> dict[str, Any]:
    """What pausing every active centre writes, as raw statements on prepared values."""
    active = [s.id for s in run.workflow.stages.values() if s.active]
    marks = ", ".join("?" for _ in active)
    recorded = stored(activities, "recorded_at", NOW, run.engine)
    day = TODAY.isoformat()
    reason = "Stufenwechsel → Pausiert"
    in_active = f"centre_id IN (SELECT id FROM centres WHERE stage IN ({marks}))"
    statements = [
        (
            "UPDATE activities SET status = 'cancelled', reason = ?, recorded_at = ? WHERE "
            f"status = 'planned' AND kind IN ('coaching', 'site_visit') AND date >= ? "
            f"AND {in_active}",
            (reason, recorded, day, *active),
        ),
        (
            "UPDATE activities SET status = 'cancelled', reason = ?, recorded_at = ? WHERE "
            f"kind = 'training' AND status IN ('planned', 'waiting') AND date >= ? "
            f"AND {in_active}",
            (reason, recorded, day, *active),
        ),
        (
            "UPDATE centres SET resume_stage = stage, stage = 'pausiert', stage_since = ? "
            f"WHERE stage IN ({marks})",
            (day, *active),
        ),
    ]
    stage_at = columns.index("stage")
    changes = Encoder(stage_changes, run.engine.dialect)
    change_rows = [
        changes.encode(
            {
                "id": None,
                "centre_id": row[0],
                "trigger": "pause",
                "from_stage": row[stage_at],
                "to_stage": "pausiert",
                "effective": TODAY,
                "recorded_at": NOW,
                "actor": "fachstelle",
                "reason": None,
                "forced": False,
            }
        )
        for row in centre_rows
    ]
    mails = Encoder(outbox, run.engine.dialect)
    mail_rows = [mails.encode(row) for row in _notices(centre_rows, columns)]
    return {
        "centres": len(centre_rows),
        "statements": statements,
        "many": [
            (_insert_sql(changes), change_rows),
            (_insert_sql(mails), mail_rows),
        ],
    }


def _insert_sql(encoder: Encoder) -> str:
    names = ", ".join(f'"{n}"' for n in encoder.names)
    marks = ", ".join("?" for _ in encoder.names)
    return f"INSERT INTO {encoder.table.name} ({names}) VALUES ({marks})"


def _notices(
    centre_rows: list[tuple[object, ...]], columns: list[str]
) -> Iterator[dict[str, object]]:
    """The pending notices of the pause, as the service renders them (keys of their own)."""
    keeper = Keeper()
    for n, row in enumerate(centre_rows):
        values = dict(zip(columns, row, strict=True))
        carrier, coach_id = values["carrier"], values["coach_id"]
        centre = Centre(
            int(str(values["id"])),
            str(values["name"]),
            str(values["district"]),
            str(values["email"]),
            None if carrier is None else str(carrier),
            None if coach_id is None else int(str(coach_id)),
            PAUSED,
            TODAY,
        )
        change = StageChange(
            centre.id, "pause", str(values["stage"]), PAUSED, TODAY, NOW, ACTOR, None, False, n + 1
        )
        for mail in keeper.notices(change, centre):
            row_values = outbox_row(replace(mail, key=f"stage_changed:bench{n}:{mail.role}"), NOW)
            row_values.update(id=None, lease_until=None, ambiguous=False, sent_at=None)
            yield row_values
