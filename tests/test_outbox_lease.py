"""The lease: a dispatcher never sends a message whose claim it no longer holds.

Dispatchers are `thekiz-flow --config c.toml outbox send` in processes of their own, on the
system clock, with a lease shorter than a batch takes; every row must reach the server
exactly once, counted by Message-ID on the server side.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.outbox_helpers import (
    PausingServer,
    add_pending,
    finish,
    leases,
    message_id,
    rows,
    sent_count,
    smtp_service,
    start_dispatcher,
    stop,
    write_config,
)
from tests.smtp_servers import SlowServer
from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.core.model import Mail, Workflow
from thekiz_flow.core.outbox import Claim
from thekiz_flow.service.outbox import CLOCK_SKEW, Hold
from thekiz_flow.store.simulation import SystemClock

LEASE = 2  # seconds: the shortest [mail] lease_seconds, above the SMTP timeout
TIMEOUT = 1  # seconds, [mail.smtp] timeout


@pytest.mark.backends("sqlite", "postgresql")  # concurrent claims: SKIP LOCKED on PostgreSQL
def test_two_dispatchers_with_a_lease_shorter_than_a_batch_send_each_row_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """A batch of 16 takes over 5 s at 0.1 s per SMTP command, far more than the lease of 3 s
    (which leaves every message 2 s, its SMTP timeout)."""
    count = 32
    ids = add_pending(engine, count, datetime.now(UTC) - timedelta(minutes=1))
    with SlowServer(0.1) as server:
        config = write_config(
            tmp_path / "c.toml", server.port, batch_size=16, lease_seconds=3, timeout=2
        )
        processes = [start_dispatcher(config, database_url) for _ in range(2)]
        try:
            results = [finish(p, timeout=60) for p in processes]
        finally:
            for process in processes:
                stop(process)
    assert [code for code, _ in results] == [0, 0], results
    assert sum(sent_count(out) for _, out in results) == count
    found = rows(engine)
    assert {found[i].status for i in ids} == {OutboxStatus.SENT}
    assert Counter(server.message_ids) == {message_id(found[i]): 1 for i in ids}


def test_a_dispatcher_paused_past_its_lease_sends_nothing_it_no_longer_holds(
    engine: Engine, workflow: Workflow, database_url: str, tmp_path: Path
) -> None:
    ids = add_pending(engine, 6, datetime.now(UTC) - timedelta(minutes=1))
    with PausingServer() as server:
        config = write_config(
            tmp_path / "c.toml", server.port, batch_size=6, lease_seconds=LEASE, timeout=TIMEOUT
        )
        paused = start_dispatcher(config, database_url)
        try:
            server.target(paused)
            assert server.paused.wait(30), "the dispatcher never connected"
            expires = max(lease for lease in leases(engine).values() if lease is not None)
            deadline = time.monotonic() + LEASE + 5
            while datetime.now(UTC) <= expires:
                assert time.monotonic() < deadline
                time.sleep(0.05)

            # Another dispatcher (this process) takes the whole batch over and sends it.
            other = smtp_service(engine, workflow, SystemClock(), server.port, batch_size=6)
            assert other.outbox.dispatch().sent == 6
            sent_by_other = list(server.message_ids)

            os.kill(paused.pid, signal.SIGCONT)
            code, out = finish(paused)
        finally:
            stop(paused)
    assert (code, sent_count(out)) == (0, 0), out
    assert server.message_ids == sent_by_other  # nothing more once it went on
    found = rows(engine)
    assert {found[i].status for i in ids} == {OutboxStatus.SENT}
    assert {found[i].attempts for i in ids} == {2}
    assert Counter(server.message_ids) == {message_id(found[i]): 1 for i in ids}


def test_a_lease_shorter_than_the_smtp_timeout_is_renewed_with_half_of_it_left() -> None:
    """Lease 4 s, SMTP timeout 30 s: sending goes on until 2 s are left, then it renews."""
    mail = Mail(1, "k", "a@example.org", "Betreff", "Text", "<p>Text</p>", ())
    renewals: list[float] = []

    def renew(claims: list[Claim]) -> set[int]:
        renewals.append(time.monotonic())
        return {claim.mail.id for claim in claims}

    started = time.monotonic()
    hold = Hold([Claim(mail, 1)], started, 4.0, 30.0, renew)
    assert hold.deadline(mail) == pytest.approx(started + 4.0 - CLOCK_SKEW)
    assert renewals == []  # 3.5 s left, more than half the lease: no renewal per message
    later = Hold([Claim(mail, 1)], started - 2.5, 4.0, 30.0, renew)
    deadline = later.deadline(mail)  # 1 s left: renewed first
    assert len(renewals) == 1
    assert deadline is not None
    assert deadline == pytest.approx(renewals[0] + 4.0 - CLOCK_SKEW, abs=0.05)
