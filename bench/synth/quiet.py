"""The days the bench's measured tick looks back on, left quiet by the history."""

from __future__ import annotations

from datetime import date, timedelta

from bench.common import BERLIN, NOW, PREVIOUS_TICK, TODAY
from bench.synth.records import Life
from thekiz_flow.core.model import Workflow
from thekiz_flow.core.recommend import unmet_trainings
from thekiz_flow.core.reminders import Window


class QuietDays:
    """The event days whose reminder occurrences the bench's measured tick looks back on.

    The history leaves them quiet, so the tick over ten years of history sees the same due
    reminders as the tick over an empty history: planned sessions and visits on such days were
    moved by hand to the next free day, sessions then held were recorded the same day, and a
    centre whose stage start, next step or training deadline falls in them is drawn again.
    """

    def __init__(self, flow: Workflow) -> None:
        window = Window(NOW, PREVIOUS_TICK, BERLIN, flow.send_at)
        self.rules = flow.reminders
        self.days = {r.id: [(f, t) for _, f, t in window.anchor_days(r)] for r in flow.reminders}

    def hit(self, follows: str, day: date, subject: str | None = None) -> bool:
        """Whether a rule following ``follows`` (of an activity kind or stage ``subject``)
        has an occurrence of an event on ``day`` in the window."""
        for rule in self.rules:
            wanted = rule.kind if follows == "activity" else rule.stage
            if rule.follows != follows or wanted not in (None, subject):
                continue
            if any(first <= day <= last for first, last in self.days[rule.id]):
                return True
        return False

    def free_day(self, kind: str, day: date) -> date:
        """The first day from ``day`` on whose activity of ``kind`` no reminder is due now."""
        while self.hit("activity", day, kind):
            day += timedelta(days=1)
        return day

    def disturbed(self, flow: Workflow, life: Life, row: dict[str, object]) -> bool:
        """Whether the centre's present stay reminds the measured tick of anything."""
        since = life.history[-1].effective if life.history else None
        if since is not None and self.hit("stage_start", since, life.stage):
            return True
        step = row.get("next_step_on")
        if isinstance(step, date) and self.hit("eligible", step):
            return True
        start = row.get("episode_start")
        if not isinstance(start, date) or not flow.stage(life.stage).active:
            return False
        enrolments = [(a.seat[0], a.status, a.date) for a in life.acts if a.seat is not None]
        unmet = unmet_trainings(flow, life.stage, start, enrolments, TODAY)
        return any(self.hit("training_deadline", deadline) for _, deadline in unmet)
