"""Commands of planning: plan, activities, sessions, site visits, a centre's calendar."""

from __future__ import annotations

from decimal import Decimal

import click

from thekiz_flow.cli.app import App, Id, cli, pass_app
from thekiz_flow.cli.output import print_json, print_table
from thekiz_flow.cli.registry import centre, on_option
from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.labels import KIND_NAMES, STATUS_NAMES
from thekiz_flow.core.model import Activity, ActivityFilter


def activity_json(activity: Activity) -> dict[str, object]:
    return {
        "id": activity.id,
        "centre": activity.centre_id,
        "kind": activity.kind,
        "date": activity.date,
        "status": activity.status,
        "hours": activity.hours,
        "coach": activity.coach_id,
        "stage": activity.stage,
        "key": activity.key,
        "training": activity.training_id,
        "note": activity.note,
        "reason": activity.reason,
    }


def activity_row(activity: Activity) -> tuple[object, ...]:
    return (
        activity.id,
        activity.centre_id,
        KIND_NAMES[activity.kind],
        german.short_date(activity.date),
        STATUS_NAMES[activity.status],
        "" if activity.hours is None else german.hours(activity.hours),
        activity.coach_id or "",
        activity.note or activity.reason or "",
    )


ACTIVITY_HEADERS = ["Nr.", "Einr.", "Art", "Datum", "Status", "Std.", "PB", "Notiz"]


@cli.command("plan")
@click.option("--centre", "centre_id", type=Id("centre"), help="Nur diese Einrichtung.")
@click.option(
    "--on", "on", help="Planen wie am (TT.MM.JJJJ oder JJJJ-MM-TT), Voreinstellung heute."
)
@pass_app
def plan_command(app: App, centre_id: int | None, on: str | None) -> None:
    """Termine planen (wiederholbar: ändert nur, was nicht mehr stimmt)."""
    report = app.service.planning.plan(centre_id, on_option(on))
    click.echo(
        f"{report.centres} Einrichtungen geplant: {report.inserted} neu, "
        f"{report.updated} geändert, {report.cancelled} abgesagt."
    )


@cli.command()
@click.option("--centre", "centre_id", type=Id("centre"), help="Nur diese Einrichtung.")
@click.option("--coach", "coach_id", type=Id("coach"), help="Nur diese Prozessbegleitung (Nummer).")
@click.option("--kind", help="coaching, training oder site_visit.")
@click.option("--status", help="planned, held, cancelled oder waiting.")
@click.option("--from", "first", help="Ab (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--to", "last", help="Bis (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def activities(
    app: App,
    centre_id: int | None,
    coach_id: int | None,
    kind: str | None,
    status: str | None,
    first: str | None,
    last: str | None,
    as_json: bool,
) -> None:
    """Termine: Begleittermine, Fortbildungen und Einrichtungsbesuche."""
    where = ActivityFilter(
        centre_id=centre_id,
        coach_id=coach_id,
        kind=None
        if kind is None
        else validate.choice("kind", kind, ActivityKind, "unbekannte Art"),
        status=None
        if status is None
        else validate.choice("status", status, ActivityStatus, "unbekannter Status"),
        first=None if first is None else validate.day("from", first),
        last=None if last is None else validate.day("to", last),
    )
    found = app.service.overview.activities(where)
    if as_json:
        print_json([activity_json(a) for a in found])
        return
    print_table(f"Termine ({len(found)})", ACTIVITY_HEADERS, [activity_row(a) for a in found])


@cli.group()
def session() -> None:
    """Begleittermine der Prozessbegleitung."""


@session.command("done")
@click.argument("ref", metavar="ID_OR_CENTRE")
@click.option("--date", "day", required=True, help="Tag des Termins (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--hours", required=True, help="Stunden, z. B. „3“ oder „2,5“.")
@click.option("--note", help="Notiz.")
@pass_app
def session_done(app: App, ref: str, day: str, hours: str, note: str | None) -> None:
    """Termin als gehalten erfassen: Terminnummer, oder E<Nr.> für den der Einrichtung im Monat."""
    held = app.service.sessions.record(ref, validate.day("date", day), hours, note)
    click.echo(
        f"Termin {held.id} (Einrichtung {held.centre_id}) gehalten am "
        f"{german.short_date(held.date)}: {german.hours(held.hours or Decimal(0))} Std."
    )


@session.command("move")
@click.argument("activity_id", metavar="ACTIVITY", type=Id("activity"))
@click.option("--date", "day", required=True, help="Neuer Tag (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--reason", help="Grund der Verschiebung.")
@pass_app
def session_move(app: App, activity_id: int, day: str, reason: str | None) -> None:
    """Einen geplanten Termin verschieben."""
    moved = app.service.sessions.move(activity_id, validate.day("date", day), reason)
    click.echo(f"Termin {moved.id} verschoben auf {german.short_date(moved.date)}.")


@session.command("cancel")
@click.argument("activity_id", metavar="ACTIVITY", type=Id("activity"))
@click.option("--reason", required=True, help="Grund der Absage.")
@pass_app
def session_cancel(app: App, activity_id: int, reason: str) -> None:
    """Einen geplanten Termin absagen."""
    cancelled = app.service.sessions.cancel(activity_id, reason)
    click.echo(f"Termin {cancelled.id} am {german.short_date(cancelled.date)} abgesagt.")


@session.command("request")
@click.argument("centre_id", metavar="CENTRE", type=Id("centre"))
@click.option("--date", "day", required=True, help="Gewünschter Tag (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--hours", help="Geplante Stunden (Voreinstellung der Stufe).")
@pass_app
def session_request(app: App, centre_id: int, day: str, hours: str | None) -> None:
    """Einen Termin auf Anfrage planen (z. B. für eine Konsultationseinrichtung)."""
    planned = app.service.sessions.request(centre_id, validate.day("date", day), hours)
    click.echo(f"Termin {planned.id} geplant am {german.short_date(planned.date)}.")


@cli.group()
def visit() -> None:
    """Einrichtungsbesuche der Koordinierungsstelle."""


@visit.command("done")
@click.argument("centre_id", metavar="CENTRE", type=Id("centre"))
@click.option("--date", "day", required=True, help="Tag des Besuchs (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--note", help="Notiz.")
@pass_app
def visit_done(app: App, centre_id: int, day: str, note: str | None) -> None:
    """Einen Einrichtungsbesuch als durchgeführt erfassen."""
    held = app.service.sessions.record_visit(centre_id, validate.day("date", day), note)
    click.echo(
        f"Einrichtungsbesuch bei Einrichtung {held.centre_id} am {german.short_date(held.date)}."
    )


@centre.command("weekday")
@click.argument("centre_id", metavar="ID", type=Id("centre"))
@click.argument("weekday", metavar="TAG")
@pass_app
def centre_weekday(app: App, centre_id: int, weekday: str) -> None:
    """Bevorzugten Wochentag für Termine setzen: mo, di, mi, do, fr oder keiner."""
    day = validate.weekday("weekday", weekday)
    changes = app.service.planning.set_weekday(centre_id, day)
    click.echo(f"Wochentag gesetzt; {len(changes.update)} Termine verlegt.")


@centre.command("closure")
@click.argument("centre_id", metavar="ID", type=Id("centre"))
@click.option(
    "--from", "first", required=True, help="Erster Schließtag (TT.MM.JJJJ oder JJJJ-MM-TT)."
)
@click.option(
    "--to", "last", required=True, help="Letzter Schließtag (TT.MM.JJJJ oder JJJJ-MM-TT)."
)
@click.option("--note", help="Anlass.")
@pass_app
def centre_closure(app: App, centre_id: int, first: str, last: str, note: str | None) -> None:
    """Schließtage einer Einrichtung eintragen; betroffene Termine werden verlegt."""
    changes = app.service.planning.add_closure(
        centre_id,
        validate.day("from", first),
        validate.day("to", last),
        note,
    )
    click.echo(f"Schließtage eingetragen; {len(changes.update)} Termine verlegt.")
