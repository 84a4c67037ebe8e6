"""A failed mail retried after a correction is rendered anew for the current recipient, and
every attempt is kept with the SMTP server's answer (a real aiosmtpd server on loopback)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from email.message import Message

import pytest
from sqlalchemy import Engine, update

from tests.conftest import BERLIN
from tests.outbox_helpers import OFFICE, message_id, rows, smtp_mail, smtp_service
from tests.smtp_servers import RefusingServer, TempFailServer
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import DeliveryStatus, OutboxStatus, Recipient
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.model import CentreEdit, CentreInput, Workflow
from thekiz_flow.core.outbox import OutboxRow
from thekiz_flow.service import Service
from thekiz_flow.store.tables import outbox

pytestmark = pytest.mark.backends("sqlite", "postgresql")
OLD, NEW = "alt@example.org", "neu@example.org"
MONDAY = datetime.combine(date(2026, 3, 16), time(10), BERLIN)


def body(content: bytes) -> str:
    message = message_from_bytes(content)
    assert isinstance(message, Message)
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8")
    raise AssertionError("no text part")


def admitted(service: Service) -> int:
    """A centre at ``OLD``, admitted: the centre and the office hear of it."""
    coach = service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    given = CentreInput("Kita Sonnenschein", "Gera", OLD, coach=str(coach))
    centre = service.registry.add_centre(given)
    service.lifecycle.advance(centre, "admit")
    return centre


def centre_notice(service: Service) -> OutboxRow:
    (row,) = [r for r in service.outbox.rows() if r.role == Recipient.CENTRE]
    return row


def test_a_retry_after_the_address_is_corrected_goes_to_the_new_address_with_the_new_text(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    clock.set(MONDAY)
    with RefusingServer(OLD) as server:
        service = smtp_service(engine, workflow, clock, server.port)
        centre = admitted(service)
        service.outbox.dispatch()
        failed = centre_notice(service)
        assert failed.status == OutboxStatus.FAILED
        assert all(OLD not in r.recipients for r in server.received)
        edit = CentreEdit(name="Kita Regenbogen", email=NEW)
        service.registry.update_centre(centre, edit)
        clock.set(MONDAY + timedelta(hours=1))
        again = service.outbox.retry(failed.id)
        assert (again.recipient, again.status) == (NEW, OutboxStatus.PENDING)
        assert "Kita Regenbogen" in again.subject
        service.outbox.dispatch()
    (received,) = [r for r in server.received if NEW in r.recipients]
    assert received.recipients == (NEW,)
    text = body(received.content)
    assert "Kita Regenbogen" in text
    assert "Sonnenschein" not in text
    sent = rows(engine)[failed.id]
    assert (sent.status, sent.key, sent.recipient) == (OutboxStatus.SENT, failed.key, NEW)
    assert received.message_id == message_id(failed)  # the same logical mail
    _, mail = service.outbox.message(failed.id)
    assert "Kita Regenbogen" in mail.text
    assert "Kita Regenbogen" in mail.html
    history = service.outbox.attempts(failed.id)
    assert [(a.attempt, a.outcome, a.recipient, a.code) for a in history] == [
        (1, DeliveryStatus.FAILED, OLD, 550),
        (2, DeliveryStatus.SENT, NEW, 250),
    ]
    assert history[0].reply == "5.1.1 Mailbox unbekannt"
    assert "OK" in (history[1].reply or "")
    assert [a.at for a in history] == [MONDAY, MONDAY + timedelta(hours=1)]


def test_a_mail_that_cannot_be_rendered_again_is_not_retried(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    clock.set(MONDAY)
    with RefusingServer(OLD) as server:
        service = smtp_service(engine, workflow, clock, server.port)
        admitted(service)
        service.outbox.dispatch()
        failed = centre_notice(service)
        with engine.begin() as connection:  # its template is gone from the workflow's files
            stmt = update(outbox).where(outbox.c.id == failed.id).values(template="verschwunden")
            connection.execute(stmt)
        with pytest.raises(Refused) as refused:
            service.outbox.retry(failed.id)
        assert str(refused.value) == (
            f"Nachricht {failed.id} lässt sich nicht neu erstellen: Mail-Vorlage "
            "'verschwunden' fehlt (mail/verschwunden.txt.j2); "
            "sie wird nicht erneut versandt"
        )
        assert service.outbox.dispatch().sent == 0
    assert rows(engine)[failed.id] == failed


def test_a_mail_whose_centre_is_gone_is_not_retried(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    clock.set(MONDAY)
    with RefusingServer(OLD) as server:
        service = smtp_service(engine, workflow, clock, server.port)
        admitted(service)
        service.outbox.dispatch()
        failed = centre_notice(service)
        with engine.begin() as connection:  # as if the centre had been removed
            context = '{"centre": {"$centre": 999}}'
            stmt = update(outbox).where(outbox.c.id == failed.id).values(context=context)
            connection.execute(stmt)
        gone = "lässt sich nicht neu erstellen: Einrichtung 999 gibt es nicht mehr; sie wird"
        with pytest.raises(Refused, match=gone):
            service.outbox.retry(failed.id)
    assert rows(engine)[failed.id] == failed


def test_a_mail_without_an_address_goes_once_the_address_is_known(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    """The office's notices of a centre are written although [mail] office is missing; once
    it is configured, a retry sends them to it."""
    clock.set(MONDAY)
    with TempFailServer(0) as server:
        unset = replace(smtp_mail(server.port), office=None)
        before = Service(engine, workflow, clock, BERLIN, "test", mail=unset, wall=clock)
        admitted(before)
        (office,) = [r for r in before.outbox.rows() if r.role == Recipient.OFFICE]
        assert (office.status, office.recipient) == (OutboxStatus.FAILED, "")
        unsent = re.escape(
            "hat keinen Empfänger (keine Adresse der Fachstelle eingerichtet, Einstellung "
            "[mail] office); sie wird nicht erneut"
        )
        with pytest.raises(Refused, match=unsent):
            before.outbox.retry(office.id)
        service = smtp_service(engine, workflow, clock, server.port)
        assert service.outbox.retry(office.id).recipient == OFFICE
        service.outbox.dispatch()
    assert [r.recipients for r in server.received if OFFICE in r.recipients] == [(OFFICE,)]


def test_a_temporary_refusal_and_the_send_are_both_in_the_history(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    clock.set(MONDAY)
    with TempFailServer(2) as server:
        service = smtp_service(engine, workflow, clock, server.port)
        admitted(service)
        assert service.outbox.dispatch().retried == 2
        clock.set(MONDAY + timedelta(hours=1))
        assert service.outbox.dispatch().sent == 2
    for row in rows(engine).values():
        history = service.outbox.attempts(row.id)
        assert [(a.attempt, a.outcome, a.code) for a in history] == [
            (1, DeliveryStatus.RETRY, 451),
            (2, DeliveryStatus.SENT, 250),
        ]
        assert history[0].reply == "4.3.0 Bitte später erneut versuchen"
