"""Picking a centre in a form by its name: a search, and the centres it finds as choices.

A form of a new session or visit never lists every centre (the office has tens of
thousands): a search field (``text``, a part of the name, district or e-mail address)
reloads the form with the first ``CHOICES`` centres it finds, by name, as "Name (Kreis)"
to choose from.
Only the user's centres are offered (a coach's own). The search of the form travels with
it (a hidden ``text``), so that a refused form offers the same centres again.
"""

from __future__ import annotations

from thekiz_flow.core.enums import ActivityKind, Role
from thekiz_flow.core.errors import UserError
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.model import Centre
from thekiz_flow.web.auth import may_record_for
from thekiz_flow.web.endpoints import Context

SEARCH = "text"  # the search field's name


def choice_label(centre: Centre) -> str:
    """A centre as a choice names it: "Kita Regenbogen (Jena)"."""
    return f"{centre.name} ({centre.district})"


def centre_choices(
    ctx: Context, text: str, kind: ActivityKind | None = None, chosen: str = ""
) -> dict[str, object]:
    """For the template: the search ``text``, the centres it finds that the user may act for
    (in a stage with activities of ``kind``, if given) and how many more it finds; the
    centre ``chosen`` before a refusal first, if the search does not find it."""
    user = ctx.user
    found: list[Centre] = []
    total = 0
    if user.role == Role.OFFICE or user.coach_id is not None:
        coach = user.coach_id if user.role == Role.COACH else None
        found, total = ctx.service.sessions.centre_choices(text, coach, kind)
    earlier = _chosen(ctx, chosen)
    if earlier is not None and earlier not in found:
        found, total = [earlier, *found], total + 1
    return {
        "search": text,
        "choices": [(c.id, choice_label(c)) for c in found],
        "more": total - len(found),
    }


def _chosen(ctx: Context, given: str) -> Centre | None:
    """The centre of a refused form's choice, if there is one the user may act for."""
    if not given.strip():
        return None
    try:
        centre, _ = ctx.service.registry.centre(parse_id("centre", "centre", given))
    except UserError:  # no number, or no centre's
        return None
    return centre if may_record_for(ctx.user, centre.coach_id) else None
