"""A loopback SMTP server that accepts everything and keeps nothing but counts.

It runs in a process of its own (aiosmtpd in its event loop), so the sender measured and the
server do not share an interpreter. Per message it notes the Message-ID, so duplicates show.
"""

from __future__ import annotations

import multiprocessing
import re
import socket
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.common import SMTP_HOST
from thekiz_flow.demo.sink import ConnectionCounter

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)


@dataclass(frozen=True)
class SinkStats:
    messages: int
    unique: int
    connections: int

    @property
    def duplicates(self) -> int:
        return self.messages - self.unique


class _Counting(ConnectionCounter):
    def __init__(self) -> None:
        super().__init__()
        self.messages = 0
        self.ids: set[bytes] = set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        head = content[: content.find(b"\r\n\r\n")] if b"\r\n\r\n" in content else content
        found = MESSAGE_ID.search(head)
        with self.lock:
            self.messages += 1
            self.ids.add(found.group(1) if found else b"<none-%d>" % self.messages)
        return "250 2.0.0 OK"

    def stats(self) -> SinkStats:
        with self.lock:
            return SinkStats(self.messages, len(self.ids), self.connections)

    def reset(self) -> None:
        with self.lock:
            self.messages, self.ids, self.connections = 0, set(), 0


def _serve(port: int, commands: Connection) -> None:
    handler = _Counting()
    controller = Controller(handler, hostname=SMTP_HOST, port=port, ready_timeout=30)
    controller.start()
    commands.send("ready")
    try:
        while True:
            command = commands.recv()
            if command == "stats":
                commands.send(handler.stats())
            elif command == "reset":
                handler.reset()
                commands.send("ok")
            elif command == "stop":
                break
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((SMTP_HOST, 0))
        port: int = probe.getsockname()[1]
    return port


class Sink:
    """``with Sink() as sink:`` a counting SMTP server on 127.0.0.1:``sink.port``."""

    def __init__(self) -> None:
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self._commands, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(self.port, theirs), daemon=True)
        self._theirs = theirs

    def __enter__(self) -> Self:
        self._process.start()
        self._theirs.close()
        if not self._commands.poll(60) or self._commands.recv() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._commands.send("stop")
        except OSError:
            pass
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    def stats(self) -> SinkStats:
        self._commands.send("stats")
        found: SinkStats = self._commands.recv()
        return found

    def reset(self) -> None:
        self._commands.send("reset")
        self._commands.recv()
