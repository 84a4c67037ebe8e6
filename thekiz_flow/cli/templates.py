"""The mail templates on the command line: which there are, and checking the overrides."""

from __future__ import annotations

import click

from thekiz_flow.cli.app import App, cli, pass_app
from thekiz_flow.core.errors import InvalidInput


@cli.group("templates")
def templates() -> None:
    """Mailvorlagen: auflisten und die eigenen Fassungen ([mail] templates_dir) prüfen."""


@templates.command("list")
@pass_app
def list_templates(app: App) -> None:
    """Jede Mailvorlage mit Empfängern, Anlass und ob eine eigene Fassung gilt."""
    service = app.service.mail_templates
    directory = service.directory
    click.echo(f"Eigene Fassungen in: {directory}" if directory else "[mail] templates_dir fehlt")
    for entry in service.entries():
        state = "eigene Fassung" if entry.overridden else "Standard"
        click.echo(f"{entry.variant.key}\t{state}\tan {entry.readers or '–'}")
        for occasion in entry.occasions:
            click.echo(f"\t{occasion}")


@templates.command("check")
@pass_app
def check(app: App) -> None:
    """Jede eigene Fassung mit echten Daten erstellen; Exit-Code 2 bei einem Fehler."""
    service = app.service.mail_templates
    if service.directory is None:
        click.echo("[mail] templates_dir fehlt: es gelten die mitgelieferten Vorlagen.")
        return
    problems = service.check_overrides()
    for file, why in problems:
        click.echo(f"{file}: {why}", err=True)
    if problems:
        raise InvalidInput(
            None, f"{len(problems)} fehlerhafte Mailvorlage(n) in {service.directory}"
        )
    click.echo(f"Alle eigenen Fassungen in {service.directory} sind in Ordnung.")
