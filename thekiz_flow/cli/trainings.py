"""Commands of the training catalogue: offerings, enrolment, waiting list, attendance."""

from __future__ import annotations

from pathlib import Path

import click

from thekiz_flow.cli.app import App, Id, cli, pass_app
from thekiz_flow.cli.output import print_json, print_table
from thekiz_flow.cli.registry import on_option
from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.labels import enrolment_state
from thekiz_flow.core.model import Training
from thekiz_flow.service.trainings import Enrolment


@cli.group("training")
def training_group() -> None:
    """Fortbildungen und Veranstaltungen: Katalog, Anmeldung, Warteliste, Teilnahme."""


@training_group.command("add")
@click.option("--kind", required=True, help="Art, z. B. fachkraft, reflexion, auftakt.")
@click.option("--title", required=True, help="Titel des Angebots.")
@click.option("--date", "day", required=True, help="Datum (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--place", required=True, help="Ort.")
@click.option("--capacity", required=True, help="Plätze (1 bis 1000).")
@pass_app
def training_add(app: App, kind: str, title: str, day: str, place: str, capacity: str) -> None:
    """Angebot in den Katalog aufnehmen; gibt seine Nummer aus."""
    click.echo(app.service.trainings.add(kind, title, day, place, capacity))


def _training_json(training: Training, enrolled: int, waiting: int) -> dict[str, object]:
    return {
        "id": training.id,
        "kind": training.kind,
        "title": training.title,
        "date": training.date,
        "place": training.place,
        "capacity": training.capacity,
        "enrolled": enrolled,
        "waiting": waiting,
    }


@training_group.command("list")
@click.option("--kind", help="Nur diese Art.")
@click.option("--from", "first", help="Erst ab diesem Datum (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def training_list(app: App, kind: str | None, first: str | None, as_json: bool) -> None:
    """Der Katalog nach Datum, mit belegten Plätzen und Warteliste."""
    day = None if first is None else validate.day("from", first)
    found = app.service.trainings.find(kind, day)
    if as_json:
        print_json([_training_json(*row) for row in found])
        return
    kinds = app.workflow.training_kinds
    rows = [
        (
            t.id,
            german.short_date(t.date),
            kinds[t.kind],
            t.title,
            t.place,
            f"{n}/{t.capacity}",
            w or "",
        )
        for t, n, w in found
    ]
    headers = ["Nr.", "Datum", "Art", "Titel", "Ort", "belegt", "Warteliste"]
    print_table(f"Fortbildungen ({len(rows)})", headers, rows)


@training_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def training_import(app: App, file: Path) -> None:
    """Angebote aus einer CSV-Datei anlegen: alle oder keine.

    Die Datei wie bei "centre import" (UTF-8 oder Windows-1252, Semikolon oder Komma),
    mit den Spalten Art (kind: Name oder Kennung), Titel (title), Datum (date:
    TT.MM.JJJJ oder JJJJ-MM-TT), Ort (place), Plätze (capacity).
    """
    ids = app.service.trainings.import_trainings(file)
    click.echo(
        f"{len(ids)} Fortbildungen importiert (Nr. {ids[0]}–{ids[-1]})."
        if ids
        else "Keine Fortbildungen in der Datei."
    )


@training_group.command("enrol")
@click.argument("training", type=Id("training"))
@click.argument("centre", type=Id("centre"))
@pass_app
def training_enrol(app: App, training: int, centre: int) -> None:
    """Eine Einrichtung anmelden; ist das Angebot voll, kommt sie auf die Warteliste."""
    status, position = app.service.trainings.enrol(training, centre)
    if status == ActivityStatus.WAITING:
        click.echo(f"Einrichtung {centre} steht auf der Warteliste (Platz {position}).")
    else:
        click.echo(f"Einrichtung {centre} ist angemeldet.")


@training_group.command("attended")
@click.argument("training", type=Id("training"))
@click.argument("centre", type=Id("centre"))
@click.option(
    "--on", "on", help="Tag der Teilnahme (TT.MM.JJJJ oder JJJJ-MM-TT), Voreinstellung heute."
)
@pass_app
def training_attended(app: App, training: int, centre: int, on: str | None) -> None:
    """Vermerken, dass eine angemeldete Einrichtung teilgenommen hat."""
    app.service.trainings.attended(training, centre, on_option(on))
    click.echo(f"Einrichtung {centre} hat an Fortbildung {training} teilgenommen.")


@training_group.command("cancel")
@click.argument("training", type=Id("training"))
@click.argument("centre", type=Id("centre"))
@click.option("--reason", required=True, help="Grund der Abmeldung.")
@pass_app
def training_cancel(app: App, training: int, centre: int, reason: str) -> None:
    """Eine Einrichtung abmelden; ein frei gewordener Platz geht an die Warteliste."""
    moved = app.service.trainings.cancel_enrolment(training, centre, reason)
    click.echo(f"Einrichtung {centre} ist abgemeldet.")
    if moved is not None:
        click.echo(f"Einrichtung {moved} rückt von der Warteliste nach und ist angemeldet.")


def _enrolment_json(enrolment: Enrolment) -> dict[str, object]:
    return {
        "centre": enrolment.centre_id,
        "centre_name": enrolment.centre_name,
        "status": enrolment.status,
        "position": enrolment.position,
        "reason": enrolment.reason,
    }


@training_group.command("show")
@click.argument("training", type=Id("training"))
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def training_show(app: App, training: int, as_json: bool) -> None:
    """Ein Angebot und seine Anmeldungen in der Reihenfolge der Anmeldung."""
    found, enrolments = app.service.trainings.enrolments(training)
    enrolled = sum(e.status in (ActivityStatus.PLANNED, ActivityStatus.HELD) for e in enrolments)
    waiting = sum(e.status == ActivityStatus.WAITING for e in enrolments)
    if as_json:
        data = _training_json(found, enrolled, waiting)
        data["enrolments"] = [_enrolment_json(e) for e in enrolments]
        print_json(data)
        return
    click.echo(
        f"Fortbildung {found.id}: {found.title}\n"
        f"  Art:        {app.workflow.training_kinds[found.kind]}\n"
        f"  Datum:      {german.short_date(found.date)}\n"
        f"  Ort:        {found.place}\n"
        f"  Plätze:     {enrolled} von {found.capacity} belegt, {waiting} auf der Warteliste"
    )
    rows = [
        (e.centre_id, e.centre_name, enrolment_state(e.status, e.position), e.reason or "")
        for e in enrolments
    ]
    print_table("Anmeldungen", ["Nr.", "Einrichtung", "Stand", "Grund der Abmeldung"], rows)
