"""The lifecycle as a Mermaid state diagram."""

from __future__ import annotations

from thekiz_flow.core.guards import GUARDS
from thekiz_flow.core.model import Transition, Workflow
from thekiz_flow.core.rules import remembered_stages


def _label(transition: Transition) -> str:
    conditions = [GUARDS[guard.name].describe.format(**guard.params) for guard in transition.guards]
    return transition.trigger + (f" [{', '.join(conditions)}]" if conditions else "")


def mermaid(workflow: Workflow) -> str:
    lines = ["stateDiagram-v2"]
    for stage in workflow.stages.values():
        lines.append(f'    state "{stage.name}" as {stage.id}')
    lines.append(f"    [*] --> {workflow.initial}")
    for transition in workflow.transitions.values():
        dests = (
            remembered_stages(workflow, transition) if transition.returns else (transition.dest,)
        )
        for source in transition.sources:
            for dest in dests:
                lines.append(f"    {source} --> {dest}: {_label(transition)}")
    for stage in workflow.stages.values():
        if stage.final:
            lines.append(f"    {stage.id} --> [*]")
    return "\n".join(lines) + "\n"
