"""The calendar shows what a page can hold: per day at most a few entries and "+ N weitere"
to the whole day, which is listed a page at a time with the same filters."""

from __future__ import annotations

import re
from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.conftest import BERLIN, TODAY
from tests.web_helpers import login
from thekiz_flow.core import paging
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.service import Service
from thekiz_flow.web.pages.calendar import SHOWN

ADMITTED = date(2026, 3, 2)
BUSY = date(2026, 7, 15)  # a Wednesday


def busy_day(service: Service) -> dict[str, list[int]]:
    """Centres of Lena (coach 1) in Jena and of Jonas (coach 2) in Gera, admitted in March,
    each with a session on request on BUSY: more than a day of the month shows."""
    assert isinstance(service.runtime.clock, FrozenClock)
    service.runtime.clock.set(noon(ADMITTED, BERLIN))
    service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    centres: dict[str, list[int]] = {"jena": [], "gera": []}
    for n in range(4):
        for district, coach in (("jena", "1"), ("gera", "2")):
            centre = service.registry.add_centre(
                CentreInput(f"Kita {district} {n}", district, "k@example.org", coach=coach),
                ADMITTED,
            )
            service.lifecycle.advance(centre, "admit", on=ADMITTED)
            centres[district].append(centre)
    service.runtime.clock.set(noon(TODAY, BERLIN))
    for ids in centres.values():
        for centre in ids:
            service.sessions.request(centre, BUSY)
    return centres


def of_day(service: Service, day: date) -> list[tuple[ActivityKind, int, int]]:
    """What the calendar shows on a day, by the rules applied to every activity: (kind,
    centre, coach of the session or of the visited centre)."""
    found: list[tuple[ActivityKind, int, int]] = []
    for activity in service.overview.activities(ActivityFilter(first=day, last=day)):
        if activity.kind == ActivityKind.TRAINING or activity.status not in (
            ActivityStatus.PLANNED,
            ActivityStatus.HELD,
        ):
            continue
        centre, _ = service.registry.centre(activity.centre_id)
        coach = activity.coach_id if activity.kind == ActivityKind.COACHING else centre.coach_id
        found.append((activity.kind, activity.centre_id, coach or 0))
    return found


def day_cell(page: str, day: date) -> str:
    """The grid's cell of a day."""
    cells = page.split('<li class="day')[1:]
    (cell,) = [c for c in cells if re.search(rf"<h2[^>]*>.*?{day:%d\.%m\.}.*?</h2>", c)]
    return cell


def entries(html: str) -> list[str]:
    return re.findall(r'<li class="entry [^"]*"><a href="([^"]+)"', html)


def listed_centres(page: str) -> list[str]:
    return re.findall(r'<td data-label="Einrichtung"><a href="/centres/(\d+)"', page)


def test_a_busy_day_shows_a_few_and_links_to_the_whole_day(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    centres = busy_day(service)
    every = of_day(service, BUSY)
    assert len(every) > SHOWN
    login(web, "office")
    july = web.get("/calendar", params={"month": "2026-07", "coach": ""})
    assert july.status_code == 200
    cell = day_cell(july.text, BUSY)
    assert len(entries(cell)) == SHOWN
    sessions = sum(kind == ActivityKind.COACHING for kind, _, _ in every)
    assert f"+ {len(every) - SHOWN} weitere" in cell
    assert f"{sessions} Begleittermine" in cell
    link = re.search(r'<p class="more"><a href="([^"]+)"', cell)
    assert link is not None
    whole = link.group(1).replace("&amp;", "&")
    assert whole == "/calendar/2026-07-15?coach=&district="
    assert f'<h2 class="day-head"><a href="{link.group(1)}">' in cell  # the day's heading too
    monkeypatch.setattr(paging, "PAGE_SIZE", 3)
    first = web.get(whole)
    assert first.status_code == 200
    assert "Termine am Mittwoch, 15.07.2026" in first.text
    assert f"Begleittermine und Besuche ({len(every)})" in first.text
    shown = listed_centres(first.text)
    assert len(shown) == 3
    for number in range(2, paging.page_count(len(every)) + 1):
        more = web.get(whole, params={"page": str(number)})
        shown += listed_centres(more.text)
    assert sorted(int(c) for c in shown) == sorted(centre for _, centre, _ in every)
    # the same filters as the month: Jonas's day in Gera
    gera = web.get(whole, params={"coach": "2", "district": "Gera", "page": "1"}).text
    jonas = [c for kind, c, coach in every if coach == 2 and c in centres["gera"]]
    assert f"Begleittermine und Besuche ({len(jonas)})" in gera
    assert set(listed_centres(gera)) <= {str(c) for c in jonas}
    assert "Seite 1 von" in gera


def test_a_filtered_month_counts_only_what_its_filters_keep(
    web: TestClient, service: Service
) -> None:
    centres = busy_day(service)
    login(web, "office")
    lena = web.get("/calendar", params={"month": "2026-07", "coach": "1"}).text
    mine = [c for _, c, coach in of_day(service, BUSY) if coach == 1]
    cell = day_cell(lena, BUSY)
    linked = {int(link.rsplit("/", 1)[1]) for link in entries(cell)}
    assert linked <= set(mine)
    assert not linked & set(centres["gera"])
    assert len(mine) > SHOWN
    assert f"+ {len(mine) - SHOWN} weitere" in cell
    assert "/calendar/2026-07-15?coach=1&amp;district=" in cell
    jena = web.get("/calendar", params={"month": "2026-07", "coach": "", "district": "Jena"})
    cell = day_cell(jena.text, BUSY)
    assert {int(link.rsplit("/", 1)[1]) for link in entries(cell)} <= set(centres["jena"])


def test_a_day_that_is_not_one_is_refused(web: TestClient, service: Service) -> None:
    login(web, "office")
    assert web.get("/calendar/2026-02-30").status_code == 400
    assert web.get("/calendar/morgen").status_code == 400
    assert web.get("/calendar/2026-07-15", params={"district": "Atlantis"}).status_code == 400
    assert web.get("/calendar/2026-07-15").status_code == 200


def test_a_day_or_month_at_the_edge_of_time_is_refused_not_an_error(web: TestClient) -> None:
    """A day next to the calendar's limits has no day after it, a month no month after it:
    refused beside the field (400), never a server error."""
    login(web, "office")
    for path, params in (
        ("/calendar/9999-12-31", {}),
        ("/calendar/0001-01-01", {}),
        ("/calendar", {"month": "9999-12"}),
        ("/calendar", {"month": "0001-01"}),
        ("/sessions", {"month": "9999-12"}),
        ("/visits", {"month": "9999-12"}),
    ):
        answer = web.get(path, params=params)
        assert answer.status_code == 400, (path, params, answer.status_code)
        assert "Jahr nicht zwischen 1900 und 2999" in answer.text
