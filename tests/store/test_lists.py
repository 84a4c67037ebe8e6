"""The lists of trainings, the outbox, coaches and users: filtered, ordered and cut to a
page in SQL, each page with the count of every row found."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tests.store.helpers import NOW, B, Unit, centre
from thekiz_flow.core.enums import ActivityStatus, OutboxStatus, Recipient, Role
from thekiz_flow.core.lists import (
    CoachQuery,
    CoachSort,
    OutboxQuery,
    OutboxSort,
    TrainingQuery,
    TrainingSort,
    UserQuery,
    UserSort,
)
from thekiz_flow.core.model import NewTraining
from thekiz_flow.core.outbox import NewMail


def test_the_catalogue_is_searched_filtered_and_ordered(unit: Unit) -> None:
    with unit() as repo:
        store = repo.trainings
        full = store.add(NewTraining("auftakt", "Auftakt", date(2026, 5, 4), "Jena", 1), NOW)
        store.add(NewTraining("fachtag", "Fachtag 100%", date(2026, 4, 1), "Erfurt", 30), NOW)
        off = store.add(NewTraining("auftakt", "Auftakt II", date(2026, 9, 7), "Gera", 2), NOW)
        (kita,) = repo.add_centres([centre()], NOW)
        training = store.get(full)
        assert training is not None
        store.enrol(training, kita, B, ActivityStatus.PLANNED)
        store.cancel(off, "zu wenige", "office", NOW)

        def found(**query: object) -> list[str]:
            trainings, total = store.search(TrainingQuery(**query))  # type: ignore[arg-type]  # fields by name
            assert total == len(trainings)
            return [t.title for t in trainings]

        assert found() == ["Fachtag 100%", "Auftakt", "Auftakt II"]
        assert found(text="AUFTAKT") == ["Auftakt", "Auftakt II"]
        assert found(text="erfurt") == ["Fachtag 100%"]  # the place too
        assert found(text="100%") == ["Fachtag 100%"]
        assert found(text="0%") == ["Fachtag 100%"]
        assert found(text="_") == []  # no wildcard
        assert found(first=date(2026, 5, 1)) == ["Auftakt", "Auftakt II"]
        assert found(last=date(2026, 5, 4)) == ["Fachtag 100%", "Auftakt"]
        assert found(first=date(2026, 5, 5), last=date(2026, 9, 6)) == []
        assert found(free_only=True) == ["Fachtag 100%"]  # Auftakt is full, II called off
        assert found(cancelled=True) == ["Auftakt II"]
        assert found(cancelled=False) == ["Fachtag 100%", "Auftakt"]
        assert found(sort=TrainingSort.DATE_DESC) == ["Auftakt II", "Auftakt", "Fachtag 100%"]
        assert found(sort=TrainingSort.TITLE) == ["Auftakt", "Auftakt II", "Fachtag 100%"]
        assert found(sort=TrainingSort.FREE) == ["Fachtag 100%", "Auftakt", "Auftakt II"]
        page, total = store.search(TrainingQuery(offset=1, limit=1))
        assert ([t.title for t in page], total) == (["Auftakt"], 3)


def _mail(n: int, rule: str, role: Recipient, status: OutboxStatus, days: int) -> NewMail:
    return NewMail(
        f"{rule}:{n}",
        rule,
        role,
        f"empfaenger{n}@example.org",
        f"Betreff {n}",
        "Text",
        "<p>Text</p>",
        NOW + timedelta(days=days),
        status=status,
    )


def test_the_outbox_is_filtered_and_ordered_without_the_texts(unit: Unit) -> None:
    with unit() as repo:
        store = repo.outbox
        store.add(
            [
                _mail(1, "session_upcoming", Recipient.COACH, OutboxStatus.SENT, 0),
                _mail(2, "visit_upcoming", Recipient.CENTRE, OutboxStatus.PENDING, 1),
                _mail(3, "visit_upcoming", Recipient.OFFICE, OutboxStatus.FAILED, 2),
            ],
            NOW,
        )
        ids = [r.id for r in store.find()]

        def found(**query: object) -> list[int]:
            rows, total = store.search(OutboxQuery(**query))  # type: ignore[arg-type]  # fields by name
            assert total == len(rows)
            return [r.id for r in rows]

        newest = list(reversed(ids))
        assert found() == newest
        assert found(sort=OutboxSort.OLDEST) == ids
        assert found(status=OutboxStatus.FAILED) == [ids[2]]
        assert found(role=Recipient.CENTRE) == [ids[1]]
        assert found(rule="visit_upcoming") == newest[:2]
        assert found(text="EMPFAENGER1@") == [ids[0]]
        assert found(text="betreff 2") == [ids[1]]
        assert found(due_from=NOW + timedelta(days=1)) == newest[:2]
        assert found(due_before=NOW + timedelta(days=1)) == [ids[0]]
        rows, total = store.search(OutboxQuery(offset=1, limit=1))
        assert ([r.id for r in rows], total) == ([ids[1]], 3)
        assert rows[0].subject == "Betreff 2"


def test_coaches_come_with_their_centres_filtered_and_ordered(unit: Unit) -> None:
    with unit() as repo:
        lena = repo.add_coach("Lena Sommer", "lena@example.org", Decimal("65"), NOW)
        jonas = repo.add_coach("jonas Winter", "jonas@example.org", Decimal("70.50"), NOW)
        anna = repo.add_coach("Anna Berg", "anna@beispiel.de", Decimal("60"), NOW)
        repo.add_centres(
            [centre("A", coach_id=lena), centre("B", coach_id=lena), centre("C", coach_id=anna)],
            NOW,
        )
        repo.update_coach(jonas, {"active": False})

        def found(**query: object) -> list[tuple[str, int]]:
            rows, total = repo.find_coaches(CoachQuery(**query))  # type: ignore[arg-type]  # fields by name
            assert total == len(rows)
            return [(c.name, centres) for c, centres in rows]

        assert found() == [("Anna Berg", 1), ("jonas Winter", 0), ("Lena Sommer", 2)]
        assert found(active=True) == [("Anna Berg", 1), ("Lena Sommer", 2)]
        assert found(active=False) == [("jonas Winter", 0)]
        assert found(text="BEISPIEL") == [("Anna Berg", 1)]
        assert found(text="winter") == [("jonas Winter", 0)]

        def names(sort: CoachSort) -> list[str]:
            return [name for name, _ in found(sort=sort)]

        assert names(CoachSort.NAME_DESC) == ["Lena Sommer", "jonas Winter", "Anna Berg"]
        assert names(CoachSort.RATE) == ["Anna Berg", "Lena Sommer", "jonas Winter"]
        assert names(CoachSort.RATE_DESC) == ["jonas Winter", "Lena Sommer", "Anna Berg"]
        assert names(CoachSort.CENTRES) == ["jonas Winter", "Anna Berg", "Lena Sommer"]
        assert names(CoachSort.CENTRES_DESC) == ["Lena Sommer", "Anna Berg", "jonas Winter"]
        rows, total = repo.find_coaches(CoachQuery(offset=2, limit=2))
        assert ([c.name for c, _ in rows], total) == (["Lena Sommer"], 3)


def test_users_are_filtered_and_ordered(unit: Unit) -> None:
    with unit() as repo:
        store = repo.users
        store.add("buero@example.org", Role.OFFICE, "h", None, NOW)
        store.add("lena@example.org", Role.COACH, "h", None, NOW + timedelta(hours=1))
        gone = store.add("alt@ministerium.de", Role.MINISTRY, "h", None, NOW + timedelta(hours=2))
        store.set_disabled(gone, True)

        def found(**query: object) -> list[str]:
            rows, total = store.search(UserQuery(**query))  # type: ignore[arg-type]  # fields by name
            assert total == len(rows)
            return [u.email for u in rows]

        assert found() == ["alt@ministerium.de", "buero@example.org", "lena@example.org"]
        assert found(role=Role.COACH) == ["lena@example.org"]
        assert found(disabled=True) == ["alt@ministerium.de"]
        assert found(disabled=False) == ["buero@example.org", "lena@example.org"]
        assert found(text="EXAMPLE") == ["buero@example.org", "lena@example.org"]
        assert found(sort=UserSort.EMAIL_DESC)[0] == "lena@example.org"
        assert found(sort=UserSort.ROLE) == [
            "buero@example.org",
            "lena@example.org",
            "alt@ministerium.de",
        ]
        assert found(sort=UserSort.CREATED)[0] == "buero@example.org"
        assert found(sort=UserSort.CREATED_DESC)[0] == "alt@ministerium.de"
        rows, total = store.search(UserQuery(offset=0, limit=1))
        assert ([u.email for u in rows], total) == (["alt@ministerium.de"], 3)
