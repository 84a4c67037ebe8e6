"""Load and validate a workflow file (``workflows/*.toml``) into a :class:`Workflow`.

Every error names the file and the key and, where it helps, what would have been valid.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from holidays import country_holidays

from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.core.guards import GUARDS
from thekiz_flow.core.model import (
    REMEMBERED,
    AnnualClosure,
    CoachingRule,
    GuardSpec,
    Stage,
    TrainingRule,
    Transition,
    Workflow,
)
from thekiz_flow.core.rules import remembered_stages
from thekiz_flow.workflow.reminder_rules import load_reminders
from thekiz_flow.workflow.tomlread import TomlTable, load_toml

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAIL_PARTS = ("txt", "html")


def load_workflow(path: Path) -> Workflow:
    root = TomlTable(load_toml(path, WorkflowError), str(path), WorkflowError)
    head = root.table("workflow", required=True)
    name, title = head.text("name"), head.text("title")
    initial = head.text("initial")
    templates_dir = (path.parent / head.text("templates", "../templates")).resolve()
    head.finish()
    programme = root.table("programme", required=True)
    districts = programme.texts("districts")
    if len({d.casefold() for d in districts}) != len(districts):
        programme.fail("districts", "enthält einen Kreis doppelt")
    programme.finish()

    kinds_table = root.table("training_kinds", required=True)
    training_kinds = {kind: kinds_table.text(kind) for kind in kinds_table.data}
    holidays, closures = _calendar(root.table("calendar", required=True))
    planning = root.table("planning")
    coach_max = planning.number("coach_max_hours_per_month", 40, minimum=1)
    planning.finish()
    stages = {
        sid: _stage(sid, table, training_kinds)
        for sid, table in root.subtables("stages", True).items()
    }
    if initial not in stages:
        head.fail("initial", _unknown_stage(initial, stages))
    send_at, reminders = load_reminders(root)
    transitions_table = root.table("transitions", required=True)
    transitions = {
        trigger: _transition(trigger, transitions_table.table(trigger, True), stages)
        for trigger in transitions_table.data
    }
    root.finish()
    workflow = Workflow(
        name=name,
        title=title,
        initial=initial,
        stages=stages,
        transitions=transitions,
        districts=districts,
        templates_dir=templates_dir,
        source=path,
        holidays=holidays,
        closures=closures,
        training_kinds=training_kinds,
        coach_max_hours_per_month=coach_max,
        reminders=reminders,
        send_at=send_at,
    )
    _check_templates(workflow, root)
    for table, rule in zip(root.table_list("reminders"), workflow.reminders, strict=True):
        if rule.stage is not None and rule.stage not in stages:
            table.fail("stage", _unknown_stage(rule.stage, stages))
    _check_remembered(workflow, transitions_table)
    return workflow


def _unknown_stage(stage_id: str, stages: dict[str, Stage]) -> str:
    return f"unbekannte Stufe {stage_id!r} (bekannt: {', '.join(stages)})"


def _month_day(table: TomlTable, name: str) -> tuple[int, int]:
    text = table.text(name)
    match = re.fullmatch(r"(\d\d)-(\d\d)", text)
    try:
        if match is None:
            raise ValueError(text)
        month, day = int(match.group(1)), int(match.group(2))
        date(2024, month, day)  # a leap year: 02-29 is a valid closure day
    except ValueError:
        table.fail(name, f"ungültiger Tag {text!r} (Format MM-TT, z. B. 12-24)")
    return month, day


def _calendar(table: TomlTable) -> tuple[str, tuple[AnnualClosure, ...]]:
    holidays = table.text("holidays")
    country, _, subdivision = holidays.partition("-")
    try:
        country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError:
        table.fail(
            "holidays", f"unbekanntes Land oder unbekannte Region {holidays!r} (z. B. DE-TH)"
        )
    closures = []
    for item in table.table_list("closures"):
        first, last = _month_day(item, "from"), _month_day(item, "to")
        if last < first:
            item.fail("to", "liegt vor from (über den Jahreswechsel: zwei Einträge)")
        closures.append(AnnualClosure(first, last, item.text("name")))
        item.finish()
    table.finish()
    return holidays, tuple(closures)


def _trainings(table: TomlTable, kinds: dict[str, str]) -> tuple[TrainingRule, ...]:
    rules = []
    for item in table.table_list("trainings"):
        kind = item.text("kind")
        if kind not in kinds:
            item.fail("kind", f"unbekannte Fortbildungsart {kind!r} (bekannt: {', '.join(kinds)})")
        rules.append(TrainingRule(kind, item.integer("within_months", minimum=1, maximum=120)))
        item.finish()
    return tuple(rules)


def _stage(stage_id: str, table: TomlTable, kinds: dict[str, str]) -> Stage:
    if not _NAME.match(stage_id):
        table.fail("name", f"ungültiger Stufenname {stage_id!r} (Kleinbuchstaben, Ziffern, _)")
    name = table.text("name")
    active, final = table.flag("active", False), table.flag("final", False)
    if active and final:
        table.fail("final", "eine aktive Stufe kann nicht zugleich Endstufe sein")
    budget = table.number("budget_per_year", minimum=0) if table.has("budget_per_year") else None
    coaching = _coaching(table.table("coaching")) if table.has("coaching") else None
    visit = table.table("site_visit")
    within = visit.integer("within_months", minimum=1, maximum=120) if visit.data else None
    visit.finish()
    trainings = _trainings(table, kinds)
    table.finish()
    return Stage(stage_id, name, active, final, budget, coaching, within, trainings)


def _coaching(table: TomlTable) -> CoachingRule:
    rule = CoachingRule(
        every_months=table.integer("every_months", minimum=0, maximum=12),
        for_months=table.integer("for_months", minimum=0, maximum=120),
        hours=table.number("hours", minimum=0),
        hours_min=table.number("hours_min", minimum=0),
        hours_max=table.number("hours_max", minimum=0),
        requests_per_year=(
            table.number("requests_per_year", minimum=0) if table.has("requests_per_year") else None
        ),
    )
    if not rule.hours_min <= rule.hours <= rule.hours_max:
        table.fail("hours", f"{rule.hours} liegt nicht zwischen hours_min und hours_max")
    if rule.requests_per_year is not None and rule.every_months:
        table.fail(
            "requests_per_year",
            "gilt nur für Begleitung auf Anfrage (every_months = 0)",
        )
    table.finish()
    return rule


def _sources(table: TomlTable, stages: dict[str, Stage]) -> tuple[str, ...]:
    sources: list[str] = []
    for item in table.texts("from"):
        if item == "*":
            sources += [s.id for s in stages.values() if not s.final]
        elif item == "*active":
            sources += [s.id for s in stages.values() if s.active]
        elif item not in stages:
            table.fail("from", _unknown_stage(item, stages))
        elif stages[item].final:
            table.fail("from", f"aus der Endstufe {item!r} führt kein Übergang")
        else:
            sources.append(item)
    return tuple(dict.fromkeys(sources))


def _guard(table: TomlTable) -> GuardSpec:
    name = table.text("name")
    if name not in GUARDS:
        table.fail("name", f"unbekannte Bedingung {name!r} (bekannt: {', '.join(GUARDS)})")
    params = {p: table.integer(p, minimum=low) for p, low in GUARDS[name].params.items()}
    table.finish()
    return GuardSpec(name, params)


def _transition(trigger: str, table: TomlTable, stages: dict[str, Stage]) -> Transition:
    if not _NAME.match(trigger):
        table.fail("from", f"ungültiger Auslöser {trigger!r} (Kleinbuchstaben, Ziffern, _)")
    sources = _sources(table, stages)
    dest = table.text("to")
    if dest != REMEMBERED and dest not in stages:
        table.fail("to", _unknown_stage(dest, stages))
    transition = Transition(
        trigger=trigger,
        sources=sources,
        dest=dest,
        forward=table.flag("forward", False),
        remember=table.flag("remember", False),
        guards=tuple(_guard(g) for g in table.table_list("guards")),
        notify=table.opt_text("notify"),
        label=table.text("label"),
    )
    table.finish()
    return transition


def _check_templates(workflow: Workflow, root: TomlTable) -> None:
    """Every template a transition or a reminder names exists, in text and HTML."""
    named: list[tuple[TomlTable, str, str]] = [
        (root.table("transitions").table(t.trigger), "notify", t.notify)
        for t in workflow.transitions.values()
        if t.notify is not None
    ]
    named += [
        (table, "template", rule.template)
        for table, rule in zip(root.table_list("reminders"), workflow.reminders, strict=True)
    ]
    for table, key, name in named:
        for part in MAIL_PARTS:
            path = workflow.templates_dir / "mail" / f"{name}.{part}.j2"
            if not path.is_file():
                table.fail(key, f"Vorlage {name!r} fehlt ({path})")


def _check_remembered(workflow: Workflow, table: TomlTable) -> None:
    for transition in workflow.transitions.values():
        if transition.returns and not remembered_stages(workflow, transition):
            table.table(transition.trigger).fail(
                "to", "@remembered braucht einen Übergang mit remember = true in die Stufe davor"
            )
