"""The calendar's reads: per day the counts and the first few, and a day a page at a time,
filtered by coach and district in SQL; compared with the same rules applied in Python to
every activity of random programmes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.store.helpers import NOW, B, Unit, centre
from thekiz_flow.core.activity_list import (
    CALENDAR_KINDS,
    CALENDAR_STATUSES,
    CalendarQuery,
)
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import PlannedActivity

FIRST = date(2026, 3, 1)
DAYS = 12  # the activities' days: from FIRST on
DISTRICTS = ("Jena", "Gera", "Weimar")


@dataclass(frozen=True)
class Stored:
    id: int
    centre_id: int
    name: str
    district: str
    centre_coach: int | None
    kind: ActivityKind
    status: ActivityStatus
    day: date
    coach: int | None


def programme(unit: Unit, seed: int) -> tuple[list[int], list[Stored]]:
    """Coaches, centres in three districts (some without a coach) and activities of every
    kind and status on a few days; a session's coach is now and then not the centre's
    (handed over)."""
    rng = random.Random(seed)
    stored: list[Stored] = []
    with unit() as repo:
        coaches = [
            repo.add_coach(f"Coach {n}", f"c{n}@example.org", Decimal(60), NOW) for n in range(3)
        ]
        rows = []
        for n in range(rng.randint(4, 10)):
            coach = rng.choice([*coaches, None])
            name = rng.choice(["Kita Zebra", "kita anker", "Kita Mitte", "Kita Berg"])
            rows.append(centre(f"{name} {n}", rng.choice(DISTRICTS), coach_id=coach))
        ids = repo.add_centres(rows, NOW)
        for n in range(rng.randint(20, 90)):
            at = rng.randrange(len(ids))
            row = rows[at]
            kind = rng.choice(list(ActivityKind))
            status = rng.choice(list(ActivityStatus))
            day = FIRST + timedelta(days=rng.randrange(DAYS))
            coach = row.coach_id if rng.random() < 0.7 else rng.choice([*coaches, None])
            if kind != ActivityKind.COACHING:
                coach = None
            planned = PlannedActivity(f"k{n}", kind, B, day, Decimal(2), coach)
            found = repo.activities.insert_one(ids[at], planned, status, {})
            stored.append(
                Stored(
                    found.id,
                    ids[at],
                    row.name,
                    row.district,
                    row.coach_id,
                    kind,
                    status,
                    day,
                    coach,
                )
            )
    return coaches, stored


def _kept(s: Stored, query: CalendarQuery) -> bool:
    """The calendar's rules, one activity at a time."""
    if s.kind not in CALENDAR_KINDS or s.status not in CALENDAR_STATUSES:
        return False
    if not query.first <= s.day <= query.last:
        return False
    if query.district is not None and s.district != query.district:
        return False
    if query.coach_id is None:
        return True
    mine = s.centre_coach if s.kind == ActivityKind.SITE_VISIT else s.coach
    return mine == query.coach_id


@pytest.mark.parametrize("seed", range(4))
def test_the_calendar_reads_what_the_rules_keep(unit: Unit, seed: int) -> None:
    coaches, stored = programme(unit, seed)
    last = FIRST + timedelta(days=DAYS - 3)  # the last days are not asked for
    queries = [
        CalendarQuery(FIRST, last, coach, district)
        for coach in (None, *coaches)
        for district in (None, *DISTRICTS)
    ]
    shown = 2
    with unit() as repo:
        for query in queries:
            kept = [s for s in stored if _kept(s, query)]
            days = repo.calendar.days(query, shown)
            expected_days = sorted({s.day for s in kept})
            assert [d.day for d in days] == expected_days, query
            for found in days:
                mine = [s for s in kept if s.day == found.day]
                counts = {k: sum(s.kind == k for s in mine) for k in CALENDAR_KINDS}
                assert found.counts == {k: n for k, n in counts.items() if n}, query
                first = sorted(mine, key=lambda s: (CALENDAR_KINDS.index(s.kind), s.id))
                assert [f.activity.id for f in found.shown] == [s.id for s in first[:shown]]
                # the whole day, a page of two at a time
                one = CalendarQuery(found.day, found.day, query.coach_id, query.district)
                assert sum(repo.calendar.counts(one).values()) == len(mine)
                listed = [
                    f.activity.id
                    for offset in range(0, len(mine) + 2, 2)
                    for f in repo.calendar.day(one, offset, 2)
                ]
                by_centre = sorted(
                    mine,
                    key=lambda s: (CALENDAR_KINDS.index(s.kind), s.name.lower(), s.district, s.id),
                )
                assert listed == [s.id for s in by_centre], query
