"""Counts kept on write: the counts as of the last fold, and the +1 and -1 changes that
triggers appended since (the centres per stage and district, migration 0028; the messages
per status, migration 0031).

Reading adds the two up in one statement (one snapshot, on PostgreSQL too): exact whatever
has been folded. A fold deletes the changes it can see and adds what it deleted to the
counts, in one transaction: one statement both takes and deletes them, so a change
committed meanwhile stays for the next fold, and of two folds at once (on PostgreSQL) the
second waits for the first and takes what it left. No writer waits for a fold or for
another writer's counter; folds add to the counts in one order (by their keys).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Column, Connection, Table, delete, func, select, union_all

from thekiz_flow.store.upsert import insert_into


class KeptCounts:
    """The counts of ``kept`` (its key columns, then the count ``number``) and the changes
    of ``changes`` (the same key columns and ``delta``) on one connection."""

    def __init__(self, connection: Connection, kept: Table, changes: Table, number: str) -> None:
        self.conn = connection
        self._kept, self._changes = kept, changes
        self._number = kept.c[number]
        self._keys: list[Column[Any]] = list(kept.primary_key.columns)

    def counts(self) -> list[tuple[Any, ...]]:
        """(key ..., count) of the keys that count more than nothing."""
        names = [key.name for key in self._keys]
        both = union_all(
            select(*self._keys, self._number.label("n")),
            select(*(self._changes.c[name] for name in names), self._changes.c.delta.label("n")),
        ).subquery()
        keys = [both.c[name] for name in names]
        total = func.sum(both.c.n)
        stmt = select(*keys, total).group_by(*keys).having(total > 0)
        return [(*row[:-1], int(row[-1])) for row in self.conn.execute(stmt)]

    def fold(self) -> int:
        """Add the changes up into the counts; how many changes were folded."""
        names = [key.name for key in self._keys]
        taken = delete(self._changes).returning(
            *(self._changes.c[name] for name in names), self._changes.c.delta
        )
        sums: Counter[tuple[Any, ...]] = Counter()
        folded = 0
        for row in self.conn.execute(taken):
            sums[tuple(row[:-1])] += row[-1]
            folded += 1
        for key, delta in sorted(sums.items()):
            if delta == 0:
                continue
            values = {**dict(zip(names, key, strict=True)), self._number.name: delta}
            stmt = insert_into(self.conn, self._kept).values(**values)
            self.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=names,
                    set_={self._number.name: self._number + stmt.excluded[self._number.name]},
                )
            )
        self.conn.execute(delete(self._kept).where(self._number == 0))
        return folded
