"""Money on the command line: a coach's monthly fee statement, the districts' accounts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click

from thekiz_flow.accounts.districts import file_name as report_file
from thekiz_flow.accounts.districts import report_pdf, report_xlsx, title
from thekiz_flow.accounts.forecast import forecast_xlsx, year_rows
from thekiz_flow.accounts.statement import (
    edition_text,
    file_name,
    statement_pdf,
    statement_xlsx,
)
from thekiz_flow.cli.app import App, cli, pass_app
from thekiz_flow.cli.output import print_table
from thekiz_flow.core import german, validate
from thekiz_flow.core.forecast import parse_scenarios
from thekiz_flow.core.statements import parse_month
from thekiz_flow.workflow.files import write_atomically

#: Where a document's PDF and workbook are written (statement, district-report).
OUT_FOLDER = click.option(
    "--out",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Verzeichnis für PDF und Excel-Datei.",
)


@cli.command()
@click.option("--coach", required=True, help="Prozessbegleitung (Nummer oder E-Mail).")
@click.option("--month", required=True, help="Monat (JJJJ-MM), z. B. 2026-03.")
@OUT_FOLDER
@pass_app
def statement(app: App, coach: str, month: str, folder: Path) -> None:
    """Honorarabrechnung einer Prozessbegleitung für einen Monat: PDF und Excel."""
    found = app.service.statements.statement(coach, parse_month("month", month))
    print_table(
        f"{found.number}: {found.coach}, {found.month.name}",
        ["Datum", "Einrichtung", "Landkreis", "Stunden", "Satz", "Betrag"],
        [
            (
                german.short_date(line.day),
                line.centre,
                line.district,
                german.number(line.hours),
                german.euro_plain(line.rate),
                german.euro_plain(line.amount),
            )
            for line in found.lines
        ],
    )
    for district in found.districts:
        click.echo(
            f"{district.district}: {sessions(district.sessions)}, {german.number(district.hours)} "
            f"Stunden, {german.euro_plain(district.amount)}"
        )
    click.echo(
        f"Insgesamt: {sessions(len(found.lines))}, {german.number(found.hours)} Stunden, "
        f"{german.euro_plain(found.total)}"
    )
    click.echo(f"Fassung: {edition_text(found)}; Prüfsumme {found.checksum}")
    for text in found.corrections:
        click.echo(f"Berichtigung: {text}")
    folder.mkdir(parents=True, exist_ok=True)
    files = (
        (folder / file_name(found, "pdf"), statement_pdf(found, app.workflow.templates_dir)),
        (folder / file_name(found, "xlsx"), statement_xlsx(found)),
    )
    for path, data in files:
        write_atomically(path, data, mode=0o644)
        click.echo(str(path))


def sessions(count: int) -> str:
    """1 Termin, 2 Termine"""
    return f"{count} Termin" if count == 1 else f"{count} Termine"


@cli.command("district-report")
@click.argument("year", metavar="YEAR")
@click.option("--district", help="Nur dieser Landkreis (sonst alle mit Einrichtungen).")
@OUT_FOLDER
@pass_app
def district_report(app: App, year: str, district: str | None, folder: Path) -> None:
    """Verwendungsnachweis YEAR je Landkreis: Einrichtungen, Stufen, Stunden, Kosten,
    anteiliges Budget und Rest; PDF und Excel."""
    number = validate.identifier("year", year)
    report = app.service.districts.report(number, district)
    totals = report.overview()
    print_table(
        title(report) + (" (vorläufig)" if report.provisional else ""),
        ["Landkreis", "Einrichtungen", "Termine", "Stunden", "Kosten", "Budget anteilig", "Rest"],
        [
            (
                d.name,
                len(d.centres),
                d.sessions,
                german.number(d.hours),
                german.euro_plain(d.cost),
                german.euro_plain(d.budget),
                german.euro_plain(d.rest),
            )
            for d in report.districts
        ]
        + [
            (
                "Insgesamt",
                totals.centres,
                totals.sessions,
                german.number(totals.hours),
                german.euro_plain(totals.cost),
                german.euro_plain(totals.budget),
                german.euro_plain(totals.rest),
            )
        ],
    )
    chosen = report.districts[0].name if district is not None and report.districts else None
    folder.mkdir(parents=True, exist_ok=True)
    files = (
        (
            folder / report_file(report, "pdf", chosen),
            report_pdf(report, app.workflow.templates_dir),
        ),
        (folder / report_file(report, "xlsx", chosen), report_xlsx(report)),
    )
    for path, data in files:
        write_atomically(path, data, mode=0o644)
        click.echo(str(path))


@cli.command("forecast")
@click.option("--years", default="3", show_default=True, help="Jahre der Prognose.")
@click.option(
    "--new-per-year", "new_per_year", help="Neue Einrichtungen je Jahr, z. B. 10 oder 5,10,20."
)
@click.option("--from", "start", metavar="DATUM", help="Beginn (JJJJ-MM-TT; sonst nächster Monat).")
@click.option("--districts", help="Neue je Jahr und Landkreis, z. B. Gotha:2,Jena:1.")
@click.option("--rate", help="Stundensatz neuer Einrichtungen (sonst der Durchschnitt).")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Excel-Datei der Prognose (alle Szenarien nebeneinander).",
)
@pass_app
def forecast_command(
    app: App,
    years: str,
    new_per_year: str | None,
    start: str | None,
    districts: str | None,
    rate: str | None,
    out: Path | None,
) -> None:
    """Prognose: Einrichtungen je Stufe, Termine, Stunden, Kosten, Budget und nötige
    Prozessbegleitungen, Monat für Monat; schreibt nichts in die Datenbank."""
    count = validate.identifier("years", years)
    scenarios = parse_scenarios(new_per_year, districts)
    first = None if start is None else validate.day("from", start)
    amount = None if rate is None else validate.amount("rate", rate, maximum=Decimal(1000))
    found = app.service.forecast.forecasts(count, scenarios, first, amount)
    for one in found:
        print_table(
            f"Prognose: {one.scenario.name}",
            [
                "Jahr",
                "Einrichtungen",
                "Termine",
                "Stunden",
                "Kosten",
                "Budget",
                "PB nötig",
                "PB da",
            ],
            [
                (
                    row.year,
                    row.centres,
                    row.sessions,
                    german.number(row.hours),
                    german.euro_plain(row.cost),
                    german.euro_plain(row.budget),
                    row.needed,
                    row.coaches,
                )
                for row in year_rows(one)
            ],
        )
    click.echo(f"Stundensatz neuer Einrichtungen: {german.euro_plain(found[0].assumed_rate)}")
    for text in found[0].assumptions:
        click.echo(f"Annahme: {text}")
    if out is not None:
        write_atomically(out, forecast_xlsx(found), mode=0o644)
        click.echo(str(out))
