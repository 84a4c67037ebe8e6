"""The yearly digests on the web: the years, and their files as downloads."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import BERLIN
from tests.test_web_overview import programme
from tests.web_helpers import login
from thekiz_flow.service import Service
from thekiz_flow.workflow.config import DigestSettings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def folder(service: Service, tmp_path: Path) -> Path:
    """[digest] dir of the pages, with centres known since 2024 (today is in 2026)."""
    service.runtime.digest = DigestSettings(dir=tmp_path / "digests")
    programme(service)
    return service.runtime.digest.dir


def written_at(path: Path, when: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("geschrieben", encoding="utf-8")
    os.utime(path, (when.timestamp(), when.timestamp()))


@pytest.mark.parametrize(("role", "status"), [("office", 200), ("ministry", 200), ("coach", 403)])
def test_the_digests_per_role(web: TestClient, folder: Path, role: str, status: int) -> None:
    login(web, role)
    page = web.get("/digests")
    assert page.status_code == status
    assert web.get("/digests/2025.csv").status_code == status
    if status == 200:
        assert '2026 <span class="muted">(vorläufig)</span>' in page.text
        for year in (2025, 2024):
            assert f"<td>{year}</td>" in page.text
            assert f'href="/digests/{year}.xlsx"' in page.text
            assert f'href="/digests/{year}.pdf"' in page.text
        assert "2023" not in page.text


@pytest.mark.parametrize(
    ("suffix", "content_type"),
    [
        ("pdf", "application/pdf"),
        ("html", "text/html; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", XLSX),
    ],
)
def test_a_digest_is_the_service_s_file_as_a_download(
    web: TestClient, service: Service, folder: Path, tmp_path: Path, suffix: str, content_type: str
) -> None:
    login(web, "ministry")
    response = web.get(f"/digests/2025.{suffix}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == (
        f'attachment; filename="thekiz-jahresbericht-2025.{suffix}"'
    )
    assert response.content == (folder / f"digest-2025.{suffix}").read_bytes()
    elsewhere = getattr(service.digest.write(2025, tmp_path / "elsewhere"), suffix)
    assert response.content == elsewhere.read_bytes()


def test_a_complete_year_s_files_are_served_as_they_are(web: TestClient, folder: Path) -> None:
    after_the_year = datetime(2026, 1, 2, tzinfo=BERLIN)
    for suffix in ("html", "csv", "xlsx", "pdf"):
        written_at(folder / f"digest-2025.{suffix}", after_the_year)
    login(web, "office")
    assert web.get("/digests/2025.csv").text == "geschrieben"


def test_files_written_before_the_year_ended_are_written_again(
    web: TestClient, folder: Path
) -> None:
    for year, when in (
        (2025, datetime(2025, 12, 31, 23, tzinfo=BERLIN)),
        (2026, datetime.now(BERLIN)),
    ):
        for suffix in ("html", "csv", "xlsx", "pdf"):
            written_at(folder / f"digest-{year}.{suffix}", when)
    login(web, "office")
    for year in (2025, 2026):  # the current year is provisional: always written anew
        fresh = web.get(f"/digests/{year}.csv").content
        assert fresh != b"geschrieben"
        assert fresh == (folder / f"digest-{year}.csv").read_bytes()


@pytest.mark.parametrize("path", ["/digests/2023.csv", "/digests/2027.xlsx", "/digests/2025.docx"])
def test_unknown_years_and_formats_are_not_found(web: TestClient, folder: Path, path: str) -> None:
    login(web, "ministry")
    response = web.get(path)
    assert response.status_code == 404
    year = path[9:13]
    assert (
        f"Für {year} gibt es keinen Jahresbericht." in response.text
        or "nicht als docx" in response.text
    )
    assert not (folder / f"digest-{year}.csv").exists()


def test_without_centres_only_the_current_year(web: TestClient, service: Service) -> None:
    login(web, "office")
    page = web.get("/digests").text
    assert "2026 <span" in page
    assert "2025" not in page
