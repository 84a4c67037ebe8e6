"""Commands of the lifecycle: show a centre, advance it (or revert its latest change), who is
eligible, the audit trail."""

from __future__ import annotations

from pathlib import Path

import click

from thekiz_flow.cli.app import App, Id, cli, pass_app
from thekiz_flow.cli.fields import described
from thekiz_flow.cli.output import print_json, print_table
from thekiz_flow.cli.paging import echo_caption, found, paging_options, window
from thekiz_flow.cli.registry import on_option
from thekiz_flow.core import german
from thekiz_flow.core.corrections import Action, Correction, sentence
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.model import StageChange
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.graph import mermaid


@cli.command()
@click.argument("centre_ids", nargs=-1, metavar="[NUMMER]...", type=Id("centre"))
@click.argument("trigger")
@click.option("--all-in-stage", "in_stage", help="Alle Einrichtungen dieser Stufe (statt Nummern).")
@click.option("--on", "on", help="Wirksam ab (TT.MM.JJJJ oder JJJJ-MM-TT), Voreinstellung heute.")
@click.option("--reason", help="Begründung (Pflicht mit --force); bleibt intern.")
@click.option(
    "--centre-note",
    help="Hinweis für die Einrichtung: steht in ihrer E-Mail (die Begründung nie).",
)
@click.option(
    "--force", is_flag=True, help="Unerfüllte Bedingungen übergehen (Koordinierungsstelle)."
)
@pass_app
def advance(
    app: App,
    centre_ids: tuple[int, ...],
    trigger: str,
    in_stage: str | None,
    on: str | None,
    reason: str | None,
    centre_note: str | None,
    force: bool,
) -> None:
    """Stufenwechsel: admit, deepen, renew, consult, pause, resume, withdraw.

    Mehrere Einrichtungen (Nummern oder --all-in-stage) wechseln in einem Zug. Eine
    Einrichtung, die nicht wechseln darf, wird übersprungen und mit dem Grund genannt;
    die anderen wechseln. Wechselt keine, ist nichts geschrieben (Exit-Code 2).
    """
    if not centre_ids and in_stage is None:
        raise _missing(trigger)
    report = app.service.lifecycle.advance_many(
        list(centre_ids),
        trigger,
        on_option(on),
        reason,
        force,
        in_stage=in_stage,
        note=centre_note,
    )
    if not report.changes and len(report.skipped) == 1:
        raise report.skipped[0].error
    for skipped in report.skipped:
        why = described(skipped.error, app.command)
        click.echo(f"Einrichtung {skipped.centre_id} übersprungen: {why}", err=True)
    if not report.changes:
        raise Refused(f"keine der {len(report.skipped)} Einrichtungen gewechselt")
    _say(app, report.changes, len(report.skipped))


def _say(app: App, changes: list[StageChange], skipped: int) -> None:
    stages = app.workflow.stages
    for change in changes:
        forced = " (erzwungen)" if change.forced else ""
        click.echo(
            f"Einrichtung {change.centre_id}: {stages[change.from_stage].name} → "
            f"{stages[change.to_stage].name} ab {german.short_date(change.effective)}{forced}."
        )
    if len(changes) + skipped > 1:
        click.echo(f"{len(changes)} gewechselt, {skipped} übersprungen.")


@cli.command()
@click.argument("centre_id", metavar="NUMMER", type=Id("centre"))
@click.option("--reason", help="Begründung (Pflicht).")
@click.option(
    "--change", "change_id", type=int, help="Nummer des Stufenwechsels (muss der letzte sein)."
)
@pass_app
def revert(app: App, centre_id: int, reason: str | None, change_id: int | None) -> None:
    """Den letzten Stufenwechsel einer Einrichtung zurücknehmen.

    Die Einrichtung kehrt in ihre frühere Stufe zurück, die Planung folgt ihr; der
    Stufenwechsel bleibt im Verlauf, mit der Rücknahme als Korrektur. Abgelehnt (Exit-Code 2,
    nichts geschrieben) ohne Begründung, für einen älteren als den letzten Wechsel und wenn
    nach dem Wechsel schon Termine gehalten wurden.
    """
    done = app.service.reverts.revert(centre_id, reason, change_id)
    stages = app.workflow.stages
    change = done.change
    click.echo(
        f"Einrichtung {centre_id}: Stufenwechsel {stages[change.from_stage].name} → "
        f"{stages[change.to_stage].name} ab {german.short_date(change.effective)} "
        "zurückgenommen."
    )
    for line in done.lines(stages[done.centre.stage].name):
        click.echo(line)


def _missing(trigger: str) -> click.MissingParameter:
    """Only one word given: a number lacks its trigger, a trigger lacks the centres."""
    context = click.get_current_context()
    wanted = "trigger" if trigger.strip().isdigit() else "centre_ids"
    param = next(p for p in context.command.params if p.name == wanted)
    return click.MissingParameter(ctx=context, param=param)


@cli.command()
@click.option("--on", "on", help="Stichtag (TT.MM.JJJJ oder JJJJ-MM-TT), Voreinstellung heute.")
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@paging_options
@pass_app
def eligible(app: App, on: str | None, as_json: bool, limit: str | None, page: str | None) -> None:
    """Für jede Einrichtung: der nächste Schritt und was dafür noch fehlt."""
    offset, size = window(limit, page)
    page_of = found(*app.service.lifecycle.eligible_page(on_option(on), offset, size), offset)
    echo_caption(page_of)
    results = page_of.rows
    if as_json:
        print_json(
            [
                {
                    "centre": e.centre.id,
                    "stage": e.centre.stage,
                    "trigger": e.trigger,
                    "eligible": e.eligible,
                    "missing": list(e.missing),
                    "recommendations": list(e.recommendations),
                }
                for e in results
            ]
        )
        return
    stages = app.workflow.stages
    rows = [
        (
            e.centre.id,
            e.centre.name,
            stages[e.centre.stage].name,
            app.workflow.step_name(e.trigger),
            "ja" if e.eligible else "nein",
            "; ".join(e.missing),
            "; ".join(e.recommendations),
        )
        for e in results
    ]
    headers = ["Nr.", "Einrichtung", "Stufe", "Schritt", "möglich", "fehlt", "Empfehlungen"]
    print_table("Nächste Schritte", headers, rows)


def _change_json(change: StageChange, reverted: bool) -> dict[str, object]:
    return {
        "id": change.id,
        "centre": change.centre_id,
        "trigger": change.trigger,
        "from": change.from_stage,
        "to": change.to_stage,
        "effective": change.effective,
        "recorded_at": change.recorded_at,
        "actor": change.actor,
        "reason": change.reason,
        "centre_note": change.centre_note,
        "forced": change.forced,
        "reverted": reverted,
    }


def _correction_json(entry: Correction) -> dict[str, object]:
    return {
        "type": "correction",
        "id": entry.id,
        "centre": entry.centre_id,
        "subject": entry.subject,
        "subject_id": entry.subject_id,
        "action": entry.action,
        "before": dict(entry.before),
        "after": dict(entry.after),
        "recorded_at": entry.recorded_at,
        "actor": entry.actor,
        "reason": entry.reason,
    }


@cli.command()
@click.argument("centre_id", metavar="ID", type=Id("centre"))
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def history(app: App, centre_id: int, as_json: bool) -> None:
    """Der Verlauf (Audit) einer Einrichtung: Stufenwechsel, danach Korrekturen."""
    changes = app.service.lifecycle.history(centre_id)
    corrected = app.service.corrections.of_centre(centre_id)
    reverted = {
        e.correction.subject_id for e in corrected if e.correction.action == Action.REVERTED
    }
    if as_json:
        print_json(
            [{"type": "stage_change", **_change_json(c, c.id in reverted)} for c in changes]
            + [_correction_json(e.correction) for e in corrected]
        )
        return
    stages = app.workflow.stages
    rows = [
        (
            german.short_date(c.effective),
            app.workflow.step_name(c.trigger) + (" (zurückgenommen)" if c.id in reverted else ""),
            stages[c.from_stage].name,
            stages[c.to_stage].name,
            c.actor,
            "ja" if c.forced else "",
            c.reason or "",
            c.centre_note or "",
        )
        for c in changes
    ]
    print_table(
        f"Verlauf der Einrichtung {centre_id}",
        ["wirksam", "Schritt", "von", "nach", "durch", "erzwungen", "Begründung", "Hinweis"],
        rows,
    )
    if corrected:
        names = {stage.id: stage.name for stage in stages.values()}
        click.echo("Korrekturen:")
        for e in corrected:
            click.echo(sentence(e.correction, app.service.zone, e.kind, e.day, names))


@cli.group()
def workflow() -> None:
    """Die Programmdefinition (workflows/*.toml)."""


@workflow.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def workflow_check(app: App, path: Path | None) -> None:
    """Eine Programmdefinition prüfen (Voreinstellung: die konfigurierte)."""
    checked = load_workflow(path) if path else app.workflow
    click.echo(
        f"{checked.source}: in Ordnung ({len(checked.stages)} Stufen, "
        f"{len(checked.transitions)} Übergänge)."
    )


@workflow.command("graph")
@pass_app
def workflow_graph(app: App) -> None:
    """Den Lebenszyklus als Mermaid-Diagramm ausgeben."""
    click.echo(mermaid(app.workflow), nl=False)
