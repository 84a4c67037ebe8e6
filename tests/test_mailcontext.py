"""A mail's context, kept as JSON: centres, coaches and stages by reference (found again as
they are now), everything else as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from thekiz_flow.core import mailcontext
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, Centre, Coach, Training, Workflow
from thekiz_flow.service.outbox import CONTEXT_CLASSES
from thekiz_flow.service.reminder_sources import Offer

CENTRE = Centre(
    7, "Kita Sonnenschein", "Gera", "alt@example.org", None, 3, "basis", date(2026, 1, 5)
)
COACH = Coach(3, "Lena Sommer", "lena@example.org", Decimal("65"))


def resolver(
    workflow: Workflow, centre: Centre | None, coach: Coach | None
) -> mailcontext.Resolver:
    return mailcontext.Resolver(
        lambda i: centre if centre is not None and i == centre.id else None,
        lambda i: coach if coach is not None and i == coach.id else None,
        workflow.stages.get,
        CONTEXT_CLASSES,
    )


def test_a_context_comes_back_with_the_current_centre_and_coach(workflow: Workflow) -> None:
    training = Training(4, "grundkurs", "Grundkurs", date(2026, 4, 1), "Erfurt", 12)
    activity = Activity(
        9,
        7,
        ActivityKind.COACHING,
        "k",
        "basis",
        date(2026, 3, 2),
        ActivityStatus.PLANNED,
        hours=Decimal("2.5"),
    )
    stage = next(iter(workflow.stages.values()))
    context: dict[str, object] = {
        "centre": CENTRE,
        "coach": COACH,
        "stage": stage,
        "activity": activity,
        "offers": [Offer(training, 3)],
        "since": date(2026, 3, 1),
        "at": datetime(2026, 3, 1, 7, tzinfo=UTC),
        "budget": Decimal("5000.00"),
        "items": [{"centre": "Kita A (Gera)", "centre_id": 1}],
        "nothing": None,
        "recovered": True,
    }
    moved = Centre(
        7, "Kita Regenbogen", "Gera", "neu@example.org", None, 3, "basis", date(2026, 1, 5)
    )
    again = mailcontext.decode(mailcontext.encode(context), resolver(workflow, moved, COACH))
    assert again == {**context, "centre": moved}
    assert again["activity"] == activity
    assert isinstance(again["offers"], list)
    assert again["offers"][0].training == training


@pytest.mark.parametrize(
    ("kept", "message"),
    [
        ({"centre": CENTRE}, "Einrichtung 7 gibt es nicht mehr"),
        ({"coach": COACH}, "Prozessbegleitung 3 gibt es nicht mehr"),
    ],
)
def test_a_reference_that_is_gone_says_so(
    workflow: Workflow, kept: dict[str, object], message: str
) -> None:
    with pytest.raises(mailcontext.Gone, match=message):
        mailcontext.decode(mailcontext.encode(kept), resolver(workflow, None, None))


def test_a_stage_gone_from_the_workflow_and_an_unknown_value_say_so(workflow: Workflow) -> None:
    gone = resolver(workflow, CENTRE, COACH)
    with pytest.raises(mailcontext.Gone, match="Stufe 'alt' gibt es nicht mehr"):
        mailcontext.decode('{"stage": {"$stage": "alt"}}', gone)
    with pytest.raises(mailcontext.Gone, match="unbekannter Inhalt 'Fremd'"):
        mailcontext.decode('{"x": {"$class": "Fremd", "fields": {}}}', gone)


def test_a_value_that_cannot_be_kept_is_refused() -> None:
    with pytest.raises(TypeError):
        mailcontext.encode({"x": object()})
