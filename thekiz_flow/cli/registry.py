"""Commands that keep the register: init, coaches and centres."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from thekiz_flow.cli.app import App, Id, cli, pass_app
from thekiz_flow.cli.output import print_json, print_table
from thekiz_flow.cli.paging import echo_caption, found, paging_options, window
from thekiz_flow.cli.privacy import echo_replay
from thekiz_flow.core import german, validate
from thekiz_flow.core.model import Centre, CentreEdit, CentreInput, Coach
from thekiz_flow.store.migrate import upgrade


def on_option(value: str | None) -> date | None:
    return None if value is None else validate.day("on", value)


@cli.command()
@pass_app
def init(app: App) -> None:
    """Datenbank anlegen oder auf den neuesten Stand bringen (wiederholbar)."""
    before, after = upgrade(app.engine)
    if before == after:
        click.echo(f"Datenbank ist aktuell (Schema {after}).")
    else:
        click.echo(f"Datenbank eingerichtet: Schema {before or '–'} → {after}.")
    if before is not None and before != after and app.service.privacy.logged():
        echo_replay(app)  # a restored older backup: the erased stay erased


# ----------------------------------------------------------------- coaches
@cli.group()
def coach() -> None:
    """Prozessbegleiter*innen."""


@coach.command("add")
@click.option("--name", required=True, help="Vor- und Nachname.")
@click.option("--email", required=True, help="E-Mail-Adresse.")
@click.option("--rate", required=True, help="Honorar in EUR je Stunde, z. B. „65“ oder „62,50 €“.")
@pass_app
def coach_add(app: App, name: str, email: str, rate: str) -> None:
    """Prozessbegleitung anlegen; gibt ihre Nummer aus."""
    click.echo(app.service.registry.add_coach(name, email, rate))


@coach.command("edit")
@click.argument("coach_id", metavar="ID", type=Id("coach"))
@click.option("--name", help="Neuer Name.")
@click.option("--email", help="Neue E-Mail-Adresse.")
@click.option("--rate", help="Neues Honorar in EUR je Stunde (für Termine ab --from).")
@click.option(
    "--from",
    "valid_from",
    metavar="DATUM",
    help=(
        "Das neue Honorar gilt für Termine ab diesem Tag "
        "(TT.MM.JJJJ oder JJJJ-MM-TT; sonst ab heute)."
    ),
)
@click.option("--reason", help="Grund der Änderung (steht im Protokoll).")
@pass_app
def coach_edit(
    app: App,
    coach_id: int,
    name: str | None,
    email: str | None,
    rate: str | None,
    valid_from: str | None,
    reason: str | None,
) -> None:
    """Name, E-Mail oder Honorar einer Prozessbegleitung ändern."""
    day = None if valid_from is None else validate.day("valid_from", valid_from)
    registry = app.service.registry
    known = {r.id for r in registry.rates(coach_id)}
    done = registry.update_coach(coach_id, name, email, rate, valid_from=day, reason=reason)
    click.echo(
        f"Prozessbegleitung {done.id} geändert: {done.name} ({done.email}), "
        f"{german.euro_plain(done.rate)}/Std."
    )
    for latest in (r for r in registry.rates(done.id) if r.id not in known):
        click.echo(
            f"Honorar {german.euro_plain(latest.rate)}/Std. gilt für Termine ab "
            f"{german.short_date(latest.valid_from)}."
        )


@coach.command("deactivate")
@click.argument("coach_id", metavar="ID", type=Id("coach"))
@pass_app
def coach_deactivate(app: App, coach_id: int) -> None:
    """Prozessbegleitung deaktivieren (erst, wenn ihr keine Einrichtung mehr zugeordnet ist)."""
    done = app.service.registry.deactivate_coach(coach_id)
    click.echo(f"{done.name} ist deaktiviert und wird keiner Einrichtung mehr angeboten.")


@coach.command("activate")
@click.argument("coach_id", metavar="ID", type=Id("coach"))
@pass_app
def coach_activate(app: App, coach_id: int) -> None:
    """Deaktivierte Prozessbegleitung wieder aktivieren."""
    done = app.service.registry.activate_coach(coach_id)
    click.echo(f"{done.name} ist wieder aktiv.")


def _coach_json(coach: Coach) -> dict[str, object]:
    return {"id": coach.id, "name": coach.name, "email": coach.email, "rate": coach.rate}


@coach.command("list")
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def coach_list(app: App, as_json: bool) -> None:
    """Alle Prozessbegleiter*innen."""
    coaches = app.service.registry.coaches()
    if as_json:
        print_json([_coach_json(c) for c in coaches])
        return
    rows = [(c.id, c.name, c.email, german.euro_plain(c.rate)) for c in coaches]
    print_table("Prozessbegleitung", ["Nr.", "Name", "E-Mail", "Honorar/Std."], rows)


# ----------------------------------------------------------------- centres
@cli.group()
def centre() -> None:
    """Einrichtungen (Kitas auf dem Weg zum ThEKiZ)."""


@centre.command("add")
@click.option("--name", required=True, help="Name der Einrichtung.")
@click.option("--district", required=True, help="Landkreis oder kreisfreie Stadt.")
@click.option("--email", required=True, help="E-Mail der Leitung oder Koordination.")
@click.option("--carrier", help="Träger.")
@click.option("--coach", "coach_ref", help="Prozessbegleitung (Nummer, E-Mail oder Name).")
@click.option("--on", "on", help="Datum der Aufnahme als Interessent (TT.MM.JJJJ oder JJJJ-MM-TT).")
@pass_app
def centre_add(
    app: App,
    name: str,
    district: str,
    email: str,
    carrier: str | None,
    coach_ref: str | None,
    on: str | None,
) -> None:
    """Einrichtung anlegen; gibt ihre Nummer aus."""
    given = CentreInput(name, district, email, carrier, coach_ref)
    click.echo(app.service.registry.add_centre(given, on_option(on)))


@centre.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def centre_import(app: App, file: Path) -> None:
    """Einrichtungen aus einer CSV-Datei anlegen: alle oder keine.

    Die Datei, wie Excel sie speichert: UTF-8 (mit oder ohne BOM) oder Windows-1252,
    Semikolon oder Komma als Trenner, in der ersten Zeile die Spalten, deutsch oder
    englisch: Name (name), Kreis (district), E-Mail (email); wahlweise Träger (carrier),
    Prozessbegleitung (coach: Nummer, E-Mail oder eindeutiger Name), Stufe (stage),
    seit (stage_since: TT.MM.JJJJ oder JJJJ-MM-TT), fortgesetzt in (resume_stage).
    Jeder Fehler wird mit Zeile und Feld genannt; dann wird nichts importiert.
    """
    ids = app.service.registry.import_centres(file)
    click.echo(
        f"{len(ids)} Einrichtungen importiert (Nr. {ids[0]}–{ids[-1]})."
        if ids
        else "Keine Einrichtungen in der Datei."
    )


def centre_json(centre: Centre, coach: Coach | None = None) -> dict[str, object]:
    return {
        "id": centre.id,
        "name": centre.name,
        "district": centre.district,
        "email": centre.email,
        "carrier": centre.carrier,
        "coach": centre.coach_id,
        "coach_name": None if coach is None else coach.name,
        "stage": centre.stage,
        "stage_since": centre.stage_since,
    }


@centre.command("list")
@click.option("--stage", help="Nur diese Stufe.")
@click.option("--district", help="Nur dieser Kreis.")
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@paging_options
@pass_app
def centre_list(
    app: App,
    stage: str | None,
    district: str | None,
    as_json: bool,
    limit: str | None,
    page: str | None,
) -> None:
    """Einrichtungen, wahlweise nach Stufe und Kreis gefiltert."""
    offset, size = window(limit, page)
    listed = found(*app.service.registry.centre_page(stage, district, offset, size), offset)
    echo_caption(listed)
    if as_json:
        print_json([centre_json(c) for c in listed.rows])
        return
    names = app.workflow.stages
    rows = [
        (c.id, c.name, c.district, names[c.stage].name, german.short_date(c.stage_since))
        for c in listed.rows
    ]
    headers = ["Nr.", "Name", "Kreis", "Stufe", "seit"]
    print_table(f"Einrichtungen ({listed.total})", headers, rows)


@centre.command("assign")
@click.argument("centre_id", metavar="ID", type=Id("centre"))
@click.option(
    "--coach",
    "coach_ref",
    required=True,
    help='Prozessbegleitung (Nummer, E-Mail oder Name; "keine" nimmt sie weg).',
)
@pass_app
def centre_assign(app: App, centre_id: int, coach_ref: str) -> None:
    """Einer Einrichtung eine Prozessbegleitung zuordnen (oder keine)."""
    done = app.service.registry.assign_coach(centre_id, coach_ref)
    click.echo(done.summary())


@centre.command("edit")
@click.argument("centre_id", metavar="ID", type=Id("centre"))
@click.option("--name", help="Neuer Name.")
@click.option("--district", help="Neuer Kreis.")
@click.option("--email", help="Neue E-Mail der Leitung oder Koordination.")
@click.option("--carrier", help='Neuer Träger ("" entfernt ihn).')
@click.option("--weekday", help="Bevorzugter Wochentag: mo, di, mi, do, fr oder keiner.")
@click.option(
    "--coach", "coach_ref", help='Neue Prozessbegleitung (Nummer, E-Mail oder Name; "keine").'
)
@pass_app
def centre_edit(
    app: App,
    centre_id: int,
    name: str | None,
    district: str | None,
    email: str | None,
    carrier: str | None,
    weekday: str | None,
    coach_ref: str | None,
) -> None:
    """Name, Kreis, E-Mail, Träger, Wochentag oder Prozessbegleitung einer Einrichtung ändern."""
    edit = CentreEdit(name, district, email, carrier, weekday, coach_ref)
    changed, plan, done = app.service.registry.update_centre(centre_id, edit)
    click.echo(
        f"Einrichtung {changed.id} geändert: {changed.name} ({changed.district}), "
        f"{changed.email}; {len(plan.update)} Termine verlegt."
    )
    if done is not None:
        click.echo(done.summary())
