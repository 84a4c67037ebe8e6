"""Rows the contract's tests store."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import NewCentre, PlannedActivity, StageChange
from thekiz_flow.store.repository import Repository

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # what the units record their changes with
B = "basisbegleitung"

Unit = Callable[[], AbstractContextManager[Repository]]  # the `unit` fixture


def centre(name: str = "Kita Löwenzahn", district: str = "Gera", **kw: object) -> NewCentre:
    values: dict[str, object] = {
        "name": name,
        "district": district,
        "email": "kita@example.org",
        "carrier": None,
        "coach_id": None,
        "stage": "interessent",
        "stage_since": date(2025, 1, 2),
    }
    values.update(kw)
    return NewCentre(**values)  # type: ignore[arg-type]  # fields of NewCentre by name


def activity(
    repo: Repository, centre_id: int, kind: ActivityKind, day: date, status: ActivityStatus
) -> int:
    """One activity of ``kind`` stored with ``status``; its id."""
    planned = PlannedActivity(f"{kind}:{day}", kind, B, day)
    return repo.activities.insert_one(centre_id, planned, status, {}).id


def change(centre_id: int, trigger: str, source: str, target: str, on: date) -> StageChange:
    return StageChange(centre_id, trigger, source, target, on, NOW, "office")
