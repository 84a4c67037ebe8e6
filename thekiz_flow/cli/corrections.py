"""Commands of corrections: a held session corrected, a held session or visit cancelled as a
mistake. Each asks for a reason; ``history`` shows who did what and why."""

from __future__ import annotations

import click

from thekiz_flow.cli.app import App, Id, pass_app
from thekiz_flow.cli.planning import session, visit
from thekiz_flow.core import german, validate
from thekiz_flow.core.corrections import fields_text


@session.command("correct")
@click.argument("activity_id", metavar="ACTIVITY", type=Id("activity"))
@click.option("--date", "day", help="Richtiger Tag (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--hours", help="Richtige Stunden, z. B. „3“ oder „2,5“.")
@click.option("--note", help='Richtige Notiz ("" entfernt sie).')
@click.option("--rate", help="Richtiges Honorar in EUR je Stunde, z. B. „65“ oder „62,50 €“.")
@click.option("--reason", required=True, help="Grund der Korrektur.")
@pass_app
def session_correct(
    app: App,
    activity_id: int,
    day: str | None,
    hours: str | None,
    note: str | None,
    rate: str | None,
    reason: str,
) -> None:
    """Einen gehaltenen Termin korrigieren: Tag, Stunden, Notiz oder Honorar (mit Grund)."""
    when = None if day is None else validate.day("date", day)
    corrected, entry = app.service.corrections.correct_session(
        activity_id, reason, when, hours, note, rate
    )
    click.echo(
        f"Termin {corrected.id} (Einrichtung {corrected.centre_id}) korrigiert: "
        f"{fields_text(entry)}."
    )


@session.command("void")
@click.argument("activity_id", metavar="ACTIVITY", type=Id("activity"))
@click.option("--reason", required=True, help="Warum die Erfassung ein Fehler war.")
@pass_app
def session_void(app: App, activity_id: int, reason: str) -> None:
    """Einen gehaltenen Termin als Fehler stornieren; der Plan sieht wieder einen vor, wo
    er einen verlangt."""
    voided, _ = app.service.corrections.void_session(activity_id, reason)
    click.echo(
        f"Termin {voided.id} (Einrichtung {voided.centre_id}) vom "
        f"{german.short_date(voided.date)} als Fehler storniert."
    )


@visit.command("void")
@click.argument("activity_id", metavar="ACTIVITY", type=Id("activity"))
@click.option("--reason", required=True, help="Warum die Erfassung ein Fehler war.")
@pass_app
def visit_void(app: App, activity_id: int, reason: str) -> None:
    """Einen durchgeführten Einrichtungsbesuch als Fehler stornieren; der Plan sieht wieder
    einen vor, wo er einen verlangt."""
    voided, _ = app.service.corrections.void_visit(activity_id, reason)
    click.echo(
        f"Einrichtungsbesuch {voided.id} (Einrichtung {voided.centre_id}) vom "
        f"{german.short_date(voided.date)} als Fehler storniert."
    )
