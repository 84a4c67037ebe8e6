"""Dispatchers as real processes: kill -9 at chosen points, and two at once on PostgreSQL.

Each dispatcher is `thekiz-flow --config c.toml outbox send` in a subprocess, on the system
clock, with rows due a minute ago. The SMTP server itself chooses when to kill the process.
"""

from __future__ import annotations

import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from tests.outbox_helpers import (
    AFTER_250,
    MID_DATA,
    ON_CONNECT,
    KillingServer,
    add_pending,
    finish,
    leases,
    message_id,
    rows,
    sent_count,
    start_dispatcher,
    stop,
    write_config,
)
from tests.smtp_servers import RecordingServer
from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.store.tables import outbox

LEASE = 30  # seconds: a restart fits in it, even on a busy machine
TIMEOUT = 2  # seconds, [mail.smtp] timeout: less than the lease


def dispatch_once(config: Path, database_url: str) -> str:
    """One dispatcher run to its end; its output."""
    process = start_dispatcher(config, database_url)
    try:
        code, out = finish(process)
    finally:
        stop(process)
    assert code == 0, out
    return out


@pytest.mark.parametrize("point", [ON_CONNECT, MID_DATA, AFTER_250])
def test_kill_9_of_a_dispatcher_loses_nothing(
    point: str, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ids = add_pending(engine, 3, datetime.now(UTC) - timedelta(minutes=1))
    leased, free = ids[:2], ids[2]  # a batch is two: the killed dispatcher claims 1 and 2
    with KillingServer(point) as server:
        config = write_config(
            tmp_path / "c.toml", server.port, batch_size=2, lease_seconds=LEASE, timeout=TIMEOUT
        )
        killed = start_dispatcher(config, database_url)
        try:
            server.target(killed)
            code, out = finish(killed)
        finally:
            stop(killed)
        assert code == -signal.SIGKILL, out
        found = rows(engine)
        assert [found[i].status for i in ids] == [
            OutboxStatus.SENDING,
            OutboxStatus.SENDING,
            OutboxStatus.PENDING,
        ]
        assert [found[i].attempts for i in ids] == [1, 1, 0]
        lease_until = leases(engine)
        assert lease_until[free] is None
        expires = max(lease_until[i] or datetime.min.replace(tzinfo=UTC) for i in leased)
        answered = server.answered_before_kill
        assert answered == ([message_id(found[ids[0]])] if point == AFTER_250 else [])
        assert server.message_ids == answered

        # Restarted while the lease holds: only the row nobody claimed goes out.
        assert sent_count(dispatch_once(config, database_url)) == 1
        assert datetime.now(UTC) < expires, "the restart outlived the lease: inconclusive"
        found = rows(engine)
        assert [found[i].status for i in ids] == [
            OutboxStatus.SENDING,
            OutboxStatus.SENDING,
            OutboxStatus.SENT,
        ]
        assert server.message_ids == [*answered, message_id(found[free])]

        # After the lease (its end moved to the past: the killed holder is gone): the rest
        # goes out, and nothing is lost.
        with engine.begin() as connection:
            ended = datetime.now(UTC) - timedelta(seconds=1)
            stmt = update(outbox).where(outbox.c.id.in_(leased)).values(lease_until=ended)
            connection.execute(stmt)
        assert sent_count(dispatch_once(config, database_url)) == 2
    found = rows(engine)
    assert [found[i].status for i in ids] == [OutboxStatus.SENT] * 3
    assert [found[i].attempts for i in ids] == [2, 2, 1]
    assert set(server.message_ids) == {message_id(found[i]) for i in ids}
    # The only duplicates: what the server had answered 250 before the kill (case after_250),
    # sent again with the same Message-ID.
    twice = {mid for mid, count in Counter(server.message_ids).items() if count > 1}
    assert twice == set(answered)
    assert len(server.message_ids) == 3 + len(answered)


@pytest.mark.backends("postgresql")
def test_two_dispatchers_on_one_postgresql_send_each_mail_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    count = 2000
    ids = add_pending(engine, count, datetime.now(UTC) - timedelta(minutes=1))
    with RecordingServer() as server:
        config = write_config(tmp_path / "c.toml", server.port, batch_size=50, lease_seconds=60)
        processes = [start_dispatcher(config, database_url) for _ in range(2)]
        try:
            results = [finish(p, timeout=90) for p in processes]
        finally:
            for process in processes:
                stop(process)
    assert [code for code, _ in results] == [0, 0], results
    sent = [sent_count(out) for _, out in results]
    assert sum(sent) == count
    assert min(sent) > 0, sent  # both took their share
    found = rows(engine)
    assert {found[i].status for i in ids} == {OutboxStatus.SENT}
    assert {found[i].attempts for i in ids} == {1}
    assert len(server.received) == count
    assert len(set(server.message_ids)) == count
    assert set(server.message_ids) == {message_id(found[i]) for i in ids}
