"""Views of one centre and one coach: stage, next step, budget, dates and load."""

from __future__ import annotations

import click

from thekiz_flow.cli.app import App, Id, pass_app
from thekiz_flow.cli.output import print_json, print_table
from thekiz_flow.cli.planning import activity_json
from thekiz_flow.cli.registry import centre, centre_json, coach
from thekiz_flow.core import german
from thekiz_flow.core.budget import YearBudget
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.labels import KIND_NAMES
from thekiz_flow.core.model import ActivityFilter
from thekiz_flow.service import Eligibility

UPCOMING = 5


def budget_json(budget: YearBudget) -> dict[str, object]:
    return {
        "year": budget.year,
        "budget": budget.budget,
        "spent": budget.spent,
        "committed": budget.committed,
        "rest": budget.rest,
        "budgeted": budget.budgeted,
    }


def step_json(step: Eligibility | None) -> dict[str, object] | None:
    if step is None:
        return None
    return {
        "trigger": step.trigger,
        "eligible": step.eligible,
        "missing": list(step.missing),
        "recommendations": list(step.recommendations),
    }


def _budget_line(budget: YearBudget) -> str:
    spent = (
        f"ausgegeben {german.euro_plain(budget.spent)}, "
        f"verplant {german.euro_plain(budget.committed)}"
    )
    if not budget.budgeted:
        return f"kein Budget (Begleitung nach Bedarf); {spent}"
    return f"{german.euro_plain(budget.budget)}; {spent}, frei {german.euro_plain(budget.rest)}"


def _step_lines(step: Eligibility | None, name: str) -> list[str]:
    if step is None:
        return []
    state = "möglich" if step.eligible else "noch nicht möglich"
    lines = [f"  Nächster Schritt:  {name} ({state})"]
    lines += [f"    – fehlt: {m}" for m in step.missing]
    lines += [f"    – {r}" for r in step.recommendations]
    return lines


@centre.command("show")
@click.argument("centre_id", metavar="ID", type=Id("centre"))
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def centre_show(app: App, centre_id: int, as_json: bool) -> None:
    """Eine Einrichtung: Stufe, nächster Schritt, Budget des Jahres und die nächsten Termine."""
    found, its_coach = app.service.registry.centre(centre_id)
    step = app.service.lifecycle.next_step(found.id)
    budget = app.service.overview.budget(found.id)
    today = app.service.runtime.today()
    upcoming = app.service.overview.activities(
        ActivityFilter(centre_id=found.id, status=ActivityStatus.PLANNED, first=today)
    )[:UPCOMING]
    if as_json:
        data = centre_json(found, its_coach)
        data.update(
            next=step_json(step),
            budget=budget_json(budget),
            upcoming=[activity_json(a) for a in upcoming],
        )
        print_json(data)
        return
    stage = app.workflow.stage(found.stage)
    lines = [
        f"Einrichtung {found.id}: {found.name}",
        f"  Kreis:             {found.district}",
        f"  E-Mail:            {found.email}",
        f"  Träger:            {found.carrier or '–'}",
        f"  Prozessbegleitung: {its_coach.name if its_coach else '–'}",
        f"  Stufe:             {stage.name} seit {german.short_date(found.stage_since)}",
        *_step_lines(step, app.workflow.step_name(step.trigger) if step else ""),
        f"  Budget {budget.year}:       {_budget_line(budget)}",
        "  Nächste Termine:" + ("" if upcoming else " keine"),
        *(f"    {german.short_date(a.date)}  {KIND_NAMES[a.kind]} (Nr. {a.id})" for a in upcoming),
    ]
    click.echo("\n".join(lines))


@coach.command("show")
@click.argument("coach_id", metavar="ID", type=Id("coach"))
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def coach_show(app: App, coach_id: int, as_json: bool) -> None:
    """Eine Prozessbegleitung: Stunden je Monat und Warnung über dem Höchstwert."""
    report = app.service.overview.coach_report(coach_id)
    maximum = app.workflow.coach_max_hours_per_month
    if as_json:
        print_json(
            {
                "id": report.coach.id,
                "name": report.coach.name,
                "email": report.coach.email,
                "rate": report.coach.rate,
                "centres": report.centres,
                "max_hours": maximum,
                "months": [
                    {
                        "month": m.month.strftime("%Y-%m"),
                        "planned": m.planned,
                        "held": m.held,
                        "over": m.over,
                    }
                    for m in report.load
                ],
            }
        )
        return
    click.echo(
        f"{report.coach.name} ({report.coach.email}), {german.euro_plain(report.coach.rate)}/Std., "
        f"{report.centres} Einrichtungen"
    )
    rows = [
        (
            german.short_month(m.month),
            german.hours(m.planned),
            german.hours(m.held),
            "über dem Höchstwert!" if m.over else "",
        )
        for m in report.load
    ]
    print_table(
        f"Stunden je Monat (Höchstwert {maximum})", ["Monat", "geplant", "gehalten", ""], rows
    )
    for m in report.load:
        if m.over:
            click.echo(
                f"Warnung: {german.short_month(m.month)} sind "
                f"{german.hours(m.planned + m.held)} Stunden geplant "
                f"(Höchstwert {german.hours(maximum)}).",
                err=True,
            )
