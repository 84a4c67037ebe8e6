"""The reminder preview a page at a time (``ReminderService.preview_page``: each rule's dues
in the order they go out, activities read by date a page at a time, counted in the database)
gives exactly the rows and the total of the whole preview as it was made before, by gathering
every due of every rule, dropping those the outbox holds and sorting all of them by when they
go out; and a page reads about what it shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event

from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import Follows
from thekiz_flow.core.model import CentreInput, Coach
from thekiz_flow.core.reminders import Due, Window
from thekiz_flow.service import Service
from thekiz_flow.service.reminders import FIRST_PART, ReminderService
from thekiz_flow.store.outbox import WRITTEN_THROUGH, OutboxStore
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import state

NOW = datetime(2026, 3, 25, 9, 0, tzinfo=BERLIN)  # a Wednesday; Easter and 1 May ahead
Row = tuple[Due, str, str]
KEY_LOOKUP = re.compile(r'EXISTS \(SELECT outbox\."?key"?')  # a key looked up per row
SOME_TOLD = ("session_unrecorded", "session_upcoming", "training_deadline")  # some in the outbox


def whole_preview(service: Service, days: int) -> tuple[list[Row], list[Due], set[str]]:
    """The preview as it was made before pages: every due of every rule gathered, those the
    outbox holds dropped, all sorted by when they go out (as gathered at the same time), each
    rendered. Also every due gathered and the keys the outbox holds."""
    reminders, rt = service.reminders, service.runtime
    now = rt.clock.now()
    window = Window(now + timedelta(days=days), now, rt.zone, rt.workflow.send_at, preview=True)
    with rt.unit() as repo:
        dues = reminders._gather(repo, window)
        known = repo.outbox.existing({d.key for d in dues})
    fresh = [d for d in dues if d.key not in known]
    fresh.sort(key=lambda d: rt.send_time(d.occurrence, d.rule.any_day))
    rows = []
    for due in fresh:
        mail = reminders._mail(due, now)
        sent = replace(due, occurrence=mail.due_at)
        rows.append((sent, mail.recipient or f"({mail.problem})", mail.subject))
    return rows, dues, known


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


@pytest.fixture
def programme(service: Service, clock: FrozenClock) -> Service:
    """Centres admitted on days over two years (their sessions planned then and left
    unrecorded), one eligible to deepen, one due for renewal, some due to take a training
    up; the trainings offered. In the outbox already: what a tick after Easter materialises,
    and every third due of some rules, written as a tick would have (the tick mark after
    them: the clock went back since)."""
    clock.set(at(date(2024, 1, 8)))
    coach = str(service.registry.add_coach("Lena Sommer", "lena@example.org", "65"))
    admitted = [
        date(2024, 1, 8),  # deepened on 15 May 2025: its renewal is due on 15 April
        date(2024, 4, 15),  # a site visit held: may deepen from 15 April
        date(2025, 6, 2),  # takes Fachkraft up by 2 June: due on Saturday 2 May
        date(2025, 10, 6),
        date(2025, 11, 5),
        date(2025, 12, 3),
        date(2026, 1, 26),  # Auftakt by 26 April
        date(2026, 2, 2),
        date(2026, 3, 4),
        date(2026, 3, 11),
    ]
    centres = []
    for number, day in enumerate(admitted):
        clock.set(at(day))
        given = CentreInput(f"Kita {number}", "jena", f"kita{number}@example.org", coach=coach)
        centre = service.registry.add_centre(given, day)
        service.lifecycle.advance(centre, "admit", on=day)
        centres.append(centre)
    clock.set(at(date(2024, 9, 10)))
    service.sessions.record_visit(centres[1], date(2024, 9, 10))
    clock.set(at(date(2025, 5, 15)))
    service.lifecycle.advance(centres[0], "deepen", force=True, reason="Ausnahme")
    clock.set(NOW)
    for kind, when, seats in (
        ("auftakt", "2026-04-20", "1"),
        ("auftakt", "2026-05-18", "12"),
        ("fachkraft", "2026-05-06", "10"),
    ):
        service.trainings.add(kind, f"{kind} {when}", when, "Erfurt", seats)
    with service.runtime.unit() as repo:
        service.reminders.remind(repo, at(date(2026, 4, 7)))  # after Easter Monday
    _, gathered, _ = whole_preview(service, 45)
    told = [d for n, d in enumerate(gathered) if n % 3 == 1 and d.rule.id in SOME_TOLD]
    with service.runtime.unit() as repo:  # as if sent: a tick writes what is due by its time
        repo.outbox.add([service.reminders._mail(d, NOW) for d in told], NOW)
        last = max(d.occurrence for d in told)
        repo.outbox.set_last_tick(last, last.astimezone(BERLIN).date())
    return service


@pytest.mark.parametrize("days", [45, 14])
def test_every_page_is_the_whole_preview_cut(programme: Service, days: int) -> None:
    rt = programme.runtime
    whole, gathered, known = whole_preview(programme, days)
    total = len(whole)
    assert total > 15
    moved = [d for d in gathered if rt.send_time(d.occurrence) != d.occurrence]
    assert moved  # weekends and holidays
    assert any(d.key in known for d in gathered)
    assert programme.reminders.preview_page(days, 0, None)[0] == whole
    for offset, limit in [(0, 1), (0, 7), (3, 5), (11, 13), (total - 2, 10), (total, 5), (0, None)]:
        end = None if limit is None else offset + limit
        found = programme.reminders.preview_page(days, offset, limit)
        assert found == (whole[offset:end], total), (offset, limit)


def test_the_programme_has_every_kind_of_due_and_ties(programme: Service) -> None:
    """What the comparison above covers: each rule the programme gives, dues of different
    rules going out at the same time, and dues already in the outbox."""
    whole, gathered, known = whole_preview(programme, 45)
    rules = {d.rule.id for d, _, _ in whole}
    assert rules >= {
        "session_upcoming",
        "session_unrecorded",
        "session_unrecorded_office",
        "visit_upcoming",
        "training_deadline",
        "eligible",
        "renewal_due",
    }
    times: dict[datetime, set[str]] = {}
    for due, _, _ in whole:
        times.setdefault(due.occurrence, set()).add(due.rule.id)
    assert any(len(ids) > 1 for ids in times.values())
    assert {d.rule.id for d in gathered if d.key in known} == set(SOME_TOLD)


def test_a_page_reads_about_what_it_shows(
    programme: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page of two reads a batch of at most two activities per repetition of a rule (one
    more where the outbox holds some of them), not every activity of the days ahead."""
    read: list[int] = []
    dated = Repository.activities_dated

    def counted(self: Repository, *args: Any, **kwargs: Any) -> Any:
        found = dated(self, *args, **kwargs)
        read.append(len(found))
        return found

    whole, _, _ = whole_preview(programme, 45)
    reminders = programme.runtime.workflow.reminders
    repetitions = sum(len(r.offsets()) for r in reminders if r.follows == Follows.ACTIVITY)
    monkeypatch.setattr(Repository, "activities_dated", counted)
    assert programme.reminders.preview_page(45, 0, 2) == (whole[:2], len(whole))
    assert max(read) <= 2
    assert len(read) <= 2 * repetitions
    assert sum(read) < len([d for d, _, _ in whole if d.rule.follows == Follows.ACTIVITY]) / 3


def test_a_page_makes_the_dues_of_the_rows_it_takes(
    programme: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each stream makes its dues part by part (`parts`: 8 rows, then 16, ...) as the page
    takes them, not of every row it read: a page of a large programme reads 50 rows of each
    rule and shows 50 mails of all of them."""
    read: list[int] = []
    made: list[int] = []
    dated, activity_dues = Repository.activities_dated, ReminderService._activity_dues

    def reading(self: Repository, *args: Any, **kwargs: Any) -> Any:
        found = dated(self, *args, **kwargs)
        read.append(len(found))
        return found

    def making(g: Any, rule: Any, number: int, found: Any) -> Any:
        made.append(len(found))
        return activity_dues(g, rule, number, found)

    whole, _, _ = whole_preview(programme, 45)
    monkeypatch.setattr(Repository, "activities_dated", reading)
    monkeypatch.setattr(ReminderService, "_activity_dues", staticmethod(making))
    assert programme.reminders.preview_page(45, 0, 20) == (whole[:20], len(whole))
    assert max(read) > FIRST_PART  # a rule with more rows than a first part
    assert max(made) <= FIRST_PART * 2
    assert sum(made) < sum(read)


def test_a_tick_that_commits_while_the_preview_counts_is_counted(
    programme: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview looks the outbox's keys up only for the days up to the last one a tick
    noted. On PostgreSQL a tick may commit between reading that day and counting: its keys,
    of later days, would be counted as not written. The preview then reads the day again,
    finds it moved and counts once more."""
    whole, _, _ = whole_preview(programme, 45)
    with programme.runtime.unit() as repo:
        mark = repo.outbox.written_through()
    assert mark is not None
    reads = []
    real = OutboxStore.written_through

    def ticked_meanwhile(self: OutboxStore) -> date | None:
        reads.append(1)  # the first read is from before the tick that wrote the keys
        return mark - timedelta(days=30) if len(reads) == 1 else real(self)

    monkeypatch.setattr(OutboxStore, "written_through", ticked_meanwhile)
    assert programme.reminders.preview_page(45, 0, 3) == (whole[:3], len(whole))
    assert len(reads) == 4  # before and after the first count, before and after the second


def outbox_lookups(service: Service, work: Callable[[], object]) -> list[str]:
    """The statements ``work`` runs that look the outbox's keys up one row at a time."""
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if KEY_LOOKUP.search(statement):
            statements.append(statement)

    engine = service.runtime.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return statements


def test_after_a_tick_the_preview_looks_up_no_key_of_the_days_after_it(
    programme: Service, clock: FrozenClock
) -> None:
    """A tick notes the last day of the occurrences it wrote (forward only). The preview looks
    the outbox's keys up only for the days up to it: after a tick, for none of the days it
    shows (on a large programme a day's dues are thousands of lookups)."""
    later = at(date(2026, 5, 13))  # a Wednesday, after every due the fixture wrote
    clock.set(later)
    with programme.runtime.unit() as repo:
        report = programme.reminders.remind(repo, later)
        noted = repo.outbox.written_through()
    assert report.new
    assert noted is not None
    assert noted <= later.date()  # the last day of what it wrote, not the one after
    whole, _, _ = whole_preview(programme, 45)
    assert len(whole) > 10
    found: list[object] = []
    assert not outbox_lookups(
        programme, lambda: found.append(programme.reminders.preview_page(45, 0, 10))
    )
    assert found == [(whole[:10], len(whole))]


def test_before_a_tick_noted_a_day_the_day_after_the_tick_marks_counts(
    programme: Service,
) -> None:
    """A database whose ticks noted no day (an earlier version's): the keys of the days up to
    the day after the tick mark's are looked up, as before; the next tick notes that day if
    it wrote nothing later."""
    rt = programme.runtime
    with rt.engine.begin() as connection:  # as an earlier version left it
        connection.execute(delete(state).where(state.c.name == WRITTEN_THROUGH))
    with rt.unit() as repo:
        mark = repo.outbox.last_tick()
    assert mark is not None
    whole, _, known = whole_preview(programme, 45)
    assert known
    assert outbox_lookups(programme, lambda: programme.reminders.preview_page(45, 0, 5)), (
        "the keys of the days up to the mark's are looked up"
    )
    assert programme.reminders.preview_page(45, 0, None) == (whole, len(whole))
    with rt.unit() as repo:
        programme.reminders.remind(repo, rt.clock.now())  # the clock is behind the mark
        assert repo.outbox.written_through() == mark.astimezone(BERLIN).date() + timedelta(1)


def test_the_preview_and_a_tick_read_only_the_coaches_their_mails_name(
    programme: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not every coach of the programme (thousands in a large one): the coaches of the
    dues found, once each."""
    for n in range(3):
        programme.registry.add_coach(f"Frei {n}", f"frei{n}@example.org", "60")
    whole, _, _ = whole_preview(programme, 45)
    coaches = [d.context.get("coach") for d, _, _ in whole]
    named = {c.id for c in coaches if isinstance(c, Coach)}
    asked: list[set[int]] = []
    by_id = Repository.coaches_by_id

    def recorded(self: Repository, coach_ids: Any) -> Any:
        asked.append(set(coach_ids))
        return by_id(self, asked[-1])

    def everyone(self: Repository) -> Any:
        raise AssertionError("every coach read")

    monkeypatch.setattr(Repository, "coaches_by_id", recorded)
    monkeypatch.setattr(Repository, "coaches", everyone)
    assert programme.reminders.preview_page(45, 0, None)[0] == whole
    assert named
    assert set().union(*asked) == named
    assert sum(len(ids) for ids in asked) == len(named)  # each once
    with programme.runtime.unit() as repo:
        programme.reminders.remind(repo, programme.runtime.clock.now())
