"""How the command line names the field an error is about: as the command's option.

An error names a neutral field (``"email"``, ``"date"``, ``"from"``); the command that
was called shows it as its option of that name (``--email``, ``--date`` also where the
value is called ``day``) or as its argument (``ID``, ``YEAR``). A few values are no
option of any command: they are named here.
"""

from __future__ import annotations

import click

from thekiz_flow.core.errors import Field, UserError

#: Fields that are no option or argument: the password read from the terminal, the
#: session of ``session done`` (a number, or E and a centre's number).
OTHER_NAMES: dict[Field, str] = {"password": "Passwort", "id": "ID"}


def name_in(command: click.Command | None, field: Field) -> str:
    """The option or argument of ``command`` that takes ``field``."""
    option = "--" + field.replace("_", "-")
    for param in command.params if command is not None else ():
        if isinstance(param, click.Option) and option in param.opts:
            return option
        if param.name == field:
            return param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
    return OTHER_NAMES.get(field, option)


def described(error: UserError, command: click.Command | None) -> str:
    """The error's line: ``--email: ungültige E-Mail-Adresse 'x'``."""
    return error.described(lambda field: name_in(command, field))
