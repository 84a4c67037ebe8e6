"""``make screenshot``: every page of the demo data, as a desktop (1280 px) and a phone
(390 px) shows it.

Works on a copy of the database of ``make demo`` (which stays untouched): adds the demo's
sign-ins there, serves the pages in the background and lets the system's headless
Chromium follow the links as each role (demo/crawl.py), so a new page is shown as soon as
a page links to it. Writes docs/screens/ROLE-PAGE-WIDTH.png: the office's every page, and
of the coach, the ministry and someone signed out the page they land on and the pages the
office does not reach. A long page is cut at ``Width.longest`` pixels.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, sync_playwright

from thekiz_flow.demo import DEMO_DIR, build_service
from thekiz_flow.demo.browser import launch_chromium, served
from thekiz_flow.demo.crawl import crawl, name_of
from thekiz_flow.demo.serve import SignIn, prepare
from thekiz_flow.store.simulation import SystemClock, copy_sqlite
from thekiz_flow.workflow.config import MailSettings

DEMO_DATABASE = DEMO_DIR / "thekiz-flow.db"
SCREENS = Path("docs") / "screens"
PAGE_HEIGHT = "document.documentElement.scrollHeight"


@dataclass(frozen=True)
class Width:
    pixels: int
    height: int  # of the window
    longest: int  # a longer page is cut here
    phone: bool = False


WIDTHS = (Width(1280, 900, 1200), Width(390, 844, 1400, phone=True))


@contextmanager
def signed_in(
    browser: Browser, url: str, who: SignIn | None, width: Width
) -> Iterator[BrowserContext]:
    """A browser context of ``width`` signed in as ``who`` (None: signed out)."""
    context = browser.new_context(
        base_url=url,
        locale="de-DE",
        viewport={"width": width.pixels, "height": width.height},
        is_mobile=width.phone,
        has_touch=width.phone,
    )
    try:
        if who is not None:
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("E-Mail-Adresse").fill(who.email)
            page.get_by_label("Passwort").fill(who.password)
            page.get_by_role("button", name="Anmelden").click()
            page.get_by_role("button", name="Abmelden").wait_for()
            page.close()
        yield context
    finally:
        context.close()


def shoot(context: BrowserContext, address: str, target: Path, width: Width) -> Path:
    page = context.new_page()
    try:
        page.goto(address)
        height = min(int(page.evaluate(PAGE_HEIGHT)), width.longest)
        clip = {"x": 0, "y": 0, "width": width.pixels, "height": height}
        page.screenshot(path=target, full_page=True, clip=clip)  # type: ignore[arg-type]
        return target
    finally:
        page.close()


def take_all(browser: Browser, url: str, sign_ins: list[SignIn]) -> list[Path]:
    """The office first: every page; then each other role's start and its own pages."""
    taken: list[Path] = []
    shown: set[str] = set()
    for who in (*sign_ins, None):
        role = who.role.value if who else "signed-out"
        with signed_in(browser, url, who, WIDTHS[0]) as context:
            found = crawl(context)
        # where the role lands (also an error page: what they see), then what is new
        wanted = {found.landing or "/": "/"}
        wanted.update((r, a) for r, a in found.pages.items() if r not in shown and r not in wanted)
        shown.update(found.pages)
        for width in WIDTHS:
            with signed_in(browser, url, who, width) as context:
                for route, address in wanted.items():
                    target = SCREENS / f"{role}-{name_of(route)}-{width.pixels}.png"
                    taken.append(shoot(context, address, target, width))
    return taken


def main() -> int:
    if not DEMO_DATABASE.is_file():
        print(f"{DEMO_DATABASE} fehlt: zuerst `make demo` ausführen.", file=sys.stderr)
        return 2
    SCREENS.mkdir(parents=True, exist_ok=True)
    for old in SCREENS.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "thekiz-flow.db"
        copy_sqlite(DEMO_DATABASE, database)
        mail = MailSettings(templates_dir=Path(folder) / "mail-templates")  # sends none
        service = build_service(SystemClock(), mail, f"sqlite:///{database}")
        site = prepare(service, {})
        with served(site.app) as url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            taken = take_all(browser, url, site.sign_ins)
            browser.close()
        service.runtime.engine.dispose()
    size = sum(path.stat().st_size for path in taken)
    print(f"{len(taken)} Bildschirmfotos in {SCREENS}/ ({size / 1_000_000:.1f} MB).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
