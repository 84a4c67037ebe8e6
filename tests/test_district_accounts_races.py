"""The districts' accounts kept on write when refreshes and writers meet: a year's first
view while another year's refresh deletes the marks, two views of a year at once, a refresh
that read earlier writing after one that read later; and what only PostgreSQL shows: a
German collation, sums above 32 bits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, text, update

from tests.conftest import BERLIN, file_mail
from tests.databases import Databases
from tests.test_budget_warnings_fast_path import TODAY, YEAR, Programme, change, serving
from tests.test_district_accounts_kept import HELD, ONE, from_digest, kept
from thekiz_flow.accounts.districts import CentreAccount, DistrictOverview
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.model import Workflow
from thekiz_flow.service import Service
from thekiz_flow.service.digest import DigestService
from thekiz_flow.store.district_accounts import AccountRow, DistrictAccounts
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.tables import centres, corrections

pytestmark = pytest.mark.backends("sqlite", "postgresql")
WAIT = 20  # seconds a thread waits for the other at most


def another(engine: Engine, workflow: Workflow, folder: Path) -> Service:
    """A second service on the same database (another process's, as it were)."""
    clock = FrozenClock(noon(TODAY, BERLIN))
    return Service(engine, workflow, clock, BERLIN, actor="test", mail=file_mail(folder))


@contextmanager
def in_thread(work: Callable[[], object]) -> Iterator[list[BaseException]]:
    """``work`` in a thread of its own, joined at the end; what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # the test reads it
            raised.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield raised
    finally:
        thread.join(2 * WAIT)


def pausing_reads(
    mine: threading.local, flag: str, read: threading.Event, go: threading.Event
) -> Callable[[DigestService, int, Sequence[int] | None], object]:
    """The digest's reading of centre years, which in a thread that set ``flag`` on
    ``mine`` says it has read (``read``) and waits for ``go`` before it goes on."""
    centre_years = DigestService.centre_years

    def reading(self: DigestService, year: int, ids: Sequence[int] | None) -> object:
        rows = centre_years(self, year, ids)
        if getattr(mine, flag, False):
            read.set()
            assert go.wait(WAIT)
        return rows

    return reading


Figures = tuple[DistrictOverview, list[CentreAccount]]


def settled(service: Service, monkeypatch: pytest.MonkeyPatch) -> tuple[Figures, Figures]:
    """With every patch undone: the figures kept for the year, and the digest's."""
    monkeypatch.undo()
    return kept(service, YEAR), from_digest(service, YEAR)


def test_a_year_s_first_view_keeps_the_marks_written_while_it_reads(
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A year figured whole holds its place among the states: another year's refresh,
    which deletes the marks every state has figured in, keeps the one written meanwhile, and
    the next view figures it in."""
    read, go = threading.Event(), threading.Event()
    mine = threading.local()
    pausing = pausing_reads(mine, "pauses", read, go)
    programme: Programme = [("basisbegleitung", [], [HELD])]
    with serving(databases, backend, tmp_path, workflow, programme) as (engine, service):
        kept(service, YEAR - 1)  # the year before has a state
        monkeypatch.setattr(DigestService, "centre_years", pausing)
        other = another(engine, workflow, tmp_path / "other")

        def first_view() -> None:
            mine.pauses = True
            other.districts.refresh(YEAR)

        with in_thread(first_view) as raised:
            assert read.wait(WAIT)
            change(engine, [("hours", 0, 4, date(YEAR, 1, 1), "")], 1)  # 8 hours become 5
            service.districts.refresh(YEAR - 1)
            go.set()
        assert raised == []
        shown, digest = settled(service, monkeypatch)
        assert shown == digest


def test_two_first_views_of_a_year_at_once_write_one_after_the_other(
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both read, then both write: the second waits for the first's turn and leaves its
    figures (no duplicate rows, no error)."""
    both = threading.Barrier(2, timeout=WAIT)
    centre_years, figured = DigestService.centre_years, DistrictAccounts.figured
    first = threading.Lock()

    def both_read(self: DigestService, year: int, ids: Sequence[int] | None) -> object:
        rows = centre_years(self, year, ids)
        both.wait()
        return rows

    def slow(self: DistrictAccounts, year: int, rules: str, last: int) -> None:
        figured(self, year, rules, last)
        if first.acquire(blocking=False):
            time.sleep(1)  # the first writer's transaction stays open a moment

    monkeypatch.setattr(DigestService, "centre_years", both_read)
    monkeypatch.setattr(DistrictAccounts, "figured", slow)
    programme: Programme = [("basisbegleitung", [], [HELD])] * 3
    with serving(databases, backend, tmp_path, workflow, programme) as (engine, service):
        other = another(engine, workflow, tmp_path / "other")
        with in_thread(lambda: other.districts.overview(YEAR)) as raised:
            service.districts.overview(YEAR)
        assert raised == []
        shown, digest = settled(service, monkeypatch)
        assert shown == digest


def test_a_refresh_that_read_earlier_never_writes_over_one_that_read_later(
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first reads 3 hours; a writer makes them 5; the second reads them and writes,
    and while its transaction is still open the first goes on to write: it waits for the
    second's turn and then leaves its figures."""
    first_read, go = threading.Event(), threading.Event()
    figured = DistrictAccounts.figured
    mine = threading.local()
    pausing = pausing_reads(mine, "first", first_read, go)

    def figuring(self: DistrictAccounts, year: int, rules: str, last: int) -> None:
        figured(self, year, rules, last)
        if not getattr(mine, "first", False) and first_read.is_set():
            go.set()  # the first writes now, before this transaction commits
            time.sleep(1)

    with serving(databases, backend, tmp_path, workflow, ONE) as (engine, service):
        kept(service, YEAR)
        change(engine, [("hours", 0, 2, date(YEAR, 1, 1), "")], 1)  # 3 hours
        monkeypatch.setattr(DigestService, "centre_years", pausing)
        monkeypatch.setattr(DistrictAccounts, "figured", figuring)
        other = another(engine, workflow, tmp_path / "other")

        def earlier() -> None:
            mine.first = True
            other.districts.refresh(YEAR)

        with in_thread(earlier) as raised:
            assert first_read.wait(WAIT)
            change(engine, [("hours", 0, 4, date(YEAR, 1, 1), "")], 1)  # 5 hours
            service.districts.refresh(YEAR)
        assert raised == []
        shown, digest = settled(service, monkeypatch)
        assert shown == digest
        assert [c.hours for c in shown[1]] == [5]


def test_a_revert_deleted_is_figured_in(
    databases: Databases, backend: str, workflow: Workflow, tmp_path: Path
) -> None:
    """The corrections are kept, but should one go, its centre is marked too."""
    reverted: Programme = [
        ("vertiefungsbegleitung", [("vertiefungsbegleitung", date(YEAR - 1, 6, 1), True)], [HELD])
    ]
    with serving(databases, backend, tmp_path, workflow, reverted) as (engine, service):
        before = kept(service, YEAR)
        with engine.begin() as conn:
            conn.execute(delete(corrections).where(corrections.c.centre_id == 1))
        assert kept(service, YEAR) == from_digest(service, YEAR) != before


def german(conn: Connection) -> None:
    """The names in the collation of a German database (ICU's, as PostgreSQL has it)."""
    conn.execute(
        text('ALTER TABLE district_accounts ALTER COLUMN name TYPE varchar(200) COLLATE "de-x-icu"')
    )


@pytest.mark.backends("postgresql")
def test_a_district_s_centres_are_in_the_files_order_whatever_the_collation(
    databases: Databases, backend: str, workflow: Workflow, tmp_path: Path
) -> None:
    """On a database whose collation is German ("Ähre" before "apfel" before "Birne"), the
    page lists a district's centres in the order of the files (the characters' code points)."""
    programme: Programme = [("basisbegleitung", [], [HELD])] * 3
    with serving(databases, backend, tmp_path, workflow, programme) as (engine, service):
        with engine.begin() as conn:
            german(conn)
            for number, name in enumerate(["apfel", "Birne", "Ähre"], start=1):
                conn.execute(update(centres).where(centres.c.id == number).values(name=name))
        shown = [c.name for c in kept(service, YEAR)[1]]
        assert (
            shown == [c.name for c in from_digest(service, YEAR)[1]] == ["Birne", "apfel", "Ähre"]
        )


def test_a_district_s_sums_go_beyond_32_bits(
    databases: Databases, backend: str, tmp_path: Path
) -> None:
    """4,400 centres a whole year in a stage of 5,000 € make 22 million euros: more cents
    than a 32-bit integer holds."""
    rows = [
        AccountRow(n, "Jena", f"Kita {n}", "basisbegleitung", "basisbegleitung", 0, 0, 0, 500_000)
        for n in range(1, 4401)
    ]
    with databases.database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                DistrictAccounts(conn).replace(2025, None, rows)
                (total,) = DistrictAccounts(conn).totals(2025)
        finally:
            engine.dispose()
    assert total.budget == 4400 * 500_000
