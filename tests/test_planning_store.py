"""Planning on a real database: stage changes re-plan in their transaction, ticks are idempotent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete

from tests.cli_helpers import dump
from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, Refused
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput, Coach, Workflow
from thekiz_flow.service import Service
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import activities


def admitted(service: Service, clock: FrozenClock, day: date, rate: str = "60") -> int:
    clock.set(noon(day, BERLIN))
    coach = service.registry.add_coach(f"Coach {day}", f"coach{day.toordinal()}@example.org", rate)
    centre = service.registry.add_centre(
        CentreInput(f"Kita {day}", "Gera", "kita@example.org", coach=str(coach))
    )
    service.lifecycle.advance(centre, "admit")
    return centre


def of(
    service: Service,
    centre: int,
    kind: ActivityKind = ActivityKind.COACHING,
    status: ActivityStatus | None = None,
) -> list[Activity]:
    return service.overview.activities(ActivityFilter(centre_id=centre, kind=kind, status=status))


def test_admission_plans_sessions_and_a_visit(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2025, 1, 15))
    sessions = of(service, centre)
    assert len(sessions) == 24
    assert {s.status for s in sessions} == {ActivityStatus.PLANNED}
    assert {s.rate for s in sessions} == {Decimal(60)}
    assert len(of(service, centre, ActivityKind.SITE_VISIT)) == 1


def test_plan_and_tick_are_idempotent(
    service: Service, clock: FrozenClock, database_url: str
) -> None:
    admitted(service, clock, date(2025, 1, 15))
    before = dump(database_url)
    for _ in range(2):
        report = service.planning.plan()
        assert (report.inserted, report.updated, report.cancelled) == (0, 0, 0)
        assert service.ticks.tick().plan.centres == 0
    clock.advance(timedelta(days=40))
    service.planning.plan()
    service.ticks.tick()
    assert dump(database_url)["activities"] == before["activities"]


def test_stage_change_cancels_and_replans_in_one_transaction(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock, date(2025, 1, 15))
    clock.set(noon(date(2025, 6, 2), BERLIN))
    service.lifecycle.advance(centre, "pause")
    cancelled = of(service, centre, status=ActivityStatus.CANCELLED)
    assert len(cancelled) == 24 - 5
    assert {c.reason for c in cancelled} == {"Stufenwechsel Basisbegleitung → Pausiert"}
    assert all(c.date >= date(2025, 6, 2) for c in cancelled)
    assert (
        len(of(service, centre, status=ActivityStatus.PLANNED)) == 5
    )  # before the pause, unrecorded
    clock.set(noon(date(2025, 9, 1), BERLIN))
    service.lifecycle.advance(centre, "resume")
    planned = [
        s for s in of(service, centre, status=ActivityStatus.PLANNED) if s.date >= date(2025, 9, 1)
    ]
    assert len(planned) == 24 - 5
    assert planned[-1].date.strftime("%Y-%m") == "2027-03"


def test_planning_in_parts_gives_the_same_plan(
    service: Service, clock: FrozenClock, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(noon(date(2025, 1, 15), BERLIN))
    coach = service.registry.add_coach("Coach", "coach@example.org", "61.25")
    for n in range(3):
        given = CentreInput(f"Kita {n}", "Gera", "kita@example.org", coach=str(coach))
        service.lifecycle.advance(service.registry.add_centre(given), "admit")
    today = date(2025, 6, 2)
    clock.set(noon(today, BERLIN))

    def future() -> list[tuple[object, ...]]:
        found = service.overview.activities(ActivityFilter(first=today))
        rows = [(a.centre_id, a.key, a.kind, a.date, a.status, a.hours, a.rate) for a in found]
        return sorted(rows, key=repr)

    before = future()
    with engine.begin() as connection:
        connection.execute(delete(activities).where(activities.c.date >= today))
    monkeypatch.setattr("thekiz_flow.service.planning.PART", 2)
    reads: list[int] = []
    read = Repository.coach

    def counted(repo: Repository, coach_id: int) -> Coach | None:
        reads.append(coach_id)
        return read(repo, coach_id)

    monkeypatch.setattr(Repository, "coach", counted)
    report = service.planning.plan()
    assert (report.centres, report.inserted, report.updated) == (3, len(before), 0)
    assert reads == [coach]  # once, not again for the second part
    assert len(before) > 3 * 12
    assert future() == before


def test_a_failing_replan_leaves_the_stage_unchanged(
    service: Service, clock: FrozenClock, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    centre = admitted(service, clock, date(2025, 1, 15))
    before = dump(database_url)

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("connection lost")

    monkeypatch.setattr("thekiz_flow.store.activities.ActivityStore.cancel_many", broken)
    with pytest.raises(RuntimeError):
        service.lifecycle.advance(centre, "withdraw")
    assert dump(database_url) == before


def test_new_rules_are_planned_by_the_next_tick(
    service: Service, clock: FrozenClock, engine: Engine, workflow: Workflow
) -> None:
    centre = admitted(service, clock, date(2025, 1, 15))
    closures = (*workflow.closures, replace(workflow.closures[0], first=(3, 17), last=(3, 21)))
    changed = Service(
        engine,
        replace(workflow, closures=closures),
        clock,
        BERLIN,
        "test",
        service.runtime.mail,
        wall=clock,
    )
    report = changed.ticks.tick().plan
    assert (report.centres, report.updated) == (1, 2)  # March 2025 and March 2026
    assert changed.ticks.tick().plan.centres == 0
    days = [s.date for s in of(service, centre)]
    assert date(2025, 3, 24) in days
    assert date(2026, 3, 23) in days


def test_sessions_held_moved_cancelled_requested(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2025, 1, 15))
    clock.set(noon(date(2025, 2, 25), BERLIN))
    by_month = service.sessions.record(f"E{centre}", date(2025, 2, 20), "2,5", "Netzwerkanalyse")
    assert (by_month.date, by_month.hours, by_month.status) == (
        date(2025, 2, 20),
        Decimal("2.5"),
        ActivityStatus.HELD,
    )
    extra = service.sessions.record(f"e{centre}", date(2025, 2, 24), "1")
    assert extra.key.startswith("held:2025-02-24")
    march = next(s for s in of(service, centre) if s.date.month == 3 and s.date.year == 2025)
    with pytest.raises(InvalidInput, match="kein Arbeitstag"):
        service.sessions.move(march.id, date(2025, 3, 22))
    moved = service.sessions.move(march.id, date(2025, 3, 26))
    assert moved.moved
    service.planning.plan()  # a manual move survives re-planning
    assert [s.date for s in of(service, centre) if s.id == march.id] == [date(2025, 3, 26)]
    cancelled = service.sessions.cancel(march.id, "Leitung erkrankt")
    assert cancelled.status == ActivityStatus.CANCELLED
    with pytest.raises(Refused, match="schon abgesagt"):
        service.sessions.cancel(march.id, "doppelt")
    with pytest.raises(InvalidInput, match="in der Zukunft"):
        service.sessions.record(f"E{centre}", date(2025, 3, 1), "2")
    requested = service.sessions.request(centre, date(2025, 3, 4), "4")
    assert (requested.status, requested.hours) == (ActivityStatus.PLANNED, Decimal(4))


def test_visit_done_meets_the_guard(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2024, 1, 15))
    clock.set(noon(date(2026, 2, 2), BERLIN))
    step = service.lifecycle.next_step(centre)
    assert step is not None
    assert step.missing == ("kein Einrichtungsbesuch in der Stufe Basisbegleitung durchgeführt",)
    visit = service.sessions.record_visit(centre, date(2024, 4, 10), "Rundgang")
    assert (visit.status, visit.key.startswith("site_visit:")) == (ActivityStatus.HELD, True)
    assert service.lifecycle.next_step(centre).eligible  # type: ignore[union-attr]  # a step: see above
    with pytest.raises(Refused, match=r"^Einrichtungsbesuch am 10\.04\.2024 ist schon erfasst$"):
        service.sessions.record_visit(centre, date(2024, 4, 10))  # the same visit sent twice
    visits = service.overview.activities(
        ActivityFilter(centre_id=centre, kind=ActivityKind.SITE_VISIT)
    )
    assert [(v.date, v.status) for v in visits if v.status == ActivityStatus.HELD] == [
        (date(2024, 4, 10), ActivityStatus.HELD)
    ]


def test_budget_arithmetic(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2025, 3, 20), rate="62.50")
    budget = service.overview.budget(centre, 2025)
    assert budget.budget == Decimal("3750.00")  # April to December: 9 x 5000 / 12
    assert budget.committed == 10 * 3 * Decimal("62.50")  # 10 sessions of 3 h (Mar-Dec)
    clock.set(noon(date(2025, 5, 30), BERLIN))
    service.sessions.record(f"E{centre}", date(2025, 5, 21), "2")
    budget = service.overview.budget(centre, 2025)
    assert budget.spent == Decimal("125.00")
    assert budget.committed == 9 * 3 * Decimal("62.50")
    assert budget.rest == Decimal("3750.00") - Decimal("125.00") - 9 * 3 * Decimal("62.50")
    assert service.overview.budget(centre, 2026).budget == Decimal("5000.00")


def test_the_budgets_of_every_year_latest_first(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock, date(2024, 7, 1))
    clock.set(noon(date(2026, 7, 10), BERLIN))
    budgets = service.overview.budgets(centre)
    assert [b.year for b in budgets] == [2026, 2025, 2024]  # none before its admission
    assert budgets == [service.overview.budget(centre, year) for year in (2026, 2025, 2024)]
    assert budgets[2].budget == Decimal("2500.00")  # July to December 2024: 6 x 5000 / 12


def test_mid_year_deepen_counts_each_month_in_its_stage(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock, date(2024, 7, 1))
    clock.set(noon(date(2026, 7, 10), BERLIN))
    service.sessions.record_visit(centre, date(2024, 9, 2))
    service.lifecycle.advance(centre, "deepen")
    # Jan-Jun in Basis (6 x 416.67), Jul-Dec in Vertiefung (6 x 208.33)
    assert service.overview.budget(centre, 2026).budget == Decimal("3750.00")


def test_coach_load_warns_above_the_maximum(
    service: Service, clock: FrozenClock, workflow: Workflow, engine: Engine
) -> None:
    centre = admitted(service, clock, date(2025, 1, 15))
    strict = Service(
        engine,
        replace(workflow, coach_max_hours_per_month=Decimal(5)),
        clock,
        BERLIN,
        "test",
        service.runtime.mail,
        wall=clock,
    )
    for day in (date(2025, 1, 20), date(2025, 1, 22)):
        strict.sessions.request(centre, day, "2")
    report = strict.overview.coach_report(1)
    assert report.load[0].planned == Decimal(7)
    assert report.load[0].over
    assert not report.load[1].over


@pytest.mark.parametrize(
    ("now", "today"),
    [
        ("2026-03-28T23:30:00+00:00", date(2026, 3, 29)),  # 00:30 CET, the night of the change
        ("2026-03-29T00:30:00+00:00", date(2026, 3, 29)),  # 02:30 CEST
        ("2026-10-24T22:30:00+00:00", date(2026, 10, 25)),  # 00:30 CEST
        ("2026-10-25T22:59:00+00:00", date(2026, 10, 25)),  # 23:59 CET
    ],
)
def test_tick_reads_today_in_berlin_across_dst(
    service: Service, clock: FrozenClock, now: str, today: date
) -> None:
    moment = datetime.fromisoformat(now)
    clock.set(moment)
    assert service.runtime.today() == today
    assert moment.astimezone(UTC) == moment


def test_simulation_ticks_each_day_once_across_dst(
    service: Service, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thekiz_flow.service.simulation import simulate_days
    from thekiz_flow.service.ticks import TickService

    seen: list[date] = []
    original = TickService.tick

    def spy(self: TickService) -> object:
        seen.append(self.rt.today())
        return original(self)

    monkeypatch.setattr(TickService, "tick", spy)
    simulate_days(service, clock, date(2026, 3, 23), date(2026, 4, 5))
    simulate_days(service, clock, date(2026, 10, 19), date(2026, 11, 1))
    expected = [date(2026, 3, 23) + timedelta(days=n) for n in range(14)]
    expected += [date(2026, 10, 19) + timedelta(days=n) for n in range(14)]
    assert seen == expected
