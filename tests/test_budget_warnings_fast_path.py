"""A property: the start page's budget warnings (``OverviewService.worklist``, read
set-based: the budget of a centre whose audit trail ended before the year's first mid-month
from one row per centre, the others from their trails) are exactly those the per-centre rule
finds, reading every active centre's trail (``budget.year_allowance``) and its sessions: the
same centres, the same percents, in the same order. The programmes are random rows: audit
trails recorded in any order of their effective days (around the year's first mid-month, some
reverted), held and other sessions of the year and of the years beside it; and the same
after random writes to those rows, the percents being kept on write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Engine, Insert, delete, insert, select, update

from tests.conftest import BERLIN, file_mail
from tests.databases import Databases
from tests.test_allowed_fast_path import example_folder, examples
from thekiz_flow.core.budget import cost, year_allowance
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.corrections import Action, Subject
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Workflow
from thekiz_flow.service import Service
from thekiz_flow.service.overview import BUDGET_WARNING, BudgetWarning
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.tables import activities, centres, coaches, corrections, stage_changes

pytestmark = pytest.mark.backends("sqlite", "postgresql")

YEAR = 2025
TODAY = date(YEAR, 6, 17)
MID_JANUARY = date(YEAR, 1, 15)
MOMENT = datetime(YEAR, 6, 1, tzinfo=UTC)
STAGES = [
    "interessent",
    "basisbegleitung",
    "vertiefungsbegleitung",
    "konsultationseinrichtung",
    "pausiert",
    "ausgeschieden",
]
# effective days on the year's first mid-month or a day either side, on days before, in
# and after the year, and anywhere in three years
DAY = st.one_of(
    st.integers(min_value=-2, max_value=2).map(lambda d: MID_JANUARY + timedelta(days=d)),
    st.sampled_from(
        [
            date(YEAR - 2, 6, 1),
            date(YEAR - 1, 12, 31),
            date(YEAR, 1, 1),
            date(YEAR, 3, 15),
            date(YEAR, 6, 1),
            date(YEAR, 9, 16),
            date(YEAR + 1, 2, 1),
        ]
    ),
    st.integers(min_value=-800, max_value=400).map(lambda d: MID_JANUARY + timedelta(days=d)),
)
# to stage, effective, reverted (one in four)
CHANGE = st.tuples(st.sampled_from(STAGES), DAY, st.sampled_from([False, False, False, True]))
SESSION = st.tuples(
    st.sampled_from([ActivityStatus.HELD] * 3 + [ActivityStatus.PLANNED]),
    st.sampled_from([ActivityKind.COACHING] * 3 + [ActivityKind.SITE_VISIT]),
    st.one_of(
        st.integers(min_value=0, max_value=364).map(lambda d: date(YEAR, 1, 1) + timedelta(days=d)),
        st.sampled_from([date(YEAR - 1, 12, 31), date(YEAR + 1, 1, 1)]),
    ),
    st.sampled_from([Decimal("0.5"), Decimal("1.25"), Decimal("2"), Decimal("3.75"), Decimal(8)]),
    st.sampled_from([Decimal(65), Decimal("99.99"), Decimal("450.5"), Decimal("933.33")]),
)
CENTRE = st.tuples(
    st.sampled_from(STAGES[1:4] * 2 + STAGES),  # mostly active: only they are warned about
    st.lists(CHANGE, max_size=5),
    st.lists(SESSION, max_size=8),
)
# writes after the first reading, each to a centre (by number) and one of its rows: a
# session's hours changed, a session held, a held session added, a session deleted, a stage
# change recorded, one reverted, the centre's stage set
EDIT = st.tuples(
    st.sampled_from(["hours", "held", "add", "delete", "change", "revert", "stage"]),
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=0, max_value=7),
    DAY,
    st.sampled_from(STAGES),
)
Edit = tuple[str, int, int, date, str]
Programme = list[
    tuple[str, list[tuple[str, date, bool]], list[tuple[str, str, date, Decimal, Decimal]]]
]


def revert(change_id: int, centre_id: int) -> Insert:
    """The correction that reverts a stage change, as undoing one records it."""
    return insert(corrections).values(
        subject=Subject.STAGE_CHANGE,
        subject_id=change_id,
        centre_id=centre_id,
        action=Action.REVERTED,
        actor="test",
        recorded_at=MOMENT,
        before="{}",
        after="{}",
    )


def fill(engine: Engine, programme: Programme) -> None:
    """The programme's rows as they stand in the database, whatever recorded them."""
    with engine.begin() as conn:
        conn.execute(
            insert(coaches).values(
                name="Lena Sommer", email="lena@example.org", rate=65, created_at=MOMENT
            )
        )
        for number, (stage, trail, sessions) in enumerate(programme):
            centre_id = conn.execute(
                insert(centres)
                .values(
                    name=f"Kita {number}",
                    district="jena",
                    email="k@example.org",
                    stage=stage,
                    stage_since=date(YEAR - 3, 1, 1),
                    registered=date(YEAR - 3, 1, 1),
                    created_at=MOMENT,
                )
                .returning(centres.c.id)
            ).scalar_one()
            before = "interessent"
            for to_stage, effective, reverted in trail:
                change_id = conn.execute(
                    insert(stage_changes)
                    .values(
                        centre_id=centre_id,
                        trigger="admit",
                        from_stage=before,
                        to_stage=to_stage,
                        effective=effective,
                        recorded_at=MOMENT,
                        actor="test",
                        forced=False,
                    )
                    .returning(stage_changes.c.id)
                ).scalar_one()
                before = to_stage
                if reverted:
                    conn.execute(revert(change_id, centre_id))
            for n, (status, kind, day, hours, rate) in enumerate(sessions):
                conn.execute(
                    insert(activities).values(
                        centre_id=centre_id,
                        kind=kind,
                        key=f"s{n}",
                        stage=stage,
                        date=day,
                        status=status,
                        hours=hours,
                        rate=rate,
                        coach_id=1,
                    )
                )


def change(engine: Engine, edits: list[Edit], centre_count: int) -> None:
    """The edits, written to the tables directly (as any writer would)."""
    a, c = activities.c, stage_changes.c
    with engine.begin() as conn:
        for edit, (what, number, row, day, stage) in enumerate(edits):
            centre_id = number % centre_count + 1
            sessions = list(conn.execute(select(a.id).where(a.centre_id == centre_id)).scalars())
            changes = list(conn.execute(select(c.id).where(c.centre_id == centre_id)).scalars())
            session = sessions[row % len(sessions)] if sessions else None
            if what == "hours" and session:
                conn.execute(update(activities).where(a.id == session).values(hours=row + 1))
            elif what == "held" and session:
                held = {"status": ActivityStatus.HELD, "kind": ActivityKind.COACHING}
                conn.execute(update(activities).where(a.id == session).values(**held))
            elif what == "add":
                conn.execute(
                    insert(activities).values(
                        centre_id=centre_id,
                        kind=ActivityKind.COACHING,
                        key=f"added{edit}",  # the edit's: a centre's keys are unique
                        stage=stage,
                        date=day,
                        status=ActivityStatus.HELD,
                        hours=row + 1,
                        rate=Decimal(250),
                        coach_id=1,
                    )
                )
            elif what == "delete" and session:
                conn.execute(delete(activities).where(a.id == session))
            elif what == "change":
                conn.execute(
                    insert(stage_changes).values(
                        centre_id=centre_id,
                        trigger="admit",
                        from_stage="interessent",
                        to_stage=stage,
                        effective=day,
                        recorded_at=MOMENT,
                        actor="test",
                        forced=False,
                    )
                )
            elif what == "revert" and changes:
                conn.execute(revert(changes[row % len(changes)], centre_id))
            elif what == "stage":
                conn.execute(update(centres).where(centres.c.id == centre_id).values(stage=stage))


def by_the_rule(service: Service, workflow: Workflow) -> list[tuple[int, int]]:
    """(centre, percent) of every warning, each active centre's trail and sessions read."""
    active = {s.id for s in workflow.stages.values() if s.active}
    found = []
    with service.runtime.unit() as repo:
        for centre in repo.centres():
            if centre.stage not in active:
                continue
            budget = year_allowance(workflow, repo.steps([centre.id]).get(centre.id, []), YEAR)
            spent = sum(
                (
                    cost(a)
                    for a in repo.activities.of_centre(centre.id)
                    if a.status == ActivityStatus.HELD and a.date.year == YEAR
                ),
                Decimal(0),
            )
            if budget > 0 and spent * 100 >= budget * BUDGET_WARNING:
                found.append((centre.id, int(spent * 100 / budget)))
    return sorted(found, key=lambda f: (-f[1], f[0]))


def shown(warnings: list[BudgetWarning]) -> list[tuple[int, int]]:
    return [(w.centre.id, w.percent) for w in warnings]


@contextmanager
def serving(
    databases: Databases, backend: str, folder: Path, workflow: Workflow, programme: Programme
) -> Iterator[tuple[Engine, Service]]:
    """A database of ``backend`` holding ``programme``, and a service on it at noon today."""
    with databases.database(backend, folder) as url:
        engine = make_engine(url)
        try:
            fill(engine, programme)
            clock = FrozenClock(noon(TODAY, BERLIN))
            mail = file_mail(folder / "mail")
            yield engine, Service(engine, workflow, clock, BERLIN, actor="test", mail=mail)
        finally:
            engine.dispose()


@examples(100)
@given(
    programme=st.lists(CENTRE, min_size=1, max_size=6),
    edits=st.lists(EDIT, max_size=4),
)
@example(  # sessions added and deleted: each added one has a key of its own
    programme=[
        (
            "basisbegleitung",
            [],
            [
                (
                    ActivityStatus.HELD,
                    ActivityKind.COACHING,
                    date(YEAR, 1, 2),
                    Decimal(2),
                    Decimal(65),
                )
            ],
        )
    ],
    edits=[  # which is deleted depends on the order the rows are read in: the first, then the
        # second; either way one of the centre's sessions is added twice by its count's key
        (what, 0, row, date(YEAR, 1, 15), "interessent")
        for what, row in (("add", 0), ("delete", 0), ("add", 0), ("delete", 1), ("add", 0))
    ],
)
def test_the_start_pages_budget_warnings_are_the_per_centre_rules(
    programme: Programme,
    edits: list[Edit],
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
) -> None:
    folder = example_folder(tmp_path)
    with serving(databases, backend, folder, workflow, programme) as (engine, service):
        expected = by_the_rule(service, workflow)
        work = service.overview.worklist(TODAY)
        assert shown(work.budget.items) == expected
        assert work.budget.total == len(expected)
        first = service.overview.worklist(TODAY, 2).budget
        assert (shown(first.items), first.total) == (expected[:2], len(expected))
        # kept on write: after any writes the next reading is the rules' again
        change(engine, edits, len(programme))
        assert shown(service.overview.worklist(TODAY).budget.items) == by_the_rule(
            service, workflow
        )


def test_a_trail_that_ends_on_the_first_mid_month_counts_every_month_in_its_last_stage(
    databases: Databases, workflow: Workflow, tmp_path: Path
) -> None:
    """The boundary of the set-based reading: a change effective on 15 January counts for
    January (the year's whole budget of the new stage), one on the 16th does not."""
    held = (ActivityStatus.HELD, ActivityKind.COACHING, date(YEAR, 3, 3), Decimal(8), Decimal(250))
    programme: Programme = [
        ("vertiefungsbegleitung", [("vertiefungsbegleitung", MID_JANUARY, False)], [held]),
        ("vertiefungsbegleitung", [("vertiefungsbegleitung", date(YEAR, 1, 16), False)], [held]),
    ]
    with serving(databases, "sqlite", tmp_path, workflow, programme) as (_, service):
        warnings = shown(service.overview.worklist(TODAY).budget.items)
        assert warnings == by_the_rule(service, workflow)
    # 2.000 € of 2.500 €, and of 2.291,67 € (January counts as an applicant's, no budget)
    assert warnings == [(2, 87), (1, 80)]


@pytest.mark.parametrize(
    "edit",
    [
        ("hours", 0, 0, MID_JANUARY, "basisbegleitung"),  # 8 hours become 1
        ("held", 0, 1, MID_JANUARY, "basisbegleitung"),  # the planned session held
        ("add", 0, 3, date(YEAR, 5, 5), "basisbegleitung"),  # 4 hours more
        ("delete", 0, 0, MID_JANUARY, "basisbegleitung"),
        ("change", 0, 0, date(YEAR, 1, 1), "konsultationseinrichtung"),  # no budget
        ("revert", 0, 0, MID_JANUARY, "basisbegleitung"),  # back to an applicant's year
        ("stage", 0, 0, MID_JANUARY, "pausiert"),  # no longer active
    ],
    ids=lambda edit: str(edit[0]),
)
def test_each_kind_of_write_is_figured_in_at_the_next_reading(
    edit: Edit, databases: Databases, backend: str, workflow: Workflow, tmp_path: Path
) -> None:
    """Every write that can change a percent marks its centre (migration 0024's triggers),
    on both backends: the reading after it differs from the one before, as the rule does."""
    held = (ActivityStatus.HELD, ActivityKind.COACHING, date(YEAR, 3, 3), Decimal(8), Decimal(250))
    planned = (
        ActivityStatus.PLANNED,
        ActivityKind.COACHING,
        date(YEAR, 4, 1),
        Decimal(2),
        Decimal(100),
    )
    trail = [("vertiefungsbegleitung", date(YEAR - 1, 6, 1), False)]
    programme: Programme = [("vertiefungsbegleitung", trail, [held, planned])]
    with serving(databases, backend, tmp_path, workflow, programme) as (engine, service):
        before = shown(service.overview.worklist(TODAY).budget.items)
        change(engine, [edit], 1)
        after = shown(service.overview.worklist(TODAY).budget.items)
        expected = by_the_rule(service, workflow)
    assert before == [(1, 80)]  # 2.000 € of 2.500 €
    assert after == expected != before
