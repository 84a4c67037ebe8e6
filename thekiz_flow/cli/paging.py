"""``--limit`` and ``--page`` of the commands that list (``centre list``, ``eligible``,
``reminders preview``): one page of the rows, and a line with where it is in all of them.
Without ``--limit`` every row is listed, as before."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from thekiz_flow.core import german, validate
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.ids import MAX_ID

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def paging_options(command: F) -> F:
    """The options ``--limit`` and ``--page`` (as ``limit`` and ``page``)."""
    command = click.option(
        "--page", "page", help="Diese Seite (ab 1; mit --limit, Voreinstellung 1)."
    )(command)
    return click.option("--limit", "limit", help="Höchstens so viele Zeilen je Seite.")(command)


@dataclass(frozen=True)
class Paged:
    """The rows of one page, and which of all of them they are."""

    rows: list[Any]
    total: int
    first: int  # the number of the page's first row, from 1 (0: none shown)

    @property
    def caption(self) -> str:
        """Where the page is: "Zeilen 51–100 von 6.000" (empty if every row is shown)."""
        if self.first == 1 and len(self.rows) == self.total:
            return ""
        if not self.rows:
            return f"keine Zeilen auf dieser Seite, {german.number(self.total)} insgesamt"
        last = self.first + len(self.rows) - 1
        return (
            f"Zeilen {german.number(self.first)}–{german.number(last)} "
            f"von {german.number(self.total)}"
        )


def window(limit: str | None, page: str | None) -> tuple[int, int | None]:
    """(offset, limit) of the rows ``--limit`` and ``--page`` ask for ((0, None): every row);
    ``--page`` alone is refused."""
    if limit is None:
        if page is not None:
            raise InvalidInput("page", "nur zusammen mit --limit")
        return 0, None
    size = validate.identifier("limit", limit)
    if size < 1:
        raise InvalidInput("limit", "mindestens 1")
    number = min(validate.identifier("page", page or "1"), MAX_ID)
    if number < 1:
        raise InvalidInput("page", "mindestens 1")
    return (number - 1) * size, size


def found(rows: Sequence[T], total: int, offset: int) -> Paged:
    """A page the store read (``rows`` from ``offset`` on), of ``total`` rows."""
    return Paged(list(rows), total, offset + 1 if rows else 0)


def echo_caption(found: Paged) -> None:
    """The page's caption on its own line (on stderr: ``--json`` stays a JSON list)."""
    if found.caption:
        click.echo(found.caption, err=True)
