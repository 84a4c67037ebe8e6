"""Undoing a centre's latest stage change: which change it is, where the centre returns to,
and when it is refused.

A revert leaves the stage change in the audit trail and adds a correction entry (subject
``stage_change``, action ``reverted``) that withdraws it; readings of the trail skip a
withdrawn change from the moment the entry was recorded on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from thekiz_flow.core import german
from thekiz_flow.core.enums import ActivityKind
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.labels import HELD_NOUNS
from thekiz_flow.core.model import Centre, StageChange, Workflow


@dataclass(frozen=True)
class Restored:
    """The centre's stage as it was before the withdrawn change."""

    stage: str
    stage_since: date
    resume_stage: str | None


def latest(history: Sequence[StageChange], centre_id: int, wanted: int | None) -> StageChange:
    """The change a revert withdraws: the latest of ``history`` (the changes in force), which
    ``wanted`` (a change's number, if given) must be."""
    if not history:
        raise Refused(f"Einrichtung {centre_id} hat keinen Stufenwechsel, der zurückzunehmen wäre")
    last = history[-1]
    if wanted is not None and wanted != last.id:
        raise Refused(
            f"Nur der letzte Stufenwechsel der Einrichtung {centre_id} kann zurückgenommen "
            f"werden (Nummer {last.id}, wirksam ab {german.short_date(last.effective)}), "
            f"nicht Nummer {wanted}"
        )
    return last


def restored(
    workflow: Workflow, centre: Centre, earlier: Sequence[StageChange], withdrawn: StageChange
) -> Restored:
    """Where the centre returns to when ``withdrawn`` is undone: its source stage, since the
    day the change before it (``earlier``, in force) took effect or, without one, since the
    centre was registered; paused, it returns to the stage the pause left."""
    since = earlier[-1].effective if earlier else centre.registered or centre.stage_since
    transition = workflow.transitions.get(withdrawn.trigger)
    resume: str | None = None
    if transition is not None and transition.returns:
        resume = withdrawn.to_stage
    elif earlier:
        before = workflow.transitions.get(earlier[-1].trigger)
        if before is not None and before.remember:
            resume = earlier[-1].from_stage
    return Restored(withdrawn.from_stage, since, resume)


def not_cutting_through(
    held: Mapping[ActivityKind, tuple[int, date]], withdrawn: StageChange, stage_name: str
) -> None:
    """Refuse to withdraw a change if sessions or site visits were held from its effective
    day on (``held``: kind -> (how many, the last day)): they belong to its stage."""
    if not held:
        return
    counts = [f"{n} {HELD_NOUNS[kind][n != 1]}" for kind, (n, _) in sorted(held.items())]
    verb = "wurde" if sum(n for n, _ in held.values()) == 1 else "wurden"
    raise Refused(
        f"{' und '.join(counts)} {verb} ab dem {german.short_date(withdrawn.effective)} in der "
        f"Stufe {stage_name} gehalten; der Stufenwechsel kann nicht zurückgenommen werden "
        "(erst diese Termine als Fehler stornieren)"
    )
