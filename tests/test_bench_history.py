"""The bench's synthetic history holds what the service would have sent.

The last weeks of a generated history are replayed by the service's own ticks: the
reminders the history holds for those weeks are taken out of the outbox, the tick mark set
back, and the service ticks twice a day up to the bench's moment. Every row the ticks make
must be one the history held, field for field (key, rule, role, recipient, subject, both
bodies, due time); every row the history held must come back, unless its event has moved on
since (an activity no longer planned, a stay left), which a replay over the final state
cannot see. So a change of the workflow's rules, keys, addresses or templates that the
generator does not follow fails here.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from bench.common import BERLIN, TICK_BEFORE, service
from bench.synth import HistoryGenerator
from thekiz_flow.core.model import PLANNED, Workflow
from thekiz_flow.core.reminders import activity_of
from thekiz_flow.store.tables import activities, centres, outbox, stage_changes, state

SIZE = 150
REPLAY_DAYS = 28
TICKS = (time(8, 0, 10), time(11, 0, 10))  # after the day's reminders; after stage changes
# Rules the generator does not model (yet): the replay leaves their rows aside.
NOT_GENERATED = frozenset({"eligible", "training_deadline"})
COMPARED = ("rule", "centre_id", "role", "recipient", "subject", "body_text", "body_html")


def _rows(engine: Engine, rules: set[str], after: datetime) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(outbox).where(outbox.c.rule.in_(rules), outbox.c.created_at > after)
        )
        return {row.key: dict(row._mapping) for row in found}


def _moved_on(engine: Engine, workflow: Workflow, key: str) -> bool:
    """Whether the event of a reminder is no longer what its rule follows (see above)."""
    (rule,) = [r for r in workflow.reminders if r.id == key.split(":")[0]]
    with engine.connect() as conn:
        if rule.follows == "activity":
            activity = activity_of(key)
            status = conn.execute(
                select(activities.c.status).where(activities.c.id == activity)
            ).scalar_one()
            return bool(status != PLANNED)
        centre_id, change_id = (int(part.lstrip("c")) for part in key.split(":")[1:3])
        change = conn.execute(select(stage_changes).where(stage_changes.c.id == change_id)).one()
        centre = conn.execute(select(centres).where(centres.c.id == centre_id)).one()
        return bool(centre.stage_since != change.effective or centre.stage != change.to_stage)


def test_service_ticks_replay_the_histories_reminders(engine: Engine, workflow: Workflow) -> None:
    HistoryGenerator(engine, workflow, SIZE).generate()
    rules = {r.id for r in workflow.reminders}
    start = datetime.combine(TICK_BEFORE.date() - timedelta(days=REPLAY_DAYS), TICKS[0], BERLIN)
    held = _rows(engine, rules, start)
    with engine.begin() as conn:
        conn.execute(delete(outbox).where(outbox.c.key.in_(list(held))))
        conn.execute(delete(state).where(state.c.name == "last_tick"))
        conn.execute(insert(state).values(name="last_tick", at=start))

    day = start.date()
    while (day := day + timedelta(days=1)) <= TICK_BEFORE.date():
        for moment in TICKS:
            now = datetime.combine(day, moment, BERLIN)
            if now < TICK_BEFORE:
                report = service(engine, now=now).tick()
                assert report.plan.centres == 0  # every centre planned under the current rules
                assert report.reminders.missed == 0

    made = {k: r for k, r in _rows(engine, rules, start).items() if r["rule"] not in NOT_GENERATED}
    assert len(made) >= 10, "the replayed weeks should remind of something"
    assert len({r["rule"] for r in made.values()}) >= 3
    assert set(made) <= set(held), f"not in the history: {sorted(set(made) - set(held))[:5]}"
    for key, row in made.items():
        was = held[key]
        assert {f: row[f] for f in COMPARED} == {f: was[f] for f in COMPARED}, key
        assert row["due_at"] == was["due_at"], key
        assert row["status"] == was["status"] == "sent", key
    gone = [key for key in set(held) - set(made) if not _moved_on(engine, workflow, key)]
    assert not gone, f"held but not made again: {sorted(gone)[:5]}"
