"""The digest's counts from the database: the same as counting the activities one by one."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from tests.digest_helpers import pairs, tallies
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import ActivityFilter, NewCentre, NewTraining, StageChange
from thekiz_flow.service import Service
from thekiz_flow.store.digest_queries import ByCentre
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import activities

NOW = datetime(2026, 1, 2, tzinfo=UTC)
FIRST, LAST = date(2025, 1, 1), date(2025, 12, 31)
SHORTEST = 45  # days: the shortest gap of workflows/thekiz.toml (core.tallies.shortest_gap)
B, V = "basisbegleitung", "vertiefungsbegleitung"


def _centres(repo: Repository, count: int) -> list[int]:
    """Centres in Basisbegleitung since 8 January 2024."""
    since = date(2024, 1, 8)
    new = [
        NewCentre(f"Kita {n}", "Jena", "k@example.org", None, None, B, since) for n in range(count)
    ]
    ids = repo.add_centres(new, NOW)
    repo.add_changes([StageChange(i, "admit", "interessent", B, since, NOW, "test") for i in ids])
    return ids


def _training(repo: Repository) -> int:
    return repo.trainings.add(NewTraining("reflexion", "R", date(2025, 5, 5), "Erfurt", 9), NOW)


def _store(engine: Engine, rows: list[dict[str, object]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(activities), rows)


def _row(centre_id: int, key: str, day: date, status: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "centre_id": centre_id,
        "kind": ActivityKind.COACHING,
        "key": key,
        "stage": B,
        "date": day,
        "status": status,
        "hours": None,
        "rate": None,
        "training_id": None,
        "moved": False,
    }
    return row | values


def test_counts_and_pairs_are_those_of_the_activities_one_by_one(engine: Engine) -> None:
    rng = random.Random(2025)
    with engine.begin() as connection:
        repo = Repository(connection)
        centres, training = _centres(repo, 6), _training(repo)
    rows = []
    for n in range(600):
        kind = rng.choice(
            [ActivityKind.COACHING] * 4 + [ActivityKind.SITE_VISIT, ActivityKind.TRAINING]
        )
        day = date(2024, 10, 1) + timedelta(days=rng.randrange(520))
        rows.append(
            _row(
                rng.choice(centres),
                f"a{n}",
                day,
                rng.choice(
                    [
                        ActivityStatus.PLANNED,
                        ActivityStatus.HELD,
                        ActivityStatus.HELD,
                        ActivityStatus.HELD,
                        ActivityStatus.CANCELLED,
                    ]
                ),
                kind=kind,
                stage=rng.choice([B, V]),
                hours=rng.choice([None, "0.00", "2.25", "3", "1.5"]),
                rate=rng.choice([None, "60.10", "55", "62.50"]),
                training_id=training if kind == ActivityKind.TRAINING else None,
            )
        )
    _store(engine, rows)
    with engine.connect() as connection:
        repo = Repository(connection)
        stored = repo.activities.find(ActivityFilter(first=FIRST, last=LAST))
        year = dict(repo.digest.counted(FIRST, LAST, SHORTEST))
        counted = {i: tallies for i, (tallies, _) in year.items()}
        paired = {i: pairs for i, (_, pairs) in year.items()}
    assert {i: set(t) for i, t in counted.items()} == {
        i: set(t) for i, t in tallies(stored).items()
    }
    assert sum(t.number for ts in counted.values() for t in ts) == len(stored)
    every = pairs(stored)
    for centre_id in centres:
        apart = {p for p in every.get(centre_id, []) if (p[1] - p[0]).days > SHORTEST}
        assert apart <= set(paired.get(centre_id, [])) <= set(every.get(centre_id, []))
    assert any(apart for apart in paired.values())


def test_of_the_site_visits_the_last_held_in_each_stage_up_to_the_year_end(
    engine: Engine,
) -> None:
    """What the digest asks of the visits (was a stay's visit held by the year's end?) is
    answered by the last one held in each stage; visits planned, cancelled or later are not."""
    rng = random.Random(7)
    with engine.begin() as connection:
        centres = _centres(Repository(connection), 5)
    rows = [
        _row(
            rng.choice(centres),
            f"v{n}",
            date(2022, 1, 1) + timedelta(days=rng.randrange(1600)),
            rng.choice([ActivityStatus.PLANNED, ActivityStatus.HELD, ActivityStatus.CANCELLED]),
            kind=ActivityKind.SITE_VISIT,
            stage=rng.choice([B, V]),
        )
        for n in range(200)
    ]
    _store(engine, rows)
    expected: dict[int, dict[str, date]] = {}
    for row in rows:
        day, stage, centre = row["date"], str(row["stage"]), row["centre_id"]
        assert isinstance(day, date)
        assert isinstance(centre, int)
        if row["status"] == ActivityStatus.HELD and day <= LAST:
            last = expected.setdefault(centre, {})
            last[stage] = max(day, last.get(stage, day))
    with engine.connect() as connection:
        found = list(Repository(connection).digest.visits(LAST))
    assert [centre for centre, _ in found] == sorted(expected)
    assert {centre: {s: d for d, s in visits} for centre, visits in found} == expected
    assert all(len(visits) == len({s for _, s in visits}) for _, visits in found)


def test_rows_are_handed_out_a_part_of_the_centres_at_a_time() -> None:
    rows = ByCentre([(1, ["a", "b"]), (3, ["c"]), (7, ["d"])])
    assert rows.upto(2) == {1: ["a", "b"]}
    assert rows.upto(5) == {3: ["c"]}
    assert rows.upto(6) == {}
    assert rows.upto(9) == {7: ["d"]}
    assert rows.upto(9) == {}


def test_hours_and_cost_to_the_cent_whatever_the_parts(
    engine: Engine, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        first, second, third = _centres(Repository(connection), 3)
    session = {"hours": "2.25", "rate": "60.10"}  # 135.225 EUR: rounded half to even
    _store(
        engine,
        [
            _row(first, "s1", date(2025, 1, 8), ActivityStatus.HELD, **session),
            _row(first, "s2", date(2025, 2, 5), ActivityStatus.HELD, **session),
            _row(first, "s3", date(2025, 9, 3), ActivityStatus.HELD, **session),
            _row(first, "s4", date(2025, 10, 1), ActivityStatus.HELD),  # neither hours nor rate
            _row(first, "s5", date(2025, 11, 5), ActivityStatus.PLANNED, **session),
            _row(second, "s6", date(2025, 3, 5), ActivityStatus.HELD, hours="0.00", rate="55"),
            _row(second, "s7", date(2025, 4, 2), ActivityStatus.CANCELLED, **session),
            _row(third, "s8", date(2024, 12, 4), ActivityStatus.HELD, **session),
        ],
    )
    digest = service.digest.build(2025)
    rows = {c.id: c for c in digest.centres}
    assert rows[first].sessions_held == 4
    assert repr((rows[first].hours, rows[first].cost)) == "(Decimal('6.75'), Decimal('405.66'))"
    # a held session of no hours costs nothing, to the cent; none at all is a plain 0
    assert repr((rows[second].hours, rows[second].cost)) == "(Decimal('0'), Decimal('0.00'))"
    assert repr((rows[third].hours, rows[third].cost)) == "(Decimal('0'), Decimal('0'))"
    assert [(g.centre_id, g.first, g.last) for g in digest.gaps] == [
        (first, date(2025, 2, 5), date(2025, 9, 3)),
        (second, date(2025, 3, 5), date(2025, 12, 31)),
        (third, date(2025, 1, 1), date(2025, 12, 31)),
    ]
    monkeypatch.setattr("thekiz_flow.service.digest.PART", 1)
    assert repr(service.digest.build(2025)) == repr(digest)
