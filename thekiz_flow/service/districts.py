"""The districts' accounts of a year (``accounts/districts.py``): the yearly digest's
figures by district, with the stage changes of the year.

The files (PDF, workbook) are built from the digest itself. The page reads the accounts kept
on write (`store.district_accounts`): a view first figures again, as the digest does, the
centres that writes marked since the last view (every centre, for a year never figured or
other rules), then reads the districts' totals and a page of one district's centres.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from thekiz_flow.accounts.districts import (
    CentreAccount,
    DistrictOverview,
    DistrictReport,
    DistrictTotal,
    district_report,
)
from thekiz_flow.core import paging
from thekiz_flow.core.paging import Page
from thekiz_flow.digest.model import CentreYear
from thekiz_flow.service.budget_watch import budget_rules
from thekiz_flow.service.digest import PART, DigestService
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.district_accounts import AccountRow

RULES_VERSION = 1  # one more when the way a centre's account is figured changes
# more marked centres than this: the year is figured whole (one scan of its activities
# costs less than a search of each part's centres)
WHOLE_ABOVE = PART


class DistrictService:
    def __init__(self, rt: Runtime, digest: DigestService) -> None:
        self.rt = rt
        self.digest = digest

    def report(self, year: int, district: str | None = None) -> DistrictReport:
        """The accounts of ``year`` (the current one provisional), of every district with
        centres or of ``district`` alone."""
        wanted = None if district is None else self.rt.district(district)
        digest = self.digest.build(year)
        with self.rt.unit() as repo:
            changes = repo.changes_between(date(year, 1, 1), date(year, 12, 31))
        found = district_report(digest, changes, year >= self.rt.today().year)
        return found if wanted is None else found.only(wanted)

    def overview(self, year: int, district: str | None = None) -> DistrictOverview:
        """The totals of ``year`` of every district with centres, or of ``district``
        alone, as `report` has them."""
        wanted = None if district is None else self.rt.district(district)
        self.refresh(year)
        with self.rt.unit() as repo:
            found = {t.district: t for t in repo.district_accounts.totals(year)}
        known = self.rt.workflow.districts
        order = [*(d for d in known if d in found), *sorted(set(found) - set(known))]
        return DistrictOverview(
            year,
            year >= self.rt.today().year,
            tuple(
                DistrictTotal(
                    name,
                    t.centres,
                    t.sessions,
                    _hundredths(t.hours),
                    _hundredths(t.cost),
                    _hundredths(t.budget),
                    _hundredths(t.rest),
                )
                for name in order
                if wanted in (None, name)
                for t in (found[name],)
            ),
        )

    def centres(self, year: int, total: DistrictTotal, number: int) -> Page[CentreAccount]:
        """Page ``number`` of the district's centres in ``year``, by name, as `report` has
        them (after `overview`, which figured them)."""
        first, last = date(year, 1, 1), date(year, 12, 31)
        with self.rt.unit() as repo:
            rows = repo.district_accounts.page(
                year, total.name, paging.offset(number), paging.size()
            )
            changes = repo.changes_between(first, last, centre_ids=[r.centre_id for r in rows])
        names = {s.id: s.name for s in self.rt.workflow.stages.values()}
        mine: dict[int, list[str]] = {}
        for c in sorted(changes, key=lambda c: (c.effective, c.id or 0)):
            stage = names.get(c.to_stage, c.to_stage)
            mine.setdefault(c.centre_id, []).append(f"ab {c.effective:%d.%m.%Y} {stage}")
        items = [
            CentreAccount(
                r.centre_id,
                r.name,
                names.get(r.stage_start, r.stage_start),
                names.get(r.stage_end, r.stage_end),
                tuple(mine.get(r.centre_id, ())),
                r.sessions,
                _hundredths(r.hours),
                _hundredths(r.cost),
                None if r.budget is None else _hundredths(r.budget),
            )
            for r in rows
        ]
        return Page.of(items, total.centres, number)

    @staticmethod
    def first_shown(today: date) -> int:
        """The year the page shows first: the last one complete."""
        return today.year - 1

    def keep_shown(self, today: date) -> None:
        """The accounts of the year the page shows first and of this year figured for what
        was written since (`refresh`): the page finds them as they are."""
        for year in (self.first_shown(today), today.year):
            self.refresh(year)

    def refresh(self, year: int) -> None:
        """Figure again the centres of ``year`` whose accounts writes made stale since they
        were figured (every centre, for a year not figured yet or other rules): the marks
        read under a turn, the centres in transactions of their own, then written under a
        turn, unless a refresh that read later wrote first."""
        self.digest.checked_year(year)
        rules = f"{budget_rules(self.rt.workflow, year)}:{RULES_VERSION}"
        with self.rt.unit() as repo:
            kept = repo.district_accounts
            state = kept.state(year)
            if state is not None and state.rules == rules:
                if not kept.newer_than(state.figured_upto):
                    return
            kept.take_turn()
            state, last = kept.state(year), kept.last_mark()
            since = state.figured_upto if state is not None and state.rules == rules else None
            if since is not None and since >= last:
                return  # another refresh did it meanwhile
            ids = None if since is None else kept.marked(since, last)
            if ids is not None and len(ids) > WHOLE_ABOVE:
                ids = None
            if since is None:
                kept.pending(year, last)
        rows = [_account(c) for c in self.digest.centre_years(year, ids)]
        with self.rt.unit() as repo:
            kept = repo.district_accounts
            kept.take_turn()  # one refresh writes at a time
            now = kept.state(year)
            if now is None:
                return  # lagged too far behind meanwhile: the next view figures it whole
            figured = now.figured_upto if now.rules == rules else None
            if figured is not None and figured >= last:
                return  # a refresh that read later wrote first
            if ids is not None and since is not None and (figured is None or figured < since):
                return  # the year is to be figured whole: the next view does it
            kept.replace(year, ids, rows)
            kept.figured(year, rules, last)


def _hundredths(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _cents(value: Decimal) -> int:
    """``value`` in hundredths, exactly (hours have two places, money is in cents)."""
    cents = value.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has more than two places")
    return int(cents)


def _account(row: CentreYear) -> AccountRow:
    return AccountRow(
        row.id,
        row.district,
        row.name,
        row.stage_start,
        row.stage_end,
        row.sessions_held,
        _cents(row.hours),
        _cents(row.cost),
        None if row.budget is None else _cents(row.budget),
    )
