"""The demonstration's mail sink: a real SMTP server on loopback that files every message."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


class ConnectionCounter:
    """The part of an aiosmtpd handler that counts connections (one EHLO each) under
    ``self.lock``, which the rest of the handler may share."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses


class _Filer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.count += 1
        content = envelope.original_content or b""
        (self.folder / f"{self.count:06d}.eml").write_bytes(content)
        return "250 OK"


class MailSink:
    """``with MailSink(folder) as sink:`` an SMTP server on ``sink.port`` until the block ends."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port: int = probe.getsockname()[1]
        self._filer = _Filer(folder)
        self._controller = Controller(self._filer, hostname=HOST, port=self.port)

    @property
    def received(self) -> int:
        return self._filer.count

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._controller.stop()
