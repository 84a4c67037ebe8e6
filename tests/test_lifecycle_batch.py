"""A stage change of many centres in one batch: the same rows as one change after another."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import cast

import pytest

from tests.cli_helpers import Run, dump
from tests.conftest import BERLIN, TODAY
from tests.databases import Databases
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused, UserError
from thekiz_flow.core.model import ActivityFilter, Centre, CentreInput, StageChange, Workflow
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.repository import Repository
from thekiz_flow.workflow.config import MailSettings

# The centres of `populate`, by what they are on 15.06.2026.
OFFICE = "fachstelle@example.org"
NAMES = ("ready", "no_visit", "recent", "interested", "paused", "seat", "waiting", "deepened")


def serve(url: str, workflow: Workflow, clock: FrozenClock, mail: MailSettings) -> Service:
    engine = make_engine(url)
    return Service(engine, workflow, clock, BERLIN, actor="test", mail=mail, wall=clock)


@pytest.fixture
def twin(
    databases: Databases,
    backend: str,
    tmp_path: Path,
    workflow: Workflow,
    clock: FrozenClock,
    mail: MailSettings,
) -> Iterator[tuple[Service, str]]:
    """A second service on a fresh database of the same backend, and its URL."""
    with databases.database(backend, tmp_path, "twin") as url:
        other = serve(url, workflow, clock, mail)
        yield other, url
        other.runtime.engine.dispose()


def populate(service: Service) -> dict[str, int]:
    """Centres in every situation a batch meets; training seats with waiting lists."""
    coach = str(service.registry.add_coach("Paul Winter", "paul@example.org", "70"))
    ids = {
        name: service.registry.add_centre(
            CentreInput(f"Kita {name}", "jena", f"{name}@example.org", coach=coach),
            on=date(2024, 1, 2),
        )
        for name in (*NAMES, "last_waiting")
    }
    for name, admitted in (
        ("ready", date(2024, 1, 15)),
        ("no_visit", date(2024, 1, 15)),
        ("recent", date(2025, 9, 1)),
        ("paused", date(2024, 3, 1)),
        ("seat", date(2025, 1, 15)),
        ("waiting", date(2025, 1, 15)),
        ("last_waiting", date(2025, 1, 15)),
        ("deepened", date(2024, 1, 15)),
    ):
        service.lifecycle.advance(ids[name], "admit", on=admitted)
    for name in ("ready", "deepened"):
        service.sessions.record_visit(ids[name], date(2024, 6, 3))
    service.lifecycle.advance(ids["deepened"], "deepen", on=date(2026, 2, 1))
    service.lifecycle.advance(ids["paused"], "pause", on=date(2025, 3, 1))
    small = service.trainings.add("reflexion", "Reflexion I", "2026-09-02", "Erfurt", "1")
    for name in ("seat", "waiting", "last_waiting"):
        service.trainings.enrol(small, ids[name])
    pair = service.trainings.add("vernetzung", "Vernetzung I", "2026-10-07", "Jena", "2")
    for name in ("seat", "ready", "no_visit", "last_waiting", "recent"):
        service.trainings.enrol(pair, ids[name])
    return ids


def one_by_one(
    service: Service,
    ids: list[int],
    trigger: str,
    on: date | None,
    reason: str | None,
    force: bool,
) -> tuple[list[StageChange], list[tuple[int, str]]]:
    changes: list[StageChange] = []
    refused: list[tuple[int, str]] = []
    for centre_id in ids:
        try:
            changes.append(service.lifecycle.advance(centre_id, trigger, on, reason, force))
        except UserError as error:
            refused.append((centre_id, str(error)))
    return changes, refused


def rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every stored row, in an order that does not depend on how the rows were written."""
    return {table: sorted(found, key=repr) for table, found in dump(url).items()}


@pytest.mark.parametrize(
    ("trigger", "on", "reason", "force", "moved"),
    [
        ("pause", None, None, False, 6),
        ("pause", date(2025, 6, 1), None, False, 4),  # two began later
        ("deepen", None, None, False, 1),
        ("deepen", None, "Sonderfall Landkreis", True, 5),
        ("withdraw", None, "Träger beendet das Vorhaben", False, 8),
    ],
)
def test_a_batch_writes_what_one_change_after_another_writes(
    service: Service,
    database_url: str,
    twin: tuple[Service, str],
    trigger: str,
    on: date | None,
    reason: str | None,
    force: bool,
    moved: int,
) -> None:
    batched, twin_url = twin
    ids = populate(service)
    assert populate(batched) == ids
    wanted = [ids[name] for name in NAMES]
    changes, refused = one_by_one(service, wanted, trigger, on, reason, force)
    report = batched.lifecycle.advance_many(wanted, trigger, on, reason, force)
    assert report.changes == changes
    assert [(s.centre_id, s.reason) for s in report.skipped] == refused
    assert len(changes) == moved
    assert rows(twin_url) == rows(database_url)


def test_guards_that_fail_skip_the_centre_with_the_reason(service: Service) -> None:
    ids = populate(service)
    names = ("ready", "no_visit", "recent", "interested")
    report = service.lifecycle.advance_many([ids[n] for n in names], "deepen")
    assert [c.centre_id for c in report.changes] == [ids["ready"]]
    skipped = {s.centre_id: s for s in report.skipped}
    assert list(skipped) == [ids["no_visit"], ids["recent"], ids["interested"]]
    assert isinstance(skipped[ids["no_visit"]].error, Refused)
    assert skipped[ids["no_visit"]].reason == (
        "'deepen' abgelehnt: kein Einrichtungsbesuch in der Stufe Basisbegleitung durchgeführt"
    )
    assert skipped[ids["recent"]].reason.startswith(
        "'deepen' abgelehnt: mindestens 24 Monate in der Stufe Basisbegleitung (bisher 9; "
    )
    assert skipped[ids["interested"]].reason.startswith(
        "'deepen' ist in der Stufe Interessent nicht möglich"
    )
    assert [c.stage for c in service.registry.centres(stage="vertiefungsbegleitung")] == [
        "vertiefungsbegleitung"
    ] * 2


def test_a_paused_batch_gives_up_plans_and_seats_and_tells_everyone(service: Service) -> None:
    ids = populate(service)
    paused = [ids["seat"], ids["waiting"], ids["ready"]]
    earlier = {m.key for m in service.outbox.rows()}
    report = service.lifecycle.advance_many(paused, "pause")
    assert [c.centre_id for c in report.changes] == paused
    why = "Stufenwechsel Basisbegleitung → Pausiert"
    seats = {
        (a.training_id, a.centre_id): (a.status, a.reason)
        for a in service.overview.activities(ActivityFilter(kind=ActivityKind.TRAINING))
    }
    small, pair = sorted({cast(int, training) for training, _ in seats})  # seats of trainings
    assert seats == {
        (small, ids["seat"]): (ActivityStatus.CANCELLED, why),
        (small, ids["waiting"]): (ActivityStatus.CANCELLED, why),
        (small, ids["last_waiting"]): (ActivityStatus.PLANNED, None),
        (pair, ids["seat"]): (ActivityStatus.CANCELLED, why),
        (pair, ids["ready"]): (ActivityStatus.CANCELLED, why),
        (pair, ids["no_visit"]): (ActivityStatus.PLANNED, None),
        (pair, ids["last_waiting"]): (ActivityStatus.PLANNED, None),
        (pair, ids["recent"]): (ActivityStatus.WAITING, None),
    }
    ahead = ActivityFilter(centre_id=ids["seat"], kind=ActivityKind.COACHING, first=TODAY)
    sessions = service.overview.activities(ahead)
    assert sessions
    assert {(a.status, a.reason) for a in sessions} == {(ActivityStatus.CANCELLED, why)}
    name_of = {centre_id: name for name, centre_id in ids.items()}
    notices = {
        (m.key, m.centre_id, m.recipient) for m in service.outbox.rows() if m.key not in earlier
    }
    assert notices == {
        (f"stage_changed:{c.id}:{role}", c.centre_id, to)
        for c in report.changes
        for role, to in (("centre", f"{name_of[c.centre_id]}@example.org"), ("office", OFFICE))
    }
    for centre_id in paused:
        centre, _ = service.registry.centre(centre_id)
        assert (centre.stage, centre.stage_since, centre.resume_stage) == (
            "pausiert",
            TODAY,
            "basisbegleitung",
        )
        assert (centre.episode_start, centre.next_step_on) == (TODAY, None)


def test_every_centre_in_a_stage_and_each_centre_once(service: Service) -> None:
    ids = populate(service)
    report = service.lifecycle.advance_many([], "pause", in_stage="Basisbegleitung")
    assert report.skipped == []
    assert [c.centre_id for c in report.changes] == sorted(
        ids[n] for n in ("ready", "no_visit", "recent", "seat", "waiting", "last_waiting")
    )
    assert service.registry.centres(stage="basisbegleitung") == []
    again = service.lifecycle.advance_many([ids["deepened"], ids["deepened"]], "pause")
    assert [c.centre_id for c in again.changes] == [ids["deepened"]]


@pytest.mark.parametrize(
    ("ids", "kwargs", "error", "message"),
    [
        ([1, 99], {}, NotFound, "keine Einrichtung mit der Nummer 99"),
        ([], {}, InvalidInput, "keine Einrichtung angegeben"),
        ([1], {"in_stage": "basisbegleitung"}, InvalidInput, "nicht beides"),
        ([], {"in_stage": "konsultationseinrichtung"}, NotFound, "keine Einrichtung in der"),
        ([], {"in_stage": "basis"}, InvalidInput, "unbekannte Stufe 'basis'"),
        ([1, 2], {"trigger": "befoerdern"}, Refused, "unbekannter Auslöser 'befoerdern'"),
        ([1, 2], {"force": True}, InvalidInput, "force braucht eine Begründung"),
        ([1, 2], {"on": date(2026, 6, 16)}, InvalidInput, "liegt in der Zukunft"),
    ],
)
def test_bad_input_writes_nothing(
    service: Service,
    database_url: str,
    ids: list[int],
    kwargs: dict[str, object],
    error: type[UserError],
    message: str,
) -> None:
    populate(service)
    before = dump(database_url)
    options = dict(kwargs)  # the parameters are shared by both backends
    trigger = str(options.pop("trigger", "pause"))
    with pytest.raises(error, match=message):
        service.lifecycle.advance_many(ids, trigger, **options)  # type: ignore[arg-type]  # bad on purpose
    assert dump(database_url) == before


def test_a_centre_changed_meanwhile_undoes_the_whole_batch(
    service: Service, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = populate(service)
    before = dump(database_url)
    recorded = Repository.record_changes

    def meanwhile(
        self: Repository, moves: Sequence[tuple[StageChange, Centre, str | None]]
    ) -> object:
        recorded(self, moves)  # the centres move ...
        return None  # ... but one of them had moved already

    monkeypatch.setattr(Repository, "record_changes", meanwhile)
    with pytest.raises(Refused, match="gleichzeitig geändert"):
        service.lifecycle.advance_many([ids["ready"], ids["seat"]], "pause")
    assert dump(database_url) == before


def test_the_command_line_changes_what_it_may(ready: Run, database_url: str) -> None:
    assert ready("advance", "1", "admit", "--on", "2024-02-01").code == 0
    both = ready("advance", "1", "2", "pause", "--on", "2024-03-01")
    assert both.code == 0
    assert both.out == (
        "Einrichtung 1: Basisbegleitung → Pausiert ab 01.03.2024.\n1 gewechselt, 1 übersprungen.\n"
    )
    assert both.err == (
        "Einrichtung 2 übersprungen: 'pause' ist in der Stufe Interessent nicht möglich "
        "(möglich: admit, withdraw)\n"
    )
    before = dump(database_url)
    none = ready("advance", "1", "2", "deepen")
    assert none.code == 2
    assert none.out == ""
    assert none.err.splitlines()[-1] == "Fehler: keine der 2 Einrichtungen gewechselt"
    assert len(none.err.splitlines()) == 3
    assert dump(database_url) == before
    everyone = ready("advance", "--all-in-stage", "pausiert", "resume", "--on", "2024-04-01")
    assert (everyone.code, everyone.err) == (0, "")
    assert everyone.out == "Einrichtung 1: Pausiert → Basisbegleitung ab 01.04.2024.\n"
