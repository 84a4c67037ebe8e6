"""The guards a workflow file may name, with their parameters. Pure functions of the facts.

A guard returns ``None`` when it is met, else one German sentence naming what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from thekiz_flow.core import german
from thekiz_flow.core.history import episode_start, months_between, paused_days, reached_after
from thekiz_flow.core.model import CentreFacts, Workflow

GuardFn = Callable[[CentreFacts, Workflow, Mapping[str, int]], str | None]


@dataclass(frozen=True)
class GuardDef:
    fn: GuardFn
    params: Mapping[str, int]  # parameter name -> smallest allowed value
    describe: str  # German, for the graph and the docs


def coach_assigned(facts: CentreFacts, workflow: Workflow, params: Mapping[str, int]) -> str | None:
    if facts.centre.coach_id is None:
        return "keine Prozessbegleitung zugeordnet"
    return None


def _months(facts: CentreFacts, workflow: Workflow, months: int, renewals: bool) -> str | None:
    stage = facts.centre.stage
    start = episode_start(facts, workflow, renewals=renewals)
    paused = paused_days(facts.history, workflow, stage, start)
    reached = reached_after(start, months, paused)
    if reached <= facts.on:
        return None
    done = max(0, months_between(start + timedelta(days=paused), facts.on))
    what = "im laufenden Programmjahr" if renewals else f"in der Stufe {workflow.stage(stage).name}"
    since = german.short_date(reached)
    return f"mindestens {months} Monate {what} (bisher {done}; erfüllt ab {since})"


def min_months_in_stage(
    facts: CentreFacts, workflow: Workflow, params: Mapping[str, int]
) -> str | None:
    return _months(facts, workflow, params["months"], renewals=False)


def min_months_in_programme_year(
    facts: CentreFacts, workflow: Workflow, params: Mapping[str, int]
) -> str | None:
    return _months(facts, workflow, params["months"], renewals=True)


def site_visit_held(
    facts: CentreFacts, workflow: Workflow, params: Mapping[str, int]
) -> str | None:
    stage = facts.centre.stage
    start = episode_start(facts, workflow)
    if any(s == stage and start <= d <= facts.on for d, s in facts.site_visits):
        return None
    return f"kein Einrichtungsbesuch in der Stufe {workflow.stage(stage).name} durchgeführt"


GUARDS: Mapping[str, GuardDef] = {
    "coach_assigned": GuardDef(coach_assigned, {}, "Prozessbegleitung zugeordnet"),
    "min_months_in_stage": GuardDef(
        min_months_in_stage, {"months": 1}, "mindestens {months} Monate in der Stufe"
    ),
    "min_months_in_programme_year": GuardDef(
        min_months_in_programme_year, {"months": 1}, "mindestens {months} Monate im Programmjahr"
    ),
    "site_visit_held": GuardDef(site_visit_held, {}, "Einrichtungsbesuch durchgeführt"),
}
