"""Stage changes on the web: the confirmation that says what a change (or the withdrawal of
a centre's latest change) will do, and the change of several centres at once.

A stage change is asked for twice: the first post previews it (``service.lifecycle.preview``,
nothing written) and shows what will happen (sessions and visits cancelled from the
effective day, training places given up, who gets an e-mail); the second, confirmed, makes
it. A refusal is shown beside the form with its reason. The messages name the steps by
their German labels, never by the workflow's ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.enums import Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Workflow
from thekiz_flow.service.lifecycle import BatchReport, Preview
from thekiz_flow.service.reverts import Reverted
from thekiz_flow.web.endpoints import Context, action
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

BATCH = "/centres/advance"
CONFIRMED = "ja"  # the value of the hidden field ``confirmed`` of a confirmation
ADVANCE_FIELDS = ("trigger", "on", "reason", "centre_note", "force")
_QUOTED = re.compile(r"'([a-z_]+)'")
_LISTED = re.compile(r"\((möglich|bekannt): ([^)]*)\)")


def german_steps(message: str, workflow: Workflow) -> str:
    """A lifecycle message with the workflow's step ids (``'deepen'``, "möglich: pause,
    withdraw") as their German labels."""

    def quoted(found: re.Match[str]) -> str:
        trigger = found.group(1)
        if trigger in workflow.transitions:
            return f"„{workflow.step_name(trigger)}“"
        return found.group(0)

    def listed(found: re.Match[str]) -> str:
        names = [workflow.step_name(t.strip()) for t in found.group(2).split(",")]
        return f"({found.group(1)}: {', '.join(names)})"

    return _LISTED.sub(listed, _QUOTED.sub(quoted, message))


def german_errors(errors: Errors, workflow: Workflow) -> dict[str, str]:
    return {key: german_steps(message, workflow) for key, message in errors.items()}


def day(field: str, value: str) -> date | None:
    """An optional date of a form: empty is None (today), as without the CLI's option."""
    return validate.day(field, value) if value.strip() else None


@dataclass(frozen=True)
class Asked:
    """A stage change as a form asks for it."""

    trigger: str
    on: date | None
    reason: str | None
    force: bool
    note: str | None  # for the centre's mail
    typed: dict[str, str]  # as typed, for the confirmation's hidden fields

    @classmethod
    def of(cls, ctx: Context) -> Asked:
        typed = {name: ctx.text(name) for name in ADVANCE_FIELDS}
        return cls(
            typed["trigger"],
            day("on", typed["on"]),
            typed["reason"] or None,
            typed["force"] == "1",
            typed["centre_note"] or None,
            typed,
        )


def confirmed(ctx: Context) -> bool:
    return ctx.text("confirmed") == CONFIRMED


def summary(ctx: Context, preview: Preview) -> tuple[str, list[str]]:
    """The heading of a confirmation (the step, the stages, the day) and its lines."""
    stages = ctx.service.workflow.stages
    changes = preview.report.changes
    first = changes[0]
    moves = sorted({(c.from_stage, c.to_stage) for c in changes})
    arrows = ", ".join(f"{stages[a].name} → {stages[b].name}" for a, b in moves)
    forced = " (erzwungen)" if any(c.forced for c in changes) else ""
    heading = (
        f"{ctx.service.workflow.step_name(first.trigger)}: {arrows} "
        f"ab {german.short_date(first.effective)}{forced}"
    )
    return heading, preview.lines()


def confirmation(
    ctx: Context,
    action_path: str,
    preview: Preview,
    hidden: Sequence[tuple[str, str]],
    back: str,
    names: Mapping[int, str],
) -> Response:
    """The page that says what the change will do and asks to confirm it."""
    heading, lines = summary(ctx, preview)
    return ctx.render(
        "web/advance_confirm.html.j2",
        title="Stufenwechsel bestätigen",
        heading=heading,
        lines=lines,
        changes=[(c.centre_id, names.get(c.centre_id, "")) for c in preview.report.changes],
        skipped=skipped(ctx, preview.report, names),
        action_path=action_path,
        hidden=[*hidden, ("confirmed", CONFIRMED)],
        back=back,
    )


def revert_confirmation(ctx: Context, action_path: str, preview: Reverted, back: str) -> Response:
    """The page that says what withdrawing the latest stage change will do and asks to
    confirm it (the reason as typed goes along)."""
    stages = ctx.service.workflow.stages
    change = preview.change
    return ctx.render(
        "web/revert_confirm.html.j2",
        title="Stufenwechsel zurücknehmen",
        heading=(
            f"{stages[change.from_stage].name} → {stages[change.to_stage].name} ab "
            f"{german.short_date(change.effective)} zurücknehmen"
        ),
        lines=preview.lines(stages[preview.centre.stage].name),
        reason=preview.entry.reason or "",
        action_path=action_path,
        hidden=[("revert_reason", preview.entry.reason or ""), ("confirmed", CONFIRMED)],
        back=back,
    )


def skipped(
    ctx: Context, report: BatchReport, names: Mapping[int, str]
) -> list[tuple[int, str, str]]:
    """(centre, name, German reason) of each centre a batch leaves as it is."""
    workflow = ctx.service.workflow
    return [
        (s.centre_id, names.get(s.centre_id, ""), german_steps(s.reason, workflow))
        for s in report.skipped
    ]


# ---------------------------------------------------------------------- batch
def _batch_page(ctx: Context, errors: Errors) -> Response:
    """The batch's form again with the message (from the centre list)."""
    service = ctx.service
    stages = service.workflow.stages
    return ctx.render(
        "web/advance_batch.html.j2",
        400,
        title="Stufenwechsel für mehrere Einrichtungen",
        errors=german_errors(errors, service.workflow),
        typed={name: ctx.text(name) for name in (*ADVANCE_FIELDS, "all_in_stage")},
        selected=_selected(ctx),
        names=_names(ctx, _selected(ctx)),
        triggers=[(t, service.workflow.step_name(t)) for t in service.workflow.transitions],
        stages=[(s.id, s.name) for s in stages.values()],
    )


def _selected(ctx: Context) -> list[int]:
    ids = []
    for value in ctx.form.getlist("centre"):
        if isinstance(value, str) and value.isascii() and value.isdigit():
            ids.append(int(value))
        else:
            raise InvalidInput("centre", f"keine Einrichtung {value!r}")
    return list(dict.fromkeys(ids))


def _names(ctx: Context, ids: Sequence[int]) -> dict[int, str]:
    return ctx.service.registry.centre_names(ids) if ids else {}


@action(Role.OFFICE)
def batch(ctx: Context) -> Response:
    def change() -> Response:
        asked = Asked.of(ctx)
        ids = _selected(ctx)
        in_stage = ctx.text("all_in_stage") or None
        if in_stage is not None:
            ids = []  # "alle in der Stufe" wins over the boxes ticked
        lifecycle = ctx.service.lifecycle
        args = (asked.trigger, asked.on, asked.reason, asked.force)
        if not confirmed(ctx):
            preview = lifecycle.preview(ids, *args, in_stage=in_stage, note=asked.note)
            affected = [c.centre_id for c in preview.report.changes] + [
                s.centre_id for s in preview.report.skipped
            ]
            names = _names(ctx, affected)
            if not preview.report.changes:
                return ctx.render(
                    "web/advance_result.html.j2",
                    title="Kein Stufenwechsel möglich",
                    heading="Keine der Einrichtungen kann diesen Schritt gehen.",
                    changes=[],
                    skipped=skipped(ctx, preview.report, names),
                )
            hidden = [*asked.typed.items(), *(("centre", str(i)) for i in ids)]
            if in_stage is not None:
                hidden.append(("all_in_stage", in_stage))
            return confirmation(ctx, BATCH, preview, hidden, "/centres", names)
        report = lifecycle.advance_many(ids, *args, in_stage=in_stage, note=asked.note)
        affected = [c.centre_id for c in report.changes] + [s.centre_id for s in report.skipped]
        names = _names(ctx, affected)
        stages = ctx.service.workflow.stages
        return ctx.render(
            "web/advance_result.html.j2",
            title="Stufenwechsel",
            heading=f"{len(report.changes)} Einrichtungen gewechselt, "
            f"{len(report.skipped)} übersprungen.",
            changes=[
                (
                    c.centre_id,
                    names.get(c.centre_id, ""),
                    f"{stages[c.from_stage].name} → {stages[c.to_stage].name} "
                    f"ab {german.short_date(c.effective)}",
                )
                for c in report.changes
            ],
            skipped=skipped(ctx, report, names),
        )

    return beside_fields(change, lambda errors: _batch_page(ctx, errors))


routes = [Route(BATCH, batch, methods=["POST"])]
nav: list[NavItem] = []
