"""Mail: the German templates, the message, and delivery against real SMTP servers on loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from email import message_from_bytes
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from tests.smtp_servers import (
    HOST,
    AuthServer,
    HangUpServer,
    RecordingServer,
    RefusingServer,
    StallingServer,
    TempFailServer,
    free_port,
)
from thekiz_flow.core.enums import DeliveryStatus
from thekiz_flow.core.errors import ConfigError, InvalidInput, WorkflowError
from thekiz_flow.core.model import Mail
from thekiz_flow.demo.sink import ClosingController
from thekiz_flow.mail.delivery import (
    AFTER_DATA,
    LEASE_OVER,
    LOST,
    FileBackend,
    Outcome,
    SmtpBackend,
    local_hostname,
    make_backend,
)
from thekiz_flow.mail.message import build_message
from thekiz_flow.mail.render import Renderer
from thekiz_flow.workflow.config import FileMailSettings, MailSettings, SmtpSettings
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW, SHIPPED_TEMPLATES

TEMPLATES = SHIPPED_TEMPLATES
NOW = datetime(2026, 1, 15, 7, 0, tzinfo=ZoneInfo("Europe/Berlin"))
SENDER = "thekiz-flow@example.org"
EVIL = "\r\nBcc: evil@example.org"
SIGNATURE = "Landeskoordinations- und Fachstelle ThEKiZ"


class Held:
    """A lease on the mails ``held`` (None: all), until ``until`` (None: a minute from each
    question)."""

    def __init__(self, held: set[int] | None = None, until: float | None = None) -> None:
        self.held = held
        self.until = until

    def deadline(self, mail: Mail) -> float | None:
        if self.held is not None and mail.id not in self.held:
            return None
        return time.monotonic() + 60 if self.until is None else self.until


HELD = Held()

CENTRE = {
    "id": 7,
    "name": "Kita Pusteblume",
    "district": "Gotha",
    "title": "Kita Pusteblume (Gotha)",
}
COACH = {"name": "Erika Beispiel", "email": "erika.beispiel@example.org"}
SESSION = {"date": date(2026, 1, 21), "hours": Decimal("2.5"), "id": 17}

#: A context for every template in templates/mail/; a template without one fails the test.
CONTEXTS: dict[str, dict[str, object]] = {
    "stage_changed": {
        "centre": CENTRE,
        "from_stage": {"name": "Basisbegleitung"},
        "to_stage": {"name": "Vertiefungsbegleitung"},
        "effective": date(2026, 1, 15),
        "reason": "Vorerfahrung als Familienzentrum",
        "centre_note": None,
    },
    "stage_reverted": {
        "centre": CENTRE,
        "stage": {"name": "Basisbegleitung"},
        "withdrawn_stage": {"name": "Vertiefungsbegleitung"},
        "effective": date(2026, 1, 15),
        "coach": COACH,
    },
    "session_upcoming": {"coach": COACH, "centre": CENTRE, "activity": SESSION},
    "invitation": {
        "coach": COACH,
        "centre": CENTRE,
        "activity": SESSION,
        "moved_from": date(2026, 1, 14),
    },
    "invitation_cancelled": {
        "coach": COACH,
        "centre": CENTRE,
        "activity": SESSION,
        "reason": None,
        "handed_over": False,
    },
    "session_unrecorded": {"coach": COACH, "centre": CENTRE, "activity": SESSION, "number": 2},
    "session_unrecorded_office": {"coach": COACH, "centre": CENTRE, "activity": SESSION},
    "visit_upcoming": {"centre": CENTRE, "activity": {"date": date(2026, 3, 4)}},
    "training_cancelled": {
        "centre": CENTRE,
        "training": {"title": "Reflexion I", "date": date(2026, 9, 2), "place": "Erfurt"},
        "kind": "Reflexionsfortbildung",
        "reason": "Referentin erkrankt",
        "waiting": False,
    },
    "training_deadline": {
        "centre": CENTRE,
        "training_kind": "Reflexionsfortbildung",
        "deadline": date(2026, 6, 30),
        "offers": [],
    },
    "eligible": {
        "centre": CENTRE,
        "stage": {"name": "Basisbegleitung"},
        "trigger": "deepen",
        "next_stage": {"name": "Vertiefungsbegleitung"},
    },
    "budget_threshold": {
        "centre": CENTRE,
        "year": 2026,
        "percent": 80,
        "budget": Decimal(5000),
        "spent": Decimal("4012.50"),
    },
    "delivery_failed": {
        "recipient": "leitung@pusteblume.example.org",
        "subject": "Vor-Ort-Besuch am 04.03.2026: Kita Pusteblume",
        "error": "SMTP 550: 5.1.1 Mailbox unbekannt",
        "outbox_id": 41,
    },
    "digest": {"year": 2025, "today": date(2026, 1, 15)},
    "watchdog": {
        "problem": "ticks",
        "recovered": False,
        "since": "15.06.2026 10:00",
        "now": "15.06.2026 11:00",
        "age": "60 Minuten",
        "failed": 0,
        "threshold": 10,
        "days": 7,
    },
    "renewal_due": {
        "centre": CENTRE,
        "stage": {"name": "Vertiefungsbegleitung"},
        "since": date(2025, 2, 3),
    },
    "overview": {
        "month": date(2026, 3, 2),
        "today": date(2026, 3, 2),
        "upcoming": [
            {"date": date(2026, 3, 4), "kind": "Besuch", "centre": "Kita <b>&Co", "centre_id": 1}
        ],
        "unrecorded": [
            {"date": date(2026, 2, 18), "centre": "Kita A", "centre_id": 2, "coach": "Paul Winter"}
        ],
        "eligible": [{"centre": "Kita B", "centre_id": 3, "trigger": "deepen"}],
        "budget": [{"centre": "Kita C", "centre_id": 4, "percent": 84}],
        "failed": [
            {
                "id": 5,
                "recipient": "",
                "subject": "nicht zustellbar",
                "error": "keine Adresse der Fachstelle eingerichtet, Einstellung [mail] office",
            }
        ],
    },
}


def template_names() -> list[str]:
    """Every mail in templates/mail/ (files starting with _ are layouts, not mails)."""
    mail_dir = TEMPLATES / "mail"
    return sorted(
        {path.name.split(".")[0] for path in mail_dir.glob("*.j2") if not path.name.startswith("_")}
    )


def mail(number: int, recipient: str | None = None, **changes: Any) -> Mail:
    one = Mail(
        id=number,
        key=f"centre:1|rule:test|activity:{number}|1",
        recipient=f"person{number}@example.org" if recipient is None else recipient,
        subject=f"Nachricht {number}",
        text=f"Guten Tag, Nachricht {number}.\n",
        html=f"<p>Guten Tag, Nachricht {number}.</p>\n",
    )
    return replace(one, **changes)


def parse(content: bytes) -> EmailMessage:
    return message_from_bytes(content, policy=default)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES, load_workflow(DEFAULT_WORKFLOW).step_name)


# Rendering


def test_every_mail_has_a_text_and_an_html_template_and_a_test_context() -> None:
    names = template_names()
    for name in names:
        assert (TEMPLATES / "mail" / f"{name}.txt.j2").is_file(), name
        assert (TEMPLATES / "mail" / f"{name}.html.j2").is_file(), name
    assert sorted(CONTEXTS) == names


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders(renderer: Renderer, name: str) -> None:
    rendered = renderer.render(name, CONTEXTS[name])
    assert rendered.subject
    assert "\n" not in rendered.subject
    assert rendered.subject == rendered.subject.strip()
    for part in (rendered.text, rendered.html):
        assert SIGNATURE in part
        assert "None" not in part
    assert not rendered.text.startswith("\n")
    assert rendered.html.startswith("<!DOCTYPE html>")


def test_stage_changed_reads_in_german(renderer: Renderer) -> None:
    rendered = renderer.render("stage_changed", CONTEXTS["stage_changed"], "office")
    assert rendered.subject == (
        "Stufenwechsel: Kita Pusteblume (Gotha) ist jetzt in der Stufe Vertiefungsbegleitung"
    )
    assert "seit dem 15. Januar 2026 in der Stufe Vertiefungsbegleitung" in rendered.text
    assert "Begründung (nur intern, die Einrichtung erhält sie nicht): Vorerfahrung" in (
        rendered.text
    )
    context = {**CONTEXTS["stage_changed"], "reason": None}
    without = renderer.render("stage_changed", context, "office")
    assert "Begründung" not in without.text
    assert "Begründung" not in without.html


def test_numbers_money_and_dates_are_german(renderer: Renderer) -> None:
    budget = renderer.render("budget_threshold", CONTEXTS["budget_threshold"])
    assert budget.subject == "Budget 2026 zu 80 % verbraucht: Kita Pusteblume (Gotha)"
    assert "4.012,50\xa0€ von 5.000,00\xa0€" in budget.text
    full = renderer.render("budget_threshold", {**CONTEXTS["budget_threshold"], "percent": 100})
    assert "ihr Budget ausgeschöpft" in full.text
    upcoming = renderer.render("session_upcoming", CONTEXTS["session_upcoming"])
    assert "am 21. Januar 2026" in upcoming.text
    assert "2,5 Stunden" in upcoming.text
    assert upcoming.subject == "Begleittermin am 21.01.2026: Kita Pusteblume (Gotha)"


def test_delivery_failed_names_the_failed_subject(renderer: Renderer) -> None:
    rendered = renderer.render("delivery_failed", CONTEXTS["delivery_failed"])
    failed = "Vor-Ort-Besuch am 04.03.2026: Kita Pusteblume"
    assert rendered.subject == f"Nicht zustellbar: {failed} an leitung@pusteblume.example.org"
    assert f"„{failed}“" in rendered.text
    assert f"„{failed}“" in rendered.html


def test_a_missing_variable_raises(renderer: Renderer) -> None:
    context = dict(CONTEXTS["eligible"])
    del context["trigger"]
    with pytest.raises(WorkflowError, match="'eligible': unbekannte Variable „trigger“") as raised:
        renderer.render("eligible", context)
    assert isinstance(raised.value.__cause__, UndefinedError)


def test_a_missing_attribute_raises(renderer: Renderer) -> None:
    context = {**CONTEXTS["visit_upcoming"], "centre": {"name": "Kita", "title": "Kita (Gotha)"}}
    with pytest.raises(WorkflowError, match="district"):
        renderer.render("visit_upcoming", context)


def test_an_unknown_template_is_named(renderer: Renderer) -> None:
    with pytest.raises(WorkflowError, match="Mail-Vorlage 'no_such_mail' fehlt"):
        renderer.render("no_such_mail", {})


def test_a_template_without_subject_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "bare.txt.j2").write_text("Guten Tag\n", encoding="utf-8")
    (tmp_path / "mail" / "bare.html.j2").write_text("<p>Guten Tag</p>\n", encoding="utf-8")
    with pytest.raises(WorkflowError, match="kein Betreff"):
        Renderer(tmp_path, str).render("bare", {})


def test_the_subject_is_one_line_whatever_the_centre_is_called(renderer: Renderer) -> None:
    centre = {"name": f"Kita{EVIL}", "district": "Gotha", "title": f"Kita{EVIL} (Gotha)"}
    rendered = renderer.render("stage_changed", {**CONTEXTS["stage_changed"], "centre": centre})
    assert rendered.subject == (
        "Stufenwechsel: Kita Bcc: evil@example.org (Gotha) ist jetzt in der Stufe "
        "Vertiefungsbegleitung"
    )


def test_html_is_escaped_and_text_is_not(renderer: Renderer) -> None:
    name = "<script>alert(1)</script>"
    centre = {"name": name, "district": "Gotha", "title": f"{name} (Gotha)"}
    context = {**CONTEXTS["visit_upcoming"], "centre": centre}
    rendered = renderer.render("visit_upcoming", context)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert name in rendered.text


# The message


def test_the_message_has_every_header_and_both_parts() -> None:
    message = parse(bytes(build_message(mail(1, subject="Grüße aus Gotha"), SENDER, NOW)))
    assert message["From"] == SENDER
    assert message["To"] == "person1@example.org"
    assert message["Subject"] == "Grüße aus Gotha"
    assert message["Date"] == "Thu, 15 Jan 2026 07:00:00 +0100"
    assert message["Message-ID"] == mail(1).message_id
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert text.get_content().splitlines() == ["Guten Tag, Nachricht 1."]
    assert html is not None
    assert html.get_content().splitlines() == ["<p>Guten Tag, Nachricht 1.</p>"]


def test_umlauts_a_long_subject_and_a_long_html_body_round_trip_unchanged() -> None:
    subject = "Begleittermin für „Kita Pusteblume“ in Mühlhausen – Grüße aus Gotha, " * 4
    text = "Guten Tag Frau Müller,\n\nder Termin ist am 21. Januar 2026 (2,5 Stunden).\n"
    row = "<tr><td>Kita Pusteblume</td><td>Straße der Einheit 7, Mühlhausen</td><td>€</td></tr>"
    html = "<!DOCTYPE html>\n<table>\n" + f"{row}\n" * 200 + "</table>\n"
    built = build_message(mail(1, subject=subject, text=text, html=html), SENDER, NOW)
    content = bytes(built)
    assert content.isascii()  # 7-bit clean: every server takes it
    assert b"\r\n" in content
    assert b"\n" not in content.replace(b"\r\n", b"")
    assert max(len(line) for line in content.split(b"\r\n")) <= 78
    message = parse(content)
    assert message["Subject"] == " ".join(subject.split())
    assert message["From"] == SENDER
    assert message["To"] == "person1@example.org"
    assert message["Message-ID"] == mail(1).message_id
    assert message.get_content_type() == "multipart/alternative"
    parts = [part for part in message.walk() if not part.is_multipart()]
    assert [(p.get_content_type(), p.get_content_charset()) for p in parts] == [
        ("text/plain", "utf-8"),
        ("text/html", "utf-8"),
    ]
    assert [p.get_content().replace("\r\n", "\n") for p in parts] == [text, html]
    assert not message.defects
    assert not any(p.defects for p in parts)
    assert (built.sender, built.recipient) == (SENDER, "person1@example.org")


@pytest.mark.parametrize(
    "subject",
    [
        "Kurz",
        "Ein sehr langer Betreff " + "ohne Umlaute " * 12,
        "Einladung_zum_Fachtag_" * 6,  # one word longer than a line
        "=?utf-8?q?kein_kodiertes_Wort?= bleibt, wie es ist",
        "Grüße  aus\tGotha\n",
        "",
    ],
)
def test_the_subject_arrives_as_written(subject: str) -> None:
    message = parse(bytes(build_message(mail(1, subject=subject), SENDER, NOW)))
    assert message["Subject"] == " ".join(subject.split())


@pytest.mark.parametrize(
    ("recipient", "envelope"),
    [
        ("a.b+c@example.org", "a.b+c@example.org"),
        ("o'neil#1@localhost", "o'neil#1@localhost"),
        ('"Erika Beispiel"@example.org', '"Erika Beispiel"@example.org'),
        (" erika@example.org", "erika@example.org"),
    ],
)
def test_the_recipient_is_written_as_the_address_parser_reads_it(
    recipient: str, envelope: str
) -> None:
    built = build_message(mail(1, recipient), SENDER, NOW)
    assert built.recipient == envelope == Address(addr_spec=recipient).addr_spec
    assert parse(bytes(built))["To"] == envelope


def test_an_address_that_is_not_ascii_asks_for_smtputf8() -> None:
    built = build_message(mail(1, "leitung@kita-mühlhausen.example"), SENDER, NOW)
    assert built.needs_smtputf8
    assert parse(bytes(built))["To"] == "leitung@kita-mühlhausen.example"
    assert not build_message(mail(1), SENDER, NOW).needs_smtputf8


def test_attachments_carry_their_type_and_name(tmp_path: Path) -> None:
    pdf, other = tmp_path / "Einladung.pdf", tmp_path / "daten.thekiz"
    pdf.write_bytes(b"%PDF-1.4 test")
    other.write_bytes(b"\x00\x01")
    message = parse(bytes(build_message(mail(1, attachments=(str(pdf), str(other))), SENDER, NOW)))
    attachments = list(message.iter_attachments())
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [
        ("application/pdf", "Einladung.pdf"),
        ("application/octet-stream", "daten.thekiz"),
    ]
    assert attachments[0].get_content() == b"%PDF-1.4 test"
    assert message.get_body(("plain",)) is not None


def test_a_missing_attachment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Anhang nicht lesbar"):
        build_message(mail(1, attachments=(str(tmp_path / "fehlt.pdf"),)), SENDER, NOW)


def test_the_message_id_is_deterministic_per_outbox_row() -> None:
    assert mail(1).message_id == mail(1, subject="anders").message_id
    assert mail(1).message_id != mail(2).message_id
    assert mail(1).message_id != mail(1, key="another key").message_id
    first = parse(bytes(build_message(mail(1), SENDER, NOW)))
    later = datetime(2026, 1, 16, tzinfo=ZoneInfo("UTC"))
    again = parse(bytes(build_message(mail(1), SENDER, later)))
    assert first["Message-ID"] == again["Message-ID"] == mail(1).message_id


def test_an_injected_subject_stays_in_the_subject() -> None:
    content = bytes(build_message(mail(1, subject=f"Hallo{EVIL}"), SENDER, NOW))
    message = parse(content)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hallo Bcc: evil@example.org"
    assert b"\nBcc:" not in content


@pytest.mark.parametrize(
    "recipient",
    [
        f"person@example.org{EVIL}",
        "person@example.org, evil@example.org",
        "Person <person@example.org>",
        "keine-adresse",
        "",
    ],
)
def test_anything_but_one_address_is_refused_as_recipient(recipient: str) -> None:
    with pytest.raises(InvalidInput, match="Empfänger: ungültige Adresse"):
        build_message(mail(1, recipient), SENDER, NOW)


def test_an_injected_centre_name_reaches_one_recipient_only(renderer: Renderer) -> None:
    centre = {"name": f"Kita{EVIL}", "district": "Gotha", "title": f"Kita{EVIL} (Gotha)"}
    rendered = renderer.render("stage_changed", {**CONTEXTS["stage_changed"], "centre": centre})
    one = mail(1, subject=rendered.subject, text=rendered.text, html=rendered.html)
    with RecordingServer() as server:
        outcomes = SmtpBackend(server.settings(), SENDER).deliver([one], NOW, HELD)
    assert outcomes == [Outcome(1, DeliveryStatus.SENT)]
    [received] = server.received
    assert received.recipients == ("person1@example.org",)
    assert parse(received.content)["Bcc"] is None


# SMTP


def test_a_batch_goes_over_one_connection() -> None:
    mails = [mail(n) for n in (1, 2, 3)]
    with RecordingServer() as server:
        outcomes = SmtpBackend(server.settings(), SENDER).deliver(mails, NOW, HELD)
    assert outcomes == [Outcome(n, DeliveryStatus.SENT) for n in (1, 2, 3)]
    assert server.connections == 1
    assert server.message_ids == [m.message_id for m in mails]
    assert [r.recipients for r in server.received] == [(m.recipient,) for m in mails]
    assert {r.sender for r in server.received} == {SENDER}


def test_an_empty_batch_does_not_connect() -> None:
    settings = SmtpSettings(host=HOST, port=free_port())
    assert SmtpBackend(settings, SENDER).deliver([], NOW, HELD) == []


def test_451_is_retried_and_later_sent() -> None:
    mails = [mail(n) for n in (1, 2, 3)]
    with TempFailServer(times=2) as server:
        backend = SmtpBackend(server.settings(), SENDER)
        first = backend.deliver(mails, NOW, HELD)
        assert [o.status for o in first] == ["retry", "retry", "sent"]
        assert first[0].error == "SMTP 451: 4.3.0 Bitte später erneut versuchen"
        assert not first[0].ambiguous
        second = backend.deliver(mails[:2], NOW, HELD)
    assert second == [Outcome(1, DeliveryStatus.SENT), Outcome(2, DeliveryStatus.SENT)]
    assert sorted(server.message_ids) == sorted(m.message_id for m in mails)


def test_550_fails_one_recipient_and_the_others_are_sent() -> None:
    mails = [mail(1), mail(2, "unbekannt@example.org"), mail(3)]
    with RefusingServer("unbekannt@example.org") as server:
        outcomes = SmtpBackend(server.settings(), SENDER).deliver(mails, NOW, HELD)
    assert outcomes == [
        Outcome(1, DeliveryStatus.SENT),
        Outcome(2, DeliveryStatus.FAILED, "SMTP 550: 5.1.1 Mailbox unbekannt"),
        Outcome(3, DeliveryStatus.SENT),
    ]
    assert server.connections == 1
    assert server.message_ids == [mails[0].message_id, mails[2].message_id]


def test_a_hang_up_mid_data_is_ambiguous_and_a_resend_shows_as_duplicate() -> None:
    mails = [mail(1), mail(2)]
    with HangUpServer(times=1) as server:
        backend = SmtpBackend(server.settings(), SENDER)
        outcomes = backend.deliver(mails, NOW, HELD)
        assert outcomes == [
            Outcome(1, DeliveryStatus.RETRY, AFTER_DATA, ambiguous=True),
            Outcome(2, DeliveryStatus.SENT),
        ]
        assert server.connections == 2  # opened again once
        assert backend.deliver(mails[:1], NOW, HELD) == [Outcome(1, DeliveryStatus.SENT)]
    assert server.message_ids.count(mails[0].message_id) == 2
    assert server.message_ids.count(mails[1].message_id) == 1


def test_after_the_second_hang_up_the_rest_of_the_batch_waits() -> None:
    mails = [mail(n) for n in (1, 2, 3)]
    with HangUpServer(times=3) as server:
        outcomes = SmtpBackend(server.settings(), SENDER).deliver(mails, NOW, HELD)
    assert outcomes == [
        Outcome(1, DeliveryStatus.RETRY, AFTER_DATA, ambiguous=True),
        Outcome(2, DeliveryStatus.RETRY, AFTER_DATA, ambiguous=True),
        Outcome(3, DeliveryStatus.RETRY, LOST),
    ]
    assert server.connections == 2


def test_a_timeout_after_data_is_ambiguous() -> None:
    mails = [mail(1), mail(2)]
    with StallingServer(seconds=1.5, times=1) as server:
        outcomes = SmtpBackend(server.settings(timeout=1), SENDER).deliver(mails, NOW, HELD)
    assert outcomes == [
        Outcome(1, DeliveryStatus.RETRY, AFTER_DATA, ambiguous=True),
        Outcome(2, DeliveryStatus.SENT),
    ]


def test_a_mail_no_longer_held_is_not_sent() -> None:
    mails = [mail(1), mail(2), mail(3)]
    with RecordingServer() as server:
        outcomes = SmtpBackend(server.settings(), SENDER).deliver(mails, NOW, Held({1, 3}))
    assert outcomes == [Outcome(1, DeliveryStatus.SENT), Outcome(3, DeliveryStatus.SENT)]
    assert server.message_ids == [mails[0].message_id, mails[2].message_id]


def test_a_send_is_broken_off_when_its_lease_ends() -> None:
    """The server would answer after 3 s; the lease ends after one, and the next mail's too."""
    mails = [mail(1), mail(2)]
    with StallingServer(seconds=3, times=1) as server:
        started = time.monotonic()
        lease = Held(until=started + 1)
        outcomes = SmtpBackend(server.settings(), SENDER).deliver(mails, NOW, lease)
        took = time.monotonic() - started
    assert outcomes == [
        Outcome(1, DeliveryStatus.RETRY, AFTER_DATA, ambiguous=True),
        Outcome(2, DeliveryStatus.RETRY, LEASE_OVER),
    ]
    assert took < 2.5


class Stalled(Held):
    """A lease of 0.2 s whose holder then stalls for 0.5 s (its event loop blocked, as in a
    paused process): the server's reply and the deadline are there together."""

    def deadline(self, mail: Mail) -> float | None:
        asyncio.get_running_loop().call_soon(time.sleep, 0.5)
        return time.monotonic() + 0.2


def test_nothing_is_written_once_the_deadline_has_passed() -> None:
    with RecordingServer() as server:
        outcomes = SmtpBackend(server.settings(), SENDER).deliver([mail(1)], NOW, Stalled())
    assert outcomes == [Outcome(1, DeliveryStatus.RETRY, LEASE_OVER)]
    assert server.received == []


def test_a_server_that_is_down_then_up() -> None:
    port = free_port()
    mails = [mail(1), mail(2)]
    backend = SmtpBackend(SmtpSettings(host=HOST, port=port, timeout=5), SENDER)
    refused = f"Keine Verbindung zu {HOST}:{port}: Verbindung abgelehnt"
    assert backend.deliver(mails, NOW, HELD) == [
        Outcome(1, DeliveryStatus.RETRY, refused),
        Outcome(2, DeliveryStatus.RETRY, refused),
    ]
    with RecordingServer(port) as server:
        assert backend.deliver(mails, NOW, HELD) == [
            Outcome(1, DeliveryStatus.SENT),
            Outcome(2, DeliveryStatus.SENT),
        ]
    assert server.message_ids == [m.message_id for m in mails]


def test_login_with_the_configured_credentials() -> None:
    with AuthServer("thekiz", "geheim") as server:
        settings = SmtpSettings(HOST, server.port, username="thekiz", password="geheim", timeout=5)
        assert SmtpBackend(settings, SENDER).deliver([mail(1)], NOW, HELD) == [
            Outcome(1, DeliveryStatus.SENT)
        ]
        wrong = SmtpSettings(HOST, server.port, username="thekiz", password="falsch", timeout=5)
        [outcome] = SmtpBackend(wrong, SENDER).deliver([mail(2)], NOW, HELD)
    assert server.logins == ["thekiz"]
    assert outcome.status == "retry"
    assert "SMTP 535" in str(outcome.error)
    assert server.message_ids == [mail(1).message_id]


class NamedServer(RecordingServer):
    """A server that is given its own name (it does not look it up)."""

    def make_controller(self) -> ClosingController:
        return ClosingController(self, hostname=HOST, port=self.port, server_hostname="sink.test")


def test_the_host_name_given_in_ehlo_is_looked_up_once_for_every_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reverse DNS lookup per connection would make every batch wait for a slow resolver."""
    asked: list[str] = []

    def getfqdn(name: str = "") -> str:
        asked.append(name)
        return "thekiz.example.org"

    monkeypatch.setattr(socket, "getfqdn", getfqdn)
    local_hostname.cache_clear()
    try:
        with NamedServer() as server:
            backend = SmtpBackend(server.settings(), SENDER)
            sent = [backend.deliver([mail(n)], NOW, HELD) for n in range(1, 4)]
    finally:
        local_hostname.cache_clear()
    assert sent == [[Outcome(n, DeliveryStatus.SENT)] for n in range(1, 4)]
    assert (server.connections, server.hosts, asked) == (3, ["thekiz.example.org"] * 3, [""])


def test_a_bad_recipient_fails_without_disturbing_the_batch() -> None:
    mails = [mail(1, f"person@example.org{EVIL}"), mail(2)]
    with RecordingServer() as server:
        outcomes = SmtpBackend(server.settings(), SENDER).deliver(mails, NOW, HELD)
    assert outcomes[0].status == "failed"
    assert "Empfänger: ungültige Adresse" in str(outcomes[0].error)
    assert outcomes[1] == Outcome(2, DeliveryStatus.SENT)
    assert [r.recipients for r in server.received] == [("person2@example.org",)]


class Asked(Held):
    """Notes, each time a mail's lease is asked, how many messages the server had by then."""

    def __init__(self, server: RecordingServer) -> None:
        super().__init__()
        self.server = server
        self.asked: list[tuple[int, int]] = []

    def deadline(self, mail: Mail) -> float | None:
        self.asked.append((mail.id, len(self.server.received)))
        return super().deadline(mail)


def test_each_lease_is_asked_after_the_mail_before_was_answered() -> None:
    """The next mail is built while the one before is on the wire, but whether it may go out
    is asked only once that one is answered: a lease running out between them still counts."""
    mails = [mail(1), mail(2, f"person@example.org{EVIL}"), mail(3), mail(4)]
    with RecordingServer() as server:
        lease = Asked(server)
        outcomes = SmtpBackend(server.settings(), SENDER).deliver(mails, NOW, lease)
    assert [o.mail_id for o in outcomes] == [1, 2, 3, 4]
    assert [o.status for o in outcomes] == ["sent", "failed", "sent", "sent"]
    assert lease.asked == [(1, 0), (3, 1), (4, 2)]  # the unbuildable mail 2 is not asked
    assert server.message_ids == [mails[n].message_id for n in (0, 2, 3)]


class AsciiServer(RecordingServer):
    """A server without SMTPUTF8."""

    def make_controller(self) -> ClosingController:
        return ClosingController(self, hostname=HOST, port=self.port, enable_SMTPUTF8=False)


def test_an_address_that_is_not_ascii_needs_a_server_with_smtputf8() -> None:
    mails = [mail(1, "leitung@kita-mühlhausen.example"), mail(2)]
    with AsciiServer() as plain:
        refused = SmtpBackend(plain.settings(), SENDER).deliver(mails, NOW, HELD)
    assert refused[0].status == "failed"
    assert "SMTPUTF8" in str(refused[0].error)
    assert refused[1] == Outcome(2, DeliveryStatus.SENT)
    with RecordingServer() as server:
        assert SmtpBackend(server.settings(), SENDER).deliver(mails, NOW, HELD) == [
            Outcome(1, DeliveryStatus.SENT),
            Outcome(2, DeliveryStatus.SENT),
        ]
    assert server.received[0].recipients == ("leitung@kita-mühlhausen.example",)
    assert parse(server.received[0].content)["To"] == "leitung@kita-mühlhausen.example"


# Files and configuration


def test_the_file_backend_writes_eml_files(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path / "mail", SENDER)
    mails = [mail(1), mail(2)]
    assert backend.deliver(mails, NOW, HELD) == [
        Outcome(1, DeliveryStatus.SENT),
        Outcome(2, DeliveryStatus.SENT),
    ]
    assert backend.deliver(mails[:1], NOW, HELD) == [
        Outcome(1, DeliveryStatus.SENT)
    ]  # a resend: the same file
    files = sorted((tmp_path / "mail").iterdir())
    assert files == sorted(backend.path(m) for m in mails)
    for one in mails:
        path = backend.path(one)
        assert path.name == one.message_id.strip("<>") + ".eml"
        message = message_from_bytes(path.read_bytes())
        assert message["Message-ID"] == one.message_id
        assert message["To"] == one.recipient


def test_the_file_backend_writes_only_mails_still_held(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path, SENDER)
    mails = [mail(1), mail(2)]
    assert backend.deliver(mails, NOW, Held({2})) == [Outcome(2, DeliveryStatus.SENT)]
    assert list(tmp_path.iterdir()) == [backend.path(mails[1])]


def test_the_file_backend_fails_a_bad_recipient(tmp_path: Path) -> None:
    [outcome] = FileBackend(tmp_path, SENDER).deliver([mail(1, f"a@example.org{EVIL}")], NOW, HELD)
    assert outcome.status == "failed"
    assert list(tmp_path.iterdir()) == []


def test_the_file_backend_asks_for_a_retry_when_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "mail"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    [outcome] = FileBackend(blocker, SENDER).deliver([mail(1)], NOW, HELD)
    assert outcome.status == "retry"
    assert str(outcome.error).startswith("Datei nicht geschrieben")


def test_make_backend_chooses_by_the_settings(tmp_path: Path) -> None:
    files = MailSettings(backend="file", sender=SENDER, file=FileMailSettings(tmp_path))
    assert isinstance(make_backend(files), FileBackend)
    assert isinstance(make_backend(MailSettings(backend="smtp", sender=SENDER)), SmtpBackend)
    with pytest.raises(ConfigError, match="unbekannter Versandweg 'fax'"):
        make_backend(MailSettings(backend="fax", sender=SENDER))


def test_make_backend_needs_a_sender() -> None:
    with pytest.raises(ConfigError) as raised:
        make_backend(MailSettings(backend="smtp"))
    assert str(raised.value) == "mail.sender: Pflichtangabe fehlt für den Versand"


def test_a_training_called_off_reads_in_german(renderer: Renderer) -> None:
    rendered = renderer.render("training_cancelled", CONTEXTS["training_cancelled"])
    assert rendered.subject == (
        "Fortbildung abgesagt: Reflexion I am 02.09.2026 – Kita Pusteblume (Gotha)"
    )
    assert "am 2. September 2026 in Erfurt findet nicht statt" in rendered.text
    assert "Die Anmeldung Ihrer Einrichtung „Kita Pusteblume“ (Gotha)" in rendered.text
    assert "Grund: Referentin erkrankt" in rendered.text
    waiting = renderer.render(
        "training_cancelled", {**CONTEXTS["training_cancelled"], "waiting": True}
    )
    assert "Der Platz Ihrer Einrichtung „Kita Pusteblume“ (Gotha) auf der Warteliste ist damit" in (
        waiting.text
    )


# The sender's display name and Reply-To

NAMED_SENDER = "ThEKiZ Koordination <koordination@example.org>"


def test_the_sender_arrives_with_its_display_name_and_reply_to() -> None:
    """Through a real SMTP server: the envelope carries the address alone, the headers
    the name, and answers go to the configured Reply-To."""
    reply_to = "Fachstelle Thüringen <fachstelle@example.org>"
    with RecordingServer() as server:
        backend = SmtpBackend(server.settings(), NAMED_SENDER, reply_to)
        outcomes = backend.deliver([mail(1)], NOW, HELD)
    assert outcomes == [Outcome(1, DeliveryStatus.SENT)]
    [received] = server.received
    assert received.sender == "koordination@example.org"
    message = parse(received.content)
    assert message["From"] == NAMED_SENDER
    assert message["From"].addresses[0].display_name == "ThEKiZ Koordination"
    assert message["Reply-To"].addresses[0] == Address(
        "Fachstelle Thüringen", addr_spec="fachstelle@example.org"
    )
    assert received.content.isascii()  # the name with an umlaut is RFC 2047-encoded


def test_without_reply_to_there_is_no_such_header() -> None:
    message = parse(bytes(build_message(mail(1), NAMED_SENDER, NOW)))
    assert message["Reply-To"] is None
    assert message["From"] == NAMED_SENDER


@pytest.mark.parametrize(
    "sender",
    [
        f"Evil{EVIL} <koordination@example.org>",
        "ThEKiZ <koordination@example.org>, b@example.org",
        'Ein "Name" <koordination@example.org>',
        "ThEKiZ <kein-at>",
    ],
)
def test_a_named_sender_cannot_smuggle_headers_or_addresses(sender: str) -> None:
    with pytest.raises(InvalidInput, match="Absender"):
        build_message(mail(1), sender, NOW)


def test_a_named_sender_may_have_an_address_that_is_not_ascii() -> None:
    built = build_message(mail(1), "Fachstelle Thüringen <fachstelle@kita-mühlhausen.example>", NOW)
    assert built.needs_smtputf8
    assert built.sender == "fachstelle@kita-mühlhausen.example"
    head = bytes(built).split(b"\r\n\r\n")[0].decode("utf-8").split("\r\n")
    [sender] = [line.removeprefix("From: ") for line in head if line.startswith("From: ")]
    name, address = sender.rsplit(" ", 1)
    assert address == "<fachstelle@kita-mühlhausen.example>"
    assert name.isascii()
    assert str(make_header(decode_header(name))) == "Fachstelle Thüringen"
