"""Errors of thekiz-flow. Every message is German: it is shown to the office as it is.

ThekizError                   exit 1: anything unexpected
 └── UserError                exit 2: bad input or a refused action; nothing written
      ├── InvalidInput        a value on the command line or in a file is wrong (field: which)
      ├── NotFound            no centre, coach, ... with that id
      ├── ConfigError         the configuration (file or environment) is wrong
      ├── WorkflowError       the workflow file is wrong
      ├── NotInitialised      the database has no (or an old) schema
      ├── Refused             a stage change whose guards are not met
      ├── Throttled           too many failed sign-ins: no password is checked for a while
      └── Busy                the server checks as many passwords as it may: try again soon
"""

from __future__ import annotations


class ThekizError(Exception):
    exit_code = 1


class UserError(ThekizError):
    exit_code = 2


class InvalidInput(UserError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # the form field it is about, where a page shows it


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
