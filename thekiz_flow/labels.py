"""German names of activity kinds and statuses, as people read them."""

KIND_NAMES = {"coaching": "Begleittermin", "training": "Fortbildung", "site_visit": "Besuch"}
STATUS_NAMES = {
    "planned": "geplant",
    "held": "gehalten",
    "cancelled": "abgesagt",
    "waiting": "Warteliste",
}
ROLE_NAMES = {"office": "Fachstelle", "coach": "Prozessbegleitung", "ministry": "Ministerium"}
