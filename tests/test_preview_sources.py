"""A property: the reminder preview of the rules that follow a stage change, a next step or a
training deadline, read a page at a time and counted in the database (`store.due_query`),
gives exactly the dues the per-centre rules give when every centre, every stage change, every
site visit and every enrolment is read, whatever the programme went through (admissions,
coaches, stage changes forced or withdrawn, pauses, site visits, enrolments, time passing)
and whichever of them the outbox holds already; and its total is the number of its rows."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import BERLIN
from tests.databases import Databases
from tests.test_allowed_fast_path import (
    CENTRE,
    START,
    STEP,
    Step,
    apply,
    examples,
    fresh_programme,
)
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import Follows
from thekiz_flow.core.errors import UserError
from thekiz_flow.core.model import CentreInput, Workflow
from thekiz_flow.core.occurrences import deadline_dues, eligible_dues, stage_start_dues
from thekiz_flow.core.reminders import Due, Window
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

SOURCED = (Follows.STAGE_START, Follows.ELIGIBLE, Follows.TRAINING_DEADLINE)
KINDS = ("auftakt", "fachkraft", "reflexion")
TRAINING = st.tuples(st.just("train"), CENTRE, st.tuples(st.sampled_from(KINDS), st.booleans()))


def every_due(service: Service, window: Window) -> list[Due]:
    """The dues of the rules of ``SOURCED`` as the per-centre rules give them: every centre,
    every stage change of the days, every history, site visit and enrolment read."""
    rt = service.runtime
    workflow = rt.workflow
    dues: list[Due] = []
    with rt.unit() as repo:
        everyone = repo.centres()
        by_id = {c.id: c for c in everyone}
        ids = list(by_id)
        histories, visits = repo.histories(ids), repo.site_visits(ids)
        enrolments = repo.trainings.of_centres(ids)
        coaches = repo.coaches_by_id(c.coach_id for c in everyone if c.coach_id is not None)
        for rule in workflow.reminders:
            if rule.follows not in SOURCED:
                continue
            ((_, first, last),) = window.anchor_days(rule)
            if rule.follows == Follows.STAGE_START:
                changes = repo.changes_between(first, last, rule.stage)
                dues += stage_start_dues(window, rule, workflow, changes, by_id, coaches)
            elif rule.follows == Follows.ELIGIBLE:
                dues += eligible_dues(window, rule, rt.rules, everyone, histories, visits)
            else:
                for stage in (s for s in workflow.stages.values() if s.active):
                    found = [c for c in everyone if c.stage == stage.id and c.episode_start]
                    for expected in stage.trainings:
                        dues += deadline_dues(
                            window, rule, workflow, expected, found, enrolments, coaches
                        )
    return dues


# admitted on day n, a site visit held, deepened some days after, and some days after that
# renewed, paused or withdrawn (forced)
Stay = tuple[int, bool, int | None, tuple[str, int] | None]


def admitted(service: Service, clock: FrozenClock, stays: list[Stay]) -> list[int]:
    """Centres admitted with a coach on day n from the start, each perhaps with a site visit
    held ten days later, deepened some days after its admission and then renewed, paused or
    withdrawn (forced); the events in the order of their days, the clock at the last."""
    events: list[tuple[int, int, str]] = []
    for n, (day, visit, deepen, then) in enumerate(stays):
        events.append((day, n, "admit"))
        events += [(day + 10, n, "visit")] if visit else []
        if deepen is not None:
            events.append((day + 11 + deepen, n, "deepen"))
            events += [] if then is None else [(day + 12 + deepen + then[1], n, then[0])]
    made: dict[int, int] = {}
    for day, n, event in sorted(events):
        clock.set(noon(START + timedelta(days=day), BERLIN))
        if event == "admit":
            given = CentreInput(f"Kita {n}", "jena", f"kita{n}@example.org", coach="1")
            made[n] = service.registry.add_centre(given, clock.now().date())
            service.lifecycle.advance(made[n], "admit")
        elif event == "visit":
            service.sessions.record_visit(made[n], clock.now().date())
        else:
            service.lifecycle.advance(made[n], event, force=True, reason="Ausnahme")
    return list(made.values())


STAY = st.tuples(
    st.integers(min_value=0, max_value=900),
    st.booleans(),
    st.one_of(st.none(), st.integers(min_value=0, max_value=500)),
    st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from(["renew", "pause", "withdraw"]), st.integers(min_value=0, max_value=300)
        ),
    ),
)


def train(service: Service, clock: FrozenClock, centres: list[int], step: Step) -> None:
    """An offering of a kind of training, and one of the centres enrolled in it (a day ahead
    or a day back; a refused enrolment changes nothing)."""
    _, which, detail = step
    assert isinstance(detail, tuple)
    kind, ahead = detail
    if not centres:
        return
    day = clock.now().date() + timedelta(days=1 if ahead else -1)
    title = f"{kind} {uuid.uuid4().hex[:8]}"
    training = service.trainings.add(str(kind), title, day.isoformat(), "Erfurt", "20")
    service.trainings.enrol(training, centres[int(str(which)) % len(centres)])


@examples(40)
@given(
    stays=st.lists(STAY, min_size=1, max_size=4),
    steps=st.lists(st.one_of(STEP, TRAINING), max_size=20),
    days=st.integers(min_value=1, max_value=400),
    told=st.integers(min_value=2, max_value=4),
    page=st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=7)),
)
@example(  # deepened, then renewed: the deepening's renewal is not due any more
    stays=[(0, True, 0, ("renew", 38)), (5, False, None, None)],
    steps=[],
    days=400,
    told=2,
    page=(0, 3),
)
@example(  # paused and resumed: a stay begun anew
    stays=[(0, True, 0, ("pause", 20))],
    steps=[("wait", 10, 0), ("advance", 0, ("resume", False))],
    days=400,
    told=3,
    page=(1, 2),
)
@example(  # deepened, the change withdrawn as a mistake, deepened again the same day
    stays=[(0, True, 0, None)],
    steps=[("revert", 0, 0), ("advance", 0, ("deepen", True))],
    days=400,
    told=5,
    page=(0, 1),
)
@example(  # a site visit held: may deepen two years after its admission, some time ahead
    stays=[(0, True, None, None), (30, True, None, None), (60, False, None, None)],
    steps=[("wait", 400, 0), ("wait", 300, 0)],
    days=90,
    told=2,
    page=(2, 5),
)
def test_the_preview_of_these_rules_is_what_the_per_centre_rules_give(
    stays: list[Stay],
    steps: list[Step],
    days: int,
    told: int,
    page: tuple[int, int],
    databases: Databases,
    backend: str,
    workflow: Workflow,
    tmp_path: Path,
) -> None:
    with fresh_programme(databases, backend, workflow, tmp_path) as (service, clock):
        centres = admitted(service, clock, stays)
        for step in steps:
            try:
                if step[0] == "train":
                    train(service, clock, centres, step)
                else:
                    apply(service, clock, centres, step)
            except UserError:
                pass
        rt, reminders = service.runtime, service.reminders
        now = clock.now()
        window = Window(now + timedelta(days=days), now, rt.zone, rt.workflow.send_at, True)
        expected = every_due(service, window)
        written = expected[::told]  # in the outbox already, as a tick writes them
        if written:
            with rt.unit() as repo:
                repo.outbox.add([reminders._mail(d, now) for d in written], now)
                last = max(d.occurrence for d in written)
                repo.outbox.set_last_tick(last, last.astimezone(rt.zone).date())
        rows, total = reminders.preview_page(days, 0, None)
        assert total == len(rows)
        shown = sorted(due.key for due, _, _ in rows if due.rule.follows in SOURCED)
        assert shown == sorted({d.key for d in expected} - {d.key for d in written})
        offset, limit = page
        assert reminders.preview_page(days, offset, limit) == (
            rows[offset : offset + limit],
            total,
        )
