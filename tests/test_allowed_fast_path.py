"""A property: the centres that may take their next step, found by their stored
``next_step_on`` (``LifecycleService.allowed``, the start page's list), are exactly those the
per-centre rules find by reading every centre's history (``eligible``), whatever the
programme went through: admissions, coaches assigned and taken away, site visits held and
cancelled as a mistake, stage changes forced or withdrawn, pauses, time passing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BERLIN, file_mail
from tests.databases import Databases
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import UserError
from thekiz_flow.core.model import NO_COACH, ActivityFilter, CentreInput, Workflow
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine

pytestmark = pytest.mark.backends("sqlite", "postgresql")

START = date(2023, 1, 9)
CENTRE = st.integers(min_value=0, max_value=5)
TRIGGER = st.sampled_from(["admit", "deepen", "consult", "renew", "pause", "resume", "withdraw"])
STEP = st.one_of(
    st.tuples(st.just("new"), st.booleans(), st.just(0)),
    st.tuples(st.just("coach"), CENTRE, st.booleans()),
    st.tuples(st.just("advance"), CENTRE, st.tuples(TRIGGER, st.booleans())),
    st.tuples(st.just("visit"), CENTRE, st.integers(min_value=1, max_value=60)),
    st.tuples(st.just("revert"), CENTRE, st.just(0)),
    st.tuples(st.just("void"), CENTRE, st.just(0)),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=400), st.just(0)),
)
Step = tuple[str, object, object]


def apply(service: Service, clock: FrozenClock, centres: list[int], step: Step) -> None:
    """One step; a refused one (a guard unmet, a day outside the stay) changes nothing."""
    kind, first, second = step
    today = clock.now().date()
    if kind == "new":
        coach = "1" if second else None
        centres.append(
            service.registry.add_centre(
                CentreInput(f"Kita {len(centres)}", "jena", "k@example.org", coach=coach), today
            )
        )
    elif kind == "wait":
        clock.set(noon(today + timedelta(days=int(str(first))), BERLIN))
    elif not centres:
        return
    else:
        centre = centres[int(str(first)) % len(centres)]
        if kind == "coach":
            service.registry.assign_coach(centre, "1" if second else NO_COACH)
        elif kind == "advance":
            trigger, force = str(second[0]), bool(second[1])  # type: ignore[index]
            service.lifecycle.advance(
                centre, trigger, force=force, reason="Ausnahme" if force else None
            )
        elif kind == "visit":
            service.sessions.record_visit(centre, today - timedelta(days=int(str(second))))
        elif kind == "revert":
            service.reverts.revert(centre, "versehentlich")
        elif kind == "void":  # the latest site visit held, cancelled as a mistake
            held = ActivityFilter(
                centre_id=centre, kind=ActivityKind.SITE_VISIT, status=ActivityStatus.HELD
            )
            visits = service.overview.activities(held)
            if visits:
                service.corrections.void_visit(visits[-1].id, "doppelt erfasst")


def examples(count: int) -> settings:
    """Hypothesis's settings of a property over whole programmes: ``count`` examples, each
    slow (no deadline), on a database fixture shared by all of them."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def example_folder(tmp_path: Path) -> Path:
    """A new folder under ``tmp_path`` for one example of a property test (they share the
    test's ``tmp_path``)."""
    return tmp_path / uuid.uuid4().hex


@contextmanager
def fresh_programme(
    databases: Databases, backend: str, workflow: Workflow, tmp_path: Path
) -> Iterator[tuple[Service, FrozenClock]]:
    """A service on a new database of ``backend`` (in a folder of its own under ``tmp_path``:
    one per example), its clock at noon on ``START``, with one coach (number 1)."""
    folder = example_folder(tmp_path)
    with databases.database(backend, folder) as url:
        engine = make_engine(url)
        try:
            clock = FrozenClock(noon(START, BERLIN))
            mail = file_mail(folder / "mail")
            service = Service(engine, workflow, clock, BERLIN, "test", mail=mail, wall=clock)
            service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
            yield service, clock
        finally:
            engine.dispose()


@examples(60)
@given(
    steps=st.lists(STEP, min_size=1, max_size=25),
    ahead=st.integers(min_value=0, max_value=900),
)
def test_the_fast_path_finds_exactly_the_centres_the_rules_allow(
    steps: list[Step],
    ahead: int,
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
) -> None:
    with fresh_programme(databases, backend, workflow, tmp_path) as (service, clock):
        centres: list[int] = []
        for step in steps:
            try:
                apply(service, clock, centres, step)
            except UserError:
                pass
        today = clock.now().date()
        for day in (today, today + timedelta(days=ahead)):
            rules = [(e.centre.id, e.trigger) for e in service.lifecycle.eligible(day)]
            found, total = service.lifecycle.allowed(day)
            expected = [e for e in service.lifecycle.eligible(day) if e.eligible]
            assert (found, total) == (expected, len(expected)), (day, rules)
            first, counted = service.lifecycle.allowed(day, 2)
            assert (first, counted) == (found[:2], total)


def test_a_day_before_today_is_checked_for_every_centre(service: Service) -> None:
    """``next_step_on`` is never earlier than the day it was written (today here): a day
    before it is checked against the rules of every centre, and finds the centre all the
    same."""
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    today = service.runtime.today()
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), today
    )
    earlier = today - timedelta(days=1)
    assert [e.centre.id for e in service.lifecycle.allowed(today)[0]] == [centre]
    assert [e.centre.id for e in service.lifecycle.allowed(earlier)[0]] == [centre]
    assert [e.centre.id for e in service.lifecycle.eligible(earlier) if e.eligible] == [centre]
