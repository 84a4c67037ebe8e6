"""Coaches and centres: stored, found, changed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from tests.store.helpers import NOW, Unit, centre
from thekiz_flow.core.enums import CentreSort
from thekiz_flow.core.model import CentreQuery, Closure, Coach
from thekiz_flow.store import due_query


def test_coaches_round_trip(unit: Unit) -> None:
    with unit() as repo:
        coach_id = repo.add_coach("Lena Sommer", "Lena@Example.org", Decimal("62.50"), NOW)
    with unit() as repo:
        found = repo.coach_by_email("lena@example.org")
        assert found is not None
        assert (found.id, found.rate) == (coach_id, Decimal("62.50"))
        assert repo.coach(coach_id) == found
        assert repo.coach(coach_id + 1) is None
        assert repo.coaches() == [found]


def test_coach_email_is_unique(unit: Unit) -> None:
    def add_twice() -> None:
        with unit() as repo:
            repo.add_coach("A", "a@example.org", Decimal(60), NOW)
            repo.add_coach("B", "a@example.org", Decimal(60), NOW)

    with pytest.raises(IntegrityError):
        add_twice()
    with unit() as repo:
        assert repo.coaches() == []


def test_a_coach_changed_and_deactivated_with_their_centres(unit: Unit) -> None:
    with unit() as repo:
        coach_id = repo.add_coach("Lena Sommer", "lena@example.org", Decimal(60), NOW)
        other = repo.add_coach("Jonas Winter", "jonas@example.org", Decimal(55), NOW)
        repo.add_centres([centre("Kita Zebra", coach_id=coach_id), centre("kita anker")], NOW)
        repo.add_centres([centre("Kita Bär", coach_id=coach_id)], NOW)
        assert repo.coach(coach_id).active  # type: ignore[union-attr]  # just added
    with unit() as repo:
        repo.update_coach(coach_id, {"email": "l.sommer@example.org", "rate": Decimal("62.50")})
        repo.update_coach(other, {"active": False})
    with unit() as repo:
        assert repo.coach(coach_id) == Coach(
            coach_id, "Lena Sommer", "l.sommer@example.org", Decimal("62.50"), True
        )
        assert [c.active for c in repo.coaches()] == [True, False]
        assert [c.name for c in repo.centres_of_coach(coach_id)] == ["Kita Bär", "Kita Zebra"]
        assert repo.centres_of_coach(other) == []


def test_centres_bulk_insert_keeps_order_and_filters(unit: Unit) -> None:
    rows = [centre(f"Kita {i}", "Jena" if i % 2 else "Suhl") for i in range(5)]
    with unit() as repo:
        ids = repo.add_centres(rows, NOW)
        assert repo.add_centres([], NOW) == []
    with unit() as repo:
        assert [repo.centre(i).name for i in ids] == [r.name for r in rows]  # type: ignore[union-attr]  # ids just added
        assert repo.centre(max(ids) + 1) is None
        assert [c.name for c in repo.centres(district="Jena")] == ["Kita 1", "Kita 3"]
        assert repo.centres(stage="basisbegleitung") == []
        assert repo.existing_centres([("KITA 1", "Jena"), ("Kita 1", "Suhl")]) == {
            ("kita 1", "Jena")
        }
        assert sorted(repo.stage_counts()) == [
            ("interessent", "Jena", 2),
            ("interessent", "Suhl", 3),
        ]
        assert repo.first_registered() == date(2025, 1, 2)


def test_centre_name_is_unique_per_district(unit: Unit) -> None:
    with pytest.raises(IntegrityError), unit() as repo:
        repo.add_centres([centre(), centre()], NOW)


def test_a_centre_s_changes_and_closures(unit: Unit) -> None:
    with unit() as repo:
        assert repo.first_registered() is None
        coach = repo.add_coach("A", "a@example.org", Decimal(60), NOW)
        one, other = repo.add_centres([centre("A"), centre("B")], NOW)
        repo.update_centre(one, {"name": "Kita Apfelbaum", "email": "apfel@example.org"})
        repo.assign_coach(one, coach)
        repo.set_weekday(one, 2)
        repo.set_derived(one, date(2025, 3, 1), date(2026, 4, 1))
        repo.set_derived_many([(other, date(2025, 2, 1), None)])
        late = repo.add_closure(one, date(2025, 8, 1), date(2025, 8, 15), "Sommer")
        early = repo.add_closure(one, date(2025, 4, 14), date(2025, 4, 17), None)
    with unit() as repo:
        found = repo.centre(one)
        assert found is not None
        assert (found.name, found.email, found.coach_id, found.weekday) == (
            "Kita Apfelbaum",
            "apfel@example.org",
            coach,
            2,
        )
        assert (found.episode_start, found.next_step_on) == (date(2025, 3, 1), date(2026, 4, 1))
        stepping = due_query.stepping(date(2026, 3, 1), date(2026, 4, 1))
        assert [c.id for c in repo.centres_paged(stepping, None, None)] == [one]
        later = due_query.stepping(date(2026, 4, 2), date(2026, 5, 1))
        assert repo.centres_paged(later, None, None) == []
        assert repo.centre(other).episode_start == date(2025, 2, 1)  # type: ignore[union-attr]  # stored above
        assert repo.closures(one) == [
            Closure(early, one, date(2025, 4, 14), date(2025, 4, 17), None),
            Closure(late, one, date(2025, 8, 1), date(2025, 8, 15), "Sommer"),
        ]
        assert repo.closures(other) == []
        assert {i: sorted(days) for i, days in repo.closures_of([one, other]).items()} == {
            one: [(date(2025, 4, 14), date(2025, 4, 17)), (date(2025, 8, 1), date(2025, 8, 15))]
        }


def test_centres_to_plan_are_those_of_the_stages_with_another_stamp(unit: Unit) -> None:
    stamps = {"never": None, "older": "a", "current": "b", "newer": "c", "other stage": "a"}
    with unit() as repo:
        rows = [centre(name, stage="basisbegleitung") for name in stamps]
        ids = dict(zip(stamps, repo.add_centres(rows, NOW), strict=True))
        for name, stamp in stamps.items():
            if stamp is not None:
                repo.set_plan_stamp(ids[name], stamp)
        repo.update_centre(ids["other stage"], {"stage": "ausgeschieden"})
    with unit() as repo:
        found = repo.centres_to_plan(["basisbegleitung", "interessent"], "b")
        assert [c.name for c in found] == ["never", "older", "newer"]
        repo.set_plan_stamps([c.id for c in found], "b")
    with unit() as repo:
        assert repo.centres_to_plan(["basisbegleitung", "interessent"], "b") == []


# The centre list's search and order: lower(), LIKE and its escapes, and the collation of each.
NAMES = ("Kita Pusteblume", "Kita Löwenzahn", "Haus 100% Familie")


def three_centres(unit: Unit) -> dict[str, int]:
    """One in Basisbegleitung (coach 1), one interested (coach 2), one without a coach."""
    with unit() as repo:
        first = repo.add_coach("A", "a@example.org", Decimal(60), NOW)
        second = repo.add_coach("B", "b@example.org", Decimal(60), NOW)
        rows = [
            centre(NAMES[0], "Jena", email="p@example.org", coach_id=first),
            centre(NAMES[1], "Jena", email="l@example.org", coach_id=second),
            centre(NAMES[2], "Weimarer Land", email="c_x@example.org"),
        ]
        ids = dict(zip(NAMES, repo.add_centres(rows, NOW), strict=True))
        repo.update_centre(
            ids[NAMES[0]], {"stage": "basisbegleitung", "stage_since": date(2026, 3, 4)}
        )
    return ids


def test_centres_are_searched_in_names_districts_and_addresses_never_by_number(unit: Unit) -> None:
    ids = three_centres(unit)
    with unit() as repo:

        def found(**query: object) -> list[str]:
            centres, total = repo.find_centres(CentreQuery(**query))  # type: ignore[arg-type]  # fields by name
            assert total == len(centres)
            return [c.name for c in centres]

        assert found() == ["Haus 100% Familie", "Kita Löwenzahn", "Kita Pusteblume"]
        assert found(stage="basisbegleitung") == ["Kita Pusteblume"]
        assert found(district="Weimarer Land") == ["Haus 100% Familie"]
        assert found(coach_id=2) == ["Kita Löwenzahn"]
        assert found(without_coach=True) == ["Haus 100% Familie"]
        assert found(text="löwenZAHN") == ["Kita Löwenzahn"]
        assert found(text="LÖWEN") == ["Kita Löwenzahn"]  # umlauts fold too
        assert found(text="weimarer") == ["Haus 100% Familie"]  # by district
        assert found(text=str(ids["Haus 100% Familie"])) == []  # never by number
        assert found(text="P@EXAMPLE") == ["Kita Pusteblume"]
        assert found(text="100%") == ["Haus 100% Familie"]
        assert found(text="c_x") == ["Haus 100% Familie"]
        assert found(text="c%x") == []  # % and _ are no wildcards
        assert found(district="Jena", coach_id=1) == ["Kita Pusteblume"]
        assert found(among=["basisbegleitung", "vertiefung"]) == ["Kita Pusteblume"]
        assert found(among=[], text="Kita") == []


def test_centres_come_in_the_order_asked_for_a_page_at_a_time(unit: Unit) -> None:
    ids = three_centres(unit)
    stages = ["interessent", "basisbegleitung"]
    with unit() as repo:

        def ordered(sort: CentreSort, offset: int = 0, limit: int | None = None) -> list[str]:
            query = CentreQuery(sort=sort, stages=stages, offset=offset, limit=limit)
            return [c.name for c in repo.find_centres(query)[0]]

        assert ordered(CentreSort.ID) == [
            name for _, name in sorted((i, n) for n, i in ids.items())
        ]
        assert ordered(CentreSort.STAGE) == [
            "Haus 100% Familie",
            "Kita Löwenzahn",
            "Kita Pusteblume",
        ]
        assert ordered(CentreSort.SINCE)[0] == "Kita Pusteblume"  # the latest change first
        assert ordered(CentreSort.DISTRICT) == [
            "Kita Löwenzahn",
            "Kita Pusteblume",
            "Haus 100% Familie",
        ]
        assert ordered(CentreSort.NAME, 0, 2) == ["Haus 100% Familie", "Kita Löwenzahn"]
        assert ordered(CentreSort.NAME, 2, 2) == ["Kita Pusteblume"]
        assert repo.find_centres(CentreQuery(offset=2, limit=2))[1] == 3
