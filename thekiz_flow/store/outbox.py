"""The outbox in the store: insert once per key, claim with a lease, mark what happened.

Claiming commits before any SMTP is spoken. On PostgreSQL the claim skips rows that
another dispatcher holds (FOR UPDATE SKIP LOCKED); on SQLite the write lock taken by
BEGIN IMMEDIATE serialises claims. A claim sets ``lease_until``; another dispatcher takes
the row over only once that has passed. Every renewal of a lease and every mark is fenced
by the attempt number the claim was taken with, so a dispatcher whose lease ran out can
neither extend it nor overwrite the one that took over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Row,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
    tuple_,
    update,
)

from thekiz_flow.core.enums import DeliveryStatus, OutboxStatus, Recipient
from thekiz_flow.core.lists import OutboxQuery
from thekiz_flow.core.model import Mail
from thekiz_flow.core.outbox import Attempt, Claim, NewMail, OutboxRow, Recipe, Retry
from thekiz_flow.store import marks
from thekiz_flow.store.bulk import BulkInsert
from thekiz_flow.store.kept_counts import KeptCounts
from thekiz_flow.store.list_queries import OUTBOX_LISTED, outbox_order, outbox_where, paged
from thekiz_flow.store.tables import (
    OUTBOX_KEY_LENGTH,
    outbox,
    outbox_attempts,
    outbox_count_changes,
    outbox_counts,
)
from thekiz_flow.store.upsert import insert_into

# Mails per INSERT of ``OutboxStore.add``: all it holds at once. Larger chunks were no faster.
ADD_CHUNK = 100
UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED)  # what may be withdrawn
# the marks of the reminders written (rows of ``state``): the last tick's time, and the last
# day an occurrence it or a tick before wrote falls on
LAST_TICK = "last_tick"
WRITTEN_THROUGH = "reminders_written_through"
REMINDERS_LOCK = 0x7468656B697A  # PostgreSQL's advisory lock of writing reminders ("thekiz")


# The columns of a new row, in the order of ``_new_row``.
NEW_COLUMNS = (
    "key rule centre_id role recipient subject body_text body_html attachments calendar status "
    "due_at next_attempt_at attempts last_error created_at template context"
).split()


def _new_row(mail: NewMail, now: datetime) -> tuple[object, ...]:
    return (
        mail.key,
        mail.rule,
        mail.centre_id,
        str(mail.role),
        mail.recipient,
        mail.subject[:300],
        mail.text,
        mail.html,
        "\n".join(mail.attachments),
        mail.calendar,
        str(mail.status),
        mail.due_at,
        mail.due_at,
        0,
        mail.problem,
        now,
        mail.template,
        mail.context,
    )


def row_values(mail: NewMail, now: datetime) -> dict[str, object]:
    """The columns of a new row for ``mail``."""
    return dict(zip(NEW_COLUMNS, _new_row(mail, now), strict=True))


def _row(row: Row[Any]) -> OutboxRow:
    return OutboxRow(
        row.id,
        row.key,
        row.rule,
        row.centre_id,
        Recipient(row.role),
        row.recipient,
        row.subject,
        OutboxStatus(row.status),
        row.attempts,
        row.due_at,
        row.next_attempt_at,
        row.last_error,
        bool(row.ambiguous),
        row.sent_at,
    )


def _mail(row: Row[Any]) -> Mail:
    attachments = tuple(p for p in (row.attachments or "").splitlines() if p)
    return Mail(
        row.id,
        row.key,
        row.recipient,
        row.subject,
        row.body_text,
        row.body_html,
        attachments,
        row.calendar,
    )


def _status_alone(query: OutboxQuery) -> bool:
    """The query finds the messages of a status (or all), by no other filter."""
    return query == OutboxQuery(
        query.status, sort=query.sort, offset=query.offset, limit=query.limit
    )


def _fence(claim: Claim) -> dict[str, object]:
    return {"f_id": claim.mail.id, "f_attempt": claim.attempt}


def _sticky_ambiguous() -> Any:
    """Once ambiguous, a row stays so: a later outcome only ever sets the flag."""
    return case((bindparam("f_ambiguous", type_=Boolean), true()), else_=outbox.c.ambiguous)


class OutboxStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(self, mails: Iterable[NewMail], now: datetime) -> int:
        """Insert the mails whose key is new; returns how many were new.

        The mails are taken ``ADD_CHUNK`` at a time, so a generator of many rendered mails
        never has to be held whole (neither the mails nor their parameter rows).
        """
        insert = insert_into(self.conn, outbox).on_conflict_do_nothing(index_elements=["key"])
        write = BulkInsert(self.conn, insert, NEW_COLUMNS)
        pending = iter(mails)
        added = 0
        while rows := [_new_row(mail, now) for mail in islice(pending, ADD_CHUNK)]:
            columns = dict(zip(NEW_COLUMNS, zip(*rows, strict=True), strict=True))
            columns["next_attempt_at"] = columns["due_at"]  # the same values, bound once
            added += write(columns)
        return added

    def existing(self, keys: set[str]) -> set[str]:
        """Which of these keys the outbox holds already."""
        found: set[str] = set()
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            stmt = select(outbox.c.key).where(outbox.c.key.in_(chunk))
            found.update(self.conn.execute(stmt).scalars())
        return found

    def _due(self, now: datetime) -> Any:
        c = outbox.c
        return or_(
            and_(c.status == OutboxStatus.PENDING, c.next_attempt_at <= now),
            and_(c.status == OutboxStatus.SENDING, c.lease_until < now),
        )

    def due_count(self, now: datetime) -> int:
        """How many messages a dispatch at ``now`` would send."""
        return int(self.conn.execute(select(func.count()).where(self._due(now))).scalar_one())

    def text(self, outbox_id: int) -> Mail | None:
        """A message with its text (subject, recipient, bodies), as it is sent."""
        row = self.conn.execute(select(outbox).where(outbox.c.id == outbox_id)).first()
        return None if row is None else _mail(row)

    def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Claim]:
        """Take up to ``limit`` due messages: status sending, a lease, one more attempt."""
        c = outbox.c
        # The pending and the expired leases apart, each in its index's order and limited:
        # one statement with OR would sort every due row to take the first few.
        found: list[tuple[datetime, int]] = []
        for due in (
            and_(c.status == OutboxStatus.PENDING, c.next_attempt_at <= now),
            and_(c.status == OutboxStatus.SENDING, c.lease_until < now),
        ):
            query = select(c.next_attempt_at, c.id).where(due)
            query = query.order_by(c.next_attempt_at, c.id).limit(limit)
            if self.conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            found.extend((row.next_attempt_at, row.id) for row in self.conn.execute(query))
        ids = [i for _, i in sorted(found)[:limit]]
        if not ids:
            return []
        stmt = (
            update(outbox)
            .where(c.id.in_(ids), self._due(now))
            .values(
                status=OutboxStatus.SENDING,
                lease_until=now + lease,
                attempts=c.attempts + 1,
                ambiguous=case((c.status == OutboxStatus.SENDING, true()), else_=c.ambiguous),
            )
            .returning(outbox)
        )
        rows = sorted(self.conn.execute(stmt).all(), key=lambda r: r.id)
        return [Claim(_mail(r), r.attempts) for r in rows]

    def renew(self, claims: Sequence[Claim], now: datetime, lease: timedelta) -> set[int]:
        """Extend the lease of those claims still held (sending, at the attempt claimed);
        the ids of the messages still held."""
        if not claims:
            return set()
        c = outbox.c
        tokens = [(claim.mail.id, claim.attempt) for claim in claims]
        held = tuple_(c.id, c.attempts).in_(tokens)
        stmt = (
            update(outbox)
            .where(c.status == OutboxStatus.SENDING, held)
            .values(lease_until=now + lease)
        )
        return set(self.conn.execute(stmt.returning(c.id)).scalars())

    def mark_sent(self, claims: Sequence[Claim], now: datetime) -> int:
        """Sent; how many were still held by these claims (the rest was taken over).

        One UPDATE for the whole batch, each row fenced by its claim's attempt."""
        if not claims:
            return 0
        c = outbox.c
        held = tuple_(c.id, c.attempts).in_([(claim.mail.id, claim.attempt) for claim in claims])
        stmt = (
            update(outbox)
            .where(c.status == OutboxStatus.SENDING, held)
            .values(status=OutboxStatus.SENT, sent_at=now, last_error=None, lease_until=None)
        )
        return int(self.conn.execute(stmt).rowcount)

    def mark_retry(self, retries: Sequence[Retry]) -> int:
        """Pending again, each at its next attempt; how many were still held by their claims."""
        rows = [
            {
                **_fence(retry.claim),
                "f_error": retry.error,
                "f_next": retry.next_attempt,
                "f_ambiguous": retry.ambiguous,
            }
            for retry in retries
        ]
        return self._fenced(
            rows,
            status=OutboxStatus.PENDING,
            last_error=bindparam("f_error"),
            next_attempt_at=bindparam("f_next"),
            ambiguous=_sticky_ambiguous(),
        )

    def mark_failed(self, claim: Claim, error: str, ambiguous: bool = False) -> bool:
        """Failed for good, if the claim still held."""
        row = {**_fence(claim), "f_ambiguous": ambiguous}
        values = {
            "status": OutboxStatus.FAILED,
            "last_error": error,
            "ambiguous": _sticky_ambiguous(),
        }
        return self._fenced([row], **values) == 1

    def _fenced(self, rows: list[dict[str, object]], **values: object) -> int:
        """One statement for all rows (an executemany), each fenced by its claim's attempt."""
        if not rows:
            return 0
        c = outbox.c
        stmt = update(outbox).where(
            c.id == bindparam("f_id"),
            c.status == OutboxStatus.SENDING,
            c.attempts == bindparam("f_attempt"),
        )
        return self.conn.execute(stmt.values(lease_until=None, **values), rows).rowcount

    def get(self, outbox_id: int) -> OutboxRow | None:
        row = self.conn.execute(select(outbox).where(outbox.c.id == outbox_id)).first()
        return None if row is None else _row(row)

    def find(self, status: OutboxStatus | None = None, limit: int | None = None) -> list[OutboxRow]:
        stmt = select(outbox).order_by(outbox.c.due_at, outbox.c.id)
        if status is not None:
            stmt = stmt.where(outbox.c.status == status)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_row(r) for r in self.conn.execute(stmt)]

    def search(self, query: OutboxQuery) -> tuple[list[OutboxRow], int]:
        """One page of the messages the query finds (without their texts), in its order,
        and how many it finds."""
        stmt = outbox_where(query, select(*OUTBOX_LISTED))
        known = None  # by status alone (or all): how many, from the counts kept on write
        if _status_alone(query):
            counts = self.counts()
            known = sum(counts.values()) if query.status is None else counts.get(query.status, 0)
        order = outbox_order(query.sort)
        rows, total = paged(self.conn, stmt, order, query.offset, query.limit, known)
        return [_row(r) for r in rows], total

    def count(self, status: OutboxStatus) -> int:
        """How many messages there are of ``status``: the counts kept on write."""
        return self.counts().get(status, 0)

    @property
    def _kept(self) -> KeptCounts:
        return KeptCounts(self.conn, outbox_counts, outbox_count_changes, "messages")

    def counts(self) -> dict[OutboxStatus, int]:
        """How many messages there are of each status: the counts kept on write."""
        return {OutboxStatus(status): n for status, n in self._kept.counts()}

    def fold_counts(self) -> int:
        """Add the changes of the counts per status up (`KeptCounts.fold`)."""
        return self._kept.fold()

    def retry(self, outbox_id: int, now: datetime, mail: NewMail | None = None) -> bool:
        """A failed message goes out again at the next dispatch; rendered anew as ``mail``
        (its recipient, subject and texts) if given. Its key, and so its Message-ID, stay.

        The attempt count is never reset: it is the fencing token of every claim.
        """
        stmt = update(outbox).where(
            outbox.c.id == outbox_id, outbox.c.status == OutboxStatus.FAILED
        )
        values: dict[str, object] = {"status": OutboxStatus.PENDING, "next_attempt_at": now}
        if mail is not None:
            values |= {
                "recipient": mail.recipient,
                "subject": mail.subject[:300],
                "body_text": mail.text,
                "body_html": mail.html,
            }
        return self.conn.execute(stmt.values(**values)).rowcount == 1

    def recipe(self, outbox_id: int) -> Recipe | None:
        """What renders the message again; None if it was stored without (older messages,
        the office's own notices)."""
        c = outbox.c
        stmt = select(c.rule, c.template, c.role, c.centre_id, c.context).where(c.id == outbox_id)
        row = self.conn.execute(stmt).first()
        if row is None or row.template is None or row.context is None:
            return None
        return Recipe(row.rule, row.template, Recipient(row.role), row.centre_id, row.context)

    def record_attempts(self, attempts: Sequence[Attempt]) -> None:
        """Write each attempt once (by message and attempt number: a repeat changes nothing)."""
        if not attempts:
            return
        stmt = insert_into(self.conn, outbox_attempts).on_conflict_do_nothing(
            index_elements=["outbox_id", "attempt"]
        )
        rows = [
            {
                "outbox_id": a.outbox_id,
                "attempt": a.attempt,
                "at": a.at,
                "outcome": a.outcome,
                "recipient": a.recipient,
                "code": a.code,
                "reply": a.reply,
            }
            for a in attempts
        ]
        self.conn.execute(stmt, rows)

    def attempts(self, outbox_id: int) -> list[Attempt]:
        """A message's attempts, the first first."""
        c = outbox_attempts.c
        stmt = select(outbox_attempts).where(c.outbox_id == outbox_id).order_by(c.attempt)
        return [
            Attempt(
                r.outbox_id,
                r.attempt,
                r.at,
                DeliveryStatus(r.outcome),
                r.recipient,
                r.code,
                r.reply,
            )
            for r in self.conn.execute(stmt)
        ]

    def last_tick(self) -> datetime | None:
        return marks.read(self.conn, LAST_TICK)

    def written_through(self) -> date | None:
        """The last (local) day an occurrence of a reminder a tick wrote falls on, if noted
        (`set_last_tick`)."""
        noted = marks.read(self.conn, WRITTEN_THROUGH)
        return None if noted is None else noted.date()

    def set_last_tick(self, at: datetime, through: date | None = None) -> None:
        """Move the mark forward only: a slower, older tick never moves it back. ``through``:
        the last day an occurrence the tick wrote falls on; noted as the mark is, forward
        only (a day is kept as its midnight UTC)."""
        marks.move_forward(self.conn, LAST_TICK, at)
        if through is not None:
            marks.move_forward(self.conn, WRITTEN_THROUGH, datetime.combine(through, time(0), UTC))

    def unsent(self, centre_id: int, role: Recipient) -> list[OutboxRow]:
        """The messages to ``role`` about a centre that were not sent: pending, being sent
        or failed."""
        c = outbox.c
        stmt = select(outbox).where(c.centre_id == centre_id, c.role == role, c.status.in_(UNSENT))
        return [_row(r) for r in self.conn.execute(stmt.order_by(c.id))]

    def unsent_of_rules(self, rules: Sequence[str]) -> list[OutboxRow]:
        """The messages these rules wrote that were not sent: pending, being sent or failed."""
        c = outbox.c
        stmt = select(outbox).where(c.status.in_(UNSENT), c.rule.in_(rules))
        return [_row(r) for r in self.conn.execute(stmt.order_by(c.id))]

    def reached(self, rules: Sequence[str], centre_ids: Iterable[int]) -> set[str]:
        """The keys of these rules' messages about these centres that a server may have
        taken: sent, being sent, or ambiguous (withdrawn or failed while being sent)."""
        c = outbox.c
        maybe = or_(c.status.in_((OutboxStatus.SENT, OutboxStatus.SENDING)), c.ambiguous)
        found: set[str] = set()
        ordered = sorted(set(centre_ids))
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            stmt = select(c.key).where(c.rule.in_(rules), c.centre_id.in_(chunk), maybe)
            found.update(self.conn.execute(stmt).scalars())
        return found

    def withdraw(self, rows: Sequence[OutboxRow], reason: str) -> int:
        """Withdraw these messages if they are still unsent; returns how many were.

        A withdrawn message is never sent, and ``reason`` is its last error. Its key is
        freed (the row keeps it with its id appended), so the occurrence may be written
        again for another recipient, once. A message being sent is withdrawn too and
        marked ambiguous (it may have reached its server already): its dispatcher's mark,
        fenced by status, then changes nothing, and a failed attempt is never retried.
        (One statement for all rows, an executemany: no IN list, which that cannot take.)
        """
        if not rows:
            return 0
        c = outbox.c
        stmt = (
            update(outbox)
            .where(c.id == bindparam("w_id"), or_(*(c.status == s for s in UNSENT)))
            .values(
                status=OutboxStatus.WITHDRAWN,
                key=bindparam("w_key"),
                last_error=reason,
                lease_until=None,
                ambiguous=case((c.status == OutboxStatus.SENDING, true()), else_=c.ambiguous),
            )
        )
        params = [{"w_id": row.id, "w_key": _withdrawn_key(row)} for row in rows]
        return int(self.conn.execute(stmt, params).rowcount)

    def lock_reminders(self) -> None:
        """Wait for, then hold until the transaction ends, the right to write reminders.

        A tick writes reminders from what it read before: a change of recipients (another
        coach) that commits between its reading and its writing would find nothing to
        withdraw yet, and the tick would then write for the former one. Both take this lock
        first. On SQLite every writing transaction holds the database's write lock already.
        """
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(select(func.pg_advisory_xact_lock(REMINDERS_LOCK)))


def _withdrawn_key(row: OutboxRow) -> str:
    """A withdrawn row's key: unique by its id, never one a reminder is written with."""
    suffix = f"#withdrawn-{row.id}"
    return row.key[: OUTBOX_KEY_LENGTH - len(suffix)] + suffix
