"""Moving and cancelling a planned site visit: the same guards as a session's."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import BERLIN, TODAY
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput
from thekiz_flow.service import Service

ADMITTED = date(2026, 6, 1)


def admitted(service: Service, clock: FrozenClock) -> int:
    """A centre admitted on 1 June 2026 (today: 15 June), with its visit planned."""
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


def the_visit(service: Service, centre: int) -> Activity:
    (visit,) = of_kind(service, centre, ActivityKind.SITE_VISIT)
    return visit


def test_a_visit_moved_stays_where_it_was_put(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    planned = the_visit(service, centre)
    assert planned.status == ActivityStatus.PLANNED
    day = date(2026, 7, 7)
    assert day != planned.date
    moved = service.sessions.move_visit(planned.id, day, "Leitung im Urlaub")
    assert (moved.date, moved.moved, moved.reason) == (day, True, "Leitung im Urlaub")
    service.planning.plan(centre)
    stored = the_visit(service, centre)
    assert (stored.id, stored.date, stored.moved, stored.status) == (
        planned.id,
        day,
        True,
        ActivityStatus.PLANNED,
    )


def test_a_visit_cancelled_is_not_planned_again(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    planned = the_visit(service, centre)
    cancelled = service.sessions.cancel_visit(planned.id, "Einrichtung wünscht keinen Besuch")
    assert (cancelled.status, cancelled.reason) == (
        ActivityStatus.CANCELLED,
        "Einrichtung wünscht keinen Besuch",
    )
    service.planning.plan(centre)
    (stored,) = of_kind(service, centre, ActivityKind.SITE_VISIT)
    assert (stored.id, stored.status) == (planned.id, ActivityStatus.CANCELLED)


def test_the_guards_of_a_visit_change(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    visit = the_visit(service, centre)
    session = of_kind(service, centre, ActivityKind.COACHING)[0]
    with pytest.raises(InvalidInput, match="liegt in der Vergangenheit"):
        service.sessions.move_visit(visit.id, TODAY - timedelta(days=1))
    with pytest.raises(InvalidInput, match="ist kein Arbeitstag"):
        service.sessions.move_visit(visit.id, date(2026, 6, 20))  # a Saturday
    with pytest.raises(InvalidInput, match="darf nicht leer sein"):
        service.sessions.cancel_visit(visit.id, " ")
    with pytest.raises(InvalidInput, match=f"Termin {session.id} ist kein Einrichtungsbesuch"):
        service.sessions.move_visit(session.id, date(2026, 7, 7))
    with pytest.raises(InvalidInput, match=f"Termin {visit.id} ist kein Begleittermin"):
        service.sessions.cancel(visit.id, "falsch")
    with pytest.raises(NotFound):
        service.sessions.cancel_visit(999_999, "gibt es nicht")
    service.sessions.record_visit(centre, date(2026, 6, 10))
    with pytest.raises(Refused, match=f"Termin {visit.id} ist schon gehalten"):
        service.sessions.move_visit(visit.id, date(2026, 7, 7))
    with pytest.raises(Refused, match=f"Termin {visit.id} ist schon gehalten"):
        service.sessions.cancel_visit(visit.id, "zu spät")
    assert the_visit(service, centre).status == ActivityStatus.HELD


def test_a_visit_and_its_centre(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    visit = the_visit(service, centre)
    found, where = service.sessions.get_visit(visit.id)
    assert (found.id, where.id) == (visit.id, centre)


def test_closures_of_a_centre(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    assert service.planning.closures(centre) == []
    service.planning.add_closure(centre, date(2026, 12, 21), date(2027, 1, 1), "Winterpause")
    (closure,) = service.planning.closures(centre)
    assert (closure.first, closure.last, closure.note) == (
        date(2026, 12, 21),
        date(2027, 1, 1),
        "Winterpause",
    )
    with pytest.raises(NotFound):
        service.planning.closures(999_999)
