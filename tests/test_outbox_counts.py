"""The messages per status kept on write (the outbox page and /metrics, migration 0031,
`store/kept_counts.py`): whatever is written to the outbox, by whichever of its ways, and
whenever it is folded, the counts are those of one GROUP BY over every message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, func, select, update

from tests.databases import Databases, trigger_names
from tests.store.helpers import NOW
from tests.test_allowed_fast_path import example_folder, examples
from tests.test_centre_counts import database, replay
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.outbox import Claim, NewMail, Retry
from thekiz_flow.service import Service
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import outbox, outbox_count_changes

pytestmark = pytest.mark.backends("sqlite", "postgresql")

LEASE = timedelta(minutes=5)
SOME = st.integers(min_value=1, max_value=4)
OPERATION = st.one_of(
    st.tuples(st.just("add"), SOME, st.booleans()),  # pending, or missed
    st.tuples(st.just("claim"), SOME),
    st.tuples(st.just("sent"), SOME),  # claimed and marked sent at once
    st.tuples(st.just("retry"), SOME),  # claimed and back to pending
    st.tuples(st.just("failed"), SOME),  # claimed and failed for good
    st.tuples(st.just("again")),  # a failed one sent again by the office
    st.tuples(st.just("all"), st.sampled_from(list(OutboxStatus))),  # one statement, many
    st.tuples(st.just("delete")),
    st.tuples(st.just("subject")),  # a change that moves no count
    st.tuples(st.just("fold")),
)
# each a transaction: one or more operations, committed or rolled back
TRANSACTION = st.tuples(st.lists(OPERATION, min_size=1, max_size=3), st.booleans())


def grouped(conn: Connection) -> dict[OutboxStatus, int]:
    """Every message counted: what the counts must be."""
    c = outbox.c
    stmt = select(c.status, func.count()).group_by(c.status)
    return {OutboxStatus(s): int(n) for s, n in conn.execute(stmt)}


def mails(count: int, missed: bool, start: int) -> list[NewMail]:
    status = OutboxStatus.MISSED if missed else OutboxStatus.PENDING
    return [
        NewMail(
            f"k:{start + n}",
            "session_upcoming",
            Recipient.COACH,
            f"coach{start + n}@example.org",
            "Begleittermin",
            "Text",
            "<p>Text</p>",
            NOW - timedelta(minutes=1),
            status=status,
        )
        for n in range(count)
    ]


def apply(conn: Connection, operation: tuple[object, ...], added: list[int]) -> None:
    store = Repository(conn, NOW).outbox
    what, *args = operation
    if what == "add":
        count, missed = args
        store.add(mails(int(count), bool(missed), len(added)), NOW)  # type: ignore[call-overload]
        added.extend(range(int(count)))  # type: ignore[call-overload]
        return
    if what == "fold":
        store.fold_counts()
        return
    claims: list[Claim] = []
    if what in ("claim", "sent", "retry", "failed"):
        claims = store.claim(NOW, LEASE, int(args[0]))  # type: ignore[call-overload]
    if what == "sent":
        store.mark_sent(claims, NOW)
    elif what == "retry":
        store.mark_retry([Retry(c, "421", NOW + LEASE, False) for c in claims])
    elif what == "failed":
        for claim in claims:
            store.mark_failed(claim, "550")
    elif what == "again":
        failed = store.find(OutboxStatus.FAILED, limit=1)
        if failed:
            store.retry(failed[0].id, NOW)
    elif what == "all":
        conn.execute(update(outbox).values(status=args[0]))
    elif what == "delete":
        first = conn.execute(select(func.min(outbox.c.id))).scalar()
        conn.execute(delete(outbox).where(outbox.c.id == first))
    elif what == "subject":
        conn.execute(update(outbox).values(subject="Neuer Betreff"))


@examples(60)
@given(transactions=st.lists(TRANSACTION, min_size=1, max_size=8))
def test_the_counts_are_every_message_counted_whatever_was_written_and_folded(
    transactions: list[tuple[list[tuple[object, ...]], bool]],
    databases: Databases,
    backend: str,
    tmp_path: object,
) -> None:
    with database(databases, backend, example_folder(tmp_path)) as engine:  # type: ignore[arg-type]
        replay(engine, transactions, apply, lambda c: Repository(c).outbox.counts(), grouped)


def test_the_head_has_the_counting_triggers(engine: Engine) -> None:
    """A later migration that rebuilds outbox on SQLite drops its triggers with it."""
    names = trigger_names(engine, "outbox", "outbox_count")
    assert names == {"outbox_count_insert", "outbox_count_update", "outbox_count_delete"}


def test_a_tick_folds_the_changes_into_the_counts(service: Service, engine: Engine) -> None:
    with engine.begin() as conn:  # missed: not sent by the tick
        Repository(conn, NOW).outbox.add(mails(3, True, 0), NOW)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox_count_changes)).scalar() == 3
    service.ticks.tick()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox_count_changes)).scalar() == 0
        assert Repository(conn).outbox.counts() == grouped(conn)
    assert service.outbox.counts() == {OutboxStatus.MISSED: 3}
