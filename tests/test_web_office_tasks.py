"""The office's pages for the catalogue (add, import, edit, call off), the outbox (a
message's text, sending now, the reminder preview), the digest to the ministry and stage
changes of several centres: errors beside their fields, confirmations first, access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import BERLIN
from tests.test_web_overview import programme
from tests.test_web_trainings import programme as catalogue
from tests.web_helpers import assert_action_guarded, login
from thekiz_flow.core import german, paging
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityStatus, OutboxStatus
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service
from thekiz_flow.service.reminders import ReminderService
from thekiz_flow.web.pages.stages import german_steps
from thekiz_flow.web.pages.trainings import call_off_effects
from thekiz_flow.workflow.config import DigestSettings

GOOD_CSV = "kind,title,date,place,capacity\nreflexion,Reflexion II,2026-10-01,Erfurt,12\n"
BAD_CSV = GOOD_CSV + "reflexion,Reflexion III,2026-10-02,Erfurt,viele\n"


# ----------------------------------------------------------------- catalogue
def test_the_office_adds_a_training(web: TestClient, service: Service, database_url: str) -> None:
    data = {
        "kind": "reflexion",
        "title": "Reflexion II",
        "date": "2026-10-01",
        "place": "Erfurt",
        "capacity": "12",
    }
    assert_action_guarded(web, database_url, "/trainings/new", data, ("coach", "ministry"))
    token = login(web, "office")
    page = web.get("/trainings").text
    assert '<option value="reflexion">' in page  # the kinds by their German labels
    done = web.post("/trainings/new", data={"csrf_token": token, **data})
    assert "Fortbildung Reflexion II angelegt." in done.text
    ((training, _, _),) = service.trainings.find()
    assert (training.title, training.capacity) == ("Reflexion II", 12)


def test_a_refused_training_shows_why_beside_the_field(
    web: TestClient, service: Service, database_url: str
) -> None:
    token = login(web, "office")
    before = dump(database_url)
    data = {"kind": "reflexion", "title": "Reflexion II", "date": "2026-10-01", "place": "Erfurt"}
    refused = web.post("/trainings/new", data={"csrf_token": token, **data, "capacity": "viele"})
    assert refused.status_code == 400
    assert 'id="capacity-error"' in refused.text
    assert "Plätze: ganze Zahl von 1 bis 1000" in refused.text
    assert 'value="Reflexion II"' in refused.text  # what was typed is kept
    assert dump(database_url) == before


def test_importing_trainings_all_or_nothing(
    web: TestClient, service: Service, database_url: str
) -> None:
    token = login(web, "office")
    before = dump(database_url)
    files = {"file": ("katalog.csv", BAD_CSV.encode(), "text/csv")}
    refused = web.post("/trainings/import", data={"csrf_token": token}, files=files)
    assert refused.status_code == 400
    assert "katalog.csv: nichts importiert, 1 Fehler: Zeile 3" in refused.text
    assert "/tmp" not in refused.text
    assert dump(database_url) == before
    files = {"file": ("katalog.csv", GOOD_CSV.encode(), "text/csv")}
    done = web.post("/trainings/import", data={"csrf_token": token}, files=files)
    assert "1 Fortbildungen importiert." in done.text
    assert [t.title for t, _, _ in service.trainings.find()] == ["Reflexion II"]
    missing = web.post("/trainings/import", data={"csrf_token": token})
    assert missing.status_code == 400
    assert "Datei: bitte eine CSV-Datei wählen" in missing.text


def test_editing_a_training_keeps_the_seats_taken(
    web: TestClient, service: Service, database_url: str
) -> None:
    training, (sun, moon, _) = catalogue(service, capacity=2)
    service.trainings.enrol(training, sun)
    service.trainings.enrol(training, moon)
    path = f"/trainings/{training}/edit"
    data = {"title": "Reflexion I", "date": "2026-09-10", "place": "Gotha", "capacity": "3"}
    assert_action_guarded(web, database_url, path, data, ("coach", "ministry"))
    token = login(web, "office")
    assert 'value="Reflexion &lt;I&gt;"' in web.get(path).text
    refused = web.post(path, data={"csrf_token": token, **data, "capacity": "1"})
    assert refused.status_code == 400
    assert "Plätze: 2 Einrichtungen sind angemeldet; mindestens 2 Plätze nötig" in refused.text
    assert 'value="Gotha"' in refused.text
    done = web.post(path, data={"csrf_token": token, **data})
    assert "Fortbildung geändert." in done.text
    assert service.trainings.enrolments(training)[0].place == "Gotha"
    assert web.get(path.replace("/edit", "")).status_code == 200


def test_calling_a_training_off_after_a_confirmation(
    web: TestClient, service: Service, database_url: str
) -> None:
    training, (sun, moon, _) = catalogue(service, capacity=1)
    service.trainings.enrol(training, sun)
    service.trainings.enrol(training, moon)
    path = f"/trainings/{training}/call-off"
    data = {"reason": "Referentin erkrankt", "confirm": "ja"}
    assert_action_guarded(web, database_url, path, data, ("coach", "ministry"))
    login(web, "coach")
    assert web.get(path).status_code == 403
    token = login(web, "office")
    asked = web.get(path).text
    assert (
        "1 angemeldete Einrichtung und 1 Einrichtung auf der Warteliste werden abgemeldet "
        "und erhalten eine E-Mail mit dem Grund." in asked
    )
    unconfirmed = web.post(path, data={"csrf_token": token, "reason": "Referentin erkrankt"})
    assert unconfirmed.status_code == 400
    assert "Bitte bestätigen: bitte bestätigen Sie die Absage" in unconfirmed.text
    assert 'value="Referentin erkrankt"' in unconfirmed.text
    done = web.post(path, data={"csrf_token": token, **data})
    assert "Fortbildung abgesagt; 2 Einrichtungen werden per E-Mail benachrichtigt." in done.text
    assert "Abgesagt: Referentin erkrankt" in done.text
    assert {e.status for e in service.trainings.enrolments(training)[1]} == {
        ActivityStatus.CANCELLED
    }
    again = web.post(path, data={"csrf_token": token, **data})
    assert again.status_code == 400
    assert "ist abgesagt" in again.text


def test_the_call_off_sentence() -> None:
    assert call_off_effects(0, 0) == "Niemand ist angemeldet; es wird keine E-Mail versandt."
    assert call_off_effects(1, 0) == (
        "1 angemeldete Einrichtung wird abgemeldet und erhält eine E-Mail mit dem Grund."
    )
    assert call_off_effects(3, 2).startswith("3 angemeldete Einrichtungen und 2 Einrichtungen")


# -------------------------------------------------------------------- outbox
def test_reading_a_mail(web: TestClient, service: Service) -> None:
    programme(service)
    mail = next(r for r in service.outbox.rows() if r.rule == "stage_changed")
    login(web, "coach")
    assert web.get(f"/outbox/{mail.id}").status_code == 403
    login(web, "office")
    assert f'<a href="/outbox/{mail.id}">' in web.get("/outbox").text
    page = web.get(f"/outbox/{mail.id}").text
    assert mail.subject in page
    assert "p@example.org (Einrichtung)" in page
    assert "Ihre Einrichtung „Kita Pusteblume“ (Jena) ist seit dem" in page  # the centre's wording
    assert web.get("/outbox/999").status_code == 404


def test_a_sent_mail_cannot_be_retried_in_german(web: TestClient, service: Service) -> None:
    programme(service)
    service.outbox.dispatch()
    sent = next(r for r in service.outbox.rows() if r.status == OutboxStatus.SENT)
    token = login(web, "office")
    refused = web.post(f"/outbox/{sent.id}/retry", data={"csrf_token": token})
    assert refused.status_code == 400
    assert f"Nachricht {sent.id} ist bereits versandt" in refused.text
    assert "ist sent" not in refused.text


def test_sending_now_after_a_confirmation(
    web: TestClient, service: Service, database_url: str
) -> None:
    programme(service)
    due = service.outbox.due()
    assert due == 2  # the stage change's two notices; the failed mail is not due
    assert_action_guarded(web, database_url, "/outbox/send", {"confirm": "ja"}, ("coach",))
    token = login(web, "office")
    assert "2 E-Mails sind fällig und werden jetzt versandt" in web.get("/outbox/send").text
    before = dump(database_url)
    unconfirmed = web.post("/outbox/send", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    assert 'id="confirm-error"' in unconfirmed.text
    assert dump(database_url) == before
    done = web.post("/outbox/send", data={"csrf_token": token, "confirm": "ja"})
    assert "2 versandt, 0 später erneut, 0 fehlgeschlagen." in done.text
    assert service.outbox.due() == 0
    assert "Keine E-Mail ist fällig." in web.get("/outbox/send").text


def test_the_reminder_preview(web: TestClient, service: Service, database_url: str) -> None:
    centre = service.registry.add_centre(
        CentreInput("Kita Sonne", "jena", "s@example.org", coach="1"), date(2026, 6, 1)
    )
    service.lifecycle.advance(centre, "admit", on=date(2026, 6, 1))  # sessions planned
    login(web, "coach")
    assert web.get("/outbox/reminders").status_code == 403
    login(web, "office")
    before = dump(database_url)
    expected = service.reminders.preview_page(60, 0, None)[0]
    assert expected
    page = web.get("/outbox/reminders", params={"days": "60"})
    assert page.status_code == 200
    assert f"Die nächsten 60 Tage ({len(expected)})" in page.text
    _, to, _ = expected[0]
    assert to in page.text
    assert dump(database_url) == before
    wrong = web.get("/outbox/reminders", params={"days": "999"})
    assert wrong.status_code == 400
    assert "Tage: zwischen 1 und 366" in wrong.text
    assert 'value="999"' in wrong.text


def test_the_reminder_preview_a_page_at_a_time(
    web: TestClient, service: Service, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page shows its rows and how many there are in all; only the page's mails are
    rendered; its links keep the days asked for."""
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    for n, name in enumerate(("Kita Sonne", "Kita Mond")):
        centre = service.registry.add_centre(
            CentreInput(name, "jena", f"k{n}@example.org", coach="1"), date(2026, 6, 1)
        )
        service.lifecycle.advance(centre, "admit", on=date(2026, 6, 1))
    expected = service.reminders.preview_page(60, 0, None)[0]
    assert len(expected) > 4
    login(web, "office")
    rendered: list[str] = []
    monkeypatch.setattr(ReminderService, "_mail", _counted(ReminderService._mail, rendered))
    first = web.get("/outbox/reminders", params={"days": "60"})
    assert first.status_code == 200
    assert f"Die nächsten 60 Tage ({len(expected)})" in first.text
    assert len(rendered) == 2
    pages = -(-len(expected) // 2)
    assert f"Seite 1 von {pages}" in first.text
    assert 'href="?days=60&amp;page=2"' in first.text
    second = web.get("/outbox/reminders", params={"days": "60", "page": "2"})
    rows = second.text.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 2
    for _, _, subject in expected[2:4]:
        assert escape(subject) in rows
    beyond = web.get("/outbox/reminders", params={"days": "60", "page": str(pages + 1)})
    assert f"Die Liste hat nur {pages} Seiten." in beyond.text
    wrong = web.get("/outbox/reminders", params={"days": "60", "page": "zwei"})
    assert wrong.status_code == 400
    assert "Seite:" in wrong.text
    assert "<tbody>" not in wrong.text


def _counted(function: Callable[..., Any], calls: list[str]) -> Callable[..., Any]:
    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append("rendered")
        return function(*args, **kwargs)

    return counting


# -------------------------------------------------------------------- digest
@pytest.fixture
def digests(service: Service, tmp_path: Path) -> Path:
    service.runtime.digest = DigestSettings(dir=tmp_path / "digests")
    programme(service)
    return service.runtime.digest.dir


def test_sending_the_digest_by_hand(
    web: TestClient, service: Service, database_url: str, digests: Path
) -> None:
    path = "/digests/2025/send"
    assert_action_guarded(web, database_url, path, {"confirm": "ja"}, ("coach", "ministry"))
    login(web, "ministry")
    assert web.get(path).status_code == 403
    assert "/send" not in web.get("/digests").text
    token = login(web, "office")
    assert 'href="/digests/2025/send"' in web.get("/digests").text
    assert "Er wird nur einmal versandt." in web.get(path).text
    unconfirmed = web.post(path, data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    done = web.post(path, data={"csrf_token": token, "confirm": "ja"})
    assert "Jahresbericht 2025 in den Postausgang gestellt" in done.text
    assert service.digest.sent(2025)
    again = web.post(path, data={"csrf_token": token, "confirm": "ja"})
    assert again.status_code == 400
    assert "Der Jahresbericht 2025 wurde bereits an das Ministerium versandt" in again.text
    assert web.get(path).status_code == 400
    this_year = web.get("/digests/2026/send")  # today is in 2026
    assert this_year.status_code == 400
    assert "geht erst nach dem Ende des Jahres" in this_year.text


def test_a_digest_is_not_queued_when_mail_cannot_be_sent(
    web: TestClient, service: Service, digests: Path
) -> None:
    """Without a sender the page says so, and the digest does not wait in the outbox (the
    office would read "bereits versandt" the next time)."""
    service.runtime.mail = replace(service.runtime.mail, sender=None)
    token = login(web, "office")
    refused = web.post("/digests/2025/send", data={"csrf_token": token, "confirm": "ja"})
    assert refused.status_code == 400
    assert "Pflichtangabe fehlt für den Versand" in refused.text
    assert not service.digest.sent(2025)
    assert not [r for r in service.outbox.rows() if r.rule == "digest"]


def test_the_digests_page_tells_a_digest_waiting_in_the_outbox_from_a_sent_one(
    web: TestClient, service: Service, clock: FrozenClock, digests: Path
) -> None:
    """Sent on a Saturday, the digest waits in the outbox for Monday: the page says when it
    goes out and links to the message, not "gesendet"; once it went out, it says so."""
    service.runtime.mail = replace(service.runtime.mail, ministry="ministerium@example.org")
    clock.set(noon(date(2026, 6, 13), BERLIN))  # a Saturday
    token = login(web, "office")
    queued = web.post("/digests/2025/send", data={"csrf_token": token, "confirm": "ja"})
    assert "Jahresbericht 2025 in den Postausgang gestellt" in queued.text
    (mail,) = [r for r in service.outbox.rows() if r.rule == "digest"]
    assert mail.status == OutboxStatus.PENDING
    when = german.date_time(mail.next_attempt_at, BERLIN)
    waiting = _digest_cell(web, 2025)
    assert f"im Postausgang: er geht am {when} an das Ministerium (nächster Arbeitstag)" in waiting
    assert f'href="/outbox/{mail.id}"' in waiting
    assert "Stand wie erfasst am 13.06.2026" in waiting
    assert "gesendet" not in waiting
    clock.set(mail.next_attempt_at)
    service.outbox.dispatch()
    assert [r.status for r in service.outbox.rows() if r.rule == "digest"] == [OutboxStatus.SENT]
    login(web, "office")  # two days on: signed in again
    sent = _digest_cell(web, 2025)
    assert "gesendet wie erfasst am 13.06.2026" in sent
    assert "im Postausgang" not in sent


def test_the_digests_page_says_a_digest_without_an_address_was_not_delivered(
    web: TestClient, service: Service, digests: Path
) -> None:
    """Without the ministry's address the digest's mail fails at once: the page says so and
    links to the message, not "gesendet". With the address set, the message is sent again
    from there, and the page says it went out."""
    service.runtime.mail = replace(service.runtime.mail, ministry=None)
    token = login(web, "office")
    web.post("/digests/2025/send", data={"csrf_token": token, "confirm": "ja"})
    (mail,) = [r for r in service.outbox.rows() if r.rule == "digest"]
    assert mail.status == OutboxStatus.FAILED
    failed = _digest_cell(web, 2025)
    assert "im Postausgang: der Versand ist endgültig fehlgeschlagen (" in failed
    assert f'href="/outbox/{mail.id}"' in failed
    assert "gesendet" not in failed
    service.runtime.mail = replace(service.runtime.mail, ministry="ministerium@example.org")
    message = web.get(f"/outbox/{mail.id}").text
    assert f'action="/outbox/{mail.id}/retry"' in message
    again = web.post(f"/outbox/{mail.id}/retry", data={"csrf_token": token})
    assert again.status_code == 200
    assert "wird erneut versandt" in again.text
    service.outbox.dispatch()
    (resent,) = [r for r in service.outbox.rows() if r.rule == "digest"]
    assert (resent.status, resent.recipient) == (OutboxStatus.SENT, "ministerium@example.org")
    assert "gesendet wie erfasst am" in _digest_cell(web, 2025)


def _digest_cell(web: TestClient, year: int) -> str:
    """The digests page's cell of ``year`` for the ministry."""
    page = web.get("/digests")
    assert page.status_code == 200
    row = page.text.split(f"<td>{year}", 1)[1].split("</tr>", 1)[0]
    return row.rsplit("<td>", 1)[1]


# --------------------------------------------------------------- stage batch
def test_the_steps_in_german(service: Service) -> None:
    workflow = service.workflow
    assert german_steps("'deepen' abgelehnt: zu früh", workflow) == (
        "„Wechsel in die Vertiefungsbegleitung“ abgelehnt: zu früh"
    )
    assert german_steps(
        "'deepen' ist in der Stufe Interessent nicht möglich (möglich: admit, withdraw)", workflow
    ) == (
        "„Wechsel in die Vertiefungsbegleitung“ ist in der Stufe Interessent nicht möglich "
        "(möglich: Aufnahme in die Basisbegleitung, Ausscheiden)"
    )
    assert german_steps("'Kita' heißt so", workflow) == "'Kita' heißt so"


def test_a_stage_change_of_several_centres(
    web: TestClient, service: Service, database_url: str
) -> None:
    programme(service)  # centre 1 admitted with a coach, 2 with a coach, 3 without
    data = {"trigger": "admit", "centre": ["2", "3"], "centre_note": "Willkommen!"}
    assert_action_guarded(web, database_url, "/centres/advance", {"trigger": "admit"}, ("coach",))
    token = login(web, "office")
    listing = web.get("/centres").text
    assert 'aria-label="Kita Löwenzahn auswählen"' in listing
    before = dump(database_url)
    asked = web.post("/centres/advance", data={"csrf_token": token, **data})
    assert asked.status_code == 200
    assert "Stufenwechsel bestätigen" in asked.text
    assert "Kita Regenbogen</a>: „Aufnahme in die Basisbegleitung“ abgelehnt" in asked.text
    assert dump(database_url) == before
    done = web.post("/centres/advance", data={"csrf_token": token, **data, "confirmed": "ja"})
    assert "1 Einrichtungen gewechselt, 1 übersprungen." in done.text
    assert "Kita Löwenzahn</a>: Interessent → Basisbegleitung ab" in done.text
    assert "keine Prozessbegleitung zugeordnet" in done.text
    assert [(c.to_stage, c.centre_note) for c in service.lifecycle.history(2)] == [
        ("basisbegleitung", "Willkommen!")
    ]


def test_a_batch_of_a_whole_stage_and_its_refusals(
    web: TestClient, service: Service, database_url: str
) -> None:
    programme(service)
    token = login(web, "office")
    before = dump(database_url)
    nothing = web.post("/centres/advance", data={"csrf_token": token, "trigger": "admit"})
    assert nothing.status_code == 400
    assert "keine Einrichtung angegeben" in nothing.text
    assert 'name="trigger"' in nothing.text  # the form again
    empty = {"csrf_token": token, "trigger": "deepen", "all_in_stage": "vertiefungsbegleitung"}
    none_there = web.post("/centres/advance", data=empty)
    assert none_there.status_code == 400
    assert "keine Einrichtung in der Stufe" in none_there.text
    whole = {"csrf_token": token, "trigger": "pause", "all_in_stage": "basisbegleitung"}
    asked = web.post("/centres/advance", data=whole)
    assert "Pausieren: Basisbegleitung → Pausiert" in asked.text
    assert '<input type="hidden" name="all_in_stage" value="basisbegleitung">' in asked.text
    assert dump(database_url) == before
