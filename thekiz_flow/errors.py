"""Errors of thekiz-flow. Every message is German: it is shown to the office as it is.

ThekizError                   exit 1: anything unexpected
 └── UserError                exit 2: bad input or a refused action; nothing written
      ├── InvalidInput        a value on the command line or in a file is wrong
      ├── NotFound            no centre, coach, ... with that id
      ├── ConfigError         the configuration (file or environment) is wrong
      ├── WorkflowError       the workflow file is wrong
      ├── NotInitialised      the database has no (or an old) schema
      └── Refused             a stage change whose guards are not met
"""

from __future__ import annotations


class ThekizError(Exception):
    exit_code = 1


class UserError(ThekizError):
    exit_code = 2


class InvalidInput(UserError):
    pass


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
