"""How the web pages name the field an error is about, and forms shown again with it.

An error names a neutral field (``"email"``, ``"date"``); a form's input has that name,
and the message is shown beside it, after the field's German label ("E-Mail: ungültige
E-Mail-Adresse 'x'"), with what the user typed kept. A refusal of no one field is shown
above the form (key :data:`FORM`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.responses import Response

from thekiz_flow.core.errors import Field, InvalidInput, Refused, UserError

#: The German label of each field a page or form may name.
LABELS: dict[Field, str] = {
    "active": "Stand",
    "all_in_stage": "alle in der Stufe",
    "cancelled": "abgesagt",
    "capacity": "Plätze",
    "carrier": "Träger",
    "centre": "Einrichtung",
    "coach": "Prozessbegleitung",
    "coach_search": "Prozessbegleitung suchen",
    "user_search": "Zugang suchen",
    "confirm": "Bitte bestätigen",
    "current": "Aktuelles Passwort",
    "date": "Datum",
    "days": "Tage",
    "centre_note": "Hinweis für die Einrichtung",
    "district": "Kreis",
    "due": "Auswahl",
    "email": "E-Mail",
    "file": "Datei",
    "first": "von",
    "force": "Bedingungen übergehen",
    "free": "freie Plätze",
    "from": "Erster Schließtag",
    "hours": "Stunden",
    "html": "HTML-Fassung",
    "id": "Nummer",
    "kind": "Art",
    "last": "bis",
    "month": "Monat",
    "name": "Name",
    "new": "Neues Passwort",
    "note": "Notiz",
    "on": "Datum",
    "order": "Reihenfolge",
    "page": "Seite",
    "password": "Passwort",
    "place": "Ort",
    "rate": "Honorar",
    "reason": "Grund",
    "repeat": "Wiederholung",
    "resume_stage": "fortgesetzt in",
    "role": "Rolle",
    "sort": "Sortierung",
    "stage": "Stufe",
    "stage_since": "in der Stufe seit",
    "status": "Stand",
    "text": "Suche",
    "title": "Titel",
    "to": "Letzter Schließtag",
    "trigger": "Schritt",
    "txt": "Text mit Betreff",
    "valid_from": "gültig ab",
    "weekday": "Wochentag",
    "year": "Jahr",
}
FORM = ""  # the key of a refusal about the whole form
Errors = Mapping[str, str]


def label(field: Field) -> str:
    return LABELS.get(field, field)


def described(error: UserError) -> str:
    """The error's line for a page: ``E-Mail: ungültige E-Mail-Adresse 'x'``."""
    return error.described(label)


def beside_fields(change: Callable[[], Response], again: Callable[[Errors], Response]) -> Response:
    """``change()``; if it refuses what was typed, the form ``again`` with the message beside
    its field (or above the form). An unknown centre, session, ... of the address stays 404."""
    try:
        return change()
    except UserError as refused:
        if refused.field is None and not isinstance(refused, (InvalidInput, Refused)):
            raise
        return again({refused.field or FORM: described(refused)})
