"""Corrections of what was recorded: the audit entry, the changed fields, their German words.

An entry keeps only the fields a correction changed, before and after, as JSON values
(:func:`plain`: a date as ``JJJJ-MM-TT``, an amount as a decimal string), so that it reads
the same whatever the column types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from thekiz_flow.core import german
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.labels import HELD_NOUNS, STATUS_NAMES

Plain = str | int | bool | None  # a field's value as an entry keeps it
Fields = Mapping[str, Plain]

#: Why a held activity was cancelled as a mistake, before the office's reason.
MISTAKE = "war ein Fehler"


class Subject(StrEnum):
    """What a correction is about."""

    ACTIVITY = "activity"
    STAGE_CHANGE = "stage_change"
    COACH = "coach"
    CENTRE = "centre"


class Action(StrEnum):
    CORRECTED = "corrected"  # a held activity's date, hours or note
    VOIDED = "voided"  # a held activity cancelled as a mistake
    EDITED = "edited"  # a coach's or centre's details
    REVERTED = "reverted"  # a centre's latest stage change withdrawn (``core/revert.py``)


@dataclass(frozen=True)
class ByCoach:
    """A correction a coach asks for (on the web), not the office: only of their own
    sessions, only within ``days`` of recording them, never a cancellation."""

    coach_id: int
    days: int


#: What a coach reads who may not (or no longer) correct a session.
ASK_OFFICE = "bitte wenden Sie sich an das Büro"


def coach_refusal(
    by: ByCoach, session_coach: int | None, recorded: datetime | None, now: datetime
) -> str | None:
    """Why the coach ``by`` may not correct a session held by ``session_coach`` and
    recorded as held at ``recorded`` (None: not known), or None if they may."""
    if session_coach != by.coach_id:
        return f"Sie korrigieren nur eigene Begleittermine; {ASK_OFFICE}"
    if recorded is None or now - recorded > timedelta(days=by.days):
        return (
            f"Begleittermine korrigieren Sie nur bis {by.days} Tage nach dem Erfassen; {ASK_OFFICE}"
        )
    return None


VOID_BY_COACH = "Als Fehler stornieren darf nur das Büro"


@dataclass(frozen=True)
class Correction:
    """One entry of the audit trail of corrections (append-only)."""

    subject: Subject
    subject_id: int
    centre_id: int | None  # whose record it is, if a centre's
    action: Action
    actor: str
    recorded_at: datetime
    before: Fields
    after: Fields
    reason: str | None = None
    id: int | None = None


def plain(value: object) -> Plain:
    """A field's value as an entry keeps it."""
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"  # 2.00 and 2 alike
    raise TypeError(f"no plain value: {value!r}")


def changed(before: Mapping[str, object], after: Mapping[str, object]) -> tuple[Fields, Fields]:
    """The fields of ``after`` whose value differs from ``before``'s: (before, after)."""
    names = [name for name in after if plain(after[name]) != plain(before.get(name))]
    return (
        {name: plain(before.get(name)) for name in names},
        {name: plain(after[name]) for name in names},
    )


#: A changed field's German name.
FIELD_NAMES = {
    "date": "Datum",
    "hours": "Stunden",
    "note": "Notiz",
    "status": "Status",
    "name": "Name",
    "email": "E-Mail",
    "rate": "Stundensatz",
    "carrier": "Träger",
    "district": "Landkreis",
    "weekday": "Wochentag",
    "stage": "Stufe",
    "stage_since": "in der Stufe seit",
    "valid_from": "gültig ab",
}
#: Fields that have no value before: named with their new one only ("gültig ab 01.03.2026").
NEW_ONLY = ("valid_from",)
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def worded(name: str, value: Plain, stages: Mapping[str, str] | None = None) -> str:
    """A field's value as the office reads it (``stages``: a stage's German name by id)."""
    if value is None or value == "":
        return "(leer)"
    if name == "stage" and isinstance(value, str):
        return (stages or {}).get(value, value)
    if name in ("date", "stage_since", "valid_from") and isinstance(value, str):
        return german.short_date(date.fromisoformat(value))
    if name == "hours" and isinstance(value, str):
        return german.hours(Decimal(value))
    if name == "rate" and isinstance(value, str):
        return german.euro_plain(Decimal(value))
    if name == "status" and isinstance(value, str):
        return STATUS_NAMES[ActivityStatus(value)]
    if name == "weekday" and isinstance(value, int):
        return WEEKDAYS[value]
    return str(value)


def fields_text(entry: Correction, stages: Mapping[str, str] | None = None) -> str:
    """Stunden 2,0 → 1,5; Notiz (leer) → Elternabend"""
    return "; ".join(
        f"{FIELD_NAMES.get(name, name)} {worded(name, value, stages)}"
        if entry.before.get(name) is None and name in NEW_ONLY
        else f"{FIELD_NAMES.get(name, name)} {worded(name, entry.before.get(name), stages)} → "
        f"{worded(name, value, stages)}"
        for name, value in entry.after.items()
    )


def what(entry: Correction, kind: ActivityKind | None, day: date | None) -> str:
    """What the entry is about: "Begleittermin vom 02.03.", "Prozessbegleitung 3", ..."""
    if entry.subject == Subject.ACTIVITY:
        noun = HELD_NOUNS.get(kind, ("Termin",))[0] if kind is not None else "Termin"
        return noun if day is None else f"{noun} vom {day.day:02}.{day.month:02}."
    if entry.subject == Subject.COACH:
        return f"Prozessbegleitung {entry.subject_id}"
    if entry.subject == Subject.CENTRE:
        return "Einrichtung"
    return f"Stufenwechsel {entry.subject_id}"


def sentence(
    entry: Correction,
    zone: ZoneInfo,
    kind: ActivityKind | None = None,
    day: date | None = None,
    stages: Mapping[str, str] | None = None,
) -> str:
    """15.03.2026 Begleittermin vom 02.03. korrigiert: Stunden 2,0 → 1,5 (Grund: …), von buero

    ``kind`` and ``day`` (as it was before the entry) name an activity; ``stages`` names
    the stages of a stage change withdrawn."""
    when = german.short_date(entry.recorded_at.astimezone(zone))
    subject = what(entry, kind, day)
    if entry.action == Action.VOIDED:
        text = f"{when} {subject} als Fehler storniert"
    elif entry.action == Action.REVERTED:
        text = f"{when} {subject} zurückgenommen: {fields_text(entry, stages)}"
    else:
        verb = "korrigiert" if entry.action == Action.CORRECTED else "geändert"
        text = f"{when} {subject} {verb}: {fields_text(entry)}"
    if entry.reason:
        text += f" (Grund: {entry.reason})"
    return f"{text}, von {entry.actor}"


def as_before(current: Mapping[str, object], later: Sequence[Correction]) -> dict[str, object]:
    """A subject's fields as they were before the corrections ``later`` (its own, in the
    order recorded): each field as the first of them that changed it found it."""
    earlier = dict(current)
    for entry in reversed(later):
        earlier.update((name, value) for name, value in entry.before.items() if name in earlier)
    return earlier
