"""A property: the districts' page, read from the accounts kept on write
(``DistrictService.overview`` and ``centres``), shows what the report built from the yearly
digest has (``DistrictService.report``, which the files are): the same districts with the
same totals, the same centres with the same figures and stage changes, page by page; and
the same after random writes to the rows the figures come from, of every kind a trigger of
migration 0033 marks. The programmes are those of the budget warnings' property."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select, update

from tests.databases import Databases
from tests.test_allowed_fast_path import example_folder, examples
from tests.test_budget_warnings_fast_path import (
    CENTRE,
    EDIT,
    MOMENT,
    YEAR,
    Edit,
    Programme,
    change,
    serving,
)
from thekiz_flow.accounts.districts import CentreAccount, DistrictOverview
from thekiz_flow.core import paging
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Workflow
from thekiz_flow.service import Service, districts
from thekiz_flow.service.digest import DigestService
from thekiz_flow.store import district_accounts
from thekiz_flow.store.tables import account_stale, account_years, centres

pytestmark = pytest.mark.backends("sqlite", "postgresql")

YEARS = (YEAR - 1, YEAR)
# writes to a centre's record (by number): renamed, moved to another district, registered
# a year later; or a new centre registered
RECORD = st.tuples(
    st.sampled_from(["rename", "move", "registered", "new"]), st.integers(min_value=0, max_value=5)
)


def record(engine: Engine, edits: list[tuple[str, int]], centre_count: int) -> None:
    with engine.begin() as conn:
        for n, (what, number) in enumerate(edits):
            mine = update(centres).where(centres.c.id == number % centre_count + 1)
            if what == "rename":
                conn.execute(mine.values(name=centres.c.name + f" {n}"))
            elif what == "move":
                conn.execute(mine.values(district="gotha"))
            elif what == "registered":
                conn.execute(mine.values(registered=date(YEAR, 3, 1)))
            else:
                conn.execute(
                    insert(centres).values(
                        name=f"Neu {n}",
                        district="weimar",
                        email="n@example.org",
                        stage="interessent",
                        stage_since=date(YEAR, 2, 1),
                        registered=date(YEAR, 2, 1),
                        created_at=MOMENT,
                    )
                )


def from_digest(service: Service, year: int) -> tuple[DistrictOverview, list[CentreAccount]]:
    """The report's totals and centres, district after district."""
    report = service.districts.report(year)
    return report.overview(), [c for d in report.districts for c in d.centres]


def kept(service: Service, year: int) -> tuple[DistrictOverview, list[CentreAccount]]:
    """The page's overview and every district's centres, page after page."""
    overview = service.districts.overview(year)
    shown: list[CentreAccount] = []
    for total in overview.districts:
        page = service.districts.centres(year, total, 1)
        shown += page.items
        for number in range(2, page.pages + 1):
            shown += service.districts.centres(year, total, number).items
    return overview, shown


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)


@examples(60)
@given(
    programme=st.lists(CENTRE, min_size=1, max_size=6),
    edits=st.lists(EDIT, max_size=4),
    records=st.lists(RECORD, max_size=3),
)
def test_the_page_shows_the_digest_s_accounts_before_and_after_any_writes(
    programme: Programme,
    edits: list[Edit],
    records: list[tuple[str, int]],
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
) -> None:
    folder = example_folder(tmp_path)
    with serving(databases, backend, folder, workflow, programme) as (engine, service):
        for year in YEARS:
            assert kept(service, year) == from_digest(service, year)
        change(engine, edits, len(programme))
        record(engine, records, len(programme))
        for year in YEARS:
            assert kept(service, year) == from_digest(service, year)


HELD = (ActivityStatus.HELD, ActivityKind.COACHING, date(YEAR, 3, 3), Decimal(8), Decimal(250))
PLANNED = (
    ActivityStatus.PLANNED,
    ActivityKind.COACHING,
    date(YEAR, 4, 1),
    Decimal(2),
    Decimal(100),
)
ONE: Programme = [
    (
        "vertiefungsbegleitung",
        [("vertiefungsbegleitung", date(YEAR - 1, 6, 1), False)],
        [HELD, PLANNED],
    )
]
# each kind of write to the first centre: a session's hours changed, the planned one held, a
# held one added, one deleted, a stage change recorded, one reverted; its record's
WRITES: list[Edit | tuple[str, int]] = [
    ("hours", 0, 0, date(YEAR, 1, 15), "basisbegleitung"),
    ("held", 0, 1, date(YEAR, 5, 5), "basisbegleitung"),
    ("add", 0, 3, date(YEAR, 5, 5), "basisbegleitung"),
    ("delete", 0, 0, date(YEAR, 1, 15), "basisbegleitung"),
    ("change", 0, 0, date(YEAR, 1, 1), "konsultationseinrichtung"),
    ("revert", 0, 0, date(YEAR, 1, 15), "basisbegleitung"),
    ("rename", 0),
    ("move", 0),
    ("registered", 0),
    ("new", 0),
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: str(write[0]))
def test_each_kind_of_write_is_figured_in_at_the_next_view(
    write: Edit | tuple[str, int],
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
) -> None:
    """Every write that can change an account marks its centre (migration 0033's triggers),
    on both backends: the view after it differs from the one before, as the digest does."""
    with serving(databases, backend, tmp_path, workflow, ONE) as (engine, service):
        before = kept(service, YEAR)
        if len(write) == 2:
            record(engine, [write], 1)
        else:
            change(engine, [write], 1)
        after = kept(service, YEAR)
        assert after == from_digest(service, YEAR) != before


def test_a_year_far_behind_is_figured_whole_and_the_marks_go(
    databases: Databases,
    workflow: Workflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The marks every year has figured in are deleted; a year that lags more than the
    backlog behind loses its state, and its next view figures it whole, right; the newest
    mark stays (its id is the last given)."""
    monkeypatch.setattr(district_accounts, "BACKLOG", 3)
    programme: Programme = [("basisbegleitung", [], [HELD])] * 2
    with serving(databases, "sqlite", tmp_path, workflow, programme) as (engine, service):
        for year in YEARS:
            kept(service, year)
        change(engine, [("hours", number, 0, date(YEAR, 1, 1), "") for number in range(6)], 2)
        kept(service, YEAR)  # six marks newer than the last year's: it lags behind
        with engine.connect() as conn:
            assert conn.execute(select(account_years.c.year)).scalars().all() == [YEAR]
            assert conn.execute(select(func.count()).select_from(account_stale)).scalar() == 1
        assert kept(service, YEAR - 1) == from_digest(service, YEAR - 1)


def test_more_marked_centres_than_a_part_figure_the_year_whole(
    databases: Databases, workflow: Workflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `WHOLE_ABOVE` marked centres a view figures every centre (one scan of the year
    instead of a search per part), from a year figured before: the same accounts."""
    monkeypatch.setattr(districts, "WHOLE_ABOVE", 1)
    figured: list[object] = []
    centre_years = DigestService.centre_years

    def spy(self: DigestService, year: int, centre_ids: Sequence[int] | None) -> object:
        figured.append(None if centre_ids is None else sorted(centre_ids))
        return centre_years(self, year, centre_ids)

    monkeypatch.setattr(DigestService, "centre_years", spy)
    programme: Programme = [("basisbegleitung", [], [HELD])] * 3
    with serving(databases, "sqlite", tmp_path, workflow, programme) as (engine, service):
        kept(service, YEAR)
        change(engine, [("hours", 0, 0, date(YEAR, 1, 1), "")], 3)
        kept(service, YEAR)  # one centre marked: figured alone
        change(engine, [("hours", number, 0, date(YEAR, 1, 1), "") for number in (1, 2)], 3)
        assert kept(service, YEAR) == from_digest(service, YEAR)
    assert figured == [None, [1], None]


def test_the_tick_figures_this_year_and_deletes_the_marks_no_year_needs(
    databases: Databases, workflow: Workflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick figures the accounts of this year and the year before (the page's first) up
    to the newest mark, so the page reads them as they are, and deletes every mark but the
    newest that every year's state has figured in; an older year figured once and not
    viewed again keeps the marks after it until it lags more than the backlog behind, then
    loses its state."""
    monkeypatch.setattr(district_accounts, "BACKLOG", 3)
    programme: Programme = [("basisbegleitung", [], [HELD])] * 2
    hours = ("hours", 0, 0, date(YEAR, 1, 1), "")  # marks its centre twice (before, after)

    def marks(engine: Engine) -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(account_stale)).scalar_one())

    def figured(engine: Engine) -> dict[int, int]:
        """Each year with a state: how far behind the newest mark it is."""
        with engine.connect() as conn:
            newest = conn.execute(select(func.max(account_stale.c.id))).scalar_one()
            rows = conn.execute(select(account_years.c.year, account_years.c.figured_upto))
            return {year: newest - upto for year, upto in rows}

    with serving(databases, "sqlite", tmp_path, workflow, programme) as (engine, service):
        assert marks(engine) > 1  # the programme's rows marked their centres
        service.ticks.tick()
        shown = {YEAR - 1: 0, YEAR: 0}
        assert (marks(engine), figured(engine)) == (1, shown)
        kept(service, YEAR - 2)
        change(engine, [hours], 2)
        service.ticks.tick()
        assert (marks(engine), figured(engine)) == (2, {**shown, YEAR - 2: 2})
        change(engine, [hours], 2)
        service.ticks.tick()  # two years before is four behind: it lost its state
        assert (marks(engine), figured(engine)) == (1, shown)
        for year in (YEAR - 2, YEAR - 1, YEAR):
            assert kept(service, year) == from_digest(service, year)
