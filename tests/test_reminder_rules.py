"""The default reminder rules, day by day with a frozen clock, mail as files."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import ActivityKind, OutboxStatus
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.core.recipients import NO_OFFICE
from thekiz_flow.service import Service


def morning(day: date) -> datetime:
    return datetime.combine(day, time(9), BERLIN)


def admitted(service: Service, clock: FrozenClock, day: date, name: str = "Kita A") -> int:
    clock.set(morning(day))
    coach = service.registry.add_coach(f"Paul {name}", f"{name[-1].lower()}@example.org", "60")
    centre = service.registry.add_centre(
        CentreInput(name, "Gera", "kita@example.org", coach=str(coach))
    )
    service.lifecycle.advance(centre, "admit")
    return centre


def run_days(service: Service, clock: FrozenClock, first: date, days: int) -> None:
    for offset in range(days):
        clock.set(morning(first + timedelta(days=offset)))
        service.ticks.tick()


def sent(service: Service) -> Counter[str]:
    return Counter(row.rule for row in service.outbox.rows(OutboxStatus.SENT))


def test_session_reminders_before_and_after(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2025, 1, 6))
    sessions = service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.COACHING)
    )
    first, second = sessions[0], sessions[1]  # 2025-01-06 and 2025-02-03 (first Monday)
    run_days(service, clock, date(2025, 1, 6), 45)
    rows = {r.key: r for r in service.outbox.rows()}
    upcoming = f"session_upcoming:a{second.id}:{second.date - timedelta(days=7)}:coach"
    assert rows[upcoming].status == OutboxStatus.SENT
    assert rows[upcoming].due_at == morning(second.date - timedelta(days=7)).replace(hour=8)
    # the first session was never recorded: the coach hears 3, 10 and 17 days later ...
    unrecorded = sorted(k for k in rows if k.startswith(f"session_unrecorded:a{first.id}:"))
    assert [k.split(":")[2] for k in unrecorded] == [
        str(first.date + timedelta(days=d)) for d in (3, 10, 17)
    ]
    # ... and then the office, once
    office = [k for k in rows if k.startswith(f"session_unrecorded_office:a{first.id}:")]
    assert office == [f"session_unrecorded_office:a{first.id}:{first.date + timedelta(24)}:office"]
    assert rows[office[0]].recipient == "fachstelle@example.org"


def test_recording_a_session_stops_its_reminders(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2025, 1, 6))
    first = service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.COACHING)
    )[0]
    run_days(service, clock, date(2025, 1, 6), 12)  # the reminders of day 3 and day 10
    service.sessions.record(str(first.id), first.date, "3")
    run_days(service, clock, date(2025, 1, 18), 20)
    keys = [
        r.key for r in service.outbox.rows() if r.key.startswith(f"session_unrecorded:a{first.id}")
    ]
    assert len(keys) == 2
    assert not [
        r
        for r in service.outbox.rows()
        if r.rule == "session_unrecorded_office" and f":a{first.id}:" in r.key
    ]


def test_site_visit_reminder_goes_to_office_and_centre(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock, date(2025, 1, 6))
    (visit,) = service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.SITE_VISIT)
    )
    run_days(service, clock, visit.date - timedelta(days=15), 3)
    rows = [r for r in service.outbox.rows() if r.rule == "visit_upcoming"]
    assert sorted((r.role, r.recipient) for r in rows) == [
        ("centre", "kita@example.org"),
        ("office", "fachstelle@example.org"),
    ]
    assert {r.due_at.date() for r in rows} == {visit.date - timedelta(days=14)}


def test_training_deadline_thirty_days_before(service: Service, clock: FrozenClock) -> None:
    admitted(service, clock, date(2025, 1, 6))  # Auftakt expected by 2025-04-06
    run_days(service, clock, date(2025, 3, 5), 3)
    rows = [r for r in service.outbox.rows() if r.rule == "training_deadline"]
    assert {(r.role, r.due_at.date()) for r in rows} == {
        ("centre", date(2025, 3, 7)),
        ("coach", date(2025, 3, 7)),
    }
    assert all("Auftaktveranstaltung" in r.subject for r in rows)


def test_eligible_is_announced_on_the_day(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2024, 1, 15))
    clock.set(morning(date(2024, 3, 1)))
    service.sessions.record_visit(centre, date(2024, 3, 1))
    run_days(service, clock, date(2026, 1, 12), 6)  # eligible for deepen from 2026-01-15
    rows = [r for r in service.outbox.rows() if r.rule == "eligible"]
    assert [(r.due_at.date(), r.status) for r in rows] == [(date(2026, 1, 15), OutboxStatus.SENT)]


def record(service: Service, clock: FrozenClock, session_id: int, day: date, hours: str) -> None:
    clock.set(morning(day))
    service.sessions.record(str(session_id), day, hours)
    service.ticks.tick()


def test_budget_thresholds_once_each(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2025, 1, 6))  # 5,000 EUR for 2025
    sessions = service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.COACHING)
    )
    assert all(s.date.year == 2025 for s in sessions[:11])
    for session in sessions[:8]:  # 8 x 8 h x 60 EUR = 3,840: below 80 % (4,000)
        record(service, clock, session.id, session.date, "8")
    assert sent(service)["budget_80"] == 0
    record(service, clock, sessions[8].id, sessions[8].date, "8")  # 4,320
    record(service, clock, sessions[9].id, sessions[9].date, "8")  # 4,800
    assert (sent(service)["budget_80"], sent(service)["budget_100"]) == (1, 0)
    record(service, clock, sessions[10].id, sessions[10].date, "8")  # 5,280: above 100 %
    assert (sent(service)["budget_80"], sent(service)["budget_100"]) == (1, 1)
    (alert,) = [r for r in service.outbox.rows() if r.rule == "budget_100"]
    assert alert.recipient == "fachstelle@example.org"


def test_one_tick_after_downtime_dates_each_budget_alert_when_it_was_reached(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock, date(2025, 1, 6))  # 5,000 EUR for 2025
    other = admitted(service, clock, date(2025, 1, 6), "Kita B")
    service.ticks.tick()  # the last tick before the downtime
    sessions = service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.COACHING)
    )
    recorded = []
    for session in sessions[:11]:  # 80 % with the 9th (4,320 EUR), 100 % with the 11th
        clock.set(morning(session.date))
        service.sessions.record(str(session.id), session.date, "8")
        recorded.append(clock.now())
    below = service.overview.activities(
        ActivityFilter(centre_id=other, kind=ActivityKind.COACHING)
    )[0]
    service.sessions.record(str(below.id), below.date, "8")
    service.ticks.tick()
    alerts = sorted(
        (r.key, r.status, r.due_at) for r in service.outbox.rows() if r.rule.startswith("budget")
    )
    assert alerts == [
        (f"budget_100:c{centre}:2025:2025:office", OutboxStatus.SENT, recorded[10]),
        (f"budget_80:c{centre}:2025:2025:office", OutboxStatus.MISSED, recorded[8]),
    ]


def test_missing_office_address_is_kept_visible(service: Service, clock: FrozenClock) -> None:
    service.runtime.mail = replace(service.runtime.mail, office=None)
    centre = admitted(service, clock, date(2025, 1, 6))
    (visit,) = service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.SITE_VISIT)
    )
    run_days(service, clock, visit.date - timedelta(days=14), 1)
    office = [r for r in service.outbox.rows() if r.rule == "visit_upcoming" and r.role == "office"]
    assert [(r.status, r.last_error) for r in office] == [("failed", NO_OFFICE)]
    assert not [r for r in service.outbox.rows() if r.status == OutboxStatus.PENDING]


def test_a_stage_change_tells_centre_and_office_once(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2025, 1, 6))
    rows = [r for r in service.outbox.rows() if r.rule == "stage_changed"]
    assert sorted((r.role, r.recipient, r.status) for r in rows) == [
        ("centre", "kita@example.org", OutboxStatus.PENDING),
        ("office", "fachstelle@example.org", OutboxStatus.PENDING),
    ]
    assert all("Basisbegleitung" in r.subject for r in rows)
    service.ticks.tick()
    service.ticks.tick()
    assert sent(service)["stage_changed"] == 2
    service.lifecycle.advance(centre, "pause", reason="Umbau")
    assert len([r for r in service.outbox.rows() if r.rule == "stage_changed"]) == 4


def test_renewal_is_announced_eleven_months_into_the_year(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock, date(2023, 1, 9))
    clock.set(morning(date(2025, 2, 3)))
    service.lifecycle.advance(
        centre, "deepen", force=True, reason="Test"
    )  # a Vertiefung year from 3 Feb
    run_days(service, clock, date(2026, 1, 2), 4)  # 3 Feb 2025 + 335 days = 4 Jan 2026
    rows = [r for r in service.outbox.rows() if r.rule == "renewal_due"]
    assert [(r.due_at.date(), r.recipient, r.status) for r in rows] == [  # a Sunday: Monday
        (date(2026, 1, 5), "fachstelle@example.org", OutboxStatus.SENT),
    ]
    assert "Programmjahr in der Stufe Vertiefungsbegleitung endet bald" in rows[0].subject
    clock.set(morning(date(2026, 1, 20)))
    service.lifecycle.advance(centre, "renew")
    run_days(service, clock, date(2026, 12, 19), 3)  # the renewed year: 20 Jan + 335 days
    assert len([r for r in service.outbox.rows() if r.rule == "renewal_due"]) == 2


def test_a_late_recorded_visit_is_announced_the_day_it_is_recorded(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock, date(2023, 1, 9))  # 24 months were met in January 2025
    run_days(service, clock, date(2026, 2, 9), 1)
    assert not [r for r in service.outbox.rows() if r.rule == "eligible"]
    clock.set(morning(date(2026, 2, 10)))
    service.sessions.record_visit(centre, date(2023, 5, 2), "nachgetragen")  # held long ago
    run_days(service, clock, date(2026, 2, 10), 2)
    rows = [r for r in service.outbox.rows() if r.rule == "eligible"]
    assert [(r.due_at.date(), r.status) for r in rows] == [(date(2026, 2, 10), OutboxStatus.SENT)]
