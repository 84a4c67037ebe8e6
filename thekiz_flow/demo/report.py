"""The demonstration's German tables: centres per district and stage, sessions per stage."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from rich.table import Table

from thekiz_flow.core import german
from thekiz_flow.core.budget import cost
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus
from thekiz_flow.core.model import ActivityFilter
from thekiz_flow.service import Service


def centres_table(service: Service, today: date) -> Table:
    """Centres per district (rows) and stage (columns), with totals."""
    stages = service.workflow.stages
    counts = {(stage, district): n for stage, district, n in service.registry.stage_counts()}
    table = Table(
        title=f"ThEKiZ-Einrichtungen nach Kreis und Stufe (Stand {german.short_date(today)})",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("Kreis")
    for stage in stages.values():
        table.add_column(stage.name, justify="right")
    table.add_column("Summe", justify="right", style="bold")
    for index, district in enumerate(service.workflow.districts):
        row = [counts.get((s, district), 0) for s in stages]
        last = index == len(service.workflow.districts) - 1
        table.add_row(district, *map(str, row), str(sum(row)), end_section=last)
    totals = [sum(n for (s, _), n in counts.items() if s == stage) for stage in stages]
    table.add_row("Gesamt", *map(str, totals), str(sum(totals)), style="bold")
    return table


def sessions_table(service: Service, first: date) -> Table:
    """Per stage: planned, held and cancelled sessions, hours and cost of the held ones."""
    sessions = service.overview.activities(ActivityFilter(kind=ActivityKind.COACHING, first=first))
    count: Counter[tuple[str, str]] = Counter((a.stage, a.status) for a in sessions)
    hours: dict[str, Decimal] = {}
    money: dict[str, Decimal] = {}
    for held in (a for a in sessions if a.status == ActivityStatus.HELD):
        hours[held.stage] = hours.get(held.stage, Decimal(0)) + (held.hours or 0)
        money[held.stage] = money.get(held.stage, Decimal(0)) + cost(held)
    table = Table(
        title=f"Begleittermine ab {german.short_date(first)} nach Stufe (geplant: noch offen)",
        title_justify="left",
        header_style="bold",
    )
    for header in ("Stufe", "geplant", "gehalten", "abgesagt", "Stunden", "Kosten"):
        table.add_column(header, justify="left" if header == "Stufe" else "right")
    for stage in service.workflow.stages.values():
        if not any(key[0] == stage.id for key in count):
            continue
        table.add_row(
            stage.name,
            str(count[stage.id, ActivityStatus.PLANNED]),
            str(count[stage.id, ActivityStatus.HELD]),
            str(count[stage.id, ActivityStatus.CANCELLED]),
            german.hours(hours.get(stage.id, Decimal(0))),
            german.euro_plain(money.get(stage.id, Decimal(0))),
        )
    table.add_row(
        "Gesamt",
        *(
            str(sum(n for (_, s), n in count.items() if s == st))
            for st in (ActivityStatus.PLANNED, ActivityStatus.HELD, ActivityStatus.CANCELLED)
        ),
        german.hours(sum(hours.values(), Decimal(0))),
        german.euro_plain(sum(money.values(), Decimal(0))),
        style="bold",
    )
    return table


def mail_table(service: Service) -> Table:
    """Per reminder rule: how many mails went out, and how many were missed or failed."""
    rows = service.outbox.rows()
    count: Counter[tuple[str, str]] = Counter((r.rule, r.status) for r in rows)
    table = Table(title="E-Mails nach Regel", title_justify="left", header_style="bold")
    for header in ("Regel", "versandt", "wartet", "versäumt", "fehlgeschlagen"):
        table.add_column(header, justify="left" if header == "Regel" else "right")
    shown = (OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.MISSED, OutboxStatus.FAILED)
    for rule in sorted({r.rule for r in rows}):
        table.add_row(rule, *(str(count[rule, s]) for s in shown))
    return table
