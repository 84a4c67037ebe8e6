"""The office edits the mail texts in the browser: the list, the editor with a preview on a
real case, saving (refused before anything is written if the template does not render) and
going back to the packaged wording."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from tests.conftest import TODAY, file_mail
from tests.test_web_overview import ON, programme
from tests.web_helpers import login
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.model import CentreInput, ReminderRule
from thekiz_flow.core.reminders import Due
from thekiz_flow.service import Service
from thekiz_flow.service.reminders import ReminderService
from thekiz_flow.store.budget_percents import BudgetPercents
from thekiz_flow.store.repository import Repository
from thekiz_flow.workflow.config import MailSettings
from thekiz_flow.workflow.paths import SHIPPED_TEMPLATES

PACKAGED = SHIPPED_TEMPLATES / "mail"
Rules = Iterable[ReminderRule] | None
Dues = list[Due]
PAGE = "/mail-templates/stage_changed"  # the centre's wording (the office has its own)


@pytest.fixture
def mail(tmp_path: Path) -> MailSettings:
    return replace(file_mail(tmp_path / "mail"), templates_dir=tmp_path / "overrides")


@pytest.fixture
def overrides(service: Service) -> Path:
    programme(service)  # Kita Pusteblume (Jena) was admitted: a real stage change
    folder = service.runtime.mail.templates_dir
    assert folder is not None
    return folder


def packaged(file: str) -> str:
    return (PACKAGED / file).read_text(encoding="utf-8")


def edited_text() -> str:
    return packaged("stage_changed.txt.j2").replace("Guten Tag", "Liebes Team", 1)


def test_the_list_names_each_mail_by_when_it_is_sent(web: TestClient, overrides: Path) -> None:
    login(web, "office")
    page = web.get("/mail-templates")
    assert page.status_code == 200
    assert 'href="/mail-templates" aria-current="page">Mailvorlagen</a>' in page.text
    assert "Hinweis auf einen Begleittermin: 7 Tage vor einem Begleittermin</td>" in (page.text)
    assert "Stufenwechsel: bei jedem Schritt (Aufnahme in die Basisbegleitung," in page.text
    assert 'href="/mail-templates/stage_changed.office"' in page.text
    assert "eigene Fassung</strong>" not in page.text
    for internal in ("session_upcoming</td>", "deepen", "vertiefungsbegleitung"):
        assert internal not in page.text


def test_only_the_office_edits_mail_texts(web: TestClient, overrides: Path) -> None:
    login(web, "coach")
    assert web.get("/mail-templates").status_code == 403
    assert web.get(PAGE).status_code == 403


def test_an_unknown_template_is_not_found(web: TestClient, overrides: Path) -> None:
    login(web, "office")
    assert web.get("/mail-templates/no_such_mail").status_code == 404
    assert web.get("/mail-templates/stage_changed.ministry").status_code == 404


@pytest.mark.backends("sqlite", "postgresql")
def test_the_preview_shows_a_real_case(web: TestClient, service: Service, overrides: Path) -> None:
    later = CentreInput(
        "Kita Regenbogen",
        "Gotha",
        "r@example.org",
        stage="basisbegleitung",
        stage_since="2024-02-01",
    )
    service.registry.add_centre(later, ON)  # a centre taken in later: no step, no mail
    login(web, "office")
    page = web.get(PAGE)
    assert page.status_code == 200
    assert "Stufenwechsel von Kita Pusteblume (Jena)" in page.text
    assert (
        "Stufenwechsel: Kita Pusteblume (Jena) ist jetzt in der Stufe Basisbegleitung" in page.text
    )
    assert "Beispieldaten" not in page.text
    assert str(escape(packaged("stage_changed.txt.j2"))) in page.text  # the text to edit


def test_without_a_case_the_preview_says_it_shows_sample_data(
    web: TestClient, overrides: Path
) -> None:
    login(web, "office")
    page = web.get("/mail-templates/watchdog")
    assert page.status_code == 200
    assert "Beispieldaten: in der Datenbank gibt es noch keinen passenden Fall." in page.text


def test_the_preview_of_an_edit_writes_nothing(web: TestClient, overrides: Path) -> None:
    token = login(web, "office")
    data = {"txt": edited_text(), "html": packaged("stage_changed.html.j2"), "csrf_token": token}
    page = web.post(PAGE + "/preview", data=data)
    assert page.status_code == 200
    assert "Liebes Team" in page.text
    assert not overrides.exists() or not list(overrides.iterdir())


def test_saving_writes_the_override_and_the_mails_use_it(
    web: TestClient, service: Service, overrides: Path
) -> None:
    token = login(web, "office")
    data = {"txt": edited_text(), "html": packaged("stage_changed.html.j2"), "csrf_token": token}
    saved = web.post(PAGE, data=data, follow_redirects=False)
    assert saved.status_code == 303
    assert (overrides / "stage_changed.txt.j2").read_text(encoding="utf-8") == edited_text()
    assert not (overrides / "stage_changed.html.j2").exists()  # unchanged: the packaged one
    assert not list(overrides.glob(".*.tmp"))
    page = web.get(saved.headers["location"])
    assert "Mailvorlage gespeichert." in page.text
    assert "eigene Fassung der Fachstelle" in page.text
    assert "geändert von " in page.text
    listed = web.get("/mail-templates").text
    assert "eigene Fassung</strong>" in listed
    centre = service.registry.add_centre(
        CentreInput("Kita Sonnenblume", "jena", "s@example.org", coach="1"), ON
    )
    service.lifecycle.advance(centre, "admit", on=ON + timedelta(days=7))
    with service.runtime.unit() as repo:
        rows = [
            r for r in repo.outbox.find() if r.rule == "stage_changed" and r.centre_id == centre
        ]
        texts = {row.role: repo.outbox.text(row.id) for row in rows}
    centre_mail, office_mail = texts[Recipient.CENTRE], texts[Recipient.OFFICE]
    assert centre_mail is not None
    assert office_mail is not None
    assert "Liebes Team" in centre_mail.text
    assert "Liebes Team" not in office_mail.text  # the office's own wording is another file


def test_saving_refuses_an_undefined_variable_and_writes_nothing(
    web: TestClient, overrides: Path
) -> None:
    token = login(web, "office")
    broken = edited_text() + "{{ centre.leitung }}\n"
    data = {"txt": broken, "html": packaged("stage_changed.html.j2"), "csrf_token": token}
    page = web.post(PAGE, data=data)
    assert page.status_code == 400
    line = broken.count("\n")
    assert f'id="txt-error">Zeile {line}: unbekanntes Feld „leitung“</p>' in page.text
    assert "Liebes Team" in page.text  # what was typed is kept
    assert not (overrides / "stage_changed.txt.j2").exists()


def test_saving_refuses_a_syntax_error_beside_the_html_field(
    web: TestClient, overrides: Path
) -> None:
    token = login(web, "office")
    data = {"txt": edited_text(), "html": "<p>{% if centre %}</p>\n", "csrf_token": token}
    page = web.post(PAGE, data=data)
    assert page.status_code == 400
    assert 'id="html-error">Zeile 1: Syntaxfehler: der Block „if“ wird nicht geschlossen' in (
        page.text
    )
    assert not overrides.exists() or not list(overrides.iterdir())


def test_an_unchanged_override_stays_when_an_edit_is_refused(
    web: TestClient, overrides: Path
) -> None:
    overrides.mkdir()
    own = overrides / "stage_changed.txt.j2"
    own.write_text(edited_text(), encoding="utf-8")
    token = login(web, "office")
    data = {"txt": "{{ nosuch }}", "html": packaged("stage_changed.html.j2"), "csrf_token": token}
    page = web.post(PAGE, data=data)
    assert page.status_code == 400
    assert "unbekannte Variable „nosuch“" in page.text
    assert own.read_text(encoding="utf-8") == edited_text()


def test_resetting_deletes_the_override_after_a_confirmation(
    web: TestClient, overrides: Path
) -> None:
    token = login(web, "office")
    data = {"txt": edited_text(), "html": packaged("stage_changed.html.j2"), "csrf_token": token}
    assert web.post(PAGE, data=data, follow_redirects=False).status_code == 303
    assert f'href="{PAGE}/reset"' in web.get(PAGE).text
    assert "Auf Standard zurücksetzen" in web.get(PAGE + "/reset").text
    unconfirmed = web.post(PAGE + "/reset", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    assert "bitte bestätigen Sie das Zurücksetzen" in unconfirmed.text
    assert (overrides / "stage_changed.txt.j2").exists()
    (overrides / "stage_changed.html.j2").write_text("<p>Hallo</p>\n", encoding="utf-8")
    done = web.post(PAGE + "/reset", data={"csrf_token": token, "confirm": "ja"})
    assert "Die Standardfassung gilt wieder." in done.text
    assert not (overrides / "stage_changed.txt.j2").exists()
    assert not (overrides / "stage_changed.html.j2").exists()
    assert "auf Standard zurückgesetzt von" in done.text


def test_without_a_directory_the_page_says_how_to_set_it_up(
    web: TestClient, service: Service, overrides: Path
) -> None:
    service.runtime.mail = replace(service.runtime.mail, templates_dir=None)
    token = login(web, "office")
    assert "[mail] templates_dir" in web.get("/mail-templates").text
    page = web.get(PAGE)
    assert "[mail] templates_dir" in page.text
    assert ">Speichern</button>" not in page.text
    assert " readonly" in page.text
    data = {"txt": edited_text(), "html": packaged("stage_changed.html.j2"), "csrf_token": token}
    refused = web.post(PAGE, data=data)
    assert refused.status_code == 400
    assert not overrides.exists()


def test_saving_the_packaged_wording_again_ends_the_override(
    web: TestClient, overrides: Path
) -> None:
    overrides.mkdir()
    (overrides / "stage_changed.txt.j2").write_text(edited_text(), encoding="utf-8")
    token = login(web, "office")
    data = {
        "txt": packaged("stage_changed.txt.j2").replace("\n", "\r\n"),  # as a browser sends it
        "html": packaged("stage_changed.html.j2"),
        "csrf_token": token,
    }
    assert web.post(PAGE, data=data, follow_redirects=False).status_code == 303
    assert not (overrides / "stage_changed.txt.j2").exists()
    assert "eigene Fassung</strong>" not in web.get("/mail-templates").text


@pytest.mark.backends("sqlite", "postgresql")
def test_a_reminder_s_preview_is_the_occurrence_closest_to_today(
    web: TestClient, overrides: Path
) -> None:
    login(web, "office")
    page = web.get("/mail-templates/visit_upcoming")  # the centre's wording
    assert page.status_code == 200
    assert (
        "Hinweis auf einen Einrichtungsbesuch für Kita Pusteblume (Jena), fällig am 15.06.2026"
        in (page.text)
    )
    assert "Beispieldaten" not in page.text


def test_a_reminder_s_preview_looks_at_the_nearest_days_first(
    web: TestClient, service: Service, overrides: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case within a day of today is found by reading that day alone, not two months of
    every reminder; with none near, the wider spans find the nearest."""
    spans: list[tuple[float, list[str]]] = []
    around = ReminderService.around

    def spied(self: ReminderService, repo: Repository, days: float, rules: Rules = None) -> Dues:
        spans.append((days, [r.id for r in rules or ()]))
        return around(self, repo, days, rules)

    monkeypatch.setattr(ReminderService, "around", spied)
    login(web, "office")
    page = web.get("/mail-templates/visit_upcoming")
    assert "fällig am 15.06.2026" in page.text
    assert spans == [(1, ["visit_upcoming"])]
    spans.clear()
    clock = service.runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(days=5))
    login(web, "office")  # the sign-in of five days ago has expired
    later = web.get("/mail-templates/visit_upcoming")
    assert "fällig am 15.06.2026" in later.text, later.text
    assert [days for days, _ in spans] == [1, 7]


def test_a_budget_rule_s_preview_is_a_real_crossing_of_a_centre_just_over_it(
    web: TestClient, service: Service, overrides: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of a budget rule, the real case is a crossing of one of the few centres whose
    spending is just over the rule's percentage (kept on write, figured again for what was
    recorded since the start page figured them), not of every centre."""
    (centre,) = [c.id for c in service.registry.centres() if c.name == "Kita Pusteblume"]
    login(web, "office")  # its start page figures the percents: none over 80 %
    for days in range(1, 9):  # 64 hours this year: more than 80 % of its budget so far
        service.sessions.record(f"E{centre}", TODAY - timedelta(days=days), "8")
    read: list[int] = []
    just_over = BudgetPercents.just_over

    def spied(self: BudgetPercents, at_least: int, limit: int) -> list[int]:
        found = just_over(self, at_least, limit)
        read.extend(found)
        return found

    monkeypatch.setattr(BudgetPercents, "just_over", spied)
    page = web.get("/mail-templates/budget_threshold")
    assert "Budget zu 80 % verbraucht für Kita Pusteblume (Jena)" in page.text, page.text
    assert read == [centre]
