"""Correcting what was recorded in the browser: the office corrects a held session and
cancels a held session or visit as a mistake; a coach corrects their own sessions within
``[web] coach_correction_days`` of recording them; the centre's page shows the audit trail."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import BERLIN, TODAY
from tests.web_helpers import assert_action_guarded, login, logout, web_client
from thekiz_flow.core import paging
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.corrections import ByCoach
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput
from thekiz_flow.service import Service
from thekiz_flow.workflow.config import Settings, WebSettings

pytestmark = pytest.mark.backends("sqlite", "postgresql")

ADMITTED = date(2026, 3, 2)  # today: 15 June 2026
HELD_ON = date(2026, 3, 4)
GONE = "bitte wenden Sie sich an das Büro"


def admitted(service: Service, name: str = "Kita Pusteblume", coach: str = "1") -> int:
    """A centre in Basisbegleitung since 2 March 2026 (coach 1: Lena, the coach's user)."""
    clock = service.runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.set(noon(ADMITTED, BERLIN))
    centre = service.registry.add_centre(
        CentreInput(name, "jena", "k@example.org", coach=coach), ADMITTED
    )
    service.lifecycle.advance(centre, "admit", on=ADMITTED)
    clock.set(noon(TODAY, BERLIN))
    return centre


def held_session(service: Service, centre: int) -> Activity:
    """Recorded today as held on 4 March, 2 hours."""
    return service.sessions.record(f"E{centre}", HELD_ON, "2", "Elternabend")


def held_visit(service: Service, centre: int) -> Activity:
    service.sessions.record_visit(centre, date(2026, 6, 10), "Rundgang")
    return next(
        a
        for a in service.overview.activities(
            ActivityFilter(centre_id=centre, kind=ActivityKind.SITE_VISIT)
        )
        if a.status == ActivityStatus.HELD
    )


def current(service: Service, activity_id: int) -> Activity:
    (found,) = [a for a in service.overview.activities(ActivityFilter()) if a.id == activity_id]
    return found


def days_on(service: Service, days: int) -> None:
    clock = service.runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.set(clock.now() + timedelta(days=days))


def correction(token: str, **values: str) -> dict[str, str]:
    form = {"csrf_token": token, "date": "2026-03-04", "hours": "2", "note": "Elternabend"}
    return {**form, "reason": "falsch abgelesen", **values}


def test_the_office_corrects_a_held_session_from_the_centre_page(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre = admitted(service)
    held = held_session(service, centre)
    token = login(web, "office")
    page = web.get(f"/centres/{centre}").text
    assert f'href="/sessions/{held.id}/correct"' in page
    assert f'href="/sessions/{held.id}/void"' in page
    assert "Noch nichts korrigiert." in page
    form = web.get(f"/sessions/{held.id}/correct")
    assert form.status_code == 200
    assert "Begleittermin vom 04.03.2026 bei Kita Pusteblume (Jena)" in form.text
    assert 'value="2026-03-04"' in form.text
    days_on(service, 1)
    token = login(web, "office")  # signed in again: a day later
    response = web.post(
        f"/sessions/{held.id}/correct",
        data=correction(token, hours="1,5", date="2026-03-09"),
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/centres/{centre}")
    corrected = current(service, held.id)
    assert (corrected.hours, corrected.date) == (Decimal("1.5"), date(2026, 3, 9))
    page = web.get(f"/centres/{centre}").text
    assert "Änderungen und Korrekturen (1)" in page
    assert (
        "16.06.2026 Begleittermin vom 04.03. korrigiert: Datum 04.03.2026 → 09.03.2026; "
        "Stunden 2,0 → 1,5 (Grund: falsch abgelesen), von buero@example.org"
    ) in page


def test_a_refused_correction_keeps_what_was_typed_and_writes_nothing(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre = admitted(service)
    held = held_session(service, centre)
    token = login(web, "office")
    before = dump(database_url)
    path = f"/sessions/{held.id}/correct"
    response = web.post(path, data=correction(token, reason="", hours="3,5"))
    assert response.status_code == 400
    assert 'id="reason-error">Grund der Korrektur' not in response.text  # labels are the service's
    assert 'id="reason-error">Grund: darf nicht leer sein' in response.text
    assert 'value="3,5"' in response.text
    response = web.post(path, data=correction(token, hours="0"))
    assert response.status_code == 400
    assert 'id="hours-error">Stunden:' in response.text
    response = web.post(path, data=correction(token, date="2026-06-20"))  # after today
    assert response.status_code == 400
    assert "20.06.2026 liegt in der Zukunft" in response.text
    response = web.post(path, data=correction(token))  # the same values
    assert response.status_code == 400
    assert f"Termin {held.id} hat diese Werte schon" in response.text
    assert dump(database_url) == before


def test_the_office_voids_a_session_after_confirming(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre = admitted(service)
    held = held_session(service, centre)
    token = login(web, "office")
    form = web.get(f"/sessions/{held.id}/void")
    assert (
        "Begleittermin vom 04.03.2026 bei Kita Pusteblume (Jena) wird als Fehler storniert; "
        "der Plan setzt einen neuen Termin ein"
    ) in form.text
    before = dump(database_url)
    path = f"/sessions/{held.id}/void"
    response = web.post(path, data={"csrf_token": token, "reason": "falsche Kita"})
    assert response.status_code == 400
    assert 'id="confirm-error">Bitte bestätigen: Häkchen setzen' in response.text
    assert 'value="falsche Kita"' in response.text
    response = web.post(path, data={"csrf_token": token, "reason": "", "confirm": "ja"})
    assert response.status_code == 400
    assert 'id="reason-error">Grund: darf nicht leer sein' in response.text
    assert dump(database_url) == before
    data = {"csrf_token": token, "reason": "falsche Kita", "confirm": "ja"}
    response = web.post(path, data=data, follow_redirects=False)
    assert response.status_code == 303
    assert current(service, held.id).status == ActivityStatus.CANCELLED
    page = web.get(f"/centres/{centre}").text
    assert "Begleittermin vom 04.03. als Fehler storniert (Grund: falsche Kita)" in page
    response = web.post(path, data=data)  # no longer held: the service's message
    assert response.status_code == 400
    assert "ist nicht gehalten" in response.text


def test_the_office_voids_a_visit(web: TestClient, service: Service) -> None:
    centre = admitted(service)
    visit = held_visit(service, centre)
    token = login(web, "office")
    assert f'href="/visits/{visit.id}/void"' in web.get(f"/centres/{centre}").text
    assert "Einrichtungsbesuch vom 10.06.2026" in web.get(f"/visits/{visit.id}/void").text
    data = {"csrf_token": token, "reason": "war woanders", "confirm": "ja"}
    response = web.post(f"/visits/{visit.id}/void", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert current(service, visit.id).status == ActivityStatus.CANCELLED
    assert (
        "Einrichtungsbesuch vom 10.06. als Fehler storniert" in web.get(f"/centres/{centre}").text
    )
    # a session's address is not a visit's
    assert web.get(f"/sessions/{visit.id}/correct").status_code == 400


def test_who_may_correct_and_void(web: TestClient, service: Service, database_url: str) -> None:
    centre = admitted(service)
    held = held_session(service, centre)
    visit = held_visit(service, centre)
    void = {"reason": "falsch", "confirm": "ja"}
    assert_action_guarded(
        web, database_url, f"/sessions/{held.id}/void", void, ("coach", "ministry")
    )
    assert_action_guarded(
        web, database_url, f"/visits/{visit.id}/void", void, ("coach", "ministry")
    )
    values = correction("")
    del values["csrf_token"]
    assert_action_guarded(web, database_url, f"/sessions/{held.id}/correct", values, ("ministry",))
    token = login(web, "coach")
    page = web.get(f"/centres/{centre}").text
    assert f'href="/sessions/{held.id}/correct"' in page
    assert "/void" not in page  # the office's
    assert web.get(f"/sessions/{held.id}/void").status_code == 403
    logout(web, token)


def test_a_coach_corrects_their_own_sessions_for_14_days(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre = admitted(service)
    held = held_session(service, centre)  # recorded today at noon
    path = f"/sessions/{held.id}/correct"
    days_on(service, 10)
    token = login(web, "coach")
    response = web.post(path, data=correction(token, hours="1,5"), follow_redirects=False)
    assert response.status_code == 303
    assert current(service, held.id).hours == Decimal("1.5")
    days_on(service, 4)  # 14 days after recording: still
    token = login(web, "coach")
    assert 'name="reason"' in web.get(path).text
    days_on(service, 1)  # 15 days after recording; a correction does not extend the time
    token = login(web, "coach")
    form = web.get(path)
    assert form.status_code == 200
    assert "bis 14 Tage nach dem Erfassen; bitte wenden Sie sich an das Büro" in form.text
    assert 'name="reason"' not in form.text
    before = dump(database_url)
    response = web.post(path, data=correction(token, hours="1"))
    assert response.status_code == 400
    assert GONE in response.text
    assert dump(database_url) == before
    logout(web, token)
    token = login(web, "office")  # the office may, whenever
    response = web.post(path, data=correction(token, hours="1"), follow_redirects=False)
    assert response.status_code == 303
    assert current(service, held.id).hours == Decimal("1")


def test_a_coach_corrects_only_their_own_sessions(
    web: TestClient, service: Service, database_url: str
) -> None:
    service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    other = admitted(service, "Kita Löwenzahn", "2")
    held = held_session(service, other)
    token = login(web, "coach")
    assert (
        "Sie korrigieren nur eigene Begleittermine" in web.get(f"/sessions/{held.id}/correct").text
    )
    before = dump(database_url)
    response = web.post(f"/sessions/{held.id}/correct", data=correction(token, hours="1"))
    assert response.status_code == 400
    assert dump(database_url) == before


def test_the_coach_s_days_are_configured(service: Service, web: TestClient) -> None:
    centre = admitted(service)
    held = held_session(service, centre)
    days_on(service, 4)
    settings = Settings(web=WebSettings(coach_correction_days=3))
    with web_client(service, settings) as client:
        login(client, "coach")
        page = client.get(f"/sessions/{held.id}/correct").text
    assert "bis 3 Tage nach dem Erfassen" in page


def test_the_service_enforces_the_coach_s_limits(service: Service, web: TestClient) -> None:
    """Not only the page: the service refuses a coach, and leaves the office (the CLI) be."""
    centre = admitted(service)
    held = held_session(service, centre)
    lena = ByCoach(1, 14)
    days_on(service, 15)
    with pytest.raises(Refused, match="bis 14 Tage"):
        service.corrections.correct_session(held.id, "Grund", hours="1", by=lena)
    with pytest.raises(Refused, match="nur eigene"):
        service.corrections.correct_session(held.id, "Grund", hours="1", by=ByCoach(2, 14))
    with pytest.raises(Refused, match="nur das Büro"):
        service.corrections.void_session(held.id, "Grund", by=lena)
    assert service.corrections.refusal(held.id, None) is None
    corrected, _ = service.corrections.correct_session(held.id, "Grund", hours="1")
    assert corrected.hours == Decimal("1")


def test_the_audit_trail_is_paged_newest_first(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "size", lambda: 1)
    centre = admitted(service)
    held = held_session(service, centre)
    service.corrections.correct_session(held.id, "erste", hours="1")
    days_on(service, 1)
    service.corrections.correct_session(held.id, "zweite", hours="3")
    login(web, "office")
    first = web.get(f"/centres/{centre}").text
    assert "Änderungen und Korrekturen (2)" in first
    assert "Grund: zweite" in first
    assert "Grund: erste" not in first
    assert 'href="?aenderungen=2"' in first
    second = web.get(f"/centres/{centre}?aenderungen=2").text
    assert "Grund: erste" in second
    assert "Grund: zweite" not in second
