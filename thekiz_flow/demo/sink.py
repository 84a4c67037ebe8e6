"""The demonstration's mail sink: a real SMTP server on loopback that files every message."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


CLOSE_SECONDS = 5.0  # for the connections still open to be closed when a server stops
ACCEPT_TURNS = 3  # of the loop, for a connection accepted to be handed to its session
QUICK_TURNS = 10  # of the loop at first, while they are being closed ...
TURN = 0.01  # ... then seconds between looks at them


class _Session(SMTP):
    """aiosmtpd's session, noting whether its connection was made (it is created before)."""

    made = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made = True
        super().connection_made(transport)


class ClosingController(Controller):
    """An aiosmtpd ``Controller`` whose ``stop`` closes the connections still open first.

    The plain controller cancels its tasks and closes its loop; a connection whose handler
    had not started yet (a client that connected just before the stop) keeps its socket
    open, left to the garbage collector. asyncio's ``Server.close`` does not close accepted
    connections before Python 3.13, and one accepted but not yet handed to its session when
    it closes is lost (its transport fails to attach to the closed server). Here the stop,
    in the server's loop, stops accepting, lets the connections accepted so far be made,
    closes every one still open and waits until their sockets are closed."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._sessions: weakref.WeakSet[_Session] = weakref.WeakSet()

    def factory(self) -> SMTP:
        session = _Session(self.handler, **self.SMTP_kwargs)
        self._sessions.add(session)
        return session

    def stop(self, no_assert: bool = False) -> None:
        if self._thread is not None and self.server is not None and self.loop.is_running():
            closing = asyncio.run_coroutine_threadsafe(self._close_all(), self.loop)
            closing.result(2 * CLOSE_SECONDS)  # each of its two waits takes half at most
        super().stop(no_assert)

    async def _close_all(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        for listening in self.server.sockets:  # no new connections; not Server.close():
            self.loop.remove_reader(listening.fileno())  # a connection accepted then is lost
        for _ in range(ACCEPT_TURNS):  # a connection accepted already gets its session ...
            await asyncio.sleep(0)
        await self._until(lambda s: s.made)  # ... and the session its connection
        open_ = [s.transport for s in list(self._sessions) if s.transport is not None]
        for transport in open_:
            transport.close()
        if not await self._until(lambda s: s.transport is None):  # their sockets closed
            for transport in open_:
                if isinstance(transport, asyncio.Transport):
                    transport.abort()

    async def _until(self, done: Callable[[_Session], bool]) -> bool:
        """Whether every session came to be ``done`` within ``CLOSE_SECONDS`` / 2."""
        deadline = time.monotonic() + CLOSE_SECONDS / 2
        turns = 0
        while not all(done(s) for s in list(self._sessions)):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0 if turns < QUICK_TURNS else TURN)
            turns += 1
        return True


class ConnectionCounter:
    """The part of an aiosmtpd handler that counts connections (one EHLO each), and notes
    the name each client gave, under ``self.lock``, which the rest of the handler may
    share."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.hosts: list[str] = []

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
            self.hosts.append(hostname)
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
        self._controller = ClosingController(self._filer, hostname=HOST, port=self.port)

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
