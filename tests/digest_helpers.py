"""The digest's input from activities one by one: what the store's queries must give."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import pairwise

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity
from thekiz_flow.core.tallies import Pair, Tally

Key = tuple[ActivityKind, str, ActivityStatus, int | None, Decimal | None, Decimal | None]


def tallies(activities: Iterable[Activity]) -> dict[int, list[Tally]]:
    """Per centre: its activities alike in all but their date, counted."""
    dates: dict[int, dict[Key, list[date]]] = defaultdict(lambda: defaultdict(list))
    for a in activities:
        key = (a.kind, a.stage, a.status, a.training_id, a.hours, a.rate)
        dates[a.centre_id][key].append(a.date)
    return {
        centre_id: [Tally(*key, len(days), min(days), max(days)) for key, days in groups.items()]
        for centre_id, groups in dates.items()
    }


def pairs(activities: Iterable[Activity]) -> dict[int, list[Pair]]:
    """Per centre: every two held sessions in a row."""
    held: dict[int, list[date]] = defaultdict(list)
    for a in activities:
        if a.kind == ActivityKind.COACHING and a.status == ActivityStatus.HELD:
            held[a.centre_id].append(a.date)
    return {centre_id: list(pairwise(sorted(days))) for centre_id, days in held.items()}
