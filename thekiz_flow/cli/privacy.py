"""Data protection on the command line: the register (Art. 30), access (Art. 15), erasure
(Art. 17), the erasure log's replay and retention."""

from __future__ import annotations

import json
from pathlib import Path

import click

from thekiz_flow.cli.app import App, Id, cli, pass_app
from thekiz_flow.core.errors import InvalidInput


@cli.group()
def privacy() -> None:
    """Datenschutz: Verzeichnis, Auskunft, Löschung, Aufbewahrung."""


@privacy.command("register")
@click.option(
    "--format",
    "form",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    help="Markdown (Voreinstellung) oder HTML.",
)
@pass_app
def register(app: App, form: str) -> None:
    """Das Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO) aus der Datenkarte."""
    service = app.service.privacy
    click.echo(service.register_html() if form == "html" else service.register_markdown())


def person(function: click.decorators.FC) -> click.decorators.FC:
    function = click.option("--user", help="Benutzerkonto (E-Mail-Adresse).")(function)
    function = click.option("--centre", type=Id("centre"), help="Einrichtung (Nummer).")(function)
    return click.option("--coach", type=Id("coach"), help="Prozessbegleitung (Nummer).")(function)


@privacy.command("export")
@person
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Zusätzlich eine lesbare HTML-Seite in diese neue Datei schreiben.",
)
@pass_app
def export(
    app: App, coach: int | None, centre: int | None, user: str | None, html_file: Path | None
) -> None:
    """Auskunft (Art. 15 DSGVO): alles über eine Person als JSON (und als HTML-Seite)."""
    service = app.service.privacy
    if html_file is not None and html_file.exists():
        raise InvalidInput(
            "html", f"{html_file} gibt es schon; bitte einen neuen Dateinamen wählen"
        )
    subject, number = service.subject_of(coach, centre, user)
    done = service.export(subject, number)
    click.echo(json.dumps(done.as_json(), ensure_ascii=False, indent=2))
    if html_file is not None:
        html_file.write_text(service.export_html(done), "utf-8")
        click.echo(f"Lesbare Fassung: {html_file}", err=True)


@privacy.command("erase")
@person
@click.option("--yes", is_flag=True, help="Ohne Rückfrage löschen.")
@pass_app
def erase(app: App, coach: int | None, centre: int | None, user: str | None, yes: bool) -> None:
    """Löschung (Art. 17 DSGVO): persönliche Angaben durch Platzhalter ersetzen; Stunden,
    Honorare, Termine und Stufen bleiben für Abrechnung und Berichte."""
    service = app.service.privacy
    subject, number = service.subject_of(coach, centre, user)
    for line in service.erase_check(subject, number):
        click.echo(line)
    if not yes:
        click.confirm("Endgültig löschen?", abort=True)
    done = service.erase(subject, number)
    changes = ", ".join(f"{what}: {rows}" for what, rows in done.counts.items())
    click.echo(f"Gelöscht ({changes or 'nichts mehr zu ändern'}); im Löschprotokoll vermerkt.")


@privacy.command("replay")
@pass_app
def replay(app: App) -> None:
    """Das Löschprotokoll erneut anwenden, z. B. nach `restore` aus einer älteren Sicherung."""
    echo_replay(app)


def echo_replay(app: App) -> None:
    entries, done = app.service.privacy.replay()
    changes = ", ".join(f"{what}: {rows}" for what, rows in done.counts.items())
    click.echo(
        f"Löschprotokoll: {entries} Löschungen angewandt ({changes or 'nichts war zurückgekehrt'})."
    )


@privacy.command("preview")
@pass_app
def preview(app: App) -> None:
    """Was der nächste Lauf der Aufbewahrungsfristen löschen würde (nichts wird gelöscht)."""
    for line in app.service.privacy.retention(apply=False).lines():
        click.echo(line)


@privacy.command("retention")
@pass_app
def retention(app: App) -> None:
    """Die Aufbewahrungsfristen jetzt anwenden (das macht sonst der tägliche Durchlauf)."""
    for line in app.service.privacy.retention(apply=True).lines():
        click.echo(line)
