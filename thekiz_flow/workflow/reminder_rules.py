"""Load the reminder rules of a workflow file: `[reminder_defaults]` and `[[reminders]]`."""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import TypeVar

from thekiz_flow.core.enums import ActivityKind, CatchUp, Follows, Recipient, Stop
from thekiz_flow.core.model import ReminderRule
from thekiz_flow.workflow.tomlread import TomlTable

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RECIPIENTS = (Recipient.COACH, Recipient.CENTRE, Recipient.OFFICE)  # the ministry: digests only
E = TypeVar("E", bound=StrEnum)


def _choice(table: TomlTable, name: str, options: type[E], default: E) -> E:
    value = table.text(name, default)
    try:
        return options(value)
    except ValueError:
        table.fail(name, f"ungültiger Wert {value!r} (möglich: {', '.join(options)})")


def _send_at(table: TomlTable) -> time:
    text = table.text("send_at", "08:00")
    try:
        return time.fromisoformat(text)
    except ValueError:
        table.fail("send_at", f"ungültige Uhrzeit {text!r} (Format HH:MM)")


def _recipient(table: TomlTable, role: str) -> Recipient:
    for recipient in _RECIPIENTS:
        if role == recipient:
            return recipient
    table.fail("recipients", f"unbekannte Rolle {role!r} (möglich: {', '.join(_RECIPIENTS)})")


def _rule(table: TomlTable, catch_up: CatchUp, late_days: int) -> ReminderRule:
    rule_id = table.text("id")
    if not _ID.match(rule_id):
        table.fail("id", f"ungültiger Name {rule_id!r} (Kleinbuchstaben, Ziffern, _)")
    follows = _choice(table, "follows", Follows, Follows.ACTIVITY)
    recipients = tuple(_recipient(table, role) for role in table.texts("recipients"))
    kind = (
        _choice(table, "kind", ActivityKind, ActivityKind.COACHING)
        if follows == Follows.ACTIVITY
        else None
    )
    percent = (
        table.integer("percent", minimum=1, maximum=1000) if follows == Follows.BUDGET else None
    )
    stage = table.opt_text("stage") if follows == Follows.STAGE_START else None
    rule = ReminderRule(
        id=rule_id,
        follows=follows,
        template=table.text("template"),
        recipients=recipients,
        kind=kind,
        offset_days=table.integer("offset_days", 0, minimum=-365, maximum=365),
        every_days=table.integer("every_days", 0, minimum=0, maximum=365),
        times=table.integer("times", 1, minimum=1, maximum=52),
        stop=_choice(table, "stop", Stop, Stop.NEVER),
        catch_up=_choice(table, "catch_up", CatchUp, catch_up),
        late_days=table.integer("late_days", late_days, minimum=0, maximum=60),
        percent=percent,
        stage=stage,
        label=table.text("label"),
        any_day=table.flag("any_day", False),
    )
    if rule.times > 1 and rule.every_days == 0:
        table.fail("every_days", "muss mit times > 1 größer als 0 sein")
    table.finish()
    return rule


def load_reminders(root: TomlTable) -> tuple[time, tuple[ReminderRule, ...]]:
    defaults = root.table("reminder_defaults")
    send_at = _send_at(defaults)
    catch_up = _choice(defaults, "catch_up", CatchUp, CatchUp.LATE)
    late_days = defaults.integer("late_days", 3, minimum=0, maximum=60)
    defaults.finish()
    rules = tuple(_rule(item, catch_up, late_days) for item in root.table_list("reminders"))
    seen: set[str] = set()
    for item, rule in zip(root.table_list("reminders"), rules, strict=True):
        if rule.id in seen:
            item.fail("id", f"Regel {rule.id!r} gibt es zweimal")
        seen.add(rule.id)
    return send_at, rules
