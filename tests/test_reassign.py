"""A centre that gets another coach: its planned sessions and visits go with it, both coaches'
calendar feeds change, reminders to the former coach not yet sent are withdrawn."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any

import pytest
from icalendar import Calendar, Component
from sqlalchemy import Engine, text

from tests.cli_helpers import Run, dump
from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus, Recipient
from thekiz_flow.core.model import Activity, ActivityFilter, CentreEdit, CentreInput
from thekiz_flow.core.outbox import NewMail, OutboxRow
from thekiz_flow.service import Service
from thekiz_flow.service.invitations import CANCEL_RULE, RULE
from thekiz_flow.store.outbox import OutboxStore

ADMITTED = date(2025, 1, 6)  # a Monday: sessions on the first Monday of each month
TODAY = date(2025, 3, 31)  # the session of 7 April is reminded of today (7 days before)
OLD, NEW = "alt@example.org", "neu@example.org"

INVITATIONS = (RULE, CANCEL_RULE)  # the calendar invitations: tested on their own


def morning(day: date) -> datetime:
    return datetime.combine(day, time(9), BERLIN)


def programme(service: Service, clock: FrozenClock) -> int:
    """A centre admitted on 6 January 2025 with coach 1 (Anna Alt, 60 EUR); coach 2 (Nora
    Neu, 70 EUR). It held its March session; the clock stands at 31 March, 09:00."""
    clock.set(morning(ADMITTED))
    service.registry.add_coach("Anna Alt", OLD, "60")
    service.registry.add_coach("Nora Neu", NEW, "70")
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "Gera", "kita@example.org", "", "1")
    )
    service.lifecycle.advance(centre, "admit")
    clock.set(morning(TODAY))
    march = session_on(service, centre, date(2025, 3, 3))
    service.sessions.record(str(march.id), march.date, "3")
    return centre


def sessions(
    service: Service, centre: int, kind: ActivityKind = ActivityKind.COACHING
) -> list[Activity]:
    return service.overview.activities(ActivityFilter(centre_id=centre, kind=kind))


def session_on(service: Service, centre: int, day: date) -> Activity:
    (found,) = [a for a in sessions(service, centre) if a.date == day]
    return found


def remind(service: Service, clock: FrozenClock, day: date) -> None:
    """Write what is due on ``day`` into the outbox, as a tick does, without sending it."""
    clock.set(morning(day))
    with service.runtime.unit() as repo:
        service.reminders.remind(repo, clock.now())


def feed(service: Service, token: str) -> dict[str, Component]:
    calendar = Calendar.from_ical(service.feeds.calendar(token))
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def sequence_of(event: Component) -> int:
    return int(str(event["SEQUENCE"]))


def uid(activity: Activity) -> str:
    return f"activity-{activity.id}@thekiz-flow"


def revisions(service: Service, centre: int) -> dict[int, int]:
    with service.runtime.engine.connect() as connection:  # no store returns the revision itself
        rows = connection.exec_driver_sql(
            f"SELECT id, revision FROM activities WHERE centre_id = {centre}"
        )
        return {int(i): int(r) for i, r in rows}


def test_the_sessions_still_planned_go_to_the_new_coach(
    service: Service, clock: FrozenClock
) -> None:
    centre = programme(service, clock)
    cancelled = session_on(service, centre, date(2025, 5, 5))
    service.sessions.cancel(cancelled.id, "Leitung erkrankt")
    before = revisions(service, centre)

    done = service.registry.assign_coach(centre, NEW)

    assert service.registry.centre(centre)[0].coach_id == 2
    by_day = {a.date: a for a in sessions(service, centre)}
    kept = [a for a in by_day.values() if a.date < TODAY or a.status != ActivityStatus.PLANNED]
    moved = [a for a in by_day.values() if a.date >= TODAY and a.status == ActivityStatus.PLANNED]
    assert by_day[date(2025, 3, 3)].status == ActivityStatus.HELD
    assert by_day[date(2025, 5, 5)].status == ActivityStatus.CANCELLED
    assert (
        by_day[date(2025, 2, 3)].status == ActivityStatus.PLANNED
    )  # past, unrecorded: the former coach's
    assert {(a.coach_id, a.rate) for a in kept} == {(1, Decimal("60"))}
    assert len(moved) == 20  # 24 months from January: 3 before today, one cancelled
    assert {(a.coach_id, a.rate) for a in moved} == {(2, Decimal("70"))}
    (visit,) = sessions(service, centre, ActivityKind.SITE_VISIT)
    assert visit.date >= TODAY
    after = revisions(service, centre)
    raised = {i for i in after if after[i] == before[i] + 1}
    assert raised == {a.id for a in moved} | {visit.id}
    assert {i for i in after if after[i] != before[i]} == raised
    assert (done.moved, done.withdrawn) == (21, 0)


def test_both_feeds_change_and_change_back(service: Service, clock: FrozenClock) -> None:
    centre = programme(service, clock)
    _, old_token = service.feeds.create("1")
    _, new_token = service.feeds.create("2")
    april = session_on(service, centre, date(2025, 4, 7))
    march = session_on(service, centre, date(2025, 3, 3))
    (visit,) = sessions(service, centre, ActivityKind.SITE_VISIT)
    old = feed(service, old_token)
    assert str(old[uid(april)]["STATUS"]) == "CONFIRMED"
    assert uid(visit) in old
    assert feed(service, new_token) == {}
    sequence = sequence_of(old[uid(april)])

    service.registry.assign_coach(centre, "2")

    old, new = feed(service, old_token), feed(service, new_token)
    for item in (april, visit):
        assert str(old[uid(item)]["STATUS"]) == "CANCELLED"
        assert str(new[uid(item)]["STATUS"]) == "CONFIRMED"
    assert sequence_of(old[uid(april)]) == sequence_of(new[uid(april)]) == sequence + 1
    assert str(old[uid(april)]["SUMMARY"]) == "Begleitung: Kita Pusteblume (abgesagt)"
    assert "an eine andere Prozessbegleitung übergeben" in str(old[uid(april)]["DESCRIPTION"])
    assert str(old[uid(march)]["STATUS"]) == "CONFIRMED"  # held: still the former coach's
    assert uid(march) not in new
    planned = [
        a
        for a in sessions(service, centre)
        if a.status == ActivityStatus.PLANNED and a.date >= TODAY
    ]
    assert set(new) == {uid(a) for a in [*planned, visit]}

    clock.advance(timedelta(days=1))
    service.registry.assign_coach(centre, OLD)  # and back

    old, new = feed(service, old_token), feed(service, new_token)
    assert str(old[uid(april)]["STATUS"]) == "CONFIRMED"
    assert str(new[uid(april)]["STATUS"]) == "CANCELLED"
    assert sequence_of(old[uid(april)]) == sequence_of(new[uid(april)]) == sequence + 2
    assert set(old) == set(new) | {uid(march)}  # a feed reaches eight weeks back

    service.registry.assign_coach(centre, NEW)  # and over again

    old, new = feed(service, old_token), feed(service, new_token)
    assert (str(old[uid(april)]["STATUS"]), str(new[uid(april)]["STATUS"])) == (
        "CANCELLED",
        "CONFIRMED",
    )


def test_a_handed_over_session_leaves_the_old_feed_with_other_cancellations(
    service: Service, clock: FrozenClock
) -> None:
    centre = programme(service, clock)
    _, token = service.feeds.create("1")
    april = session_on(service, centre, date(2025, 4, 7))
    service.registry.assign_coach(centre, "2")
    clock.advance(timedelta(weeks=8, days=1))  # cancellations are kept for eight weeks
    assert uid(april) not in feed(service, token)


def test_unsent_reminders_are_withdrawn_and_the_new_coach_gets_them(
    service: Service, clock: FrozenClock
) -> None:
    centre = programme(service, clock)
    february, april = (session_on(service, centre, date(2025, m, d)) for m, d in ((2, 3), (4, 7)))
    remind(service, clock, date(2025, 2, 6))  # February's session unrecorded (3 days after)
    remind(service, clock, TODAY)  # April's session in 7 days
    upcoming = f"session_upcoming:a{april.id}:2025-03-31:coach"
    unrecorded = f"session_unrecorded:a{february.id}:2025-02-06:coach"
    rows = {r.key: r for r in service.outbox.rows()}
    assert {rows[k].status for k in (upcoming, unrecorded)} == {OutboxStatus.PENDING}
    assert rows[upcoming].recipient == OLD

    done = service.registry.assign_coach(centre, NEW)

    assert done.withdrawn == 1
    by_id = {r.id: r for r in service.outbox.rows()}
    withdrawn = by_id[rows[upcoming].id]
    assert withdrawn.status == OutboxStatus.WITHDRAWN
    assert withdrawn.recipient == OLD
    assert (
        withdrawn.last_error == "zurückgezogen: die Einrichtung hat eine andere Prozessbegleitung"
    )
    assert (
        by_id[rows[unrecorded].id].status == OutboxStatus.PENDING
    )  # February stays with the former coach

    clock.advance(timedelta(minutes=5))
    service.ticks.tick()

    mails = [(r.key, r.recipient) for r in service.outbox.rows(OutboxStatus.SENT)]
    assert (upcoming, NEW) in mails
    assert (unrecorded, OLD) in mails
    assert not [k for k, to in mails if to == OLD and f":a{april.id}:" in k]
    service.ticks.tick()
    assert [r.key for r in service.outbox.rows() if r.key == upcoming] == [upcoming]  # once


def test_every_unsent_mail_about_the_centre_is_withdrawn(
    service: Service, clock: FrozenClock
) -> None:
    centre = programme(service, clock)
    april = session_on(service, centre, date(2025, 4, 7))
    remind(service, clock, TODAY)  # April's session in 7 days
    about_the_centre = [  # no activity in their keys: about the centre itself
        NewMail(
            f"test:{n}", "test", Recipient.COACH, OLD, f"Nachricht {n}", "", "", clock.now(), centre
        )
        for n in (1, 2)
    ]
    with service.runtime.unit() as repo:
        assert repo.outbox.add(about_the_centre, clock.now()) == 2
    unsent = [
        r
        for r in service.outbox.rows(OutboxStatus.PENDING)
        if r.role == "coach" and r.rule not in INVITATIONS
    ]
    assert len(unsent) == 3
    assert f"session_upcoming:a{april.id}:2025-03-31:coach" in {r.key for r in unsent}

    assert service.registry.assign_coach(centre, NEW).withdrawn == 3

    by_id = {r.id: r for r in service.outbox.rows()}
    assert {(by_id[r.id].status, by_id[r.id].recipient) for r in unsent} == {
        (OutboxStatus.WITHDRAWN, OLD)
    }


def test_a_mail_being_sent_is_withdrawn_and_its_dispatcher_changes_nothing(
    service: Service, clock: FrozenClock
) -> None:
    centre = programme(service, clock)
    remind(service, clock, TODAY)
    with service.runtime.unit() as repo:
        claims = repo.outbox.claim(clock.now(), timedelta(minutes=5), 10)
    (claim,) = [c for c in claims if c.mail.recipient == OLD]

    service.registry.assign_coach(centre, NEW)

    with service.runtime.unit() as repo:
        store = repo.outbox
        assert store.mark_sent([claim], clock.now()) == 0  # fenced: it was withdrawn
        row = store.get(claim.mail.id)
    assert row is not None
    assert (row.status, row.ambiguous, row.recipient) == (OutboxStatus.WITHDRAWN, True, OLD)
    clock.advance(timedelta(minutes=10))  # its lease has run out: never claimed again
    service.ticks.tick()
    coach_rows = [
        (r.recipient, r.status)
        for r in service.outbox.rows()
        if r.role == "coach" and r.rule not in INVITATIONS
    ]
    assert coach_rows == [(OLD, OutboxStatus.WITHDRAWN), (NEW, OutboxStatus.SENT)]


def test_without_a_coach_and_then_with_one(service: Service, clock: FrozenClock) -> None:
    centre = programme(service, clock)
    _, token = service.feeds.create("1")
    april = session_on(service, centre, date(2025, 4, 7))

    done = service.registry.assign_coach(centre, "keine")

    assert done.summary().startswith("Prozessbegleitung: keine; 22 geplante Termine")
    assert session_on(service, centre, april.date).coach_id is None
    assert str(feed(service, token)[uid(april)]["STATUS"]) == "CANCELLED"
    remind(service, clock, TODAY)
    (failed,) = service.outbox.rows(OutboxStatus.FAILED)
    assert (failed.recipient, failed.last_error) == ("", "keine Prozessbegleitung zugeordnet")

    service.registry.assign_coach(centre, NEW)
    clock.advance(timedelta(minutes=5))
    service.ticks.tick()

    assert service.outbox.rows(OutboxStatus.FAILED) == []
    assert [
        (r.recipient, r.status)
        for r in service.outbox.rows()
        if r.role == "coach" and r.rule not in INVITATIONS
    ] == [
        ("", OutboxStatus.WITHDRAWN),
        (NEW, OutboxStatus.SENT),
    ]


def test_editing_the_coach_follows_the_same_rule(service: Service, clock: FrozenClock) -> None:
    centre = programme(service, clock)
    remind(service, clock, TODAY)
    april = session_on(service, centre, date(2025, 4, 7))

    changed, _, done = service.registry.update_centre(
        centre, CentreEdit(coach="2", carrier="Verein")
    )

    assert (changed.coach_id, changed.carrier) == (2, "Verein")
    assert done is not None
    assert (done.moved, done.withdrawn) == (22, 1)
    assert session_on(service, centre, april.date).coach_id == 2


def test_a_failure_midway_changes_nothing(
    service: Service, clock: FrozenClock, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    centre = programme(service, clock)
    remind(service, clock, TODAY)
    service.feeds.create("1")
    before = dump(database_url)

    def broken(store: OutboxStore, rows: list[OutboxRow], reason: str) -> int:
        raise RuntimeError("Verbindung verloren")

    monkeypatch.setattr(OutboxStore, "withdraw", broken)
    with pytest.raises(RuntimeError):
        service.registry.assign_coach(centre, NEW)

    assert dump(database_url) == before


def test_the_command_line_hands_over(ready: Run) -> None:
    assert ready("coach", "add", "--name", "Nora Neu", "--email", NEW, "--rate", "70").code == 0
    assert ready("advance", "1", "admit").code == 0
    moved = ready("centre", "edit", "1", "--coach", NEW)
    assert moved.code == 0, moved.err
    assert "Prozessbegleitung: Nora Neu (neu@example.org); 25 geplante Termine übergeben" in (
        moved.out
    )
    gone = ready("centre", "assign", "1", "--coach", "keine")
    assert gone.out.startswith("Prozessbegleitung: keine; 25 geplante Termine übergeben")
    unknown = ready("centre", "edit", "1", "--coach", "99")
    assert (unknown.code, unknown.err) == (
        2,
        "Fehler: --coach: keine Prozessbegleitung '99' (Nummer, E-Mail oder Name)\n",
    )


@pytest.mark.backends("postgresql")
def test_a_handover_waits_for_a_tick_writing_reminders(
    service: Service, clock: FrozenClock
) -> None:
    """The tick read the former coach and writes to them: the handover, committed meanwhile,
    would find nothing to withdraw. It waits for the tick and then withdraws what it wrote."""
    centre = programme(service, clock)
    with ThreadPoolExecutor(1) as pool, service.runtime.unit() as repo:
        service.reminders.remind(repo, clock.now())  # the tick's transaction, still open
        handover = pool.submit(service.registry.assign_coach, centre, NEW)
        assert waiting_or_done(service.runtime.engine, handover), (
            "the handover did not wait for the tick"
        )
    # the tick's transaction commits before the pool waits for the handover
    assert handover.result().withdrawn == 1
    (row,) = [r for r in service.outbox.rows() if r.role == "coach" and r.rule not in INVITATIONS]
    assert (row.recipient, row.status) == (OLD, OutboxStatus.WITHDRAWN)


def waiting_or_done(engine: Engine, future: Future[Any], locktype: str = "advisory") -> bool:
    """True once another session waits for a lock of ``locktype`` (a row's: "transactionid",
    its holder's); False if ``future`` finished (without waiting) or nothing waited within
    ten seconds."""
    waits = text("SELECT count(*) FROM pg_locks WHERE locktype = :locktype AND NOT granted")
    deadline = monotonic() + 10
    while monotonic() < deadline and not future.done():
        with engine.connect() as other:
            if other.execute(waits, {"locktype": locktype}).scalar():
                return True
        wait([future], timeout=0.05)
    return False
