"""The planner and the calendar, pure and table-driven, with explicit dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, Centre, PlannedActivity, StageChange, Workflow
from thekiz_flow.core.planning import PlanInput, plan, plan_stamp, reconcile

AT = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def calendar(workflow: Workflow) -> WorkCalendar:
    return WorkCalendar.of(workflow)


def change(trigger: str, src: str, dst: str, day: date) -> StageChange:
    return StageChange(1, trigger, src, dst, day, AT, "test")


def admitted(day: date, stage: str = "basisbegleitung", **centre: object) -> PlanInput:
    values: dict[str, object] = {"coach_id": 4, "stage": stage, "stage_since": day}
    values.update(centre)
    base = Centre(1, "Kita Test", "Jena", "k@example.org", None, 4, stage, day)
    return PlanInput(
        replace(base, **values),  # type: ignore[arg-type]  # fields of Centre by name
        (change("admit", "interessent", "basisbegleitung", day),),
        (),
        day,
    )


def sessions(planned: list[PlannedActivity]) -> list[date]:
    return [p.date for p in planned if p.kind == ActivityKind.COACHING]


def test_basis_admission_gives_24_monthly_sessions(
    workflow: Workflow, calendar: WorkCalendar
) -> None:
    days = sessions(plan(workflow, admitted(date(2025, 1, 15)), calendar))
    assert len(days) == 24
    assert [(d.year, d.month) for d in days] == [(2025 + (m // 12), m % 12 + 1) for m in range(24)]
    for day in days:
        assert calendar.is_working_day(day), day
        assert day.weekday() < 5
        assert day not in (date(2025, 9, 20), date(2025, 10, 31))
        assert not (day.month == 12 and day.day >= 24)
    assert days[0] == date(2025, 1, 15)  # the admission day itself: a Wednesday
    assert all(d.weekday() == 2 for d in days)  # the third Wednesday of every month


WORKING_DAYS = [
    # (a day that is not a working day, where it moves, why)
    (date(2025, 10, 31), date(2025, 10, 30), "Reformationstag (Friday): the next is November"),
    (date(2025, 9, 20), date(2025, 9, 22), "Weltkindertag on a Saturday: Monday"),
    (date(2026, 9, 20), date(2026, 9, 21), "Weltkindertag on a Sunday: Monday"),
    (date(2025, 12, 24), date(2025, 12, 23), "closure 24-31 Dec: back to the 23rd"),
    (date(2025, 5, 1), date(2025, 5, 2), "Tag der Arbeit: the next day"),
    (date(2025, 5, 31), date(2025, 5, 30), "a Saturday at the end of a month: the Friday"),
    (date(2025, 4, 18), date(2025, 4, 22), "Karfreitag, weekend, Ostermontag: Tuesday"),
]


@pytest.mark.parametrize(("day", "moved", "why"), WORKING_DAYS, ids=[w[2] for w in WORKING_DAYS])
def test_a_closed_day_moves_within_its_month(
    calendar: WorkCalendar, day: date, moved: date, why: str
) -> None:
    assert not calendar.is_working_day(day)
    assert calendar.shift(day) == moved


def test_reasons_are_german(calendar: WorkCalendar) -> None:
    assert calendar.closed(date(2025, 10, 31)) == "Feiertag (Reformationstag)"
    assert calendar.closed(date(2025, 9, 20)) == "Samstag"
    assert calendar.closed(date(2025, 12, 29)) == "Schließzeit zwischen den Jahren"
    own = calendar.for_centre([(date(2025, 3, 3), date(2025, 3, 7))])
    assert own.closed(date(2025, 3, 5)) == "Schließtag der Einrichtung"
    assert calendar.closed(date(2025, 3, 5)) is None


def test_a_month_without_a_working_day_has_no_date(calendar: WorkCalendar) -> None:
    closed = calendar.for_centre([(date(2025, 8, 1), date(2025, 8, 31))])
    assert closed.shift(date(2025, 8, 13)) is None


def test_a_centre_closure_is_not_remembered_for_other_centres(calendar: WorkCalendar) -> None:
    own = calendar.for_centre([(date(2025, 3, 10), date(2025, 3, 14))])
    assert own.shift(date(2025, 3, 12)) == date(2025, 3, 17)
    assert calendar.shift(date(2025, 3, 12)) == date(2025, 3, 12)
    assert calendar.for_centre([]).shift(date(2025, 3, 19)) == date(2025, 3, 19)
    later = calendar.for_centre([(date(2025, 3, 17), date(2025, 3, 21))])
    assert later.shift(date(2025, 3, 19)) == date(2025, 3, 24)
    assert own.shift(date(2025, 3, 19)) == date(2025, 3, 19)


def test_centre_closure_moves_a_session(workflow: Workflow, calendar: WorkCalendar) -> None:
    closed = calendar.for_centre([(date(2025, 3, 17), date(2025, 3, 21))])
    days = sessions(plan(workflow, admitted(date(2025, 1, 15)), closed))
    assert date(2025, 3, 19) not in days
    assert date(2025, 3, 24) in days


def test_preferred_weekday(workflow: Workflow, calendar: WorkCalendar) -> None:
    data = admitted(date(2025, 1, 15), weekday=0)
    days = sessions(plan(workflow, data, calendar))
    assert len(days) == 24
    moved = [d for d in days if d.weekday() != 0]
    assert {d.weekday() for d in moved} <= {1}
    assert all(not calendar.is_working_day(d.replace(day=d.day - 1)) for d in moved)
    assert len(moved) <= 3  # Easter and Whit Monday fall on the third Monday at most
    assert days[0] == date(2025, 1, 20)  # the third Monday, not before the admission


def test_vertiefung_every_second_month_for_its_year(
    workflow: Workflow, calendar: WorkCalendar
) -> None:
    data = admitted(date(2027, 2, 3), stage="vertiefungsbegleitung")
    days = sessions(plan(workflow, data, calendar))
    assert [d.month for d in days] == [2, 4, 6, 8, 10, 12]
    assert all(d.year == 2027 for d in days)


def test_konsultation_plans_no_sessions(workflow: Workflow, calendar: WorkCalendar) -> None:
    planned = plan(workflow, admitted(date(2027, 2, 3), stage="konsultationseinrichtung"), calendar)
    assert [p.kind for p in planned] == [ActivityKind.SITE_VISIT]


def test_inactive_stages_plan_nothing(workflow: Workflow, calendar: WorkCalendar) -> None:
    for stage in ("interessent", "pausiert", "ausgeschieden"):
        assert plan(workflow, admitted(date(2025, 1, 15), stage=stage), calendar) == []


def test_site_visit_within_the_first_six_months(workflow: Workflow, calendar: WorkCalendar) -> None:
    (visit,) = [
        p
        for p in plan(workflow, admitted(date(2025, 1, 15)), calendar)
        if p.kind == ActivityKind.SITE_VISIT
    ]
    assert date(2025, 1, 15) < visit.date <= date(2025, 7, 15)
    assert calendar.is_working_day(visit.date)
    assert not visit.floating


def stored(planned: PlannedActivity, ident: int, **values: object) -> Activity:
    p = planned
    base = Activity(
        ident, 1, p.kind, p.key, p.stage, p.date, ActivityStatus.PLANNED, p.hours, p.coach_id
    )
    return replace(base, **values)  # type: ignore[arg-type]  # fields of Activity by name


def test_replanning_is_idempotent(workflow: Workflow, calendar: WorkCalendar) -> None:
    data = admitted(date(2025, 1, 15))
    first = plan(workflow, data, calendar)
    assert plan(workflow, data, calendar) == first
    rows = tuple(stored(p, i) for i, p in enumerate(first))
    assert not reconcile(first, rows, cancel_from=data.today, insert_from=data.today)
    for later in (date(2025, 6, 2), date(2026, 3, 9)):
        again = plan(workflow, replace(data, activities=rows, today=later), calendar)
        assert not reconcile(again, rows, cancel_from=later, insert_from=later)


def test_history_is_never_changed(workflow: Workflow, calendar: WorkCalendar) -> None:
    data = admitted(date(2025, 1, 15))
    first = plan(workflow, data, calendar)
    statuses = (ActivityStatus.HELD, ActivityStatus.CANCELLED, ActivityStatus.PLANNED)
    rows = tuple(stored(p, i, status=statuses[i % 3]) for i, p in enumerate(first))
    other = replace(data, centre=replace(data.centre, weekday=4, coach_id=8))
    for desired in ([], plan(workflow, other, calendar)):
        changes = reconcile(
            desired, rows, cancel_from=date(2025, 1, 1), insert_from=date(2025, 1, 1)
        )
        touched = [*changes.cancel, *(a for a, _, _ in changes.update)]
        assert touched
        assert {a.status for a in touched} == {ActivityStatus.PLANNED}


def test_stage_change_mid_plan(workflow: Workflow, calendar: WorkCalendar) -> None:
    data = admitted(date(2025, 1, 15))
    rows = tuple(stored(p, i) for i, p in enumerate(plan(workflow, data, calendar)))
    paused = replace(
        data,
        centre=replace(data.centre, stage="pausiert", stage_since=date(2025, 6, 2)),
        activities=rows,
        today=date(2025, 6, 2),
    )
    changes = reconcile(
        plan(workflow, paused, calendar),
        rows,
        cancel_from=date(2025, 6, 2),
        insert_from=date(2025, 6, 2),
        stage_change=True,
    )
    assert not changes.insert
    assert all(a.date >= date(2025, 6, 2) for a in changes.cancel)
    assert len([a for a in changes.cancel if a.kind == ActivityKind.COACHING]) == 24 - 5


def test_resume_continues_the_remaining_sessions(
    workflow: Workflow, calendar: WorkCalendar
) -> None:
    start, pause, resume = date(2025, 1, 15), date(2025, 6, 2), date(2025, 9, 1)
    history = (
        change("admit", "interessent", "basisbegleitung", start),
        change("pause", "basisbegleitung", "pausiert", pause),
        change("resume", "pausiert", "basisbegleitung", resume),
    )
    first = plan(workflow, admitted(start), calendar)
    rows = tuple(
        stored(p, i, status=ActivityStatus.HELD if p.date < pause else ActivityStatus.CANCELLED)
        for i, p in enumerate(first)
        if p.kind == ActivityKind.COACHING
    )
    data = PlanInput(
        Centre(1, "K", "Jena", "k@example.org", None, 4, "basisbegleitung", resume),
        history,
        rows,
        resume,
    )
    days = sessions(plan(workflow, data, calendar))
    assert len(days) == 24 - 5
    assert days[0].month == 9
    assert (days[-1].year, days[-1].month) == (2027, 3)
    assert all(d.weekday() == 2 for d in days)


def test_coach_change_updates_planned_sessions(workflow: Workflow, calendar: WorkCalendar) -> None:
    data = admitted(date(2025, 1, 15))
    first = plan(workflow, data, calendar)
    rows = tuple(stored(p, i) for i, p in enumerate(first))
    other = replace(
        data, centre=replace(data.centre, coach_id=9), activities=rows, today=date(2025, 3, 1)
    )
    changes = reconcile(
        plan(workflow, other, calendar), rows, cancel_from=other.today, insert_from=other.today
    )
    assert not changes.insert
    assert not changes.cancel
    assert {fields for _, _, fields in changes.update} == {("coach_id",)}
    assert all(a.date >= date(2025, 3, 1) for a, _, _ in changes.update)


def test_manual_move_sticks(workflow: Workflow, calendar: WorkCalendar) -> None:
    data = admitted(date(2025, 1, 15))
    first = plan(workflow, data, calendar)
    rows = tuple(
        stored(p, i, date=date(2025, 4, 3), moved=True) if i == 3 else stored(p, i)
        for i, p in enumerate(first)
    )
    assert not reconcile(first, rows, cancel_from=date(2025, 2, 1), insert_from=date(2025, 2, 1))


def test_plan_stamp_follows_the_rules(workflow: Workflow) -> None:
    assert plan_stamp(workflow) == plan_stamp(workflow)
    assert plan_stamp(replace(workflow, closures=())) != plan_stamp(workflow)
    assert plan_stamp(replace(workflow, title="anders")) == plan_stamp(workflow)


def test_hours_come_from_the_workflow(workflow: Workflow, calendar: WorkCalendar) -> None:
    planned = plan(workflow, admitted(date(2025, 1, 15)), calendar)
    assert {p.hours for p in planned if p.kind == ActivityKind.COACHING} == {Decimal(3)}
