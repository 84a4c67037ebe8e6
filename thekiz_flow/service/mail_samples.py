"""Made-up data for the preview of a mail template, when the database holds no case of it.

Every name and address is fictional; the page says that it shows sample data.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, Centre, Coach, Training, Workflow
from thekiz_flow.service.reminder_sources import Offer


def sample_context(name: str, workflow: Workflow, today: date) -> dict[str, object] | None:
    """The context of mail ``name`` with sample data, None for a mail of another workflow."""
    stages = list(workflow.stages.values())
    first, second = stages[0], stages[min(1, len(stages) - 1)]
    kind_id, kind = next(iter(workflow.training_kinds.items()), ("fortbildung", "Fortbildung"))
    centre = Centre(
        0, "Kita Beispiel", "Musterkreis", "leitung@kita-beispiel.example.org", "Musterträger",
        0, second.id, today - timedelta(days=400),
    )  # fmt: skip
    coach = Coach(0, "Erika Beispiel", "erika.beispiel@example.org", Decimal("62.50"))
    soon = today + timedelta(days=7)
    session = Activity(
        0, 0, ActivityKind.COACHING, "beispiel", second.id, soon, ActivityStatus.PLANNED,
        Decimal("2.5"), 0,
    )  # fmt: skip
    visit = Activity(
        0, 0, ActivityKind.SITE_VISIT, "beispiel", second.id, soon, ActivityStatus.PLANNED
    )
    training = Training(0, kind_id, f"{kind} I", today + timedelta(days=60), "Erfurt", 12)
    trigger = next(iter(workflow.transitions), "")
    subject = f"Vor-Ort-Besuch am {soon:%d.%m.%Y}: {centre.title}"
    failed = {
        "recipient": centre.email,
        "subject": subject,
        "error": "SMTP 550: Postfach unbekannt",
    }
    contexts: dict[str, dict[str, object]] = {
        "session_upcoming": {"centre": centre, "coach": coach, "activity": session, "number": 1},
        "session_unrecorded": {"centre": centre, "coach": coach, "activity": session, "number": 1},
        "session_unrecorded_office": {
            "centre": centre, "coach": coach, "activity": session, "number": 1,
        },
        "visit_upcoming": {"centre": centre, "coach": coach, "activity": visit, "number": 1},
        "training_deadline": {
            "centre": centre, "coach": coach, "training_kind": kind,
            "deadline": today + timedelta(days=30), "offers": [Offer(training, 5)],
        },
        "eligible": {"centre": centre, "stage": first, "trigger": trigger, "next_stage": second},
        "budget_threshold": {
            "centre": centre, "year": today.year, "percent": 80,
            "budget": Decimal(5000), "spent": Decimal("4012.50"),
        },
        "renewal_due": {
            "centre": centre, "stage": second, "since": centre.stage_since, "coach": coach,
        },
        "stage_changed": {
            "centre": centre, "from_stage": first, "to_stage": second, "effective": today,
            "reason": "Beispielbegründung",
            "centre_note": "Beispielhinweis an die Einrichtung",
        },
        "stage_reverted": {
            "centre": centre, "coach": coach, "stage": first, "withdrawn_stage": second,
            "effective": today,
        },
        "training_cancelled": {
            "centre": centre, "training": training, "kind": kind,
            "reason": "Die Referentin ist erkrankt.", "waiting": False,
        },
        "delivery_failed": {**failed, "outbox_id": 1},
        "invitation": {
            "centre": centre, "coach": coach, "activity": session, "moved_from": None,
            "reason": None, "handed_over": False,
        },
        "invitation_cancelled": {
            "centre": centre, "coach": coach, "activity": session, "moved_from": None,
            "reason": "Die Einrichtung hat wegen Krankheit abgesagt.", "handed_over": False,
        },
        "overview": {
            "month": today, "today": today,
            "upcoming": [{"date": soon, "kind": "Besuch", "centre": centre.title, "centre_id": 0}],
            "unrecorded": [], "eligible": [], "budget": [],
            "failed": [{**failed, "id": 1}],
        },
        "digest": {"year": today.year - 1, "today": today},
        "watchdog": {
            "problem": "ticks", "recovered": False, "since": f"{today:%d.%m.%Y} 10:00",
            "now": f"{today:%d.%m.%Y} 11:00", "age": "60 Minuten", "failed": 12,
            "threshold": 10, "days": 7,
        },
    }  # fmt: skip
    return contexts.get(name)
