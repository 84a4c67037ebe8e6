"""The pages in a real browser: served in the background, seen by a headless Chromium.

Used by ``make screenshot`` and the browser tests. The browser is the system's Chromium
(Debian's ``chromium`` package), driven through Playwright; Playwright's own browser
downloads are never used, so this works on machines without outside network.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from starlette.types import ASGIApp

if TYPE_CHECKING:  # a development dependency: loaded only where a browser runs
    from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = f"Chromium fehlt ({CHROMIUM}); installieren mit: apt-get install -y chromium"
HOST = "127.0.0.1"
START_SECONDS = 30.0  # how long the server may take to listen


def launch_chromium(playwright: Playwright) -> Browser:
    """The system's headless Chromium; FileNotFoundError if it is not installed."""
    if not CHROMIUM.is_file():
        raise FileNotFoundError(MISSING)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def served(app: ASGIApp) -> Iterator[str]:
    """``with served(app) as url:`` the app on a free loopback port until the block ends."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", ws="none", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.01)
