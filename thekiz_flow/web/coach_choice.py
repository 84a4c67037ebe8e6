"""Picking a coach by a search, never from an `<option>` list of every coach (a programme
of 60,000 centres has thousands of coaches): in a list's filter, on a centre's page, in
the forms of a new centre and a new user, on the calendar.

Beside the choice of coach stands a search field (``coach_search``: a part of the name or
e-mail address, sent by GET, so it works without JavaScript); the choice offers the first
``CHOICES`` coaches it finds, by name (without a search: the first ones by name), and
always the coach chosen already. A form sent by POST carries its search along (hidden), so
that a refused form offers the same coaches again. The forms of a new centre and a new user
have the search inside (`finding_coach`): searching keeps what was typed in the others, and
a search that finds exactly one coach chooses it (`found_one`).
"""

from __future__ import annotations

from dataclasses import dataclass

from thekiz_flow.core.errors import UserError
from thekiz_flow.core.ids import parse_id
from thekiz_flow.core.model import Coach
from thekiz_flow.web.endpoints import Context

COACH_SEARCH = "coach_search"  # the search field's name
FIND_COACH = "find_coach"  # the search's button inside a form sent by POST


def finding_coach(ctx: Context) -> bool:
    """Whether a form was sent by its coach search's button: to come back with the coaches
    found and what was typed, nothing written."""
    return bool(ctx.text(FIND_COACH))


CHOICES = 20  # coaches offered at a time


def coach_search(ctx: Context) -> str:
    """The search of the address, or of a refused form."""
    given = ctx.request.query_params.get(COACH_SEARCH) or ctx.text(COACH_SEARCH)
    return given.strip()


def coach_label(coach: Coach, with_email: bool = False) -> str:
    return f"{coach.name} ({coach.email})" if with_email else coach.name


def coach_options(
    ctx: Context, chosen: str, active_only: bool = False, with_email: bool = False
) -> list[tuple[str, str]]:
    """(number, name) of the coaches the search finds (only those not deactivated if
    ``active_only``; labelled with their e-mail address if ``with_email``), the one
    ``chosen`` first if it is not among them."""
    return coach_choice(ctx, chosen, active_only=active_only, with_email=with_email).options


@dataclass(frozen=True)
class CoachChoice:
    """For a template: the choices, the search, how many more it finds than offered, and
    which of the choices it found."""

    options: list[tuple[str, str]]
    search: str
    more: int
    matched: tuple[str, ...]  # the numbers of the coaches it finds that are offered

    @property
    def found(self) -> bool:
        """Whether the search finds any coach."""
        return bool(self.matched)


def coach_choice(
    ctx: Context, *chosen: str, active_only: bool = False, with_email: bool = False
) -> CoachChoice:
    """The choice of coach: what the search finds (see ``coach_options``), and first the
    coaches ``chosen`` (a form's current one, what a refused form had) that it does not."""
    search = coach_search(ctx)
    found, total = ctx.service.registry.coach_choices(search, CHOICES, active_only)
    options = [(str(c.id), coach_label(c, with_email)) for c in found]
    kept: list[tuple[str, str]] = []
    for given in dict.fromkeys(c.strip() for c in chosen if c.strip()):
        if given in {value for value, _ in options}:
            continue
        try:
            coach, _ = ctx.service.registry.coach(parse_id("coach", "coach", given))
        except UserError:  # not a number, or no coach's: the field says so itself
            continue
        if coach.active or not active_only:
            kept.append((str(coach.id), coach_label(coach, with_email)))
    matched = tuple(value for value, _ in options)
    return CoachChoice([*kept, *options], search, total - len(found), matched)


def found_one(ctx: Context, typed: dict[str, str], active_only: bool = True) -> dict[str, str]:
    """What was typed in a form sent by its coach search (`finding_coach`): with the one
    coach the search finds chosen, if it finds exactly one and none was chosen yet."""
    search = coach_search(ctx)
    if not search or typed.get("coach"):
        return typed
    found, total = ctx.service.registry.coach_choices(search, 1, active_only)
    return {**typed, "coach": str(found[0].id)} if total == 1 else typed
