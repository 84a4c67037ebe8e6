"""Delivering mails: one Outcome per mail sent, over SMTP or into .eml files.

Every mail goes out under a ``Lease``: asked right before the mail, it says until when the
send may take, or that the mail's claim is no longer held (then the mail is skipped and gets
no Outcome). An SMTP send still under way at that deadline is broken off, and nothing more
is written to the server after it.

Outcome.status is "sent"; "retry" for SMTP 4xx, no connection, a timeout or a hang-up; or
"failed" for SMTP 5xx and a message that cannot be built (permanent). ``ambiguous`` marks a
hang-up or timeout after the DATA command went out: the server may have accepted the message,
so a resend may arrive twice (with the same Message-ID).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import re
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import aiosmtplib
from aiosmtplib import (
    SMTPException,
    SMTPNotSupported,
    SMTPRecipientsRefused,
    SMTPResponse,
    SMTPResponseException,
)
from aiosmtplib.typing import Default

from thekiz_flow.core.enums import DeliveryStatus
from thekiz_flow.core.errors import ConfigError, InvalidInput
from thekiz_flow.core.model import Mail
from thekiz_flow.mail.message import OutgoingMessage, build_message
from thekiz_flow.workflow.config import MailSettings, SmtpSettings
from thekiz_flow.workflow.files import write_atomically

LOST = "Verbindung verloren"
LEASE_OVER = "Versand abgebrochen: die Sendefrist ist abgelaufen"
AFTER_DATA = "Verbindung abgebrochen nach DATA (Zustellung ungewiss)"
SMTP_OK = 250  # the reply code of a message accepted (the answer to DATA)


@dataclass(frozen=True)
class Outcome:
    mail_id: int
    status: DeliveryStatus
    error: str | None = None
    ambiguous: bool = False  # the server may have accepted it: a resend may be a duplicate
    # What the SMTP server answered, if it did: for the outbox's history, not part of
    # the outcome (two outcomes are equal whatever the server's words were).
    code: int | None = field(default=None, compare=False)
    reply: str | None = field(default=None, compare=False)


class Lease(Protocol):
    def deadline(self, mail: Mail) -> float | None:
        """Asked right before ``mail`` goes out: the ``time.monotonic()`` by which its send
        must be over, or None if its claim is no longer held (then it must not be sent)."""
        ...


class Backend(Protocol):
    def deliver(self, mails: Sequence[Mail], now: datetime, lease: Lease) -> list[Outcome]: ...


def make_backend(settings: MailSettings) -> Backend:
    if settings.sender is None:
        raise ConfigError("mail.sender: Pflichtangabe fehlt für den Versand")
    if settings.backend == "smtp":
        return SmtpBackend(settings.smtp, settings.sender, settings.reply_to)
    if settings.backend == "file":
        return FileBackend(settings.file.dir, settings.sender, settings.reply_to)
    raise ConfigError(f"mail.backend: unbekannter Versandweg {settings.backend!r}")


def _build(
    mail: Mail, sender: str, reply_to: str | None, now: datetime
) -> OutgoingMessage | Outcome:
    try:
        return build_message(mail, sender, now, reply_to)
    except InvalidInput as error:
        return Outcome(mail.id, DeliveryStatus.FAILED, str(error))


class FileBackend:
    """Writes each message to ``<directory>/<message-id>.eml``, atomically; for trying out."""

    def __init__(self, directory: Path, sender: str, reply_to: str | None = None) -> None:
        self._directory = directory
        self._sender = sender
        self._reply_to = reply_to

    def deliver(self, mails: Sequence[Mail], now: datetime, lease: Lease) -> list[Outcome]:
        written = (self._write(mail, now, lease) for mail in mails)
        return [outcome for outcome in written if outcome is not None]

    def path(self, mail: Mail) -> Path:
        """The file of a mail: written again (not twice) when it is resent."""
        name = re.sub(r"[^A-Za-z0-9._@-]", "_", mail.message_id.strip("<>"))
        return self._directory / f"{name}.eml"

    def _write(self, mail: Mail, now: datetime, lease: Lease) -> Outcome | None:
        """A file is written at once: only whether the claim is still held counts."""
        message = _build(mail, self._sender, self._reply_to, now)
        if isinstance(message, Outcome):
            return message
        if lease.deadline(mail) is None:
            return None
        try:
            write_atomically(self.path(mail), message.content)
        except OSError as error:
            return Outcome(mail.id, DeliveryStatus.RETRY, f"Datei nicht geschrieben: {error}")
        return Outcome(mail.id, DeliveryStatus.SENT)


@functools.cache
def local_hostname() -> str:
    """The name this host gives in EHLO: its fully qualified name, looked up once per
    process (aiosmtplib looks it up at every connection, a reverse DNS query that a slow
    resolver makes every batch wait for)."""
    return socket.getfqdn()


class SmtpBackend:
    """Sends a batch over one SMTP connection (aiosmtplib), opened again at most once."""

    def __init__(self, settings: SmtpSettings, sender: str, reply_to: str | None = None) -> None:
        self._settings = settings
        self._sender = sender
        self._reply_to = reply_to

    def deliver(self, mails: Sequence[Mail], now: datetime, lease: Lease) -> list[Outcome]:
        if not mails:
            return []
        return asyncio.run(self._deliver(mails, now, lease, local_hostname()))

    async def _deliver(
        self, mails: Sequence[Mail], now: datetime, lease: Lease, ehlo_name: str
    ) -> list[Outcome]:
        connection = _Connection(self._settings, ehlo_name)
        error = await connection.open()
        if error is not None:
            return [Outcome(mail.id, DeliveryStatus.RETRY, error) for mail in mails]
        try:
            return await self._send_all(connection, mails, now, lease)
        finally:
            await connection.close()

    async def _send_all(
        self, connection: _Connection, mails: Sequence[Mail], now: datetime, lease: Lease
    ) -> list[Outcome]:
        """The mails one after the other; each is built while the one before is on the wire
        (the server's answers are waited for anyway), so building adds no time of its own."""
        outcomes = []
        built = _build(mails[0], self._sender, self._reply_to, now)
        for n, mail in enumerate(mails):
            sending = asyncio.ensure_future(self._send(connection, mail, built, lease))
            try:
                if n + 1 < len(mails):
                    await asyncio.sleep(0)  # the send's first command goes out ...
                    built = _build(mails[n + 1], self._sender, self._reply_to, now)
            finally:
                outcome = await sending  # ... and its answers come while the next is built
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    async def _send(
        self, connection: _Connection, mail: Mail, message: OutgoingMessage | Outcome, lease: Lease
    ) -> Outcome | None:
        """The mail's outcome; None: its claim is no longer held, it was not sent."""
        if isinstance(message, Outcome):
            return message
        deadline = lease.deadline(mail)
        if deadline is None:
            return None
        return await connection.send(mail.id, message, deadline)


class LeaseOver(SMTPException):
    """The deadline of a send has passed before something more was to be written."""


class _Client(aiosmtplib.SMTP):
    """Notes whether the DATA command went out: a hang-up after it leaves delivery open.

    ``fence_writes`` makes every later write to the server check ``deadline`` first: the
    timeout that breaks a send off at its deadline is not enough alone, since a reply that
    arrives together with the deadline (a process paused past it) can swallow its
    cancellation in aiosmtplib's ``asyncio.wait_for``, and the send would go on.
    """

    data_sent = False
    deadline = math.inf  # time.monotonic() from which nothing more is written

    async def data(
        self, message: str | bytes, /, *, timeout: float | Default | None = Default.token
    ) -> SMTPResponse:
        self.data_sent = True
        return await super().data(message, timeout=timeout)

    def fence_writes(self) -> None:
        protocol = self.protocol
        assert protocol is not None
        write = protocol.write

        def fenced(data: bytes) -> None:
            if time.monotonic() >= self.deadline:
                raise LeaseOver(LEASE_OVER)
            write(data)

        protocol.write = fenced  # type: ignore[method-assign]  # this connection's writes


class _Connection:
    """One SMTP connection for a batch; after a hang-up it is opened again once."""

    def __init__(self, settings: SmtpSettings, ehlo_name: str) -> None:
        self._where = f"{settings.host}:{settings.port}"
        self._client = _Client(
            hostname=settings.host,
            port=settings.port,
            local_hostname=ehlo_name,
            timeout=settings.timeout,
            start_tls=settings.starttls,
            username=settings.username,
            password=settings.password,
        )
        self._may_reopen = True

    async def open(self) -> str | None:
        """Connect, STARTTLS and log in as configured; the error text if that failed."""
        try:
            await self._client.connect()
        except (SMTPException, OSError) as error:
            return f"Keine Verbindung zu {self._where}: {_describe(error)}"
        self._client.fence_writes()
        return None

    async def send(self, mail_id: int, message: OutgoingMessage, deadline: float) -> Outcome:
        """Send one message; broken off (and the connection closed) at ``deadline``."""
        self._client.data_sent = False
        self._client.deadline = deadline
        try:
            async with asyncio.timeout_at(deadline):
                return await self._send(mail_id, message)
        except TimeoutError:
            self._client.close()
            if self._client.data_sent:
                return Outcome(mail_id, DeliveryStatus.RETRY, AFTER_DATA, ambiguous=True)
            return Outcome(mail_id, DeliveryStatus.RETRY, LEASE_OVER)

    async def _send(self, mail_id: int, message: OutgoingMessage) -> Outcome:
        if not self._client.is_connected and not await self._reopen():
            return Outcome(mail_id, DeliveryStatus.RETRY, LOST)
        try:
            _, reply = await self._client.sendmail(
                message.sender,
                [message.recipient],
                message.content,
                mail_options=["SMTPUTF8"] if message.needs_smtputf8 else None,
            )
        except SMTPRecipientsRefused as error:
            return _answered(mail_id, error.recipients[0])
        except SMTPResponseException as error:
            return _answered(mail_id, error)
        except (SMTPNotSupported, ValueError) as error:
            return Outcome(mail_id, DeliveryStatus.FAILED, f"Nicht zustellbar: {error}")
        except LeaseOver:  # not even the content was written
            self._client.close()
            return Outcome(mail_id, DeliveryStatus.RETRY, LEASE_OVER)
        except (SMTPException, OSError) as error:
            self._client.close()
            if self._client.data_sent:
                return Outcome(mail_id, DeliveryStatus.RETRY, AFTER_DATA, ambiguous=True)
            return Outcome(
                mail_id, DeliveryStatus.RETRY, f"Verbindung abgebrochen: {_describe(error)}"
            )
        return Outcome(mail_id, DeliveryStatus.SENT, code=SMTP_OK, reply=reply)

    async def close(self) -> None:
        if self._client.is_connected:
            with contextlib.suppress(SMTPException, OSError):
                await self._client.quit()
        self._client.close()

    async def _reopen(self) -> bool:
        if not self._may_reopen:
            return False
        self._may_reopen = False
        return await self.open() is None


def _answered(mail_id: int, error: SMTPResponseException) -> Outcome:
    permanent = 500 <= error.code < 600
    status = DeliveryStatus.FAILED if permanent else DeliveryStatus.RETRY
    text = f"SMTP {error.code}: {error.message}"
    return Outcome(mail_id, status, text, code=error.code, reply=error.message)


def _describe(error: Exception) -> str:
    if isinstance(error, SMTPResponseException):
        return f"SMTP {error.code}: {error.message}"
    if isinstance(error, TimeoutError):
        return "Zeitüberschreitung"
    if isinstance(error.__cause__, ConnectionRefusedError):
        return "Verbindung abgelehnt"
    return str(error) or type(error).__name__
