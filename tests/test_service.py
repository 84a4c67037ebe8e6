"""The service on a real database: stage changes are whole or nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select

from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import centres, stage_changes


def new_centre(service: Service, name: str = "Kita Pusteblume", coach: str | None = None) -> int:
    return service.registry.add_centre(
        CentreInput(name, "jena", "kita@example.org", coach=coach), on=date(2024, 1, 2)
    )


def snapshot(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as connection:
        rows = connection.execute(select(centres).order_by(centres.c.id)).all()
        audit = connection.execute(select(func.count()).select_from(stage_changes)).scalar()
    return (tuple(tuple(r) for r in rows), audit)


def test_a_programme_from_admission_to_consultation(service: Service, clock: FrozenClock) -> None:
    coach = service.registry.add_coach("Paul Winter", "paul@example.org", "70")
    centre_id = new_centre(service, coach=str(coach))
    assert service.registry.centre(centre_id)[0].district == "Jena"
    clock.set(noon(date(2027, 6, 1), BERLIN))
    service.lifecycle.advance(centre_id, "admit", on=date(2024, 2, 1))
    service.sessions.record_visit(centre_id, date(2024, 6, 3), "Rundgang")
    deepened = service.lifecycle.advance(centre_id, "deepen", on=date(2026, 2, 1))
    assert (deepened.from_stage, deepened.to_stage, deepened.forced) == (
        "basisbegleitung",
        "vertiefungsbegleitung",
        False,
    )
    service.sessions.record_visit(centre_id, date(2026, 5, 4), None)
    service.lifecycle.advance(centre_id, "consult", on=date(2027, 2, 1))
    history = service.lifecycle.history(centre_id)
    assert [c.trigger for c in history] == ["admit", "deepen", "consult"]
    assert history[-1].actor == "test"
    assert history[-1].recorded_at == clock.now()
    centre, found_coach = service.registry.centre(centre_id)
    assert (centre.stage, centre.stage_since) == ("konsultationseinrichtung", date(2027, 2, 1))
    assert found_coach is not None
    assert found_coach.id == coach


def test_refused_change_writes_nothing_and_names_every_condition(
    service: Service, engine: Engine
) -> None:
    centre_id = new_centre(service, coach=None)
    service.registry.add_coach("Paul Winter", "paul@example.org", "70")
    service.registry.assign_coach(centre_id, "paul@example.org")
    service.lifecycle.advance(centre_id, "admit", on=date(2025, 1, 6))
    before = snapshot(engine)
    with pytest.raises(Refused) as refused:
        service.lifecycle.advance(centre_id, "deepen")
    assert len(refused.value.missing) == 2
    assert snapshot(engine) == before


def test_forced_change_records_reason_and_force(service: Service) -> None:
    centre_id = new_centre(service)
    with pytest.raises(InvalidInput, match="braucht eine Begründung") as unexplained:
        service.lifecycle.advance(centre_id, "admit", force=True)
    assert unexplained.value.field == "reason"
    change = service.lifecycle.advance(
        centre_id, "admit", force=True, reason="Vorgezogen: Landkreis zahlt"
    )
    assert (change.forced, change.reason) == (True, "Vorgezogen: Landkreis zahlt")
    coach = service.registry.add_coach("Paul Winter", "paul@example.org", "70")
    service.registry.assign_coach(centre_id, str(coach))
    service.lifecycle.advance(centre_id, "pause")
    met = service.lifecycle.advance(centre_id, "resume", force=True, reason="ohne Bedingungen")
    assert met.forced is False  # nothing was overridden


def test_a_failure_inside_the_transaction_leaves_nothing(
    service: Service, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    centre_id = new_centre(service)
    before = snapshot(engine)

    def broken(self: Repository, changes: object) -> object:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Repository, "add_changes", broken)
    with pytest.raises(RuntimeError):
        service.lifecycle.advance(centre_id, "withdraw")
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (date(2026, 6, 16), "liegt in der Zukunft"),
        (date(2024, 1, 1), "liegt vor dem Beginn der aktuellen Stufe (02.01.2024)"),
    ],
)
def test_effective_date_must_be_within_the_stage(service: Service, on: date, message: str) -> None:
    centre_id = new_centre(service)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        service.lifecycle.advance(centre_id, "withdraw", on=on)


def test_unknown_centre_and_coach(service: Service) -> None:
    with pytest.raises(NotFound, match="keine Einrichtung mit der Nummer 99"):
        service.lifecycle.advance(99, "admit")
    with pytest.raises(NotFound, match=r"keine Prozessbegleitung 'x@example\.org'"):
        new_centre(service, coach="x@example.org")


def test_final_stage_allows_nothing(service: Service) -> None:
    centre_id = new_centre(service)
    service.lifecycle.advance(centre_id, "withdraw")
    with pytest.raises(Refused, match="in der Stufe Ausgeschieden nicht möglich"):
        service.lifecycle.advance(centre_id, "resume", force=True, reason="x")


def test_eligible_reads_the_stored_history(service: Service, clock: FrozenClock) -> None:
    coach = str(service.registry.add_coach("Paul Winter", "paul@example.org", "70"))
    waiting = new_centre(service, "Kita A")
    ready = new_centre(service, "Kita B", coach=coach)
    admitted = new_centre(service, "Kita C", coach=coach)
    service.lifecycle.advance(admitted, "admit", on=date(2024, 3, 1))
    service.sessions.record_visit(admitted, date(2024, 9, 2))
    result = {e.centre.id: e for e in service.lifecycle.eligible()}
    assert result[waiting].missing == ("keine Prozessbegleitung zugeordnet",)
    assert result[ready].eligible
    assert (result[admitted].trigger, result[admitted].eligible) == ("deepen", True)
    # As of an earlier day the same history gives another answer.
    earlier = {e.centre.id: e for e in service.lifecycle.eligible(date(2025, 3, 1))}
    assert not earlier[admitted].eligible
    clock.advance(timedelta(days=1))
    service.lifecycle.advance(admitted, "withdraw")
    assert admitted not in {e.centre.id for e in service.lifecycle.eligible()}


def test_acting_as_another_person_shares_what_is_built_once(service: Service) -> None:
    other = service.acting_as("buero@example.org")
    assert (other.runtime.renderer, other.runtime.calendar, other.runtime.engine) == (
        service.runtime.renderer,
        service.runtime.calendar,
        service.runtime.engine,
    )
    centre = new_centre(other, coach=None)
    service.registry.assign_coach(
        centre, str(service.registry.add_coach("P", "p@example.org", "60"))
    )
    other.lifecycle.advance(centre, "admit", on=date(2024, 1, 9))
    assert [c.actor for c in service.lifecycle.history(centre)] == ["buero@example.org"]
    assert service.runtime.actor == "test"
