"""Every page a signed-in user can reach, found by following the links from where they land.

Used by ``make screenshot`` and the browser tests (axe-core): the pages are not listed by
hand but found, one address per route of the app (``web.pages.routes()``), so a new page
is shown and checked as soon as a page links to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.routing import Route

from thekiz_flow.web import pages

if TYPE_CHECKING:  # a development dependency: loaded only where a browser runs
    from playwright.sync_api import BrowserContext, Page

LINKS = "links => links.map(a => a.getAttribute('href'))"


@dataclass
class Found:
    """What following the links found: an address per route that answers with a page, an
    address per route that answers with a file, and the addresses that answered an error."""

    pages: dict[str, str] = field(default_factory=dict)  # route path -> address
    files: dict[str, str] = field(default_factory=dict)
    broken: dict[str, int] = field(default_factory=dict)  # address -> status
    landing: str | None = None  # the route of the page the start address shows


def page_routes() -> list[Route]:
    """The app's routes that answer GET."""
    return [
        route
        for route in pages.routes()
        if isinstance(route, Route) and "GET" in (route.methods or ())
    ]


def route_of(address: str, routes: list[Route]) -> str | None:
    """The path of the route that answers ``address`` ("/centres/{centre_id:id}")."""
    path = urlsplit(address).path
    for route in routes:
        if route.path_regex.fullmatch(path):
            return route.path
    return None


def name_of(route: str) -> str:
    """A file name for a route: "/" start, "/centres/{centre_id:id}/edit" centres-centre-edit."""
    parts = []
    for part in route.strip("/").split("/"):
        if part.startswith("{"):
            part = part.strip("{}").split(":")[0].removesuffix("_id")
        parts.append(part)
    return "-".join(part for part in parts if part) or "start"


def links(page: Page) -> list[str]:
    """The page's links to addresses of this site (without their #fragment)."""
    hrefs: list[str] = page.eval_on_selector_all("a[href]", LINKS)
    return [
        href.split("#")[0]
        for href in hrefs
        if href.startswith("/") and not href.startswith("//") and href.split("#")[0]
    ]


def crawl(context: BrowserContext, start: str = "/") -> Found:
    """Follow every link from ``start`` (signed in as ``context``'s cookies say); the first
    address found for each route is kept. ``start`` itself may answer an error page: its
    links are followed all the same."""
    routes, found = page_routes(), Found()
    page = context.new_page()
    try:
        response = page.goto(start)
        landed = route_of(page.url, routes)
        if landed is not None and response is not None and response.ok:
            found.pages[landed] = urlsplit(page.url).path
            found.landing = landed
        queue = links(page)
        seen = {start, *queue}
        while queue:
            address = queue.pop(0)
            route = route_of(address, routes)
            if route is None or route in found.pages or route in found.files:
                continue
            answer = context.request.get(address)
            if not answer.ok:
                found.broken[address] = answer.status
                continue
            route = route_of(answer.url, routes) or route  # after a redirect
            if route in found.pages or route in found.files:
                continue
            headers = answer.headers
            if not headers.get("content-type", "").startswith(
                "text/html"
            ) or "attachment" in headers.get("content-disposition", ""):
                found.files[route] = address
                continue
            page.goto(address)
            found.pages[route] = address
            for href in links(page):
                if href not in seen:
                    seen.add(href)
                    queue.append(href)
    finally:
        page.close()
    return found
