"""What people click: every page (signed in as the office, and as a coach for the coach's
pages) and the interactive commands, each timed on the size's generated history. The pages
named in ``PAGES`` come first; every other page of the office is found by following the
links from the start page (one address per route, files left out), so that no page is
left out of the table.

A page's figure is its median time at a size against its median at the smallest size of the
same run (``bench/run.py --sizes 600,6000,60000``): a page that costs what it shows takes
about as long at 60,000 centres as at 600. The requests go through the whole web stack
(Starlette's TestClient: routing, session cookie, templates), in one process per size.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from bench.child import Probe
from bench.common import TODAY, engine_for, say, service
from bench.report import PAGE_PREFIX, Figure, ratio

if TYPE_CHECKING:
    from starlette.testclient import TestClient

    from bench.scenario import SizeRun

REPEATS = 5  # requests per page (the median counts); the first one warms caches up
SLOW = 2.0  # seconds: a page whose first request takes longer is measured by that one
HREF = re.compile(r'href="(/[^"#]*)"')
PASSWORD = "ein-langes-Passwort-fuer-den-bench"
OFFICE = "buero-bench@example.org"
SECRET = "b" * 32
# name -> (role, path); {coach}, {centre}, {token} are filled in from the size's data
PAGES: dict[str, tuple[str, str]] = {
    "page_start_office": ("office", "/"),
    "page_coaches": ("office", "/coaches"),
    "page_coach": ("office", "/coaches/{coach}"),
    "page_centres": ("office", "/centres"),
    "page_centre": ("office", "/centres/{centre}"),
    "page_sessions": ("office", "/sessions"),
    "page_visits": ("office", "/visits"),
    "page_trainings": ("office", "/trainings"),
    "page_calendar": ("office", "/calendar"),
    "page_reminders": ("office", "/outbox/reminders"),
    "page_outbox": ("office", "/outbox"),
    "page_districts": ("office", "/districts"),
    "page_start_coach": ("coach", "/"),
    "page_sessions_coach": ("coach", "/sessions"),
    "page_feed": ("feed", "/feeds/{token}.ics"),
}
# name -> the command's arguments: a page of 50 rows (bounded), and the whole list (an
# export: its figure is the time per KB printed, which stays flat if it is linear)
PAGE_ROWS = "50"
COMMANDS: dict[str, list[str]] = {
    "command_centre_list_page": ["centre", "list", "--json", "--limit", PAGE_ROWS],
    "command_eligible_page": ["eligible", "--json", "--limit", PAGE_ROWS],
    "command_reminders_preview_page": ["reminders", "preview", "--json", "--limit", PAGE_ROWS],
    "command_centre_list": ["centre", "list", "--json"],
    "command_eligible": ["eligible", "--json"],
    "command_reminders_preview": ["reminders", "preview", "--json"],
}
KEEPING = "job_forecast_keep"  # `run`'s keeping of the forecast (report only: not a page)
PER_KB = "_per_kb"  # the suffix of a whole list's figure: seconds per KB printed
WHOLE_LISTS = ("command_centre_list", "command_eligible", "command_reminders_preview")


@dataclass(frozen=True)
class Data:
    coach: int
    coach_email: str
    centre: int


def _data(engine: Engine) -> Data:
    """A typical coach and the first centre. The coach is the one with the median number
    of sessions from the feed's first day on (the generator gives some coaches more
    centres, and more sessions per centre in some stages: their feed and pages would
    measure a larger load, not the page); ties by number."""
    from thekiz_flow.service.feeds import PAST
    from thekiz_flow.store.tables import activities, centres, coaches

    a = activities.c
    with engine.connect() as conn:
        loads = conn.execute(
            select(a.coach_id)
            .where(a.coach_id.is_not(None), a.date >= TODAY - PAST)
            .group_by(a.coach_id)
            .order_by(func.count(), a.coach_id)
        ).all()
        typical = loads[len(loads) // 2][0]
        coach_id, email = conn.execute(
            select(coaches.c.id, coaches.c.email).where(coaches.c.id == typical)
        ).one()
        centre = conn.execute(select(func.min(centres.c.id))).scalar_one()
    return Data(int(coach_id), str(email), int(centre))


def _median(work: Callable[[], int]) -> tuple[float, int, float]:
    """Median seconds of REPEATS runs after one warm-up, the size of the answer, and the
    warm-up's seconds (a page that figures what it keeps at its first view: its cost)."""
    started = time.perf_counter()
    work()
    first = time.perf_counter() - started
    return (*_repeated(work), first)


def _repeated(work: Callable[[], int]) -> tuple[float, int]:
    """Median seconds of REPEATS runs, and the size of the answer."""
    size = 0
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        size = work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), size


def pages(probe: Probe, url: str) -> dict[str, Any]:
    """Every page of ``PAGES``, every other page of the office (`_crawled`) and every command
    of ``COMMANDS``: median seconds and bytes."""
    from starlette.testclient import TestClient

    from thekiz_flow.core.errors import InvalidInput
    from thekiz_flow.web import create_app
    from thekiz_flow.workflow.config import Settings

    svc = service(engine_for(url))
    engine = svc.runtime.engine
    data = _data(engine)
    for email, role in ((OFFICE, "office"), (data.coach_email, "coach")):
        with contextlib.suppress(InvalidInput):  # a database measured before has them
            svc.users.add(email, role, PASSWORD)
    _, token = svc.feeds.create(str(data.coach))
    started = time.perf_counter()
    svc.forecast.keep()  # what `run` does every few minutes: the forecast's first view kept
    keeping = time.perf_counter() - started
    app = create_app(Settings(), svc.acting_as, SECRET)
    clients = {}
    for role, email in (("office", OFFICE), ("coach", data.coach_email)):
        client = TestClient(app, base_url="https://testserver")
        page = client.get("/login").text
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
        clients[role] = client
    clients["feed"] = TestClient(app, base_url="https://testserver")
    found: dict[str, Any] = {KEEPING: {"seconds": keeping, "bytes": 0, "first": keeping}}
    with probe.timed():
        for name, (role, path) in PAGES.items():
            target = path.format(coach=data.coach, centre=data.centre, token=token)

            def get(client: TestClient = clients[role], target: str = target) -> int:
                response = client.get(target)
                if response.status_code != 200:
                    raise RuntimeError(f"{target}: HTTP {response.status_code}")
                return len(response.content)

            seconds, size, first = _median(get)
            found[name] = {"seconds": seconds, "bytes": size, "first": first}
        known = {
            path.format(coach=data.coach, centre=data.centre, token=token)
            for _, path in PAGES.values()
        }
        found.update(_crawled(clients["office"], known))
        for name, args in COMMANDS.items():

            def command(args: list[str] = args) -> int:
                return _command(url, args)

            seconds, size, first = _median(command)
            found[name] = {"seconds": seconds, "bytes": size, "first": first}
    return {"seconds": sum(f["seconds"] for f in found.values()), "pages": found}


def _crawled(client: TestClient, known: set[str]) -> dict[str, dict[str, float]]:
    """Every other page of the office: one address per route of the app that answers GET
    with a page, found by following the links from the start page (as `demo/crawl.py`
    finds them for the screenshots), files left out; each measured as ``_median`` does, the
    crawl's request its warm-up, but by that request alone if it took longer than SLOW."""
    from thekiz_flow.demo.crawl import name_of, page_routes, route_of

    routes = page_routes()
    measured = {route_of(address, routes) for address in known}  # their links followed
    queue, done = ["/"], set()
    found: dict[str, dict[str, float]] = {}
    while queue:
        address = html.unescape(queue.pop(0))
        route = route_of(address, routes)
        if route is None or route in done or _file(route):
            continue
        done.add(route)
        started = time.perf_counter()
        response = client.get(address)
        first = time.perf_counter() - started
        if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
            continue
        queue.extend(link for link in HREF.findall(response.text) if not link.startswith("//"))
        if route in measured:
            continue

        def get(address: str = address) -> int:
            return len(client.get(address).content)

        seconds, size = (first, len(response.content)) if first > SLOW else _repeated(get)
        requests = 1 if first > SLOW else REPEATS
        found[PAGE_PREFIX + name_of(route)] = {
            "seconds": seconds,
            "bytes": size,
            "requests": requests,
        }
    return found


def _file(route: str) -> bool:
    """A route that answers with a file (a download, an export): "/centres/export.csv",
    "/digests/{year:year}.{suffix}", "/privacy/coach/{coach_id:id}/json"."""
    return "." in route.rsplit("/", 1)[-1] or route.endswith("/json")


def _command(url: str, args: list[str]) -> int:
    """One command of the CLI, in process, on ``url`` (the real day); bytes printed."""
    from thekiz_flow.cli import main

    os.environ["THEKIZ_FLOW_DATABASE_URL"] = url
    os.environ["THEKIZ_FLOW_ACTOR"] = "fachstelle"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    if code != 0:
        raise RuntimeError(f"{' '.join(args)}: exit code {code}")
    return len(out.getvalue().encode())


def _measured(figures: dict[str, float]) -> str:
    requests = int(figures.get("requests", REPEATS))
    return f"one request (slower than {SLOW:g} s)" if requests == 1 else f"median of {requests}"


def per_kb(figures: dict[str, float]) -> float:
    """Seconds per KB printed (a whole list's cost per what it shows)."""
    return figures["seconds"] / max(figures["bytes"] / 1024, 1e-9)


def measure(run: SizeRun) -> None:
    """This size's pages and commands; figures against the smallest size of the run."""
    outcome = run.run_task("pages", "pages", run.allowance.budget(run.budgets.pages), url=run.url)
    if not outcome.ok:
        return
    found: dict[str, dict[str, float]] = outcome.data["pages"]
    run.results.note(run.size, "pages", found)
    smallest = run.results.page_base
    if smallest is None:
        run.results.page_base = (run.size, found)
        return
    base_size, base = smallest
    for name, figures in found.items():
        before = base.get(name)
        if before is None:
            continue
        first = f"; first request {figures['first']:.2f} s" if "first" in figures else ""
        note = (
            f"against {base_size:,} centres; {_measured(figures)}{first}; "
            f"{figures['bytes'] / 1024:.0f} KB (at {base_size:,}: "
            f"{before['bytes'] / 1024:.0f} KB)"
        )
        if name in WHOLE_LISTS:  # an export: linear if its time per KB stays
            ours, then = per_kb(figures), per_kb(before)
            whole = f"{figures['seconds']:.3f} s (at {base_size:,}: {before['seconds']:.3f} s)"
            note = f"{whole}; {note}"
            run.results.add(
                Figure(name + PER_KB, run.size, ours, then, "s/KB", ratio(ours, then), note=note)
            )
            continue
        run.results.add(
            Figure(
                name,
                run.size,
                figures["seconds"],
                before["seconds"],
                "s",
                ratio(figures["seconds"], before["seconds"]),
                note=note,
            )
        )
    say(f"  pages at {run.size:,} against {base_size:,}: see the table")
