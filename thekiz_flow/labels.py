"""German names of activity kinds, statuses, roles and steps, as people read them."""

KIND_NAMES = {"coaching": "Begleittermin", "training": "Fortbildung", "site_visit": "Besuch"}
STATUS_NAMES = {
    "planned": "geplant",
    "held": "gehalten",
    "cancelled": "abgesagt",
    "waiting": "Warteliste",
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
