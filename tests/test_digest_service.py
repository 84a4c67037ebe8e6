"""The digest from the store: reproducible, and sent to the ministry exactly once a year."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from tests.conftest import BERLIN
from tests.outbox_helpers import smtp_mail
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import ActivityKind, OutboxStatus, Recipient
from thekiz_flow.core.model import ActivityFilter, CentreInput, Workflow
from thekiz_flow.core.outbox import OutboxRow
from thekiz_flow.service import Service
from thekiz_flow.workflow.config import DigestSettings, MailSettings


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


def programme(service: Service, clock: FrozenClock) -> tuple[int, int]:
    """Two centres through 2025: sessions held, a pause, a deepening."""
    clock.set(at(date(2023, 1, 9)))
    coach = str(service.registry.add_coach("Paul Winter", "p@example.org", "60"))
    first = service.registry.add_centre(CentreInput("Kita A", "Jena", "a@example.org", coach=coach))
    second = service.registry.add_centre(
        CentreInput("Kita B", "Gera", "b@example.org", coach=coach)
    )
    service.lifecycle.advance(first, "admit")
    clock.set(at(date(2024, 2, 5)))
    service.lifecycle.advance(second, "admit")
    clock.set(at(date(2025, 12, 30)))
    for session in service.overview.activities(
        ActivityFilter(kind=ActivityKind.COACHING, first=date(2025, 1, 1), last=date(2025, 6, 30))
    ):
        service.sessions.record(str(session.id), session.date, "3")
    service.sessions.record_visit(first, date(2023, 4, 4))
    service.lifecycle.advance(first, "deepen", on=date(2025, 7, 14))
    service.lifecycle.advance(second, "pause", on=date(2025, 9, 1))
    return first, second


def test_the_digest_of_a_year_does_not_change_later(
    service: Service, clock: FrozenClock, tmp_path: Path
) -> None:
    first, second = programme(service, clock)
    clock.set(at(date(2026, 1, 10)))
    early = service.digest.write(2025, tmp_path / "early")
    figures = service.digest.build(2025)
    assert figures.stage_end == {"vertiefungsbegleitung": 1, "pausiert": 1}
    # 2026 and 2027 go on: stage changes, sessions, a withdrawal
    clock.set(at(date(2027, 3, 1)))
    service.lifecycle.advance(second, "resume", on=date(2026, 2, 2))
    service.lifecycle.advance(
        first, "consult", on=date(2026, 9, 7), force=True, reason="Sonderfall"
    )
    service.lifecycle.advance(second, "withdraw")
    late = service.digest.write(2025, tmp_path / "late")
    assert service.digest.build(2025) == figures
    for early_file, late_file in (
        (early.html, late.html),
        (early.csv, late.csv),
        (early.xlsx, late.xlsx),
    ):
        assert early_file.read_bytes() == late_file.read_bytes()


def test_the_digest_names_each_step_as_the_workflow_file_does(
    service: Service, clock: FrozenClock, tmp_path: Path
) -> None:
    programme(service, clock)
    clock.set(at(date(2026, 1, 10)))
    files = service.digest.write(2025, tmp_path)
    report = files.html.read_text(encoding="utf-8").replace("\xad", "")  # soft hyphens
    for trigger in ("deepen", "pause"):
        assert f'<td class="text">{service.workflow.step_name(trigger)}</td>' in report
        assert f">{trigger}<" not in report


def test_a_mid_year_change_counts_each_month_in_its_stage(
    service: Service, clock: FrozenClock
) -> None:
    programme(service, clock)
    clock.set(at(date(2026, 1, 10)))
    figures = service.digest.build(2025)
    # Kita A: Basis Jan-Jun (6 x 5000/12), Vertiefung Jul-Dec (deepened on 14 July: 6 x 2500/12)
    # Kita B: Basis Jan-Aug (8 months), paused from 1 September (no budget)
    assert figures.budget_by_stage["basisbegleitung"] == Decimal("2500.00") + Decimal("3333.33")
    assert figures.budget_by_stage["vertiefungsbegleitung"] == Decimal("1250.00")


def test_sent_once_a_year_with_two_ticks_and_two_workers(
    engine: Engine, workflow: Workflow, mail: MailSettings, tmp_path: Path, clock: FrozenClock
) -> None:
    with_ministry = replace(mail, ministry="ministerium@example.org")
    digest = DigestSettings(tmp_path / "digests", (1, 15))
    workers = [
        Service(engine, workflow, clock, BERLIN, "worker", with_ministry, None, digest, clock)
        for _ in range(2)
    ]
    programme(workers[0], clock)
    clock.set(at(date(2026, 1, 14)))
    workers[0].ticks.tick()
    assert not [r for r in workers[0].outbox.rows() if r.rule == "digest"]
    clock.set(at(date(2026, 1, 15)))
    for worker in (*workers, *workers):
        worker.ticks.tick()
    clock.set(at(date(2026, 2, 20)))
    workers[1].ticks.tick()
    rows = [r for r in workers[0].outbox.rows() if r.rule == "digest"]
    assert [(r.key, r.recipient, r.status) for r in rows] == [
        ("digest:2025", "ministerium@example.org", OutboxStatus.SENT),
    ]
    sent = list((mail.file.dir).glob("*.eml"))
    digests = [p for p in sent if b"Jahresbericht ThEKiZ 2025" in p.read_bytes()]
    assert len(digests) == 1
    assert b"digest-2025.xlsx" in digests[0].read_bytes()
    assert b"digest-2025.pdf" in digests[0].read_bytes()
    assert sorted(p.name for p in (tmp_path / "digests").iterdir()) == [
        "digest-2025.csv",
        "digest-2025.html",
        "digest-2025.pdf",
        "digest-2025.xlsx",
    ]


def test_the_monthly_overview_goes_to_the_office_once(service: Service, clock: FrozenClock) -> None:
    programme(service, clock)
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)):  # 1 March: a Sunday
        clock.set(at(day))
        service.ticks.tick()
    rows = [r for r in service.outbox.rows() if r.rule == "overview"]
    assert [(r.key, r.due_at.date(), r.status) for r in rows] == [
        ("overview:2026-03", date(2026, 3, 2), OutboxStatus.SENT),
    ]
    assert rows[0].subject == "Monatsübersicht ThEKiZ März 2026"


def test_a_digest_the_mail_server_refused_is_announced_as_failed_not_as_waiting(
    engine: Engine, workflow: Workflow, clock: FrozenClock, tmp_path: Path
) -> None:
    """On a working day the digest goes out at once; refused, it is tried again later:
    the office reads that it failed, not that it waits for a working day."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    listening.close()  # nobody answers there
    mail = replace(smtp_mail(port), ministry="ministerium@example.org")
    service = Service(engine, workflow, clock, BERLIN, actor="test", mail=mail, wall=clock)
    service.runtime.digest = DigestSettings(dir=tmp_path / "digests")
    new = service.digest.send(2025, service.digest.write(2025))
    report = service.outbox.dispatch()
    assert (report.sent, report.retried) == (0, 1)
    note = service.digest.sent_note(2025, new, report.sent)
    assert note.startswith(
        "Jahresbericht 2025 in den Postausgang gestellt; der Versand ist fehlgeschlagen "
        "(Keine Verbindung zu 127.0.0.1:"
    )
    assert "nächster Versuch am 15.06.2026 12:02." in note
    assert "Arbeitstag" not in note


def test_what_became_of_an_unsent_digest_is_told_in_german(service: Service) -> None:
    """Each state of a digest's mail not sent: waiting for a working day, due now, refused
    and to be tried again, being sent, failed for good."""
    now = service.runtime.clock.now()
    later = now + timedelta(days=2)
    row = OutboxRow(
        1,
        "digest:2025",
        "digest",
        None,
        Recipient.MINISTRY,
        "m@example.org",
        "Bericht",
        OutboxStatus.PENDING,
        0,
        later,
        later,
        None,
        False,
        None,
    )
    state = service.digest.mail_state
    assert state(row, now) == "er geht am 17.06.2026 12:00 an das Ministerium (nächster Arbeitstag)"
    assert state(replace(row, next_attempt_at=now), now) == (
        "er geht mit dem nächsten Versand an das Ministerium"
    )
    refused = replace(row, attempts=1, last_error="SMTP 451: später")
    assert state(refused, now) == (
        "der Versand ist fehlgeschlagen (SMTP 451: später), nächster Versuch am 17.06.2026 12:00"
    )
    assert state(replace(row, status=OutboxStatus.SENDING), now) == "er wird gerade versandt"
    failed = replace(row, status=OutboxStatus.FAILED, attempts=5, last_error="SMTP 550: unbekannt")
    assert state(failed, now) == "der Versand ist endgültig fehlgeschlagen (SMTP 550: unbekannt)"
