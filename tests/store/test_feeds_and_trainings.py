"""Calendar feeds (a coach's link and what it lists), the training catalogue and its
enrolments with their waiting lists."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tests.store.helpers import NOW, B, Unit, activity, centre
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import NewTraining


def test_a_coach_has_one_link(unit: Unit) -> None:
    with unit() as repo:
        coach = repo.add_coach("A", "a@example.org", Decimal(60), NOW)
        repo.feeds.replace(coach, "old", NOW)
        repo.feeds.replace(coach, "new", NOW + timedelta(days=1))
    with unit() as repo:
        assert repo.feeds.coach_of("old") is None
        assert repo.feeds.coach_of("new") == coach
        assert repo.feeds.created() == {coach: NOW + timedelta(days=1)}
        assert repo.feeds.remove(coach)
        assert not repo.feeds.remove(coach)
        assert repo.feeds.created() == {}


def test_a_feed_lists_the_coach_s_sessions_and_their_centres_visits(unit: Unit) -> None:
    first = date(2026, 3, 1)
    with unit() as repo:
        mine = repo.add_coach("A", "a@example.org", Decimal(60), NOW)
        other = repo.add_coach("B", "b@example.org", Decimal(60), NOW)
        ours, theirs = repo.add_centres(
            [centre("A", coach_id=mine), centre("B", coach_id=other)], NOW
        )
        session = activity(
            repo, ours, ActivityKind.COACHING, date(2026, 3, 4), ActivityStatus.PLANNED
        )
        visit = activity(repo, ours, ActivityKind.SITE_VISIT, date(2026, 3, 5), ActivityStatus.HELD)
        before = activity(
            repo, ours, ActivityKind.COACHING, date(2026, 2, 27), ActivityStatus.PLANNED
        )
        cancelled = activity(
            repo, ours, ActivityKind.COACHING, date(2026, 3, 6), ActivityStatus.PLANNED
        )
        activity(repo, theirs, ActivityKind.COACHING, date(2026, 3, 4), ActivityStatus.PLANNED)
        repo.activities.update_many([(i, {"coach_id": mine}) for i in (session, before, cancelled)])
        repo.activities.set_status(cancelled, ActivityStatus.CANCELLED, reason="krank")
    with unit() as repo:
        listed = repo.feeds.events(mine, first, NOW)
        assert [(e.activity_id, e.kind, e.status, e.centre) for e in listed] == [
            (session, ActivityKind.COACHING, ActivityStatus.PLANNED, "A"),
            (visit, ActivityKind.SITE_VISIT, ActivityStatus.HELD, "A"),
            (cancelled, ActivityKind.COACHING, ActivityStatus.CANCELLED, "A"),
        ]
        assert [e.revision for e in listed] == [1, 0, 2]  # one more with every change
        assert (listed[0].day, listed[0].district, listed[0].recorded_at) == (
            date(2026, 3, 4),
            "Gera",
            NOW,
        )
        assert listed[2].reason == "krank"
        # a cancellation recorded before ``cancelled_since`` is left out
        later = repo.feeds.events(mine, first, NOW + timedelta(seconds=1))
        assert [e.activity_id for e in later] == [session, visit]
        assert repo.feeds.events(other, first, NOW) == []  # their centre: no coach's session


def test_the_catalogue(unit: Unit) -> None:
    with unit() as repo:
        first = repo.trainings.add(
            NewTraining("auftakt", "Auftakt", date(2026, 5, 4), "Jena", 2), NOW
        )
        second, third = repo.trainings.add_many(
            [
                NewTraining("fachtag", "Fachtag", date(2026, 4, 1), "Erfurt", 30),
                NewTraining("auftakt", "Auftakt II", date(2026, 9, 7), "Gera", 2),
            ],
            NOW,
        )
        assert repo.trainings.add_many([], NOW) == []
    with unit() as repo:
        found = repo.trainings.get(first, lock=True)
        assert found is not None
        assert (found.kind, found.title, found.date, found.place, found.capacity) == (
            "auftakt",
            "Auftakt",
            date(2026, 5, 4),
            "Jena",
            2,
        )
        assert repo.trainings.get(third + 1) is None
        assert [t.id for t in repo.trainings.find()] == [second, first, third]
        assert [t.id for t in repo.trainings.find("auftakt", date(2026, 6, 1))] == [third]
        assert repo.trainings.taken(
            [("auftakt", "AUFTAKT", date(2026, 5, 4)), ("auftakt", "Auftakt", date(2026, 5, 5))]
        ) == {("auftakt", "auftakt", date(2026, 5, 4))}


def test_enrolments_seats_and_the_waiting_list(unit: Unit) -> None:
    with unit() as repo:
        ids = repo.add_centres([centre(f"Kita {n}", stage=B) for n in range(4)], NOW)
        made = repo.trainings.add(NewTraining("auftakt", "A", date(2026, 5, 4), "Jena", 2), NOW)
        training = repo.trainings.get(made)
        assert training is not None
        seated = [repo.trainings.enrol(training, c, B, ActivityStatus.PLANNED) for c in ids[:2]]
        waiting = [repo.trainings.enrol(training, c, B, ActivityStatus.WAITING) for c in ids[2:]]
        assert (seated[0].key, seated[0].training_id, seated[0].date) == (
            f"training:{made}",
            made,
            date(2026, 5, 4),
        )
    with unit() as repo:
        store = repo.trainings
        assert store.counts() == {made: (2, 2)}
        assert store.counts([made, made + 1]) == {made: (2, 2)}
        assert store.enrolled(made) == 2
        assert [store.position(w) for w in waiting] == [1, 2]
        assert store.enrolment(made, ids[0]) == seated[0]
        assert store.enrolment(made + 1, ids[0]) is None
        assert [(a.centre_id, name) for a, name in store.enrolments(made)] == [
            (c, f"Kita {n}") for n, c in enumerate(ids)
        ]
        assert store.fill_seat(training) is None  # no seat is free
        moved = store.release([ids[0]], date(2026, 5, 1), "ausgeschieden")
        assert [a.centre_id for a in moved] == [ids[2]]
        assert store.release([ids[0]], date(2026, 5, 1), "nochmals") == []
    with unit() as repo:
        store = repo.trainings
        assert store.counts([made]) == {made: (2, 1)}
        assert store.enrolment(made, ids[0]).reason == "ausgeschieden"  # type: ignore[union-attr]  # stored above
        again = store.enrol(
            training, ids[0], B, ActivityStatus.WAITING
        )  # the cancelled one is replaced
        assert again.id > waiting[1].id
        assert store.position(again) == 2
        assert store.of_centres([ids[0], ids[3]]) == {
            ids[0]: [("auftakt", ActivityStatus.WAITING, date(2026, 5, 4))],
            ids[3]: [("auftakt", ActivityStatus.WAITING, date(2026, 5, 4))],
        }
        assert store.fill_seats({made: 1}) == []  # both seats are taken


def test_the_next_offerings_with_a_free_seat(unit: Unit) -> None:
    """What a training-deadline mail offers: from a day on, by date, not called off, with
    fewer planned or held enrolments than seats (a waiting place takes none); the first few."""
    day = date(2026, 6, 1)

    def auftakt(title: str, when: date, seats: int, kind: str = "auftakt") -> NewTraining:
        return NewTraining(kind, title, when, "Jena", seats)

    with unit() as repo:
        ids = repo.add_centres([centre(f"Kita {n}", stage=B) for n in range(3)], NOW)
        _, full, off, other, waiting, held, free = repo.trainings.add_many(
            [
                auftakt("Vorher", day - timedelta(days=1), 5),
                auftakt("Voll", day, 1),
                auftakt("Abgesagt", day, 5),
                auftakt("Fachtag", day, 5, kind="fachtag"),
                auftakt("Warteliste", day + timedelta(days=1), 1),
                auftakt("Gehalten", day + timedelta(days=2), 2),
                auftakt("Frei", day + timedelta(days=3), 3),
            ],
            NOW,
        )
        store = repo.trainings

        def enrol(training_id: int, centre_id: int, status: ActivityStatus) -> None:
            training = store.get(training_id)
            assert training is not None
            store.enrol(training, centre_id, B, status)

        enrol(full, ids[0], ActivityStatus.PLANNED)
        enrol(waiting, ids[0], ActivityStatus.WAITING)
        enrol(held, ids[1], ActivityStatus.HELD)
        store.cancel(off, "zu wenige Anmeldungen", "test", NOW)
    with unit() as repo:
        offered = [(t.id, seats) for t, seats in repo.trainings.offered("auftakt", day, 5)]
        assert offered == [(waiting, 1), (held, 1), (free, 3)]
        assert [t.id for t, _ in repo.trainings.offered("auftakt", day, 2)] == [waiting, held]
        assert [t.id for t, _ in repo.trainings.offered("fachtag", day, 5)] == [other]
