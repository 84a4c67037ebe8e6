"""Mails go out on working days (no weekend, no holiday of Thuringia, no closure day): a mail
due on another day is due on the next working day at the same local time, unless its rule
lets it go on any day (the office's own alerts)."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine

from tests.conftest import BERLIN
from tests.outbox_helpers import add_pending, rows, smtp_service
from tests.smtp_servers import RefusingServer
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.core.model import CentreInput, Workflow
from thekiz_flow.service import Service
from thekiz_flow.service.outbox import NOTICE_RULE
from thekiz_flow.workflow.config import MailSettings
from thekiz_flow.workflow.reminder_rules import load_reminders
from thekiz_flow.workflow.tomlread import TomlTable


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


@pytest.mark.parametrize(
    ("due", "sent"),
    [
        (local(date(2026, 3, 18), 8), local(date(2026, 3, 18), 8)),  # a Wednesday: as it is
        (local(date(2026, 3, 21), 8), local(date(2026, 3, 23), 8)),  # Saturday: Monday
        (local(date(2026, 3, 22), 23, 30), local(date(2026, 3, 23), 23, 30)),  # Sunday night
        # the clocks go forward on Sunday 29 March: still 08:00 in Erfurt, an hour less in UTC
        (local(date(2026, 3, 28), 8), local(date(2026, 3, 30), 8)),
        (local(date(2026, 4, 3), 8), local(date(2026, 4, 7), 8)),  # Good Friday to Tuesday
        (local(date(2026, 9, 20), 8), local(date(2026, 9, 21), 8)),  # Weltkindertag (TH)
        (local(date(2026, 12, 24), 8), local(date(2027, 1, 4), 8)),  # the closure, New Year
    ],
)
def test_a_mail_due_on_a_day_off_is_due_on_the_next_working_day_at_the_same_hour(
    service: Service, due: datetime, sent: datetime
) -> None:
    assert service.runtime.send_time(due) == sent
    assert service.runtime.send_time(due, any_day=True) == due


def test_the_hour_is_kept_in_local_time_across_the_change_to_summer_time(
    service: Service,
) -> None:
    moved = service.runtime.send_time(local(date(2026, 3, 28), 8))
    assert moved.astimezone(UTC).time() == time(6)  # 07:00 UTC on Saturday, 06:00 on Monday


def test_a_stage_change_on_a_saturday_is_told_on_monday(
    service: Service, clock: FrozenClock
) -> None:
    clock.set(local(date(2026, 3, 21), 10, 30))
    coach = service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    centre = service.registry.add_centre(
        CentreInput("Kita Sonnenschein", "Gera", "kita@example.org", coach=str(coach))
    )
    service.lifecycle.advance(centre, "admit")
    notices = service.outbox.rows()
    assert [r.due_at for r in notices] == [local(date(2026, 3, 23), 10, 30)] * 2
    for moment in (local(date(2026, 3, 21), 18), local(date(2026, 3, 23), 10, 29)):
        clock.set(moment)
        assert service.outbox.dispatch().sent == 0
    clock.set(local(date(2026, 3, 23), 10, 30))
    assert service.outbox.dispatch().sent == 2
    assert {r.sent_at for r in service.outbox.rows()} == {clock.now()}


def test_the_office_hears_of_a_failed_mail_at_once_on_a_sunday(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    sunday = local(date(2026, 3, 22), 9)
    clock.set(sunday)
    (refused,) = add_pending(engine, 1, sunday, to={1: "weg@example.org"})
    with RefusingServer("weg@example.org") as server:
        smtp_service(engine, workflow, clock, server.port).outbox.dispatch()
    found = rows(engine)
    assert found[refused].status == OutboxStatus.FAILED
    (notice,) = [r for r in found.values() if r.rule == NOTICE_RULE]
    assert (notice.due_at, notice.status, notice.sent_at) == (sunday, OutboxStatus.SENT, sunday)


def test_a_rule_may_send_on_any_day(
    engine: Engine, workflow: Workflow, clock: FrozenClock, mail: MailSettings
) -> None:
    """The first "please record" reminder of a session on Wednesday 18 March falls on
    Saturday 21 March: it waits for Monday, unless its rule says ``any_day``."""
    saturday = local(date(2026, 3, 21), 9)
    due: dict[bool, datetime | None] = {}
    for any_day in (False, True):
        rules = tuple(
            replace(r, any_day=any_day) if r.id == "session_unrecorded" else r
            for r in workflow.reminders
        )
        service = Service(
            engine, replace(workflow, reminders=rules), clock, BERLIN, "test", mail, wall=clock
        )
        clock.set(local(date(2026, 3, 18), 9))
        coach = service.registry.add_coach(f"Coach {any_day}", f"c{any_day}@example.org", "65")
        centre = service.registry.add_centre(
            CentreInput(f"Kita {any_day}", "Gera", f"k{any_day}@example.org", coach=str(coach))
        )
        service.lifecycle.advance(centre, "admit")
        clock.set(saturday)
        service.ticks.tick()
        (row,) = [
            r
            for r in service.outbox.rows()
            if r.rule == "session_unrecorded" and r.recipient == f"c{any_day}@example.org"
        ]
        due[any_day] = row.due_at
    assert due == {False: local(date(2026, 3, 23), 8), True: local(date(2026, 3, 21), 8)}


def rule_table(extra: str) -> TomlTable:
    text = (
        '[[reminders]]\nid = "r"\nlabel = "Schritt möglich"\nfollows = "eligible"\n'
        'recipients = ["office"]\n'
        f'template = "eligible"\n{extra}'
    )
    return TomlTable(tomllib.loads(text), "workflow.toml", WorkflowError)


def test_any_day_is_read_from_the_workflow_file() -> None:
    assert [r.any_day for r in load_reminders(rule_table("any_day = true"))[1]] == [True]
    assert [r.any_day for r in load_reminders(rule_table(""))[1]] == [False]
    with pytest.raises(WorkflowError, match="any_day"):
        load_reminders(rule_table('any_day = "ja"'))


def test_no_reminder_of_the_default_workflow_goes_on_a_day_off(workflow: Workflow) -> None:
    assert [r.id for r in workflow.reminders if r.any_day] == []


def test_a_monday_mail_stays_on_monday(service: Service) -> None:
    monday = local(date(2026, 3, 23), 8)
    assert service.runtime.send_time(monday - timedelta(days=2)) == monday


def test_the_preview_says_when_a_mail_would_go_out(service: Service, clock: FrozenClock) -> None:
    clock.set(local(date(2026, 3, 18), 9))
    coach = service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    centre = service.registry.add_centre(
        CentreInput("Kita Sonnenschein", "Gera", "kita@example.org", coach=str(coach))
    )
    service.lifecycle.advance(centre, "admit")
    planned = service.reminders.preview_page(7, 0, None)[0]
    when = {d.rule.id: d.occurrence for d, _, _ in planned}
    assert when["session_unrecorded"] == local(date(2026, 3, 23), 8)  # not Saturday the 21st
    assert [d.occurrence for d, _, _ in planned] == sorted(d.occurrence for d, _, _ in planned)
