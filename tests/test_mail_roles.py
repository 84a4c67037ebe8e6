"""The mails the service writes, per reader: the office's reason stays internal, each mail
links to the web pages ([web] base_url), a training-deadline mail lists the next offerings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine

from tests.conftest import BERLIN
from tests.test_reminder_rules import admitted, run_days
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Workflow
from thekiz_flow.service import Service
from thekiz_flow.workflow.config import MailSettings

BASE_URL = "https://thekiz.example.org"
REASON = "Träger hat Förderbescheid noch nicht weitergeleitet"


@pytest.fixture
def linked(engine: Engine, workflow: Workflow, clock: FrozenClock, mail: MailSettings) -> Service:
    """The service with the web pages' address configured."""
    settings = replace(mail, base_url=BASE_URL)
    return Service(engine, workflow, clock, BERLIN, actor="test", mail=settings, wall=clock)


def texts(service: Service, rule: str) -> dict[str, str]:
    """The text of each mail of ``rule``, by the recipient's role."""
    found = {}
    for row in service.outbox.rows():
        if row.rule == rule:
            _, mail = service.outbox.message(row.id)
            found[row.role.value] = mail.text + mail.html
    return found


def test_the_offices_reason_never_reaches_the_centre(linked: Service, clock: FrozenClock) -> None:
    centre = admitted(linked, clock, date(2025, 1, 6))
    linked.lifecycle.advance(centre, "pause", reason=REASON)
    change = max(
        int(r.key.split(":")[1]) for r in linked.outbox.rows() if r.rule == "stage_changed"
    )
    by_role = {
        row.role.value: linked.outbox.message(row.id)[1]
        for row in linked.outbox.rows()
        if row.key.startswith(f"stage_changed:{change}:")
    }
    assert set(by_role) == {"centre", "office"}
    assert REASON not in by_role["centre"].text + by_role["centre"].html
    assert REASON in by_role["office"].text
    assert f"{BASE_URL}/centres/{centre}" in by_role["office"].text
    assert "Kita A (Gera)" in by_role["centre"].subject


NOTE = "Bitte reichen Sie den Förderbescheid bis Ende des Monats nach."


def test_the_note_for_the_centre_goes_to_the_centre_and_is_kept(
    linked: Service, clock: FrozenClock
) -> None:
    centre = admitted(linked, clock, date(2025, 1, 6))
    change = linked.lifecycle.advance(centre, "pause", reason=REASON, note=NOTE)
    by_role = {
        row.role.value: linked.outbox.message(row.id)[1]
        for row in linked.outbox.rows()
        if row.key.startswith(f"stage_changed:{change.id}:")
    }
    told = by_role["centre"].text + by_role["centre"].html
    assert NOTE in told
    assert REASON not in told
    assert NOTE in by_role["office"].text
    assert linked.lifecycle.history(centre)[-1].centre_note == NOTE


def test_a_note_with_a_line_break_is_refused_and_nothing_is_written(
    linked: Service, clock: FrozenClock
) -> None:
    centre = admitted(linked, clock, date(2025, 1, 6))
    before = len(linked.outbox.rows())
    with pytest.raises(InvalidInput) as refused:
        linked.lifecycle.advance(centre, "pause", note="erste Zeile\nzweite Zeile")
    assert refused.value.field == "centre_note"
    assert len(linked.outbox.rows()) == before
    assert len(linked.lifecycle.history(centre)) == 1


def test_the_links_follow_the_configured_address(linked: Service, clock: FrozenClock) -> None:
    admitted(linked, clock, date(2025, 1, 6))
    run_days(linked, clock, date(2025, 3, 5), 3)
    assert f"{BASE_URL}/trainings" in texts(linked, "training_deadline")["coach"]


def test_without_an_address_a_mail_says_where_to_go(service: Service, clock: FrozenClock) -> None:
    admitted(service, clock, date(2025, 1, 6))
    run_days(service, clock, date(2025, 3, 5), 3)
    coach = texts(service, "training_deadline")["coach"]
    assert "http" not in coach
    assert "auf den Web-Seiten von ThEKiZ unter „Fortbildungen“" in coach


def test_the_deadline_mail_lists_the_next_offerings_with_free_seats(
    service: Service, clock: FrozenClock
) -> None:
    admitted(service, clock, date(2025, 1, 6))  # Auftakt expected by 2025-04-06
    full = service.trainings.add("auftakt", "Auftakt Gera", "2025-03-20", "Gera", "1")
    service.trainings.add("auftakt", "Auftakt Erfurt", "2025-03-25", "Erfurt", "12")
    service.trainings.add("auftakt", "Auftakt vorbei", "2025-03-01", "Jena", "12")
    other = admitted(service, clock, date(2025, 1, 6), name="Kita B")
    service.trainings.enrol(full, other)
    run_days(service, clock, date(2025, 3, 5), 3)
    centre = texts(service, "training_deadline")["centre"]
    assert "25. März 2025 in Erfurt: „Auftakt Erfurt“ (12 Plätze frei)" in centre
    assert "Auftakt Gera" not in centre  # no free seat
    assert "Auftakt vorbei" not in centre  # past
    assert "antworten Sie bitte auf diese E-Mail" in centre
