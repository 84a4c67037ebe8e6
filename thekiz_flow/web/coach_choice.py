"""Picking a coach in a list's filter by a search, never from an `<option>` list of every
coach (a programme of 60,000 centres has thousands of coaches).

Beside the filter's choice of coach stands a search field (``coach_search``: a part of the
name or e-mail address); the choice offers the first ``CHOICES`` coaches it finds, by name
(without a search: the first ones by name), and always the coach chosen already.
"""

from __future__ import annotations

from thekiz_flow.core.errors import UserError
from thekiz_flow.core.ids import parse_id
from thekiz_flow.web.endpoints import Context

COACH_SEARCH = "coach_search"  # the search field's name
CHOICES = 20  # coaches offered at a time


def coach_search(ctx: Context) -> str:
    return ctx.request.query_params.get(COACH_SEARCH, "").strip()


def coach_options(ctx: Context, chosen: str) -> list[tuple[str, str]]:
    """(number, name) of the coaches the search finds, the one ``chosen`` first if it is
    not among them."""
    found = ctx.service.registry.coach_choices(coach_search(ctx), CHOICES)
    options = [(str(c.id), c.name) for c in found]
    if chosen.strip() and chosen.strip() not in {value for value, _ in options}:
        try:
            coach, _ = ctx.service.registry.coach(parse_id("coach", "coach", chosen))
        except UserError:  # not a number, or no coach's: the filter says so itself
            return options
        options.insert(0, (str(coach.id), coach.name))
    return options
