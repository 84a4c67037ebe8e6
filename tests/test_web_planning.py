"""The planning forms of the pages: closure days and weekday on the centre page, sessions
on request and sessions never planned, moving and cancelling a site visit, the calendar."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import BERLIN, TODAY
from tests.web_helpers import assert_action_guarded, login, logout
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput
from thekiz_flow.core.planning import PlanChanges
from thekiz_flow.service import Service
from thekiz_flow.web.pages.calendar import month_days, neighbours
from thekiz_flow.web.pages.planning import plan_effect

ADMITTED = date(2026, 3, 2)


def programme(service: Service) -> tuple[int, int]:
    """Lena's (coach 1) centre in Jena and Jonas's (coach 2) in Gera, admitted in March."""
    assert isinstance(service.runtime.clock, FrozenClock)
    service.runtime.clock.set(noon(ADMITTED, BERLIN))
    service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    centres = []
    for name, district, coach in (
        ("Kita Pusteblume", "jena", "1"),
        ("Kita Löwenzahn", "gera", "2"),
    ):
        centre = service.registry.add_centre(
            CentreInput(name, district, "k@example.org", coach=coach), ADMITTED
        )
        service.lifecycle.advance(centre, "admit", on=ADMITTED)
        centres.append(centre)
    service.runtime.clock.set(noon(TODAY, BERLIN))
    return centres[0], centres[1]


def consulting(service: Service, centre: int) -> None:
    """The centre a Konsultationseinrichtung (forced: the test needs no years)."""
    for trigger in ("deepen", "consult"):
        service.lifecycle.advance(centre, trigger, on=TODAY, reason="Test", force=True)


def of_centre(
    service: Service, centre: int, kind: ActivityKind, status: ActivityStatus | None = None
) -> list[Activity]:
    where = ActivityFilter(centre_id=centre, kind=kind, status=status)
    return service.overview.activities(where)


def beside(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert found is not None, f"no error beside {field}"
    return found.group(1)


# ---------------------------------------------------------------- closures, weekday
def test_what_a_replanning_changed_in_words() -> None:
    assert plan_effect(PlanChanges()) == "Keine Termine betroffen."


def test_closure_days_move_the_sessions_on_them(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    session = next(s for s in of_centre(service, mine, ActivityKind.COACHING) if s.date > TODAY)
    path = f"/centres/{mine}/closures"
    data = {"from": session.date.isoformat(), "to": session.date.isoformat(), "note": "Umzug"}
    assert_action_guarded(web, database_url, path, data, forbidden=("coach", "ministry"))
    token = login(web, "office")
    done = web.post(path, data={**data, "csrf_token": token})
    assert str(done.url).endswith(f"/centres/{mine}")
    day = f"{session.date:%d.%m.%Y}"
    assert f"Schließtage {day} eingetragen. 1 Begleittermin verschoben." in done.text
    assert re.search(rf"<td>{day}</td><td>{day}</td><td>Umzug</td>", done.text)
    moved = next(s for s in of_centre(service, mine, ActivityKind.COACHING) if s.id == session.id)
    assert moved.date != session.date


def test_a_refused_closure_keeps_what_was_typed(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    token = login(web, "office")
    before = dump(database_url)
    data = {"from": "2026-08-10", "to": "2026-08-03", "note": "Sommer"}
    refused = web.post(f"/centres/{mine}/closures", data={**data, "csrf_token": token})
    assert refused.status_code == 400
    assert beside(refused.text, "to") == "Letzter Schließtag: liegt vor Erster Schließtag"
    for value in data.values():
        assert f'value="{value}"' in refused.text
    bad = web.post(f"/centres/{mine}/closures", data={"from": "bald", "csrf_token": token})
    assert bad.status_code == 400
    assert beside(bad.text, "from").startswith("Erster Schließtag: ungültiges Datum")
    assert dump(database_url) == before


def test_the_preferred_weekday(web: TestClient, service: Service, database_url: str) -> None:
    mine, _ = programme(service)
    path = f"/centres/{mine}/weekday"
    assert_action_guarded(web, database_url, path, {"weekday": "di"}, ("coach", "ministry"))
    token = login(web, "office")
    refused = web.post(path, data={"weekday": "so", "csrf_token": token})
    assert refused.status_code == 400
    assert "Wochentag" in beside(refused.text, "weekday")
    done = web.post(path, data={"weekday": "di", "csrf_token": token})
    assert re.search(r"Wochentag: Dienstag\. \d+ Begleittermine? verschoben\.", done.text)
    assert service.registry.centre(mine)[0].weekday == 1
    later = [s for s in of_centre(service, mine, ActivityKind.COACHING) if s.date > TODAY]
    assert later
    assert all(s.date.weekday() == 1 for s in later if not s.moved)


def test_the_centre_page_shows_the_planning_forms_to_the_office(
    web: TestClient, service: Service
) -> None:
    mine, _ = programme(service)
    service.planning.add_closure(mine, date(2026, 12, 21), date(2026, 12, 31), "Winterpause")
    token = login(web, "coach")
    page = web.get(f"/centres/{mine}").text
    assert "Schließtage (1)" in page
    assert "Winterpause" in page
    assert f"/centres/{mine}/closures" not in page
    logout(web, token)
    login(web, "office")
    page = web.get(f"/centres/{mine}").text
    assert f'action="/centres/{mine}/closures"' in page
    assert f'action="/centres/{mine}/weekday"' in page


# ------------------------------------------------------------------- new sessions
def test_a_session_on_request(web: TestClient, service: Service, database_url: str) -> None:
    mine, other = programme(service)
    consulting(service, mine)
    before = of_centre(service, mine, ActivityKind.COACHING, ActivityStatus.PLANNED)
    assert all(s.date < TODAY for s in before)  # not recorded; none planned from today on
    data = {"centre": str(mine), "date": "2026-07-07", "hours": "2"}
    assert_action_guarded(web, database_url, "/sessions/request", data, forbidden=("ministry",))
    token = login(web, "coach")
    page = web.get("/sessions/request").text  # the coach's centres with sessions on request
    assert f'value="{mine}" required checked> Kita Pusteblume (Jena)</label>' in page
    assert "Kita Löwenzahn" not in page  # not the coach's centre
    theirs = web.post("/sessions/request", data={**data, "centre": str(other), "csrf_token": token})
    assert theirs.status_code == 403
    done = web.post("/sessions/request", data={**data, "csrf_token": token})
    (planned,) = [
        s
        for s in of_centre(service, mine, ActivityKind.COACHING, ActivityStatus.PLANNED)
        if s not in before
    ]
    assert (planned.date, planned.hours, planned.coach_id) == (date(2026, 7, 7), Decimal(2), 1)
    assert (
        f"Termin {planned.id} bei Kita Pusteblume (Jena) auf Anfrage geplant am 07.07.2026."
        in done.text
    )


def test_a_refused_request_says_why_beside_the_field(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    token = login(web, "office")
    before = dump(database_url)
    cases = [
        (
            {"centre": "", "date": "2026-07-07"},
            "centre",
            "Einrichtung: bitte eine Einrichtung wählen",
        ),
        (
            {"centre": str(mine), "date": "2026-07-04"},
            "date",
            "Datum: 04.07.2026 ist kein Arbeitstag (Samstag)",
        ),
        (
            {"centre": str(mine), "date": "2026-06-01"},
            "date",
            "Datum: 01.06.2026 liegt in der Vergangenheit",
        ),
        (
            {"centre": str(mine), "date": "2026-07-07", "hours": "viel"},
            "hours",
            "Stunden: keine Zahl",
        ),
    ]
    for data, field, message in cases:
        refused = web.post("/sessions/request", data={**data, "csrf_token": token})
        assert refused.status_code == 400
        assert beside(refused.text, field).startswith(message), refused.text
        if data["centre"]:
            assert f'value="{mine}" required checked>' in refused.text
    assert dump(database_url) == before


def test_a_session_never_planned(web: TestClient, service: Service, database_url: str) -> None:
    mine, _ = programme(service)
    june = [
        s
        for s in of_centre(service, mine, ActivityKind.COACHING, ActivityStatus.PLANNED)
        if (s.date.year, s.date.month) == (2026, 6)
    ]
    data = {"centre": str(mine), "date": "2026-06-12", "hours": "1,5", "note": "Telefonat"}
    assert_action_guarded(web, database_url, "/sessions/unplanned", data, forbidden=("ministry",))
    token = login(web, "coach")
    for _ in range(len(june) + 1):  # the month's planned ones first, then a new one
        done = web.post("/sessions/unplanned", data={**data, "csrf_token": token})
        assert "bei Kita Pusteblume (Jena) gehalten am 12.06.2026: 1,5 Std." in done.text
    held = of_centre(service, mine, ActivityKind.COACHING, ActivityStatus.HELD)
    assert len(held) == len(june) + 1
    assert {(s.date, s.hours, s.note) for s in held} == {
        (date(2026, 6, 12), Decimal("1.5"), "Telefonat")
    }
    future = web.post(
        "/sessions/unplanned", data={**data, "date": "2026-06-30", "csrf_token": token}
    )
    assert future.status_code == 400
    assert beside(future.text, "date") == "Datum: 30.06.2026 liegt in der Zukunft"
    assert 'value="Telefonat"' not in future.text  # a note is a textarea:
    assert ">Telefonat</textarea>" in future.text


# ------------------------------------------------------------------------ visits
def test_moving_and_cancelling_a_visit(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    (visit,) = of_centre(service, mine, ActivityKind.SITE_VISIT)
    move = f"/visits/{visit.id}/move"
    cancel = f"/visits/{visit.id}/cancel"
    moved_to = {"date": "2026-07-08", "reason": "Leitung krank"}
    reason = {"reason": "kein Bedarf", "confirm": "ja"}
    assert_action_guarded(web, database_url, move, moved_to, forbidden=("coach", "ministry"))
    assert_action_guarded(web, database_url, cancel, reason, forbidden=("coach", "ministry"))
    token = login(web, "office")
    page = web.get("/visits").text
    assert f'action="{move}"' in page
    assert "Ja, den Besuch bei Kita Pusteblume (Jena) am" in page
    done = web.post(move, data={**moved_to, "csrf_token": token})
    assert "Einrichtungsbesuch bei Kita Pusteblume (Jena) verschoben auf 08.07.2026" in done.text
    before = dump(database_url)
    unconfirmed = web.post(cancel, data={"reason": "kein Bedarf", "csrf_token": token})
    assert unconfirmed.status_code == 400
    assert beside(unconfirmed.text, "confirm").startswith("Bitte bestätigen")
    assert 'value="kein Bedarf"' in unconfirmed.text
    assert dump(database_url) == before
    done = web.post(cancel, data={**reason, "csrf_token": token})
    assert "bei Kita Pusteblume (Jena) am 08.07.2026 abgesagt" in done.text
    (stored,) = of_centre(service, mine, ActivityKind.SITE_VISIT)
    assert (stored.status, stored.date, stored.reason) == (
        ActivityStatus.CANCELLED,
        date(2026, 7, 8),
        "kein Bedarf",
    )
    again = web.post(move, data={**moved_to, "csrf_token": token})
    assert again.status_code == 400
    assert f"Termin {visit.id} ist schon abgesagt" in again.text


def test_an_unplanned_visit_is_chosen_by_name(web: TestClient, service: Service) -> None:
    mine, _ = programme(service)
    token = login(web, "office")
    assert "/visits/new" in web.get("/visits").text
    page = web.get("/visits/new", params={"text": "puste"}).text
    assert 'inputmode="numeric"' not in page
    assert f'value="{mine}" required checked> Kita Pusteblume (Jena)</label>' in page
    refused = web.post("/visits", data={"centre": "", "date": "2026-06-10", "csrf_token": token})
    assert refused.status_code == 400
    assert beside(refused.text, "centre") == "Einrichtung: bitte eine Einrichtung wählen"
    done = web.post(
        "/visits", data={"centre": str(mine), "date": "2026-06-10", "csrf_token": token}
    )
    assert "Einrichtungsbesuch bei Kita Pusteblume (Jena) am 10.06.2026 erfasst." in done.text


# ---------------------------------------------------------------------- calendar
def test_months_of_the_calendar() -> None:
    assert len(month_days(date(2026, 2, 1))) == 28
    assert month_days(date(2026, 12, 1))[-1] == date(2026, 12, 31)
    assert neighbours(date(2026, 1, 1)) == (date(2025, 12, 1), date(2026, 2, 1))


def test_the_calendar_of_a_month(web: TestClient, service: Service) -> None:
    mine, other = programme(service)
    training = service.trainings.add("reflexion", "Reflexionstag", "2026-07-09", "Erfurt", "12")
    july = [
        s
        for c in (mine, other)
        for s in of_centre(service, c, ActivityKind.COACHING)
        if (s.date.year, s.date.month) == (2026, 7)
    ]
    assert {s.centre_id for s in july} == {mine, other}
    token = login(web, "coach")
    own = web.get("/calendar", params={"month": "2026-07"})
    assert own.status_code == 200
    assert "Terminkalender Juli 2026" in own.text
    assert f'href="/centres/{mine}"' in own.text
    assert f'href="/centres/{other}"' not in own.text  # a coach sees their own at first
    assert f'href="/trainings/{training}"' in own.text
    assert 'href="/calendar?month=2026-06&amp;coach=1&amp;district="' in own.text
    assert 'href="/calendar?month=2026-08&amp;coach=1&amp;district="' in own.text
    every = web.get("/calendar", params={"month": "2026-07", "coach": ""}).text
    assert f'href="/centres/{other}"' in every
    gera = web.get("/calendar", params={"month": "2026-07", "coach": "", "district": "Gera"}).text
    assert f'href="/centres/{other}"' in gera
    assert f'href="/centres/{mine}"' not in gera
    assert web.get("/calendar", params={"month": "Juli"}).status_code == 400
    assert web.get("/calendar", params={"district": "Atlantis"}).status_code == 400
    logout(web, token)
    login(web, "office")
    today = web.get("/calendar").text
    assert "Terminkalender Juni 2026" in today
    assert 'aria-current="date"' in today
    login(web, "ministry")
    assert web.get("/calendar").status_code == 403
