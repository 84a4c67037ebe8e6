"""The yearly status digest on the command line."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import click

from thekiz_flow.cli.app import App, cli, pass_app
from thekiz_flow.core import german, validate
from thekiz_flow.core.corrections import sentence
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.service.digest_changes import SentChanges


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
    help=(
        "Wie am Ende dieses Tages erfasst (TT.MM.JJJJ oder JJJJ-MM-TT); "
        "später Korrigiertes zählt nicht."
    ),
)
@click.option(
    "--changes-since-sent",
    "since_sent",
    is_flag=True,
    help="Was sich seit dem Versand an das Ministerium geändert hat (für eine Korrektur).",
)
@pass_app
def digest(
    app: App,
    year: str,
    folder: Path | None,
    send: bool,
    as_recorded_on: str | None,
    since_sent: bool,
) -> None:
    """Jahresbericht YEAR für das Ministerium: HTML, CSV und Excel."""
    number = validate.identifier("year", year)
    if since_sent:
        if send or as_recorded_on is not None or folder is not None:
            raise InvalidInput(
                "changes_since_sent",
                "nicht zusammen mit {send}, {as_recorded_on} oder {out}",
                ("send", "as_recorded_on", "out"),
            )
        click.echo(changes_text(app.service.digest_changes.since_sent(number), app.service.zone))
        return
    day = None if as_recorded_on is None else validate.day("as_recorded_on", as_recorded_on)
    if send and day is not None:
        raise InvalidInput("as_recorded_on", "nicht zusammen mit {send}", ("send",))
    if send:
        app.service.digest.require_year_over(number)
        app.service.outbox.require_backend()  # before the digest waits in the outbox
    files = app.service.digest.write(number, folder, day)
    for path in files.all():
        click.echo(str(path))
    if send:
        new = app.service.digest.send(number, files)
        report = app.service.outbox.dispatch()
        click.echo(app.service.digest.sent_note(number, new, report.sent))


def changes_text(changes: SentChanges, zone: ZoneInfo) -> str:
    """The centres whose figures changed since the digest was sent, each with its figures
    before and after and the corrections recorded since."""
    sent = german.date_time(changes.sent_at, zone)
    head = f"Jahresbericht {changes.year}, gesendet wie erfasst am {sent}"
    if not changes.centres:
        return f"{head}: seitdem unverändert."
    count = len(changes.centres)
    lines = [f"{head}; seitdem geändert in {count} Einrichtung{'' if count == 1 else 'en'}:"]
    for centre in changes.centres:
        lines.append(f"Einrichtung {centre.centre_id} ({centre.name}):")
        lines.extend(f"  {f.name}: {f.before} → {f.after}" for f in centre.figures)
        lines.extend(f"  {sentence(e.correction, zone, e.kind, e.day)}" for e in centre.entries)
        if not centre.entries:
            lines.append("  (keine Korrektur: nachträglich erfasst)")
    return "\n".join(lines)
