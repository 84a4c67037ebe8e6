"""Click's usage errors, said in German."""

from __future__ import annotations

import re

import click


def _name(param: click.Parameter | None) -> str:
    if param is None:
        return "eine Angabe"
    if isinstance(param, click.Option):
        return param.opts[-1] if param.opts else str(param.name)
    return (param.name or "ARG").upper()


def _hint(exc: click.UsageError) -> str:
    return f" (Hilfe: {exc.ctx.command_path} --help)" if exc.ctx is not None else ""


def german_usage(exc: click.UsageError) -> str:
    if isinstance(exc, click.MissingParameter):
        return f"Angabe fehlt: {_name(exc.param)}{_hint(exc)}"
    if isinstance(exc, click.NoSuchOption):
        close = sorted(exc.possibilities or ())
        hint = f"; meinten Sie {' oder '.join(close)}?" if close else _hint(exc)
        return f"unbekannte Option {exc.option_name}{hint}"
    if isinstance(exc, click.BadOptionUsage):
        return f"Option {exc.option_name} braucht einen Wert{_hint(exc)}"
    if isinstance(exc, click.BadParameter):
        return f"ungültiger Wert für {_name(exc.param)}: {exc.message}{_hint(exc)}"
    message = exc.message
    if match := re.match(r"No such command '(.+)'", message):
        return f"unbekannter Befehl {match.group(1)!r}{_hint(exc)}"
    if match := re.match(r"Got unexpected extra arguments? \((.+)\)", message):
        return f"überzählige Angabe {match.group(1)!r}{_hint(exc)}"
    if message.startswith("Missing command"):
        return f"Befehl fehlt{_hint(exc)}"
    return f"ungültiger Aufruf: {message}{_hint(exc)}"
