"""German names of activity kinds, statuses, roles, steps and enrolments, as people read them."""

from thekiz_flow.core.enums import (
    ActivityKind,
    ActivityStatus,
    DeliveryStatus,
    OutboxStatus,
    Recipient,
    Role,
)
from thekiz_flow.core.model import Workflow

KIND_NAMES = {
    ActivityKind.COACHING: "Begleittermin",
    ActivityKind.TRAINING: "Fortbildung",
    ActivityKind.SITE_VISIT: "Besuch",
}
#: (singular, plural) of the activities a stage holds, as a sentence counts them.
HELD_NOUNS = {
    ActivityKind.COACHING: ("Begleittermin", "Begleittermine"),
    ActivityKind.SITE_VISIT: ("Einrichtungsbesuch", "Einrichtungsbesuche"),
}
STATUS_NAMES = {
    ActivityStatus.PLANNED: "geplant",
    ActivityStatus.HELD: "gehalten",
    ActivityStatus.CANCELLED: "abgesagt",
    ActivityStatus.WAITING: "Warteliste",
}
OUTBOX_STATUS_NAMES = {
    OutboxStatus.PENDING: "wartet",
    OutboxStatus.SENDING: "wird gesendet",
    OutboxStatus.SENT: "versandt",
    OutboxStatus.FAILED: "fehlgeschlagen",
    OutboxStatus.MISSED: "versäumt",
    OutboxStatus.WITHDRAWN: "zurückgezogen",
}
# The outcome of one attempt to send, as the outbox's history names it.
ATTEMPT_NAMES = {
    DeliveryStatus.SENT: "angenommen",
    DeliveryStatus.RETRY: "vorläufig nicht zugestellt",
    DeliveryStatus.FAILED: "abgelehnt",
}
ROLE_NAMES = {
    Role.OFFICE: "Fachstelle",
    Role.COACH: "Prozessbegleitung",
    Role.MINISTRY: "Ministerium",
}
#: Whom a message of the outbox is for, as the office names them.
RECIPIENT_NAMES = {
    Recipient.CENTRE: "Einrichtung",
    Recipient.COACH: ROLE_NAMES[Role.COACH],
    Recipient.OFFICE: ROLE_NAMES[Role.OFFICE],
    Recipient.MINISTRY: ROLE_NAMES[Role.MINISTRY],
}
#: The messages of the service itself, by the name it writes them under; the reminders
#: are named by their `label` in the workflow file.
SERVICE_MAIL_NAMES = {
    "stage_changed": "Stufenwechsel",
    "stage_reverted": "Stufenwechsel zurückgenommen",
    "training_cancelled": "Absage einer Fortbildung",
    "delivery_failed": "Versand fehlgeschlagen",
    "invitation": "Kalendereinladung zu einem Begleittermin",
    "invitation_cancelled": "Kalenderabsage eines Begleittermins",
    "digest": "Jahresbericht",
    "overview": "Monatsübersicht",
    "watchdog": "Störung des Betriebs",
}
OTHER_MAIL = "sonstige Nachricht"  # a rule no longer in the workflow file


def mail_kinds(workflow: Workflow) -> dict[str, str]:
    """Each kind of mail by the rule that writes it, in German: the workflow file's
    reminders by their `label`, then the service's own messages."""
    return {**{rule.id: rule.label for rule in workflow.reminders}, **SERVICE_MAIL_NAMES}


def mail_kind_name(workflow: Workflow, rule: str) -> str:
    return mail_kinds(workflow).get(rule, OTHER_MAIL)


#: Where a centre's enrolment in a training stands, by the status of the enrolment.
ENROLMENT_NAMES = {
    ActivityStatus.PLANNED: "angemeldet",
    ActivityStatus.HELD: "teilgenommen",
    ActivityStatus.WAITING: "Warteliste",
    ActivityStatus.CANCELLED: "abgemeldet",
}


def enrolment_state(status: ActivityStatus, position: int | None) -> str:
    """An enrolment's state in German, with the place on the waiting list."""
    if position is not None:
        return f"{ENROLMENT_NAMES[ActivityStatus.WAITING]} (Platz {position})"
    return ENROLMENT_NAMES[status]
