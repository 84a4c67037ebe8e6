"""Running the real CLI entry point in-process, and reading back everything stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from thekiz_flow.cli import main
from thekiz_flow.db.engine import make_engine
from thekiz_flow.db.tables import metadata


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


def dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table: to show that a refused command wrote nothing."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [tuple(r) for r in connection.execute(select(table))]
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


__all__ = ["Result", "Run", "dump", "main"]
