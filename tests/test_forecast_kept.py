"""The forecast's first view kept (`ForecastService.keep`): a view finds exactly what figuring
it again from the database gives, before and after random writes of every kind migration
0036's triggers mark, and after the day changes; figuring waits for a writer whose mark is
not yet committed (PostgreSQL). The programmes are those of the budget warnings' property."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select, update

from tests.conftest import BERLIN
from tests.databases import Databases
from tests.test_allowed_fast_path import example_folder, examples
from tests.test_budget_warnings_fast_path import (
    CENTRE,
    EDIT,
    MOMENT,
    TODAY,
    YEAR,
    Edit,
    Programme,
    change,
    serving,
)
from tests.test_district_accounts_kept import ONE, PLANNED, RECORD, record
from thekiz_flow.cli.runtime import keep_forecast
from thekiz_flow.cli.scheduler import build_scheduler
from thekiz_flow.core import forecast_codec
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.forecast import FIRST_VIEW, Forecast, parse_scenarios
from thekiz_flow.core.model import Workflow
from thekiz_flow.service import Service
from thekiz_flow.service.forecast import ForecastService
from thekiz_flow.store.forecast_kept import ForecastKept, Kept
from thekiz_flow.store.tables import activities, centres, coaches, forecast_kept, forecast_marks

pytestmark = pytest.mark.backends("sqlite", "postgresql")

# writes to the coaches: a coach added, one's rate changed, one taken off duty, a centre
# given another coach (by number)
COACHING = st.tuples(
    st.sampled_from(["coach", "rate", "off", "assign"]), st.integers(min_value=0, max_value=5)
)


def first_view(service: Service) -> list[Forecast]:
    """The page's first view, as the page asks for it."""
    years, per_year = FIRST_VIEW
    return service.forecast.forecasts(years, parse_scenarios(per_year, None))


def figured(service: Service) -> list[Forecast]:
    """The first view figured again from the database, whatever is kept."""
    years, per_year = FIRST_VIEW
    forecast = service.forecast
    return forecast._figure(forecast._asked(years, parse_scenarios(per_year, None), None, None))


def served_kept(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[Forecast]:
    """The first view, refused if it is not the one kept."""
    with monkeypatch.context() as patch:
        patch.setattr(ForecastService, "_figure", lambda *_: pytest.fail("figured again"))
        return first_view(service)


def assign(engine: Engine, writes: list[tuple[str, int]], centre_count: int) -> None:
    with engine.begin() as conn:
        ids = list(conn.execute(select(coaches.c.id).order_by(coaches.c.id)).scalars())
        for n, (what, number) in enumerate(writes):
            coach = ids[number % len(ids)] if ids else None
            if what == "coach" or coach is None:
                conn.execute(
                    insert(coaches).values(
                        name=f"PB {n}",
                        email=f"pb{n}-{number}@example.org",
                        rate=Decimal(50 + number),
                        created_at=MOMENT,
                    )
                )
            elif what == "rate":
                mine = update(coaches).where(coaches.c.id == coach)
                conn.execute(mine.values(rate=coaches.c.rate + 7))
            elif what == "off":
                conn.execute(update(coaches).where(coaches.c.id == coach).values(active=False))
            else:
                centre = update(centres).where(centres.c.id == number % centre_count + 1)
                conn.execute(centre.values(coach_id=coach))


@examples(15)
@given(
    programme=st.lists(CENTRE, min_size=1, max_size=6),
    edits=st.lists(EDIT, max_size=4),
    records=st.lists(RECORD, max_size=3),
    coaching=st.lists(COACHING, max_size=3),
)
def test_a_view_finds_what_figuring_gives_before_and_after_any_writes(
    programme: Programme,
    edits: list[Edit],
    records: list[tuple[str, int]],
    coaching: list[tuple[str, int]],
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
) -> None:
    folder = example_folder(tmp_path)
    with serving(databases, backend, folder, workflow, programme) as (engine, service):
        assert service.forecast.keep() is True
        assert service.forecast.keep() is False  # current: nothing to figure
        assert repr(first_view(service)) == repr(figured(service))
        assign(engine, coaching, len(programme))
        change(engine, edits, len(programme))
        record(engine, records, len(programme))
        assert repr(first_view(service)) == repr(figured(service))
        service.forecast.keep()
        assert repr(first_view(service)) == repr(figured(service))


# each kind of write the forecast reads, to the first centre or the coaches
WRITES: list[tuple[str, object]] = [
    ("hours", ("hours", 0, 0, date(YEAR, 1, 15), "")),
    ("held", ("held", 0, 1, date(YEAR, 5, 5), "")),
    ("add", ("add", 0, 3, date(YEAR, 5, 5), "")),
    ("delete", ("delete", 0, 0, date(YEAR, 1, 15), "")),
    ("change", ("change", 0, 0, date(YEAR, 1, 1), "konsultationseinrichtung")),
    ("revert", ("revert", 0, 0, date(YEAR, 1, 15), "")),
    ("stage", ("stage", 0, 0, date(YEAR, 1, 15), "basisbegleitung")),
    ("move", ("move", 0)),
    ("registered", ("registered", 0)),
    ("new", ("new", 0)),
    ("coach", ("coach", 0)),
    ("rate", ("rate", 0)),
    ("off", ("off", 0)),
    ("assign", ("assign", 0)),
]


def write(engine: Engine, what: object) -> None:
    assert isinstance(what, tuple)
    if len(what) == 5:
        change(engine, [what], 1)
    elif what[0] in ("coach", "rate", "off", "assign"):
        assign(engine, [what], 1)
    else:
        record(engine, [what], 1)


@pytest.mark.parametrize("what", [w for _, w in WRITES], ids=[name for name, _ in WRITES])
def test_each_kind_of_write_is_figured_in_at_the_next_view(
    what: object, databases: Databases, backend: str, workflow: Workflow, tmp_path: Path
) -> None:
    """Every write the forecast reads leaves a mark (migration 0036's triggers), on both
    backends: the forecast kept before it is not shown after it."""
    with serving(databases, backend, tmp_path, workflow, ONE) as (engine, service):
        assign(engine, [("coach", 1)], 1)
        assert service.forecast.keep() is True
        write(engine, what)
        key = kept_key(engine)
        with service.runtime.unit() as repo:
            assert repo.forecast_kept.current(key) is None
        assert repr(first_view(service)) == repr(figured(service))
        assert service.forecast.keep() is True


def kept_key(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(forecast_kept.c.key)).scalar_one())


def test_writes_the_forecast_does_not_read_leave_it_current(
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A planned session moved, a centre renamed: the kept forecast is still shown, and the
    marks before the newest are gone once it is kept."""
    with serving(databases, backend, tmp_path, workflow, ONE) as (engine, service):
        write(engine, ("hours", 0, 0, date(YEAR, 1, 15), ""))
        write(engine, ("move", 0))
        assert service.forecast.keep() is True
        with engine.begin() as conn:
            planned = activities.c.status == PLANNED[0]
            conn.execute(update(activities).where(planned).values(date=date(YEAR, 4, 2)))
        record(engine, [("rename", 0)], 1)
        assert repr(served_kept(service, monkeypatch)) == repr(figured(service))
        assert service.forecast.keep() is False
        with engine.connect() as conn:
            assert len(conn.execute(select(forecast_marks.c.id)).all()) == 1


def test_the_next_day_is_figured_again(
    databases: Databases, backend: str, workflow: Workflow, tmp_path: Path
) -> None:
    with serving(databases, backend, tmp_path, workflow, ONE) as (engine, service):
        assert service.forecast.keep() is True
        later = Service(
            engine,
            workflow,
            FrozenClock(noon(TODAY + timedelta(days=1), service.runtime.zone)),
            service.runtime.zone,
            actor="test",
            mail=service.runtime.mail,
        )
        assert repr(first_view(later)) == repr(figured(later))
        assert later.forecast.keep() is True
        assert service.forecast.keep() is True  # the day before: no longer kept


@pytest.mark.backends("postgresql")
def test_figuring_waits_for_a_writer_whose_mark_is_not_committed(
    databases: Databases, workflow: Workflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer holds an uncommitted mark while a later one commits: figuring waits for the
    first, so the forecast kept holds both writes (else it would miss the first and, its
    mark being older than the newest, be taken for current)."""
    with serving(databases, "postgresql", tmp_path, workflow, ONE) as (engine, service):
        with engine.connect() as slow:
            slow.begin()
            slow.execute(update(centres).values(district="gotha"))  # the older mark
            record(engine, [("new", 0)], 1)  # the newer mark, committed
            done = threading.Thread(target=service.forecast.keep)
            done.start()
            time.sleep(0.5)
            waited = done.is_alive()  # for the writer's turn
            slow.commit()
        done.join(timeout=30)
        assert waited
        assert repr(served_kept(service, monkeypatch)) == repr(figured(service))


def test_the_scheduler_keeps_the_forecast_and_logs_a_failure(
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scheduler = build_scheduler(lambda: None, 60, BERLIN, lambda: None)
    assert sorted(job.id for job in scheduler.get_jobs()) == ["keep", "tick"]
    with serving(databases, backend, tmp_path, workflow, ONE) as (engine, service):
        with caplog.at_level(logging.INFO, logger="thekiz_flow.run"):
            keep_forecast(service)
            keep_forecast(service)  # current: nothing figured, nothing logged
            with engine.begin() as conn:
                conn.execute(delete(activities))
            monkeypatch.setattr(ForecastService, "_figure", lambda *_: 1 / 0)
            keep_forecast(service)
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) == 2
        assert messages[0].startswith("Prognose berechnet und gespeichert (")
        assert messages[1] == "Prognose nicht gespeichert: ZeroDivisionError: division by zero"


KEY = """
from datetime import date
from thekiz_flow.core.forecast import parse_scenarios
from thekiz_flow.service.forecast import _Asked
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

scenarios = tuple(parse_scenarios("5,10,20", None))
day = date(2026, 6, 17)
print(_Asked(3, scenarios, date(2026, 7, 1), None, day, load_workflow(DEFAULT_WORKFLOW)).key)
"""


def test_the_key_is_the_same_in_every_process() -> None:
    """`run` keeps, `serve` reads: what a forecast is figured for must read alike in each
    process (no address of an object, no order of a set in it), whatever its hash seed."""
    keys = {
        subprocess.run(
            [sys.executable, "-c", KEY],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout.strip()
        for seed in (1, 2)
    }
    here = io.StringIO()
    with contextlib.redirect_stdout(here):
        exec(KEY, {})
    assert keys == {here.getvalue().strip()}


def test_a_process_decodes_a_keeping_once_and_a_new_one_again(
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Views of one keeping decode it once; a keeping at the same mark (a database restored
    and written again) is another, and is read anew."""
    read: list[str] = []
    body = ForecastKept.body

    def spy(self: ForecastKept, key: str, kept: Kept) -> str | None:
        read.append(kept.token)
        return body(self, key, kept)

    monkeypatch.setattr(ForecastKept, "body", spy)
    with serving(databases, backend, tmp_path, workflow, ONE) as (engine, service):
        service.forecast.keep()
        first = served_kept(service, monkeypatch)
        assert served_kept(service, monkeypatch) is first
        other = [replace(f, coaches=f.coaches + 5) for f in first]
        with engine.begin() as conn:
            conn.execute(
                update(forecast_kept).values(token="x" * 32, body=forecast_codec.dumps(other))
            )
        assert [f.coaches for f in served_kept(service, monkeypatch)] == [
            f.coaches + 5 for f in first
        ]
        assert len(read) == 2
