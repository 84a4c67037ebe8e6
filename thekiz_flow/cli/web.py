"""Commands of the web pages: their users and the server."""

from __future__ import annotations

import getpass
import os
import sys
from typing import TYPE_CHECKING

import click

from thekiz_flow.cli.app import App, cli, pass_app
from thekiz_flow.cli.output import print_json, print_table
from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.labels import ROLE_NAMES
from thekiz_flow.store.simulation import SystemClock
from thekiz_flow.workflow.config import ENV_CONFIG, ENV_SECRET_KEY, EPHEMERAL_KEY, session_key

if TYPE_CHECKING:
    from starlette.applications import Starlette


def read_password() -> str:
    """The new password: asked twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        password = getpass.getpass("Passwort: ")
        if getpass.getpass("Passwort wiederholen: ") != password:
            raise InvalidInput("password", "die beiden Eingaben stimmen nicht überein")
        return password
    return sys.stdin.readline().rstrip("\r\n")


@cli.group()
def user() -> None:
    """Zugänge zu den Web-Seiten (Passwort nur über die Standardeingabe)."""


@user.command("add")
@click.option("--email", required=True, help="E-Mail-Adresse (zugleich der Anmeldename).")
@click.option("--role", required=True, help=f"Rolle: {', '.join(Role)}.")
@click.option("--coach", "coach_ref", help="Nur Rolle coach: Prozessbegleitung (Nummer/E-Mail).")
@pass_app
def user_add(app: App, email: str, role: str, coach_ref: str | None) -> None:
    """Zugang anlegen; das Passwort (mind. 12 Zeichen) kommt von der Standardeingabe."""
    user_id = app.service.users.add(email, role, read_password(), coach_ref)
    click.echo(user_id)


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def user_list(app: App, as_json: bool) -> None:
    """Alle Zugänge."""
    users = app.service.users.all()
    if as_json:
        print_json(
            [
                {
                    "id": u.id,
                    "email": u.email,
                    "role": u.role,
                    "coach": u.coach_id,
                    "created_at": u.created_at,
                    "disabled": u.disabled,
                }
                for u in users
            ]
        )
        return
    zone = app.settings.timezone
    rows = [
        (
            u.id,
            u.email,
            ROLE_NAMES[u.role],
            u.coach_id or "",
            german.short_date(u.created_at.astimezone(zone).date()),
            "gesperrt" if u.disabled else "aktiv",
        )
        for u in users
    ]
    headers = ["Nr.", "E-Mail", "Rolle", "Prozessbegl.", "angelegt", "Stand"]
    print_table(f"Zugänge ({len(rows)})", headers, rows)


@user.command("disable")
@click.option("--email", required=True, help="E-Mail-Adresse des Zugangs.")
@pass_app
def user_disable(app: App, email: str) -> None:
    """Zugang sperren: keine Anmeldung mehr, laufende Sitzungen enden."""
    found = app.service.users.disable(email)
    click.echo(f"Zugang {found.email} gesperrt.")


@user.command("enable")
@click.option("--email", required=True, help="E-Mail-Adresse des Zugangs.")
@pass_app
def user_enable(app: App, email: str) -> None:
    """Gesperrten Zugang wieder freigeben (mit seinem bisherigen Passwort)."""
    found = app.service.users.enable(email)
    click.echo(f"Zugang {found.email} freigegeben.")


@user.command("password")
@click.option("--email", required=True, help="E-Mail-Adresse des Zugangs.")
@pass_app
def user_password(app: App, email: str) -> None:
    """Neues Passwort (von der Standardeingabe); laufende Sitzungen enden."""
    found = app.service.users.set_password(email, read_password())
    click.echo(f"Neues Passwort für {found.email} gesetzt; seine Sitzungen sind beendet.")


@cli.command()
@click.option("--host", help="Adresse, an der die Seiten erreichbar sind (sonst [web] host).")
@click.option("--port", help="Port (sonst [web] port, Voreinstellung 8000).")
@click.option(
    "--workers",
    default="1",
    help="Prozesse, die Anfragen beantworten (1 bis 32, Voreinstellung 1); Anmeldungen "
    "gelten in allen, sie liegen in der Datenbank.",
)
@pass_app
def serve(app: App, host: str | None, port: str | None, workers: str) -> None:
    """Die Web-Seiten der Fachstelle, bis Strg+C."""
    # The server and the pages load only here: every other command starts as fast as before.
    import uvicorn

    web = app.settings.web
    number = web.port if port is None else validate.identifier("port", port)
    if not 1 <= number <= 65535:
        raise InvalidInput("port", f"zwischen 1 und 65535, nicht {number}")
    processes = validate.identifier("workers", workers)
    if not 1 <= processes <= MAX_WORKERS:
        raise InvalidInput("workers", f"zwischen 1 und {MAX_WORKERS}, nicht {processes}")
    service = app.service_at(SystemClock(), actor="web")
    with service.runtime.unit():
        pass  # an uninitialised, outdated or newer database stops here, before the server starts
    key, ephemeral = session_key(web.secret_key)
    if ephemeral:
        click.echo(f"Warnung: {EPHEMERAL_KEY}", err=True)
    where = {"host": host or web.host, "port": number, "log_level": "info"}
    if processes == 1:
        uvicorn.run(pages(app, key), **where)  # type: ignore[arg-type]
        return
    # Each worker process builds the pages itself (worker_pages) from the same
    # configuration, and signs cookies with the same key: a session made in one is good in
    # all, as the sessions themselves are rows of the database.
    os.environ[ENV_SECRET_KEY] = key
    if app.config_path is not None:
        os.environ[ENV_CONFIG] = str(app.config_path.resolve())
    uvicorn.run(
        f"{__name__}:worker_pages",
        factory=True,
        workers=processes,
        **where,  # type: ignore[arg-type]
    )


MAX_WORKERS = 32


def pages(app: App, key: str) -> Starlette:
    """The web pages on the database of ``app``, cookies signed with ``key``."""
    from thekiz_flow.service.users import dummy_hash
    from thekiz_flow.web import create_app
    from thekiz_flow.web.logs import hide_feed_tokens

    service = app.service_at(SystemClock(), actor="web")
    page = create_app(app.settings, service.acting_as, key)
    dummy_hash()  # made now: the first sign-ins with unknown addresses do not wait for it
    hide_feed_tokens()
    return page


def worker_pages() -> Starlette:
    """The pages of one worker process of `serve --workers N` (uvicorn's factory)."""
    app = App(None)
    key = app.settings.web.secret_key
    assert key is not None, "serve sets the key for its workers"
    return pages(app, key)
