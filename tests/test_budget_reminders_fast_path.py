"""A property: the budget rules of a tick (``ReminderService._budget_years``) pass over the
centres whose budget percent, kept on write, stands below the lowest rule's; what they find
is what reading every centre with a session recorded in the window finds: the same
crossings of each rule, at the same moments. The programmes are the random rows of
`test_budget_warnings_fast_path`, their held sessions recorded in the window, the percents
brought up to date, then random writes, after which the percents are brought up to date
again or not (their marks waiting)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from tests.conftest import BERLIN
from tests.databases import Databases
from tests.test_allowed_fast_path import example_folder, examples
from tests.test_budget_warnings_fast_path import (
    CENTRE,
    CHANGE,
    EDIT,
    TODAY,
    YEAR,
    Edit,
    Programme,
    change,
    serving,
)
from thekiz_flow.core.budget import BudgetYear
from thekiz_flow.core.clock import noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, Follows
from thekiz_flow.core.model import Workflow
from thekiz_flow.core.occurrences import budget_crossings, budget_since, by_year
from thekiz_flow.core.reminders import Window
from thekiz_flow.service import Service
from thekiz_flow.service.budget_watch import budget_rules
from thekiz_flow.service.reminders import ReminderService
from thekiz_flow.store.tables import activities, budget_state, outbox

pytestmark = pytest.mark.backends("sqlite", "postgresql")

# a centre in a stage with a budget all year, its held sessions of the year costing 250 € to
# 2.000 € each: near the rules' percents of 2.500 € or 5.000 €, often on either side
NEAR = st.tuples(
    st.sampled_from(["basisbegleitung", "vertiefungsbegleitung"]),
    st.builds(
        lambda stage, later: [(stage, date(YEAR - 1, 6, 1), False), *later],
        st.sampled_from(["basisbegleitung", "vertiefungsbegleitung"]),
        st.lists(CHANGE, max_size=2),
    ),
    st.lists(
        st.tuples(
            st.just(ActivityStatus.HELD),
            st.just(ActivityKind.COACHING),
            st.integers(min_value=0, max_value=364).map(
                lambda d: date(YEAR, 1, 1) + timedelta(days=d)
            ),
            st.sampled_from([Decimal(1), Decimal(2), Decimal(4), Decimal(8)]),
            st.just(Decimal(250)),
        ),
        max_size=6,
    ),
)
NOW = noon(TODAY, BERLIN)
RECORDED = NOW - timedelta(days=1)  # in every budget rule's window


def window() -> Window:
    return Window(NOW, NOW - timedelta(minutes=5), BERLIN, NOW.timetz().replace(tzinfo=None))


def crossings(
    workflow: Workflow, years: list[BudgetYear]
) -> list[tuple[str, int, int, datetime, str]]:
    """(rule, centre, year, moment, spent) of every crossing of every budget rule."""
    found = []
    for rule in workflow.reminders:
        if rule.follows == Follows.BUDGET:
            found += [
                (rule.id, c.year.centre_id, c.year.year, c.reached, str(c.year.spent))
                for c in budget_crossings(window(), rule, years)
            ]
    return sorted(found)


def every_centre(service: Service) -> list[BudgetYear]:
    """The years of every centre with a session recorded in the window, none passed over."""
    reminders = service.reminders
    since = budget_since(window(), service.runtime.workflow.reminders)
    assert since is not None
    with service.runtime.unit() as repo:
        return [
            found
            for year, ids in by_year(repo.recently_held(since)).items()
            for found in reminders._years_of(repo, sorted(ids), year)
        ]


def passed_over(service: Service) -> list[BudgetYear]:
    with service.runtime.unit() as repo:
        return service.reminders._budget_years(repo, window())


def record_held(engine: Engine) -> None:
    """Every held coaching session recorded a day ago (as the office records them)."""
    a = activities.c
    with engine.begin() as conn:
        conn.execute(
            update(activities)
            .where(a.kind == ActivityKind.COACHING, a.status == ActivityStatus.HELD)
            .values(recorded_at=RECORDED)
        )


@examples(50)
@given(
    programme=st.lists(st.one_of(NEAR, NEAR, CENTRE), min_size=1, max_size=6),
    edits=st.lists(EDIT, max_size=4),
    again=st.booleans(),
)
def test_the_budget_rules_find_what_reading_every_centre_finds(
    programme: Programme,
    edits: list[Edit],
    again: bool,
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
) -> None:
    folder = example_folder(tmp_path)
    with serving(databases, backend, folder, workflow, programme) as (engine, service):
        record_held(engine)
        service.reminders.refresh_budgets()
        assert crossings(workflow, passed_over(service)) == crossings(
            workflow, every_centre(service)
        )
        change(engine, edits, len(programme))  # marks the centres written to
        record_held(engine)
        if again:
            service.reminders.refresh_budgets()
        assert crossings(workflow, passed_over(service)) == crossings(
            workflow, every_centre(service)
        )


def test_a_centre_below_every_rule_is_read_only_while_its_percent_is_stale(
    databases: Databases, workflow: Workflow, tmp_path: Path
) -> None:
    """Two centres in Basisbegleitung all year (5.000 €), 1.000 € spent each (20 %): passed
    over once their percents are figured; both read while a write has left a mark (a
    session of 4.000 € more for the second: 100 %, both rules cross), the first passed over
    again once the percents are brought up to date, both read while the percents are of
    another year."""
    held = (ActivityStatus.HELD, ActivityKind.COACHING, date(YEAR, 3, 3), Decimal(4), Decimal(250))
    trail = [("basisbegleitung", date(YEAR - 1, 6, 1), False)]
    programme: Programme = [("basisbegleitung", trail, [held]), ("basisbegleitung", trail, [held])]
    with serving(databases, "sqlite", tmp_path, workflow, programme) as (engine, service):
        record_held(engine)
        assert len(passed_over(service)) == 2  # no percents figured yet
        service.reminders.refresh_budgets()
        assert passed_over(service) == []
        assert len(every_centre(service)) == 2
        change(engine, [("add", 1, 0, date(YEAR, 4, 1), "basisbegleitung")], 2)
        with engine.begin() as conn:  # the session added: 16 hours, 4.000 €
            conn.execute(update(activities).where(activities.c.key == "added0").values(hours=16))
        record_held(engine)
        assert len(passed_over(service)) == 2  # a mark waits
        found = crossings(workflow, passed_over(service))
        assert [(rule, centre) for rule, centre, *_ in found] == [
            ("budget_100", 2),
            ("budget_80", 2),
        ]
        assert found == crossings(workflow, every_centre(service))
        service.reminders.refresh_budgets()
        assert [y.centre_id for y in passed_over(service)] == [2]
        with engine.begin() as conn:
            conn.execute(update(budget_state).values(rules=f"{YEAR - 1}:other"))
        assert len(passed_over(service)) == 2


def test_a_tick_brings_the_kept_percents_up_to_date_before_its_budget_rules(
    databases: Databases, workflow: Workflow, tmp_path: Path
) -> None:
    """The tick figures the marked centres' percents first, so that its budget rules can
    pass over those below them: after it no mark waits, and the percents are of this year."""
    held = (ActivityStatus.HELD, ActivityKind.COACHING, date(YEAR, 3, 3), Decimal(4), Decimal(250))
    trail = [("basisbegleitung", date(YEAR - 1, 6, 1), False)]
    programme: Programme = [("basisbegleitung", trail, [held])]
    with serving(databases, "sqlite", tmp_path, workflow, programme) as (engine, service):
        record_held(engine)
        service.ticks.tick()
        with service.runtime.unit() as repo:
            assert not repo.budget_percents.any_stale()
            assert repo.budget_percents.rules() == budget_rules(workflow, YEAR)
            assert repo.budget_percents.below([1], 80, budget_rules(workflow, YEAR)) == {1}


def test_a_session_recorded_between_the_ticks_refresh_and_its_rules_is_judged(
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A session of 4.000 € recorded after the tick brought the percents up to date (20 %)
    and before its rules read them: its mark waits, so the centre is read and both rules'
    mails go out in this tick, not in a later one."""
    held = (ActivityStatus.HELD, ActivityKind.COACHING, date(YEAR, 3, 3), Decimal(4), Decimal(250))
    trail = [("basisbegleitung", date(YEAR - 1, 6, 1), False)]
    programme: Programme = [("basisbegleitung", trail, [held])]
    refresh = ReminderService.refresh_budgets
    with serving(databases, backend, tmp_path, workflow, programme) as (engine, service):
        record_held(engine)

        def then_a_session(self: ReminderService) -> None:
            refresh(self)
            change(engine, [("add", 0, 15, date(YEAR, 6, 16), "basisbegleitung")], 1)
            record_held(engine)  # 16 hours at 250 €

        monkeypatch.setattr(ReminderService, "refresh_budgets", then_a_session)
        service.ticks.tick()
        with engine.connect() as conn:
            rules = set(conn.execute(select(outbox.c.rule)).scalars())
    assert {"budget_80", "budget_100"} <= rules
