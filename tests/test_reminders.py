"""The catch-up window and the idempotency keys, pure, with explicit instants."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from thekiz_flow.core.enums import ActivityKind, CatchUp, Follows, Judgement, Recipient
from thekiz_flow.core.model import ReminderRule, Workflow
from thekiz_flow.core.reminders import Window, due_for

BERLIN = ZoneInfo("Europe/Berlin")
RULE = ReminderRule(
    "session_upcoming",
    Follows.ACTIVITY,
    "session_upcoming",
    (Recipient.COACH,),
    kind=ActivityKind.COACHING,
    offset_days=-7,
    late_days=3,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def window(now: str, last: str | None) -> Window:
    return Window(at(now), None if last is None else at(last), BERLIN, time(8))


@pytest.mark.parametrize(
    ("occurrence", "last", "verdict"),
    [
        ("2026-03-10T08:00", "2026-03-10T07:55", Judgement.SEND),  # due since the last tick
        ("2026-03-10T08:05", "2026-03-10T07:55", None),  # not yet
        ("2026-03-08T08:00", "2026-03-10T07:55", Judgement.SEND),  # late, inside the window
        ("2026-03-06T08:00", "2026-03-04T08:00", Judgement.MISSED),  # downtime, beyond 3 days
        ("2026-03-06T08:00", "2026-03-09T08:00", None),  # an earlier tick judged it
        ("2026-03-06T08:00", None, None),  # a first tick never records old ones
        ("2026-03-08T08:00", None, Judgement.SEND),
    ],
)
def test_judge(occurrence: str, last: str | None, verdict: str | None) -> None:
    assert window("2026-03-10T08:00", last).judge(RULE, at(occurrence)) == verdict


def test_skip_policy_sends_only_on_the_day() -> None:
    skip = replace(RULE, catch_up=CatchUp.SKIP)
    w = window("2026-03-10T09:00", "2026-03-06T08:00")
    assert w.judge(skip, at("2026-03-10T08:00")) == Judgement.SEND
    assert w.judge(skip, at("2026-03-09T08:00")) == Judgement.MISSED


def test_anchor_days_cover_the_occurrences_of_each_repetition() -> None:
    unrecorded = replace(RULE, offset_days=3, every_days=7, times=3)
    w = window("2026-03-10T08:00", "2026-03-09T08:00")
    # occurrences from 2026-03-07 (3 days back) to 2026-03-10 are considered
    assert w.anchor_days(unrecorded) == [
        (0, date(2026, 3, 4), date(2026, 3, 7)),
        (1, date(2026, 2, 25), date(2026, 2, 28)),
        (2, date(2026, 2, 18), date(2026, 2, 21)),
    ]


def test_keys_name_rule_subject_occurrence_and_role() -> None:
    both = replace(RULE, recipients=(Recipient.OFFICE, Recipient.CENTRE))
    dues = due_for(window("2026-03-10T08:00", None), both, "a17", 4, at("2026-03-10T08:00"), {})
    assert [d.key for d in dues] == [
        "session_upcoming:a17:2026-03-10:office",
        "session_upcoming:a17:2026-03-10:centre",
    ]
    again = due_for(
        window("2026-03-10T08:10", "2026-03-10T08:05"), both, "a17", 4, at("2026-03-10T08:00"), {}
    )
    assert [d.key for d in again] == [d.key for d in dues]


def test_occurrences_follow_local_time_across_dst() -> None:
    w = window("2026-03-29T09:00", None)
    assert w.at(date(2026, 3, 29)).utcoffset() == timedelta(hours=2)
    assert w.at(date(2026, 3, 28)).utcoffset() == timedelta(hours=1)


def test_preview_counts_everything_ahead() -> None:
    w = Window(at("2026-04-10T08:00"), at("2026-03-10T08:00"), BERLIN, time(8), preview=True)
    assert w.judge(RULE, at("2026-03-20T08:00")) == Judgement.SEND
    assert w.judge(RULE, at("2026-03-01T08:00")) is None


def test_the_shipped_rules(workflow: Workflow) -> None:
    rules = {r.id: r for r in workflow.reminders}
    assert rules["session_upcoming"].offsets() == [-7]
    assert rules["session_unrecorded"].offsets() == [3, 10, 17]
    assert rules["session_unrecorded_office"].offsets() == [24]
    assert rules["visit_upcoming"].recipients == ("office", "centre")
    assert rules["training_deadline"].offsets() == [-30]
    assert {r.percent for r in workflow.reminders if r.follows == "budget"} == {80, 100}
