"""German names of activity kinds, statuses, roles, steps and enrolments, as people read them."""

from thekiz_flow.core.enums import (
    ActivityKind,
    ActivityStatus,
    DeliveryStatus,
    OutboxStatus,
    Recipient,
    Role,
)

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
#: What a message of the outbox is, by the rule that wrote it: the reminders of
#: workflows/thekiz.toml and the messages of the service itself.
MAIL_KIND_NAMES = {
    "session_upcoming": "Hinweis auf einen Begleittermin",
    "session_unrecorded": "Begleittermin nicht erfasst",
    "session_unrecorded_office": "Begleittermin nicht erfasst (an die Fachstelle)",
    "visit_upcoming": "Hinweis auf einen Einrichtungsbesuch",
    "training_deadline": "Anmeldefrist einer Fortbildung",
    "training_cancelled": "Absage einer Fortbildung",
    "eligible": "nächster Schritt möglich",
    "budget_80": "Budget zu 80 % verbraucht",
    "budget_100": "Budget verbraucht",
    "renewal_due": "Verlängerung fällig",
    "stage_changed": "Stufenwechsel",
    "delivery_failed": "Versand fehlgeschlagen",
    "digest": "Jahresbericht",
    "overview": "Monatsübersicht",
}
OTHER_MAIL = "sonstige Nachricht"  # a rule of another workflow, not named above


def mail_kind_name(rule: str) -> str:
    return MAIL_KIND_NAMES.get(rule, OTHER_MAIL)


# The triggers of workflows/thekiz.toml; another workflow's triggers show as they are named.
TRIGGER_NAMES = {
    "admit": "Aufnahme in die Basisbegleitung",
    "deepen": "Wechsel in die Vertiefungsbegleitung",
    "renew": "Verlängerung der Vertiefungsbegleitung",
    "consult": "Wechsel zur Konsultationseinrichtung",
    "pause": "Pausieren",
    "resume": "Fortsetzen",
    "withdraw": "Ausscheiden",
}


def trigger_name(trigger: str) -> str:
    return TRIGGER_NAMES.get(trigger, trigger)


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
