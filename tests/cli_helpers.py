"""Running the real CLI entry point in-process, and reading back everything stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from thekiz_flow.cli import main
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.operations import TABLES


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


# What signing in and out writes, beside whatever a test does: not compared.
SIGN_IN_TABLES = {"web_sessions", "sign_in_attempts"}


def berlin_today() -> date:
    """Today as the command line dates it (the programme's Berlin time; between 23:00 and
    midnight UTC the machine's own date is a day behind)."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but the sign-ins' and the figures kept from the others (a
    page refreshes them): to show that a refused command or action wrote nothing."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [tuple(r) for r in connection.execute(select(table))]
                for table in TABLES
                if table.name not in SIGN_IN_TABLES
            }
    finally:
        engine.dispose()


__all__ = ["Result", "Run", "dump", "main"]
