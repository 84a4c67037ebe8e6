"""Activities: planned, inserted in bulk, changed, handed over; the reminders' lookups."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal

from tests.store.helpers import NOW, B, Unit, activity, centre
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, Recipient
from thekiz_flow.core.model import ActivityFilter, NewTraining, PlannedActivity
from thekiz_flow.core.occurrences import ActivityDays
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.store import due_query


def test_bulk_insert_stores_what_a_single_insert_stores(unit: Unit) -> None:
    """insert_many binds through the driver itself: the stored values must not differ."""

    def planned(coach: int, prefix: str) -> list[PlannedActivity]:
        return [
            PlannedActivity(
                f"{prefix}:1", ActivityKind.COACHING, B, date(2025, 3, 4), Decimal("2.5"), coach
            ),
            PlannedActivity(
                f"{prefix}:2", ActivityKind.COACHING, B, date(2025, 4, 1), Decimal(3), coach
            ),
            PlannedActivity(f"{prefix}:3", ActivityKind.SITE_VISIT, B, date(2025, 4, 1)),
        ]

    with unit() as repo:
        coach = repo.add_coach("A", "a@example.org", Decimal("62.50"), NOW)
        one, many, other = repo.add_centres([centre("A"), centre("B"), centre("C")], NOW)
        rates = {coach: Decimal("62.50")}
        repo.activities.insert(one, planned(coach, "p"), ActivityStatus.PLANNED, rates)
        bulk = [(many, planned(coach, "p")), (other, planned(coach, "q")[:1]), (one, [])]
        repo.activities.insert_many(bulk, ActivityStatus.PLANNED, rates)
        repo.activities.insert_many([], ActivityStatus.PLANNED, rates)
        assert repo.activities.insert(one, [], ActivityStatus.PLANNED, rates) == []
    with unit() as repo:
        stored = {c: repo.activities.of_centre(c) for c in (one, many, other)}
        typed = repo.activities.find(ActivityFilter(centre_id=many))

    def as_stored(centre_id: int) -> list[dict[str, object]]:
        return [
            {k: v for k, v in asdict(a).items() if k not in ("id", "centre_id")}
            for a in stored[centre_id]
        ]

    assert len(as_stored(one)) == 3
    assert as_stored(many) == as_stored(one)
    assert [a.key for a in stored[other]] == ["q:1"]
    assert [(a.date, a.hours, a.rate, a.moved, a.recorded_at) for a in typed[:2]] == [
        (date(2025, 3, 4), Decimal("2.5"), Decimal("62.50"), False, NOW),
        (date(2025, 4, 1), Decimal(3), Decimal("62.50"), False, NOW),
    ]


def test_activities_are_found_changed_and_cancelled(unit: Unit) -> None:
    with unit() as repo:
        coach = repo.add_coach("A", "a@example.org", Decimal(60), NOW)
        (centre_id,) = repo.add_centres([centre()], NOW)
        ids = [
            activity(
                repo, centre_id, ActivityKind.COACHING, date(2025, 3, day), ActivityStatus.PLANNED
            )
            for day in (3, 4, 5)
        ]
        visit = activity(
            repo, centre_id, ActivityKind.SITE_VISIT, date(2025, 3, 6), ActivityStatus.PLANNED
        )
    with unit() as repo:
        store = repo.activities
        assert store.set_status(
            ids[0], ActivityStatus.HELD, expected=ActivityStatus.PLANNED, hours=Decimal("1.5")
        )
        assert not store.set_status(
            ids[0], ActivityStatus.CANCELLED, expected=ActivityStatus.PLANNED
        )  # held already
        store.update(ids[1], date=date(2025, 3, 11), moved=True)
        store.update_many([(ids[2], {"coach_id": coach}), (visit, {"note": "Rundgang"})])
        store.cancel_many([ids[0], ids[2]], "Leitung erkrankt")  # the held one stays held
        store.cancel_many([], "nichts")
    with unit() as repo:
        store = repo.activities
        assert store.get(visit + 1) is None
        held, moved, cancelled = (store.get(i) for i in ids)
        assert held is not None
        assert moved is not None
        assert cancelled is not None
        assert (held.status, held.hours, held.reason) == (ActivityStatus.HELD, Decimal("1.5"), None)
        assert (moved.date, moved.moved, moved.status) == (
            date(2025, 3, 11),
            True,
            ActivityStatus.PLANNED,
        )
        assert (cancelled.status, cancelled.reason) == (
            ActivityStatus.CANCELLED,
            "Leitung erkrankt",
        )
        assert cancelled.coach_id == coach
        assert {a.recorded_at for a in (held, moved, cancelled)} == {NOW}
        assert store.get(visit).note == "Rundgang"  # type: ignore[union-attr]  # stored above
        filtered = ActivityFilter(
            centre_id=centre_id,
            kind=ActivityKind.COACHING,
            status=ActivityStatus.PLANNED,
            first=date(2025, 3, 5),
        )
        assert [a.id for a in store.find(filtered)] == [ids[1]]
        assert [a.id for a in store.find(ActivityFilter(coach_id=coach))] == [ids[2]]
        assert [a.id for a in store.find(ActivityFilter(last=date(2025, 3, 4)))] == [ids[0]]
        planning = store.for_planning(
            [centre_id, centre_id + 1], [ActivityKind.COACHING], status=ActivityStatus.PLANNED
        )
        assert [a.id for a in planning[centre_id]] == [ids[1]]  # by date
        assert planning[centre_id + 1] == []
        every = store.for_planning(
            [centre_id], [ActivityKind.COACHING, ActivityKind.SITE_VISIT], first=date(2025, 3, 5)
        )
        assert [a.id for a in every[centre_id]] == [ids[2], visit, ids[1]]


def test_a_handover_moves_the_planned_sessions_and_visits_to_the_new_coach(unit: Unit) -> None:
    with unit() as repo:
        former = repo.add_coach("A", "a@example.org", Decimal(60), NOW)
        new = repo.add_coach("B", "b@example.org", Decimal(70), NOW)
        (centre_id,) = repo.add_centres([centre(coach_id=former)], NOW)
        past = activity(
            repo, centre_id, ActivityKind.COACHING, date(2025, 3, 3), ActivityStatus.PLANNED
        )
        future = activity(
            repo, centre_id, ActivityKind.COACHING, date(2025, 4, 3), ActivityStatus.PLANNED
        )
        visit = activity(
            repo, centre_id, ActivityKind.SITE_VISIT, date(2025, 4, 4), ActivityStatus.PLANNED
        )
        held = activity(
            repo, centre_id, ActivityKind.COACHING, date(2025, 4, 5), ActivityStatus.HELD
        )
    with unit() as repo:
        repo.assign_coach(centre_id, new)
        moved = repo.activities.hand_over(centre_id, date(2025, 4, 1), former, new, Decimal(70))
        assert sorted(a.id for a in moved) == [future, visit]
        assert repo.activities.hand_over(centre_id, date(2025, 5, 1), former, new, None) == []
    with unit() as repo:
        found = {a.id: a for a in repo.activities.of_centre(centre_id)}
        assert (found[future].coach_id, found[future].rate) == (new, Decimal(70))
        assert found[past].coach_id is None  # before the day: left alone
        assert found[held].status == ActivityStatus.HELD
        mine = repo.feeds.events(former, date(2025, 4, 1), NOW)
        assert {(e.activity_id, e.status) for e in mine} == {
            (future, ActivityStatus.CANCELLED),
            (visit, ActivityStatus.CANCELLED),
        }  # handed over: cancelled in the former coach's calendar


def test_the_reminders_lookups(unit: Unit) -> None:
    with unit() as repo:
        first, second = repo.add_centres([centre("A"), centre("B")], NOW)
        late = activity(
            repo, second, ActivityKind.COACHING, date(2026, 4, 2), ActivityStatus.PLANNED
        )
        early = activity(repo, first, ActivityKind.COACHING, date(2026, 4, 1), ActivityStatus.HELD)
        activity(repo, first, ActivityKind.COACHING, date(2026, 4, 3), ActivityStatus.CANCELLED)
        activity(repo, first, ActivityKind.SITE_VISIT, date(2026, 4, 2), ActivityStatus.PLANNED)
        activity(
            repo, first, ActivityKind.COACHING, date(2026, 4, 4), ActivityStatus.PLANNED
        )  # after the days
        new_year = activity(
            repo, second, ActivityKind.COACHING, date(2026, 1, 1), ActivityStatus.HELD
        )
        activity(repo, second, ActivityKind.COACHING, date(2025, 12, 31), ActivityStatus.HELD)
    with unit() as repo:
        assert list(repo.centres_by_id([second, first, second])) == [first, second]
        assert repo.centres_by_id([second])[second] == repo.centre(second)
        assert repo.centres_by_id([]) == {}
        dated = repo.activities_dated(
            ActivityKind.COACHING,
            (ActivityStatus.PLANNED, ActivityStatus.HELD),
            date(2026, 4, 1),
            date(2026, 4, 3),
        )
        assert [a.id for a in dated] == [early, late]
        planned = repo.activities_dated(
            ActivityKind.COACHING, (ActivityStatus.PLANNED,), date(2026, 4, 1), date(2026, 4, 3)
        )
        assert [a.id for a in planned] == [late]
        held = repo.held_sessions([first, second], 2026)
        assert {c: [s.id for s in sessions] for c, sessions in held.items()} == {
            first: [early],
            second: [new_year],
        }
        assert sorted(repo.recently_held(NOW)) == [
            (first, date(2026, 4, 1)),
            (second, date(2025, 12, 31)),
            (second, date(2026, 1, 1)),
        ]


def test_the_preview_reads_the_activities_of_some_days_a_few_at_a_time_and_counts_them(
    unit: Unit,
) -> None:
    """By date and id, the first few after the last one read; how many there are, and how
    many of their keys (one per role: head, id, the label of the date, role) the outbox
    holds."""
    first, last = date(2026, 4, 1), date(2026, 4, 3)
    planned = (ActivityStatus.PLANNED,)
    with unit() as repo:
        (centre_id,) = repo.add_centres([centre()], NOW)

        def session(key: str, day: date, status: ActivityStatus = ActivityStatus.PLANNED) -> int:
            made = PlannedActivity(key, ActivityKind.COACHING, B, day)
            return repo.activities.insert_one(centre_id, made, status, {}).id

        third = session("c", last)
        one, two = session("a", first), session("b", first)
        session("held", date(2026, 4, 2), ActivityStatus.HELD)
        later = session("later", date(2026, 4, 4))
        ids = [one, two, third]
        days = ActivityDays(
            0,
            first,
            last,
            (Recipient.COACH, Recipient.OFFICE),
            "r:a",
            {first: "2026-04-04", date(2026, 4, 2): "2026-04-05", last: "2026-04-06"},
        )
        known = [
            f"r:a{one}:2026-04-04:coach",
            f"r:a{third}:2026-04-06:office",
            f"r:a{two}:2026-04-05:coach",  # not the label of its date
            f"r:a{later}:2026-04-07:coach",  # after the days
            f"q:a{one}:2026-04-04:coach",  # another rule
        ]
        mail = NewMail("", "r", Recipient.COACH, "pb@example.org", "Betreff", "Text", "", NOW)
        assert repo.outbox.add([replace(mail, key=key) for key in known], NOW) == len(known)
    with unit() as repo:
        kind = ActivityKind.COACHING
        read = [a.id for a in repo.activities_dated(kind, planned, first, last, None, 2)]
        assert read == [one, two]
        after = (first, two)
        assert [a.id for a in repo.activities_dated(kind, planned, first, last, after, 2)] == [
            third
        ]
        assert [a.id for a in repo.activities_dated(kind, planned, first, last)] == ids
        assert repo.activities_counted(kind, planned, days, date(2026, 4, 6)) == (3, 2)
        # only the keys of the days up to the last a tick may have written are looked up
        assert repo.activities_counted(kind, planned, days, date(2026, 4, 5)) == (3, 1)
        assert repo.activities_counted(kind, planned, days, None) == (3, 0)
        assert repo.activities_counted(ActivityKind.SITE_VISIT, planned, days, last) == (0, 0)


def test_centres_lacking_a_training_since_their_stay_began(unit: Unit) -> None:
    """Only a planned or held enrolment of the kind, in a training dated in the current stay,
    counts as taken up; the stay must have begun within the days asked about."""
    start = date(2026, 1, 10)
    with unit() as repo:
        names = ["none", "planned", "held", "cancelled", "before", "other kind", "late", "stage"]
        ids = dict(
            zip(
                names,
                repo.add_centres([centre(n, stage="basisbegleitung") for n in names], NOW),
                strict=True,
            )
        )
        for name, centre_id in ids.items():
            began = date(2026, 2, 1) if name == "late" else start
            repo.set_derived(centre_id, began, None)
        repo.update_centre(ids["stage"], {"stage": "vertiefungsbegleitung"})
        store = repo.trainings
        made = store.add_many(
            [
                NewTraining("auftakt", "Auftakt", date(2026, 3, 1), "Erfurt", 50),
                NewTraining("auftakt", "Auftakt alt", date(2026, 1, 9), "Erfurt", 50),
                NewTraining("fachtag", "Fachtag", date(2026, 3, 1), "Erfurt", 50),
            ],
            NOW,
        )
        auftakt, old, fachtag = (store.get(i) for i in made)
        assert auftakt is not None
        assert old is not None
        assert fachtag is not None
        store.enrol(auftakt, ids["planned"], "basisbegleitung", ActivityStatus.PLANNED)
        store.enrol(auftakt, ids["held"], "basisbegleitung", ActivityStatus.HELD)
        store.enrol(auftakt, ids["cancelled"], "basisbegleitung", ActivityStatus.CANCELLED)
        store.enrol(old, ids["before"], "basisbegleitung", ActivityStatus.HELD)
        store.enrol(fachtag, ids["other kind"], "basisbegleitung", ActivityStatus.PLANNED)
    with unit() as repo:
        lacking = due_query.lacking_training(
            "basisbegleitung", "auftakt", date(2026, 1, 1), date(2026, 1, 31)
        )
        found = repo.centres_paged(lacking, None, None)
    assert [c.name for c in found] == ["none", "cancelled", "before", "other kind"]


def test_the_first_activities_by_date_and_how_many_in_all(unit: Unit) -> None:
    with unit() as repo:
        one, other = repo.add_centres([centre("A"), centre("B")], NOW)
        days = [date(2025, 5, d) for d in (9, 2, 7, 2)]
        visits = [
            PlannedActivity(f"visit:{n}", ActivityKind.SITE_VISIT, B, day)
            for n, day in enumerate(days)
        ]
        ids = [repo.activities.insert_one(one, v, ActivityStatus.PLANNED, {}).id for v in visits]
        activity(repo, other, ActivityKind.SITE_VISIT, date(2025, 5, 1), ActivityStatus.HELD)
        activity(repo, one, ActivityKind.COACHING, date(2025, 5, 1), ActivityStatus.PLANNED)
    planned = ActivityFilter(kind=ActivityKind.SITE_VISIT, status=ActivityStatus.PLANNED)
    by_date = [ids[1], ids[3], ids[2], ids[0]]  # the same day by number
    with unit() as repo:
        for limit in (None, 4, 9):
            found, total = repo.activities.first(planned, limit)
            assert ([a.id for a in found], total) == (by_date, 4)
        found, total = repo.activities.first(planned, 2)
        assert ([a.id for a in found], total) == (by_date[:2], 4)
        found, total = repo.activities.first(replace(planned, last=date(2025, 5, 7)), 1)
        assert ([a.id for a in found], total) == (by_date[:1], 3)
        assert repo.activities.first(replace(planned, centre_id=other), 1) == ([], 0)
