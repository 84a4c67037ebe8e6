"""The yearly digest as files: digest-YEAR.html, digest-YEAR.csv and digest-YEAR.xlsx.

The HTML is a self-contained, printable German report rendered from
``templates/digest/digest.html.j2`` (StrictUndefined, autoescaped, German formats, charts as
inline SVG from :mod:`thekiz_flow.digest.charts`); the CSV comes from
:mod:`thekiz_flow.digest.csvfile` (its format is documented there), the workbook from
:mod:`thekiz_flow.digest.workbook`.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``),
so two processes writing the same digest never leave a half file; the same digest gives
byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from thekiz_flow.digest.csvfile import centres_table, csv_bytes
from thekiz_flow.digest.model import Digest
from thekiz_flow.digest.tables import share, stage_ids, stage_names, summary_tables
from thekiz_flow.digest.workbook import workbook_bytes
from thekiz_flow.workflow.files import write_atomically

__all__ = [
    "DigestFiles",
    "Summary",
    "csv_bytes",
    "digest_paths",
    "html_context",
    "render_html",
    "render_template",
    "summary",
    "workbook_bytes",
    "write_digest",
]

TEMPLATE = "digest/digest.html.j2"


@dataclass(frozen=True)
class DigestFiles:
    html: Path
    csv: Path
    xlsx: Path


@dataclass(frozen=True)
class Summary:
    """The key numbers at the top of the report."""

    year_end: tuple[tuple[str, int], ...]  # (German stage name, centres), stages with centres
    admissions: int
    sessions_held: int
    hours: Decimal
    cost: Decimal
    budget: Decimal
    share: Decimal | None  # cost / budget
    visits_held: int
    visits_outstanding: int
    gap_centres: int  # centres with at least one gap


def digest_paths(folder: Path, year: int) -> DigestFiles:
    return DigestFiles(*(folder / f"digest-{year}.{suffix}" for suffix in ("html", "csv", "xlsx")))


def write_digest(digest: Digest, folder: Path, templates_dir: Path) -> DigestFiles:
    """Render all three files first, then write each atomically into ``folder``."""
    contents = (
        render_html(digest, templates_dir).encode("utf-8"),
        csv_bytes(digest),
        workbook_bytes(digest),
    )
    files = digest_paths(folder, digest.year)
    for path, data in zip((files.html, files.csv, files.xlsx), contents, strict=True):
        write_atomically(path, data, mode=0o644)  # the digest is for sharing
    return files


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
        budget=digest.total_budget,
        share=share(digest.total_cost, digest.total_budget),
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
        "tables": (*summary_tables(digest), centres_table(digest)),
        "charts": digest_charts(digest),
    }


def render_html(digest: Digest, templates_dir: Path) -> str:
    return render_template(html_context(digest), templates_dir)


def render_template(context: dict[str, object], templates_dir: Path) -> str:
    """The report for ``context``; a missing template or value raises WorkflowError."""
    try:
        return _environment(templates_dir).get_template(TEMPLATE).render(context)
    except TemplateNotFound as error:
        raise WorkflowError(f"Vorlage des Jahresberichts fehlt ({error.name})") from error
    except TemplateError as error:
        raise WorkflowError(f"Vorlage des Jahresberichts {TEMPLATE!r}: {error}") from error


def _environment(templates_dir: Path) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        keep_trailing_newline=True,
    )
    environment.filters.update(GERMAN_FILTERS)
    return environment
