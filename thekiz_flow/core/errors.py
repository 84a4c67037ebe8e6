"""Errors of thekiz-flow. Every message is German: it is shown to the office as it is.

ThekizError                   anything unexpected
 └── UserError                bad input or a refused action; nothing written
      ├── InvalidInput        a value typed or in a file is wrong (field: which)
      │    └── RowsRefused     rows of an import file are wrong: each by line and field
      ├── NotFound            no centre, coach, ... with that id
      ├── ConfigError         the configuration (file or environment) is wrong
      ├── WorkflowError       the workflow file is wrong
      ├── NotInitialised      the database has no (or an old) schema
      ├── Refused             a stage change whose guards are not met
      ├── Throttled           too many failed sign-ins: no password is checked for a while
      └── Busy                the server checks as many passwords as it may: try again soon

An error about one value names its *field*, a neutral key such as ``"email"``, ``"on"`` or
``"hours"``, never how a front end asks for it: the command line shows it as its option
(``--email: ungültige E-Mail-Adresse …``), a web form beside the field labelled "E-Mail".
A message may name other fields it ``refers`` to as ``{key}`` (``"{force} braucht eine
Begründung"``); :meth:`UserError.worded` fills in each front end's names. ``str()`` of an
error is its message with the keys as names. Exit codes are the command line's
(``thekiz_flow.cli``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: What an error is about: a neutral key ("email", "date", "reason", "centre", ...).
Field = str
Names = Callable[[Field], str]  # a front end's name of a field: "--email", "E-Mail"


def _key(field: Field) -> str:
    return field


class ThekizError(Exception):
    pass


class UserError(ThekizError):
    def __init__(
        self, message: str, field: Field | None = None, refers: tuple[Field, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the value it is about, where a front end shows it
        self.refers = refers  # other fields the message names as {key}

    def worded(self, name: Names = _key) -> str:
        """The message, with each field it refers to named by ``name``."""
        text = self.message
        for key in self.refers:
            text = text.replace(f"{{{key}}}", name(key))
        return text

    def described(self, name: Names = _key) -> str:
        """The message after the name of its field: ``--email: ungültige …``."""
        text = self.worded(name)
        return text if self.field is None else f"{name(self.field)}: {text}"

    def __str__(self) -> str:
        return self.worded()


class InvalidInput(UserError):
    def __init__(self, field: Field | None, message: str, refers: tuple[Field, ...] = ()) -> None:
        super().__init__(message, field, refers)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one line of an import file, and in which column (None: the row)."""

    line: int
    field: str | None  # the column, as the file names it (or by its German name)
    message: str  # worded with the column names

    def described(self) -> str:
        """``Zeile 4, Feld „Kreis“: unbekannter Kreis 'Erfurd'``."""
        where = (
            f"Zeile {self.line}"
            if self.field is None
            else f"Zeile {self.line}, Feld „{self.field}“"
        )
        return f"{where}: {self.message}"


class RowsRefused(InvalidInput):
    """Rows of an import file are wrong: nothing is imported; every problem is listed."""

    def __init__(self, source: str, problems: list[RowProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.described()))
        listed = "; ".join(p.described() for p in self.problems)
        super().__init__(
            None, f"{source}: nichts importiert, {len(self.problems)} Fehler: {listed}"
        )
        self.source = source


class NotFound(UserError):
    pass


class ConfigError(UserError):
    pass


class WorkflowError(UserError):
    pass


class NotInitialised(UserError):
    pass


class Refused(UserError):
    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


class Throttled(UserError):
    def __init__(self, minutes: int) -> None:
        super().__init__(
            "Zu viele fehlgeschlagene Anmeldungen, bitte in "
            f"{minutes} {'Minute' if minutes == 1 else 'Minuten'} erneut versuchen."
        )
        self.minutes = minutes


class Busy(UserError):
    pass
