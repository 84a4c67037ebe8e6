"""The past is not rewritten by accident: a held session or site visit lies in the centre's
time in a stage that has it, a stage change does not cut through what was held, and a
centre imported as paused can come back."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import Run, berlin_today, dump
from tests.conftest import BERLIN, TODAY
from tests.web_helpers import login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, Refused
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.service import Service

REGISTERED = date(2025, 1, 6)
ADMITTED = date(2025, 3, 3)
PAUSED = date(2025, 9, 1)
RESUMED = date(2025, 11, 3)


def centre(service: Service, name: str = "Kita Pusteblume") -> int:
    """A centre with a coach, admitted on ADMITTED (today is 15.06.2026)."""
    found = service.registry.coaches()
    coach_id = (
        found[0].id
        if found
        else service.registry.add_coach("Paul Winter", "paul@example.org", "70")
    )
    given = CentreInput(name, "jena", "kita@example.org", coach=str(coach_id))
    centre_id = service.registry.add_centre(given, on=REGISTERED)
    service.lifecycle.advance(centre_id, "admit", on=ADMITTED)
    return centre_id


def paused_and_back(service: Service) -> int:
    """Admitted on ADMITTED, paused from PAUSED, back in Basisbegleitung from RESUMED."""
    centre_id = centre(service)
    service.lifecycle.advance(centre_id, "pause", on=PAUSED)
    service.lifecycle.advance(centre_id, "resume", on=RESUMED)
    return centre_id


def held(
    service: Service, centre_id: int, kind: ActivityKind = ActivityKind.COACHING
) -> list[tuple[date, str]]:
    found = service.overview.activities(
        ActivityFilter(centre_id=centre_id, kind=kind, status=ActivityStatus.HELD)
    )
    return [(a.date, a.stage) for a in found]


# ----------------------------------------------------- held within the programme
def record(service: Service, kind: str, centre_id: int, day: date) -> None:
    """The centre's session of that month, or its site visit, held on ``day``."""
    if kind == ActivityKind.COACHING:
        service.sessions.record(f"E{centre_id}", day, "3")
    else:
        service.sessions.record_visit(centre_id, day)


NOT_YET = "noch nicht im Programm (Basisbegleitung seit 03.03.2025)"
IN_PAUSE = "in der Stufe Pausiert (seit 01.09.2025), in der es keine {} gibt"


@pytest.mark.parametrize(
    ("kind", "day", "words"),
    [
        (
            ActivityKind.COACHING,
            date(1990, 1, 1),
            f"Am 01.01.1990 war Kita Pusteblume (Jena) {NOT_YET}",
        ),
        (
            ActivityKind.COACHING,
            date(2025, 3, 2),
            f"Am 02.03.2025 war Kita Pusteblume (Jena) {NOT_YET}",
        ),
        (
            ActivityKind.COACHING,
            PAUSED,
            "Am 01.09.2025 war Kita Pusteblume (Jena) " + IN_PAUSE.format("Begleittermine"),
        ),
        (ActivityKind.COACHING, date(2025, 11, 2), IN_PAUSE.format("Begleittermine")),
        (
            ActivityKind.SITE_VISIT,
            date(2025, 1, 7),
            f"Am 07.01.2025 war Kita Pusteblume (Jena) {NOT_YET}",
        ),
        (ActivityKind.SITE_VISIT, date(2025, 10, 1), IN_PAUSE.format("Einrichtungsbesuche")),
    ],
)
def test_nothing_is_held_outside_a_stage_that_has_it(
    service: Service, database_url: str, kind: str, day: date, words: str
) -> None:
    centre_id = paused_and_back(service)
    before = dump(database_url)
    with pytest.raises(Refused, match=re.escape(words)):
        record(service, kind, centre_id, day)
    assert dump(database_url) == before


def test_a_planned_session_is_not_recorded_on_a_day_out_of_the_programme(
    service: Service, database_url: str
) -> None:
    centre_id = centre(service)
    session = service.overview.activities(
        ActivityFilter(
            centre_id=centre_id, kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
        )
    )[0]
    before = dump(database_url)
    with pytest.raises(
        Refused, match=re.escape(f"Am 01.01.1990 war Kita Pusteblume (Jena) {NOT_YET}")
    ):
        service.sessions.record(str(session.id), date(1990, 1, 1), "3")
    assert dump(database_url) == before


def test_after_leaving_no_session_is_held(service: Service, database_url: str) -> None:
    centre_id = centre(service)
    service.lifecycle.advance(centre_id, "withdraw", on=date(2026, 2, 2))
    before = dump(database_url)
    words = "Am 03.02.2026 war Kita Pusteblume (Jena) in der Stufe Ausgeschieden (seit 02.02.2026)"
    with pytest.raises(Refused, match=re.escape(words)):
        service.sessions.record(f"E{centre_id}", date(2026, 2, 3), "3")
    assert dump(database_url) == before


def test_an_applicant_is_not_yet_in_the_programme(service: Service) -> None:
    centre_id = service.registry.add_centre(
        CentreInput("Kita A", "jena", "a@example.org"), REGISTERED
    )
    words = "Am 01.06.2026 war Kita A (Jena) noch nicht im Programm (Interessent seit 06.01.2025)"
    with pytest.raises(Refused, match=re.escape(words)):
        service.sessions.record_visit(centre_id, date(2026, 6, 1))


def test_the_programme_s_days_still_take_sessions_and_visits(service: Service) -> None:
    """On the day of admission, before a pause, from the return; and for a centre paused
    today, a session of its active time, recorded with the stage of that day."""
    centre_id = paused_and_back(service)
    for day in (ADMITTED, date(2025, 8, 29), RESUMED):
        service.sessions.record(f"E{centre_id}", day, "3")
    service.sessions.record_visit(centre_id, date(2025, 5, 5))
    service.lifecycle.advance(centre_id, "pause", on=date(2026, 5, 4))
    service.sessions.record(f"E{centre_id}", date(2026, 4, 15), "2,5")
    assert held(service, centre_id) == [
        (ADMITTED, "basisbegleitung"),
        (date(2025, 8, 29), "basisbegleitung"),
        (RESUMED, "basisbegleitung"),
        (date(2026, 4, 15), "basisbegleitung"),
    ]
    assert held(service, centre_id, ActivityKind.SITE_VISIT) == [
        (date(2025, 5, 5), "basisbegleitung")
    ]


def test_a_session_is_recorded_with_the_stage_of_its_day(
    service: Service, clock: FrozenClock
) -> None:
    """A session planned in Basisbegleitung and held after the change to Vertiefung."""
    clock.set(noon(date(2024, 1, 15), BERLIN))
    coach = service.registry.add_coach("Paul Winter", "paul@example.org", "70")
    given = CentreInput("Kita Pusteblume", "jena", "kita@example.org", coach=str(coach))
    centre_id = service.registry.add_centre(given)
    service.lifecycle.advance(centre_id, "admit")
    clock.set(noon(TODAY, BERLIN))
    service.sessions.record_visit(centre_id, date(2024, 6, 3))
    service.lifecycle.advance(centre_id, "deepen", on=date(2026, 2, 2))
    planned = service.overview.activities(
        ActivityFilter(
            centre_id=centre_id, kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
        )
    )
    last = [s for s in planned if s.stage == "basisbegleitung"][-1]
    assert last.date < date(2026, 2, 2)
    recorded = service.sessions.record(str(last.id), date(2026, 2, 4), "3")
    assert recorded.stage == "vertiefungsbegleitung"
    assert (date(2026, 2, 4), "vertiefungsbegleitung") in held(service, centre_id)


# --------------------------------------------------- a change cuts through nothing
def with_sessions(service: Service) -> int:
    """Sessions held on 15.04., 20.05. and 17.06.2025, the site visit on 06.05.2025."""
    centre_id = centre(service)
    for day in (date(2025, 4, 15), date(2025, 5, 20), date(2025, 6, 17)):
        service.sessions.record(f"E{centre_id}", day, "3")
    service.sessions.record_visit(centre_id, date(2025, 5, 6))
    return centre_id


@pytest.mark.parametrize(
    ("on", "force", "words"),
    [
        (
            date(2025, 5, 1),
            False,
            "2 Begleittermine und 1 Einrichtungsbesuch wurden am 01.05.2025 oder später "
            "gehalten; der Wechsel kann frühestens am 18.06.2025 gelten",
        ),
        (
            date(2025, 5, 1),
            True,
            "2 Begleittermine und 1 Einrichtungsbesuch wurden am 01.05.2025 oder später",
        ),
        (
            date(2025, 6, 17),
            True,
            "1 Begleittermin wurde am 17.06.2025 oder später gehalten; "
            "der Wechsel kann frühestens am 18.06.2025 gelten",
        ),
    ],
)
def test_a_back_dated_change_does_not_cut_through_held_activities(
    service: Service, database_url: str, on: date, force: bool, words: str
) -> None:
    centre_id = with_sessions(service)
    before = dump(database_url)
    reason = "Träger beendet das Vorhaben" if force else None
    with pytest.raises(Refused, match=re.escape(words)):
        service.lifecycle.advance(centre_id, "withdraw", on=on, reason=reason, force=force)
    assert dump(database_url) == before
    change = service.lifecycle.advance(centre_id, "withdraw", on=date(2025, 6, 18))
    assert (change.to_stage, change.effective) == ("ausgeschieden", date(2025, 6, 18))


def test_a_batch_skips_the_centre_whose_sessions_it_would_cut(service: Service) -> None:
    cut = with_sessions(service)
    free = centre(service, "Kita Löwenzahn")
    report = service.lifecycle.advance_many([cut, free], "pause", on=date(2025, 6, 2))
    assert [(c.centre_id, c.to_stage) for c in report.changes] == [(free, "pausiert")]
    assert [(s.centre_id, s.reason) for s in report.skipped] == [
        (
            cut,
            "1 Begleittermin wurde am 02.06.2025 oder später gehalten; "
            "der Wechsel kann frühestens am 18.06.2025 gelten",
        )
    ]
    assert service.registry.centre(cut)[0].stage == "basisbegleitung"


# ------------------------------------------------------- a paused centre imported
def import_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "centres.csv"
    header = "name,district,email,stage,stage_since,resume_stage"
    path.write_text("\n".join((header, *lines)) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (
            "Kita A,Jena,a@example.org,pausiert,2026-01-05,",
            "Zeile 3, Feld „resume_stage“: fehlt; eine Einrichtung in der Stufe Pausiert "
            "braucht die Stufe, in der sie fortgesetzt wird (basisbegleitung, "
            "vertiefungsbegleitung, konsultationseinrichtung)",
        ),
        (
            "Kita A,Jena,a@example.org,pausiert,2026-01-05,basis",
            "Zeile 3, Feld „resume_stage“: keine Stufe zum Fortsetzen 'basis' (möglich: "
            "basisbegleitung, vertiefungsbegleitung, konsultationseinrichtung)",
        ),
        (
            "Kita A,Jena,a@example.org,pausiert,2026-01-05,ausgeschieden",
            "Zeile 3, Feld „resume_stage“: keine Stufe zum Fortsetzen 'ausgeschieden'",
        ),
        (
            "Kita A,Jena,a@example.org,basisbegleitung,2026-01-05,vertiefungsbegleitung",
            "Zeile 3, Feld „resume_stage“: nur in der Stufe Pausiert",
        ),
    ],
)
def test_a_paused_centre_is_imported_with_its_stage_to_resume_or_not_at_all(
    service: Service, database_url: str, tmp_path: Path, line: str, words: str
) -> None:
    before = dump(database_url)
    with pytest.raises(InvalidInput, match=re.escape(words)):
        service.registry.import_centres(import_file(tmp_path, "Kita B,Gera,b@example.org,,,", line))
    assert dump(database_url) == before


def test_a_centre_imported_as_paused_resumes(service: Service, tmp_path: Path) -> None:
    coach = service.registry.add_coach("Paul Winter", "paul@example.org", "70")
    path = import_file(
        tmp_path, "Kita A,Jena,a@example.org,Pausiert,2026-01-05,Vertiefungsbegleitung"
    )
    (centre_id,) = service.registry.import_centres(path)
    service.registry.assign_coach(centre_id, str(coach))
    assert service.registry.centre(centre_id)[0].resume_stage == "vertiefungsbegleitung"
    with pytest.raises(Refused, match=re.escape("in der Stufe Pausiert (seit 05.01.2026)")):
        service.sessions.record(f"E{centre_id}", date(2026, 2, 4), "3")
    change = service.lifecycle.advance(centre_id, "resume", on=date(2026, 3, 2))
    assert (change.from_stage, change.to_stage, change.forced) == (
        "pausiert",
        "vertiefungsbegleitung",
        False,
    )
    planned = service.overview.activities(
        ActivityFilter(centre_id=centre_id, status=ActivityStatus.PLANNED)
    )
    assert {a.stage for a in planned} == {"vertiefungsbegleitung"}
    assert {a.kind for a in planned} == {ActivityKind.COACHING, ActivityKind.SITE_VISIT}


# ------------------------------------------------------------------ the CLI
def test_cli_refuses_a_session_before_the_programme(ready: Run, database_url: str) -> None:
    assert ready("advance", "1", "admit").code == 0
    listed = ready("activities", "--centre", "1", "--kind", "coaching", "--json").out
    session = str(json.loads(listed)[0]["id"])
    before = dump(database_url)
    for args in (
        ("session", "done", "E1", "--date", "1990-01-01", "--hours", "3"),
        ("session", "done", session, "--date", "1990-01-01", "--hours", "3"),
        ("visit", "done", "1", "--date", "1990-01-01"),
    ):
        result = ready(*args)
        assert (result.code, result.out) == (2, ""), args
        assert result.err == (
            "Fehler: Am 01.01.1990 war Kita Pusteblume (Jena) noch nicht im Programm "
            f"(Basisbegleitung seit {berlin_today():%d.%m.%Y})\n"
        )
    assert dump(database_url) == before


def test_cli_refuses_a_change_through_held_sessions(ready: Run, database_url: str) -> None:
    assert ready("advance", "1", "admit", "--on", "2024-03-01").code == 0
    assert ready("session", "done", "E1", "--date", "2024-04-17", "--hours", "3").code == 0
    before = dump(database_url)
    words = (
        "1 Begleittermin wurde am 01.04.2024 oder später gehalten; "
        "der Wechsel kann frühestens am 18.04.2024 gelten"
    )
    for extra in ((), ("--force", "--reason", "Träger beendet das Vorhaben")):
        result = ready("advance", "1", "withdraw", "--on", "2024-04-01", *extra)
        assert (result.code, result.out, result.err) == (2, "", f"Fehler: {words}\n")
    assert dump(database_url) == before
    both = ready("advance", "1", "2", "withdraw", "--on", "2024-04-01")
    assert both.code == 0
    assert both.err == f"Einrichtung 1 übersprungen: {words}\n"
    assert "Einrichtung 2: Interessent → Ausgeschieden ab 01.04.2024." in both.out


def test_cli_imports_a_paused_centre_that_resumes(ready: Run, tmp_path: Path) -> None:
    path = import_file(tmp_path, "Kita C,Gera,c@example.org,pausiert,2024-05-06,")
    refused = ready("centre", "import", str(path))
    assert refused.code == 2
    assert "Zeile 2, Feld „resume_stage“: fehlt" in refused.err
    path = import_file(tmp_path, "Kita C,Gera,c@example.org,pausiert,2024-05-06,basisbegleitung")
    assert ready("centre", "import", str(path)).out == "1 Einrichtungen importiert (Nr. 3–3).\n"
    assert ready("centre", "assign", "3", "--coach", "1").code == 0
    resumed = ready("advance", "3", "resume", "--on", "2024-09-02")
    assert resumed.out == "Einrichtung 3: Pausiert → Basisbegleitung ab 02.09.2024.\n"


# ------------------------------------------------------------------ the web pages
def test_web_refuses_a_session_and_a_visit_out_of_the_programme(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre_id = paused_and_back(service)
    session = service.overview.activities(
        ActivityFilter(
            centre_id=centre_id, kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
        )
    )[0]
    token = login(web, "office")
    before = dump(database_url)
    recorded = web.post(
        f"/sessions/{session.id}/record",
        data={"date": "2025-10-01", "hours": "3", "csrf_token": token},
    )
    assert recorded.status_code == 400
    assert "Am 01.10.2025 war Kita Pusteblume (Jena) in der Stufe Pausiert" in recorded.text
    visited = web.post(
        "/visits", data={"centre": str(centre_id), "date": "2025-01-07", "csrf_token": token}
    )
    assert visited.status_code == 400
    assert f"Am 07.01.2025 war Kita Pusteblume (Jena) {NOT_YET}" in visited.text
    assert dump(database_url) == before


def test_web_refuses_a_change_through_held_sessions(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre_id = with_sessions(service)
    token = login(web, "office")
    before = dump(database_url)
    data = {"trigger": "withdraw", "on": "2025-06-01", "csrf_token": token}
    refused = web.post(f"/centres/{centre_id}/advance", data=data)
    assert refused.status_code == 400
    assert 'class="error"' in refused.text
    assert "der Wechsel kann frühestens am 18.06.2025 gelten" in refused.text
    assert dump(database_url) == before
