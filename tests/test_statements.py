"""Coaches' monthly fee statements: hand-computed figures of a small programme, the rate in
force on each day, cents exact, reproducible to the byte, and a corrected one says so."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.conftest import BERLIN, TODAY
from thekiz_flow.accounts.statement import statement_pdf, statement_xlsx
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.errors import InvalidInput, NotFound
from thekiz_flow.core.model import CentreInput
from thekiz_flow.core.statements import Month, amount, parse_month
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

MARCH = Month(2026, 3)
ADMITTED = date(2026, 3, 2)


def programme(service: Service, clock: FrozenClock) -> tuple[int, int]:
    """Coach 1 (65 €, from 16 March 62,50 €) accompanies a centre in Jena and one in Gotha;
    4 March Jena 2 h, 18 March Gotha 2,25 h, 8 April Jena 3 h held. Coach 2 holds none."""
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    service.registry.add_coach("Jonas Berg", "jonas@example.org", "70")
    jena = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), ADMITTED
    )
    gotha = service.registry.add_centre(
        CentreInput("Kita Regenbogen", "gotha", "r@example.org", coach="1"), ADMITTED
    )
    clock.set(noon(ADMITTED, BERLIN))
    service.lifecycle.advance(jena, "admit", on=ADMITTED)
    service.lifecycle.advance(gotha, "admit", on=ADMITTED)
    service.registry.update_coach(1, rate="62,50", valid_from=date(2026, 3, 16))
    clock.set(noon(TODAY, BERLIN))
    service.sessions.record(f"E{jena}", date(2026, 3, 4), "2")
    service.sessions.record(f"E{gotha}", date(2026, 3, 18), "2,25")
    service.sessions.record(f"E{jena}", date(2026, 4, 8), "3")
    return jena, gotha


def test_a_statement_bills_each_session_at_the_rate_of_its_day(
    service: Service, clock: FrozenClock
) -> None:
    programme(service, clock)
    found = service.statements.statement("1", MARCH)
    assert found.number == "Abrechnung 2026-03-P1"
    rows = [(line.day, line.district, line.hours, line.rate, line.amount) for line in found.lines]
    assert rows == [
        (date(2026, 3, 4), "Jena", Decimal("2"), Decimal("65"), Decimal("130.00")),
        # 2,25 h * 62,50 € = 140,625 €: half a cent rounds up
        (date(2026, 3, 18), "Gotha", Decimal("2.25"), Decimal("62.5"), Decimal("140.63")),
    ]
    assert [(d.district, d.sessions, d.hours, d.amount) for d in found.districts] == [
        ("Gotha", 1, Decimal("2.25"), Decimal("140.63")),
        ("Jena", 1, Decimal("2"), Decimal("130.00")),
    ]
    assert (found.hours, found.total) == (Decimal("4.25"), Decimal("270.63"))
    assert not found.corrected
    assert not found.provisional
    assert found.edition == 1
    april = service.statements.statement("lena@example.org", Month(2026, 4))
    assert [line.amount for line in april.lines] == [Decimal("187.50")]  # 3 h * 62,50 €
    assert service.statements.statement("2", MARCH).lines == ()


def test_the_same_month_gives_the_same_document(service: Service, clock: FrozenClock) -> None:
    programme(service, clock)
    first = service.statements.statement("1", MARCH)
    clock.set(noon(date(2026, 7, 1), BERLIN))  # later, nothing changed
    again = service.statements.statement("1", MARCH)
    assert again == first
    assert statement_xlsx(again) == statement_xlsx(first)
    templates = service.workflow.templates_dir
    assert statement_pdf(again, templates) == statement_pdf(first, templates)


def test_a_correction_after_the_month_makes_a_corrected_edition(
    service: Service, clock: FrozenClock
) -> None:
    _jena, _ = programme(service, clock)
    first = service.statements.statement("1", MARCH)
    march_4 = next(line for line in first.lines if line.day == date(2026, 3, 4))
    clock.set(noon(date(2026, 6, 20), BERLIN))
    service.corrections.correct_session(march_4.activity_id, "Abgelesen: 1,5 h", hours="1,5")
    corrected = service.statements.statement("1", MARCH)
    assert corrected.total == Decimal("238.13")  # 1,5 * 65 + 140,63
    assert corrected.corrected
    assert corrected.edition == 2
    assert corrected.checksum != first.checksum
    assert corrected.corrections == (
        "20.06.2026 Begleittermin vom 04.03. korrigiert: Stunden 2,0 → 1,5 "
        "(Grund: Abgelesen: 1,5 h), von test",
    )
    sheet = load_workbook(io.BytesIO(statement_xlsx(corrected)))["Angaben"]
    values = [row[1] for row in sheet.iter_rows(values_only=True)]
    assert "berichtigte Fassung (2. Fassung)" in values


def test_a_session_moved_out_of_the_month_is_named_as_a_correction(
    service: Service, clock: FrozenClock
) -> None:
    programme(service, clock)
    first = service.statements.statement("1", MARCH)
    march_18 = next(line for line in first.lines if line.day == date(2026, 3, 18))
    service.corrections.correct_session(march_18.activity_id, "Tippfehler", day=date(2026, 4, 1))
    moved = service.statements.statement("1", MARCH)
    assert moved.total == Decimal("130.00")
    assert len(moved.corrections) == 1
    assert "Datum 18.03.2026 → 01.04.2026" in moved.corrections[0]


def test_a_correction_within_the_month_is_part_of_the_first_edition(
    service: Service, clock: FrozenClock
) -> None:
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), ADMITTED
    )
    clock.set(noon(ADMITTED, BERLIN))
    service.lifecycle.advance(centre, "admit", on=ADMITTED)
    clock.set(noon(date(2026, 3, 10), BERLIN))
    held = service.sessions.record(f"E{centre}", date(2026, 3, 4), "2")
    service.corrections.correct_session(held.id, "Tippfehler", hours="3")
    during = service.statements.statement("1", MARCH)
    assert during.provisional
    assert not during.corrected
    clock.set(noon(TODAY, BERLIN))
    after = service.statements.statement("1", MARCH)
    assert not after.provisional
    assert not after.corrected
    assert after.edition == 1
    assert after.total == Decimal("195.00")


def test_bad_months_and_coaches_are_refused(service: Service) -> None:
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    with pytest.raises(InvalidInput, match="liegt in der Zukunft"):
        service.statements.statement("1", Month(2026, 7))
    with pytest.raises(NotFound):
        service.statements.statement("9", MARCH)
    for text in ("2026-13", "2026-3", "März", "2026-00"):
        with pytest.raises(InvalidInput, match="ungültiger Monat"):
            parse_month("month", text)
    assert parse_month("month", " 2026-12 ") == Month(2026, 12)
    assert Month(2026, 12).last == date(2026, 12, 31)
    assert Month(2026, 2).last == date(2026, 2, 28)


def test_amounts_round_half_up_to_the_cent() -> None:
    assert amount(Decimal("2.25"), Decimal("62.50")) == Decimal("140.63")
    assert amount(Decimal("0.25"), Decimal("62.10")) == Decimal("15.53")  # 15,525
    assert amount(Decimal("1.5"), Decimal("65")) == Decimal("97.50")
