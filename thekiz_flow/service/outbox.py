"""Dispatch: claim due mail and commit, talk SMTP, then mark what happened.

- Claim (pending -> sending, a lease, one more attempt) commits before any SMTP. What
  happened to a batch is marked in the transaction that claims the next one.
- Sent: marked sent. 4xx, disconnects, timeouts: pending again with backoff, until
  MAX_ATTEMPTS. 5xx: failed for good, and the office is told once.
- A dispatcher sends only under a claim it still holds (``Hold``): before each message it
  checks its lease and renews it when it runs short, fenced by the claims' attempts.
- A claim whose process died is taken again when its lease runs out. If the process
  died after the server accepted the message but before it was marked sent, the message
  goes out a second time, with the same Message-ID: that window, from the server's
  250 to the commit of "sent", is the only place a duplicate can come from.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from thekiz_flow.core import mailcontext
from thekiz_flow.core.enums import DeliveryStatus, OutboxStatus, Recipient
from thekiz_flow.core.errors import InvalidInput, Refused
from thekiz_flow.core.ids import unknown
from thekiz_flow.core.labels import OUTBOX_STATUS_NAMES
from thekiz_flow.core.model import Activity, Mail, Training
from thekiz_flow.core.outbox import Attempt, Claim, NewMail, OutboxRow, Retry
from thekiz_flow.mail.delivery import Backend, Outcome, make_backend
from thekiz_flow.service.reminder_sources import Offer
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.outbox import OutboxStore

MAX_ATTEMPTS = 8  # per round: a manual retry of a failed message starts another round
NOTICE_RULE = "delivery_failed"
NOTICE_ANY_DAY = True  # the office's own alert: it goes at any time, weekends too
# the dataclasses a mail's context may hold besides centres, coaches and stages
CONTEXT_CLASSES: dict[str, type] = {"Activity": Activity, "Training": Training, "Offer": Offer}
CLOCK_SKEW = 0.5  # seconds the clocks of dispatchers sharing a database may be apart


def backoff(attempt: int) -> timedelta:
    """2, 4, 8 ... minutes after each failed attempt, at most 4 hours."""
    return min(timedelta(minutes=2**attempt), timedelta(hours=4))


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: DispatchReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


class Hold:
    """A dispatcher's claims on one batch while it sends them: the outbox's one lease rule.

    A claim, and each renewal, sets ``lease_until`` to the dispatcher's wall clock plus the
    lease; another dispatcher takes the row over once its own wall clock has passed that.
    The holder counts its lease on its monotonic clock, from before the transaction that
    claimed or renewed began, and sends only until the lease less ``CLOCK_SKEW`` has passed.
    So it has stopped sending before anyone may take over, as long as the clocks of the
    dispatchers are less than ``CLOCK_SKEW`` apart: on SQLite they share one machine; the
    machines sharing a PostgreSQL database must keep their clocks synchronised (NTP).

    Before each message at least ``send_seconds`` (one SMTP timeout, or half the lease if
    that is shorter) of the lease must be left, else the lease of every claim still held
    is renewed first, fenced by its attempt: the messages already sent included, which are
    marked when the batch is settled. A claim the renewal misses was taken over, and its
    message is not sent. A process paused past its lease (SIGSTOP) therefore renews before
    it sends anything more, and sends nothing that was taken over meanwhile; a send still
    under way when the lease ends is broken off by the backend.
    """

    def __init__(
        self,
        claims: list[Claim],
        started: float,
        lease: float,
        send_seconds: float,
        renew: Callable[[list[Claim]], set[int]],
    ) -> None:
        self._claims = {claim.mail.id: claim for claim in claims}
        self._lease = lease
        # a lease shorter than the SMTP timeout still sends: a renewal leaves half a lease
        self._send_seconds = min(send_seconds, lease / 2)
        self._renew_claims = renew
        self._until = started + lease - CLOCK_SKEW

    def deadline(self, mail: Mail) -> float | None:
        """Until when (``time.monotonic()``) the mail may be sent; None: not held any more."""
        if mail.id in self._claims and self._until - time.monotonic() < self._send_seconds:
            self._renew()
        return self._until if mail.id in self._claims else None

    def _renew(self) -> None:
        started = time.monotonic()
        held = self._renew_claims(list(self._claims.values()))
        self._claims = {i: claim for i, claim in self._claims.items() if i in held}
        self._until = started + self._lease - CLOCK_SKEW


def _attempt(claim: Claim, outcome: Outcome, now: datetime) -> Attempt:
    """The history's line of one attempt: the server's answer, else the error."""
    reply = outcome.reply if outcome.code is not None else outcome.error
    mail = claim.mail
    return Attempt(mail.id, claim.attempt, now, outcome.status, mail.recipient, outcome.code, reply)


class OutboxService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    @cached_property
    def backend(self) -> Backend:
        return self.rt.delivery or make_backend(self.rt.mail)

    def require_backend(self) -> None:
        """Nothing, or the error that [mail] cannot send (no sender, say): asked before
        anything is put into the outbox to be sent at once."""
        self.backend  # noqa: B018  # made (and cached) here, or its error raised

    def dispatch(self, batches: int | None = None) -> DispatchReport:
        """Send what is due, batch by batch, until nothing is due (or ``batches`` ran).

        One transaction per batch: it settles the batch sent before and claims the next one,
        and commits before that one's SMTP. The batch is sent under its ``Hold``.
        """
        backend = self.backend  # a configuration error surfaces before anything is claimed
        report = DispatchReport()
        delivered: tuple[list[Claim], list[Outcome]] | None = None
        done = 0
        while True:
            started = time.monotonic()
            with self.rt.unit() as repo:
                store = repo.outbox
                if delivered is not None:
                    report.add(self._settle(store, *delivered))
                claims = self._claim(store) if batches is None or done < batches else []
            if not claims:
                return report
            lease, send = self.rt.mail.lease_seconds, self.rt.mail.smtp.timeout
            hold = Hold(claims, started, lease, send, self._renew)
            delivered = claims, backend.deliver([c.mail for c in claims], self.rt.clock.now(), hold)
            done += 1

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.rt.mail.lease_seconds)

    def _claim(self, store: OutboxStore) -> list[Claim]:
        return store.claim(self.rt.clock.now(), self._lease, self.rt.mail.batch_size)

    def _renew(self, claims: list[Claim]) -> set[int]:
        """Renew the claims' lease in a transaction of its own; which are still held."""
        with self.rt.unit() as repo:
            return repo.outbox.renew(claims, self.rt.clock.now(), self._lease)

    def _settle(
        self, store: OutboxStore, claims: list[Claim], outcomes: list[Outcome]
    ) -> DispatchReport:
        """One statement for the sent, one for the retried; the failed one by one (each that
        really failed is told to the office)."""
        now = self.rt.clock.now()
        by_id = {c.mail.id: c for c in claims}
        sent: list[Claim] = []
        retries: list[Retry] = []
        failures: list[tuple[Claim, Outcome]] = []
        for outcome in outcomes:
            claim = by_id[outcome.mail_id]
            if outcome.status == DeliveryStatus.SENT:
                sent.append(claim)
            elif outcome.status == DeliveryStatus.RETRY and claim.attempt % MAX_ATTEMPTS:
                when = now + backoff(claim.attempt)
                retries.append(Retry(claim, outcome.error or "", when, outcome.ambiguous))
            else:
                failures.append((claim, outcome))
        store.record_attempts([_attempt(by_id[o.mail_id], o, now) for o in outcomes])
        report = DispatchReport(store.mark_sent(sent, now), store.mark_retry(retries))
        for claim, outcome in failures:
            report.failed += self._fail(store, claim, outcome, now)
        return report

    def _fail(self, store: OutboxStore, claim: Claim, outcome: Outcome, now: datetime) -> bool:
        """Failed for good (a retry out of attempts too), if the claim still held."""
        error = outcome.error or ""
        if outcome.status == DeliveryStatus.RETRY:
            error = f"nach {claim.attempt} Versuchen aufgegeben: {error}"
        if not store.mark_failed(claim, error, outcome.ambiguous):
            return False
        self._tell_office(store, claim, error, now)
        return True

    def _tell_office(self, store: OutboxStore, claim: Claim, error: str, now: datetime) -> None:
        """One mail to the office per message that failed for good (never about itself)."""
        if claim.mail.key.startswith(f"{NOTICE_RULE}:") or not self.rt.mail.office:
            return
        context = {
            "recipient": claim.mail.recipient,
            "subject": claim.mail.subject,
            "error": error,
            "outbox_id": claim.mail.id,
        }
        rendered = self.rt.renderer.render(NOTICE_RULE, context, Recipient.OFFICE.value)
        notice = NewMail(
            f"{NOTICE_RULE}:{claim.mail.id}",
            NOTICE_RULE,
            Recipient.OFFICE,
            self.rt.mail.office,
            rendered.subject,
            rendered.text,
            rendered.html,
            self.rt.send_time(now, any_day=NOTICE_ANY_DAY),
            template=NOTICE_RULE,
            context=mailcontext.encode(context),
        )
        store.add([notice], now)

    def rows(self, status: OutboxStatus | None = None) -> list[OutboxRow]:
        with self.rt.unit() as repo:
            return repo.outbox.find(status)

    def counts(self) -> dict[OutboxStatus, int]:
        """How many messages there are of each status."""
        with self.rt.unit() as repo:
            return repo.outbox.counts()

    def due(self) -> int:
        """How many messages a dispatch now would send."""
        with self.rt.unit() as repo:
            return repo.outbox.due_count(self.rt.clock.now())

    def message(self, outbox_id: int) -> tuple[OutboxRow, Mail]:
        """One message of the outbox: its row and its text as it is (or was) sent."""
        with self.rt.unit() as repo:
            row, mail = repo.outbox.get(outbox_id), repo.outbox.text(outbox_id)
        if row is None or mail is None:
            raise unknown("outbox", outbox_id)
        return row, mail

    def retry(self, outbox_id: int) -> OutboxRow:
        """Send a failed message again at the next dispatch, rendered anew for its
        recipient as they are now (a corrected address or name); the same logical mail:
        its key and Message-ID stay. A message that can no longer be rendered (its centre
        or template is gone, it has no address) is refused and left as it is."""
        with self.rt.unit() as repo:
            store = repo.outbox
            row = store.get(outbox_id)
            if row is None:
                raise unknown("outbox", outbox_id)
            recipe = store.recipe(outbox_id)
            if row.status != OutboxStatus.FAILED or (recipe is None and not row.recipient):
                why = (
                    "ist bereits versandt"
                    if row.status == OutboxStatus.SENT
                    else f"hat den Stand „{OUTBOX_STATUS_NAMES[row.status]}“"
                    if row.status != OutboxStatus.FAILED
                    else "hat keine Adresse"
                )
                raise InvalidInput(
                    None,
                    f"Nachricht {outbox_id} {why}; nur fehlgeschlagene mit "
                    "Adresse werden erneut versandt",
                )
            again = None
            if recipe is not None:
                try:
                    again = self.rt.render_again(repo, row.key, recipe, CONTEXT_CLASSES)
                except Refused as error:
                    why = f"Nachricht {outbox_id} {error}; sie wird nicht erneut versandt"
                    raise Refused(why) from error
            store.retry(outbox_id, self.rt.clock.now(), again)
            found = store.get(outbox_id)
            assert found is not None
            return found

    def attempts(self, outbox_id: int) -> list[Attempt]:
        """A message's history: each attempt to send it, the first first."""
        with self.rt.unit() as repo:
            return repo.outbox.attempts(outbox_id)
