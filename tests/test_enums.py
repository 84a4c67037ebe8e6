"""The enums keep the strings the database, the workflow file and the command line have always
held: each value is listed here literally, and rows written with those strings read back as
members."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

import pytest
from sqlalchemy import Engine, insert

from thekiz_flow.core import enums
from thekiz_flow.core.enums import (
    ActivityKind,
    ActivityStatus,
    CatchUp,
    CentreSort,
    DeliveryStatus,
    Follows,
    Judgement,
    OutboxStatus,
    Recipient,
    Role,
    Stop,
)
from thekiz_flow.core.model import ActivityFilter
from thekiz_flow.store.activities import ActivityStore
from thekiz_flow.store.digest_queries import DigestQueries
from thekiz_flow.store.outbox import OutboxStore
from thekiz_flow.store.tables import activities, centres, coaches, outbox, users
from thekiz_flow.store.users import UserStore

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)

# The strings as they were stored and written before there were enums, in their order (the
# order in which German messages list them, e.g. "möglich: coaching, training, site_visit").
STORED: dict[type[StrEnum], list[str]] = {
    ActivityKind: ["coaching", "training", "site_visit"],
    ActivityStatus: ["planned", "held", "cancelled", "waiting"],
    OutboxStatus: ["pending", "sending", "sent", "failed", "missed", "withdrawn"],
    Role: ["office", "coach", "ministry"],
    Recipient: ["coach", "centre", "office", "ministry"],
    Follows: ["activity", "stage_start", "eligible", "budget", "training_deadline"],
    CatchUp: ["late", "skip"],
    Stop: ["never", "recorded"],
    Judgement: ["send", "missed"],
    DeliveryStatus: ["sent", "retry", "failed"],
    CentreSort: ["name", "district", "stage", "since", "id"],
}


def test_every_enum_of_the_core_is_listed() -> None:
    defined = {
        value
        for _, value in inspect.getmembers(enums, inspect.isclass)
        if issubclass(value, StrEnum) and value is not StrEnum
    }
    assert defined == set(STORED)


@pytest.mark.parametrize("enum", list(STORED), ids=lambda enum: enum.__name__)
def test_the_values_are_the_strings_stored_before(enum: type[StrEnum]) -> None:
    assert [member.value for member in enum] == STORED[enum]
    for member, text in zip(enum, STORED[enum], strict=True):
        assert member == text
        assert str(member) == f"{member}" == text  # what a template or an f-string shows
        assert enum(text) is member


@pytest.mark.backends("sqlite", "postgresql")
def test_rows_written_with_the_old_strings_read_back_as_members(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(coaches).values(
                id=1, name="Anna", email="anna@example.org", rate=Decimal(60), created_at=NOW
            )
        )
        conn.execute(
            insert(centres).values(
                id=1,
                name="Kita Sonnenschein",
                district="Gotha",
                email="kita@example.org",
                coach_id=1,
                stage="basisbegleitung",
                stage_since=date(2026, 1, 5),
                registered=date(2026, 1, 5),
                created_at=NOW,
            )
        )
        conn.execute(
            insert(activities).values(
                id=1,
                centre_id=1,
                kind="site_visit",
                key="site_visit:1",
                stage="basisbegleitung",
                date=date(2026, 2, 3),
                status="held",
            )
        )
        conn.execute(
            insert(outbox).values(
                id=1,
                key="digest:2025",
                rule="digest",
                role="ministry",
                recipient="ministerium@example.org",
                subject="Jahresbericht",
                body_text="",
                body_html="",
                status="missed",
                due_at=NOW,
                next_attempt_at=NOW,
                created_at=NOW,
            )
        )
        conn.execute(
            insert(users).values(
                id=1, email="anna@example.org", role="coach", password_hash="-", created_at=NOW
            )
        )
    with engine.connect() as conn:
        store = ActivityStore(conn)
        activity = store.get(1)
        found = store.find(ActivityFilter(kind=ActivityKind.SITE_VISIT, status=ActivityStatus.HELD))
        planning = store.for_planning([1], [ActivityKind.SITE_VISIT], status=ActivityStatus.HELD)
        mail = OutboxStore(conn).get(1)
        counts = OutboxStore(conn).counts()
        user = UserStore(conn).get(1)
        [(_, ([tally], _))] = DigestQueries(conn).counted(date(2026, 1, 1), date(2026, 12, 31), 45)
    assert activity is not None
    assert mail is not None
    assert user is not None
    assert [a.id for a in found] == [1]
    read = [
        activity.kind,
        activity.status,
        planning[1][0].kind,
        planning[1][0].status,
        tally.kind,
        tally.status,
        mail.role,
        mail.status,
        *counts,
        user.role,
    ]
    expected = [
        ActivityKind.SITE_VISIT,
        ActivityStatus.HELD,
        ActivityKind.SITE_VISIT,
        ActivityStatus.HELD,
        ActivityKind.SITE_VISIT,
        ActivityStatus.HELD,
        Recipient.MINISTRY,
        OutboxStatus.MISSED,
        OutboxStatus.MISSED,
        Role.COACH,
    ]
    assert read == expected
    assert [type(value) for value in read] == [type(value) for value in expected]
