"""The yearly status digest on the command line."""

from __future__ import annotations

from pathlib import Path

import click

from thekiz_flow.cli.app import App, cli, pass_app
from thekiz_flow.core import validate
from thekiz_flow.core.errors import InvalidInput


@cli.command()
@click.argument("year", metavar="YEAR")
@click.option(
    "--out",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Verzeichnis der Dateien (sonst [digest] dir).",
)
@click.option("--send", is_flag=True, help="An [mail] ministry versenden (einmal je Jahr).")
@click.option(
    "--as-recorded-on",
    "as_recorded_on",
    metavar="DATUM",
    help="Wie am Ende dieses Tages erfasst (JJJJ-MM-TT); später Korrigiertes zählt nicht.",
)
@pass_app
def digest(
    app: App, year: str, folder: Path | None, send: bool, as_recorded_on: str | None
) -> None:
    """Jahresbericht YEAR für das Ministerium: HTML, CSV und Excel."""
    number = validate.identifier("year", year)
    day = None if as_recorded_on is None else validate.day("as_recorded_on", as_recorded_on)
    if send and day is not None:
        raise InvalidInput("as_recorded_on", "nicht zusammen mit {send}", ("send",))
    if send:
        app.service.digest.require_year_over(number)
    files = app.service.digest.write(number, folder, day)
    for path in (files.html, files.csv, files.xlsx):
        click.echo(str(path))
    if send:
        new = app.service.digest.send(number, files)
        report = app.service.outbox.dispatch()
        state = "in den Postausgang gestellt" if new else "war schon im Postausgang"
        click.echo(f"Jahresbericht {number} {state}; {report.sent} E-Mails versandt.")
