"""The data map: for every column of every table, whether it holds personal data, whose,
why it is kept and for how long; and how a table's rows are found for one person.

It is the one source of the record of processing activities (Art. 30 DSGVO, `privacy
register`), of what an export contains (Art. 15) and of what an erasure touches (Art. 17).
A test compares it with the schema: a column that is neither classified as personal nor
declared not personal fails it, naming the column. To classify a new column, add it to its
table's entry below (a new table: a new `TableMap`).

Retention texts may name the settings of ``[privacy]`` as ``{name}``: the register fills in
the values in force.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Subject(StrEnum):
    """Whose data a column holds: a person thekiz-flow knows, or anyone (free text)."""

    COACH = "coach"  # a freelance coach (Prozessbegleitung)
    CENTRE = "centre"  # the contact of a centre (its address and its staff)
    USER = "user"  # a user of the web pages (office staff, a coach's account)
    ANYONE = "anyone"  # free text: may name anyone


SUBJECT_LABELS = {
    Subject.COACH: "Prozessbegleitungen",
    Subject.CENTRE: "Ansprechpersonen der Einrichtungen",
    Subject.USER: "Benutzerinnen und Benutzer der Webseiten",
    Subject.ANYONE: "im Freitext genannte Personen",
}


class Key(StrEnum):
    """What a linking column holds, to find one person's rows."""

    COACH_ID = "coach_id"  # the number of a coach
    CENTRE_ID = "centre_id"  # the number of a centre
    USER_ID = "user_id"  # the number of a user
    EMAIL = "email"  # an e-mail address of the person
    ACTOR = "actor"  # who recorded something: a user's e-mail (web) or a login name


@dataclass(frozen=True)
class Personal:
    """A column of personal data: whose, why (German), how long (German)."""

    whose: frozenset[Subject]
    purpose: str
    retention: str


@dataclass(frozen=True)
class NotPersonal:
    """A column declared to hold no personal data (keys, dates, figures, states)."""

    note: str = ""


Classification = Personal | NotPersonal
NOT_PERSONAL = NotPersonal()


@dataclass(frozen=True)
class Link:
    """Rows of a table belong to a person when ``column`` holds one of their ``key``
    values (and, if given, ``where`` = (column, value) holds too)."""

    column: str
    key: Key
    where: tuple[str, str] | None = None


@dataclass(frozen=True)
class TableMap:
    title: str  # German, for the register and the export
    columns: Mapping[str, Classification]
    links: tuple[Link, ...] = ()
    order: str = "id"  # the column the export sorts by
    purpose: str = ""  # German: why the table exists


def personal(purpose: str, retention: str, *whose: Subject) -> Personal:
    return Personal(frozenset(whose), purpose, retention)


C, Z, U, A = Subject.COACH, Subject.CENTRE, Subject.USER, Subject.ANYONE

PROGRAMME = "für die Dauer des Programms (Nachweis gegenüber dem Zuwendungsgeber)"
ACCOUNTS = "für die Dauer des Programms (Abrechnung und Berichte an das Ministerium)"
NAMED_ACTOR = "Protokoll, wer etwas erfasst hat"
ERASED = "bis zur Löschung der Person (dann ersetzt durch einen Platzhalter)"
MAIL = "Inhalt {mail_bodies_months} Monate nach dem Versand gelöscht; Datum und Betreff " + ERASED
FREE_TEXT = "Freitext (kann Personen nennen): " + PROGRAMME


DATA_MAP: dict[str, TableMap] = {
    "coaches": TableMap(
        "Prozessbegleitungen",
        {
            "id": NOT_PERSONAL,
            "name": personal("Ansprache, Zuordnung zu Einrichtungen", ERASED, C),
            "email": personal("E-Mails zu Terminen und Erinnerungen", ERASED, C),
            "rate": personal("Honorarabrechnung", ACCOUNTS, C),
            "created_at": NOT_PERSONAL,
            "active": NOT_PERSONAL,
        },
        (Link("id", Key.COACH_ID),),
        purpose="Stammdaten der freiberuflichen Prozessbegleitungen",
    ),
    "centres": TableMap(
        "Einrichtungen",
        {
            "id": NOT_PERSONAL,
            "name": NotPersonal("Name der Einrichtung (keine Person)"),
            "district": NOT_PERSONAL,
            "email": personal(
                "Kontakt zur Einrichtung",
                "bis zur Löschung; nach dem Ausscheiden {withdrawn_centre_years} Jahre",
                Z,
            ),
            "carrier": NotPersonal("Träger (keine Person)"),
            "coach_id": personal("Zuordnung der Prozessbegleitung", PROGRAMME, C),
            "stage": NOT_PERSONAL,
            "stage_since": NOT_PERSONAL,
            "registered": NOT_PERSONAL,
            "resume_stage": NOT_PERSONAL,
            "weekday": NOT_PERSONAL,
            "plan_stamp": NOT_PERSONAL,
            "episode_start": NOT_PERSONAL,
            "next_step_on": NOT_PERSONAL,
            "created_at": NOT_PERSONAL,
        },
        (Link("id", Key.CENTRE_ID), Link("coach_id", Key.COACH_ID)),
        purpose="Die Eltern-Kind-Zentren im Programm und ihre Kontaktadressen",
    ),
    "stage_changes": TableMap(
        "Stufenwechsel",
        {
            "id": NOT_PERSONAL,
            "centre_id": NOT_PERSONAL,
            "trigger": NOT_PERSONAL,
            "from_stage": NOT_PERSONAL,
            "to_stage": NOT_PERSONAL,
            "effective": NOT_PERSONAL,
            "recorded_at": NOT_PERSONAL,
            "actor": personal(NAMED_ACTOR, ERASED, U),
            "reason": personal("Begründung", FREE_TEXT, A),
            "forced": NOT_PERSONAL,
            "centre_note": personal("Hinweis an die Einrichtung", FREE_TEXT, A),
        },
        (Link("centre_id", Key.CENTRE_ID), Link("actor", Key.ACTOR)),
        purpose="Verlauf jeder Einrichtung durch die Stufen des Programms",
    ),
    "activities": TableMap(
        "Termine (Begleitungen, Fortbildungen, Besuche)",
        {
            "id": NOT_PERSONAL,
            "centre_id": NOT_PERSONAL,
            "kind": NOT_PERSONAL,
            "key": NOT_PERSONAL,
            "stage": NOT_PERSONAL,
            "date": NOT_PERSONAL,
            "status": NOT_PERSONAL,
            "hours": personal("Nachweis der geleisteten Stunden", ACCOUNTS, C),
            "coach_id": personal("Wer die Begleitung gehalten hat", ACCOUNTS, C),
            "note": personal("Notiz", FREE_TEXT, A),
            "rate": personal("Honorar des Termins", ACCOUNTS, C),
            "training_id": NOT_PERSONAL,
            "reason": personal("Absagegrund", FREE_TEXT, A),
            "moved": NOT_PERSONAL,
            "recorded_at": NOT_PERSONAL,
            "revision": NOT_PERSONAL,
            "created_at": NOT_PERSONAL,
        },
        (Link("centre_id", Key.CENTRE_ID), Link("coach_id", Key.COACH_ID)),
        order="date",
        purpose="Begleitungen, Fortbildungsanmeldungen und Besuche der Einrichtungen",
    ),
    "activity_undo": TableMap(
        "Frühere Stände der Termine",
        {
            "id": NOT_PERSONAL,
            "activity_id": NOT_PERSONAL,
            "changed_at": NOT_PERSONAL,
            "centre_id": NOT_PERSONAL,
            "kind": NOT_PERSONAL,
            "key": NOT_PERSONAL,
            "stage": NOT_PERSONAL,
            "date": NOT_PERSONAL,
            "status": NOT_PERSONAL,
            "hours": personal("Nachweis der geleisteten Stunden", ACCOUNTS, C),
            "coach_id": personal("Wer die Begleitung gehalten hat", ACCOUNTS, C),
            "note": personal("Notiz", FREE_TEXT, A),
            "rate": personal("Honorar des Termins", ACCOUNTS, C),
            "training_id": NOT_PERSONAL,
            "reason": personal("Absagegrund", FREE_TEXT, A),
            "moved": NOT_PERSONAL,
            "recorded_at": NOT_PERSONAL,
            "revision": NOT_PERSONAL,
            "created_at": NOT_PERSONAL,
        },
        (Link("centre_id", Key.CENTRE_ID), Link("coach_id", Key.COACH_ID)),
        purpose="Berichte nach dem damaligen Stand (Korrekturen nachvollziehbar)",
    ),
    "corrections": TableMap(
        "Korrekturen",
        {
            "id": NOT_PERSONAL,
            "subject": NOT_PERSONAL,
            "subject_id": NOT_PERSONAL,
            "centre_id": NOT_PERSONAL,
            "action": NOT_PERSONAL,
            "actor": personal(NAMED_ACTOR, ERASED, U),
            "recorded_at": NOT_PERSONAL,
            "before": personal("Stand vor der Korrektur", ERASED, C, Z, A),
            "after": personal("Stand nach der Korrektur", ERASED, C, Z, A),
            "reason": personal("Begründung", FREE_TEXT, A),
        },
        (
            Link("centre_id", Key.CENTRE_ID),
            Link("subject_id", Key.COACH_ID, ("subject", "coach")),
            Link("actor", Key.ACTOR),
        ),
        purpose="Prüfpfad jeder Korrektur erfasster Angaben",
    ),
    "coach_rates": TableMap(
        "Honorarsätze",
        {
            "id": NOT_PERSONAL,
            "coach_id": NOT_PERSONAL,
            "rate": personal("Honorarabrechnung", ACCOUNTS, C),
            "valid_from": NOT_PERSONAL,
            "recorded_at": NOT_PERSONAL,
            "actor": personal(NAMED_ACTOR, ERASED, U),
        },
        (Link("coach_id", Key.COACH_ID), Link("actor", Key.ACTOR)),
        purpose="Honorarsätze der Prozessbegleitungen im Zeitverlauf",
    ),
    "digest_sends": TableMap(
        "Versandte Jahresberichte",
        {
            "year": NOT_PERSONAL,
            "as_recorded_at": NOT_PERSONAL,
            "actor": personal(NAMED_ACTOR, ERASED, U),
        },
        (Link("actor", Key.ACTOR),),
        order="year",
        purpose="Welcher Jahresbericht dem Ministerium zuging",
    ),
    "handovers": TableMap(
        "Abgegebene Termine",
        {
            "id": NOT_PERSONAL,
            "activity_id": NOT_PERSONAL,
            "coach_id": personal("Kalender der früheren Prozessbegleitung", PROGRAMME, C),
            "recorded_at": NOT_PERSONAL,
        },
        (Link("coach_id", Key.COACH_ID),),
        purpose="Termine, die eine Prozessbegleitung abgegeben hat (ihr Kalender)",
    ),
    "closures": TableMap(
        "Schließzeiten",
        {
            "id": NOT_PERSONAL,
            "centre_id": NOT_PERSONAL,
            "first": NOT_PERSONAL,
            "last": NOT_PERSONAL,
            "note": personal("Notiz", FREE_TEXT, A),
        },
        (Link("centre_id", Key.CENTRE_ID),),
        purpose="Schließzeiten der Einrichtungen für die Planung",
    ),
    "trainings": TableMap(
        "Fortbildungen",
        {
            "id": NOT_PERSONAL,
            "kind": NOT_PERSONAL,
            "title": NOT_PERSONAL,
            "date": NOT_PERSONAL,
            "place": NOT_PERSONAL,
            "capacity": NOT_PERSONAL,
            "created_at": NOT_PERSONAL,
            "cancelled_at": NOT_PERSONAL,
            "cancelled_by": personal(NAMED_ACTOR, ERASED, U),
            "cancel_reason": personal("Absagegrund", FREE_TEXT, A),
        },
        (Link("cancelled_by", Key.ACTOR),),
        purpose="Fortbildungskatalog",
    ),
    "outbox": TableMap(
        "Versandte E-Mails",
        {
            "id": NOT_PERSONAL,
            "key": NOT_PERSONAL,
            "rule": NOT_PERSONAL,
            "centre_id": NOT_PERSONAL,
            "role": NOT_PERSONAL,
            "recipient": personal("Zustellung", ERASED, C, Z, U),
            "subject": personal("Nachweis, was wann mitgeteilt wurde", MAIL, C, Z, U),
            "body_text": personal("Inhalt der E-Mail", MAIL, C, Z, U, A),
            "body_html": personal("Inhalt der E-Mail", MAIL, C, Z, U, A),
            "attachments": personal("Anhänge der E-Mail", MAIL, C, Z, U),
            "status": NOT_PERSONAL,
            "due_at": NOT_PERSONAL,
            "next_attempt_at": NOT_PERSONAL,
            "attempts": NOT_PERSONAL,
            "lease_until": NOT_PERSONAL,
            "last_error": personal("Fehler beim Versand (kann die Adresse nennen)", MAIL, C, Z, U),
            "ambiguous": NOT_PERSONAL,
            "sent_at": NOT_PERSONAL,
            "created_at": NOT_PERSONAL,
            "calendar": personal("Kalendereinladung (nennt die Prozessbegleitung)", MAIL, C),
            "template": NOT_PERSONAL,
            "context": personal("Angaben, aus denen die E-Mail neu entsteht", MAIL, C, Z, A),
        },
        (Link("recipient", Key.EMAIL),),
        order="created_at",
        purpose="Jede E-Mail an Einrichtungen, Prozessbegleitungen und die Fachstelle",
    ),
    "outbox_attempts": TableMap(
        "Zustellversuche",
        {
            "id": NOT_PERSONAL,
            "outbox_id": NOT_PERSONAL,
            "attempt": NOT_PERSONAL,
            "at": NOT_PERSONAL,
            "outcome": NOT_PERSONAL,
            "recipient": personal("Zustellung", ERASED, C, Z, U),
            "code": NOT_PERSONAL,
            "reply": personal("Antwort des Mailservers (kann die Adresse nennen)", ERASED, C, Z, U),
        },
        (Link("recipient", Key.EMAIL),),
        order="at",
        purpose="Nachweis jedes Zustellversuchs mit der Antwort des Mailservers",
    ),
    "invitations": TableMap(
        "Kalendereinladungen",
        {
            "activity_id": NOT_PERSONAL,
            "coach_id": personal("Wem die Einladung zu einem Termin ging", PROGRAMME, C),
            "revision": NOT_PERSONAL,
            "day": NOT_PERSONAL,
            "cancelled": NOT_PERSONAL,
            "recorded_at": NOT_PERSONAL,
        },
        (Link("coach_id", Key.COACH_ID),),
        order="activity_id",
        purpose="Welche Kalendereinladung eine Prozessbegleitung zuletzt erhielt",
    ),
    "users": TableMap(
        "Benutzerkonten",
        {
            "id": NOT_PERSONAL,
            "email": personal("Anmeldung", ERASED, U, C),
            "role": NOT_PERSONAL,
            "password_hash": personal(
                "Anmeldung (nur ein Hashwert, nie das Passwort; nie ausgegeben)", ERASED, U
            ),
            "coach_id": NOT_PERSONAL,
            "created_at": NOT_PERSONAL,
            "disabled": NOT_PERSONAL,
        },
        (Link("id", Key.USER_ID), Link("coach_id", Key.COACH_ID)),
        purpose="Wer sich an den Webseiten anmelden darf",
    ),
    "web_sessions": TableMap(
        "Angemeldete Browser",
        {
            "id": NOT_PERSONAL,
            "token_hash": personal("Anmeldung (Hashwert, nie ausgegeben)", "bis zur Abmeldung", U),
            "user_id": NOT_PERSONAL,
            "csrf_token": personal("Schutz der Formulare (nie ausgegeben)", "bis zur Abmeldung", U),
            "created_at": personal("Wann sich jemand angemeldet hat", "bis zur Abmeldung", U),
            "last_seen_at": personal("Zuletzt aktiv", "bis zur Abmeldung", U),
            "expires_at": NOT_PERSONAL,
        },
        (Link("user_id", Key.USER_ID),),
        purpose="Laufende Anmeldungen",
    ),
    "sign_in_attempts": TableMap(
        "Anmeldeversuche",
        {
            "id": NOT_PERSONAL,
            "at": personal("Wer sich wann angemeldet hat", "{sign_ins_days} Tage", U),
            "email": personal(
                "Schutz vor Passwortraten (ohne Passwort)", "{sign_ins_days} Tage", U
            ),
            "client": personal("Adresse des Rechners", "{sign_ins_days} Tage", U),
            "succeeded": NOT_PERSONAL,
        },
        (Link("email", Key.EMAIL),),
        purpose="Anmeldungen und Fehlversuche (ohne Passwörter)",
    ),
    "calendar_feeds": TableMap(
        "Kalenderlinks",
        {
            "id": NOT_PERSONAL,
            "coach_id": NOT_PERSONAL,
            "token_hash": personal("Privater Kalenderlink (Hashwert, nie ausgegeben)", ERASED, C),
            "created_at": NOT_PERSONAL,
        },
        (Link("coach_id", Key.COACH_ID),),
        purpose="Private Kalenderlinks der Prozessbegleitungen",
    ),
    "state": TableMap(
        "Betriebszustand",
        {"name": NOT_PERSONAL, "at": NOT_PERSONAL},
        order="name",
        purpose="Zeitpunkte des Dienstes (z. B. letzter Durchlauf)",
    ),
    "budget_percents": TableMap(
        "Budgetanteile des Jahres",
        {"centre_id": NOT_PERSONAL, "percent": NOT_PERSONAL},
        order="centre_id",
        purpose="Anteil des Jahresbudgets, den eine Einrichtung verbraucht hat (Warnungen)",
    ),
    "budget_stale": TableMap(
        "Neu zu berechnende Budgetanteile",
        {"id": NOT_PERSONAL, "centre_id": NOT_PERSONAL},
        purpose="Einrichtungen, deren Budgetanteil nach einer Änderung neu berechnet wird",
    ),
    "budget_state": TableMap(
        "Stand der Budgetanteile",
        {"id": NOT_PERSONAL, "rules": NOT_PERSONAL},
        purpose="Jahr und Regeln, nach denen die Budgetanteile berechnet sind",
    ),
    "district_accounts": TableMap(
        "Verwendungsnachweise je Einrichtung",
        {
            "year": NOT_PERSONAL,
            "centre_id": NOT_PERSONAL,
            "district": NOT_PERSONAL,
            "name": NotPersonal("Name der Einrichtung (keine Person)"),
            "stage_start": NOT_PERSONAL,
            "stage_end": NOT_PERSONAL,
            "sessions": NOT_PERSONAL,
            "hours": NOT_PERSONAL,
            "cost": NOT_PERSONAL,
            "budget": NOT_PERSONAL,
        },
        order="year",
        purpose="Zahlen einer Einrichtung im Jahr für die Verwendungsnachweise der Landkreise "
        "(aus den Terminen und Stufenwechseln berechnet)",
    ),
    "district_totals": TableMap(
        "Verwendungsnachweise je Landkreis",
        {
            "year": NOT_PERSONAL,
            "district": NOT_PERSONAL,
            "centres": NOT_PERSONAL,
            "sessions": NOT_PERSONAL,
            "hours": NOT_PERSONAL,
            "cost": NOT_PERSONAL,
            "budget": NOT_PERSONAL,
            "rest": NOT_PERSONAL,
        },
        order="year",
        purpose="Summen eines Landkreises im Jahr (Verwendungsnachweise)",
    ),
    "account_years": TableMap(
        "Stand der Verwendungsnachweise",
        {"year": NOT_PERSONAL, "rules": NOT_PERSONAL, "figured_upto": NOT_PERSONAL},
        order="year",
        purpose="Regeln und letzte Änderung, nach denen ein Jahr berechnet ist",
    ),
    "account_stale": TableMap(
        "Neu zu berechnende Verwendungsnachweise",
        {"id": NOT_PERSONAL, "centre_id": NOT_PERSONAL},
        purpose="Einrichtungen, deren Zahlen nach einer Änderung neu berechnet werden",
    ),
    "forecast_kept": TableMap(
        "Gespeicherte Prognose",
        {"key": NOT_PERSONAL, "upto": NOT_PERSONAL, "token": NOT_PERSONAL, "body": NOT_PERSONAL},
        order="key",
        purpose="Die Prognose der ersten Ansicht, berechnet aus Stufen, Terminen und "
        "Stundensätzen (Summen je Monat, Landkreis und Stufe, keine Namen)",
    ),
    "forecast_marks": TableMap(
        "Änderungen seit der gespeicherten Prognose",
        {"id": NOT_PERSONAL, "source": NOT_PERSONAL},
        purpose="Zeigt, dass die gespeicherte Prognose neu zu berechnen ist",
    ),
    "centre_counts": TableMap(
        "Einrichtungen je Stufe und Kreis",
        {"stage": NOT_PERSONAL, "district": NOT_PERSONAL, "centres": NOT_PERSONAL},
        order="stage",
        purpose="Anzahl der Einrichtungen je Stufe und Kreis (Übersicht), Stand der letzten "
        "Zusammenfassung",
    ),
    "centre_count_changes": TableMap(
        "Änderungen der Einrichtungszahlen",
        {
            "id": NOT_PERSONAL,
            "stage": NOT_PERSONAL,
            "district": NOT_PERSONAL,
            "delta": NOT_PERSONAL,
        },
        purpose="Zu- und Abgänge je Stufe und Kreis seit der letzten Zusammenfassung",
    ),
    "invitation_marks": TableMap(
        "Geänderte Begleittermine für Kalendereinladungen",
        {"id": NOT_PERSONAL, "activity_id": NOT_PERSONAL},
        purpose="Begleittermine, deren Kalendereinladung der nächste Durchlauf prüft",
    ),
    "invitation_state": TableMap(
        "Stand der Kalendereinladungen",
        {"id": NOT_PERSONAL, "since": NOT_PERSONAL, "through": NOT_PERSONAL},
        purpose="Welche Tage der letzte Durchlauf für Kalendereinladungen geprüft hat",
    ),
    "outbox_counts": TableMap(
        "Nachrichten je Stand",
        {"status": NOT_PERSONAL, "messages": NOT_PERSONAL},
        order="status",
        purpose="Anzahl der Nachrichten im Postausgang je Stand, Stand der letzten Zusammenfassung",
    ),
    "outbox_count_changes": TableMap(
        "Änderungen der Nachrichtenzahlen",
        {"id": NOT_PERSONAL, "status": NOT_PERSONAL, "delta": NOT_PERSONAL},
        purpose="Zu- und Abgänge je Stand des Postausgangs seit der letzten Zusammenfassung",
    ),
    "privacy_events": TableMap(
        "Auskünfte und Löschungen",
        {
            "id": NOT_PERSONAL,
            "at": NOT_PERSONAL,
            "actor": personal("Wer Daten ausgegeben oder gelöscht hat", "{audit_days} Tage", U),
            "action": NOT_PERSONAL,
            "subject": NOT_PERSONAL,
            "subject_id": NOT_PERSONAL,
        },
        (
            Link("actor", Key.ACTOR),
            Link("subject_id", Key.COACH_ID, ("subject", "coach")),
            Link("subject_id", Key.CENTRE_ID, ("subject", "centre")),
            Link("subject_id", Key.USER_ID, ("subject", "user")),
        ),
        purpose="Nachweis der Auskünfte und Löschungen (nur Nummern der Betroffenen)",
    ),
}

# Columns never written into an export: secrets (hashes of them), only good for signing in.
SECRETS = frozenset(
    {
        ("users", "password_hash"),
        ("web_sessions", "token_hash"),
        ("web_sessions", "csrf_token"),
        ("calendar_feeds", "token_hash"),
    }
)


def unclassified(schema: Mapping[str, list[str]]) -> list[str]:
    """``table.column`` of every column of ``schema`` (table -> columns) the map does not
    classify, and of every entry of the map the schema lacks (marked "(nicht im Schema)")."""
    missing = [
        f"{table}.{column}"
        for table, columns in schema.items()
        for column in columns
        if column not in (DATA_MAP[table].columns if table in DATA_MAP else {})
    ]
    stale = [
        f"{table}.{column} (nicht im Schema)"
        for table, entry in DATA_MAP.items()
        for column in entry.columns
        if column not in schema.get(table, [])
    ]
    return missing + stale


def personal_columns(subject: Subject) -> Iterator[tuple[str, str, Personal]]:
    """(table, column, classification) of every column holding data of ``subject``."""
    for table, entry in DATA_MAP.items():
        for column, kind in entry.columns.items():
            if isinstance(kind, Personal) and subject in kind.whose:
                yield table, column, kind


@dataclass(frozen=True)
class RegisterLine:
    """One line of the record of processing activities: a table's personal data."""

    table: str
    title: str
    purpose: str
    columns: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # col, whose, why, how long


def register(values: Mapping[str, object]) -> list[RegisterLine]:
    """The record of processing activities, table by table, with ``values`` of the
    ``[privacy]`` settings filled into the retention texts."""
    lines = []
    for table, entry in DATA_MAP.items():
        line = RegisterLine(table, entry.title, entry.purpose)
        for column, kind in entry.columns.items():
            if isinstance(kind, Personal):
                whose = ", ".join(SUBJECT_LABELS[s] for s in Subject if s in kind.whose)
                retention = kind.retention.format(**values)
                line.columns.append((column_label(table, column), whose, kind.purpose, retention))
        if line.columns:
            lines.append(line)
    return lines


# German headings of the export's columns (by column name; a name not here shows as it is).
COLUMN_LABELS = {
    "id": "Nummer",
    "name": "Name",
    "email": "E-Mail",
    "rate": "Honorar (EUR/Std.)",
    "created_at": "angelegt",
    "active": "aktiv",
    "district": "Kreis",
    "carrier": "Träger",
    "coach_id": "Prozessbegleitung (Nr.)",
    "centre_id": "Einrichtung (Nr.)",
    "stage": "Stufe",
    "stage_since": "Stufe seit",
    "registered": "im Programm seit",
    "resume_stage": "Stufe nach der Pause",
    "weekday": "Wochentag",
    "plan_stamp": "Planungsstand",
    "episode_start": "Aufenthalt seit",
    "next_step_on": "nächster Schritt ab",
    "trigger": "Schritt",
    "from_stage": "von Stufe",
    "to_stage": "zu Stufe",
    "effective": "wirksam ab",
    "recorded_at": "erfasst",
    "actor": "erfasst von",
    "reason": "Begründung",
    "forced": "erzwungen",
    "kind": "Art",
    "key": "Schlüssel",
    "date": "Datum",
    "status": "Stand",
    "hours": "Stunden",
    "note": "Notiz",
    "training_id": "Fortbildung (Nr.)",
    "moved": "verlegt",
    "revision": "Änderung Nr.",
    "activity_id": "Termin (Nr.)",
    "changed_at": "geändert",
    "subject": "Gegenstand",
    "subject_id": "Nummer des Gegenstands",
    "action": "Vorgang",
    "before": "vorher",
    "after": "nachher",
    "valid_from": "gültig ab",
    "year": "Jahr",
    "as_recorded_at": "Stand vom",
    "first": "von",
    "last": "bis",
    "title": "Titel",
    "place": "Ort",
    "capacity": "Plätze",
    "cancelled_at": "abgesagt am",
    "cancelled_by": "abgesagt von",
    "cancel_reason": "Absagegrund",
    "rule": "Nachricht",
    "role": "Rolle",
    "recipient": "Empfänger",
    "body_text": "Text",
    "body_html": "Text (HTML)",
    "attachments": "Anhänge",
    "due_at": "fällig",
    "next_attempt_at": "nächster Versuch",
    "attempts": "Versuche",
    "lease_until": "in Arbeit bis",
    "last_error": "letzter Fehler",
    "ambiguous": "unklar, ob zugestellt",
    "sent_at": "versandt",
    "disabled": "gesperrt",
    "last_seen_at": "zuletzt aktiv",
    "expires_at": "läuft ab",
    "at": "Zeitpunkt",
    "client": "Rechner",
    "succeeded": "erfolgreich",
    "centre_note": "Hinweis an die Einrichtung",
    "calendar": "Kalendereinladung",
    "template": "Vorlage",
    "context": "Angaben der E-Mail",
    "outbox_id": "Nachricht (Nr.)",
    "attempt": "Versuch",
    "outcome": "Ergebnis",
    "code": "Antwort-Code",
    "reply": "Antwort des Servers",
    "day": "Tag",
    "percent": "Anteil (%)",
    "centres": "Einrichtungen",
    "messages": "Nachrichten",
    "delta": "Zu- oder Abgang",
    "rules": "Regeln",
    "since": "Erster geprüfter Tag",
    "through": "Letzter geprüfter Tag",
    "cancelled": "abgesagt",
    "password_hash": "Passwort (Hashwert)",
    "token_hash": "Zugangsschlüssel (Hashwert)",
    "user_id": "Benutzerkonto (Nr.)",
    "csrf_token": "Formularschutz",
    "figured_upto": "berechnet bis Änderung Nr.",
}

# Where a column's name means something else in one table.
TABLE_COLUMN_LABELS = {
    ("outbox", "subject"): "Betreff",
    ("privacy_events", "subject"): "betroffen",
    ("privacy_events", "actor"): "durch",
    ("privacy_events", "subject_id"): "Nummer der Person",
    ("sign_in_attempts", "at"): "Zeitpunkt",
    ("district_accounts", "stage_start"): "Stufe am 1.1.",
    ("district_accounts", "stage_end"): "Stufe am 31.12.",
    ("forecast_kept", "upto"): "berechnet bis Änderung Nr.",
    ("forecast_kept", "body"): "Prognose (Summen, JSON)",
    ("forecast_kept", "token"): "Kennung der Berechnung",
    ("forecast_marks", "source"): "geänderte Tabelle",
    **{
        (table, column): label
        for table in ("district_accounts", "district_totals")
        for column, label in (
            ("sessions", "gehaltene Termine"),
            ("hours", "Stunden (Hundertstel)"),
            ("cost", "Kosten (Cent)"),
            ("budget", "Budget anteilig (Cent)"),
            ("rest", "Rest (Cent)"),
        )
    },
}


def column_label(table: str, column: str) -> str:
    """The German heading of a column in an export."""
    return TABLE_COLUMN_LABELS.get((table, column)) or COLUMN_LABELS.get(column, column)


# Columns for the programme's own bookkeeping (keys, derived dates, delivery state): in the
# JSON of an export, not in its readable page.
TECHNICAL = frozenset(
    {"key", "plan_stamp", "revision", "lease_until", "next_attempt_at", "episode_start"}
    | {"next_step_on", "attempts", "ambiguous", "body_html"}
)

ACTIONS = {
    "export": "Auskunft",
    "erase": "Löschung",
    "corrected": "korrigiert",
    "voided": "als Irrtum abgesagt",
    "edited": "geändert",
}
SUBJECT_NAMES = {
    Subject.COACH: "Prozessbegleitung",
    Subject.CENTRE: "Einrichtung",
    Subject.USER: "Benutzerkonto",
}
# What a correction is of (corrections.subject), as a reader names it.
CORRECTION_SUBJECTS = {
    **{str(subject): name for subject, name in SUBJECT_NAMES.items()},
    "activity": "Termin",
    "stage_change": "Stufenwechsel",
}
