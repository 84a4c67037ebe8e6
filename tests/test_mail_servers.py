"""The SMTP servers on loopback (the demonstration's sink, the tests' servers) leave no
socket behind when they stop, whoever connected just before."""

from __future__ import annotations

import gc
import socket
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from tests.smtp_servers import HOST, RecordingServer
from thekiz_flow.demo.sink import MailSink

ROUNDS = 20  # a plain aiosmtpd Controller leaves about two sockets a round


def _left_open(server: Callable[[], AbstractContextManager[RecordingServer | MailSink]]) -> int:
    """Sockets left to the garbage collector over ``ROUNDS`` servers, each stopped right
    after a client connected."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(ROUNDS):
            with server() as running:
                client = socket.create_connection((HOST, running.port))
            client.close()
        gc.collect()
    return sum(1 for w in caught if issubclass(w.category, ResourceWarning))


def test_a_server_stopped_right_after_a_client_connected_closes_its_side() -> None:
    assert _left_open(RecordingServer) == 0


def test_the_demonstrations_sink_closes_its_side_too(tmp_path: Path) -> None:
    assert _left_open(lambda: MailSink(tmp_path)) == 0


def test_a_client_still_connected_when_the_server_stops_reads_the_end() -> None:
    with RecordingServer() as server:
        client = socket.create_connection((HOST, server.port), timeout=2)
        assert client.recv(1024).startswith(b"220")
    with client:
        assert client.recv(1024) == b""  # closed by the server, not left to the collector
