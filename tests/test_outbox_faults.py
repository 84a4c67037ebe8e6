"""The dispatcher against real SMTP servers that fail (451, 550, a hang-up, no server), and ticks.

The service's dispatch (claim, commit, SMTP, settle) runs against an aiosmtpd server on
loopback; each test counts what the server really received. The tick tests catch up after
downtime and repeat ticks; every mail must arrive exactly once. (The store's claims and
fences alone: tests/store/test_outbox.py.)
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, event

from tests.cli_helpers import dump
from tests.conftest import BERLIN
from tests.outbox_helpers import OFFICE, add_pending, message_id, rows, smtp_service
from tests.smtp_servers import (
    HangUpServer,
    RecordingServer,
    RefusingServer,
    TempFailServer,
    free_port,
)
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, OutboxStatus
from thekiz_flow.core.model import ActivityFilter, CentreInput, Workflow
from thekiz_flow.core.outbox import OutboxRow
from thekiz_flow.mail.delivery import AFTER_DATA
from thekiz_flow.service import Service
from thekiz_flow.service.outbox import NOTICE_RULE, backoff


def duplicates(message_ids: list[str]) -> set[str]:
    return {mid for mid, count in Counter(message_ids).items() if count > 1}


def test_one_dispatch_sends_all_over_one_connection_per_batch(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    ids = add_pending(engine, 5, clock.now())
    with RecordingServer() as server:
        report = smtp_service(engine, workflow, clock, server.port, batch_size=2).outbox.dispatch()
    assert (report.sent, report.retried, report.failed) == (5, 0, 0)
    assert server.connections == 3  # batches of 2, 2 and 1
    found = rows(engine)
    assert [found[i].status for i in ids] == [OutboxStatus.SENT] * 5
    assert {found[i].sent_at for i in ids} == {clock.now()}
    assert server.message_ids == [message_id(found[i]) for i in ids]
    assert [r.recipients for r in server.received] == [(found[i].recipient,) for i in ids]


def test_451_is_retried_after_the_backoff_and_sent_once(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    ids = add_pending(engine, 4, clock.now())
    with TempFailServer(times=2) as server:
        service = smtp_service(engine, workflow, clock, server.port)
        first = service.outbox.dispatch()
        assert (first.sent, first.retried, first.failed) == (2, 2, 0)
        found = rows(engine)
        for refused in ids[:2]:
            row = found[refused]
            assert (row.status, row.attempts, row.ambiguous) == (OutboxStatus.PENDING, 1, False)
            assert "451" in (row.last_error or "")
            assert row.next_attempt_at == clock.now() + backoff(1) > clock.now()
        assert service.outbox.dispatch().sent == 0  # not before the backoff
        clock.advance(backoff(1) + timedelta(seconds=1))
        second = service.outbox.dispatch()
    assert (second.sent, second.retried, second.failed) == (2, 0, 0)
    found = rows(engine)
    assert [found[i].status for i in ids] == [OutboxStatus.SENT] * 4
    assert [found[i].attempts for i in ids] == [2, 2, 1, 1]
    assert sorted(server.message_ids) == sorted(message_id(found[i]) for i in ids)
    assert duplicates(server.message_ids) == set()


def test_550_fails_one_for_good_and_tells_the_office_once(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    ids = add_pending(engine, 3, clock.now(), to={2: "unbekannt@example.org"})
    with RefusingServer("unbekannt@example.org") as server:
        service = smtp_service(engine, workflow, clock, server.port)
        first = service.outbox.dispatch(batches=1)
        assert (first.sent, first.retried, first.failed) == (2, 0, 1)
        found = rows(engine)
        assert [found[i].status for i in ids] == [
            OutboxStatus.SENT,
            OutboxStatus.FAILED,
            OutboxStatus.SENT,
        ]
        assert found[ids[1]].last_error == "SMTP 550: 5.1.1 Mailbox unbekannt"
        [notice] = [r for r in found.values() if r.rule == NOTICE_RULE]
        assert notice.key == f"{NOTICE_RULE}:{ids[1]}"
        assert (notice.recipient, notice.status) == (OFFICE, OutboxStatus.PENDING)
        assert "unbekannt@example.org" in notice.subject
        assert service.outbox.dispatch().sent == 1  # the notice
        assert service.outbox.dispatch().sent == 0
        service.outbox.retry(ids[1])  # the office tries once more: refused again, no second notice
        again = service.outbox.dispatch()
        assert (again.sent, again.failed) == (0, 1)
    found = rows(engine)
    assert [r.key for r in found.values() if r.rule == NOTICE_RULE] == [notice.key]
    assert found[notice.id].status == OutboxStatus.SENT
    assert [r.recipients for r in server.received].count((OFFICE,)) == 1
    assert sorted(server.message_ids) == sorted(
        message_id(found[i]) for i in (ids[0], ids[2], notice.id)
    )


def test_a_hang_up_mid_data_is_ambiguous_and_delivered_later(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    ids = add_pending(engine, 3, clock.now())
    with HangUpServer(times=1) as server:
        service = smtp_service(engine, workflow, clock, server.port)
        first = service.outbox.dispatch()
        assert (first.sent, first.retried) == (2, 1)
        row = rows(engine)[ids[0]]
        assert (row.status, row.ambiguous, row.last_error) == (
            OutboxStatus.PENDING,
            True,
            AFTER_DATA,
        )
        assert row.next_attempt_at > clock.now()
        clock.advance(backoff(1) + timedelta(seconds=1))
        assert service.outbox.dispatch().sent == 1  # the server is a normal one by now
    found = rows(engine)
    assert [found[i].status for i in ids] == [OutboxStatus.SENT] * 3
    assert set(server.message_ids) == {message_id(found[i]) for i in ids}
    # The server kept the content before it hung up, so the resend is a duplicate: the same
    # Message-ID twice (only the Date differs). This is the one case the outbox marks
    # `ambiguous`, and the stable Message-ID lets a mail client drop the second copy.
    first_id = message_id(found[ids[0]])
    assert duplicates(server.message_ids) == {first_id}
    assert server.message_ids.count(first_id) == 2


def test_a_server_down_for_a_while_gets_everything_once(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    port = free_port()
    ids = add_pending(engine, 3, clock.now())
    service = smtp_service(engine, workflow, clock, port)
    for attempt in (1, 2):
        report = service.outbox.dispatch()
        assert (report.sent, report.retried, report.failed) == (0, 3, 0)
        found = rows(engine)
        assert {(found[i].status, found[i].attempts) for i in ids} == {
            (OutboxStatus.PENDING, attempt)
        }
        assert {found[i].last_error for i in ids} == {
            f"Keine Verbindung zu 127.0.0.1:{port}: Verbindung abgelehnt"
        }
        clock.advance(backoff(attempt) + timedelta(seconds=1))
    with RecordingServer(port) as server:
        assert service.outbox.dispatch().sent == 3
    found = rows(engine)
    assert [found[i].status for i in ids] == [OutboxStatus.SENT] * 3
    assert server.message_ids == [message_id(found[i]) for i in ids]


# Ticks: reminders become outbox rows once, and a catch-up after downtime sends each once.
# Mid-March 2026: clear of the monthly overview's first week and the yearly digest's window.


def at(day: int, hour: int) -> datetime:
    return datetime.combine(date(2026, 3, day), time(hour), BERLIN)


def three_admitted_centres(service: Service, clock: FrozenClock) -> list[int]:
    """Centres admitted on 16, 17 and 18 March 2026; their first sessions are on those days."""
    coach = service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    centres = []
    for day in (16, 17, 18):
        clock.set(noon(date(2026, 3, day), BERLIN))
        given = CentreInput(f"Kita {day}", "Gera", f"kita{day}@example.org", coach=str(coach))
        centre = service.registry.add_centre(given)
        service.lifecycle.advance(centre, "admit")
        centres.append(centre)
    return centres


def unrecorded_keys(service: Service, centres: list[int]) -> list[str]:
    """The first "please record the session" reminder of each centre: session day + 3."""
    keys = []
    for centre in centres:
        sessions = service.overview.activities(
            ActivityFilter(centre_id=centre, kind=ActivityKind.COACHING)
        )
        first = min(sessions, key=lambda a: a.date)
        keys.append(f"session_unrecorded:a{first.id}:{first.date + timedelta(days=3)}:coach")
    return keys


def reminders(engine: Engine, workflow: Workflow) -> dict[str, OutboxRow]:
    names = {rule.id for rule in workflow.reminders}
    return {row.key: row for row in rows(engine).values() if row.rule in names}


def assert_each_sent_row_received_once(engine: Engine, server: RecordingServer) -> None:
    sent = [message_id(row) for row in rows(engine).values() if row.status == OutboxStatus.SENT]
    assert sorted(server.message_ids) == sorted(sent)
    assert duplicates(server.message_ids) == set()


def test_three_days_of_downtime_are_caught_up_exactly_once(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    with RecordingServer() as server:
        service = smtp_service(engine, workflow, clock, server.port)
        keys = unrecorded_keys(service, three_admitted_centres(service, clock))
        assert [k.split(":")[2] for k in keys] == ["2026-03-19", "2026-03-20", "2026-03-21"]
        clock.set(at(18, 18))
        assert service.ticks.tick().reminders.new == 0
        assert reminders(engine, workflow) == {}
        last_tick, before = clock.now(), len(server.received)
        clock.set(at(22, 18))  # no tick on 19, 20 and 21 March
        report = service.ticks.tick()
        assert (report.reminders.new, report.reminders.missed) == (3, 1)
        received = list(server.message_ids)
        for later in (timedelta(0), timedelta(hours=1)):
            clock.set(at(22, 18) + later)
            again = service.ticks.tick()
            assert (again.reminders.new, again.mail.sent) == (0, 0)
        assert server.message_ids == received
        found = reminders(engine, workflow)
        assert sorted(found) == keys
        assert all(row.due_at > last_tick for row in found.values())
        late = timedelta(days={r.id: r for r in workflow.reminders}["session_unrecorded"].late_days)
        for row in found.values():  # within late_days: sent (or waits for a working day)
            assert row.status == (
                OutboxStatus.MISSED
                if row.due_at < at(22, 18) - late
                else OutboxStatus.PENDING
                if row.due_at > at(22, 18)
                else OutboxStatus.SENT
            )
        # the 21st is a Saturday: its reminder waits for Monday 08:00, then goes once
        assert [found[k].status for k in keys] == [
            OutboxStatus.MISSED,
            OutboxStatus.SENT,
            OutboxStatus.PENDING,
        ]
        assert found[keys[2]].due_at == at(23, 8)
        assert found[keys[0]].attempts == 0
        assert report.mail.sent == len(received) - before
        assert [m for m in received if m in {message_id(r) for r in found.values()}] == [
            message_id(found[keys[1]])
        ]
        for moment in (at(23, 8), at(23, 8)):  # a tick at the hour, and once more
            clock.set(moment)
            service.ticks.tick()
        found = reminders(engine, workflow)
        assert found[keys[2]].status == OutboxStatus.SENT
        assert found[keys[2]].sent_at == at(23, 8)
        assert_each_sent_row_received_once(engine, server)


def test_a_tick_asks_for_the_existing_keys_once_not_once_per_reminder(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    service = smtp_service(engine, workflow, clock, free_port())
    three_admitted_centres(service, clock)
    lookups: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if re.match(r'SELECT outbox\.("key"|key)\s+FROM outbox', statement):
            lookups.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with service.runtime.unit() as repo:
            assert service.reminders.remind(repo, at(21, 9)).due == 3
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(lookups) == 1  # one query for the 3 due keys (up to 500 keys per query)


def test_a_repeated_tick_sends_nothing_twice(
    engine: Engine, workflow: Workflow, clock: FrozenClock, database_url: str
) -> None:
    with RecordingServer() as server:
        service = smtp_service(engine, workflow, clock, server.port)
        keys = unrecorded_keys(service, three_admitted_centres(service, clock))
        clock.set(at(21, 9))
        assert service.ticks.tick().reminders.new == 3
        found = [r.status for r in reminders(engine, workflow).values()]
        sent, pending = OutboxStatus.SENT, OutboxStatus.PENDING
        assert found == [sent, sent, pending]  # the 21st is a Saturday: Monday's
        before, received = dump(database_url), list(server.message_ids)
        other = smtp_service(engine, workflow, FrozenClock(clock.now()), server.port)
        for ticking in (service, service, other):
            report = ticking.ticks.tick()
            assert (report.reminders.new, report.mail.sent) == (0, 0)
        assert dump(database_url) == before
        assert server.message_ids == received
    assert sorted(reminders(engine, workflow)) == sorted(keys)
    all_keys = [row.key for row in rows(engine).values()]
    assert len(all_keys) == len(set(all_keys))
    assert_each_sent_row_received_once(engine, server)
