"""The numbers of stored things (centres, coaches, sessions, trainings, mails, sign-ins): one range.

Every id is an INTEGER column, 32 bits on PostgreSQL; a number beyond that range (or 0) is
an id no row can have. It is refused here, as the same German "not found" as any unknown
id, before it reaches the database, which would fail on it (SQLite: too large for an
INTEGER; PostgreSQL: out of range). Every command, page and form that takes an id reads it
through :func:`parse_id` or :func:`check_id`.
"""

from __future__ import annotations

from typing import Literal

from thekiz_flow.core import validate
from thekiz_flow.core.errors import NotFound

MAX_ID = 2**31 - 1  # the largest INTEGER on PostgreSQL

Kind = Literal["centre", "coach", "activity", "training", "outbox", "user"]
#: What an unknown id of each kind is called: "keine Einrichtung mit der Nummer 7".
NONE_SUCH: dict[Kind, str] = {
    "centre": "keine Einrichtung",
    "coach": "keine Prozessbegleitung",
    "activity": "kein Termin",
    "training": "keine Fortbildung",
    "outbox": "keine Nachricht",
    "user": "kein Zugang",
}


def unknown(kind: Kind, number: int) -> NotFound:
    """The error for an id of ``kind`` that no row has."""
    return NotFound(f"{NONE_SUCH[kind]} mit der Nummer {number}")


def id_in_range(number: int) -> bool:
    """True if a row can have ``number`` as its id."""
    return 0 < number <= MAX_ID


def check_id(kind: Kind, number: int) -> int:
    """``number`` if a row of ``kind`` can have it; else the error for an unknown id."""
    if not id_in_range(number):
        raise unknown(kind, number)
    return number


def parse_id(field: str, kind: Kind, value: str) -> int:
    """An id as typed in ``field``: ASCII digits, within the range of ids."""
    return check_id(kind, validate.identifier(field, value))
