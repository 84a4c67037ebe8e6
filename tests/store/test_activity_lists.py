"""The lists of planned activities: joined with centre and coach, filtered, ordered, paged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tests.store.helpers import NOW, B, Unit, centre
from thekiz_flow.core.activity_list import ActivityQuery, ActivitySort
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import PlannedActivity

COACHING, VISIT = ActivityKind.COACHING, ActivityKind.SITE_VISIT


def programme(unit: Unit) -> dict[str, int]:
    """Three centres (coach Anna's in Jena, Bert's in Gera, one without a coach in Weimarer
    Land) with planned sessions, a planned visit, a held and a cancelled session."""
    with unit() as repo:
        anna = repo.add_coach("Anna Berg", "anna@example.org", Decimal(60), NOW)
        bert = repo.add_coach("Bert Adler", "bert@example.org", Decimal(60), NOW)
        rows = [
            centre("Kita Zebra", "Jena", coach_id=anna),
            centre("kita anker", "Gera", coach_id=bert),
            centre("Kita Mitte", "Weimarer Land"),
        ]
        zebra, anker, mitte = repo.add_centres(rows, NOW)
        stored = {
            "zebra-1": (zebra, COACHING, date(2026, 3, 2), anna, ActivityStatus.PLANNED),
            "zebra-2": (zebra, COACHING, date(2026, 4, 10), anna, ActivityStatus.PLANNED),
            "zebra-visit": (zebra, VISIT, date(2026, 3, 5), anna, ActivityStatus.PLANNED),
            "zebra-held": (zebra, COACHING, date(2026, 2, 2), anna, ActivityStatus.HELD),
            "anker-1": (anker, COACHING, date(2026, 3, 20), bert, ActivityStatus.PLANNED),
            "anker-gone": (anker, COACHING, date(2026, 3, 21), bert, ActivityStatus.CANCELLED),
            "mitte-1": (mitte, COACHING, date(2026, 3, 10), None, ActivityStatus.PLANNED),
        }
        ids = {
            key: repo.activities.insert_one(
                centre_id, PlannedActivity(key, kind, B, day, Decimal(2), coach), status, {}
            ).id
            for key, (centre_id, kind, day, coach, status) in stored.items()
        }
    return {**ids, "zebra": zebra, "anker": anker, "mitte": mitte, "anna": anna, "bert": bert}


def test_planned_activities_are_listed_with_their_centre_and_coach(unit: Unit) -> None:
    ids = programme(unit)
    with unit() as repo:
        found, total = repo.activities.listed(ActivityQuery(COACHING))
        assert total == 4  # planned sessions only: no visit, nothing held or cancelled
        assert [(f.activity.id, f.centre_name, f.district, f.coach_name) for f in found] == [
            (ids["zebra-1"], "Kita Zebra", "Jena", "Anna Berg"),
            (ids["mitte-1"], "Kita Mitte", "Weimarer Land", None),
            (ids["anker-1"], "kita anker", "Gera", "Bert Adler"),
            (ids["zebra-2"], "Kita Zebra", "Jena", "Anna Berg"),
        ]
        assert found[0].activity.hours == Decimal(2)
        assert [f.centre_coach_id for f in found] == [ids["anna"], None, ids["bert"], ids["anna"]]
        (visit,), one = repo.activities.listed(ActivityQuery(VISIT))
        assert (visit.activity.id, one) == (ids["zebra-visit"], 1)
        held, _ = repo.activities.listed(ActivityQuery(COACHING, ActivityStatus.HELD))
        assert [h.activity.id for h in held] == [ids["zebra-held"]]


def test_planned_activities_are_filtered(unit: Unit) -> None:
    ids = programme(unit)
    with unit() as repo:

        def found(**query: object) -> list[str]:
            listed, total = repo.activities.listed(ActivityQuery(COACHING, **query))  # type: ignore[arg-type]  # fields by name
            assert total == len(listed)
            keys = {v: k for k, v in ids.items() if "-" in k}
            return [keys[f.activity.id] for f in listed]

        assert found(coach_id=ids["anna"]) == ["zebra-1", "zebra-2"]
        assert found(without_coach=True) == ["mitte-1"]
        assert found(district="Gera") == ["anker-1"]
        assert found(text="ANKER") == ["anker-1"]
        assert found(text="kita") == ["zebra-1", "mitte-1", "anker-1", "zebra-2"]
        assert found(text=str(ids["mitte"])) == ["mitte-1"]  # by the centre's number
        assert found(text="%") == []  # no wildcard
        assert found(text="9" * 30) == []
        assert found(first=date(2026, 3, 10), last=date(2026, 3, 31)) == ["mitte-1", "anker-1"]
        assert found(last=date(2026, 3, 9)) == ["zebra-1"]
        assert found(first=date(2026, 4, 1)) == ["zebra-2"]
        assert found(first=date(2026, 4, 1), last=date(2026, 3, 1)) == []
        assert found(coach_id=ids["anna"], district="Gera") == []


def test_planned_activities_come_in_the_order_asked_a_page_at_a_time(unit: Unit) -> None:
    ids = programme(unit)
    with unit() as repo:

        def ordered(
            sort: ActivitySort, descending: bool = False, offset: int = 0, limit: int | None = None
        ) -> list[str]:
            query = ActivityQuery(COACHING, sort=sort, descending=descending)
            listed, _ = repo.activities.listed(replace(query, offset=offset, limit=limit))
            keys = {v: k for k, v in ids.items() if "-" in k}
            return [keys[f.activity.id] for f in listed]

        by_date = ["zebra-1", "mitte-1", "anker-1", "zebra-2"]
        assert ordered(ActivitySort.DATE) == by_date
        assert ordered(ActivitySort.DATE, True) == by_date[::-1]
        assert ordered(ActivitySort.CENTRE) == ["anker-1", "mitte-1", "zebra-1", "zebra-2"]
        assert ordered(ActivitySort.CENTRE, True) == ["zebra-1", "zebra-2", "mitte-1", "anker-1"]
        assert ordered(ActivitySort.DISTRICT) == ["anker-1", "zebra-1", "zebra-2", "mitte-1"]
        assert ordered(ActivitySort.DISTRICT, True) == ["mitte-1", "zebra-1", "zebra-2", "anker-1"]
        # Anna Berg before Bert Adler; without a coach last, either way
        assert ordered(ActivitySort.COACH) == ["zebra-1", "zebra-2", "anker-1", "mitte-1"]
        assert ordered(ActivitySort.COACH, True) == ["anker-1", "zebra-1", "zebra-2", "mitte-1"]
        assert ordered(ActivitySort.DATE, offset=0, limit=3) == by_date[:3]
        assert ordered(ActivitySort.DATE, offset=3, limit=3) == by_date[3:]
        page, total = repo.activities.listed(ActivityQuery(COACHING, offset=2, limit=1))
        assert ([p.activity.id for p in page], total) == ([ids["anker-1"]], 4)
