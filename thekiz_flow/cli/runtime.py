"""Commands that drive time: tick, run (the service) and simulate (time travel)."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

import click

from thekiz_flow.cli.app import App, cli, pass_app
from thekiz_flow.cli.logs import configure as configure_logging
from thekiz_flow.cli.operations import operations
from thekiz_flow.cli.scheduler import run_forever
from thekiz_flow.core import german, validate
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.errors import InvalidInput, UserError
from thekiz_flow.mail.delivery import FileBackend
from thekiz_flow.service import Service
from thekiz_flow.service.operations import OperationsService
from thekiz_flow.service.privacy import RetentionReport
from thekiz_flow.service.simulation import SIMULATED_HOUR, simulate_days, simulation_engine
from thekiz_flow.service.ticks import TickReport


def _instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "now", f"ungültiger Zeitpunkt {value!r} (z. B. 2026-03-01T07:00:00+01:00)"
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput("now", f"{value!r} braucht eine Zeitzone (z. B. +01:00 oder Z)")
    return parsed


@cli.command()
@click.option("--now", help="Zeitpunkt des Durchlaufs (ISO 8601 mit Zeitzone), sonst jetzt.")
@pass_app
def tick(app: App, now: str | None) -> None:
    """Ein Durchlauf alles Zeitgesteuerten: planen, erinnern, versenden (wiederholbar)."""
    service = app.service if now is None else app.service_at(FrozenClock(_instant(now)))
    report, _seconds = operations(app, service).tick(service.ticks)
    click.echo(f"Durchlauf: {report.summary()}.")


@cli.command()
@pass_app
def run(app: App) -> None:
    """Der Dienst: ein Durchlauf in festem Abstand, bis SIGTERM."""
    service = app.service
    service.ticks.check_ready()  # a tick that would always fail stops the service at once
    configure_logging(app.settings.operations.log_format)
    watch = operations(app, service)
    run_forever(
        lambda: one_tick(service, watch),
        app.settings.tick_seconds,
        app.settings.timezone,
        lambda: keep_forecast(service),
    )


def one_tick(service: Service, watch: OperationsService) -> None:
    """One tick of `run`, logged as one line, then the watchdog's check; never raises."""
    log = logging.getLogger("thekiz_flow.run")
    fields: dict[str, object]
    try:
        report, seconds = watch.tick(service.ticks)
    except UserError as exc:  # e.g. the clock ran ahead: this tick acts for nothing
        fields = {"event": "tick", "outcome": "skipped", "reason": str(exc)}
        log.warning("Durchlauf ausgelassen: %s", exc, extra={"fields": fields})
    except Exception as exc:
        _failed(log, "tick", "Durchlauf fehlgeschlagen", exc)
    else:
        fields = {
            "event": "tick",
            "outcome": "ok",
            "seconds": round(seconds, 3),
            **tick_fields(report),
        }
        log.info(
            "Durchlauf: %s (%s s).",
            report.summary(),
            german_seconds(seconds),
            extra={"fields": fields},
        )
    try:
        for subject in watch.watch():
            log.warning(
                "Wächter: %s", subject, extra={"fields": {"event": "watchdog", "mail": subject}}
            )
    except Exception as exc:
        _failed(log, "watchdog", "Wächter fehlgeschlagen", exc)


def keep_forecast(service: Service) -> None:
    """Keep the forecast's first view (figured if it is stale), logged; never raises."""
    log = logging.getLogger("thekiz_flow.run")
    started = time.perf_counter()
    try:
        figured = service.forecast.keep()
    except Exception as exc:
        _failed(log, "forecast", "Prognose nicht gespeichert", exc)
        return
    if figured:
        seconds = time.perf_counter() - started
        fields = {"event": "forecast", "outcome": "ok", "seconds": round(seconds, 3)}
        log.info(
            "Prognose berechnet und gespeichert (%s s).",
            german_seconds(seconds),
            extra={"fields": fields},
        )


def _failed(log: logging.Logger, event: str, what: str, exc: Exception) -> None:
    """A job of `run` failed: ``what`` (German) and the error, logged as one line."""
    reason = f"{type(exc).__name__}: {exc}"
    fields = {"event": event, "outcome": "failed", "reason": reason}
    log.error("%s: %s", what, reason, extra={"fields": fields})


def tick_fields(report: TickReport) -> dict[str, object]:
    """A tick's figures for the JSON log."""
    return {
        "planned_centres": report.plan.centres,
        "activities_new": report.plan.inserted,
        "activities_changed": report.plan.updated,
        "activities_cancelled": report.plan.cancelled,
        "reminders_new": report.reminders.new,
        "reminders_missed": report.reminders.missed,
        "mails_sent": report.mail.sent,
        "mails_retried": report.mail.retried,
        "mails_failed": report.mail.failed,
        **(_retention_fields(report.retention) if report.retention else {}),
    }


def _retention_fields(done: RetentionReport) -> dict[str, object]:
    """What the day's retention removed ([privacy]), in the tick that applied it."""
    return {
        "retention_mail_bodies": done.mail_bodies,
        "retention_sign_ins": done.sign_ins,
        "retention_privacy_events": done.events,
        "retention_centres": len(done.centres),
    }


def german_seconds(seconds: float) -> str:
    return f"{seconds:.1f}".replace(".", ",")


@cli.command()
@click.option("--from", "first", required=True, help="Erster Tag (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option("--to", "last", required=True, help="Letzter Tag (TT.MM.JJJJ oder JJJJ-MM-TT).")
@click.option(
    "--copy",
    "copy",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Auf einer Kopie der (SQLite-)Datenbank in dieser neuen Datei simulieren.",
)
@pass_app
def simulate(app: App, first: str, last: str, copy: Path | None) -> None:
    """Zeitreise: ein Durchlauf je Tag mit simulierter Uhr, nur auf einer Simulationskopie;
    E-Mails nur als Dateien."""
    start, end = validate.day("from", first), validate.day("to", last)
    if end < start:
        raise InvalidInput("to", "liegt vor {from}", ("from",))
    engine = simulation_engine(app.engine, copy)
    try:
        folder = app.settings.mail.file.dir / "simulation"
        clock = FrozenClock(datetime.combine(start, SIMULATED_HOUR, app.settings.timezone))
        sender = app.settings.mail.sender or "thekiz-flow@localhost"
        backend = FileBackend(folder, sender)
        service = app.service_at(clock, backend, actor="simulation", engine=engine)
        service.ticks.mark_simulation()
        total = simulate_days(service, clock, start, end)
    finally:
        if engine is not app.engine:
            engine.dispose()
    if copy is not None:
        click.echo(f"Simulationskopie: {copy}")
    click.echo(f"Simuliert {german.short_date(start)}–{german.short_date(end)}: {total.summary()}.")
    click.echo(f"E-Mails der Simulation (nie per SMTP versandt): {folder}")
