"""The bench's synthetic history holds what the service would have sent.

The last weeks of a generated history are replayed by the service's own ticks: the
reminders the history holds for those weeks are taken out of the outbox, the tick mark set
back, and the service ticks twice a day up to the bench's moment. Every row the ticks make
must be one the history held, field for field (key, rule, role, recipient, subject, both
bodies, due time); every row the history held must come back, unless its event has moved on
since (an activity no longer planned, a stay left, a training taken up), which a replay
over the final state cannot see. So a change of the workflow's rules, keys, addresses or
templates that the generator does not follow fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, insert, select

from bench.common import BERLIN, TICK_BEFORE, service
from bench.synth import HistoryGenerator
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.model import Workflow
from thekiz_flow.core.reminders import activity_of
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.simulation import copy_sqlite
from thekiz_flow.store.tables import (
    MAIL_HELD,
    activities,
    centres,
    outbox,
    stage_changes,
    state,
    trainings,
)

SIZE = 300
REPLAY_DAYS = 42
TICKS = (time(8, 0, 10), time(11, 0, 10))  # after the day's reminders; after stage changes
COMPARED = ("rule", "centre_id", "role", "recipient", "subject", "body_text", "body_html")
#: A training-deadline mail lists the next offerings with free seats as the catalogue is at
#: the tick; the history does not keep the catalogue of each past day (its mails list none),
#: so of these mails everything but the bodies is compared.
BODIES_AS_OF_THE_TICK = {"training_deadline"}


def _rows(engine: Engine, rules: set[str], after: datetime) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(outbox).where(outbox.c.rule.in_(rules), outbox.c.created_at > after)
        )
        return {row.key: dict(row._mapping) for row in found}


def _moved_on(engine: Engine, workflow: Workflow, row: dict[str, Any]) -> bool:
    """Whether the event of a reminder is no longer what its rule follows (see above): an
    activity no longer planned; a centre that left the stay, or took the training up."""
    (rule,) = [r for r in workflow.reminders if r.id == row["rule"]]
    if rule.follows == "activity":
        with engine.connect() as conn:
            status = conn.execute(
                select(activities.c.status).where(activities.c.id == activity_of(row["key"]))
            ).scalar_one()
        return bool(status != ActivityStatus.PLANNED)
    with engine.connect() as conn:
        left = conn.execute(
            select(stage_changes.c.id).where(
                stage_changes.c.centre_id == row["centre_id"],
                stage_changes.c.recorded_at > row["created_at"],
            )
        ).first()
        taken = conn.execute(
            select(activities.c.id)
            .join(trainings, trainings.c.id == activities.c.training_id)
            .join(centres, centres.c.id == activities.c.centre_id)
            .where(
                activities.c.centre_id == row["centre_id"],
                activities.c.status.in_((ActivityStatus.PLANNED, ActivityStatus.HELD)),
                trainings.c.kind == row["key"].split(":")[2],
                trainings.c.date >= centres.c.episode_start,
            )
        ).first()
    return left is not None or (rule.follows == "training_deadline" and taken is not None)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, workflow: Workflow) -> Path:
    """One generated history (SQLite) for the module: each test gets a copy of it."""
    path = tmp_path_factory.mktemp("history") / "history.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        HistoryGenerator(engine, workflow, SIZE).generate()
    finally:
        engine.dispose()
    return path


@pytest.fixture
def history(generated: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "history.db"
    copy_sqlite(generated, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def test_service_ticks_replay_the_histories_reminders(history: Engine, workflow: Workflow) -> None:
    engine = history
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
                report = service(engine, now=now).ticks.tick()
                assert report.plan.centres == 0  # every centre planned under the current rules
                assert report.reminders.missed == 0

    made = _rows(engine, rules, start)
    assert len(made) >= 40, "the replayed weeks should remind of something"
    assert len({r["rule"] for r in made.values()}) >= 5  # of the 6 that are not budget
    assert set(made) <= set(held), f"not in the history: {sorted(set(made) - set(held))[:5]}"
    for key, row in made.items():
        was = held[key]
        fields: tuple[str, ...] = COMPARED
        if row["rule"] in BODIES_AS_OF_THE_TICK:
            fields = tuple(f for f in COMPARED if not f.startswith("body_"))
        assert {f: row[f] for f in fields} == {f: was[f] for f in fields}, key
        assert row["due_at"] == was["due_at"], key
        assert row["status"] == was["status"] == "sent", key
    gone = [k for k in set(held) - set(made) if not _moved_on(engine, workflow, held[k])]
    assert not gone, f"held but not made again: {sorted(gone)[:5]}"


def test_the_history_s_older_mails_hold_no_texts_as_retention_leaves_them(
    history: Engine,
) -> None:
    """The ticks' daily retention would have emptied the texts of the mails settled more than
    a year before: the history holds them so, and the next retention finds nothing to do."""
    assert service(history).privacy.retention(apply=False).mail_bodies == 0
    with history.connect() as conn:
        held, emptied = (
            conn.execute(select(func.count()).select_from(outbox).where(where)).scalar_one()
            for where in (MAIL_HELD, ~MAIL_HELD)
        )
    assert 0 < held < emptied


def test_the_history_s_centres_that_left_long_ago_have_no_address_as_retention_leaves_them(
    history: Engine, workflow: Workflow
) -> None:
    """The ticks' daily retention would have erased the contact address of a centre that
    left more than three years before: the history holds it so, and the next retention
    finds none; a centre that left later keeps its address."""
    assert service(history).privacy.retention(apply=False).centre_count == 0
    final = [s for s, stage in workflow.stages.items() if stage.final]
    with history.connect() as conn:
        left = conn.execute(select(centres.c.email).where(centres.c.stage.in_(final))).scalars()
        erased = [e.endswith("@geloescht.invalid") for e in left]
    assert any(erased)
    assert not all(erased)
