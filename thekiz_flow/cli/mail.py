"""Commands of mail: the outbox, retrying a failed message, previewing reminders."""

from __future__ import annotations

import click

from thekiz_flow.cli.app import App, Id, cli, pass_app
from thekiz_flow.cli.output import print_json, print_table
from thekiz_flow.cli.paging import echo_caption, paging_options, window
from thekiz_flow.cli.paging import found as found_page
from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.labels import ATTEMPT_NAMES, OUTBOX_STATUS_NAMES, RECIPIENT_NAMES
from thekiz_flow.core.outbox import OutboxRow


def outbox_json(row: OutboxRow) -> dict[str, object]:
    return {
        "id": row.id,
        "key": row.key,
        "to": row.recipient,
        "subject": row.subject,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "rule": row.rule,
        "centre": row.centre_id,
        "due_at": row.due_at,
        "sent_at": row.sent_at,
        "ambiguous": row.ambiguous,
    }


@cli.group(invoke_without_command=True)
@click.option("--status", help="pending, sending, sent, failed oder missed.")
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@click.pass_context
def outbox(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """Der Postausgang: alle E-Mails mit ihrem Stand."""
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(App)
    assert app is not None
    wanted = (
        None
        if status is None
        else validate.choice("status", status, OutboxStatus, "unbekannter Status")
    )
    rows = app.service.outbox.rows(wanted)
    if as_json:
        print_json([outbox_json(r) for r in rows])
        return
    table = [
        (
            r.id,
            german.date_time(r.due_at, app.settings.timezone),
            r.recipient,
            r.subject,
            OUTBOX_STATUS_NAMES[r.status],
            r.attempts,
            r.last_error or "",
        )
        for r in rows
    ]
    headers = ["Nr.", "fällig", "an", "Betreff", "Stand", "Versuche", "Fehler"]
    print_table(f"Postausgang ({len(rows)})", headers, table)


@outbox.command("retry")
@click.argument("outbox_id", metavar="ID", type=Id("outbox"))
@pass_app
def outbox_retry(app: App, outbox_id: int) -> None:
    """Eine fehlgeschlagene E-Mail beim nächsten Durchlauf erneut senden."""
    row = app.service.outbox.retry(outbox_id)
    click.echo(f"Nachricht {row.id} an {row.recipient} wird erneut versandt.")


@outbox.command("show")
@click.argument("outbox_id", metavar="ID", type=Id("outbox"))
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@pass_app
def outbox_show(app: App, outbox_id: int, as_json: bool) -> None:
    """Eine E-Mail: ihr Stand, ihr Verlauf (jeder Versuch mit der Antwort des Servers)
    und ihr Text."""
    row, mail = app.service.outbox.message(outbox_id)
    attempts = app.service.outbox.attempts(outbox_id)
    if as_json:
        history = [
            {
                "attempt": a.attempt,
                "at": a.at,
                "outcome": a.outcome,
                "to": a.recipient,
                "code": a.code,
                "reply": a.reply,
            }
            for a in attempts
        ]
        print_json({**outbox_json(row), "text": mail.text, "html": mail.html, "history": history})
        return
    zone = app.settings.timezone
    click.echo(f"Nachricht {row.id}: {OUTBOX_STATUS_NAMES[row.status]}")
    click.echo(f"an: {mail.recipient or '(keine Adresse)'} ({RECIPIENT_NAMES[row.role]})")
    click.echo(f"Betreff: {mail.subject}")
    click.echo(f"fällig: {german.date_time(row.due_at, zone)}")
    if row.sent_at is not None:
        click.echo(f"versandt: {german.date_time(row.sent_at, zone)}")
    if row.last_error:
        click.echo(f"Fehler: {row.last_error}")
    history_rows = [
        (
            a.attempt,
            german.date_time(a.at, zone),
            ATTEMPT_NAMES[a.outcome],
            a.recipient,
            f"{a.code} {a.reply or ''}".strip() if a.code else a.reply or "",
        )
        for a in attempts
    ]
    if history_rows:
        headers = ["Versuch", "Zeit", "Ergebnis", "an", "Antwort des Servers"]
        print_table(f"Verlauf ({len(history_rows)})", headers, history_rows)
    else:
        click.echo("Verlauf: noch kein Versuch")
    click.echo("")
    click.echo(mail.text or "(kein Text)", nl=not mail.text.endswith("\n"))


@outbox.command("send")
@pass_app
def outbox_send(app: App) -> None:
    """Fällige E-Mails jetzt versenden (ohne zu planen oder zu erinnern)."""
    report = app.service.outbox.dispatch()
    click.echo(
        f"{report.sent} versandt, {report.retried} später erneut, {report.failed} fehlgeschlagen."
    )


@cli.group()
def reminders() -> None:
    """Erinnerungen nach den Regeln der Programmdefinition."""


@reminders.command("preview")
@click.option("--days", default="30", help="So viele Tage voraus (Voreinstellung 30).")
@click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON.")
@paging_options
@pass_app
def reminders_preview(
    app: App, days: str, as_json: bool, limit: str | None, page: str | None
) -> None:
    """Was in den nächsten Tagen an wen versandt würde, ohne etwas zu versenden."""
    count = validate.identifier("days", days)
    if not 1 <= count <= 366:
        raise InvalidInput("days", "zwischen 1 und 366")
    offset, size = window(limit, page)
    found = found_page(*app.service.reminders.preview_page(count, offset, size), offset)
    echo_caption(found)
    planned = found.rows
    if as_json:
        print_json(
            [
                {
                    "when": d.occurrence,
                    "rule": d.rule.id,
                    "role": d.role,
                    "to": to,
                    "subject": subject,
                    "centre": d.centre_id,
                }
                for d, to, subject in planned
            ]
        )
        return
    zone = app.settings.timezone
    rows = [
        (german.date_time(d.occurrence, zone), d.rule.label, to, subject)
        for d, to, subject in planned
    ]
    print_table(
        f"Erinnerungen der nächsten {count} Tage ({found.total})",
        ["wann", "Art", "an", "Betreff"],
        rows,
    )
