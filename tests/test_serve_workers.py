"""`thekiz-flow serve --workers 2`: a sign-in made in one worker process holds in the other
(the sessions are rows of the database, the cookie's key is the same in every worker)."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from bench.signin_flood import _free_port, _wait_for
from tests.web_helpers import PASSWORD, USERS
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.simulation import SystemClock
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

pytestmark = pytest.mark.server
SCRIPT = Path(sys.executable).parent / "thekiz-flow"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def prepare(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        workflow = load_workflow(DEFAULT_WORKFLOW)
        service = Service(engine, workflow, SystemClock(), ZoneInfo("Europe/Berlin"), "test")
        service.users.add(USERS["office"], "office", PASSWORD)
    finally:
        engine.dispose()


def request(
    port: int, method: str, path: str, cookie: str = "", body: str = ""
) -> tuple[int, str, str]:
    """(status, body, the cookie set) over a connection of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body or None, headers=headers)
        answer = connection.getresponse()
        return (
            answer.status,
            answer.read().decode(),
            (answer.getheader("set-cookie") or "").split(";")[0],
        )
    finally:
        connection.close()


def test_a_sign_in_holds_in_every_worker(tmp_path: Path) -> None:
    """Without THEKIZ_FLOW_SECRET_KEY: the workers share the key `serve` made for the run
    (each worker making its own would refuse about half of the requests below)."""
    url = f"sqlite:///{tmp_path / 'thekiz-flow.db'}"
    prepare(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEKIZ_")}
    env["THEKIZ_FLOW_DATABASE_URL"] = url
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [SCRIPT, "serve", "--workers", "2", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(port, server)
            status, page, cookie = request(port, "GET", "/login")
            assert status == 200
            found = TOKEN.search(page)
            assert found is not None
            form = urlencode(
                {"email": USERS["office"], "password": PASSWORD, "csrf_token": found.group(1)}
            )
            status, _page, signed_in = request(port, "POST", "/login", cookie, form)
            assert status in (200, 303), _page
            cookie = signed_in or cookie
            deadline = time.monotonic() + 30
            while log.read_text().count("Application startup complete") < 2:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            answers = [request(port, "GET", "/account", cookie) for _ in range(24)]
            assert all(s == 200 and "Abmelden" in body for s, body, _c in answers)
        finally:
            server.terminate()
            server.wait(timeout=20)
    started = re.findall(r"Started server process \[(\d+)\]", log.read_text())
    assert len(set(started)) == 2, log.read_text()
