"""The coaches' calendar feeds: the iCalendar itself, the links on the page and on the CLI."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar, Component
from starlette.testclient import TestClient

from tests.cli_helpers import Run, dump
from tests.conftest import BERLIN, CLI_CONFIG
from tests.web_helpers import assert_action_guarded, login, logout, web_client
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput
from thekiz_flow.service import Service
from thekiz_flow.web.pages.feeds import NOT_YOURS
from thekiz_flow.workflow.config import Settings, WebSettings

REGISTERED, ADMITTED = date(2026, 5, 4), date(2026, 5, 11)
_URL = re.compile(r'value="(https://[^"]+/feeds/[^"]+\.ics)"')


def programme(service: Service) -> tuple[int, int]:
    """Pusteblume (coach 1, Lena Sommer) and Löwenzahn (coach 2), both in coaching."""
    service.registry.add_coach("Max Winter", "max@example.org", "60")
    ours, theirs = (
        service.registry.add_centre(CentreInput(name, "jena", email, coach=coach), REGISTERED)
        for name, email, coach in (
            ("Kita Pusteblume", "p@example.org", "1"),
            ("Kita Löwenzahn", "l@example.org", "2"),
        )
    )
    for centre in (ours, theirs):
        service.lifecycle.advance(centre, "admit", on=ADMITTED)
    return ours, theirs


def new_link(web: TestClient, role: str, coach_id: int = 1) -> str:
    """The feed's address, as the page shows it once after making it."""
    token = login(web, role)
    shown = web.post(f"/feeds/{coach_id}/renew", data={"csrf_token": token})
    assert shown.status_code == 200
    found = _URL.search(shown.text)
    assert found is not None, "no calendar link on the page"
    logout(web, token)
    return found.group(1)


def events(web: TestClient, url: str) -> dict[str, Component]:
    response = web.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def sequence_of(event: Component) -> int:
    return int(str(event["SEQUENCE"]))


def uid(activity: Activity) -> str:
    return f"activity-{activity.id}@thekiz-flow"


def of_centre(service: Service, centre_id: int, kind: ActivityKind) -> list[Activity]:
    return service.overview.activities(
        ActivityFilter(centre_id=centre_id, kind=kind, status=ActivityStatus.PLANNED)
    )


def test_the_feed_lists_the_coach_s_sessions_and_visits_only(
    web: TestClient, service: Service
) -> None:
    ours, theirs = programme(service)
    found = events(web, new_link(web, "coach"))
    sessions, visits = (
        of_centre(service, ours, ActivityKind.COACHING),
        of_centre(service, ours, ActivityKind.SITE_VISIT),
    )
    assert sessions
    assert visits
    assert set(found) == {uid(a) for a in sessions + visits}
    first = found[uid(sessions[0])]
    assert str(first["SUMMARY"]) == "Begleitung: Kita Pusteblume"
    assert "Kita Pusteblume" in str(first["LOCATION"])
    assert "Basisbegleitung" in str(first["DESCRIPTION"])
    assert first.decoded("DTSTART") == sessions[0].date  # all day: a date, no time
    assert first["DTSTART"].params["VALUE"] == "DATE"
    assert (first["SEQUENCE"], str(first["STATUS"])) == (0, "CONFIRMED")
    assert first.decoded("DTSTAMP") == sessions[0].recorded_at
    assert str(found[uid(visits[0])]["SUMMARY"]) == "Einrichtungsbesuch: Kita Pusteblume"
    others = of_centre(service, theirs, ActivityKind.COACHING) + of_centre(
        service, theirs, ActivityKind.SITE_VISIT
    )
    assert others
    assert not {uid(a) for a in others} & set(found)


def test_a_moved_session_keeps_its_uid_with_a_higher_sequence(
    web: TestClient, service: Service, clock: FrozenClock
) -> None:
    ours, _ = programme(service)
    url = new_link(web, "office")
    session = of_centre(service, ours, ActivityKind.COACHING)[0]
    before = events(web, url)[uid(session)]
    clock.set(clock.now() + timedelta(hours=2))
    moved = service.sessions.move(session.id, session.date + timedelta(days=1))
    after = events(web, url)[uid(session)]
    assert sequence_of(after) > sequence_of(before)
    assert after.decoded("DTSTART") == moved.date != before.decoded("DTSTART")
    assert after.decoded("DTSTAMP") == clock.now()


def test_a_cancelled_session_is_cancelled_in_the_calendar_for_some_weeks(
    web: TestClient, service: Service, clock: FrozenClock
) -> None:
    ours, _ = programme(service)
    url = new_link(web, "coach")
    session = of_centre(service, ours, ActivityKind.COACHING)[0]
    before = events(web, url)[uid(session)]
    service.sessions.cancel(session.id, "Leitung erkrankt")
    after = events(web, url)[uid(session)]
    assert str(after["STATUS"]) == "CANCELLED"
    assert sequence_of(after) > sequence_of(before)
    assert "Leitung erkrankt" in str(after["DESCRIPTION"])
    clock.set(noon(session.date, BERLIN))  # the session's day: still within some weeks
    assert uid(session) in events(web, url)
    clock.set(noon(session.date + timedelta(weeks=9), BERLIN))
    assert uid(session) not in events(web, url)


def test_re_planning_raises_the_sequence_of_what_it_changes(
    web: TestClient, service: Service
) -> None:
    ours, _ = programme(service)
    url = new_link(web, "office")
    before = events(web, url)
    service.planning.set_weekday(ours, 4)  # Friday: planning moves the sessions
    after = events(web, url)
    changed = [u for u in before if before[u].decoded("DTSTART") != after[u].decoded("DTSTART")]
    assert changed
    assert all(sequence_of(after[u]) == sequence_of(before[u]) + 1 for u in changed)
    service.lifecycle.advance(ours, "pause", force=True, reason="Umbau")  # cancels what is planned
    paused = events(web, url)
    assert {str(e["STATUS"]) for u, e in paused.items() if u in changed} == {"CANCELLED"}


def test_a_renewed_or_revoked_link_is_not_found(web: TestClient, service: Service) -> None:
    programme(service)
    first = new_link(web, "coach")
    second = new_link(web, "office")
    assert web.get(first).status_code == 404
    events(web, second)
    token = login(web, "coach")
    revoked = web.post("/feeds/1/revoke", data={"csrf_token": token})
    assert "Kalender-Link von Lena Sommer widerrufen." in revoked.text
    logout(web, token)
    gone = web.get(second)
    assert gone.status_code == 404
    assert "Diesen Kalender gibt es nicht (mehr)." in gone.text
    assert web.get("/feeds/erfunden.ics").status_code == 404


def test_only_a_hash_of_the_token_is_stored(
    web: TestClient, service: Service, database_url: str
) -> None:
    programme(service)
    token = new_link(web, "coach").rsplit("/", 1)[1].removesuffix(".ics")
    stored = repr(dump(database_url))
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_the_feeds_page_per_role(web: TestClient, service: Service) -> None:
    programme(service)
    login(web, "office")
    page = web.get("/feeds")
    assert page.status_code == 200
    assert "Lena Sommer" in page.text
    assert "Max Winter" in page.text
    assert "Link anlegen" in page.text
    logout(web, login(web, "office"))
    login(web, "coach")
    page = web.get("/feeds")
    assert "Lena Sommer" in page.text
    assert "Max Winter" not in page.text
    logout(web, login(web, "coach"))
    login(web, "ministry")
    assert web.get("/feeds").status_code == 403


def test_the_link_is_shown_once(web: TestClient, service: Service) -> None:
    programme(service)
    url = new_link(web, "coach")
    assert url.startswith("https://testserver/feeds/")
    login(web, "coach")
    page = web.get("/feeds")
    assert url not in page.text
    assert "angelegt" in page.text
    assert "widerrufen" in page.text


def test_the_link_uses_the_configured_base_url(web: TestClient, service: Service) -> None:
    programme(service)  # `web` made the users
    settings = Settings(web=WebSettings(base_url="https://thekiz.example.org"))
    with web_client(service, settings) as client:
        assert new_link(client, "office", 2).startswith("https://thekiz.example.org/feeds/")


@pytest.mark.parametrize("verb", ["renew", "revoke"])
def test_feed_actions_are_guarded(
    web: TestClient, service: Service, database_url: str, verb: str
) -> None:
    programme(service)
    service.feeds.create("2")
    path = f"/feeds/2/{verb}"
    assert_action_guarded(web, database_url, path, {}, forbidden=("ministry",))
    before = dump(database_url)
    token = login(web, "coach")  # coach 1 may not touch coach 2's link
    refused = web.post(path, data={"csrf_token": token})
    assert refused.status_code == 403
    assert NOT_YOURS in refused.text
    assert dump(database_url) == before


def test_revoking_no_link_is_a_german_page(web: TestClient, service: Service) -> None:
    programme(service)
    token = login(web, "office")
    refused = web.post("/feeds/2/revoke", data={"csrf_token": token})
    assert refused.status_code == 400
    assert "Max Winter hat keinen Kalender-Link" in refused.text
    missing = web.post("/feeds/9/renew", data={"csrf_token": token})
    assert missing.status_code == 404


def test_the_cli_makes_and_revokes_a_link(ready: Run, tmp_path: Path, database_url: str) -> None:
    before = dump(database_url)
    refused = ready("coach", "feed", "--coach", "1")
    assert refused.code == 2
    assert "[web] base_url fehlt" in refused.err
    assert dump(database_url) == before
    config = CLI_CONFIG + '[web]\nbase_url = "https://thekiz.example.org/"\n'
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    made = ready("coach", "feed", "--coach", "lena@example.org")
    assert made.code == 0
    assert "Kalender-Link von Lena Sommer" in made.err
    url = made.out.strip()
    assert re.fullmatch(r"https://thekiz\.example\.org/feeds/[\w-]{40,}\.ics", url)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in repr(dump(database_url))
    revoked = ready("coach", "feed", "--coach", "1", "--revoke")
    assert (revoked.code, revoked.out) == (0, "Kalender-Link von Lena Sommer widerrufen.\n")
    again = ready("coach", "feed", "--coach", "1", "--revoke")
    assert (again.code, again.err) == (2, "Fehler: Lena Sommer hat keinen Kalender-Link\n")
    assert ready("coach", "feed", "--coach", "7").code == 2


def test_an_unrecorded_activity_is_stamped_with_the_time_of_the_request(
    web: TestClient, service: Service, clock: FrozenClock
) -> None:
    ours, _ = programme(service)
    session = of_centre(service, ours, ActivityKind.COACHING)[0]
    with service.runtime.engine.begin() as connection:  # rows from before recorded_at was kept
        connection.exec_driver_sql("UPDATE activities SET recorded_at = NULL")
    url = new_link(web, "office")
    clock.set(datetime(2026, 6, 16, 8, tzinfo=BERLIN))
    assert events(web, url)[uid(session)].decoded("DTSTAMP") == clock.now()
