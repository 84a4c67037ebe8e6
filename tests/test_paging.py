"""Pages of a list: the page asked for, the rows before it, and how many pages there are."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.store.helpers import NOW
from tests.web_helpers import login
from thekiz_flow.core import paging
from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import MAX_ID
from thekiz_flow.core.model import CentreInput
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.service import Service


def test_a_blank_page_is_the_first_and_a_huge_one_stays_an_integer() -> None:
    assert paging.page_number("") == 1
    assert paging.page_number(" 3 ") == 3
    assert paging.page_number("0") == 1
    assert paging.page_number("9" * 30) == MAX_ID


@pytest.mark.parametrize("value", ["-1", "2.5", "zwei", "³"])
def test_a_page_that_is_no_number_is_refused_in_german(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        paging.page_number(value)
    assert refused.value.field == "page"
    assert refused.value.worded() == f"ungültige Nummer {value!r}"


def test_pages_hold_page_size_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 10)
    assert [paging.page_count(total) for total in (0, 1, 10, 11, 20, 21)] == [1, 1, 1, 2, 2, 3]
    assert paging.offset(1) == 0
    assert paging.offset(3) == 20
    page = paging.Page.of(["a"], total=21, page=3)
    assert (page.pages, page.total, page.items) == (3, 21, ["a"])


@pytest.mark.parametrize("path", ["/users", "/coaches", "/trainings", "/centres", "/outbox"])
def test_a_page_beyond_the_last_says_so_and_links_to_the_last(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Not "nothing found" under a heading that counts rows: how many pages there are."""
    service.registry.add_centre(CentreInput("Kita Sonne", "jena", "s@example.org"))
    service.trainings.add("reflexion", "Reflexion", "2026-09-10", "Erfurt", "12")
    with service.runtime.unit() as repo:
        repo.outbox.add(
            [NewMail("k", "r", Recipient.OFFICE, "o@example.org", "s", "", "", NOW)], NOW
        )
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    login(web, "office")
    first = web.get(path)
    pages = (
        int(re.findall(r"Seite 1 von (\d+)", first.text)[0]) if "Seite 1 von" in first.text else 1
    )
    beyond = web.get(path, params={"page": "9"})
    assert beyond.status_code == 200
    if pages == 1:
        assert re.search(
            r'Die Liste hat nur eine Seite. <a href="\?[^"]*page=1">Zur Liste</a>', beyond.text
        )
    else:
        assert f"Die Liste hat nur {pages} Seiten." in beyond.text
        assert re.search(rf'href="\?[^"]*page={pages}">Zur letzten Seite</a>', beyond.text)
