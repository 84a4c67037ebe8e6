"""The sessions and site visits pages: lists, filters, and recording, moving, cancelling."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import BERLIN, TODAY
from tests.web_helpers import assert_action_guarded, login, logout
from thekiz_flow.core.activity_list import Due, due_days, month_start, period
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput
from thekiz_flow.core.users import User
from thekiz_flow.service import Service
from thekiz_flow.web.pages.sessions import coach_filter

ADMITTED = date(2026, 3, 2)


def admitted(service: Service, name: str, coach: str) -> int:
    centre = service.registry.add_centre(
        CentreInput(name, "jena", "k@example.org", coach=coach), ADMITTED
    )
    service.lifecycle.advance(centre, "admit", on=ADMITTED)
    return centre


def programme(service: Service) -> tuple[int, int]:
    """Lena's (coach 1) centre and another coach's, both admitted in March (planned then)."""
    assert isinstance(service.runtime.clock, FrozenClock)
    service.runtime.clock.set(noon(ADMITTED, BERLIN))
    service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    centres = admitted(service, "Kita Pusteblume", "1"), admitted(service, "Kita Löwenzahn", "2")
    service.runtime.clock.set(noon(TODAY, BERLIN))
    return centres


def planned(
    service: Service, centre: int, kind: ActivityKind = ActivityKind.COACHING
) -> list[Activity]:
    return service.overview.activities(
        ActivityFilter(centre_id=centre, kind=kind, status=ActivityStatus.PLANNED)
    )


def working_day(start: date) -> date:
    day = start
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_months_and_periods() -> None:
    assert month_start(" 2026-07") == date(2026, 7, 1)
    with pytest.raises(InvalidInput, match="Format JJJJ-MM"):
        month_start("Juli")
    assert period(date(2026, 12, 1), TODAY) == (date(2026, 12, 1), date(2026, 12, 31))
    assert period(None, TODAY) == (None, TODAY + timedelta(days=30))
    ahead = TODAY + timedelta(days=30)
    assert due_days(None, Due.ALL, TODAY) == (None, ahead)
    assert due_days(None, Due.UNRECORDED, TODAY) == (None, TODAY - timedelta(days=1))
    assert due_days(None, Due.UPCOMING, TODAY) == (TODAY, ahead)
    june, july = date(2026, 6, 1), date(2026, 7, 1)
    assert due_days(june, Due.UNRECORDED, TODAY) == (june, date(2026, 6, 14))
    assert due_days(june, Due.UPCOMING, TODAY) == (TODAY, date(2026, 6, 30))
    assert due_days(july, Due.UPCOMING, TODAY) == (july, date(2026, 7, 31))
    first, last = due_days(july, Due.UNRECORDED, TODAY)  # nothing of July is past
    assert first is not None
    assert first > last


def test_a_coach_sees_their_own_by_default() -> None:
    lena = User(1, "lena@example.org", Role.COACH, 1, datetime(2026, 1, 5, tzinfo=UTC), False)
    office = replace(lena, id=2, email="buero@example.org", role=Role.OFFICE, coach_id=None)
    assert (coach_filter(lena, None), coach_filter(lena, ""), coach_filter(lena, "2")) == (
        1,
        None,
        2,
    )
    assert coach_filter(office, None) is None
    with pytest.raises(InvalidInput, match="ungültige Nummer"):
        coach_filter(office, "x")


def test_the_sessions_page_lists_unrecorded_and_upcoming(web: TestClient, service: Service) -> None:
    mine, other = programme(service)
    login(web, "coach")
    page = web.get("/sessions")
    assert page.status_code == 200
    past = [s for s in planned(service, mine) if s.date < TODAY]
    soon = [s for s in planned(service, mine) if TODAY <= s.date <= TODAY + timedelta(days=30)]
    assert past
    assert soon
    assert f"Begleittermine ({len(past) + len(soon)})" in page.text
    assert page.text.count("<strong>nicht erfasst</strong>") == len(past)
    assert "Kita Pusteblume" in page.text
    assert "Kita Löwenzahn" not in page.text
    assert f"/sessions/{past[0].id}/record" in page.text
    unrecorded = web.get("/sessions", params={"due": "unrecorded"})
    assert f"Begleittermine ({len(past)})" in unrecorded.text
    upcoming = web.get("/sessions", params={"due": "upcoming"})
    assert f"Begleittermine ({len(soon)})" in upcoming.text
    assert "<strong>nicht erfasst</strong>" not in upcoming.text
    every = web.get("/sessions", params={"coach": ""})
    assert "Kita Löwenzahn" in every.text
    theirs = planned(service, other)[0]
    assert f"/sessions/{theirs.id}/record" not in every.text  # not the coach's centre
    month = web.get("/sessions", params={"coach": "", "month": "2026-09"})
    september = [
        s
        for c in (mine, other)
        for s in planned(service, c)
        if s.date.strftime("%Y-%m") == "2026-09"
    ]
    assert f"Begleittermine ({len(september)})" in month.text
    none_past = web.get("/sessions", params={"coach": "", "month": "2026-09", "due": "unrecorded"})
    assert "Begleittermine (0)" in none_past.text
    assert web.get("/sessions", params={"month": "bald"}).status_code == 400


def test_the_ministry_sees_no_sessions_or_visits(web: TestClient) -> None:
    login(web, "ministry")
    assert web.get("/sessions").status_code == 403
    assert web.get("/visits").status_code == 403


def test_recording_a_session(web: TestClient, service: Service, database_url: str) -> None:
    mine, _ = programme(service)
    session = next(s for s in planned(service, mine) if s.date < TODAY)
    path = f"/sessions/{session.id}/record"
    data = {"date": session.date.isoformat(), "hours": "2,5", "note": "Netzwerk"}
    assert_action_guarded(web, database_url, path, data, forbidden=("ministry",))
    token = login(web, "coach")
    done = web.post(path, data={**data, "csrf_token": token, "back": "/sessions?coach="})
    assert str(done.url).endswith("/sessions?coach=")
    assert (
        f"Termin {session.id} bei Kita Pusteblume (Jena) "
        f"gehalten am {session.date:%d.%m.%Y}: 2,5 Std." in done.text
    )
    (held,) = service.overview.activities(
        ActivityFilter(centre_id=mine, status=ActivityStatus.HELD, kind=ActivityKind.COACHING)
    )
    assert (held.id, held.hours, held.note) == (session.id, Decimal("2.5"), "Netzwerk")


def test_refused_session_forms_are_german_and_write_nothing(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    session = next(s for s in planned(service, mine) if s.date < TODAY)
    token = login(web, "office")
    before = dump(database_url)
    cases = [
        ("record", {"date": session.date.isoformat(), "hours": "viel"}, 400, "Stunden: keine Zahl"),
        ("record", {"date": "2099-01-05", "hours": "2"}, 400, "liegt in der Zukunft"),
        ("record", {"date": "morgen", "hours": "2"}, 400, "Datum: ungültiges Datum"),
        ("move", {"date": "2020-01-07"}, 400, "liegt in der Vergangenheit"),
        ("cancel", {"reason": "  "}, 400, "Grund: darf nicht leer sein"),
    ]
    for name, data, status, message in cases:
        response = web.post(f"/sessions/{session.id}/{name}", data={**data, "csrf_token": token})
        assert (response.status_code, message in response.text) == (status, True), name
    visit = planned(service, mine, ActivityKind.SITE_VISIT)[0]
    response = web.post(f"/sessions/{visit.id}/cancel", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "ist kein Begleittermin" in response.text
    missing = web.post("/sessions/9999/cancel", data={"reason": "x", "csrf_token": token})
    assert missing.status_code == 404
    assert "kein Termin mit der Nummer 9999" in missing.text
    assert dump(database_url) == before


def test_moving_a_session_with_a_reason(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    session = next(s for s in planned(service, mine) if s.date > TODAY)
    later = working_day(session.date + timedelta(days=1))
    path = f"/sessions/{session.id}/move"
    data = {"date": later.isoformat(), "reason": "Fortbildung der Leitung"}
    assert_action_guarded(web, database_url, path, data, forbidden=("ministry",))
    token = login(web, "coach")
    done = web.post(path, data={**data, "csrf_token": token})
    if done.status_code == 400:  # a holiday: the page says so
        assert "kein Arbeitstag" in done.text
        return
    assert (
        f"Termin {session.id} bei Kita Pusteblume (Jena) verschoben auf {later:%d.%m.%Y}."
        in done.text
    )
    moved = next(s for s in planned(service, mine) if s.id == session.id)
    assert (moved.date, moved.moved, moved.reason) == (later, True, "Fortbildung der Leitung")


def test_cancelling_a_session(web: TestClient, service: Service, database_url: str) -> None:
    mine, _ = programme(service)
    session = planned(service, mine)[0]
    path = f"/sessions/{session.id}/cancel"
    data = {"reason": "Leitung erkrankt"}
    assert_action_guarded(web, database_url, path, data, forbidden=("ministry",))
    token = login(web, "office")
    done = web.post(path, data={**data, "csrf_token": token})
    assert (
        f"Termin {session.id} bei Kita Pusteblume (Jena) am {session.date:%d.%m.%Y} abgesagt."
        in done.text
    )
    (cancelled,) = service.overview.activities(
        ActivityFilter(centre_id=mine, status=ActivityStatus.CANCELLED)
    )
    assert (cancelled.id, cancelled.reason) == (session.id, "Leitung erkrankt")


def test_a_note_keeps_its_lines_and_refuses_other_control_characters(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    first, second = [s for s in planned(service, mine) if s.date < TODAY][:2]
    token = login(web, "coach")
    typed = "Thema: Elterncafé\r\nNächstes Mal: Netzwerkkarte  \r\n"
    data = {"date": first.date.isoformat(), "hours": "2", "note": typed, "csrf_token": token}
    done = web.post(f"/sessions/{first.id}/record", data={**data, "back": f"/sessions/{first.id}"})
    assert done.status_code == 200
    (held,) = service.overview.activities(
        ActivityFilter(centre_id=mine, status=ActivityStatus.HELD, kind=ActivityKind.COACHING)
    )
    assert held.note == "Thema: Elterncafé\nNächstes Mal: Netzwerkkarte"
    assert '<td class="note">Thema: Elterncafé\nNächstes Mal: Netzwerkkarte</td>' in done.text
    before = dump(database_url)
    bad = {**data, "date": second.date.isoformat(), "note": "Glocke\x07"}
    refused = web.post(f"/sessions/{second.id}/record", data=bad)
    assert refused.status_code == 400
    assert 'id="note-error"' in refused.text
    assert "enthält Steuerzeichen" in refused.text
    assert dump(database_url) == before


def test_a_session_s_own_page_is_where_the_mail_leads(web: TestClient, service: Service) -> None:
    mine, other = programme(service)
    session = next(s for s in planned(service, mine) if s.date < TODAY)
    path = f"/sessions/{session.id}"
    assert str(web.get(path).url).endswith(f"/login?next=%2Fsessions%2F{session.id}")
    token = login(web, "coach")
    page = web.get(path)
    assert page.status_code == 200
    assert f"Begleittermin am {session.date.day}." in page.text
    assert "Kita Pusteblume (Jena)" in page.text
    for form in ("record", "move", "cancel"):  # open, one click from the mail
        assert f'action="/sessions/{session.id}/{form}"' in page.text
    data = {"date": session.date.isoformat(), "hours": "3", "csrf_token": token, "back": path}
    done = web.post(f"{path}/record", data=data)
    assert str(done.url).endswith(path)
    assert "Dieser Termin ist gehalten." in done.text
    assert f'action="/sessions/{session.id}/record"' not in done.text
    elsewhere = web.get(f"/sessions/{planned(service, other)[0].id}")
    assert elsewhere.status_code == 403
    assert web.get("/sessions/999999").status_code == 404


@pytest.mark.parametrize("name", ["record", "move", "cancel"])
def test_a_coach_may_not_act_for_another_coach_s_centre(
    web: TestClient, service: Service, database_url: str, name: str
) -> None:
    _, other = programme(service)
    session = planned(service, other)[0]
    token = login(web, "coach")
    before = dump(database_url)
    data = {"date": session.date.isoformat(), "hours": "2", "reason": "x", "csrf_token": token}
    response = web.post(f"/sessions/{session.id}/{name}", data=data)
    assert response.status_code == 403
    assert "die Sie nicht begleiten" in response.text
    assert dump(database_url) == before


def test_the_visits_page_and_recording_a_visit(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    (visit,) = planned(service, mine, ActivityKind.SITE_VISIT)
    token = login(web, "coach")
    shown = web.get("/visits", params={"month": visit.date.strftime("%Y-%m")})
    assert shown.status_code == 200
    assert "Einrichtungsbesuche (2)" in shown.text  # both centres, admitted the same day
    assert "Besuch erfassen" not in shown.text  # the office's
    logout(web, token)
    data = {"centre": str(mine), "date": TODAY.isoformat(), "note": "Rundgang"}
    assert_action_guarded(web, database_url, "/visits", data, forbidden=("coach", "ministry"))
    token = login(web, "office")
    assert "Besuch erfassen" in web.get("/visits").text
    done = web.post("/visits", data={**data, "csrf_token": token})
    assert done.url.path == "/visits"
    assert (
        f"Einrichtungsbesuch bei Kita Pusteblume (Jena) am {TODAY:%d.%m.%Y} erfasst." in done.text
    )
    assert planned(service, mine, ActivityKind.SITE_VISIT) == []
    before = dump(database_url)
    unknown = web.post("/visits", data={**data, "centre": "999", "csrf_token": token})
    assert unknown.status_code == 404
    assert "keine Einrichtung mit der Nummer 999" in unknown.text
    bad = web.post("/visits", data={**data, "centre": "Kita", "csrf_token": token})
    assert bad.status_code == 400
    assert "Einrichtung: ungültige Nummer" in bad.text
    future = web.post("/visits", data={**data, "date": "2099-01-05", "csrf_token": token})
    assert future.status_code == 400
    assert "liegt in der Zukunft" in future.text
    assert dump(database_url) == before
