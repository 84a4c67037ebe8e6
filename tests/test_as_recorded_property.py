"""A property: whatever is recorded, corrected, cancelled as a mistake or whatever rate
changes later, the digest as recorded on an earlier day stays, byte for byte, the files
written on that day."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BERLIN, file_mail
from tests.databases import Databases
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.errors import UserError
from thekiz_flow.core.model import CentreInput, Workflow
from thekiz_flow.digest.files import DigestFiles
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.workflow.config import DigestSettings

pytestmark = pytest.mark.backends("sqlite", "postgresql")

FIRST_DAY = date(2026, 1, 5)  # the steps' days follow; the digest is of 2025
HOURS = st.sampled_from(["1", "2,5", "3"])
MONTHS = st.integers(min_value=2, max_value=11)
STEP = st.one_of(
    st.tuples(st.just("record"), MONTHS, HOURS),
    st.tuples(st.just("hours"), st.integers(0, 4), HOURS),
    st.tuples(st.just("date"), st.integers(0, 4), st.integers(min_value=1, max_value=28)),
    st.tuples(st.just("void"), st.integers(0, 4), st.just(0)),
    st.tuples(st.just("rate"), st.sampled_from(["60", "70", "80,50"]), MONTHS),
)
Step = tuple[str, object, object]


def contents(files: DigestFiles) -> list[bytes]:
    return [path.read_bytes() for path in (files.html, files.csv, files.xlsx)]


def apply(service: Service, centre: int, held: list[int], step: Step) -> None:
    """One step; a refused one (a day outside the stay, say) changes nothing."""
    kind, first, second = step
    ident = held[int(str(first)) % len(held)] if held and kind in ("hours", "date", "void") else 0
    if kind == "record":
        session = service.sessions.record(f"E{centre}", date(2025, int(str(first)), 12), "2")
        held.append(session.id)
    elif kind == "hours" and ident:
        service.corrections.correct_session(ident, "falsch notiert", hours=str(second))
    elif kind == "date" and ident:
        (session, _) = service.sessions.get(ident)
        day = session.date.replace(day=int(str(second)))
        service.corrections.correct_session(ident, "falscher Tag", day=day)
    elif kind == "void" and ident:
        service.corrections.void_session(ident, "doppelt erfasst")
        held.remove(ident)
    elif kind == "rate":
        valid_from = date(2025, int(str(second)), 1)
        service.registry.update_coach(1, rate=str(first), valid_from=valid_from)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_later_changes_never_change_an_earlier_digest(
    steps: list[Step], databases: Databases, backend: str, workflow: Workflow, tmp_path: Path
) -> None:
    folder = tmp_path / uuid.uuid4().hex
    with databases.database(backend, folder) as url:
        engine = make_engine(url)
        try:
            check(steps, engine_service(engine, workflow, folder), folder)
        finally:
            engine.dispose()


def engine_service(engine: object, workflow: Workflow, folder: Path) -> tuple[Service, FrozenClock]:
    clock = FrozenClock(noon(date(2025, 1, 6), BERLIN))
    mail = file_mail(folder / "mail")
    service = Service(engine, workflow, clock, BERLIN, actor="test", mail=mail, wall=clock)  # type: ignore[arg-type]
    service.runtime.digest = DigestSettings(dir=folder / "digests")
    return service, clock


def check(steps: list[Step], made: tuple[Service, FrozenClock], folder: Path) -> None:
    service, clock = made
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), date(2025, 1, 6)
    )
    clock.set(noon(date(2025, 2, 3), BERLIN))
    service.lifecycle.advance(centre, "admit", on=date(2025, 2, 3))
    clock.set(noon(FIRST_DAY, BERLIN))
    held = [service.sessions.record(f"E{centre}", date(2025, 3, 12), "2").id]
    day = FIRST_DAY
    written = {day: contents(service.digest.write(2025, folder / "now" / day.isoformat()))}
    for step in steps:
        day += timedelta(days=1)
        clock.set(noon(day, BERLIN))
        try:
            apply(service, centre, held, step)
        except UserError:
            pass
        written[day] = contents(service.digest.write(2025, folder / "now" / day.isoformat()))
    for then, files in written.items():
        again = service.digest.write(2025, folder / "then" / then.isoformat(), as_recorded_on=then)
        assert contents(again) == files, then
