"""The lifecycle: the only module that imports ``transitions``.

ONE :class:`transitions.Machine` per workflow, shared by every centre. A stage change
runs the machine's event on a short-lived token that holds the centre's stage for the
length of one call; no model is ever registered with the machine, so 60,000 centres
cost what one does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from transitions import EventData, Machine, MachineError

from thekiz_flow.core.errors import Refused
from thekiz_flow.core.guards import GUARDS
from thekiz_flow.core.history import facts_as_of
from thekiz_flow.core.model import CentreFacts, Transition, Verdict, Workflow


class _Token:
    """The model an event runs on: one centre's stage during one trigger."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class Lifecycle:
    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self._machine = Machine(
            model=None,
            states=list(workflow.stages),
            initial=workflow.initial,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for transition in workflow.transitions.values():
            dests = (
                remembered_stages(workflow, transition)
                if transition.returns
                else (transition.dest,)
            )
            for source in transition.sources:
                for dest in dests:
                    self._machine.add_transition(
                        transition.trigger, source, dest, conditions=[self._condition(dest)]
                    )

    @staticmethod
    def _condition(dest: str) -> Any:
        def allowed(event: EventData) -> bool:
            verdict: Verdict = event.kwargs["verdict"]
            return verdict.dest == dest and (verdict.allowed or bool(event.kwargs["force"]))

        return allowed

    def known(self, trigger: str) -> Transition:
        """The workflow's transition of that name; :class:`Refused` if there is none."""
        transition = self.workflow.transitions.get(trigger)
        if transition is None:
            known = ", ".join(self.workflow.transitions)
            raise Refused(f"unbekannter Auslöser {trigger!r} (bekannt: {known})")
        return transition

    def transition(self, trigger: str, stage: str) -> Transition:
        transition = self.known(trigger)
        if stage not in transition.sources:
            possible = ", ".join(self.workflow.triggers_from(stage)) or "keiner"
            name = self.workflow.stage(stage).name
            raise Refused(
                f"{trigger!r} ist in der Stufe {name} nicht möglich (möglich: {possible})"
            )
        return transition

    def triggers(self, stage: str) -> list[str]:
        """The triggers the machine knows from ``stage``, in the order of the workflow file."""
        return list(self._machine.get_triggers(stage))

    def check(self, trigger: str, facts: CentreFacts) -> Verdict:
        """Which stage the trigger leads to and every guard that is not met."""
        stage = facts.centre.stage
        transition = self.transition(trigger, stage)
        dest = transition.dest
        if transition.returns:
            if facts.centre.resume_stage is None:
                raise Refused("keine Stufe gemerkt, zu der zurückgekehrt werden könnte")
            dest = facts.centre.resume_stage
        missing = tuple(
            message
            for guard in transition.guards
            if (message := GUARDS[guard.name].fn(facts, self.workflow, guard.params)) is not None
        )
        return Verdict(trigger=trigger, source=stage, dest=dest, missing=missing)

    def eligible_since(self, trigger: str, facts: CentreFacts, earliest: date) -> date | None:
        """The first day from which the trigger's guards hold until ``facts.on``, or None.

        Guards only ever become true as time passes and facts accumulate, so a binary
        search over the days needs about log2(days) checks.
        """
        if not self.check(trigger, facts).allowed:
            return None

        def allowed(day: date) -> bool:
            earlier = facts_as_of(facts.centre, facts.history, facts.site_visits, day)
            return self.check(trigger, earlier).allowed

        low, high = earliest, facts.on
        if low >= high or allowed(low):
            return min(low, high)
        while (high - low).days > 1:
            middle = low + (high - low) / 2
            low, high = (low, middle) if allowed(middle) else (middle, high)
        return high

    def fire(self, trigger: str, facts: CentreFacts, force: bool = False) -> Verdict:
        """Run the trigger through the machine; raise :class:`Refused` if it may not fire."""
        verdict = self.check(trigger, facts)
        if not verdict.allowed and not force:
            raise Refused(f"{trigger!r} abgelehnt: " + "; ".join(verdict.missing), verdict.missing)
        token = _Token(facts.centre.stage)
        try:
            moved = self._machine.events[trigger].trigger(token, verdict=verdict, force=force)
        except MachineError as exc:  # pragma: no cover - check() rejects these first
            raise Refused(f"{trigger!r} ist nicht möglich: {exc}") from exc
        if not moved:
            raise Refused(f"{trigger!r} führt nicht zu {verdict.dest!r}")
        return Verdict(trigger, verdict.source, token.state, verdict.missing)


def remembered_stages(workflow: Workflow, returning: Transition) -> tuple[str, ...]:
    """The stages a returning transition (resume) can lead back to."""
    stages = [s for source in returning.sources for s in workflow.paused_out_of(source)]
    return tuple(dict.fromkeys(stages))
