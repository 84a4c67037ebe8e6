"""Pages of a list: the page asked for, the rows before it, and how many pages there are."""

from __future__ import annotations

import pytest

from thekiz_flow.core import paging
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import MAX_ID


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
