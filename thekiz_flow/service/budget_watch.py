"""Which active centres spent most of their year's budget: the start page's and the monthly
overview's budget warnings, read from the percents kept on write (`store.budget_percents`).

A view refreshes first what writes made stale: the centres marked since the last view, or,
for another year or changed budget rules, every centre (once). What a centre spent comes
from one GROUP BY of its held sessions, the budget its year accrues (as
`budget.year_allowance` figures it) from the part of its audit trail that decides the
year's months (`Repository.trails_from` the first mid-month).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

from thekiz_flow.core.budget import accrued_budget, mid_months, stages_on
from thekiz_flow.core.model import Workflow
from thekiz_flow.store.repository import Repository

RULES_VERSION = 1  # one more when the way a percent is figured changes


def budget_rules(workflow: Workflow, year: int) -> str:
    """The year and what of the programme a percent depends on, as one short text."""
    stages = sorted((s.id, str(s.budget_per_year), s.active) for s in workflow.stages.values())
    text = repr((RULES_VERSION, workflow.initial, stages))
    return f"{year}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]}"


class BudgetWatch:
    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow

    def highest(
        self, repo: Repository, year: int, at_least: int, limit: int | None
    ) -> tuple[list[tuple[int, int]], int]:
        """(centre, percent) of the first ``limit`` active centres that spent ``at_least``
        percent of ``year``'s budget or more, the most first (None: all), and how many."""
        self.refresh(repo, year)
        return repo.budget_percents.highest(at_least, limit)

    def refresh(self, repo: Repository, year: int) -> None:
        """Figure again the centres whose percent writes made stale (every centre if the
        percents are of another year or other rules)."""
        store, rules = repo.budget_percents, budget_rules(self.workflow, year)
        if store.rules() == rules and not store.any_stale():
            return
        store.take_turn()
        whole = store.rules() != rules
        last = store.last_mark()
        if not whole and last is None:
            return  # another refresh did it meanwhile
        ids = None if whole or last is None else store.marked(last)
        store.replace(ids, self.percents(repo, year, ids))
        store.consumed(last, rules)

    def may_reach(
        self, repo: Repository, year: int, centre_ids: Sequence[int], percent: int
    ) -> list[int]:
        """Of these centres, those whose spending in ``year`` may have reached ``percent`` of
        its budget: all but those whose kept percent of this year stands below it (see
        `BudgetPercents.below`). A centre without a kept percent (not in an active stage,
        nothing spent, no budget) or with a percent a write made stale is among them, as is
        every centre while the percents are of another year or other rules."""
        below = repo.budget_percents.below(centre_ids, percent, budget_rules(self.workflow, year))
        return [i for i in centre_ids if i not in below]

    def percents(
        self, repo: Repository, year: int, centre_ids: Sequence[int] | None
    ) -> dict[int, int]:
        """The whole percent of ``year``'s budget spent by these centres (None: all) now in
        an active stage that spent anything and have a budget."""
        workflow = self.workflow
        active = [s.id for s in workflow.stages.values() if s.active]
        spent = repo.spent_in_year(year, active, centre_ids)
        days = mid_months(year)
        trails = repo.trails_from(sorted(spent), days[0])
        accrued: dict[tuple[str, ...], Decimal] = {}  # centres share a few runs of stages
        percents = {}
        for centre_id, amount in spent.items():
            stages = tuple(stages_on(trails.get(centre_id, []), workflow.initial, days))
            if stages not in accrued:
                accrued[stages] = accrued_budget(workflow, stages)
            budget = accrued[stages]
            if budget > 0:
                percents[centre_id] = int(amount * 100 / budget)
        return percents
