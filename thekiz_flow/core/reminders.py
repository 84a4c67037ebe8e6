"""Reminders: which occurrences are due, which were missed. Pure: `now` is an argument.

An occurrence is a rule's day (the event's day plus its offset) at ``send_at`` local time,
or for budget alerts the moment the figures crossed the threshold. A tick looks at the
occurrences between the previous tick (or the catch-up window, if later) and now:

- not older than the rule's catch-up window ("late": ``late_days``; "skip": the same
  day): **send**;
- older, but after the previous tick: the service was down; **missed**, recorded and
  never sent (a tick acts for no time beyond the real clock, see
  `TickService.acting_now`, so these really are past);
- before the previous tick: handled by that tick, or older than a rule that is new.

Every occurrence has an idempotency key; the outbox stores each key once, so a tick
repeated, run twice at once, or run after a restart creates nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from thekiz_flow.core.enums import CatchUp, Judgement, Recipient
from thekiz_flow.core.model import ReminderRule


@dataclass(frozen=True)
class Window:
    """The occurrences a tick looks at, and how it judges them."""

    now: datetime
    last_tick: datetime | None
    zone: ZoneInfo
    send_at: time
    preview: bool = False  # everything after last_tick up to now counts, nothing is missed

    def start(self, rule: ReminderRule) -> datetime:
        """The oldest occurrence this tick considers for ``rule``."""
        if self.preview and self.last_tick is not None:
            return self.last_tick
        fresh = self.fresh_from(rule)
        return fresh if self.last_tick is None else min(self.last_tick, fresh)

    def fresh_from(self, rule: ReminderRule) -> datetime:
        local = self.now.astimezone(self.zone)
        if rule.catch_up == CatchUp.SKIP:
            return datetime.combine(local.date(), time(0), self.zone)
        return self.now - timedelta(days=rule.late_days)

    def judge(self, rule: ReminderRule, occurrence: datetime) -> Judgement | None:
        if occurrence > self.now:
            return None
        if self.preview:
            return Judgement.SEND if self.last_tick is None or occurrence > self.last_tick else None
        if occurrence >= self.fresh_from(rule):
            return Judgement.SEND
        if self.last_tick is not None and occurrence > self.last_tick:
            return Judgement.MISSED
        return None

    def at(self, day: date) -> datetime:
        return datetime.combine(day, self.send_at, self.zone)

    @property
    def today(self) -> date:
        """The local day of ``now``: the day the rules read the centres' histories as of."""
        return self.now.astimezone(self.zone).date()

    def anchor_days(self, rule: ReminderRule) -> list[tuple[int, date, date]]:
        """For each repetition n: the event days whose occurrence may fall in this tick."""
        first = self.start(rule).astimezone(self.zone).date()
        last = self.now.astimezone(self.zone).date()
        return [
            (n, first - timedelta(days=offset), last - timedelta(days=offset))
            for n, offset in enumerate(rule.offsets())
        ]


@dataclass(frozen=True)
class Due:
    """One occurrence for one recipient role: to be sent, or recorded as missed."""

    rule: ReminderRule
    key: str
    occurrence: datetime
    verdict: Judgement
    role: Recipient
    centre_id: int
    context: Mapping[str, object] = field(default_factory=dict)


def key_of(rule: ReminderRule, subject: str, label: str, role: Recipient) -> str:
    """The idempotency key: rule, subject (activity or centre), occurrence, recipient role."""
    return f"{rule.id}:{subject}:{label}:{role}"


def activity_subject(activity_id: int) -> str:
    """The subject of a reminder about an activity, as its key names it."""
    return f"a{activity_id}"


def activity_key_head(rule: ReminderRule) -> str:
    """What the key of every occurrence of ``rule`` about an activity begins with, before the
    activity's id (``key_of`` with ``activity_subject``)."""
    return f"{rule.id}:a"


def activity_of(key: str) -> int | None:
    """The activity a reminder's key names (see ``key_of``), or None if it names none."""
    parts = key.split(":")
    subject = parts[1] if len(parts) > 2 else ""
    return int(subject[1:]) if subject[:1] == "a" and subject[1:].isdigit() else None


def due_for(
    window: Window,
    rule: ReminderRule,
    subject: str,
    centre_id: int,
    occurrence: datetime,
    context: Mapping[str, object],
    label: str | None = None,
) -> list[Due]:
    """One Due per recipient of the rule, if the occurrence is for this tick.

    ``label`` names the occurrence in the key; by default its local date.
    """
    verdict = window.judge(rule, occurrence)
    if verdict is None:
        return []
    name = label or occurrence.astimezone(window.zone).date().isoformat()
    return [
        Due(rule, key_of(rule, subject, name, role), occurrence, verdict, role, centre_id, context)
        for role in rule.recipients
    ]
