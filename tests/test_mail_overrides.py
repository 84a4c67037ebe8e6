"""The office's own mail templates: an override in [mail] templates_dir wins over the
packaged template of its name, is picked up while the process runs, runs sandboxed, and a
broken one fails only its own mails (visibly, in the outbox); `templates check` finds it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cli_helpers import Run
from tests.conftest import CLI_CONFIG, file_mail
from tests.test_mail import CONTEXTS
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.core.model import CentreInput
from thekiz_flow.mail.render import Renderer
from thekiz_flow.service import Service
from thekiz_flow.workflow.config import MailSettings
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW, SHIPPED_TEMPLATES

PACKAGED = SHIPPED_TEMPLATES / "mail"
CONTEXT = CONTEXTS["stage_changed"]
STEPS = load_workflow(DEFAULT_WORKFLOW).step_name
OWN = "{% set subject %}Neue Stufe: {{ centre.title }}{% endset -%}\nLiebes Team\n"


def test_an_override_wins_over_the_packaged_template(tmp_path: Path) -> None:
    (tmp_path / "stage_changed.txt.j2").write_text(OWN, encoding="utf-8")
    renderer = Renderer(SHIPPED_TEMPLATES, STEPS, overrides=tmp_path)
    rendered = renderer.render("stage_changed", CONTEXT, "centre")
    assert (rendered.subject, rendered.text) == (
        "Neue Stufe: Kita Pusteblume (Gotha)",
        "Liebes Team\n",
    )
    packaged = Renderer(SHIPPED_TEMPLATES, STEPS).render("stage_changed", CONTEXT, "centre")
    assert rendered.html == packaged.html  # no override of the HTML part: the packaged one
    office = renderer.render("stage_changed", CONTEXT, "office")  # the office's own wording
    assert office == Renderer(SHIPPED_TEMPLATES, STEPS).render("stage_changed", CONTEXT, "office")


def test_an_override_is_picked_up_when_it_appears_changes_and_goes(tmp_path: Path) -> None:
    renderer = Renderer(SHIPPED_TEMPLATES, STEPS, overrides=tmp_path)
    packaged = renderer.render("stage_changed", CONTEXT, "centre")
    own = tmp_path / "stage_changed.txt.j2"
    own.write_text(OWN, encoding="utf-8")
    assert renderer.render("stage_changed", CONTEXT, "centre").text == "Liebes Team\n"
    own.write_text(OWN.replace("Liebes Team", "Hallo zusammen, liebes Team"), encoding="utf-8")
    assert renderer.render("stage_changed", CONTEXT, "centre").text == (
        "Hallo zusammen, liebes Team\n"
    )
    own.unlink()
    assert renderer.render("stage_changed", CONTEXT, "centre") == packaged


def test_an_override_runs_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "stage_changed.txt.j2").write_text(
        OWN + "{{ centre.title.__class__.__mro__ }}\n", encoding="utf-8"
    )
    with pytest.raises(WorkflowError, match="unsafe"):
        Renderer(SHIPPED_TEMPLATES, STEPS, overrides=tmp_path).render(
            "stage_changed", CONTEXT, "centre"
        )


@pytest.fixture
def mail(tmp_path: Path) -> MailSettings:
    return replace(file_mail(tmp_path / "mail"), templates_dir=tmp_path / "overrides")


def test_a_broken_override_fails_its_mails_visibly_and_stops_no_other(
    service: Service, tmp_path: Path
) -> None:
    folder = tmp_path / "overrides"
    folder.mkdir()
    (folder / "stage_changed.txt.j2").write_text(OWN + "{{ nosuch }}\n", encoding="utf-8")
    on = date(2024, 1, 8)
    coach = service.registry.add_coach("Erika Beispiel", "erika@example.org", "60")
    centre = service.registry.add_centre(
        CentreInput("Kita Sonnenblume", "jena", "s@example.org", coach=str(coach)), on
    )
    service.lifecycle.advance(centre, "admit", on=on + timedelta(days=7))
    with service.runtime.unit() as repo:
        rows = {r.role: r for r in repo.outbox.find() if r.rule == "stage_changed"}
    assert rows[Recipient.CENTRE].status == OutboxStatus.FAILED
    assert rows[Recipient.CENTRE].last_error == (
        "Mail-Vorlage 'stage_changed': unbekannte Variable „nosuch“ "
        "– bitte die Mailvorlage korrigieren"
    )
    assert rows[Recipient.OFFICE].status == OutboxStatus.PENDING  # its own, intact wording


def test_templates_check_finds_a_broken_override(ready: Run, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        CLI_CONFIG + 'templates_dir = "overrides"\n', encoding="utf-8"
    )
    folder = tmp_path / "overrides"
    folder.mkdir()
    html = (PACKAGED / "stage_changed.html.j2").read_text(encoding="utf-8")
    (folder / "stage_changed.txt.j2").write_text(OWN, encoding="utf-8")
    (folder / "stage_changed.html.j2").write_text(html, encoding="utf-8")
    good = ready("templates", "check")
    assert (good.code, good.err) == (0, "")
    assert "in Ordnung" in good.out
    listed = ready("templates", "list")
    assert "stage_changed\teigene Fassung\tan Einrichtung" in listed.out
    (folder / "stage_changed.html.j2").write_text("<p>{{ centre.leitung }}</p>\n", encoding="utf-8")
    (folder / "stage_chnaged.txt.j2").write_text(OWN, encoding="utf-8")
    broken = ready("templates", "check")
    assert broken.code == 2
    assert "stage_changed.html.j2: Zeile 1: unbekanntes Feld „leitung“" in broken.err
    assert "stage_chnaged.txt.j2: zu keiner Mailvorlage gehörig (Dateiname prüfen)" in broken.err
    assert "Fehler: 2 fehlerhafte Mailvorlage(n) in" in broken.err
    (folder / "stage_changed.html.j2").unlink()
    (folder / "stage_chnaged.txt.j2").unlink()
    (folder / "_layout.html.j2").write_text("{{ gruss }}\n{% block body %}{% endblock %}\n")
    shared = ready("templates", "check")
    assert shared.code == 2
    assert "eligible.html.j2: _layout.html.j2, Zeile 1: unbekannte Variable „gruss“" in shared.err
