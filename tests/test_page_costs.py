"""What a page costs: the coach's report counts the coach's centres in SQL, the start page
checks the rules only for the centres it shows, the coaches list reads its loads at once,
the outbox page reads its counts kept on write."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event
from starlette.testclient import TestClient

from tests.store.helpers import NOW
from tests.test_outbox_counts import mails
from tests.web_helpers import login
from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.core.lists import CoachSearch, OutboxSearch
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service
from thekiz_flow.service.lifecycle import LifecycleService
from thekiz_flow.store.repository import Repository

COUNTING_OUTBOX = re.compile(r"count\(.*FROM outbox\b(?!_)", re.S)  # not its counts' tables


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def remember(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def centres(service: Service, count: int, coach: str | None = "1") -> list[int]:
    return [
        service.registry.add_centre(
            CentreInput(f"Kita {coach} {n}", "jena", "k@example.org", coach=coach)
        )
        for n in range(count)
    ]


def test_a_coachs_report_counts_their_centres_without_reading_any(
    service: Service, engine: Engine
) -> None:
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    service.registry.add_coach("Paul Winter", "paul@example.org", "70")
    centres(service, 3)
    centres(service, 2, "2")
    with statements(engine) as seen:
        report = service.overview.coach_report(1)
    assert report.centres == 3
    reading = [sql for sql in seen if "FROM centres" in sql]
    assert reading
    assert all("count(" in sql for sql in reading), reading


def test_the_coaches_list_reads_every_coachs_load_in_one_query(
    service: Service, engine: Engine
) -> None:
    for n in range(5):
        service.registry.add_coach(f"Coach {n}", f"c{n}@example.org", "65")
    with statements(engine) as seen:
        found = service.lists.coaches(CoachSearch(), 3)
    assert len(found.items) == 5
    assert len([sql for sql in seen if "FROM activities" in sql]) == 1


def test_the_start_page_checks_only_the_centres_it_shows(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    ready = centres(service, 7)  # interested, with a coach: each may be admitted
    checked: list[int] = []
    step = LifecycleService._step

    def counted(self: LifecycleService, facts: object, enrolments: object) -> object:
        checked.append(facts.centre.id)  # type: ignore[attr-defined]
        return step(self, facts, enrolments)  # type: ignore[arg-type]

    monkeypatch.setattr(LifecycleService, "_step", counted)
    work = service.overview.worklist(service.runtime.today(), 3)
    assert [e.centre.id for e in work.eligible.items] == ready[:3]
    assert work.eligible.total == 7
    assert checked == ready[:3]


def test_a_page_of_eligible_reads_only_its_centres(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    ids = centres(service, 7)
    every = service.lifecycle.eligible()
    checked: list[int] = []
    step = LifecycleService._step

    def counted(self: LifecycleService, facts: object, enrolments: object) -> object:
        checked.append(facts.centre.id)  # type: ignore[attr-defined]
        return step(self, facts, enrolments)  # type: ignore[arg-type]

    monkeypatch.setattr(LifecycleService, "_step", counted)
    assert service.lifecycle.eligible_page(None, 2, 3) == (every[2:5], 7)
    assert checked == ids[2:5]


def test_a_page_of_centres_is_read_by_the_store(service: Service, engine: Engine) -> None:
    centres(service, 5, None)
    with statements(engine) as seen:
        page, total = service.registry.centre_page(None, None, 1, 2)
    assert ([c.name for c in page], total) == (["Kita None 1", "Kita None 2"], 5)
    assert any("LIMIT" in sql for sql in seen)


def test_the_outbox_page_counts_its_messages_without_counting_the_outbox(
    service: Service, engine: Engine
) -> None:
    """The counts per status and the total of the whole list (or of one status) come from
    the counts kept on write; a search by anything else counts what it finds."""
    with engine.begin() as conn:
        Repository(conn, NOW).outbox.add(mails(3, False, 0) + mails(2, True, 3), NOW)
    with statements(engine) as seen:
        counts = service.outbox.counts()
        every = service.lists.outbox(OutboxSearch())
        missed = service.lists.outbox(OutboxSearch(status=OutboxStatus.MISSED))
    assert counts == {OutboxStatus.PENDING: 3, OutboxStatus.MISSED: 2}
    assert (every.total, len(every.items), missed.total, len(missed.items)) == (5, 5, 2, 2)
    assert [sql for sql in seen if COUNTING_OUTBOX.search(sql)] == []
    with statements(engine) as seen:
        found = service.lists.outbox(OutboxSearch(text="coach4@"))
    assert (found.total, [row.recipient for row in found.items]) == (1, ["coach4@example.org"])
    assert [sql for sql in seen if COUNTING_OUTBOX.search(sql)]


def test_the_retention_preview_counts_and_writes_nothing(service: Service, engine: Engine) -> None:
    """The privacy page tells what the next retention run would remove: by counting, not by
    removing it in a transaction rolled back (at 60,000 centres that took minutes)."""
    with statements(engine) as seen:
        service.privacy.retention(apply=False)
    assert seen
    assert [sql for sql in seen if sql.lstrip().split()[0] in WRITES] == []


WRITES = {"INSERT", "UPDATE", "DELETE"}


def test_an_account_s_page_reads_that_account_not_every_one(
    web: TestClient, engine: Engine
) -> None:
    login(web, "office")
    with statements(engine) as seen:
        page = web.get("/users/2")
    assert page.status_code == 200
    reads = [sql for sql in seen if re.search(r"FROM users\b", sql)]
    assert reads
    assert all("WHERE" in sql for sql in reads), reads
