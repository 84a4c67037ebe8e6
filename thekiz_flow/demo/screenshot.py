"""``make screenshot``: the overview of the demo data, as a desktop and as a phone shows it.

Works on a copy of the database of ``make demo`` (which stays untouched): adds the demo's
sign-ins there, serves the pages in the background and lets the system's headless
Chromium sign in as the office. Writes docs/overview.png and docs/overview-phone.png.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from thekiz_flow.demo import DEMO_DIR, build_service
from thekiz_flow.demo.browser import launch_chromium, served
from thekiz_flow.demo.serve import SignIn, prepare
from thekiz_flow.store.simulation import SystemClock, copy_sqlite
from thekiz_flow.workflow.config import MailSettings

DEMO_DATABASE = DEMO_DIR / "thekiz-flow.db"
DOCS = Path("docs")


@dataclass(frozen=True)
class Shot:
    file: str
    width: int
    height: int
    phone: bool = False


SHOTS = (Shot("overview.png", 1280, 900), Shot("overview-phone.png", 390, 844, phone=True))


def take(browser: Browser, url: str, office: SignIn, shot: Shot) -> Path:
    """Sign in as the office and save the overview as ``shot`` shows it."""
    context = browser.new_context(
        base_url=url,
        locale="de-DE",
        viewport={"width": shot.width, "height": shot.height},
        device_scale_factor=2 if shot.phone else 1,
        is_mobile=shot.phone,
        has_touch=shot.phone,
    )
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-Mail-Adresse").fill(office.email)
        page.get_by_label("Passwort").fill(office.password)
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("heading", name="Übersicht").wait_for()
        target = DOCS / shot.file
        page.screenshot(path=target)
        return target
    finally:
        context.close()


def main() -> int:
    if not DEMO_DATABASE.is_file():
        print(f"{DEMO_DATABASE} fehlt: zuerst `make demo` ausführen.", file=sys.stderr)
        return 2
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "thekiz-flow.db"
        copy_sqlite(DEMO_DATABASE, database)
        service = build_service(
            SystemClock(), MailSettings(), f"sqlite:///{database}"
        )  # sends none
        site = prepare(service, {})
        office = site.sign_ins[0]
        with served(site.app) as url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for shot in SHOTS:
                print(f"Gespeichert: {take(browser, url, office, shot)}")
            browser.close()
        service.runtime.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
