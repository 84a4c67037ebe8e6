"""Pages of a long list: which rows one page shows, and how many pages there are.

Every list page of the web (centres, sessions, visits, trainings, coaches, users) shows
``PAGE_SIZE`` rows at a time; the store reads just those (``offset``/``limit``) and counts
the rest. A page number beyond the last shows an empty page, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from thekiz_flow.core import validate
from thekiz_flow.core.ids import MAX_ID

PAGE_SIZE = 50  # rows per page of a list

T = TypeVar("T")


def page_number(value: str) -> int:
    """The page asked for (``"1"`` if blank); at most the largest id, so that the offset
    stays an integer the databases take."""
    return min(validate.identifier("page", value or "1") or 1, MAX_ID)


def size() -> int:
    """The rows of a page (read when asked, so that a test may make pages small)."""
    return PAGE_SIZE


def offset(page: int) -> int:
    """The rows before ``page``."""
    return (page - 1) * size()


def page_count(total: int) -> int:
    """How many pages ``total`` rows fill (at least one, the empty list's)."""
    return max(1, -(-total // size()))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, the rows on every page, its number and how many."""

    items: list[T]
    total: int
    page: int
    pages: int

    @classmethod
    def of(cls, items: list[T], total: int, page: int) -> Page[T]:
        return cls(items, total, page, page_count(total))
