"""The districts' accounts of a year: per district its centres, their stages over the year,
coaching hours and cost, the budget accrued and the rest; the figures a district needs for
its proof of use of funds (Verwendungsnachweis).

Every figure is the yearly digest's (``digest/aggregate.py``: the stage in force on each
month's 15th accrues a twelfth of its yearly budget; a held session costs its hours times
the rate recorded with it), grouped by district here; nothing is counted a second way. The
rest is the accrued budget less the cost of the sessions held.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from thekiz_flow.accounts.files import pdf_bytes, render_html, workbook_bytes
from thekiz_flow.core.model import StageChange
from thekiz_flow.digest.model import Digest
from thekiz_flow.digest.tables import NO_BUDGET, TOTAL, Column, Table

TEMPLATE = "districts.html.j2"


@dataclass(frozen=True)
class CentreAccount:
    id: int
    name: str
    stage_start: str  # German name, on 1 January
    stage_end: str  # on 31 December
    changes: tuple[str, ...]  # "ab 12.03.2026 Vertiefung", in order
    sessions: int
    hours: Decimal
    cost: Decimal
    budget: Decimal | None  # None: no month of the year in a stage with a budget

    @property
    def rest(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.cost


@dataclass(frozen=True)
class DistrictAccount:
    name: str
    centres: tuple[CentreAccount, ...]  # by name

    @property
    def sessions(self) -> int:
        return sum(c.sessions for c in self.centres)

    @property
    def hours(self) -> Decimal:
        return sum((c.hours for c in self.centres), Decimal(0))

    @property
    def cost(self) -> Decimal:
        return sum((c.cost for c in self.centres), Decimal(0))

    @property
    def budget(self) -> Decimal:
        return sum((c.budget for c in self.centres if c.budget is not None), Decimal(0))

    @property
    def rest(self) -> Decimal:
        """The rest of the centres with a budget (a centre by need has none to keep)."""
        return sum((c.rest for c in self.centres if c.rest is not None), Decimal(0))

    @property
    def total(self) -> DistrictTotal:
        return DistrictTotal(
            self.name,
            len(self.centres),
            self.sessions,
            self.hours,
            self.cost,
            self.budget,
            self.rest,
        )


@dataclass(frozen=True)
class DistrictTotal:
    """A district's totals of the year, without its centres."""

    name: str
    centres: int
    sessions: int
    hours: Decimal
    cost: Decimal
    budget: Decimal
    rest: Decimal


@dataclass(frozen=True)
class DistrictOverview:
    """Every district's totals of a year (the districts' page; its files hold the centres)."""

    year: int
    provisional: bool  # the year is not over
    districts: tuple[DistrictTotal, ...]  # those with centres, in the workflow's order

    @property
    def centres(self) -> int:
        return sum(d.centres for d in self.districts)

    @property
    def sessions(self) -> int:
        return sum(d.sessions for d in self.districts)

    @property
    def hours(self) -> Decimal:
        return sum((d.hours for d in self.districts), Decimal(0))

    @property
    def cost(self) -> Decimal:
        return sum((d.cost for d in self.districts), Decimal(0))

    @property
    def budget(self) -> Decimal:
        return sum((d.budget for d in self.districts), Decimal(0))

    @property
    def rest(self) -> Decimal:
        return sum((d.rest for d in self.districts), Decimal(0))


@dataclass(frozen=True)
class DistrictReport:
    year: int
    provisional: bool  # the year is not over
    districts: tuple[DistrictAccount, ...]  # those with centres, in the workflow's order

    def overview(self) -> DistrictOverview:
        """Every district's totals and their sums."""
        return DistrictOverview(self.year, self.provisional, tuple(d.total for d in self.districts))

    def only(self, district: str) -> DistrictReport:
        """The report of one district."""
        return DistrictReport(
            self.year, self.provisional, tuple(d for d in self.districts if d.name == district)
        )


def district_report(
    digest: Digest, changes: Iterable[StageChange], provisional: bool
) -> DistrictReport:
    """The digest's centres grouped by district, with the stage changes of the year."""
    names = dict(digest.stages)
    by_centre: dict[int, list[StageChange]] = {}
    for change in sorted(changes, key=lambda c: (c.effective, c.id or 0)):
        by_centre.setdefault(change.centre_id, []).append(change)
    accounts: dict[str, list[CentreAccount]] = {}
    for centre in digest.centres:
        accounts.setdefault(centre.district, []).append(
            CentreAccount(
                centre.id,
                centre.name,
                names.get(centre.stage_start, centre.stage_start),
                names.get(centre.stage_end, centre.stage_end),
                tuple(
                    f"ab {c.effective:%d.%m.%Y} {names.get(c.to_stage, c.to_stage)}"
                    for c in by_centre.get(centre.id, ())
                ),
                centre.sessions_held,
                centre.hours,
                centre.cost,
                centre.budget,
            )
        )
    order = [*digest.districts, *sorted(set(accounts) - set(digest.districts))]
    return DistrictReport(
        digest.year,
        provisional,
        tuple(
            DistrictAccount(name, tuple(sorted(accounts[name], key=lambda c: (c.name, c.id))))
            for name in order
            if name in accounts
        ),
    )


MONEY_COLUMNS = (
    Column("Termine", "int"),
    Column("Stunden", "number"),
    Column("Kosten", "euro"),
    Column("Budget anteilig", "euro"),
    Column("Rest", "euro"),
)


def report_tables(report: DistrictReport) -> tuple[Table, ...]:
    totals = report.overview()
    summary = Table(
        "landkreise",
        f"Landkreise {report.year}",
        "Landkreise",
        (Column("Landkreis"), Column("Einrichtungen", "int"), *MONEY_COLUMNS),
        tuple(
            (d.name, len(d.centres), d.sessions, d.hours, d.cost, d.budget, d.rest)
            for d in report.districts
        ),
        (
            (
                TOTAL,
                totals.centres,
                totals.sessions,
                totals.hours,
                totals.cost,
                totals.budget,
                totals.rest,
            ),
        ),
    )
    centres = Table(
        "einrichtungen",
        f"Einrichtungen {report.year}",
        "Einrichtungen",
        (
            Column("Landkreis"),
            Column("Nummer", "int"),
            Column("Einrichtung"),
            Column("Stufe am 1.1."),
            Column("Stufe am 31.12."),
            Column("Stufenwechsel"),
            *MONEY_COLUMNS,
        ),
        tuple(
            (
                d.name,
                c.id,
                c.name,
                c.stage_start,
                c.stage_end,
                "; ".join(c.changes),
                c.sessions,
                c.hours,
                c.cost,
                NO_BUDGET if c.budget is None else c.budget,
                "–" if c.rest is None else c.rest,
            )
            for d in report.districts
            for c in d.centres
        ),
    )
    return summary, centres


def title(report: DistrictReport | DistrictOverview) -> str:
    return f"Verwendungsnachweis Prozessbegleitung {report.year}"


def file_name(report: DistrictReport, suffix: str, district: str | None = None) -> str:
    """landkreise-2025.xlsx, landkreise-2025-weimarer-land.pdf"""
    name = f"landkreise-{report.year}"
    if district is not None:
        name += "-" + "-".join(
            district.lower()
            .replace("ä", "ae")
            .replace("ö", "oe")
            .replace("ü", "ue")
            .replace("ß", "ss")
            .split()
        )
    return f"{name}.{suffix}"


def report_xlsx(report: DistrictReport) -> bytes:
    return workbook_bytes(report_tables(report), title(report), datetime(report.year + 1, 1, 1))


def report_html(report: DistrictReport, templates_dir: Path, tables: Sequence[Table] = ()) -> str:
    return render_html(
        TEMPLATE, {"r": report, "title": title(report), "tables": tables}, templates_dir
    )


def report_pdf(report: DistrictReport, templates_dir: Path) -> bytes:
    identifier = hashlib.sha256(report_xlsx(report)).hexdigest()[:32]  # same figures: same PDF
    return pdf_bytes(report_html(report, templates_dir), identifier)
