"""The digest as a reader prints or opens it: a PDF of A4 pages with the key figures, and
every table within a 1280 px screen and an A4 page in Chromium."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from pypdf import PdfReader

from tests.test_digest_files import DIGEST, TEMPLATES, _centre
from thekiz_flow.demo.browser import launch_chromium
from thekiz_flow.digest.files import pdf_bytes, render_html

A4_POINTS = (595, 842)  # width and height of an A4 page in PDF points, rounded
# A4 is 210 mm wide; the report's @page leaves 12 mm each side: 186 mm at 96 px per inch
A4_CONTENT_PX = round(186 / 25.4 * 96)
DISTRICTS = (
    "Altenburger Land", "Eichsfeld", "Gotha", "Greiz", "Hildburghausen", "Ilm-Kreis",
    "Kyffhäuserkreis", "Nordhausen", "Saale-Holzland-Kreis", "Saale-Orla-Kreis",
    "Saalfeld-Rudolstadt", "Schmalkalden-Meiningen", "Sömmerda", "Sonneberg",
    "Unstrut-Hainich-Kreis", "Wartburgkreis", "Weimarer Land",
)  # fmt: skip
STAGES = (
    ("interessent", "Interessent"),
    ("basisbegleitung", "Basisbegleitung"),
    ("vertiefungsbegleitung", "Vertiefungsbegleitung"),
    ("konsultationseinrichtung", "Konsultationseinrichtung"),
    ("pausiert", "Pausiert"),
    ("ausgeschieden", "Ausgeschieden"),
)
# the widest the report gets: every stage in every district, long names, large sums
WIDE = replace(
    DIGEST,
    stages=STAGES,
    districts=DISTRICTS,
    stage_end={stage: 1234 for stage, _ in STAGES},
    district_end={(d, s): 99 for d in DISTRICTS for s, _ in STAGES},
    district_start={(d, s): 99 for d in DISTRICTS for s, _ in STAGES},
    centres=tuple(
        _centre(
            n, f"Kindertagesstätte Sonnenblume {n}", "Schmalkalden-Meiningen",
            "konsultationseinrichtung", "vertiefungsbegleitung", 120, "1234.5",
            "123456.75", "5000", n % 2 == 0, 12,
        )
        for n in range(1, 30)
    ),
)  # fmt: skip


def _pdf_text(data: bytes) -> tuple[int, str, list[tuple[int, int]]]:
    reader = PdfReader(io.BytesIO(data))
    sizes = [(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages]
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), text.replace("\xad", "").replace("\xa0", " "), sizes


def test_the_pdf_has_a4_pages_with_the_key_figures() -> None:
    pages, text, sizes = _pdf_text(pdf_bytes(render_html(DIGEST, TEMPLATES)))

    assert pages >= 2
    assert set(sizes) == {A4_POINTS}
    assert "Jahresbericht ThEKiZ 2025" in text
    assert "10.208,33 €" in text  # the budget of the stages with a budget
    assert "40,4 % ausgeschöpft" in text
    assert "Kita Regenbogen" in text
    assert f"Seite 1 von {pages}" in text


def test_the_same_report_gives_the_same_pdf() -> None:
    html = render_html(DIGEST, TEMPLATES)
    assert pdf_bytes(html) == pdf_bytes(html)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except FileNotFoundError as missing:
            pytest.fail(str(missing))
        yield chromium
        chromium.close()


OVERFLOWING = """() => [...document.querySelectorAll('table')]
    .filter(t => t.scrollWidth > t.parentElement.clientWidth || t.scrollWidth > innerWidth
                 || t.getBoundingClientRect().right > innerWidth)
    .map(t => t.id)"""


@pytest.mark.browser
@pytest.mark.parametrize(("width", "media"), [(1280, "screen"), (A4_CONTENT_PX, "print")])
def test_every_table_fits_the_screen_and_the_page(
    browser: Browser, tmp_path: Path, width: int, media: str
) -> None:
    report = tmp_path / "digest.html"
    report.write_text(render_html(WIDE, TEMPLATES), encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.emulate_media(media="print" if media == "print" else "screen")
        page.goto(report.as_uri())
        assert page.evaluate("document.querySelectorAll('table').length") == 11
        assert page.evaluate(OVERFLOWING) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.close()


@pytest.mark.browser
def test_the_check_sees_a_table_too_wide(browser: Browser, tmp_path: Path) -> None:
    """The measure above can fail: a report whose cells may not wrap overflows."""
    html = render_html(WIDE, TEMPLATES).replace(
        "</style>", "td, th { white-space: nowrap; }</style>"
    )
    report = tmp_path / "digest.html"
    report.write_text(html.replace("\xad", ""), encoding="utf-8")
    page = browser.new_page(viewport={"width": A4_CONTENT_PX, "height": 900})
    try:
        page.emulate_media(media="print")
        page.goto(report.as_uri())
        assert "centres" in page.evaluate(OVERFLOWING)
    finally:
        page.close()
