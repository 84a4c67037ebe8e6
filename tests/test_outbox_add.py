"""Writing the outbox: each key once, streamed a chunk at a time, the new ones counted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, func, select

from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.store.outbox import ADD_CHUNK, OutboxStore
from thekiz_flow.store.tables import outbox

pytestmark = pytest.mark.backends("sqlite", "postgresql")  # the store's contract

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


def stored(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(outbox)).scalar_one())


def test_many_mails_from_a_generator_are_all_stored_and_counted(engine: Engine) -> None:
    count = 2 * ADD_CHUNK + 7
    with engine.begin() as connection:
        added = OutboxStore(connection).add((new_mail(n) for n in range(count)), NOW)
        keys = set(connection.execute(select(outbox.c.key)).scalars())
    assert added == count
    assert keys == {f"test:{n}" for n in range(count)}


def test_only_new_keys_count_even_when_old_ones_span_the_chunks(engine: Engine) -> None:
    with engine.begin() as connection:
        assert OutboxStore(connection).add([new_mail(n) for n in range(0, 3 * ADD_CHUNK, 2)], NOW)
    with engine.begin() as connection:
        added = OutboxStore(connection).add((new_mail(n) for n in range(3 * ADD_CHUNK)), NOW)
        total = stored(connection)
        first = connection.execute(select(outbox.c.subject).where(outbox.c.key == "test:0"))
        subject = first.scalar_one()
    assert added == 3 * ADD_CHUNK - len(range(0, 3 * ADD_CHUNK, 2))
    assert total == 3 * ADD_CHUNK
    assert subject == "Nachricht 0"


def test_a_key_twice_in_one_call_is_stored_once(engine: Engine) -> None:
    mails = [new_mail(1), new_mail(2), new_mail(1)]
    with engine.begin() as connection:
        assert OutboxStore(connection).add(mails, NOW) == 2
        assert stored(connection) == 2


def test_nothing_to_add_writes_nothing(engine: Engine) -> None:
    with engine.begin() as connection:
        assert OutboxStore(connection).add(iter(()), NOW) == 0
        assert stored(connection) == 0


def test_the_mails_are_written_before_the_next_chunk_is_made(engine: Engine) -> None:
    """A generator is never drained up front: mail k is asked for after all earlier chunks
    are in the table, so many rendered mails are never held at once."""
    seen: list[int] = []

    def mails(connection: Connection) -> Iterator[NewMail]:
        for n in range(3 * ADD_CHUNK):
            seen.append(stored(connection))
            yield new_mail(n)

    with engine.begin() as connection:
        assert OutboxStore(connection).add(mails(connection), NOW) == 3 * ADD_CHUNK
    assert seen == [n - n % ADD_CHUNK for n in range(3 * ADD_CHUNK)]
