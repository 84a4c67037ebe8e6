"""Trainings: the catalogue, enrolment with a waiting list, attendance, recommendations."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, NotFound
from thekiz_flow.core.model import ActivityFilter, CentreInput, Workflow
from thekiz_flow.core.recommend import describe_unmet, unmet_trainings
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.trainings import TrainingStore

SEPTEMBER = date(2026, 9, 10)  # after TODAY (2026-06-15)


def centres(service: Service, count: int) -> list[int]:
    return [
        service.registry.add_centre(
            CentreInput(f"Kita {n}", "Gotha", f"kita{n}@example.org"), on=date(2026, 1, 5)
        )
        for n in range(1, count + 1)
    ]


def offering(service: Service, capacity: int = 2, day: date = SEPTEMBER) -> int:
    return service.trainings.add(
        "reflexion", "Reflexion I", day.isoformat(), "Erfurt", str(capacity)
    )


def states(service: Service, training_id: int) -> list[tuple[int, str, int | None]]:
    _, enrolments = service.trainings.enrolments(training_id)
    return [(e.centre_id, e.status, e.position) for e in enrolments]


def test_capacity_and_waiting_list(service: Service) -> None:
    one, two, three, four = centres(service, 4)
    training = offering(service, capacity=2)
    results = [service.trainings.enrol(training, c) for c in (one, two, three, four)]
    assert results == [
        (ActivityStatus.PLANNED, None),
        (ActivityStatus.PLANNED, None),
        (ActivityStatus.WAITING, 1),
        (ActivityStatus.WAITING, 2),
    ]
    assert [(n, w) for _, n, w in service.trainings.find()] == [(2, 2)]
    assert service.trainings.cancel_enrolment(training, one, "Erkrankung im Team") == three
    assert states(service, training) == [
        (one, ActivityStatus.CANCELLED, None),
        (two, ActivityStatus.PLANNED, None),
        (three, ActivityStatus.PLANNED, None),
        (four, ActivityStatus.WAITING, 1),
    ]
    # A centre that enrols again queues at the end; leaving the list moves it up.
    assert service.trainings.enrol(training, one) == (ActivityStatus.WAITING, 2)
    assert service.trainings.cancel_enrolment(training, four, "Termin passt nicht") is None
    assert states(service, training)[-1] == (one, ActivityStatus.WAITING, 1)
    assert [(n, w) for _, n, w in service.trainings.find()] == [(2, 1)]


def test_an_enrolment_is_dated_as_its_training(service: Service) -> None:
    """Enrolled, on the waiting list, moved up, and after the training moved: the reminders
    of a training deadline find a stay's enrolments by their own date (`lacking_training`)."""
    one, two, three = centres(service, 3)
    training = offering(service, capacity=2)
    for centre in (one, two, three):
        service.trainings.enrol(training, centre)
    later = date(2026, 10, 1)
    service.trainings.update(training, "Reflexion I", later.isoformat(), "Erfurt", "2")
    service.trainings.cancel_enrolment(training, one, "Termin passt nicht")
    enrolments = service.overview.activities(ActivityFilter(kind=ActivityKind.TRAINING))
    assert {(a.centre_id, a.status) for a in enrolments} == {
        (one, ActivityStatus.CANCELLED),
        (two, ActivityStatus.PLANNED),
        (three, ActivityStatus.PLANNED),  # moved up from the waiting list
    }
    assert {a.date for a in enrolments} == {later}


@pytest.mark.backends("sqlite", "postgresql")  # the row locks of each
def test_concurrent_enrolments_never_overbook(service: Service) -> None:
    ids = centres(service, 8)
    training = offering(service, capacity=3)
    start = threading.Barrier(len(ids))
    results: list[tuple[str, int | None]] = []

    def enrol(centre: int) -> None:
        start.wait()
        results.append(service.trainings.enrol(training, centre))

    threads = [threading.Thread(target=enrol, args=(c,)) for c in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=lambda r: (r[0], r[1] or 0)) == [
        (ActivityStatus.PLANNED, None)
    ] * 3 + [(ActivityStatus.WAITING, n) for n in range(1, 6)]


def test_attended(service: Service, clock: FrozenClock) -> None:
    first, second = centres(service, 2)
    training = offering(service, capacity=1, day=date(2026, 6, 20))
    service.trainings.enrol(training, first)
    service.trainings.enrol(training, second)
    with pytest.raises(InvalidInput, match=r"^die Fortbildung 1 ist erst am 20\.06\.2026") as early:
        service.trainings.attended(training, first)
    assert early.value.field == "on"
    clock.set(noon(date(2026, 6, 22), BERLIN))
    with pytest.raises(InvalidInput, match="liegt in der Zukunft"):
        service.trainings.attended(training, first, on=date(2026, 6, 23))
    service.trainings.attended(training, first, on=date(2026, 6, 20))
    with pytest.raises(InvalidInput, match="hat an der Fortbildung 1 teilgenommen; keine Teil"):
        service.trainings.attended(training, first)
    with pytest.raises(InvalidInput, match="steht für die Fortbildung 1 auf der Warteliste"):
        service.trainings.attended(training, second)
    with pytest.raises(InvalidInput, match="teilgenommen; nichts abzumelden"):
        service.trainings.cancel_enrolment(training, first, "zu spät")
    # The training is over: a seat freed now goes to nobody.
    assert service.trainings.cancel_enrolment(training, second, "Warteliste aufgelöst") is None
    assert states(service, training) == [
        (first, ActivityStatus.HELD, None),
        (second, ActivityStatus.CANCELLED, None),
    ]


def test_refusals(service: Service, clock: FrozenClock) -> None:
    active, withdrawn = centres(service, 2)
    service.lifecycle.advance(withdrawn, "withdraw")
    training, past = offering(service), offering(service, day=date(2026, 6, 14))
    service.trainings.enrol(training, active)
    refused: list[tuple[Callable[[], object], str]] = [
        (
            lambda: service.trainings.enrol(training, withdrawn),
            "Kita 2 (Gotha) ist in der Stufe Ausgeschieden",
        ),
        (lambda: service.trainings.enrol(past, active), "Fortbildung 2 war am 14.06.2026"),
        (
            lambda: service.trainings.enrol(training, active),
            "ist zur Fortbildung 1 angemeldet; keine zweite",
        ),
        (lambda: service.trainings.cancel_enrolment(training, active, " "), "darf nicht leer"),
    ]
    for call, words in refused:
        with pytest.raises(InvalidInput, match=re.escape(words)):
            call()
    missing: list[tuple[Callable[[], object], str]] = [
        (lambda: service.trainings.enrol(9, active), "keine Fortbildung mit der Nummer 9"),
        (lambda: service.trainings.enrol(training, 9), "keine Einrichtung mit der Nummer 9"),
        (
            lambda: service.trainings.attended(training, withdrawn),
            "Kita 2 (Gotha) ist zur Fortbildung 1 nicht",
        ),
        (lambda: service.trainings.enrolments(9), "keine Fortbildung mit der Nummer 9"),
    ]
    for call, words in missing:
        with pytest.raises(NotFound, match=re.escape(words)):
            call()
    assert states(service, training) == [(active, ActivityStatus.PLANNED, None)]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("kind", "fachkraf", "kind: unbekannte Fortbildungsart 'fachkraf'; meinten Sie"),
        ("title", " ", "title: darf nicht leer sein"),
        ("date", "01.09.26", "date: ungültiges Datum '01.09.26'"),
        ("place", "", "place: darf nicht leer sein"),
        ("capacity", "0", "capacity: ganze Zahl von 1 bis 1000, nicht '0'"),
        ("capacity", "1001", "capacity: ganze Zahl von 1 bis 1000"),
        ("capacity", "2,5", "capacity: ganze Zahl"),
        ("capacity", "²", "capacity: ganze Zahl"),
        ("title", "reflexion i", "title: 'reflexion i' (reflexion) am 10.09.2026 gibt es schon"),
    ],
)
def test_add_training_checks_every_field(
    service: Service, field: str, value: str, words: str
) -> None:
    offering(service)
    given = {"kind": "reflexion", "title": "Neu", "date": "2026-09-10", "place": "Jena"}
    given["capacity"] = "12"
    with pytest.raises(InvalidInput) as refused:
        service.trainings.add(**{**given, field: value})
    assert refused.value.described().startswith(words)
    assert len(service.trainings.find()) == 1


def test_list_by_date_kind_and_from(service: Service) -> None:
    late = service.trainings.add("fachtag", "Fachtag", "2026-11-03", "Weimar", "80")
    early = offering(service)
    service.trainings.add("fachtag", "Fachtag", "2026-07-01", "Gera", "80")
    assert [t.id for t, _, _ in service.trainings.find()] == [3, early, late]
    assert [t.id for t, _, _ in service.trainings.find("FACHTAG", date(2026, 7, 2))] == [late]
    with pytest.raises(InvalidInput, match=r"^unbekannte Fortbildungsart") as unknown:
        service.trainings.find("fest")
    assert unknown.value.field == "kind"


def test_import_is_all_or_nothing_with_line_numbers(service: Service, tmp_path: Path) -> None:
    offering(service)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kind;title;date;place;capacity\n"
        "auftakt;Auftakt Team;2026-09-01;Gotha;20\n"
        "auftakt;Auftakt Team;2026-09-01;Gotha;20\n"
        "reflexion;Reflexion I;2026-09-10;Erfurt;15\n"
        "fachtag;Fachtag;2026-13-01;Jena;eins\n"
        "fachtag;Fachtag\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as error:
        service.trainings.import_trainings(bad)
    assert str(error.value) == (
        f"{bad}: nichts importiert, 4 Fehler: "
        "Zeile 3: 'Auftakt Team' doppelt (wie Zeile 2); "
        "Zeile 4: 'Reflexion I' (reflexion) am 10.09.2026 gibt es schon; "
        "Zeile 5, Feld „date“: ungültiges Datum '2026-13-01': diesen Tag gibt es nicht; "
        "Zeile 6: 2 statt 5 Spalten"
    )
    assert len(service.trainings.find()) == 1
    good = tmp_path / "good.csv"
    good.write_text(
        'title,kind,date,place,capacity\n"Auftakt, Eltern",auftakt,2026-09-01,Gotha,20\n\n',
        encoding="utf-8",
    )
    assert service.trainings.import_trainings(good) == [2]
    assert service.trainings.find("auftakt")[0][0].title == "Auftakt, Eltern"


def test_enrolments_feed_the_recommendations(
    service: Service, engine: Engine, workflow: Workflow
) -> None:
    (centre,) = centres(service, 1)
    service.registry.add_coach("Paul Winter", "paul@example.org", "70")
    service.registry.assign_coach(centre, "paul@example.org")
    service.lifecycle.advance(centre, "admit", on=date(2026, 6, 1))
    auftakt = service.trainings.add("auftakt", "Auftakt", "2026-07-01", "Gotha", "20")
    service.trainings.enrol(auftakt, centre)
    service.trainings.enrol(offering(service), centre)
    with engine.connect() as connection:
        enrolments = TrainingStore(connection).of_centres([centre])[centre]
        enrolment = TrainingStore(connection).enrolment(auftakt, centre)
    assert enrolments == [
        ("auftakt", ActivityStatus.PLANNED, date(2026, 7, 1)),
        ("reflexion", ActivityStatus.PLANNED, SEPTEMBER),
    ]
    assert enrolment is not None
    assert (enrolment.stage, enrolment.key, enrolment.date) == (
        "basisbegleitung",
        "training:1",
        date(2026, 7, 1),
    )
    unmet = unmet_trainings(workflow, "basisbegleitung", date(2026, 6, 1), enrolments, SEPTEMBER)
    assert [kind for kind, _ in unmet] == ["fachkraft", "vernetzung"]


ADMITTED = date(2025, 1, 15)


def test_unmet_trainings_deadlines(workflow: Workflow) -> None:
    assert unmet_trainings(workflow, "basisbegleitung", ADMITTED, [], ADMITTED) == [
        ("auftakt", date(2025, 4, 15)),
        ("fachkraft", date(2026, 1, 15)),
        ("reflexion", date(2027, 1, 15)),
        ("vernetzung", date(2027, 1, 15)),
    ]
    assert unmet_trainings(workflow, "basisbegleitung", ADMITTED, [], date(2025, 1, 14)) == []
    assert unmet_trainings(workflow, "interessent", ADMITTED, [], ADMITTED) == []


@pytest.mark.parametrize(
    ("enrolment", "met"),
    [
        (("auftakt", ActivityStatus.HELD, date(2025, 1, 14)), False),  # before the stage began
        (("auftakt", ActivityStatus.CANCELLED, date(2025, 2, 1)), False),
        (("auftakt", ActivityStatus.WAITING, date(2025, 2, 1)), False),
        (("auftakt", ActivityStatus.PLANNED, date(2025, 1, 15)), True),
        (("auftakt", ActivityStatus.HELD, date(2025, 6, 1)), True),  # late, but taken up
    ],
)
def test_which_enrolments_count(
    workflow: Workflow, enrolment: tuple[str, str, date], met: bool
) -> None:
    unmet = unmet_trainings(workflow, "basisbegleitung", ADMITTED, [enrolment], date(2025, 7, 1))
    assert ("auftakt" not in [kind for kind, _ in unmet]) is met


def test_describe_unmet(workflow: Workflow) -> None:
    deadline = date(2026, 1, 15)
    assert describe_unmet(workflow, "fachkraft", deadline, deadline) == (
        "Empfehlung: Fachkraft ThEKiZ Weiterbildung bis 15.01.2026"
    )
    assert describe_unmet(workflow, "fachkraft", deadline, date(2026, 1, 16)) == (
        "Empfehlung: Fachkraft ThEKiZ Weiterbildung (Frist überschritten seit 15.01.2026)"
    )


def test_seats_of_some_trainings_are_counted_through_the_index_by_training_on_sqlite(
    tmp_path: Path,
) -> None:
    """A list of trainings (a batch releasing seats) is counted from its own enrolments,
    never by reading every enrolment of the kind."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    statements: list[tuple[str, Any]] = []  # Any: the driver's parameters, passed back to it

    def keep(*args: object) -> None:
        statement, parameters = args[2], args[3]
        if isinstance(statement, str) and "count(" in statement:
            statements.append((statement, parameters))

    with engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", keep)
        TrainingStore(connection).counts(list(range(1, 301)))
        event.remove(connection, "before_cursor_execute", keep)
        ((statement, parameters),) = statements
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    engine.dispose()
    assert any("ix_activities_training_id_status" in row[-1] for row in plan), plan
