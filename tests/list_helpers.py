"""The list pages' tests' common ground: the rows a list shows, and its exports read back."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urljoin

from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.test_web_registry import export_rows

_LINK = re.compile(r'<a href="([^"]+)" rel="next">')


def csv_export(web: TestClient, path: str, **params: str) -> list[list[str]]:
    """The CSV export of the list at ``path`` with ``params``: header row first."""
    response = web.get(f"{path}/export.csv", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return export_rows(response.content)


def xlsx_export(web: TestClient, path: str, **params: str) -> list[list[Any]]:
    """The values of the workbook's sheet: header row first."""
    response = web.get(f"{path}/export.xlsx", params=params)
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [[c.value for c in row] for row in sheet.iter_rows()]


def next_page(web: TestClient, path: str, html: str) -> str:
    """The page the pager's "weiter" link of the list at ``path`` leads to."""
    found = _LINK.search(html)
    assert found is not None, "no next page"
    return web.get(urljoin(path, found.group(1).replace("&amp;", "&"))).text


def beside(html: str, field: str) -> str:
    """The error shown beside a field."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found is not None, f"no error beside {field}"
    return found.group(1)
