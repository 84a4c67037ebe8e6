"""Who receives a centre's mail, or why nobody can: pure, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.model import Centre, Coach
from thekiz_flow.core.recipients import address

CENTRE = Centre(
    1, "Kita A", "Jena", "kita@example.org", None, 7, "basisbegleitung", date(2025, 1, 6)
)
COACH = Coach(7, "Bea Begleiterin", "bea@example.org", Decimal(60))
OFFICE = "fachstelle@example.org"


def test_each_role_has_its_address() -> None:
    assert address(Recipient.OFFICE, CENTRE, COACH, OFFICE) == (OFFICE, None)
    assert address(Recipient.CENTRE, CENTRE, COACH, OFFICE) == ("kita@example.org", None)
    assert address(Recipient.COACH, CENTRE, COACH, OFFICE) == ("bea@example.org", None)


def test_a_centre_is_reached_without_coach_or_office() -> None:
    assert address(Recipient.CENTRE, CENTRE, None, None) == ("kita@example.org", None)


@pytest.mark.parametrize("office", [None, ""])
def test_without_an_office_address_the_reason_names_the_setting(office: str | None) -> None:
    assert address(Recipient.OFFICE, CENTRE, COACH, office) == (
        "",
        "keine Adresse der Fachstelle eingerichtet, Einstellung [mail] office",
    )


def test_without_a_coach_the_reason_says_so() -> None:
    assert address(Recipient.COACH, CENTRE, None, OFFICE) == (
        "",
        "keine Prozessbegleitung zugeordnet",
    )
