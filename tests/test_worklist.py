"""What needs the office's attention today (the start page and the monthly overview mail),
and a coach's sessions to record and to come."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import BERLIN, TODAY
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus, Recipient
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.service import Service
from thekiz_flow.service.overview import BUDGET_WARNING, GROUPS, SEATS_AHEAD, VISITS_AHEAD

ADMITTED = date(2026, 1, 5)


def programme(service: Service, clock: FrozenClock) -> dict[str, int]:
    """Two admitted centres of an expensive coach (one has spent 120 % of its year's budget,
    the other 60 %), one interested centre of a cheap coach, one without a coach; two failed
    mails."""
    clock.set(noon(ADMITTED, BERLIN))
    dear = str(service.registry.add_coach("Paul Winter", "paul@example.org", "1000"))
    cheap = str(service.registry.add_coach("Lena Sommer", "lena@example.org", "60"))
    ids = {
        "spent": service.registry.add_centre(
            CentreInput("Kita Sonne", "Jena", "s@example.org", coach=dear)
        ),
        "saving": service.registry.add_centre(
            CentreInput("Kita Mond", "Gera", "m@example.org", coach=dear)
        ),
        "ready": service.registry.add_centre(
            CentreInput("Kita Stern", "Erfurt", "st@example.org", coach=cheap)
        ),
        "alone": service.registry.add_centre(CentreInput("Kita Wolke", "Suhl", "w@example.org")),
    }
    for key in ("spent", "saving"):
        service.lifecycle.advance(ids[key], "admit", on=ADMITTED)
    clock.set(noon(TODAY, BERLIN))
    held = {"spent": ("3", "3"), "saving": ("3",)}  # 6,000 and 3,000 of 5,000 EUR
    for key, hours in held.items():
        for session, given in zip(sessions(service, ids[key]), hours, strict=False):
            service.sessions.record(str(session.id), session.date, given)
    now = service.runtime.clock.now()
    failed = [
        NewMail(
            f"test:{n}",
            "test",
            Recipient.OFFICE,
            "f@example.org",
            f"Nachricht {n}",
            "",
            "",
            now,
            status=OutboxStatus.FAILED,
            problem="Postfach voll",
        )
        for n in range(2)
    ]
    with service.runtime.unit() as repo:
        repo.outbox.add(failed, now)
    return ids


def sessions(service: Service, centre: int) -> list[Activity]:
    return list(
        service.overview.activities(
            ActivityFilter(
                centre_id=centre, kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
            )
        )
    )


def test_each_group_is_cut_and_counted_whole(service: Service, clock: FrozenClock) -> None:
    programme(service, clock)
    whole = service.overview.worklist(TODAY)
    cut = service.overview.worklist(TODAY, 1)
    for name in GROUPS:
        full, short = getattr(whole, name), getattr(cut, name)
        assert short.total == full.total == len(full.items), name
        assert short.items == full.items[:1], name
        assert short.cut == (full.total > 1), name
    assert whole.unrecorded.total > 1
    assert whole.failed.total == 2
    one = service.overview.worklist(TODAY, 1, ["unrecorded"])
    assert one.unrecorded == whole.unrecorded
    assert one.failed.items == whole.failed.items[:1]


def test_sessions_nobody_recorded_and_visits_due(service: Service, clock: FrozenClock) -> None:
    ids = programme(service, clock)
    work = service.overview.worklist(TODAY)
    before = {
        a.id
        for a in service.overview.activities(
            ActivityFilter(kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED, last=TODAY)
        )
        if a.date < TODAY
    }
    assert {d.activity.id for d in work.unrecorded.items} == before
    assert {d.centre.id for d in work.unrecorded.items} == {ids["spent"], ids["saving"]}
    assert {d.coach for d in work.unrecorded.items} == {"Paul Winter"}
    dates = [d.activity.date for d in work.unrecorded.items]
    assert dates == sorted(dates)
    assert max(dates) < TODAY
    planned = ActivityFilter(kind=ActivityKind.SITE_VISIT, status=ActivityStatus.PLANNED)
    last, later = [v.id for v in service.overview.activities(planned)]  # one per admitted centre
    with service.runtime.unit() as repo:  # the last day due, and the day after
        repo.activities.update(last, date=TODAY + VISITS_AHEAD)
        repo.activities.update(later, date=TODAY + VISITS_AHEAD + timedelta(days=1))
    work = service.overview.worklist(TODAY)
    assert [d.activity.id for d in work.visits.items] == [last]
    upcoming = service.overview.activities(
        ActivityFilter(status=ActivityStatus.PLANNED, first=TODAY, last=TODAY + timedelta(30))
    )
    assert [d.activity for d in work.upcoming.items] == upcoming


def test_budget_warnings_are_the_centres_year_budgets(service: Service, clock: FrozenClock) -> None:
    ids = programme(service, clock)
    work = service.overview.worklist(TODAY)
    assert [(w.centre.id, w.percent) for w in work.budget.items] == [(ids["spent"], 120)]
    for centre in service.registry.centres():  # each one's budget, read on its own
        figures = service.overview.budget(centre.id)
        warned = figures.budget > 0 and figures.spent * 100 >= figures.budget * BUDGET_WARNING
        assert warned == (centre.id == ids["spent"]), centre.name
    assert service.overview.budget(ids["saving"]).spent * 100 == 60 * 5000


def test_centres_ready_for_their_next_step(service: Service, clock: FrozenClock) -> None:
    ids = programme(service, clock)
    work = service.overview.worklist(TODAY)
    assert [(e.centre.id, e.trigger) for e in work.eligible.items] == [(ids["ready"], "admit")]


def test_trainings_with_free_seats_soon_or_a_waiting_list(
    service: Service, clock: FrozenClock
) -> None:
    ids = programme(service, clock)
    soon, later = TODAY + timedelta(days=7), TODAY + SEATS_AHEAD + timedelta(days=7)
    add = service.trainings.add
    free_soon = add("reflexion", "Reflexion frei", soon.isoformat(), "Jena", "3")
    full_soon = add("reflexion", "Reflexion voll", soon.isoformat(), "Jena", "1")
    free_later = add("fachtag", "Fachtag frei", later.isoformat(), "Erfurt", "5")
    waiting_later = add("fachtag", "Fachtag Warteliste", later.isoformat(), "Gera", "1")
    add("fachtag", "Fachtag vorbei", (TODAY - timedelta(days=1)).isoformat(), "Gera", "9")
    service.trainings.enrol(free_soon, ids["spent"])
    service.trainings.enrol(full_soon, ids["spent"])
    for key in ("spent", "saving"):
        service.trainings.enrol(waiting_later, ids[key])
    work = service.overview.worklist(TODAY)
    found = {(o.training.id, o.free, o.waiting) for o in work.trainings.items}
    assert found == {(free_soon, 2, 0), (waiting_later, 0, 1)}
    assert free_later not in {o.training.id for o in work.trainings.items}
    assert work.trainings.total == 2
    first = service.overview.worklist(TODAY, 1).trainings
    assert (first.items, first.total) == (work.trainings.items[:1], 2)


def test_a_training_called_off_has_no_seats_to_fill(service: Service, clock: FrozenClock) -> None:
    """Its seats are free again, its waiting list cancelled: not a training to fill."""
    ids = programme(service, clock)
    soon = TODAY + timedelta(days=7)
    add = service.trainings.add
    called_off = add("reflexion", "Reflexion abgesagt", soon.isoformat(), "Jena", "1")
    kept = add("reflexion", "Reflexion", soon.isoformat(), "Gera", "3")
    for key in ("spent", "saving"):
        service.trainings.enrol(called_off, ids[key])
    service.trainings.cancel(called_off, "Referentin erkrankt")
    work = service.overview.worklist(TODAY)
    assert [(o.training.id, o.free) for o in work.trainings.items] == [(kept, 3)]
    assert work.trainings.total == 1


def test_the_monthly_overview_lists_the_worklist_whole(
    service: Service, clock: FrozenClock
) -> None:
    programme(service, clock)
    work = service.overview.worklist(TODAY)
    context = service.digest.overview_context(TODAY)
    for name in ("unrecorded", "eligible", "budget", "failed", "upcoming"):
        assert len(context[name]) == getattr(work, name).total, name  # type: ignore[arg-type]
    assert context["budget"] == [
        {"centre": "Kita Sonne (Jena)", "centre_id": work.budget.items[0].centre.id, "percent": 120}
    ]
    assert context["failed"][0] == {  # type: ignore[index]
        "id": work.failed.items[0].id,
        "recipient": "f@example.org",
        "subject": "Nachricht 0",
        "error": "Postfach voll",
    }


def test_a_coach_s_sessions_to_record_and_to_come(service: Service, clock: FrozenClock) -> None:
    ids = programme(service, clock)
    (paul,) = [c for c in service.registry.coaches() if c.name == "Paul Winter"]
    day = service.overview.coach_day(paul.id, TODAY, 2)
    mine = [a for key in ("spent", "saving") for a in sessions(service, ids[key])]
    before = sorted((a for a in mine if a.date < TODAY), key=lambda a: (a.date, a.id))
    ahead = sorted(
        (a for a in mine if TODAY <= a.date <= TODAY + timedelta(days=30)),
        key=lambda a: (a.date, a.id),
    )
    assert [d.activity for d in day.unrecorded.items] == before[:2]
    assert (day.unrecorded.total, day.upcoming.total) == (len(before), len(ahead))
    assert [d.activity for d in day.upcoming.items] == ahead[:2]
    assert day.last == TODAY + timedelta(days=30)
    (lena,) = [c for c in service.registry.coaches() if c.name == "Lena Sommer"]
    assert service.overview.coach_day(lena.id, TODAY).unrecorded.total == 0


def test_budget_warnings_of_centres_that_changed_stage_in_the_year(
    service: Service, clock: FrozenClock
) -> None:
    """A centre in its stage since before the year's first mid-month has a whole year of its
    budget; the others' budgets come from their trails (admitted in April: nine months; a
    pause in February: no budget that month; a change withdrawn counts for nothing). Each
    warning is what the centre's own budget says."""
    clock.set(noon(date(2025, 3, 3), BERLIN))
    dear = str(service.registry.add_coach("Paul Winter", "paul@example.org", "1000"))

    def admitted(name: str, on: date) -> int:
        clock.set(noon(on, BERLIN))
        centre = service.registry.add_centre(
            CentreInput(name, "Jena", "k@example.org", coach=dear), on
        )
        service.lifecycle.advance(centre, "admit", on=on)
        return centre

    paused = admitted("Kita Pause", date(2025, 3, 3))
    clock.set(noon(date(2026, 2, 2), BERLIN))
    service.lifecycle.advance(paused, "pause", on=date(2026, 2, 2))
    clock.set(noon(date(2026, 3, 2), BERLIN))
    service.lifecycle.advance(paused, "resume", on=date(2026, 3, 2))
    april = admitted("Kita April", date(2026, 4, 1))
    withdrawn = admitted("Kita Zurück", date(2026, 4, 1))
    clock.set(noon(date(2026, 4, 2), BERLIN))
    service.lifecycle.advance(withdrawn, "pause", on=date(2026, 4, 2))
    service.reverts.revert(withdrawn, "versehentlich")
    clock.set(noon(TODAY, BERLIN))
    for centre, count in ((paused, 1), (april, 1), (withdrawn, 2)):
        due = [s for s in sessions(service, centre) if s.date.year == TODAY.year]
        for session in [s for s in due if s.date < TODAY][:count]:
            service.sessions.record(str(session.id), session.date, "3")
    work = service.overview.worklist(TODAY)
    expected = []
    for centre in (paused, april, withdrawn):
        figures = service.overview.budget(centre)
        assert figures.spent > 0, centre
        if figures.budget > 0 and figures.spent * 100 >= figures.budget * BUDGET_WARNING:
            expected.append((centre, int(figures.spent * 100 / figures.budget)))
    found = [(w.centre.id, w.percent) for w in work.budget.items]
    assert found == sorted(expected, key=lambda w: (-w[1], w[0]))
    assert len(found) == 2  # April: 3,000 of 3,750 EUR, 80 %; the other: 6,000 of 3,750
