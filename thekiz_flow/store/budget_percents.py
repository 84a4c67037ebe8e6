"""The year's budget percents kept on write (`tables.budget_percents`): read a page of the
highest, and bring them up to date from the stale marks the triggers leave.

A refresh first takes its turn (`take_turn`): on PostgreSQL it locks the marks' table
against new marks until it commits, and waits for the writers whose marks are not yet
committed; SQLite writes one transaction at a time anyway. So every mark up to the last it
reads is committed, and its writes are in what the refresh reads; a write after it waits,
and its mark is figured in next time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, delete, exists, func, insert, select, update

from thekiz_flow.store import mark_turns
from thekiz_flow.store.activities import chunks
from thekiz_flow.store.tables import budget_percents, budget_stale, budget_state


class BudgetPercents:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def rules(self) -> str:
        """The year and rules the percents were figured for ('' if never)."""
        stmt = select(budget_state.c.rules).where(budget_state.c.id == 1)
        return str(self.conn.execute(stmt).scalar_one())

    def any_stale(self) -> bool:
        """Whether a write left a mark since the last refresh."""
        return self.conn.execute(select(budget_stale.c.id).limit(1)).first() is not None

    def take_turn(self) -> None:
        """From here to the commit: no new mark, and every mark there is committed."""
        mark_turns.take_turn(self.conn, budget_stale)

    def last_mark(self) -> int | None:
        """The id of the newest mark (None: there is none)."""
        return mark_turns.last_mark(self.conn, budget_stale)

    def marked(self, last: int) -> list[int]:
        """The centres marked up to the mark ``last``."""
        stmt = select(budget_stale.c.centre_id).where(budget_stale.c.id <= last).distinct()
        return sorted(self.conn.execute(stmt).scalars())

    def replace(self, centre_ids: Sequence[int] | None, percents: Mapping[int, int]) -> None:
        """Put ``percents`` in place of what these centres had (None: of every centre)."""
        p = budget_percents.c
        if centre_ids is None:
            self.conn.execute(delete(budget_percents))
        else:
            for chunk in chunks(centre_ids):
                self.conn.execute(delete(budget_percents).where(p.centre_id.in_(chunk)))
        rows = [{"centre_id": i, "percent": percent} for i, percent in percents.items()]
        if rows:
            self.conn.execute(insert(budget_percents), rows)

    def consumed(self, last: int | None, rules: str) -> None:
        """The marks up to ``last`` are figured in, for ``rules``."""
        if last is not None:
            self.conn.execute(delete(budget_stale).where(budget_stale.c.id <= last))
        self.conn.execute(update(budget_state).where(budget_state.c.id == 1).values(rules=rules))

    def below(self, centre_ids: Sequence[int], percent: int, rules: str) -> set[int]:
        """Of these centres, those whose percent, kept for ``rules`` and standing (no write
        has left a mark since the last refresh), is below ``percent``; none if the percents
        are kept for other rules or a mark is waiting. Each statement (a chunk of the
        centres) reads the rules, the marks and the percents at one moment."""
        p, state = budget_percents.c, budget_state.c
        marked = exists(select(budget_stale.c.id))
        standing = select(state.id).where(state.id == 1, state.rules == rules, ~marked)
        found: set[int] = set()
        for chunk in chunks(centre_ids):
            stmt = select(p.centre_id).where(
                p.centre_id.in_(chunk), p.percent < percent, standing.exists()
            )
            found.update(self.conn.execute(stmt).scalars())
        return found

    def just_over(self, at_least: int, limit: int) -> list[int]:
        """The first ``limit`` centres at ``at_least`` percent or more, the least first (the
        last to have reached it, as a rule): the index's range read backwards."""
        p = budget_percents.c
        stmt = (
            select(p.centre_id)
            .where(p.percent >= at_least)
            .order_by(p.percent, p.centre_id.desc())
            .limit(limit)
        )
        return list(self.conn.execute(stmt).scalars())

    def highest(self, at_least: int, limit: int | None) -> tuple[list[tuple[int, int]], int]:
        """(centre, percent) of the first ``limit`` centres at ``at_least`` percent or more,
        the most first (None: all), and how many there are: a range of the index."""
        p = budget_percents.c
        over = p.percent >= at_least
        stmt = select(p.centre_id, p.percent).where(over).order_by(p.percent.desc(), p.centre_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        found = [(r.centre_id, r.percent) for r in self.conn.execute(stmt)]
        if limit is None or len(found) < limit:
            return found, len(found)
        total = self.conn.execute(select(func.count()).select_from(budget_percents).where(over))
        return found, int(total.scalar_one())
