"""German names of activity kinds, statuses, roles, steps and enrolments, as people read them."""

KIND_NAMES = {"coaching": "Begleittermin", "training": "Fortbildung", "site_visit": "Besuch"}
#: (singular, plural) of the activities a stage holds, as a sentence counts them.
HELD_NOUNS = {
    "coaching": ("Begleittermin", "Begleittermine"),
    "site_visit": ("Einrichtungsbesuch", "Einrichtungsbesuche"),
}
STATUS_NAMES = {
    "planned": "geplant",
    "held": "gehalten",
    "cancelled": "abgesagt",
    "waiting": "Warteliste",
}
OUTBOX_STATUS_NAMES = {
    "pending": "wartet",
    "sending": "wird gesendet",
    "sent": "versandt",
    "failed": "fehlgeschlagen",
    "missed": "versäumt",
    "withdrawn": "zurückgezogen",
}
ROLE_NAMES = {"office": "Fachstelle", "coach": "Prozessbegleitung", "ministry": "Ministerium"}
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
    "planned": "angemeldet",
    "held": "teilgenommen",
    "waiting": "Warteliste",
    "cancelled": "abgemeldet",
}


def enrolment_state(status: str, position: int | None) -> str:
    """An enrolment's state in German, with the place on the waiting list."""
    if position is not None:
        return f"{ENROLMENT_NAMES['waiting']} (Platz {position})"
    return ENROLMENT_NAMES[status]
