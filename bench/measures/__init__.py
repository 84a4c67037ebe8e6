"""The figures of one size, one module each, in the order ``SizeRun.run`` measures them on
the same file; and what they share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from bench.child import Outcome


def stored(table: Any, column: str, value: object, engine: Engine) -> object:
    """A value as SQLAlchemy stores it in ``table.column`` (for raw statements)."""
    process = table.c[column].type._cached_bind_processor(engine.dialect)
    return value if process is None else process(value)


def summary(outcome: Outcome) -> dict[str, Any]:
    return {
        "status": outcome.describe(),
        "budget": round(outcome.budget, 1),
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in outcome.data.items()},
    }
