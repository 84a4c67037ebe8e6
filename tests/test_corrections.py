"""Correcting what was recorded: a held session's date, hours and note, a held session or site
visit cancelled as a mistake, the coach's and centre's details; each an entry of the audit
trail in the same transaction, refused with a German reason and nothing written."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.cli_helpers import dump
from tests.conftest import BERLIN, TODAY
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.corrections import Action, Subject, sentence
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused, UserError
from thekiz_flow.core.model import Activity, ActivityFilter, CentreEdit, CentreInput
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

ADMITTED = date(2026, 3, 2)  # today: 15 June 2026


def admitted(service: Service, clock: FrozenClock) -> int:
    """A centre in Basisbegleitung since 2 March 2026, its sessions and visit planned."""
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), ADMITTED
    )
    clock.set(noon(ADMITTED, BERLIN))
    service.lifecycle.advance(centre, "admit", on=ADMITTED)
    clock.set(noon(TODAY, BERLIN))
    return centre


def of_kind(service: Service, centre: int, kind: ActivityKind) -> list[Activity]:
    return service.overview.activities(ActivityFilter(centre_id=centre, kind=kind))


def held_session(service: Service, centre: int, day: date = date(2026, 3, 4)) -> Activity:
    """The session of ``day``'s month, recorded as held on ``day`` with 2 hours."""
    return service.sessions.record(f"E{centre}", day, "2", "Elternabend")


def later(clock: FrozenClock, days: int = 1) -> datetime:
    """The clock a few days on: the moment the next change is recorded."""
    clock.set(clock.now() + timedelta(days=days))
    return clock.now()


def test_a_held_session_s_hours_date_and_note_are_corrected(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)
    moment = later(clock)
    corrected, entry = service.corrections.correct_session(
        held.id, "falsch abgelesen", hours="1,5", day=date(2026, 3, 9), note=""
    )
    assert (corrected.hours, corrected.date, corrected.note) == (
        Decimal("1.5"),
        date(2026, 3, 9),
        None,
    )
    assert (corrected.status, corrected.rate, corrected.stage) == (
        ActivityStatus.HELD,
        held.rate,
        held.stage,
    )
    assert (entry.subject, entry.subject_id, entry.centre_id, entry.action) == (
        Subject.ACTIVITY,
        held.id,
        centre,
        Action.CORRECTED,
    )
    assert (entry.actor, entry.recorded_at, entry.reason) == ("test", moment, "falsch abgelesen")
    assert entry.before == {"hours": "2", "date": "2026-03-04", "note": "Elternabend"}
    assert entry.after == {"hours": "1.5", "date": "2026-03-09", "note": None}
    (shown,) = service.corrections.of_centre(centre)
    assert sentence(shown.correction, BERLIN, shown.kind, shown.day) == (
        "16.06.2026 Begleittermin vom 04.03. korrigiert: Datum 04.03.2026 → 09.03.2026; "
        "Stunden 2,0 → 1,5; Notiz Elternabend → (leer) "
        "(Grund: falsch abgelesen), von test"
    )


def test_only_what_changes_is_in_the_entry(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)
    _, entry = service.corrections.correct_session(
        held.id, "Tippfehler", hours="2", note="Elternrat"
    )
    assert (entry.before, entry.after) == ({"note": "Elternabend"}, {"note": "Elternrat"})
    _, second = service.corrections.correct_session(held.id, "doch", day=date(2026, 3, 10))
    (first, then) = service.corrections.of_centre(centre)
    assert [e.day for e in (first, then)] == [date(2026, 3, 4), date(2026, 3, 4)]
    assert second.before == {"date": "2026-03-04"}


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"hours": "0"}, InvalidInput, "muss größer als 0"),
        ({"hours": "-1"}, InvalidInput, "muss größer als 0"),
        ({"day": date(2026, 2, 27)}, Refused, "noch nicht im Programm"),
        ({"day": TODAY + timedelta(days=1)}, InvalidInput, "liegt in der Zukunft"),
        ({"hours": "2", "note": "Elternabend"}, InvalidInput, "hat diese Werte schon"),
        ({}, InvalidInput, "nichts zu korrigieren"),
    ],
)
def test_a_correction_that_breaks_a_rule_writes_nothing(
    service: Service,
    clock: FrozenClock,
    database_url: str,
    change: dict[str, object],
    error: type[UserError],
    message: str,
) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)
    before = dump(database_url)
    with pytest.raises(error, match=message):
        service.corrections.correct_session(held.id, "Grund", **change)  # type: ignore[arg-type]
    assert dump(database_url) == before


def test_a_date_in_another_stage_is_refused(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)
    clock.set(noon(date(2026, 5, 4), BERLIN))
    service.lifecycle.advance(centre, "pause", on=date(2026, 5, 4), reason="Umbau")
    clock.set(noon(TODAY, BERLIN))
    service.lifecycle.advance(centre, "resume", on=date(2026, 5, 18))
    with pytest.raises(Refused, match="in der Stufe Pausiert"):
        service.corrections.correct_session(held.id, "Grund", day=date(2026, 5, 11))


def test_a_date_in_the_next_stage_is_refused(
    service: Service, clock: FrozenClock, database_url: str
) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)
    service.lifecycle.advance(
        centre, "deepen", on=date(2026, 5, 4), reason="Sonderfall", force=True
    )
    before = dump(database_url)
    with pytest.raises(InvalidInput, match="der Termin gehört zur Stufe Basisbegleitung"):
        service.corrections.correct_session(held.id, "Grund", day=date(2026, 5, 11))
    assert dump(database_url) == before
    corrected, _ = service.corrections.correct_session(held.id, "Grund", day=date(2026, 5, 1))
    assert corrected.date == date(2026, 5, 1)


def test_only_a_held_one_and_a_known_one_is_corrected(
    service: Service, clock: FrozenClock, database_url: str
) -> None:
    centre = admitted(service, clock)
    planned = of_kind(service, centre, ActivityKind.COACHING)[-1]
    visit = of_kind(service, centre, ActivityKind.SITE_VISIT)[0]
    before = dump(database_url)
    with pytest.raises(Refused, match=f"Termin {planned.id} ist nicht gehalten \\(geplant\\)"):
        service.corrections.correct_session(planned.id, "Grund", hours="3")
    with pytest.raises(Refused, match="nicht gehalten"):
        service.corrections.void_session(planned.id, "Grund")
    with pytest.raises(InvalidInput, match="kein Begleittermin"):
        service.corrections.correct_session(visit.id, "Grund", hours="3")
    with pytest.raises(NotFound):
        service.corrections.void_visit(9999, "Grund")
    with pytest.raises(InvalidInput, match="darf nicht leer sein"):
        service.corrections.void_session(planned.id, " ")
    assert dump(database_url) == before


def test_a_session_voided_frees_its_place_in_the_plan(service: Service, clock: FrozenClock) -> None:
    """The July session held early, then found to be a mistake: July has a planned one again."""
    centre = admitted(service, clock)
    july = next(
        a
        for a in of_kind(service, centre, ActivityKind.COACHING)
        if (a.date.year, a.date.month) == (2026, 7)
    )
    service.sessions.record(str(july.id), date(2026, 6, 10), "2")
    assert not any(
        a.status == ActivityStatus.PLANNED and (a.date.year, a.date.month) == (2026, 7)
        for a in of_kind(service, centre, ActivityKind.COACHING)
    )
    moment = later(clock)
    voided, entry = service.corrections.void_session(july.id, "anderer Kita zugeordnet")
    assert (voided.status, voided.reason) == (
        ActivityStatus.CANCELLED,
        "war ein Fehler: anderer Kita zugeordnet",
    )
    assert (entry.action, entry.before, entry.after, entry.recorded_at) == (
        Action.VOIDED,
        {"status": "held"},
        {"status": "cancelled"},
        moment,
    )
    sessions = of_kind(service, centre, ActivityKind.COACHING)
    again = [
        a
        for a in sessions
        if (a.date.year, a.date.month) == (2026, 7) and a.status == ActivityStatus.PLANNED
    ]
    assert [(a.date, a.key) for a in again] == [(july.date, july.key)]
    assert next(a for a in sessions if a.id == july.id).status == ActivityStatus.CANCELLED
    service.planning.plan(centre)  # planning again changes nothing
    assert of_kind(service, centre, ActivityKind.COACHING) == sessions
    (shown,) = service.corrections.of_centre(centre)
    assert sentence(shown.correction, BERLIN, shown.kind, shown.day) == (
        "16.06.2026 Begleittermin vom 10.06. als Fehler storniert "
        "(Grund: anderer Kita zugeordnet), von test"
    )


def test_a_visit_voided_is_planned_again(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    service.sessions.record_visit(centre, date(2026, 6, 10), "Rundgang")
    (held,) = of_kind(service, centre, ActivityKind.SITE_VISIT)
    assert held.status == ActivityStatus.HELD
    voided, _ = service.corrections.void_visit(held.id, "falsche Einrichtung")
    assert voided.status == ActivityStatus.CANCELLED
    visits = of_kind(service, centre, ActivityKind.SITE_VISIT)
    planned = [a for a in visits if a.status == ActivityStatus.PLANNED]
    assert len(planned) == 1
    assert planned[0].date >= TODAY
    with pytest.raises(Refused, match="nicht gehalten"):
        service.corrections.void_visit(held.id, "noch einmal")


def test_edits_of_a_coach_and_a_centre_are_in_the_record(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock)
    service.registry.update_coach(1, rate="70", name="Lena Sommer")
    service.registry.update_centre(centre, CentreEdit(name="Kita Pusteblume Süd", carrier="Verein"))
    service.registry.update_centre(centre, CentreEdit(name="Kita Pusteblume Süd"))  # no change
    (edited,) = service.corrections.of_centre(centre)
    assert (edited.correction.subject, edited.correction.action) == (Subject.CENTRE, Action.EDITED)
    assert edited.correction.before == {"name": "Kita Pusteblume", "carrier": None}
    assert sentence(edited.correction, BERLIN) == (
        "15.06.2026 Einrichtung geändert: Träger (leer) → Verein; "
        "Name Kita Pusteblume → Kita Pusteblume Süd, von test"
    )
    with service.runtime.unit() as repo:
        (coach,) = repo.corrections.of_subject(Subject.COACH, 1)
    after = {"rate": "70", "valid_from": "2026-06-15"}
    before = {"rate": "65", "valid_from": None}
    assert (coach.centre_id, coach.before, coach.after) == (None, before, after)
    assert sentence(coach, BERLIN) == (
        "15.06.2026 Prozessbegleitung 1 geändert: Stundensatz 65,00 € → 70,00 €; "
        "gültig ab 15.06.2026, von test"
    )


def test_the_activities_as_recorded_before_a_correction(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)
    recorded = later(clock)
    service.corrections.correct_session(held.id, "falsch", hours="1,5")
    only = ActivityFilter(centre_id=centre, status=ActivityStatus.HELD)
    with service.runtime.unit() as repo:
        (then,) = repo.activities.as_recorded(recorded, only)
        (now,) = repo.activities.as_recorded(later(clock), only)
    assert (then.hours, now.hours) == (Decimal(2), Decimal("1.5"))
