"""Real SMTP servers for the mail tests: aiosmtpd on 127.0.0.1, each on a free port.

Every server records what it accepted (envelope and raw content) and counts connections (one
EHLO per connection). The subclasses differ in one way each: 451 for the first messages (DATA),
550 for one recipient (RCPT), a hang-up in the middle of DATA, a late answer to DATA, a slow
answer to every command of a message, AUTH.
A server "down for a while" is a ``free_port()`` with nothing listening, later a server started
on that port.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from email import message_from_bytes
from types import TracebackType
from typing import Self

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from thekiz_flow.demo.sink import ClosingController, ConnectionCounter
from thekiz_flow.workflow.config import SmtpSettings

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on (the OS just handed it out and it was closed again)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    content: bytes

    @property
    def message_id(self) -> str:
        return str(message_from_bytes(self.content)["Message-ID"])


class RecordingServer(ConnectionCounter):
    """Accepts everything and records it; a context manager that starts and stops the server."""

    def __init__(self, port: int | None = None) -> None:
        super().__init__()
        self.port = free_port() if port is None else port
        self.received: list[Received] = []
        self._controller: ClosingController | None = None

    def __enter__(self) -> Self:
        # Created here, not in __init__: a Controller owns an event loop from its creation on.
        self._controller = self.make_controller()
        self._controller.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._controller is not None
        self._controller.stop()
        self._controller = None

    def make_controller(self) -> ClosingController:
        return ClosingController(self, hostname=HOST, port=self.port)

    def settings(self, timeout: int = 5) -> SmtpSettings:
        return SmtpSettings(host=HOST, port=self.port, timeout=timeout)

    @property
    def message_ids(self) -> list[str]:
        return [received.message_id for received in self.received]

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.record(envelope)
        return "250 2.0.0 OK"

    def record(self, envelope: Envelope) -> None:
        content = envelope.original_content or b""
        with self.lock:
            self.received.append(
                Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), content)
            )


class TempFailServer(RecordingServer):
    """Answers the first ``times`` messages with 451 after their content, then accepts."""

    def __init__(self, times: int, port: int | None = None) -> None:
        super().__init__(port)
        self.refusals_left = times

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.refusals_left -= 1
            refuse = self.refusals_left >= 0
        if refuse:
            return "451 4.3.0 Bitte später erneut versuchen"
        return await super().handle_DATA(server, session, envelope)


class RefusingServer(RecordingServer):
    """Answers RCPT TO for one address with 550; accepts everyone else."""

    def __init__(self, refused: str, port: int | None = None) -> None:
        super().__init__(port)
        self.refused = refused

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == self.refused:
            return "550 5.1.1 Mailbox unbekannt"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"


class HangUpServer(RecordingServer):
    """Takes the whole content of the first ``times`` messages, then hangs up instead of 250."""

    def __init__(self, times: int, port: int | None = None) -> None:
        super().__init__(port)
        self.hang_ups_left = times

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.record(envelope)
        with self.lock:
            self.hang_ups_left -= 1
            hang_up = self.hang_ups_left >= 0
        if hang_up and server.transport is not None:
            server.transport.close()
        return "250 2.0.0 OK"


class StallingServer(RecordingServer):
    """Takes the content of the first ``times`` messages and only answers after ``seconds``."""

    def __init__(self, seconds: float, times: int, port: int | None = None) -> None:
        super().__init__(port)
        self.seconds = seconds
        self.stalls_left = times

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.stalls_left -= 1
            stall = self.stalls_left >= 0
        if stall:
            await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


class SlowServer(RecordingServer):
    """Answers every MAIL, RCPT and DATA only after ``seconds``: three times that a message."""

    def __init__(self, seconds: float, port: int | None = None) -> None:
        super().__init__(port)
        self.seconds = seconds

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        await asyncio.sleep(self.seconds)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        await asyncio.sleep(self.seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


class AuthServer(RecordingServer):
    """Offers AUTH (without TLS, on loopback only) and accepts one login name and password."""

    def __init__(self, username: str, password: str, port: int | None = None) -> None:
        super().__init__(port)
        self.credentials = LoginPassword(username.encode(), password.encode())
        self.logins: list[str] = []

    def make_controller(self) -> ClosingController:
        return ClosingController(
            self,
            hostname=HOST,
            port=self.port,
            authenticator=self.authenticate,
            auth_require_tls=False,
        )

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        if data != self.credentials:
            return AuthResult(success=False, handled=False)
        with self.lock:
            self.logins.append(self.credentials.login.decode())
        return AuthResult(success=True)
