"""Commands of running thekiz-flow: the watchdog, backup, restore and the move to PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import click

from thekiz_flow.cli.app import App, cli, pass_app
from thekiz_flow.cli.output import print_table
from thekiz_flow.cli.privacy import echo_replay
from thekiz_flow.core import german
from thekiz_flow.service import Service, maintenance
from thekiz_flow.service.operations import OperationsService


def operations(app: App, service: Service) -> OperationsService:
    """Ticks recorded, health, metrics and the watchdog, for ``service``."""
    return OperationsService(service.runtime, service.outbox, app.settings.operations)


@cli.command()
@pass_app
def watchdog(app: App) -> None:
    """Einmal prüfen, ob Durchläufe und Versand laufen; die Fachstelle bei einer Störung
    (und ihrem Ende) je einmal benachrichtigen. `run` prüft nach jedem Durchlauf von selbst."""
    written = operations(app, app.service).watch()
    for subject in written:
        click.echo(f"An die Fachstelle: {subject}")
    if not written:
        click.echo("Nichts zu melden.")


FILE = click.Path(path_type=Path, dir_okay=False)


@cli.command()
@click.argument("file", type=FILE)
@pass_app
def backup(app: App, file: Path) -> None:
    """Eine Sicherung der Datenbank in die neue Datei FILE, auch während der Dienst läuft
    (SQLite: Online-Sicherung; PostgreSQL: pg_dump)."""
    maintenance.backup(app.engine, file)
    click.echo(f"Gesichert: {file}")


@cli.command()
@click.argument("file", type=FILE)
@click.option("--force", is_flag=True, help="Eine Datenbank mit Daten überschreiben.")
@pass_app
def restore(app: App, file: Path, force: bool) -> None:
    """Die Datenbank aus der Sicherung FILE wiederherstellen (vorher `run` und `serve`
    anhalten); eine Datenbank mit Daten nur mit --force. Danach wird das Löschprotokoll
    erneut angewandt: wer seither gelöscht wurde, bleibt gelöscht."""
    maintenance.restore(app.engine, file, force)
    click.echo(f"Wiederhergestellt aus {file}.")
    if maintenance.is_current(app.engine):
        echo_replay(app)  # the erased stay erased
    else:
        click.echo("Danach: thekiz-flow init, dann thekiz-flow privacy replay")


@cli.command()
@click.option("--to", "target", required=True, help="Leere Zieldatenbank (postgresql://…).")
@pass_app
def transfer(app: App, target: str) -> None:
    """Alle Daten in eine leere (PostgreSQL-)Datenbank übertragen und je Tabelle prüfen
    (vorher `run` und `serve` anhalten)."""
    done = maintenance.transfer(app.engine, target)
    rows = [(name, german.number(count)) for name, count in done.tables.items()]
    print_table(
        "Übertragen und geprüft (Anzahl und Prüfsumme je Tabelle)", ["Tabelle", "Zeilen"], rows
    )
    click.echo(
        "Jetzt [database] url (oder THEKIZ_FLOW_DATABASE_URL) auf die neue Datenbank setzen."
    )
