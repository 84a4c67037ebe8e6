"""The outbox fault tests' common ground: SMTP services, pending rows, dispatcher subprocesses.

``KillingServer`` is a real aiosmtpd server that kills the dispatcher talking to it (kill -9)
once, at a point of the SMTP dialogue it chooses itself: no hooks in the package.
``PausingServer`` stops its dispatcher (SIGSTOP) in the same way, to be continued later.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine, select

from tests.conftest import BERLIN
from tests.smtp_servers import HOST, RecordingServer
from thekiz_flow.core.clock import Clock
from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.model import Mail, Workflow
from thekiz_flow.core.outbox import NewMail, OutboxRow
from thekiz_flow.service import Service
from thekiz_flow.store.outbox import OutboxStore
from thekiz_flow.store.tables import outbox
from thekiz_flow.workflow.config import MailSettings, SmtpSettings

SENDER = "thekiz-flow@example.org"
OFFICE = "fachstelle@example.org"
SCRIPT = Path(sys.executable).parent / "thekiz-flow"
SENT_LINE = re.compile(r"^(\d+) versandt, (\d+) später erneut, (\d+) fehlgeschlagen\.$", re.M)


def smtp_mail(port: int, batch_size: int = 50, lease_seconds: int = 60) -> MailSettings:
    return MailSettings(
        backend="smtp",
        sender=SENDER,
        office=OFFICE,
        smtp=SmtpSettings(host=HOST, port=port, timeout=5),
        batch_size=batch_size,
        lease_seconds=lease_seconds,
    )


def smtp_service(
    engine: Engine, workflow: Workflow, clock: Clock, port: int, batch_size: int = 50
) -> Service:
    """The service, sending over SMTP to 127.0.0.1:``port``."""
    mail = smtp_mail(port, batch_size)
    return Service(engine, workflow, clock, BERLIN, actor="test", mail=mail, wall=clock)


def recipient(number: int) -> str:
    return f"person{number}@example.org"


def add_pending(
    engine: Engine, count: int, due_at: datetime, to: Mapping[int, str] | None = None
) -> list[int]:
    """``count`` pending mails (n = 1, 2, ...), due at ``due_at``, in one transaction; their ids.

    Mail n goes to ``person<n>@example.org``, or to ``to[n]``.
    """
    addresses = to or {}
    mails = [
        NewMail(
            key=f"test:{n}",
            rule="test",
            role=Recipient.OFFICE,
            recipient=addresses.get(n, recipient(n)),
            subject=f"Nachricht {n}",
            text=f"Guten Tag, Nachricht {n}.\n",
            html=f"<p>Guten Tag, Nachricht {n}.</p>\n",
            due_at=due_at,
        )
        for n in range(1, count + 1)
    ]
    with engine.begin() as connection:
        assert OutboxStore(connection).add(mails, due_at) == count
        keys = [m.key for m in mails]
        found = connection.execute(select(outbox.c.id).where(outbox.c.key.in_(keys)))
        return sorted(found.scalars())


def rows(engine: Engine) -> dict[int, OutboxRow]:
    with engine.connect() as connection:
        return {row.id: row for row in OutboxStore(connection).find()}


def leases(engine: Engine) -> dict[int, datetime | None]:
    with engine.connect() as connection:
        found = connection.execute(select(outbox.c.id, outbox.c.lease_until))
        return {row.id: row.lease_until for row in found}


def message_id(row: OutboxRow) -> str:
    """The Message-ID the dispatcher gives this row (it depends on the id and key only)."""
    return Mail(row.id, row.key, row.recipient, row.subject, "", "").message_id


def write_config(
    path: Path, port: int, batch_size: int, lease_seconds: int, timeout: int = 5
) -> Path:
    path.write_text(
        f'[mail]\nbackend = "smtp"\nsender = "{SENDER}"\noffice = "{OFFICE}"\n'
        f"batch_size = {batch_size}\nlease_seconds = {lease_seconds}\n"
        f'[mail.smtp]\nhost = "{HOST}"\nport = {port}\ntimeout = {timeout}\n',
        encoding="utf-8",
    )
    return path


def start_dispatcher(config: Path, database_url: str) -> subprocess.Popen[str]:
    """`thekiz-flow --config CONFIG outbox send`, the real CLI in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEKIZ_FLOW_")}
    env["THEKIZ_FLOW_DATABASE_URL"] = database_url
    env["THEKIZ_FLOW_ACTOR"] = "dispatcher"
    return subprocess.Popen(
        [str(SCRIPT), "--config", str(config), "outbox", "send"],
        env=env,
        cwd=config.parent,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finish(process: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    """Wait for a dispatcher (bounded) and return its exit code and output."""
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out


def sent_count(output: str) -> int:
    """N of the dispatcher's "N versandt, ..." line."""
    found = SENT_LINE.search(output)
    assert found is not None, output
    return int(found.group(1))


def stop(process: subprocess.Popen[str]) -> None:
    """For a finally: kill a dispatcher that still runs, reap it and close its pipe."""
    if process.poll() is None:
        process.kill()
        process.communicate(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


ON_CONNECT, MID_DATA, AFTER_250 = "on_connect", "mid_data", "after_250"


class KillingServer(RecordingServer):
    """Kills its dispatcher with SIGKILL once, at ``point``; after that a normal server.

    - ``on_connect``: at the EHLO of the first connection: the dispatcher has claimed its
      batch and committed, nothing has been sent.
    - ``mid_data``: once the content of the first message has arrived, before any answer;
      the server does not keep that message (it never said 250).
    - ``after_250``: the first message is accepted and answered 250; the kill comes with
      the next MAIL FROM, before the dispatcher could mark anything sent.

    The server is told its target right after ``Popen``; it waits for that before killing.
    No answer is written before the process is dead.
    """

    def __init__(self, point: str) -> None:
        super().__init__()
        self.point = point
        self.process: subprocess.Popen[str] | None = None
        self._target_known = threading.Event()
        self.answered_before_kill: list[str] | None = None  # Message-IDs answered 250

    def target(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._target_known.set()

    @property
    def killed(self) -> bool:
        return self.answered_before_kill is not None

    async def _kill_at(self, server: SMTP, point: str) -> bool:
        with self.lock:
            if point != self.point or self.answered_before_kill is not None:
                return False
            self.answered_before_kill = [r.message_id for r in self.received]
        await asyncio.to_thread(self._kill)
        if server.transport is not None:
            server.transport.close()
        return True

    def _kill(self) -> None:
        if not self._target_known.wait(10):
            raise AssertionError("the server was never told which dispatcher to kill")
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)  # dead before anything is answered

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        await self._kill_at(server, ON_CONNECT)
        return await super().handle_EHLO(server, session, envelope, hostname, responses)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.received and await self._kill_at(server, AFTER_250):
            return "421 4.3.0 gone"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if await self._kill_at(server, MID_DATA):
            return "421 4.3.0 gone"
        return await super().handle_DATA(server, session, envelope)


class PausingServer(RecordingServer):
    """Stops its dispatcher (SIGSTOP) at the EHLO of the first connection, then answers it.

    By then the dispatcher has claimed its batch and committed, and is sending the first
    message of it; nothing has been sent. ``paused`` is set once the process has stopped.
    The server is told its target right after ``Popen``; it waits for that before stopping.
    """

    def __init__(self) -> None:
        super().__init__()
        self.process: subprocess.Popen[str] | None = None
        self._target_known = threading.Event()
        self.paused = threading.Event()
        self._pausing = False

    def target(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._target_known.set()

    def _pause(self) -> None:
        if not self._target_known.wait(10):
            raise AssertionError("the server was never told which dispatcher to stop")
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        _, status = os.waitpid(self.process.pid, os.WUNTRACED)  # until it has stopped
        assert os.WIFSTOPPED(status), status
        self.paused.set()

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        with self.lock:
            first, self._pausing = not self._pausing, True
        if first:
            await asyncio.to_thread(self._pause)
        return await super().handle_EHLO(server, session, envelope, hostname, responses)
