"""The outbox: each key written once (streamed a chunk at a time, the new ones counted),
claimed with a lease, renewed and marked only while the claim holds, retried, withdrawn."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from tests.outbox_helpers import add_pending, leases, rows
from tests.store.helpers import Unit, centre
from thekiz_flow.core.enums import DeliveryStatus, OutboxStatus, Recipient
from thekiz_flow.core.lists import OutboxQuery
from thekiz_flow.core.outbox import Attempt, Claim, NewMail, Recipe, Retry
from thekiz_flow.store.outbox import ADD_CHUNK, row_values
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import outbox

NOW = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)


def new_mail(n: int) -> NewMail:
    return NewMail(
        key=f"test:{n}",
        rule="test",
        role=Recipient.OFFICE,
        recipient=f"person{n}@example.org",
        subject=f"Nachricht {n}",
        text=f"Guten Tag, Nachricht {n}.\n",
        html=f"<p>Guten Tag, Nachricht {n}.</p>\n",
        due_at=NOW,
    )


def stored(repo: Repository) -> int:
    return sum(repo.outbox.counts().values())


def test_many_mails_from_a_generator_are_all_stored_and_counted(unit: Unit) -> None:
    count = 2 * ADD_CHUNK + 7
    with unit() as repo:
        added = repo.outbox.add((new_mail(n) for n in range(count)), NOW)
        keys = {row.key for row in repo.outbox.find()}
    assert added == count
    assert keys == {f"test:{n}" for n in range(count)}


def test_only_new_keys_count_even_when_old_ones_span_the_chunks(unit: Unit) -> None:
    with unit() as repo:
        assert repo.outbox.add([new_mail(n) for n in range(0, 3 * ADD_CHUNK, 2)], NOW)
    with unit() as repo:
        added = repo.outbox.add((new_mail(n) for n in range(3 * ADD_CHUNK)), NOW)
        total = stored(repo)
        (subject,) = [row.subject for row in repo.outbox.find() if row.key == "test:0"]
    assert added == 3 * ADD_CHUNK - len(range(0, 3 * ADD_CHUNK, 2))
    assert total == 3 * ADD_CHUNK
    assert subject == "Nachricht 0"


def test_a_key_twice_in_one_call_is_stored_once(unit: Unit) -> None:
    mails = [new_mail(1), new_mail(2), new_mail(1)]
    with unit() as repo:
        assert repo.outbox.add(mails, NOW) == 2
        assert stored(repo) == 2
        assert repo.outbox.existing({"test:1", "test:3"}) == {"test:1"}


def test_nothing_to_add_writes_nothing(unit: Unit) -> None:
    with unit() as repo:
        assert repo.outbox.add(iter(()), NOW) == 0
        assert stored(repo) == 0


def test_the_mails_are_written_before_the_next_chunk_is_made(unit: Unit) -> None:
    """A generator is never drained up front: mail k is asked for after all earlier chunks
    are in the table, so many rendered mails are never held at once."""
    seen: list[int] = []

    def mails(repo: Repository) -> Iterator[NewMail]:
        for n in range(3 * ADD_CHUNK):
            seen.append(stored(repo))
            yield new_mail(n)

    with unit() as repo:
        assert repo.outbox.add(mails(repo), NOW) == 3 * ADD_CHUNK
    assert seen == [n - n % ADD_CHUNK for n in range(3 * ADD_CHUNK)]


def test_a_row_as_written(unit: Unit) -> None:
    undeliverable = NewMail(
        "test:x",
        "test",
        Recipient.COACH,
        "",
        "nicht zustellbar",
        "",
        "",
        NOW,
        None,
        OutboxStatus.FAILED,
        "fehlt",
    )
    with unit() as repo:
        repo.outbox.add([new_mail(1), undeliverable], NOW)
    with unit() as repo:
        first, failed = repo.outbox.find()
        assert repo.outbox.get(first.id) == first
        assert repo.outbox.get(failed.id + 1) is None
        assert repo.outbox.find(OutboxStatus.FAILED) == [failed]
        assert repo.outbox.find(limit=1) == [first]
        assert repo.outbox.counts() == {OutboxStatus.PENDING: 1, OutboxStatus.FAILED: 1}
    assert (first.key, first.rule, first.role, first.recipient) == (
        "test:1",
        "test",
        "office",
        "person1@example.org",
    )
    assert (first.status, first.attempts, first.due_at, first.next_attempt_at) == (
        OutboxStatus.PENDING,
        0,
        NOW,
        NOW,
    )
    assert (first.last_error, first.ambiguous, first.sent_at) == (None, False, None)
    assert (failed.status, failed.last_error) == (OutboxStatus.FAILED, "fehlt")


def test_a_row_is_stored_as_sqlalchemy_itself_would_store_it(unit: Unit, engine: Engine) -> None:
    """``add`` binds its values for the driver's executemany itself: the stored form of every
    column (times in UTC and as text on SQLite, roles and statuses by value) is the one a
    plain SQLAlchemy INSERT of the same row gives, so comparisons in SQL hold for both."""
    summer = NOW.astimezone(ZoneInfo("Europe/Berlin")) + timedelta(microseconds=5)
    with unit() as repo:
        repo.outbox.add([replace(new_mail(1), due_at=summer)], summer)
    with engine.begin() as conn:
        conn.execute(insert(outbox), row_values(replace(new_mail(2), due_at=summer), summer))
        raw = conn.exec_driver_sql(
            "SELECT key, role, status, due_at, next_attempt_at, created_at, attempts, calendar "
            "FROM outbox ORDER BY key"
        ).all()
    assert [row[1:] for row in raw[:1]] == [row[1:] for row in raw[1:]]
    assert [row[0] for row in raw] == ["test:1", "test:2"]


def test_pages_of_the_newest_first(unit: Unit) -> None:
    with unit() as repo:
        repo.outbox.add([new_mail(n) for n in range(5)], NOW)
        ids = [row.id for row in repo.outbox.find()]
    with unit() as repo:

        def page(offset: int, status: OutboxStatus | None = None) -> tuple[list[int], int]:
            rows, total = repo.outbox.search(OutboxQuery(status, offset=offset, limit=2))
            return [r.id for r in rows], total

        assert page(0) == (ids[:2:-1], 5)
        assert page(2) == ([ids[2], ids[1]], 5)
        assert page(4) == ([ids[0]], 5)
        assert page(0, OutboxStatus.SENT) == ([], 0)


def test_claims_take_the_due_rows_first_come_first_served(unit: Unit, engine: Engine) -> None:
    ids = add_pending(engine, 3, NOW)
    lease = timedelta(seconds=60)
    with unit() as repo:
        assert repo.outbox.claim(NOW - timedelta(seconds=1), lease, 10) == []  # not due yet
        claims = repo.outbox.claim(NOW, lease, 2)
        assert [(c.mail.id, c.attempt) for c in claims] == [(ids[0], 1), (ids[1], 1)]
        assert claims[0].mail.recipient == "person1@example.org"
        assert [c.mail.id for c in repo.outbox.claim(NOW, lease, 10)] == [ids[2]]
        assert repo.outbox.claim(NOW + lease, lease, 10) == []  # the leases hold
    found = rows(engine)
    assert {found[i].status for i in ids} == {OutboxStatus.SENDING}
    assert leases(engine) == dict.fromkeys(ids, NOW + lease)


def test_a_failed_row_is_retried_with_its_attempts_kept(unit: Unit, engine: Engine) -> None:
    (mail_id,) = add_pending(engine, 1, NOW)
    lease = timedelta(seconds=60)
    with unit() as repo:
        (claim,) = repo.outbox.claim(NOW, lease, 1)
        assert repo.outbox.mark_failed(claim, "SMTP 550", ambiguous=True)
        assert not repo.outbox.retry(mail_id + 1, NOW)
    later = NOW + timedelta(hours=1)
    with unit() as repo:
        assert repo.outbox.retry(mail_id, later)
        assert not repo.outbox.retry(mail_id, later)  # pending again: nothing to retry
        (again,) = repo.outbox.claim(later, lease, 1)
    assert again.attempt == 2
    row = rows(engine)[mail_id]
    assert (row.status, row.ambiguous, row.next_attempt_at) == (OutboxStatus.SENDING, True, later)


def test_a_stale_claim_cannot_settle_the_row_after_the_office_retried_it(
    unit: Unit, engine: Engine
) -> None:
    """The fence holds across a manual retry.

    Dispatcher A claims (attempt 1) and stalls past its lease; B takes the row over
    (attempt 2) and the server refuses it for good; the office retries it; C claims it and
    is sending. A's late answer must not settle C's claim.
    """
    now = NOW
    [mail_id] = add_pending(engine, 1, now)
    lease = timedelta(seconds=60)

    def claim() -> Claim:
        with unit() as repo:
            [one] = repo.outbox.claim(now, lease, 10)
        return one

    stale = claim()
    now += lease + timedelta(seconds=1)
    taken_over = claim()
    with unit() as repo:
        assert repo.outbox.mark_failed(taken_over, "SMTP 550: 5.1.1 unbekannt")
    with unit() as repo:
        assert repo.outbox.retry(mail_id, now)
    current = claim()
    with unit() as repo:
        late = repo.outbox.mark_failed(stale, "SMTP 550: late, from A")
    assert not late, f"A settled C's claim: attempt {stale.attempt} == {current.attempt}"
    assert rows(engine)[mail_id].status == OutboxStatus.SENDING
    with unit() as repo:
        assert repo.outbox.mark_sent([current], now) == 1


def test_a_batch_is_settled_only_where_its_claims_still_hold(unit: Unit, engine: Engine) -> None:
    """Sent and retried are each one statement for the batch, fenced row by row: the rows
    another dispatcher took over in between stay his."""
    now = NOW
    ids = add_pending(engine, 5, now)
    lease = timedelta(seconds=60)
    with unit() as repo:
        stale = repo.outbox.claim(now, lease, 10)
    now += lease + timedelta(seconds=1)
    with unit() as repo:
        taken_over = repo.outbox.claim(now, lease, 2)
    assert [c.mail.id for c in taken_over] == ids[:2]
    later = now + timedelta(minutes=4)
    with unit() as repo:
        store = repo.outbox
        assert store.mark_sent([stale[0], stale[2]], now) == 1
        retries = [
            Retry(claim, "SMTP 451", later, ambiguous)
            for claim, ambiguous in [(stale[1], False), (stale[3], True), (stale[4], False)]
        ]
        assert store.mark_retry(retries) == 2
        assert store.mark_retry([]) == 0
    found = rows(engine)
    assert [found[i].status for i in ids] == [
        OutboxStatus.SENDING,
        OutboxStatus.SENDING,
        OutboxStatus.SENT,
        OutboxStatus.PENDING,
        OutboxStatus.PENDING,
    ]
    assert [found[i].ambiguous for i in ids[3:]] == [True, False]
    assert {(found[i].last_error, found[i].next_attempt_at) for i in ids[3:]} == {
        ("SMTP 451", later)
    }
    assert found[ids[2]].sent_at == now
    assert leases(engine)[ids[2]] is None
    with unit() as repo:
        assert repo.outbox.mark_sent(taken_over, now) == 2
    assert {rows(engine)[i].status for i in ids[:3]} == {OutboxStatus.SENT}


def test_a_renewal_extends_only_the_claims_still_held(unit: Unit, engine: Engine) -> None:
    """A lease that ran out is renewed while nobody took it over; a claim taken over is not."""
    now = datetime(2026, 6, 15, 10, tzinfo=UTC)
    lease = timedelta(seconds=30)
    first, second = add_pending(engine, 2, now)
    with unit() as repo:
        claims = repo.outbox.claim(now, lease, 2)
    later = now + lease + timedelta(seconds=1)
    with unit() as repo:
        [taken] = repo.outbox.claim(later, lease, 1)
    assert (taken.mail.id, taken.attempt) == (first, 2)
    renewed = later + timedelta(seconds=1)
    with unit() as repo:
        assert repo.outbox.renew(claims, renewed, lease) == {second}
        assert repo.outbox.renew([], renewed, lease) == set()
    assert leases(engine) == {first: later + lease, second: renewed + lease}


def test_unsent_rows_are_withdrawn_and_their_keys_freed(unit: Unit, engine: Engine) -> None:
    with unit() as repo:
        (centre_id,) = repo.add_centres([centre()], NOW)
        mails = [
            replace(new_mail(n), role=role, centre_id=centre_id)
            for n, role in [
                (1, Recipient.COACH),
                (2, Recipient.COACH),
                (3, Recipient.COACH),
                (4, Recipient.OFFICE),
            ]
        ]
        repo.outbox.add(mails, NOW)
        sending, sent, pending, office = repo.outbox.find()
        claims = repo.outbox.claim(NOW, timedelta(seconds=60), 2)
        repo.outbox.mark_sent([c for c in claims if c.mail.id == sent.id], NOW)
        assert [r.id for r in repo.outbox.unsent(centre_id, Recipient.COACH)] == [
            sending.id,
            pending.id,
        ]
    with unit() as repo:
        unsent = repo.outbox.unsent(centre_id, Recipient.COACH)
        assert repo.outbox.withdraw([*unsent, sent], "übergeben") == 2
        assert repo.outbox.withdraw([], "nichts") == 0
    with unit() as repo:
        found = {row.id: row for row in repo.outbox.find()}
        assert repo.outbox.unsent(centre_id, Recipient.COACH) == []
        assert repo.outbox.add([mails[2]], NOW) == 1  # the key is free again, once
        assert repo.outbox.add([mails[2]], NOW) == 0
    assert [found[i].status for i in (pending.id, sending.id, sent.id, office.id)] == [
        OutboxStatus.WITHDRAWN,
        OutboxStatus.WITHDRAWN,
        OutboxStatus.SENT,
        OutboxStatus.PENDING,
    ]
    assert (found[pending.id].ambiguous, found[sending.id].ambiguous) == (False, True)
    assert found[pending.id].last_error == "übergeben"
    assert found[pending.id].key == f"test:3#withdrawn-{pending.id}"


def test_the_tick_mark_only_moves_forward(unit: Unit) -> None:
    with unit() as repo:
        assert repo.outbox.last_tick() is None
        repo.outbox.lock_reminders()  # held until the unit ends (PostgreSQL), then free
        repo.outbox.set_last_tick(NOW)
    with unit() as repo:
        repo.outbox.lock_reminders()
        repo.outbox.set_last_tick(NOW - timedelta(hours=1))
        assert repo.outbox.last_tick() == NOW
        repo.outbox.set_last_tick(NOW + timedelta(hours=1))
    with unit() as repo:
        assert repo.outbox.last_tick() == NOW + timedelta(hours=1)


def test_the_last_day_written_moves_forward_only_with_the_tick_mark(unit: Unit) -> None:
    """A tick notes the last day of the occurrences it wrote beside its time; an older tick's
    day never moves it back, and a tick that wrote nothing leaves it."""
    with unit() as repo:
        assert repo.outbox.written_through() is None
        repo.outbox.lock_reminders()
        repo.outbox.set_last_tick(NOW)
        assert repo.outbox.written_through() is None
        repo.outbox.set_last_tick(NOW, date(2026, 3, 2))
    with unit() as repo:
        repo.outbox.lock_reminders()
        repo.outbox.set_last_tick(NOW + timedelta(hours=1), date(2026, 3, 1))
        assert repo.outbox.written_through() == date(2026, 3, 2)
        repo.outbox.set_last_tick(NOW + timedelta(hours=2))
        assert repo.outbox.written_through() == date(2026, 3, 2)
        repo.outbox.set_last_tick(NOW + timedelta(hours=3), date(2026, 3, 3))
    with unit() as repo:
        assert repo.outbox.written_through() == date(2026, 3, 3)
        assert repo.outbox.last_tick() == NOW + timedelta(hours=3)


def test_the_messages_of_a_status_are_counted(unit: Unit) -> None:
    with unit() as repo:
        repo.outbox.add([new_mail(n) for n in range(3)], NOW)
        failed = [replace(new_mail(n), status=OutboxStatus.FAILED) for n in range(3, 5)]
        repo.outbox.add(failed, NOW)
    with unit() as repo:
        assert repo.outbox.count(OutboxStatus.PENDING) == 3
        assert repo.outbox.count(OutboxStatus.FAILED) == 2
        assert repo.outbox.count(OutboxStatus.SENT) == 0


def test_each_attempt_is_recorded_once_with_the_servers_answer(unit: Unit) -> None:
    with unit() as repo:
        repo.outbox.add([new_mail(1)], NOW)
        (first,) = repo.outbox.claim(NOW, timedelta(minutes=1), 10)
    later = NOW + timedelta(minutes=5)
    attempts = [
        Attempt(first.mail.id, 1, NOW, DeliveryStatus.RETRY, "a@example.org", 451, "Später"),
        Attempt(first.mail.id, 2, later, DeliveryStatus.SENT, "b@example.org", 250, "2.0.0 OK"),
    ]
    with unit() as repo:
        repo.outbox.record_attempts(attempts[1:])
        repo.outbox.record_attempts(attempts[:1])
        repo.outbox.record_attempts([replace(attempts[0], reply="noch einmal")])  # the same
        repo.outbox.record_attempts([])
    with unit() as repo:
        assert repo.outbox.attempts(first.mail.id) == attempts
        assert repo.outbox.attempts(first.mail.id + 1) == []


def test_a_retry_rendered_anew_keeps_the_key_and_takes_the_new_text(unit: Unit) -> None:
    kept = replace(new_mail(1), template="stage_changed", context='{"year": 2026}')
    with unit() as repo:
        repo.outbox.add([kept, new_mail(2)], NOW)
        ids = {row.key: row.id for row in repo.outbox.find()}
        (claim,) = repo.outbox.claim(NOW, timedelta(minutes=1), 1)
        assert repo.outbox.mark_failed(claim, "SMTP 550: unbekannt")
        recipe = repo.outbox.recipe(ids["test:1"])
        assert repo.outbox.recipe(ids["test:2"]) is None  # stored without one
    assert recipe == Recipe("test", "stage_changed", Recipient.OFFICE, None, '{"year": 2026}')
    again = replace(kept, recipient="neu@example.org", subject="Neu", text="neu\n", html="<p>")
    with unit() as repo:
        assert not repo.outbox.retry(ids["test:2"], NOW, again)  # pending: not retried
        assert repo.outbox.retry(ids["test:1"], NOW + timedelta(hours=1), again)
        row, mail = repo.outbox.get(ids["test:1"]), repo.outbox.text(ids["test:1"])
    assert row is not None
    assert mail is not None
    assert (row.status, row.attempts, row.key) == (OutboxStatus.PENDING, 1, "test:1")
    assert (mail.recipient, mail.subject, mail.text, mail.html) == (
        "neu@example.org",
        "Neu",
        "neu\n",
        "<p>",
    )
    assert mail.message_id == replace(claim.mail, recipient="x").message_id  # the same mail
