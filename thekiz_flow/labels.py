"""German names of activity kinds and statuses, as people read them."""

KIND_NAMES = {"coaching": "Begleittermin", "training": "Fortbildung", "site_visit": "Besuch"}
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
}
ROLE_NAMES = {"office": "Fachstelle", "coach": "Prozessbegleitung", "ministry": "Ministerium"}
