"""The workflow file: the shipped one loads; broken ones fail naming file and key."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.core.labels import mail_kind_name
from thekiz_flow.core.model import REMEMBERED, Workflow
from thekiz_flow.mail.render import Renderer
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.graph import mermaid
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW, SHIPPED_TEMPLATES

SHIPPED = DEFAULT_WORKFLOW.read_text(encoding="utf-8")


def test_shipped_workflow_has_the_programme(workflow: Workflow) -> None:
    assert list(workflow.stages) == [
        "interessent",
        "basisbegleitung",
        "vertiefungsbegleitung",
        "konsultationseinrichtung",
        "pausiert",
        "ausgeschieden",
    ]
    assert workflow.stage("basisbegleitung").budget_per_year == Decimal(5000)
    assert workflow.stage("vertiefungsbegleitung").budget_per_year == Decimal(2500)
    basis = workflow.stage("basisbegleitung").coaching
    assert basis is not None
    assert (basis.every_months, basis.for_months, basis.hours_min, basis.hours_max) == (
        1,
        24,
        Decimal(2),
        Decimal(5),
    )
    assert len(workflow.districts) == 22
    deepen = workflow.transitions["deepen"]
    assert [(g.name, dict(g.params)) for g in deepen.guards] == [
        ("min_months_in_stage", {"months": 24}),
        ("site_visit_held", {}),
    ]
    assert workflow.transitions["resume"].dest == REMEMBERED
    assert set(workflow.transitions["pause"].sources) == {
        "basisbegleitung",
        "vertiefungsbegleitung",
        "konsultationseinrichtung",
    }
    assert "ausgeschieden" not in workflow.transitions["withdraw"].sources


def test_mermaid_graph_has_every_transition(workflow: Workflow) -> None:
    graph = mermaid(workflow)
    assert graph.startswith("stateDiagram-v2\n")
    assert "basisbegleitung --> vertiefungsbegleitung: deepen [mindestens 24 Monate" in graph
    assert "pausiert --> konsultationseinrichtung: resume" in graph
    assert "ausgeschieden --> [*]" in graph


def write(tmp_path: Path, text: str, templates: bool = True) -> Path:
    if templates:
        shutil.copytree(SHIPPED_TEMPLATES, tmp_path / "templates")
    path = tmp_path / "workflows" / "broken.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


BROKEN = [
    # (what is replaced, by what, the key the error must name, words it must say)
    (
        'to = "vertiefungsbegleitung"\nforward',
        'to = "vertiefung"\nforward',
        "transitions.deepen.to",
        "unbekannte Stufe 'vertiefung'",
    ),
    ('from = "interessent"', 'from = "bewerber"', "transitions.admit.from", "unbekannte Stufe"),
    (
        '{ name = "site_visit_held" },\n]\n\n[transitions.renew]',
        '{ name = "site_visited" },\n]\n\n[transitions.renew]',
        "transitions.deepen.guards[1].name",
        "unbekannte Bedingung 'site_visited'",
    ),
    (
        '{ name = "min_months_in_stage", months = 24 }',
        '{ name = "min_months_in_stage", months = 0 }',
        "transitions.deepen.guards[0].months",
        "muss mindestens 1 sein",
    ),
    (
        '{ name = "min_months_in_stage", months = 24 }',
        '{ name = "min_months_in_stage" }',
        "transitions.deepen.guards[0].months",
        "Pflichtangabe fehlt",
    ),
    (
        '{ name = "min_months_in_stage", months = 24 }',
        '{ name = "min_months_in_stage", months = 24, weeks = 2 }',
        "transitions.deepen.guards[0].weeks",
        "unbekannter Schlüssel",
    ),
    (
        "budget_per_year = 5000",
        "budget_per_year = -5000",
        "stages.basisbegleitung.budget_per_year",
        "ungültige Zahl -5000",
    ),
    (
        "budget_per_year = 2500",
        'budget_per_year = "viel"',
        "stages.vertiefungsbegleitung.budget_per_year",
        "muss eine Zahl sein",
    ),
    (
        "every_months = 1, for_months = 24, hours = 3,",
        "every_months = 1, for_months = 24, hours = 9,",
        "stages.basisbegleitung.coaching.hours",
        "nicht zwischen hours_min und hours_max",
    ),
    (
        'notify = "stage_changed"\nguards = [{ name = "coach_assigned" }]',
        'notify = "aufnahme"\nguards = [{ name = "coach_assigned" }]',
        "transitions.admit.notify",
        "Vorlage 'aufnahme' fehlt",
    ),
    ('initial = "interessent"', 'initial = "kita"', "workflow.initial", "unbekannte Stufe 'kita'"),
    (
        'name = "Ausgeschieden"\nfinal = true',
        'name = "Ausgeschieden"\nfinal = true\ncolour = "red"',
        "stages.ausgeschieden.colour",
        "unbekannter Schlüssel",
    ),
    ('"Gera", "Jena"', '"Gera", "Gera"', "programme.districts", "doppelt"),
    ("remember = true\n", "", "transitions.resume.to", "remember = true"),
    ('from = "pausiert"', 'from = "ausgeschieden"', "transitions.resume.from", "Endstufe"),
    ('name = "Pausiert"', 'name = ""', "stages.pausiert.name", "nicht leerer Text"),
    (
        "forward = true\nnotify",
        "forward = 1\nnotify",
        "transitions.admit.forward",
        "true oder false",
    ),
    ('label = "Pausieren"\n', "", "transitions.pause.label", "Pflichtangabe fehlt"),
    ('label = "Verlängerung fällig"\n', 'label = " "\n', "reminders[8].label", "nicht leerer"),
]


@pytest.mark.parametrize(("old", "new", "key", "words"), BROKEN, ids=[b[2] for b in BROKEN])
def test_broken_workflow_names_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, words: str
) -> None:
    assert old in SHIPPED, "the test no longer matches the shipped file"
    path = write(tmp_path, SHIPPED.replace(old, new, 1))
    with pytest.raises(WorkflowError) as error:
        load_workflow(path)
    message = str(error.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert words in message


def test_missing_templates_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED, templates=False)
    with pytest.raises(WorkflowError, match=r"transitions\.admit\.notify: Vorlage 'stage_changed'"):
        load_workflow(path)


def test_the_names_people_read_come_from_the_file(tmp_path: Path) -> None:
    renamed = SHIPPED.replace('label = "Pausieren"', 'label = "Ruhen lassen"', 1)
    workflow = load_workflow(write(tmp_path, renamed.replace("Verlängerung fällig", "Jahr um")))
    assert workflow.step_name("pause") == "Ruhen lassen"
    assert mail_kind_name(workflow, "renewal_due") == "Jahr um"
    assert mail_kind_name(workflow, "stage_changed") == "Stufenwechsel"  # the service's own
    centre = {"id": 3, "name": "Kita A", "district": "Gera", "title": "Kita A (Gera)"}
    mail = Renderer(workflow.templates_dir, workflow.step_name).render(
        "eligible",
        {
            "centre": centre,
            "trigger": "pause",
            "stage": workflow.stage("basisbegleitung"),
            "next_stage": workflow.stage("pausiert"),
        },
        "office",
    )
    assert "„Ruhen lassen“" in mail.text


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[workflow\nname=")
    with pytest.raises(WorkflowError, match="kein gültiges TOML"):
        load_workflow(path)
    with pytest.raises(WorkflowError, match="Datei nicht gefunden"):
        load_workflow(tmp_path / "nope.toml")


def test_a_valid_copy_loads(tmp_path: Path) -> None:
    loaded = load_workflow(write(tmp_path, SHIPPED))
    assert loaded.templates_dir == (tmp_path / "templates").resolve()
