"""Previewing a stage change writes nothing and tells what the change would do; editing
and calling off a training."""

from __future__ import annotations

from datetime import date

import pytest

from tests.cli_helpers import dump
from tests.test_lifecycle_batch import NAMES, populate
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus, Recipient
from thekiz_flow.core.errors import InvalidInput, Refused
from thekiz_flow.core.model import ActivityFilter
from thekiz_flow.service import Service


def test_a_preview_writes_nothing_and_matches_the_change(
    service: Service, database_url: str
) -> None:
    ids = populate(service)
    wanted = [ids[name] for name in NAMES]
    before = dump(database_url)
    preview = service.lifecycle.preview(wanted, "withdraw", None, "Träger beendet das Vorhaben")
    assert dump(database_url) == before
    assert len(preview.report.changes) == 8
    effects = preview.effects
    assert effects.cancelled[ActivityKind.COACHING] > 0
    assert effects.released == 6  # seats and waiting places of those centres, two trainings
    assert {role for role, _ in effects.notices} == {Recipient.CENTRE, Recipient.OFFICE}
    earlier = len(service.outbox.rows())
    done = service.lifecycle.advance_many(wanted, "withdraw", None, "Träger beendet das Vorhaben")
    assert [c.centre_id for c in done.changes] == [c.centre_id for c in preview.report.changes]
    mails = service.outbox.rows()[earlier:]
    assert sorted((m.role, m.recipient) for m in mails) == sorted(effects.notices)
    lines = preview.lines()
    assert "8 Einrichtungen erhalten eine E-Mail." in lines
    assert "6 Fortbildungsplätze werden freigegeben." in lines


def test_a_preview_of_one_centre_in_german(service: Service) -> None:
    ids = populate(service)
    preview = service.lifecycle.preview([ids["recent"]], "pause")
    planned = service.overview.activities(
        ActivityFilter(
            centre_id=ids["recent"], kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
        )
    )
    lines = preview.lines()
    count = preview.effects.cancelled[ActivityKind.COACHING]
    assert count > 0
    first = preview.effects.cancelled_from
    assert first is not None
    assert lines[0] == f"{count} Begleittermine ab {first:%d.%m.%Y} werden abgesagt."
    assert "Die Einrichtung erhält eine E-Mail." in lines
    assert len(planned) == count  # every planned session is after today


def test_a_preview_reports_the_centres_skipped(service: Service) -> None:
    ids = populate(service)
    preview = service.lifecycle.preview([ids["interested"], ids["ready"]], "deepen")
    assert [c.centre_id for c in preview.report.changes] == [ids["ready"]]
    assert [s.centre_id for s in preview.report.skipped] == [ids["interested"]]
    with pytest.raises(InvalidInput):  # bad input is refused as by the change itself
        service.lifecycle.preview([ids["ready"]], "deepen", force=True)


def test_editing_a_training(service: Service) -> None:
    ids = populate(service)
    small = 1  # Reflexion I, one seat, two waiting
    with pytest.raises(InvalidInput) as low:
        service.trainings.update(small, "Reflexion I", "2026-09-02", "Erfurt", "0")
    assert low.value.field == "capacity"
    pair = 2  # two seats taken
    with pytest.raises(InvalidInput) as below:
        service.trainings.update(pair, "Vernetzung I", "2026-10-07", "Jena", "1")
    assert "2 Einrichtungen sind angemeldet" in str(below.value)
    with pytest.raises(InvalidInput) as past:
        service.trainings.update(pair, "Vernetzung I", "2026-01-07", "Jena", "2")
    assert past.value.field == "date"
    changed = service.trainings.update(small, "Reflexion I (neu)", "2026-09-09", "Gotha", "2")
    assert (changed.title, changed.date, changed.place, changed.capacity) == (
        "Reflexion I (neu)",
        date(2026, 9, 9),
        "Gotha",
        2,
    )
    _, enrolments = service.trainings.enrolments(small)
    states = {e.centre_id: e.status for e in enrolments}
    assert states[ids["seat"]] == ActivityStatus.PLANNED
    assert states[ids["waiting"]] == ActivityStatus.PLANNED  # the new seat went to the first
    assert states[ids["last_waiting"]] == ActivityStatus.WAITING


def test_calling_a_training_off(service: Service) -> None:
    ids = populate(service)
    training, enrolled, waiting = service.trainings.cancel_preview(1)
    assert (enrolled, waiting) == (1, 2)
    with pytest.raises(InvalidInput):
        service.trainings.cancel(1, " ")
    told = service.trainings.cancel(1, "Referentin erkrankt")
    assert sorted(told) == sorted(ids[n] for n in ("seat", "waiting", "last_waiting"))
    _, enrolments = service.trainings.enrolments(1)
    assert {e.status for e in enrolments} == {ActivityStatus.CANCELLED}
    assert {e.reason for e in enrolments} == {"Referentin erkrankt"}
    mails = [r for r in service.outbox.rows() if r.rule == "training_cancelled"]
    assert len(mails) == 3
    assert all(r.status == OutboxStatus.PENDING for r in mails)
    assert mails[0].centre_id is not None
    centre, _ = service.registry.centre(mails[0].centre_id)
    assert mails[0].subject == (
        f"Fortbildung abgesagt: {training.title} am 02.09.2026 – {centre.title}"
    )
    assert service.trainings.find()[0][0].cancelled == "Referentin erkrankt"
    with pytest.raises(Refused):
        service.trainings.cancel(1, "nochmals")
    with pytest.raises(Refused):
        service.trainings.enrol(1, ids["recent"])
    with pytest.raises(Refused):
        service.trainings.update(1, "Reflexion I", "2026-09-02", "Erfurt", "3")
