"""A coach's fee statement (``core/statements.py``) as workbook and PDF."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from thekiz_flow.accounts.files import pdf_bytes, render_html, workbook_bytes
from thekiz_flow.core.statements import Statement
from thekiz_flow.digest.tables import TOTAL, Column, Table

TEMPLATE = "statement.html.j2"


def file_name(statement: Statement, suffix: str) -> str:
    """abrechnung-2026-03-P7.pdf"""
    return f"abrechnung-{statement.month.key}-P{statement.coach_id}.{suffix}"


def statement_tables(statement: Statement) -> tuple[Table, ...]:
    """The sessions, the totals by district, and the document's particulars."""
    sessions = Table(
        "termine",
        "Gehaltene Begleittermine",
        "Termine",
        (
            Column("Datum", "date"),
            Column("Einrichtung"),
            Column("Landkreis"),
            Column("Stunden", "number"),
            Column("Stundensatz", "euro"),
            Column("Betrag", "euro"),
        ),
        tuple(
            (line.day, line.centre, line.district, line.hours, line.rate, line.amount)
            for line in statement.lines
        ),
        ((TOTAL, None, None, statement.hours, None, statement.total),),
    )
    districts = Table(
        "landkreise",
        "Summen je Landkreis",
        "Landkreise",
        (
            Column("Landkreis"),
            Column("Termine", "int"),
            Column("Stunden", "number"),
            Column("Betrag", "euro"),
        ),
        tuple((d.district, d.sessions, d.hours, d.amount) for d in statement.districts),
        ((TOTAL, len(statement.lines), statement.hours, statement.total),),
    )
    particulars: list[tuple[str, str]] = [
        ("Nummer", statement.number),
        ("Prozessbegleitung", f"{statement.coach} (Nummer {statement.coach_id})"),
        ("Monat", statement.month.name),
        ("Fassung", edition_text(statement)),
        ("Prüfsumme", statement.checksum),
    ]
    particulars += [("Berichtigung", text) for text in statement.corrections]
    about = Table(
        "angaben",
        "Angaben",
        "Angaben",
        (Column("Angabe"), Column("Wert")),
        tuple(particulars),
    )
    return sessions, districts, about


def edition_text(statement: Statement) -> str:
    """What the document is: first, corrected or provisional."""
    if statement.provisional:
        return "vorläufig (der Monat ist noch nicht abgeschlossen)"
    if statement.corrected:
        return f"berichtigte Fassung ({statement.edition}. Fassung)"
    return "1. Fassung"


def _fixed(statement: Statement) -> datetime:
    """The moment the workbook names: the first day after the month."""
    first = statement.month.following.first
    return datetime(first.year, first.month, first.day)


def statement_xlsx(statement: Statement) -> bytes:
    return workbook_bytes(
        statement_tables(statement), f"{statement.number} {statement.coach}", _fixed(statement)
    )


def statement_html(statement: Statement, templates_dir: Path) -> str:
    return render_html(
        TEMPLATE,
        {"s": statement, "edition": edition_text(statement)},
        templates_dir,
    )


def statement_pdf(statement: Statement, templates_dir: Path) -> bytes:
    return pdf_bytes(statement_html(statement, templates_dir), statement.checksum)
