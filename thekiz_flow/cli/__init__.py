"""The command line: parse, build the service, call one method, print.

Exit codes: 0 success, 2 bad input or a refused action (a ``UserError``: one German line
on stderr, nothing written, its field named as the command's option), 1 anything
unexpected.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from sqlalchemy.exc import OperationalError

from thekiz_flow.cli.app import App, cli
from thekiz_flow.cli.fields import described
from thekiz_flow.cli.usage import german_usage
from thekiz_flow.core.errors import ThekizError, UserError

# Importing the command modules registers their commands on `cli`.
from thekiz_flow.cli import digest, lifecycle, mail, planning, registry, runtime, views  # noqa: F401  isort: skip
from thekiz_flow.cli import corrections, feeds, operations, privacy, templates, trainings, web  # noqa: F401  isort: skip
from thekiz_flow.cli import accounts  # noqa: F401  isort: skip

__all__ = ["App", "cli", "exit_code", "main"]


def exit_code(error: ThekizError) -> int:
    """2 for bad input or a refused action, 1 for anything unexpected."""
    return 2 if isinstance(error, UserError) else 1


def main(argv: Sequence[str] | None = None) -> int:
    app = App(None)
    try:
        result = cli.main(args=argv, prog_name="thekiz-flow", standalone_mode=False, obj=app)
    except click.UsageError as exc:
        click.echo(f"Fehler: {german_usage(exc)}", err=True)
        return 2
    except click.Abort:
        click.echo("Abgebrochen.", err=True)
        return 1
    except UserError as exc:
        click.echo(f"Fehler: {described(exc, app.command)}", err=True)
        return exit_code(exc)
    except ThekizError as exc:
        click.echo(f"Fehler: {exc}", err=True)
        return exit_code(exc)
    except OperationalError as exc:
        click.echo(f"Fehler: Datenbank nicht erreichbar ({exc.orig})", err=True)
        return 1
    finally:
        app.close()
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
