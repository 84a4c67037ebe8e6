"""Which occurrences each kind of reminder rule makes due: pure, from values, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from thekiz_flow.core.budget import BudgetYear, budget_year, spending
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, Judgement, Stop
from thekiz_flow.core.history import Step
from thekiz_flow.core.model import (
    Activity,
    Centre,
    Coach,
    ReminderRule,
    StageChange,
    TrainingRule,
    Workflow,
)
from thekiz_flow.core.occurrences import (
    Crossing,
    activity_days,
    activity_dues,
    activity_statuses,
    budget_crossings,
    budget_dues,
    budget_since,
    by_year,
    deadline_dues,
    eligible_dues,
    stage_start_dues,
)
from thekiz_flow.core.reminders import Window
from thekiz_flow.core.rules import Lifecycle

BERLIN = ZoneInfo("Europe/Berlin")
RECORDED = datetime(2020, 1, 1, tzinfo=UTC)
COACH = Coach(7, "Bea Begleiterin", "bea@example.org", Decimal(60))
OTHER = Coach(8, "Otto Ohnesorg", "otto@example.org", Decimal(55))
COACHES = {COACH.id: COACH, OTHER.id: OTHER}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def window(now: str = "2026-03-10T08:00", last: str | None = "2026-03-09T08:00") -> Window:
    return Window(at(now), None if last is None else at(last), BERLIN, time(8))


def centre(
    number: int,
    stage: str = "basisbegleitung",
    since: str = "2025-01-06",
    coach_id: int | None = COACH.id,
    next_step_on: date | None = None,
    episode_start: date | None = None,
) -> Centre:
    return Centre(
        number,
        f"Kita {number}",
        "Jena",
        f"kita{number}@example.org",
        None,
        coach_id,
        stage,
        date.fromisoformat(since),
        episode_start=episode_start,
        next_step_on=next_step_on,
    )


def change(
    number: int, trigger: str, source: str, dest: str, day: str, centre_id: int = 1
) -> StageChange:
    return StageChange(
        centre_id, trigger, source, dest, date.fromisoformat(day), RECORDED, "test", id=number
    )


def rules(workflow: Workflow) -> dict[str, ReminderRule]:
    return {rule.id: rule for rule in workflow.reminders}


# ------------------------------------------------------------------ activity
def session(number: int, day: str, centre_id: int = 1, coach_id: int | None = None) -> Activity:
    return Activity(
        number,
        centre_id,
        ActivityKind.COACHING,
        f"coaching:{number}",
        "basisbegleitung",
        date.fromisoformat(day),
        ActivityStatus.PLANNED,
        Decimal(3),
        coach_id,
    )


def test_a_rule_that_stops_when_recorded_follows_planned_activities_only(
    workflow: Workflow,
) -> None:
    upcoming = rules(workflow)["session_upcoming"]
    assert activity_statuses(upcoming) == (ActivityStatus.PLANNED,)
    assert activity_statuses(replace(upcoming, stop=Stop.NEVER)) == (
        ActivityStatus.PLANNED,
        ActivityStatus.HELD,
    )


def test_activity_occurrences_of_each_repetition(workflow: Workflow) -> None:
    unrecorded = rules(workflow)["session_unrecorded"]  # 3, 10 and 17 days after, the coach
    w = window()
    assert w.anchor_days(unrecorded)[0] == (0, date(2026, 3, 4), date(2026, 3, 7))
    centres = {1: centre(1), 2: centre(2, coach_id=None)}
    found = [
        session(11, "2026-03-07"),  # due now
        session(12, "2026-03-05", coach_id=OTHER.id),  # due on the 8th: late, still sent
        session(13, "2026-03-04", centre_id=2),  # due on the 7th, its centre has no coach
    ]
    dues = activity_dues(w, unrecorded, 0, found, centres, COACHES)
    assert [(d.key, d.occurrence, d.verdict, d.centre_id) for d in dues] == [
        ("session_unrecorded:a11:2026-03-10:coach", at("2026-03-10T08:00"), Judgement.SEND, 1),
        ("session_unrecorded:a12:2026-03-08:coach", at("2026-03-08T08:00"), Judgement.SEND, 1),
        ("session_unrecorded:a13:2026-03-07:coach", at("2026-03-07T08:00"), Judgement.SEND, 2),
    ]
    assert [d.context["coach"] for d in dues] == [COACH, OTHER, None]  # the session's first
    assert dues[0].context == {
        "centre": centres[1],
        "coach": COACH,
        "activity": found[0],
        "number": 1,
    }
    second = activity_dues(w, unrecorded, 1, [session(14, "2026-02-28")], centres, COACHES)
    assert [(d.key, d.context["number"]) for d in second] == [
        ("session_unrecorded:a14:2026-03-10:coach", 2)
    ]


def test_activity_occurrences_outside_the_window_are_not_due(workflow: Workflow) -> None:
    upcoming = rules(workflow)["session_upcoming"]  # 7 days before, the coach
    centres = {1: centre(1)}
    later = [session(21, "2026-03-18")]  # a week before is tomorrow
    assert activity_dues(window(), upcoming, 0, later, centres, COACHES) == []
    judged = [session(22, "2026-03-15")]  # on the 8th, after the tick of the 4th: late
    (due,) = activity_dues(window(last="2026-03-04T08:00"), upcoming, 0, judged, centres, {})
    assert (due.key, due.verdict) == ("session_upcoming:a22:2026-03-08:coach", Judgement.SEND)
    (old,) = activity_dues(
        window(last="2026-03-01T08:00"), upcoming, 0, [session(23, "2026-03-12")], centres, {}
    )
    assert (old.occurrence, old.verdict) == (at("2026-03-05T08:00"), Judgement.MISSED)


def test_recipients_each_get_their_key(workflow: Workflow) -> None:
    visit = rules(workflow)["visit_upcoming"]  # office and centre
    found = [replace(session(31, "2026-03-24"), kind=ActivityKind.SITE_VISIT)]
    dues = activity_dues(window(), visit, 0, found, {1: centre(1)}, COACHES)
    assert [(d.key, d.role) for d in dues] == [
        ("visit_upcoming:a31:2026-03-10:office", "office"),
        ("visit_upcoming:a31:2026-03-10:centre", "centre"),
    ]


# --------------------------------------------------------------- stage_start
def test_a_stage_start_is_due_while_the_centre_is_still_in_that_stay(workflow: Workflow) -> None:
    renewal = rules(workflow)["renewal_due"]  # 335 days into a Vertiefung year, the office
    start = (date(2026, 3, 10) - timedelta(days=335)).isoformat()
    changes = [
        change(41, "deepen", "basisbegleitung", "vertiefungsbegleitung", start, 1),
        change(42, "deepen", "basisbegleitung", "vertiefungsbegleitung", start, 2),
        change(43, "admit", "interessent", "basisbegleitung", start, 3),
    ]
    centres = {
        1: centre(1, "vertiefungsbegleitung", start),
        2: centre(2, "pausiert", "2026-01-05"),  # moved on since
        3: centre(3, "basisbegleitung", start),  # another stage than the rule's
    }
    (due,) = stage_start_dues(window(), renewal, workflow, changes, centres, COACHES)
    assert (due.key, due.occurrence, due.verdict, due.centre_id) == (
        "renewal_due:c1:41:2026-03-10:office",
        at("2026-03-10T08:00"),
        Judgement.SEND,
        1,
    )
    assert due.context == {
        "centre": centres[1],
        "stage": workflow.stage("vertiefungsbegleitung"),
        "since": date.fromisoformat(start),
        "coach": COACH,
    }
    every = replace(renewal, stage=None)
    dues = stage_start_dues(window(), every, workflow, changes, centres, COACHES)
    assert [d.centre_id for d in dues] == [1, 3]


# ------------------------------------------------------------------ eligible
def test_a_centre_whose_next_step_is_allowed_is_due_once_per_stay(workflow: Workflow) -> None:
    eligible = rules(workflow)["eligible"]  # on the day, the office
    lifecycle = Lifecycle(workflow)
    stepping = date(2026, 3, 10)
    found = [
        centre(1, since="2024-01-15", next_step_on=stepping),
        centre(2, since="2024-01-15", next_step_on=stepping),  # no site visit
        centre(3, "ausgeschieden", "2025-01-01", next_step_on=stepping),  # no next step
        centre(4, since="2024-01-15"),  # no next step found
    ]
    admitted = {
        n: [change(50 + n, "admit", "interessent", "basisbegleitung", "2024-01-15", n)]
        for n in (1, 2, 4)
    }
    visits = {n: [(date(2024, 3, 1), "basisbegleitung")] for n in (1, 3, 4)}
    (due,) = eligible_dues(window(), eligible, lifecycle, found, admitted, visits)
    assert (due.key, due.occurrence, due.verdict, due.role) == (
        "eligible:c1:deepen:2024-01-15:office",
        at("2026-03-10T08:00"),
        Judgement.SEND,
        "office",
    )
    assert due.context == {
        "centre": found[0],
        "stage": workflow.stage("basisbegleitung"),
        "trigger": "deepen",
        "next_stage": workflow.stage("vertiefungsbegleitung"),
    }


def test_eligibility_is_judged_as_of_the_window_day(workflow: Workflow) -> None:
    eligible = rules(workflow)["eligible"]
    found = [centre(1, since="2024-06-15", next_step_on=date(2026, 3, 10))]  # 24 months: June
    history = {1: [change(61, "admit", "interessent", "basisbegleitung", "2024-06-15")]}
    visits = {1: [(date(2024, 7, 1), "basisbegleitung")]}
    lifecycle = Lifecycle(workflow)
    assert eligible_dues(window(), eligible, lifecycle, found, history, visits) == []
    later = window("2026-06-15T08:00", "2026-06-14T08:00")
    moved = [replace(found[0], next_step_on=date(2026, 6, 15))]
    (due,) = eligible_dues(later, eligible, lifecycle, moved, history, visits)
    assert due.occurrence == at("2026-06-15T08:00")


# -------------------------------------------------------------------- budget
class Held(NamedTuple):
    id: int
    recorded_at: datetime | None
    hours: Decimal | None
    rate: Decimal | None


def test_budget_rules_read_from_the_earliest_start_of_theirs(workflow: Workflow) -> None:
    w = window(last="2026-02-01T08:00")  # late_days 3 reaches back less far than that tick
    assert budget_since(w, workflow.reminders) == at("2026-02-01T08:00")
    assert budget_since(window(), workflow.reminders) == at("2026-03-07T08:00")
    without = [r for r in workflow.reminders if r.follows != "budget"]
    assert budget_since(window(), without) is None


def test_recorded_sessions_by_year() -> None:
    recorded = [(1, date(2025, 12, 30)), (2, date(2026, 1, 5)), (1, date(2026, 2, 2))]
    assert by_year(recorded) == {2025: {1}, 2026: {1, 2}}


def test_a_budget_year_from_history_and_held_sessions(workflow: Workflow) -> None:
    history = [Step("admit", "interessent", "basisbegleitung", date(2025, 1, 6))]
    held = [
        Held(3, at("2025-03-02T10:00"), Decimal(8), Decimal(60)),
        Held(1, at("2025-02-02T10:00"), Decimal(8), Decimal(60)),
        Held(2, at("2025-03-02T10:00"), Decimal("2.5"), Decimal(55)),  # same moment, lower id
        Held(4, None, Decimal(1), Decimal(60)),  # held, never recorded as such: counts spent
        Held(5, at("2025-04-01T10:00"), None, Decimal(60)),  # no hours: costs nothing
    ]
    year = budget_year(workflow, 9, 2025, history, held)
    assert (year.centre_id, year.year, year.budget) == (9, 2025, Decimal("5000.00"))
    assert year.spent == Decimal("1157.50")  # 480 + 480 + 137.50 + 60
    assert year.spending == [
        (at("2025-02-02T10:00"), Decimal("480.00")),
        (at("2025-03-02T10:00"), Decimal("137.50")),
        (at("2025-03-02T10:00"), Decimal("480.00")),
        (at("2025-04-01T10:00"), Decimal("0")),
    ]
    assert year.last_recorded == at("2025-04-01T10:00")
    assert spending(held) == year.spending
    before = budget_year(workflow, 9, 2024, history, [])  # an Interessent has no budget
    assert (before.budget, before.spent, before.spending) == (Decimal(0), Decimal(0), [])


def a_year(centre_id: int, budget: str, *spent: tuple[str, str], number: int = 2026) -> BudgetYear:
    amounts = [(at(moment), Decimal(amount)) for moment, amount in spent]
    total = sum((amount for _, amount in amounts), Decimal(0))
    return BudgetYear(centre_id, number, Decimal(budget), total, amounts)


def test_budget_thresholds_crossed_in_the_window(workflow: Workflow) -> None:
    eighty, hundred = rules(workflow)["budget_80"], rules(workflow)["budget_100"]
    years = [
        a_year(1, "1000", ("2026-03-09T12:00", "500"), ("2026-03-10T07:00", "400")),
        a_year(2, "1000", ("2026-01-05T12:00", "900"), ("2026-03-09T12:00", "10")),  # judged
        a_year(3, "0", ("2026-03-10T07:00", "10")),  # by need: no budget to reach
        a_year(4, "1000", ("2026-03-09T12:00", "1200")),
    ]
    crossed = budget_crossings(window(), eighty, years)
    assert crossed == [
        Crossing(years[0], at("2026-03-10T07:00")),
        Crossing(years[3], at("2026-03-09T12:00")),
    ]
    assert budget_crossings(window(), hundred, years) == [
        Crossing(years[3], at("2026-03-09T12:00"))
    ]
    assert budget_crossings(window(), replace(eighty, percent=None), years) == []
    after_downtime = budget_crossings(window(last="2026-01-01T08:00"), eighty, years)
    assert [c.year.centre_id for c in after_downtime] == [1, 2, 4]  # 2: recorded as missed


def test_budget_alerts_name_centre_and_year(workflow: Workflow) -> None:
    eighty = rules(workflow)["budget_80"]
    year = a_year(1, "1000", ("2026-03-09T12:00", "850"))
    centres = {1: centre(1)}
    (due,) = budget_dues(window(), eighty, [Crossing(year, at("2026-03-09T12:00"))], centres)
    assert (due.key, due.occurrence, due.verdict, due.role) == (
        "budget_80:c1:2026:2026:office",  # subject (centre, year), then the year as label
        at("2026-03-09T12:00"),
        Judgement.SEND,
        "office",
    )
    assert due.context == {
        "centre": centres[1],
        "year": 2026,
        "percent": 80,
        "budget": Decimal(1000),
        "spent": Decimal(850),
    }
    missed = window(last="2026-01-01T08:00")
    old = Crossing(year, at("2026-02-01T12:00"))
    assert [d.verdict for d in budget_dues(missed, eighty, [old], centres)] == [Judgement.MISSED]


# --------------------------------------------------------- training_deadline
def test_an_expected_training_not_taken_up_is_due_before_its_deadline(
    workflow: Workflow,
) -> None:
    deadline = rules(workflow)["training_deadline"]  # centre and coach, 30 days before
    auftakt = TrainingRule("auftakt", 3)
    found = [
        centre(1, since="2026-01-07", episode_start=date(2026, 1, 7)),
        centre(2, since="2026-01-07", episode_start=date(2026, 1, 7)),
        centre(3, since="2026-01-07", episode_start=date(2026, 1, 7), coach_id=None),
    ]
    enrolments = {
        1: [("fachkraft", ActivityStatus.PLANNED, date(2026, 2, 1))],
        2: [("auftakt", ActivityStatus.PLANNED, date(2026, 3, 20))],  # taken up
        3: [("auftakt", ActivityStatus.CANCELLED, date(2026, 3, 20))],
    }
    dues = deadline_dues(window(), deadline, workflow, auftakt, found, enrolments, COACHES)
    assert [(d.key, d.occurrence, d.verdict) for d in dues] == [
        (
            "training_deadline:c1:auftakt:2026-04-07:2026-03-08:centre",
            at("2026-03-08T08:00"),
            Judgement.SEND,
        ),
        (
            "training_deadline:c1:auftakt:2026-04-07:2026-03-08:coach",
            at("2026-03-08T08:00"),
            Judgement.SEND,
        ),
        (
            "training_deadline:c3:auftakt:2026-04-07:2026-03-08:centre",
            at("2026-03-08T08:00"),
            Judgement.SEND,
        ),
        (
            "training_deadline:c3:auftakt:2026-04-07:2026-03-08:coach",
            at("2026-03-08T08:00"),
            Judgement.SEND,
        ),
    ]
    assert dues[0].context == {
        "centre": found[0],
        "training_kind": workflow.training_kinds["auftakt"],
        "deadline": date(2026, 4, 7),
        "coach": COACH,
    }
    assert dues[2].context["coach"] is None


@pytest.mark.parametrize("start", ["2026-01-05", "2026-01-10"])
def test_a_deadline_outside_the_window_is_not_due(workflow: Workflow, start: str) -> None:
    deadline = rules(workflow)["training_deadline"]
    stay = date.fromisoformat(start)
    found = [centre(1, since=start, episode_start=stay)]
    auftakt = TrainingRule("auftakt", 3)
    assert deadline_dues(window(), deadline, workflow, auftakt, found, {}, COACHES) == []


def test_the_days_of_an_activity_rule_are_those_whose_occurrence_is_judged(
    workflow: Workflow,
) -> None:
    """Per repetition the activity dates whose occurrence a window judges, as one range; the
    keys the database builds from them are the keys of the dues."""
    unrecorded = rules(workflow)["session_unrecorded"]  # 3, 10 and 17 days after
    w = Window(at("2026-03-10T09:00"), at("2026-03-01T09:00"), BERLIN, time(8), preview=True)
    found = activity_days(w, unrecorded)
    # the 1st at 08:00 is before the window's start: from the 2nd (its 08:00) to the 10th
    assert [(d.number, d.first, d.last) for d in found] == [
        (0, date(2026, 2, 27), date(2026, 3, 7)),
        (1, date(2026, 2, 20), date(2026, 2, 28)),
        (2, date(2026, 2, 13), date(2026, 2, 21)),
    ]
    second = found[1]
    dated = [session(41, "2026-02-20"), session(42, "2026-02-28")]
    dues = activity_dues(w, unrecorded, second.number, dated, {1: centre(1)}, COACHES)
    built = [
        f"{second.head}{a.id}:{second.labels[a.date]}:{role}"
        for a in dated
        for role in second.roles
    ]
    assert built == [d.key for d in dues]
    either_side = [session(43, "2026-02-19"), session(44, "2026-03-01")]
    assert activity_dues(w, unrecorded, 1, either_side, {1: centre(1)}, COACHES) == []
    late = Window(at("2026-03-10T07:00"), at("2026-03-09T09:00"), BERLIN, time(8), preview=True)
    assert activity_days(late, unrecorded) == []  # no 08:00 between 09:00 and 07:00 next day
