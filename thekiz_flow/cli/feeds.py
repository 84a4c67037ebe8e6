"""A coach's private calendar link (iCal) on the command line."""

from __future__ import annotations

import click

from thekiz_flow.cli.app import App, pass_app
from thekiz_flow.cli.registry import coach
from thekiz_flow.core.errors import ConfigError
from thekiz_flow.service.feeds import feed_path


@coach.command("feed")
@click.option(
    "--coach", "coach_ref", required=True, help="Prozessbegleitung (Nummer, E-Mail oder Name)."
)
@click.option("--revoke", is_flag=True, help="Den Link widerrufen, statt einen neuen anzulegen.")
@pass_app
def coach_feed(app: App, coach_ref: str, revoke: bool) -> None:
    """Privater Kalender-Link (iCal): neu anlegen (ein früherer gilt nicht mehr) oder widerrufen."""
    if revoke:
        found = app.service.feeds.revoke(coach_ref)
        click.echo(f"Kalender-Link von {found.name} widerrufen.")
        return
    base = app.settings.web.base_url
    if base is None:
        raise ConfigError("[web] base_url fehlt: die Adresse der Web-Seiten für den Link")
    found, token = app.service.feeds.create(coach_ref)
    click.echo(
        f"Kalender-Link von {found.name} (nur jetzt sichtbar; ein früherer gilt nicht mehr):",
        err=True,
    )
    click.echo(base + feed_path(token))
