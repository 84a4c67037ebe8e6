"""Load the reminder rules of a workflow file: `[reminder_defaults]` and `[[reminders]]`."""

from __future__ import annotations

import re
from datetime import time

from thekiz_flow.core.model import FOLLOWS, KINDS, ROLES, ReminderRule
from thekiz_flow.workflow.tomlread import TomlTable

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_CATCH_UP = ("late", "skip")
_STOP = ("never", "recorded")


def _choice(table: TomlTable, name: str, options: tuple[str, ...], default: str) -> str:
    value = table.text(name, default)
    if value not in options:
        table.fail(name, f"ungültiger Wert {value!r} (möglich: {', '.join(options)})")
    return value


def _send_at(table: TomlTable) -> time:
    text = table.text("send_at", "08:00")
    try:
        return time.fromisoformat(text)
    except ValueError:
        table.fail("send_at", f"ungültige Uhrzeit {text!r} (Format HH:MM)")


def _rule(table: TomlTable, catch_up: str, late_days: int) -> ReminderRule:
    rule_id = table.text("id")
    if not _ID.match(rule_id):
        table.fail("id", f"ungültiger Name {rule_id!r} (Kleinbuchstaben, Ziffern, _)")
    follows = _choice(table, "follows", FOLLOWS, "activity")
    recipients = table.texts("recipients")
    for role in recipients:
        if role not in ROLES:
            table.fail("recipients", f"unbekannte Rolle {role!r} (möglich: {', '.join(ROLES)})")
    kind = _choice(table, "kind", KINDS, "coaching") if follows == "activity" else None
    percent = table.integer("percent", minimum=1, maximum=1000) if follows == "budget" else None
    stage = table.opt_text("stage") if follows == "stage_start" else None
    rule = ReminderRule(
        id=rule_id,
        follows=follows,
        template=table.text("template"),
        recipients=recipients,
        kind=kind,
        offset_days=table.integer("offset_days", 0, minimum=-365, maximum=365),
        every_days=table.integer("every_days", 0, minimum=0, maximum=365),
        times=table.integer("times", 1, minimum=1, maximum=52),
        stop=_choice(table, "stop", _STOP, "never"),
        catch_up=_choice(table, "catch_up", _CATCH_UP, catch_up),
        late_days=table.integer("late_days", late_days, minimum=0, maximum=60),
        percent=percent,
        stage=stage,
    )
    if rule.times > 1 and rule.every_days == 0:
        table.fail("every_days", "muss mit times > 1 größer als 0 sein")
    table.finish()
    return rule


def load_reminders(root: TomlTable) -> tuple[time, tuple[ReminderRule, ...]]:
    defaults = root.table("reminder_defaults")
    send_at = _send_at(defaults)
    catch_up = _choice(defaults, "catch_up", _CATCH_UP, "late")
    late_days = defaults.integer("late_days", 3, minimum=0, maximum=60)
    defaults.finish()
    rules = tuple(_rule(item, catch_up, late_days) for item in root.table_list("reminders"))
    seen: set[str] = set()
    for item, rule in zip(root.table_list("reminders"), rules, strict=True):
        if rule.id in seen:
            item.fail("id", f"Regel {rule.id!r} gibt es zweimal")
        seen.add(rule.id)
    return send_at, rules
