"""The centres per stage and district kept on write (migration 0028): the counts as of the
last fold and the +1 and -1 changes that triggers on centres appended since.

Reading adds the two up in one statement (one snapshot, on PostgreSQL too): exact whatever
has been folded. A fold deletes the changes it can see and adds what it deleted to the
counts, in one transaction: one statement both takes and deletes them, so a change
committed meanwhile stays for the next fold, and of two folds at once (on PostgreSQL) the
second waits for the first and takes what it left. No writer waits for a fold or for
another writer's counter; folds add to the counts in one order (by stage and district).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, delete, func, select, union_all

from thekiz_flow.store.tables import centre_count_changes, centre_counts
from thekiz_flow.store.upsert import insert_into


class CentreCounts:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def counts(self) -> list[tuple[str, str, int]]:
        """(stage, district, number of centres) of the pairs that have centres."""
        kept, changes = centre_counts.c, centre_count_changes.c
        both = union_all(
            select(kept.stage, kept.district, kept.centres.label("n")),
            select(changes.stage, changes.district, changes.delta.label("n")),
        ).subquery()
        total = func.sum(both.c.n)
        stmt = (
            select(both.c.stage, both.c.district, total)
            .group_by(both.c.stage, both.c.district)
            .having(total > 0)
        )
        return [(s, d, int(n)) for s, d, n in self.conn.execute(stmt)]

    def fold(self) -> int:
        """Add the changes up into the counts; how many changes were folded."""
        changes = centre_count_changes.c
        taken = self.conn.execute(
            delete(centre_count_changes).returning(changes.stage, changes.district, changes.delta)
        ).all()
        sums: Counter[tuple[str, str]] = Counter()
        for stage, district, delta in taken:
            sums[stage, district] += delta
        for (stage, district), delta in sorted(sums.items()):
            if delta == 0:
                continue
            stmt = insert_into(self.conn, centre_counts).values(
                stage=stage, district=district, centres=delta
            )
            self.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["stage", "district"],
                    set_={"centres": centre_counts.c.centres + stmt.excluded.centres},
                )
            )
        self.conn.execute(delete(centre_counts).where(centre_counts.c.centres == 0))
        return len(taken)
