"""Undoing a centre's latest stage change: the earlier stage and its plan back, an audit
entry, mails only where the revert changes what people must do; refused with a German
reason and nothing written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.cli_helpers import dump
from tests.conftest import BERLIN
from tests.test_corrections import admitted, held_session, later, of_kind
from tests.test_digest_as_recorded import contents
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.corrections import Action, Subject, sentence
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus, Recipient
from thekiz_flow.core.errors import InvalidInput, Refused
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

DEEPENED = date(2026, 6, 1)


def deepened(service: Service, clock: FrozenClock) -> int:
    """A centre in Basisbegleitung since 2 March 2026, deepened (forced) from 1 June 2026."""
    centre = admitted(service, clock)
    service.lifecycle.advance(centre, "deepen", on=DEEPENED, reason="zu früh geklickt", force=True)
    later(clock)
    return centre


def planned(service: Service, centre: int) -> list[tuple[str, str, date]]:
    """The centre's planned sessions and visits: (kind, stage, date)."""
    return sorted(
        (a.kind.value, a.stage, a.date)
        for kind in (ActivityKind.COACHING, ActivityKind.SITE_VISIT)
        for a in of_kind(service, centre, kind)
        if a.status == ActivityStatus.PLANNED
    )


def test_the_centre_and_its_plan_return_to_the_earlier_stage(
    service: Service, clock: FrozenClock
) -> None:
    centre = admitted(service, clock)
    before = planned(service, centre)
    before_centre, _ = service.registry.centre(centre)
    service.lifecycle.advance(centre, "deepen", on=DEEPENED, reason="zu früh", force=True)
    deep = {stage for _, stage, day in planned(service, centre) if day >= DEEPENED}
    assert deep == {"vertiefungsbegleitung"}
    moment = later(clock)

    done = service.reverts.revert(centre, "falsche Einrichtung")

    after, _ = service.registry.centre(centre)
    assert (after.stage, after.stage_since, after.resume_stage) == (
        "basisbegleitung",
        date(2026, 3, 2),
        None,
    )
    assert (after.episode_start, after.next_step_on) == (
        before_centre.episode_start,
        before_centre.next_step_on,
    )
    today = moment.astimezone(BERLIN).date()
    assert [p for p in planned(service, centre) if p[2] >= today] == [
        p for p in before if p[2] >= today
    ]
    assert done.cancelled
    assert done.planned
    assert done.change.to_stage == "vertiefungsbegleitung"
    entry = done.entry
    assert (entry.subject, entry.subject_id, entry.centre_id, entry.action) == (
        Subject.STAGE_CHANGE,
        done.change.id,
        centre,
        Action.REVERTED,
    )
    assert (entry.actor, entry.recorded_at, entry.reason) == ("test", moment, "falsche Einrichtung")
    assert entry.before == {"stage": "vertiefungsbegleitung", "stage_since": "2026-06-01"}
    assert entry.after == {"stage": "basisbegleitung", "stage_since": "2026-03-02"}
    names = {s.id: s.name for s in service.workflow.stages.values()}
    assert sentence(entry, BERLIN, stages=names) == (
        "16.06.2026 Stufenwechsel 2 zurückgenommen: Stufe Vertiefungsbegleitung → "
        "Basisbegleitung; in der Stufe seit 01.06.2026 → 02.03.2026 "
        "(Grund: falsche Einrichtung), von test"
    )
    # the original stays in the trail; the one in force is gone
    assert [c.trigger for c in service.lifecycle.history(centre)] == ["admit", "deepen"]
    assert [e.correction.id for e in service.corrections.of_centre(centre)] == [entry.id]


def test_the_plan_is_that_of_a_centre_never_deepened(service: Service, clock: FrozenClock) -> None:
    """Reverted, the centre's plan from today on is what it was without the change."""
    centre = admitted(service, clock)
    later(clock)
    today = clock.now().astimezone(BERLIN).date()
    unchanged = [p for p in planned(service, centre) if p[2] >= today]
    service.lifecycle.advance(centre, "deepen", on=DEEPENED, reason="zu früh", force=True)
    later(clock)
    service.reverts.revert(centre, "zu früh")
    assert [p for p in planned(service, centre) if p[2] >= today] == unchanged
    assert all(stage == "basisbegleitung" for _, stage, _ in planned(service, centre))


def mails(service: Service) -> list[tuple[str, Recipient, OutboxStatus]]:
    return [(row.key, row.role, row.status) for row in service.outbox.rows()]


def test_an_unsent_notice_is_withdrawn_and_only_the_coach_hears(
    service: Service, clock: FrozenClock
) -> None:
    centre = deepened(service, clock)
    done = service.reverts.revert(centre, "zu früh")
    change = done.change.id
    assert done.mailed == [Recipient.COACH]
    assert done.withdrawn_mails == 2
    rows = {(key.split(":")[0], role, status) for key, role, status in mails(service)}
    assert ("stage_changed", Recipient.CENTRE, OutboxStatus.WITHDRAWN) in rows
    assert ("stage_changed", Recipient.OFFICE, OutboxStatus.WITHDRAWN) in rows
    assert (f"stage_reverted:{change}:coach", Recipient.COACH, OutboxStatus.PENDING) in mails(
        service
    )
    assert not any(
        key.startswith("stage_reverted") and role != Recipient.COACH
        for key, role, _ in mails(service)
    )


def test_a_centre_told_of_the_change_hears_of_the_revert(
    service: Service, clock: FrozenClock
) -> None:
    centre = deepened(service, clock)
    service.outbox.dispatch()
    done = service.reverts.revert(centre, "zu früh")
    assert done.mailed == [Recipient.CENTRE, Recipient.COACH]
    assert done.withdrawn_mails == 0
    reverted = [r for r in service.outbox.rows() if r.key.startswith("stage_reverted")]
    assert sorted(r.role for r in reverted) == [Recipient.CENTRE, Recipient.COACH]
    centre_mail = next(r for r in reverted if r.role == Recipient.CENTRE)
    assert centre_mail.subject == (
        "Stufenwechsel zurückgenommen: Kita Pusteblume (Jena) ist wieder in der Stufe "
        "Basisbegleitung"
    )
    _, message = service.outbox.message(centre_mail.id)
    assert "in die Stufe Vertiefungsbegleitung zum 1. Juni 2026 ist zurückgenommen" in (
        message.text
    )
    assert "zu früh" not in message.text  # the office's reason stays internal
    assert "Planung ist angepasst" not in message.text
    coach_mail = next(r for r in reverted if r.role == Recipient.COACH)
    assert "Planung ist angepasst" in service.outbox.message(coach_mail.id)[1].text


def test_reverting_twice_walks_back_the_trail(service: Service, clock: FrozenClock) -> None:
    centre = deepened(service, clock)
    service.reverts.revert(centre, "zu früh")
    later(clock)
    done = service.reverts.revert(centre, "noch nicht aufgenommen")
    assert done.change.trigger == "admit"
    after, _ = service.registry.centre(centre)
    assert (after.stage, after.stage_since) == ("interessent", date(2026, 3, 2))
    assert planned(service, centre) == []
    with pytest.raises(Refused, match="keinen Stufenwechsel"):
        service.reverts.revert(centre, "nochmal")


@pytest.mark.parametrize(
    ("reason", "change", "error", "message"),
    [
        ("", None, InvalidInput, "Begründung|leer|fehlt|Pflicht|angeben"),
        ("   ", None, InvalidInput, "Begründung|leer|fehlt|Pflicht|angeben"),
        ("zu früh", 1, Refused, "Nur der letzte Stufenwechsel der Einrichtung 1"),
    ],
)
def test_refused_writes_nothing(
    service: Service,
    clock: FrozenClock,
    database_url: str,
    reason: str,
    change: int | None,
    error: type[Exception],
    message: str,
) -> None:
    centre = deepened(service, clock)
    before = dump(database_url)
    with pytest.raises(error, match=message):
        service.reverts.revert(centre, reason, change)
    assert dump(database_url) == before


def test_a_change_held_through_is_not_reverted(
    service: Service, clock: FrozenClock, database_url: str
) -> None:
    centre = deepened(service, clock)
    held_session(service, centre, date(2026, 6, 3))
    before = dump(database_url)
    with pytest.raises(Refused) as refused:
        service.reverts.revert(centre, "zu früh")
    assert str(refused.value) == (
        "1 Begleittermin wurde ab dem 01.06.2026 in der Stufe Vertiefungsbegleitung gehalten; "
        "der Stufenwechsel kann nicht zurückgenommen werden (erst diese Termine als Fehler "
        "stornieren)"
    )
    assert dump(database_url) == before


def test_no_change_and_a_change_reverted_already_are_refused(
    service: Service, clock: FrozenClock, database_url: str
) -> None:
    centre = admitted(service, clock)
    fresh = service.registry.add_centre(
        CentreInput("Kita Neu", "jena", "neu@example.org"), date(2026, 3, 2)
    )
    before = dump(database_url)
    with pytest.raises(Refused, match=f"Einrichtung {fresh} hat keinen Stufenwechsel"):
        service.reverts.revert(fresh, "zu früh")
    assert dump(database_url) == before
    done = service.reverts.revert(centre, "zu früh")
    with pytest.raises(Refused, match=f"Stufenwechsel {done.change.id} ist schon zurückgenommen"):
        service.reverts.revert(centre, "zu früh", done.change.id)


def test_the_preview_writes_nothing_and_says_what_happens(
    service: Service, clock: FrozenClock, database_url: str
) -> None:
    centre = deepened(service, clock)
    service.outbox.dispatch()
    before = dump(database_url)
    preview = service.reverts.preview(centre, "zu früh")
    assert dump(database_url) == before
    lines = preview.lines("Basisbegleitung")
    assert lines[0] == "Kita Pusteblume (Jena) kehrt zurück in die Stufe Basisbegleitung."
    assert any(line.endswith("werden abgesagt.") for line in lines)
    assert any(line.endswith("neu geplant.") for line in lines)
    assert lines[-1] == "Die Einrichtung und die Prozessbegleitung erhalten eine E-Mail."
    done = service.reverts.revert(centre, "zu früh")
    assert done.lines("Basisbegleitung") == lines


def test_the_digest_as_recorded_before_the_revert_stays_the_same(
    service: Service, clock: FrozenClock, tmp_path: Path
) -> None:
    centre = deepened(service, clock)
    sent_on = clock.now().astimezone(BERLIN).date()
    sent = contents(service.digest.write(2026, tmp_path / "sent"))
    clock.set(noon(date(2026, 6, 20), BERLIN))
    service.reverts.revert(centre, "zu früh")
    now = contents(service.digest.write(2026, tmp_path / "now"))
    assert now != sent
    then = contents(service.digest.write(2026, tmp_path / "then", as_recorded_on=sent_on))
    assert then == sent
