"""A coach's rate over time: a new rate in force from its day on, for the sessions held from
then (recorded with it) and those still planned; recorded sessions keep theirs unless a
correction says otherwise. Each change is in the record."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import Run, dump
from tests.conftest import BERLIN
from tests.test_corrections import admitted, held_session, later, of_kind
from tests.web_helpers import login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.corrections import Subject, sentence
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

AUGUST = date(2026, 8, 1)  # today: 15 June 2026


def planned_rates(service: Service, centre: int) -> dict[date, Decimal | None]:
    return {
        a.date: a.rate
        for a in of_kind(service, centre, ActivityKind.COACHING)
        if a.status == ActivityStatus.PLANNED
    }


def test_a_new_rate_applies_from_its_day(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)  # 4 March, at 65
    later(clock)
    coach = service.registry.update_coach(1, rate="70", valid_from=AUGUST, reason="neuer Vertrag")
    assert coach.rate == Decimal("65")  # in force today
    planned = planned_rates(service, centre)
    assert planned, "sessions are planned"
    assert {d: r for d, r in planned.items() if d >= AUGUST} == {
        d: Decimal("70") for d in planned if d >= AUGUST
    }
    assert all(r == Decimal("65") for d, r in planned.items() if d < AUGUST)
    assert service.sessions.record(f"E{centre}", date(2026, 6, 10), "2").rate == Decimal("65")
    with service.runtime.unit() as repo:
        (entry,) = repo.corrections.of_subject(Subject.COACH, 1)
    assert (entry.before, entry.after, entry.reason) == (
        {"rate": "65", "valid_from": None},
        {"rate": "70", "valid_from": "2026-08-01"},
        "neuer Vertrag",
    )
    assert sentence(entry, BERLIN) == (
        "16.06.2026 Prozessbegleitung 1 geändert: Stundensatz 65,00 € → 70,00 €; "
        "gültig ab 01.08.2026 (Grund: neuer Vertrag), von test"
    )

    # back-dated: sessions recorded from now on for days since then; held ones keep theirs
    later(clock)
    coach = service.registry.update_coach(1, rate="68", valid_from=date(2026, 5, 1))
    assert coach.rate == Decimal("68")
    assert service.sessions.record(f"E{centre}", date(2026, 5, 12), "2").rate == Decimal("68")
    (first,) = [a for a in of_kind(service, centre, ActivityKind.COACHING) if a.id == held.id]
    assert first.rate == Decimal("65")
    assert {r for d, r in planned_rates(service, centre).items() if d >= AUGUST} == {Decimal("70")}
    history = [(r.rate, r.valid_from) for r in service.registry.rates(1)]
    assert history == [  # by the day each is in force from
        (Decimal("65"), date(2000, 1, 1)),
        (Decimal("68"), date(2026, 5, 1)),
        (Decimal("70"), AUGUST),
    ]

    # the day comes: the tick makes the rate in force today the coach's
    clock.set(noon(date(2026, 7, 31), BERLIN))
    service.ticks.tick()
    assert service.registry.coach(1)[0].rate == Decimal("68")
    clock.set(noon(AUGUST, BERLIN))
    service.ticks.tick()
    assert service.registry.coach(1)[0].rate == Decimal("70")


def test_the_same_rate_records_nothing(service: Service, clock: FrozenClock) -> None:
    admitted(service, clock)
    before = service.registry.rates(1)
    service.registry.update_coach(1, name="Lena Sommer-Winter", rate="65")
    assert service.registry.rates(1) == before
    with service.runtime.unit() as repo:
        (entry,) = repo.corrections.of_subject(Subject.COACH, 1)
    assert set(entry.after) == {"name"}
    with pytest.raises(InvalidInput, match="nur zusammen mit einem neuen"):
        service.registry.update_coach(1, name="X", valid_from=AUGUST)


def test_a_held_session_s_rate_is_corrected(service: Service, clock: FrozenClock) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)
    later(clock)
    corrected, entry = service.corrections.correct_session(held.id, "Honorar falsch", rate="72")
    assert corrected.rate == Decimal("72")
    assert (entry.before, entry.after) == ({"rate": "65"}, {"rate": "72"})
    with pytest.raises(InvalidInput, match="höchstens"):
        service.corrections.correct_session(held.id, "x", rate="5000")


def test_the_cli_edits_a_rate_from_a_day(ready: Run, database_url: str) -> None:
    before = dump(database_url)
    wrong = ready("coach", "edit", "1", "--rate", "70", "--from", "01.08.30")
    assert (wrong.code, wrong.out) == (2, "")
    assert wrong.err.startswith("Fehler: --from: ungültiges Datum")
    alone = ready("coach", "edit", "1", "--from", "2030-08-01")
    assert alone.code == 2
    assert "--from: nur zusammen mit einem neuen --rate" in alone.err
    assert dump(database_url) == before
    done = ready(
        "coach", "edit", "1", "--rate", "70", "--from", "2030-08-01", "--reason", "Vertrag"
    )
    assert done.code == 0, done
    assert done.out == (
        "Prozessbegleitung 1 geändert: Lena Sommer (lena@example.org), 65,00 €/Std.\n"
        "Honorar 70,00 €/Std. gilt für Termine ab 01.08.2030.\n"
    )
    shown = ready("coach", "list").out
    assert "65,00 €" in shown


def beside(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert found is not None, f"no error beside {field}"
    return found.group(1)


def test_the_office_sets_a_rate_from_a_day_in_the_browser(
    web: TestClient, service: Service, database_url: str
) -> None:
    token = login(web, "office")
    page = web.get("/coaches/1")
    assert "Neues Honorar gültig ab" in page.text
    assert "<td>von Anfang an</td>" in page.text
    form = {"name": "Lena Sommer", "email": "lena@example.org", "rate": "70", "csrf_token": token}
    before = dump(database_url)
    refused = web.post("/coaches/1/edit", data={**form, "valid_from": "1. August"})
    assert refused.status_code == 400
    assert "ungültiges Datum &#39;1. August&#39;" in beside(refused.text, "valid_from")
    assert 'value="1. August"' in refused.text
    assert 'value="70"' in refused.text
    assert dump(database_url) == before
    changed = web.post(
        "/coaches/1/edit", data={**form, "valid_from": "2026-08-01", "reason": "Vertrag"}
    )
    assert changed.status_code == 200
    assert "Prozessbegleitung geändert: Lena Sommer" in changed.text
    assert "<td>01.08.2026</td>" in changed.text
    assert "70,00" in changed.text
    assert service.registry.coach(1)[0].rate == Decimal("65")  # from August on


def test_the_cli_corrects_a_held_session_s_rate(ready: Run, database_url: str) -> None:
    assert ready("advance", "1", "admit", "--on", "2025-02-03").code == 0
    done = ready("session", "done", "E1", "--date", "2025-03-05", "--hours", "2")
    assert done.code == 0, done
    held = done.out.split()[1]
    before = dump(database_url)
    refused = ready("session", "correct", held, "--rate", "5000", "--reason", "Vertrag")
    assert (refused.code, refused.out) == (2, "")
    assert refused.err.startswith("Fehler: --rate: ")
    assert dump(database_url) == before
    fixed = ready("session", "correct", held, "--rate", "70", "--reason", "Vertrag")
    assert fixed.out == (
        f"Termin {held} (Einrichtung 1) korrigiert: Stundensatz 65,00 € → 70,00 €.\n"
    )
