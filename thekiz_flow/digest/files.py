"""The yearly digest as files: digest-YEAR.html, .pdf, .csv and .xlsx.

The HTML is a self-contained, printable German report rendered from
``templates/digest/digest.html.j2`` (StrictUndefined, autoescaped, German formats, charts as
inline SVG from :mod:`thekiz_flow.digest.charts`); the PDF is that HTML on A4 pages, laid
out by WeasyPrint with the report's print CSS (page numbers in the footer); the CSV comes
from :mod:`thekiz_flow.digest.csvfile` (its format is documented there), the workbook from
:mod:`thekiz_flow.digest.workbook`.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``),
so two processes writing the same digest never leave a half file; the same digest gives
byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    select_autoescape,
)

from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.core.german import GERMAN_FILTERS
from thekiz_flow.digest.charts import digest_charts
from thekiz_flow.digest.csvfile import DISTRICT_TITLE, centres_table, csv_bytes
from thekiz_flow.digest.hyphens import hyphenated
from thekiz_flow.digest.model import Digest
from thekiz_flow.digest.tables import (
    Row,
    Table,
    ordered,
    share,
    stage_ids,
    stage_names,
    summary_tables,
)
from thekiz_flow.digest.workbook import workbook_bytes
from thekiz_flow.workflow.files import write_atomically

__all__ = [
    "DigestFiles",
    "Summary",
    "csv_bytes",
    "digest_paths",
    "html_context",
    "pdf_bytes",
    "render_html",
    "render_template",
    "summary",
    "workbook_bytes",
    "write_digest",
]

TEMPLATE = "digest/digest.html.j2"
# A table of more rows (the per-centre table, the gaps) is only in the CSV and the workbook:
# the HTML and the PDF say where it is (thousands of rows are read in a spreadsheet, and a
# PDF of them takes minutes and a gigabyte to lay out).
HTML_ROWS = 300


SUFFIXES = ("html", "csv", "xlsx", "pdf")


@dataclass(frozen=True)
class DigestFiles:
    html: Path
    csv: Path
    xlsx: Path
    pdf: Path

    def all(self) -> tuple[Path, ...]:
        return (self.html, self.csv, self.xlsx, self.pdf)


@dataclass(frozen=True)
class Summary:
    """The key numbers at the top of the report."""

    year_end: tuple[tuple[str, int], ...]  # (German stage name, centres), stages with centres
    admissions: int
    sessions_held: int
    hours: Decimal
    cost: Decimal  # of all held sessions
    budgeted_cost: Decimal  # of those in stages with a budget
    budget: Decimal
    share: Decimal | None  # budgeted cost / budget
    visits_held: int
    visits_outstanding: int
    gap_centres: int  # centres with at least one gap


def digest_paths(folder: Path, year: int) -> DigestFiles:
    return DigestFiles(*(folder / f"digest-{year}.{suffix}" for suffix in SUFFIXES))


def write_digest(digest: Digest, folder: Path, templates_dir: Path) -> DigestFiles:
    """Render all four files first, then write each atomically into ``folder``."""
    html = render_html(digest, templates_dir)
    contents = (html.encode("utf-8"), csv_bytes(digest), workbook_bytes(digest), pdf_bytes(html))
    files = digest_paths(folder, digest.year)
    for path, data in zip(files.all(), contents, strict=True):
        write_atomically(path, data, mode=0o644)  # the digest is for sharing
    return files


def pdf_bytes(html: str) -> bytes:
    """The report as a PDF of A4 pages: the same HTML, laid out for print. The same HTML gives
    the same bytes (no moment of writing in the file)."""
    from weasyprint import HTML  # loads pango and fonts: only where a PDF is made

    data: bytes = HTML(string=html).write_pdf()
    return data


def summary(digest: Digest) -> Summary:
    names = stage_names(digest)
    year_end = tuple(
        (names.get(stage, stage), digest.stage_end[stage])
        for stage in stage_ids(digest)
        if digest.stage_end.get(stage, 0)
    )
    hours = sum((f.hours for f in digest.sessions_by_stage.values()), Decimal(0))
    return Summary(
        year_end=year_end,
        admissions=digest.admissions,
        sessions_held=digest.total_held,
        hours=hours,
        cost=digest.total_cost,
        budgeted_cost=digest.budgeted_cost,
        budget=digest.total_budget,
        share=share(digest.budgeted_cost, digest.total_budget),
        visits_held=digest.site_visits_held,
        visits_outstanding=digest.site_visits_outstanding,
        gap_centres=len({gap.centre_id for gap in digest.gaps}),
    )


def html_context(digest: Digest) -> dict[str, object]:
    """Everything the template reads."""
    return {
        "year": digest.year,
        "year_start": date(digest.year, 1, 1),
        "year_end": date(digest.year, 12, 31),
        "summary": summary(digest),
        "centres_total": sum(digest.stage_end.values()),
        "tables": summary_tables(digest),
        "centres": by_district(digest, centres_table(digest))
        if len(digest.centres) <= HTML_ROWS
        else None,
        "centre_rows": len(digest.centres),
        "html_rows": HTML_ROWS,
        "centre_files": (f"digest-{digest.year}.xlsx", f"digest-{digest.year}.csv"),
        "charts": digest_charts(digest),
        "gap_rules": digest.gap_rules,
        "no_budget": [name for stage, name in digest.stages if stage in _unbudgeted(digest)],
    }


@dataclass(frozen=True)
class DistrictRows:
    """The per-centre table's rows of one district, without the district column."""

    district: str
    rows: tuple[Row, ...]


def by_district(digest: Digest, table: Table) -> tuple[Table, tuple[DistrictRows, ...]]:
    """The per-centre table as sections per district (in the workflow's order) without its
    district column: so it fits the width of an A4 page."""
    at = [column.title for column in table.columns].index(DISTRICT_TITLE)
    groups: dict[str, list[Row]] = {}
    for row in table.rows:
        groups.setdefault(str(row[at]), []).append((*row[:at], *row[at + 1 :]))
    narrow = replace(table, columns=(*table.columns[:at], *table.columns[at + 1 :]), rows=())
    districts = ordered(digest.districts, groups)
    return narrow, tuple(DistrictRows(d, tuple(groups[d])) for d in districts if d in groups)


def _unbudgeted(digest: Digest) -> set[str]:
    """The stages with sessions in the year but no budget."""
    return {s for s in digest.sessions_by_stage if s not in digest.budget_by_stage}


def render_html(digest: Digest, templates_dir: Path) -> str:
    return render_template(html_context(digest), templates_dir)


def render_template(context: dict[str, object], templates_dir: Path) -> str:
    """The report for ``context``; a missing template or value raises WorkflowError."""
    try:
        return report_environment(templates_dir).get_template(TEMPLATE).render(context)
    except TemplateNotFound as error:
        raise WorkflowError(f"Vorlage des Jahresberichts fehlt ({error.name})") from error
    except TemplateError as error:
        raise WorkflowError(f"Vorlage des Jahresberichts {TEMPLATE!r}: {error}") from error


def report_environment(templates_dir: Path) -> Environment:
    """The environment of the report pages (digest, accounts): StrictUndefined, autoescaped
    HTML, the German filters and ``hyphenated``."""
    environment = Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        keep_trailing_newline=True,
    )
    environment.filters.update(GERMAN_FILTERS)
    environment.filters["hyphenated"] = hyphenated
    return environment
