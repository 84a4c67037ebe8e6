"""Sign-in under a flood of bogus ones: the server's memory and a real sign-in's latency.

Starts ``thekiz-flow serve`` as a process of its own over a fresh SQLite database (or
``--database-url``) with one office user (the real argon2id cost), then lets ``--flood``
threads post wrong passwords for unknown addresses as fast as the server answers, from one
client address (``--clients 1``, the default) or from several. During the flood a real
user signs in ``--sign-ins`` times from another address. The server trusts the loopback
proxy's ``X-Forwarded-For``, as behind a reverse proxy.

    .venv/bin/python -m bench.signin_flood                  # figures as JSON
    .venv/bin/python -m bench.signin_flood --clients 40     # 40 places at once

``--pythonpath DIR`` runs the server from another checkout of the project (a "before").
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

OFFICE = "buero@example.org"
PASSWORD = "ein-langes-Passwort"
REAL_CLIENT = "198.51.100.2"
STARTUP_SECONDS = 30.0
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Figures:
    rss_before_mb: float  # the server after start-up and one page
    rss_peak_mb: float  # the most it held at once (VmHWM)
    sign_in_seconds: list[float]  # each real sign-in's POST, flood running
    sign_in_statuses: list[int]  # 303: signed in
    flood_answers: dict[int, int]  # status -> how many


def _env(database_url: str, pythonpath: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "THEKIZ_FLOW_DATABASE_URL": database_url,
        "THEKIZ_FLOW_SECRET_KEY": "flood-" * 8,
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    env.pop("THEKIZ_FLOW_CONFIG", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _cli(args: list[str], env: dict[str, str], cwd: Path, stdin: str = "") -> None:
    command = [sys.executable, "-m", "thekiz_flow", *args]
    subprocess.run(
        command, env=env, cwd=cwd, input=stdin, text=True, check=True, capture_output=True
    )


def _prepare(url: str) -> None:
    """The schema and the office user, in this process (as `init` and `user add` would)."""
    from thekiz_flow.service import Service
    from thekiz_flow.store.engine import make_engine
    from thekiz_flow.store.migrate import upgrade
    from thekiz_flow.store.simulation import SystemClock
    from thekiz_flow.workflow.definitions import load_workflow
    from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

    engine = make_engine(url)
    try:
        upgrade(engine)
        workflow = load_workflow(DEFAULT_WORKFLOW)
        service = Service(engine, workflow, SystemClock(), ZoneInfo("Europe/Berlin"), "bench")
        service.users.add(OFFICE, "office", PASSWORD)
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _memory(pid: int, field: str) -> float:
    """VmRSS or VmHWM of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


@contextmanager
def served(
    folder: Path, database_url: str | None, pythonpath: str | None
) -> Iterator[tuple[int, int]]:
    """The server's port and process id, on an initialised database with the office user."""
    url = database_url or f"sqlite:///{folder / 'flood.db'}"
    env = _env(url, pythonpath)
    if pythonpath:  # another checkout: its own schema and users, through its command line
        _cli(["init"], env, folder)
        _cli(["user", "add", "--email", OFFICE, "--role", "office"], env, folder, PASSWORD + "\n")
    else:
        _prepare(url)
    port = _free_port()
    with (folder / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "thekiz_flow", "serve", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(port, server)
            yield port, server.pid
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("serve ended before it answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("serve did not answer in time")


class Browser:
    """One client's connection: its cookie and the login form's token."""

    def __init__(self, port: int, client: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"X-Forwarded-For": client}
        self.connection.request("GET", "/login", headers=self.headers)
        answer = self.connection.getresponse()
        page = answer.read().decode()
        self.headers["Cookie"] = (answer.getheader("set-cookie") or "").split(";")[0]
        found = _TOKEN.search(page)
        assert found is not None, "no CSRF token on the login page"
        self.token = found.group(1)

    def sign_in(self, email: str, password: str) -> tuple[int, float]:
        """The answer's status and how long the POST took."""
        form = urlencode({"email": email, "password": password, "csrf_token": self.token})
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        start = time.perf_counter()
        self.connection.request("POST", "/login", body=form, headers=headers)
        answer = self.connection.getresponse()
        answer.read()
        return answer.status, time.perf_counter() - start

    def close(self) -> None:
        self.connection.close()


def _flood(
    port: int, client: str, number: int, stop: threading.Event, answers: Counter[int]
) -> None:
    browser = Browser(port, client)
    try:
        attempt = 0
        while not stop.is_set():
            attempt += 1
            status, _ = browser.sign_in(f"niemand{number}-{attempt}@example.org", "falsch-geraten")
            answers[status] += 1
    finally:
        browser.close()


def measure(
    seconds: float = 6.0,
    flood: int = 40,
    clients: int = 1,
    sign_ins: int = 3,
    database_url: str | None = None,
    pythonpath: str | None = None,
) -> Figures:
    with (
        tempfile.TemporaryDirectory() as name,
        served(Path(name), database_url, pythonpath) as (port, pid),
    ):
        Browser(port, "192.0.2.1").close()
        before = _memory(pid, "VmRSS")
        stop, answers = threading.Event(), Counter[int]()
        threads = [
            threading.Thread(
                target=_flood, args=(port, f"203.0.113.{n % clients + 1}", n, stop, answers)
            )
            for n in range(flood)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        time.sleep(min(1.0, seconds / 4))  # the flood under way
        timings, statuses = [], []
        for _ in range(sign_ins):
            browser = Browser(port, REAL_CLIENT)
            status, took = browser.sign_in(OFFICE, PASSWORD)
            browser.close()
            statuses.append(status)
            timings.append(round(took, 3))
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        stop.set()
        for thread in threads:
            thread.join()
        peak = _memory(pid, "VmHWM")
    return Figures(
        round(before, 1), round(peak, 1), timings, statuses, dict(sorted(answers.items()))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.signin_flood", description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0, help="how long the flood lasts")
    parser.add_argument("--flood", type=int, default=40, help="bogus sign-ins at once")
    parser.add_argument("--clients", type=int, default=1, help="client addresses of the flood")
    parser.add_argument("--sign-ins", type=int, default=3, help="real sign-ins during the flood")
    parser.add_argument("--database-url", help="instead of a fresh SQLite file")
    parser.add_argument("--pythonpath", help="serve another checkout of the project")
    args = parser.parse_args(argv)
    figures = measure(
        args.seconds, args.flood, args.clients, args.sign_ins, args.database_url, args.pythonpath
    )
    print(json.dumps(asdict(figures), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
