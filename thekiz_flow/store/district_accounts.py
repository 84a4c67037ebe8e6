"""The districts' accounts of a year kept on write (`tables.district_accounts`): read a
district's totals and a page of its centres, and put figures of stale centres in place.

The triggers of migration 0033 mark a centre on every write that can change its figures;
the marks' ids are never reused. A year's state names the rules it was figured for and the
last mark figured in: a reading is current while no mark is newer. A refresh takes its turn
(`take_turn`) to read the marks and again to write: on PostgreSQL it waits for the writers
whose marks are not yet committed, so every mark up to the last it reads is committed and
what it reads afterwards holds their writes, and no two refreshes write at once. A year
being figured whole holds a state that names no rules (`pending`), so that the marks after
the last it read stay until it is written (`prune` keeps every mark after the oldest state).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import Connection, delete, func, insert, select, update

from thekiz_flow.store import mark_turns
from thekiz_flow.store.activities import chunks
from thekiz_flow.store.tables import (
    account_stale,
    account_years,
    district_accounts,
    district_totals,
)

BACKLOG = 100_000  # marks a year may lag behind before it is figured again whole
PENDING = ""  # the rules of a year being figured whole: none yet


class AccountRow(NamedTuple):
    """A centre's figures of the year: hours in hundredths, money in cents."""

    centre_id: int
    district: str
    name: str
    stage_start: str
    stage_end: str
    sessions: int
    hours: int
    cost: int
    budget: int | None


class TotalsRow(NamedTuple):
    """A district's totals of the year: hours in hundredths, money in cents."""

    district: str
    centres: int
    sessions: int
    hours: int
    cost: int
    budget: int
    rest: int  # budget less cost, of the centres with a budget


class YearState(NamedTuple):
    rules: str
    figured_upto: int  # the last mark figured in


class DistrictAccounts:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def state(self, year: int) -> YearState | None:
        """What ``year`` was figured for (None: never, or it lagged too far behind)."""
        y = account_years.c
        stmt = select(y.rules, y.figured_upto).where(y.year == year)
        row = self.conn.execute(stmt).first()
        return None if row is None else YearState(row.rules, row.figured_upto)

    def newer_than(self, mark: int) -> bool:
        """Whether a write left a mark after ``mark``."""
        stmt = select(account_stale.c.id).where(account_stale.c.id > mark).limit(1)
        return self.conn.execute(stmt).first() is not None

    def take_turn(self) -> None:
        """From here to the commit: no new mark, and every mark there is committed."""
        mark_turns.take_turn(self.conn, account_stale)

    def last_mark(self) -> int:
        """The id of the newest mark (0: there is none)."""
        return mark_turns.last_mark(self.conn, account_stale) or 0

    def marked(self, after: int, last: int) -> list[int]:
        """The centres marked after the mark ``after`` up to ``last``."""
        s = account_stale.c
        stmt = select(s.centre_id).where(s.id > after, s.id <= last).distinct()
        return sorted(self.conn.execute(stmt).scalars())

    def pending(self, year: int, last: int) -> None:
        """``year`` is being figured whole from what was written up to the mark ``last``:
        the marks after it (and after any earlier state's) stay."""
        y = account_years.c
        state = self.state(year)
        if state is None:
            self.conn.execute(
                insert(account_years).values(year=year, rules=PENDING, figured_upto=last)
            )
            return
        stmt = update(account_years).where(y.year == year)
        self.conn.execute(stmt.values(rules=PENDING, figured_upto=min(state.figured_upto, last)))

    def replace(
        self, year: int, centre_ids: Sequence[int] | None, rows: Sequence[AccountRow]
    ) -> None:
        """Put ``rows`` in place of what these centres had in ``year`` (None: every centre),
        and the totals of the districts that had or have them figured again."""
        a = district_accounts.c
        districts: set[str] | None = None
        if centre_ids is None:
            self.conn.execute(delete(district_accounts).where(a.year == year))
        else:
            districts = {r.district for r in rows}
            for chunk in chunks(centre_ids):
                among = (a.year == year, a.centre_id.in_(chunk))
                districts |= set(self.conn.execute(select(a.district).where(*among)).scalars())
                self.conn.execute(delete(district_accounts).where(*among))
        if rows:
            self.conn.execute(
                insert(district_accounts), [{"year": year, **r._asdict()} for r in rows]
            )
        self._total(year, districts)

    def _total(self, year: int, districts: Iterable[str] | None) -> None:
        """The totals of these districts of ``year`` (None: of every district) added up
        again from their centres."""
        a, t = district_accounts.c, district_totals.c
        stale = delete(district_totals).where(t.year == year)
        if districts is not None:
            stale = stale.where(t.district.in_(districts))
        self.conn.execute(stale)
        stmt = (
            select(
                a.year,
                a.district,
                func.count(),
                func.sum(a.sessions),
                func.sum(a.hours),
                func.sum(a.cost),
                func.coalesce(func.sum(a.budget), 0),
                func.coalesce(func.sum(a.budget - a.cost), 0),  # NULL where no budget
            )
            .where(a.year == year)
            .group_by(a.year, a.district)
        )
        if districts is not None:
            stmt = stmt.where(a.district.in_(districts))
        self.conn.execute(
            insert(district_totals).from_select(
                ["year", "district", "centres", "sessions", "hours", "cost", "budget", "rest"],
                stmt,
            )
        )

    def figured(self, year: int, rules: str, last: int) -> None:
        """``year`` is figured for ``rules`` up to the mark ``last``; then `prune`."""
        y = account_years.c
        stmt = update(account_years).where(y.year == year).values(rules=rules, figured_upto=last)
        if self.conn.execute(stmt).rowcount == 0:
            self.conn.execute(
                insert(account_years).values(year=year, rules=rules, figured_upto=last)
            )
        self.prune()

    def prune(self) -> None:
        """A year lagging more than `BACKLOG` marks behind loses its state (it is figured
        whole when it is next read), so that the marks do not pile up; then the marks every
        year's state has figured in are deleted (every mark, if no year has a state: none
        is figured, none is being figured), but for the newest: its id is the last given."""
        y, m = account_years.c, account_stale.c
        last = self.last_mark()
        self.conn.execute(delete(account_years).where(y.figured_upto < last - BACKLOG))
        oldest = self.conn.execute(select(func.min(y.figured_upto))).scalar()
        upto = last if oldest is None else int(oldest)
        self.conn.execute(delete(account_stale).where(m.id <= upto, m.id < last))

    def totals(self, year: int) -> list[TotalsRow]:
        """Every district's totals of ``year``, by name."""
        t = district_totals.c
        stmt = (
            select(t.district, t.centres, t.sessions, t.hours, t.cost, t.budget, t.rest)
            .where(t.year == year)
            .order_by(t.district)
        )
        return [TotalsRow(*row) for row in self.conn.execute(stmt)]

    def page(self, year: int, district: str, offset: int, limit: int) -> list[AccountRow]:
        """A page of the district's centres in ``year``, by name as the files have them (in
        the order of the characters' code points, whatever the database's collation): on
        SQLite a range of the index, on PostgreSQL the district's rows sorted."""
        a = district_accounts.c
        name = a.name.collate("C") if self.conn.dialect.name == "postgresql" else a.name
        stmt = (
            select(
                a.centre_id,
                a.district,
                a.name,
                a.stage_start,
                a.stage_end,
                a.sessions,
                a.hours,
                a.cost,
                a.budget,
            )
            .where(a.year == year, a.district == district)
            .order_by(name, a.centre_id)
            .offset(offset)
            .limit(limit)
        )
        return [AccountRow(*row) for row in self.conn.execute(stmt)]
