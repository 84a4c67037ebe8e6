"""The digest's tables as values: one description for the HTML report and the workbook.

A table has the id of its HTML ``<table>``, a German caption, the name of its worksheet and
typed cells; the HTML formats them the German way (babel), the workbook keeps numbers as
numbers. Rows follow the workflow's order of stages and districts; a key the digest has but
the workflow does not name is appended (sorted), so no figure is dropped silently.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, get_args

from thekiz_flow.digest.model import Digest, SessionFigures

Kind = Literal["text", "int", "number", "euro", "percent", "date"]
# a cell of a number column may hold a text instead (NO_BUDGET): shown as it is
Cell = str | int | Decimal | date | None
Row = tuple[Cell, ...]

TOTAL = "Insgesamt"
NO_BUDGET = "kein Budget"  # a stage by need (budget_per_year not set): no budget to keep


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    id: str  # the id of the HTML table
    caption: str
    sheet: str  # the worksheet's name (at most 31 characters)
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    totals: tuple[Row, ...] = ()


def ordered(known: Iterable[str], present: Iterable[str]) -> list[str]:
    """The known keys in their order, then any other present key, sorted."""
    first = list(known)
    return first + sorted(set(present) - set(first))


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole as a ratio (0.843137), or None when there is nothing to compare with."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.000001"))  # shown to 0.1 %


def stage_names(digest: Digest) -> dict[str, str]:
    return dict(digest.stages)


def stage_ids(digest: Digest) -> list[str]:
    present = [*digest.stage_start, *digest.stage_end]
    return ordered((stage for stage, _ in digest.stages), present)


def present_stages(digest: Digest, present: Collection[str]) -> list[str]:
    """The stages among ``present``, in the workflow's order."""
    return [stage for stage in ordered((s for s, _ in digest.stages), present) if stage in present]


def budget_stages(digest: Digest) -> list[str]:
    """The stages with a budget or a cost in the year, in the workflow's order."""
    costs = {stage: figures.cost for stage, figures in digest.sessions_by_stage.items()}
    present = {s for s, amount in [*digest.budget_by_stage.items(), *costs.items()] if amount}
    return present_stages(digest, present)


KINDS: dict[str, Kind] = {kind: kind for kind in get_args(Kind)}


def _columns(spec: str) -> tuple[Column, ...]:
    """Columns from a spec: "Stufe | Kosten:euro" is a text column and a euro column."""
    columns = []
    for part in spec.split(" | "):
        title, _, kind = part.partition(":")
        columns.append(Column(title, KINDS[kind or "text"]))
    return tuple(columns)


def stages_table(digest: Digest) -> Table:
    names = stage_names(digest)
    rows = []
    for stage in stage_ids(digest):
        start, end = digest.stage_start.get(stage, 0), digest.stage_end.get(stage, 0)
        rows.append((names.get(stage, stage), start, end, end - start))
    start, end = sum(digest.stage_start.values()), sum(digest.stage_end.values())
    return Table(
        "stages",
        f"Einrichtungen je Stufe am Jahresbeginn und Jahresende {digest.year}",
        "Stufen",
        _columns("Stufe | 1. Januar:int | 31. Dezember:int | Veränderung:int"),
        tuple(rows),
        ((TOTAL, start, end, end - start),),
    )


def district_table(digest: Digest, end: bool) -> Table:
    counts = digest.district_end if end else digest.district_start
    stages = stage_ids(digest)
    names = stage_names(digest)
    districts = ordered(digest.districts, (district for district, _ in counts))
    rows: list[Row] = []
    for district in districts:
        cells = [counts.get((district, stage), 0) for stage in stages]
        rows.append((district, *cells, sum(cells)))
    totals = [sum(counts.get((district, stage), 0) for district in districts) for stage in stages]
    day = "31. Dezember" if end else "1. Januar"
    return Table(
        "districts-end" if end else "districts-start",
        f"Einrichtungen je Kreis und Stufe am {day} {digest.year}",
        "Kreise Jahresende" if end else "Kreise Jahresbeginn",
        (Column("Kreis"), *(Column(names.get(s, s), "int") for s in stages), Column(TOTAL, "int")),
        tuple(rows),
        ((TOTAL, *totals, sum(totals)),),
    )


def changes_table(digest: Digest) -> Table:
    rows: list[Row] = [
        ("Aufnahmen", None, digest.admissions),
        ("Pausierungen", None, digest.pauses),
        ("Austritte", None, digest.withdrawals),
    ]
    changes = digest.changes_by_trigger
    names = dict(digest.steps)
    rows += [  # in the order of the programme's steps, whatever order they were counted in
        ("Stufenwechsel", names.get(trigger, trigger), changes[trigger])
        for trigger in ordered(names, changes)
        if trigger in changes
    ]
    return Table(
        "changes",
        f"Aufnahmen, Pausierungen, Austritte und alle Stufenwechsel nach Übergang {digest.year}",
        "Wechsel",
        _columns("Ereignis | Übergang | Anzahl:int"),
        tuple(rows),
    )


SESSION_COLUMNS = _columns(
    "geplant:int | gehalten:int | abgesagt:int | Stunden:number | Kosten:euro"
)


def _session_total(values: Sequence[SessionFigures]) -> SessionFigures:
    return SessionFigures(
        planned=sum(f.planned for f in values),
        held=sum(f.held for f in values),
        cancelled=sum(f.cancelled for f in values),
        hours=sum((f.hours for f in values), Decimal(0)),
        cost=sum((f.cost for f in values), Decimal(0)),
    )


def _sessions_table(
    table_id: str,
    caption: str,
    sheet: str,
    first: str,
    figures: Sequence[tuple[str, SessionFigures]],
) -> Table:
    def row(label: str, f: SessionFigures) -> Row:
        return (label, f.planned, f.held, f.cancelled, f.hours, f.cost)

    total = _session_total([f for _, f in figures])
    return Table(
        table_id,
        caption,
        sheet,
        (Column(first), *SESSION_COLUMNS),
        tuple(row(label, f) for label, f in figures),
        (row(TOTAL, total),),
    )


def sessions_by_stage_table(digest: Digest) -> Table:
    names = stage_names(digest)
    stages = present_stages(digest, digest.sessions_by_stage)
    figures = [(names.get(s, s), digest.sessions_by_stage[s]) for s in stages]
    caption = f"Begleittermine je Stufe {digest.year}"
    return _sessions_table("sessions-stage", caption, "Termine nach Stufe", "Stufe", figures)


def sessions_by_district_table(digest: Digest) -> Table:
    districts = ordered(digest.districts, digest.sessions_by_district)
    figures = [(d, digest.sessions_by_district.get(d, SessionFigures())) for d in districts]
    caption = f"Begleittermine je Kreis {digest.year}"
    return _sessions_table("sessions-district", caption, "Termine nach Kreis", "Kreis", figures)


def budget_table(digest: Digest) -> Table:
    names = stage_names(digest)
    rows: list[Row] = []
    for stage in budget_stages(digest):
        cost = digest.sessions_by_stage.get(stage, SessionFigures()).cost
        if stage not in digest.budget_by_stage:  # a stage by need: no budget to keep
            rows.append((names.get(stage, stage), cost, NO_BUDGET, None, None))
            continue
        budget = digest.budget_by_stage[stage]
        rows.append((names.get(stage, stage), cost, budget, share(cost, budget), budget - cost))
    cost, budget = digest.budgeted_cost, digest.total_budget
    totals: list[Row] = [("Stufen mit Budget", cost, budget, share(cost, budget), budget - cost)]
    if digest.total_cost != cost:
        totals.append((f"{TOTAL} (mit Stufen ohne Budget)", digest.total_cost, None, None, None))
    return Table(
        "budget",
        f"Kosten der Begleitung und anteilige Stufenbudgets {digest.year}",
        "Budget",
        _columns("Stufe | Kosten:euro | Budget (anteilig):euro | Anteil:percent | Rest:euro"),
        tuple(rows),
        tuple(totals),
    )


def visits_table(digest: Digest) -> Table:
    held, outstanding = digest.site_visits_held, digest.site_visits_outstanding
    return Table(
        "visits",
        f"Vor-Ort-Besuche der Fachstelle {digest.year}",
        "Besuche",
        _columns("Vor-Ort-Besuche | Anzahl:int"),
        (("gehalten", held), ("ausstehend", outstanding)),
        ((TOTAL, held + outstanding),),
    )


def trainings_table(digest: Digest) -> Table:
    rows = tuple(
        (t.kind, t.enrolled, t.attended, share(t.attended, t.enrolled)) for t in digest.trainings
    )
    enrolled = sum(t.enrolled for t in digest.trainings)
    attended = sum(t.attended for t in digest.trainings)
    return Table(
        "trainings",
        f"Fortbildungen: Anmeldungen und Teilnahme je Art {digest.year}",
        "Fortbildungen",
        _columns("Art | Anmeldungen:int | Teilnahmen:int | Teilnahmequote:percent"),
        rows,
        ((TOTAL, enrolled, attended, share(attended, enrolled)),),
    )


def gaps_table(digest: Digest) -> Table:
    rows = tuple(
        (g.centre_id, g.name, g.district, g.stage, g.first, g.last, g.days) for g in digest.gaps
    )
    return Table(
        "gaps",
        "Einrichtungen mit ausgefallenem Begleittermin (Lücke im Rhythmus der Stufe) "
        f"{digest.year}",
        "Lücken",
        _columns("Nr.:int | Einrichtung | Kreis | Stufe | von:date | bis:date | Tage:int"),
        rows,
    )


def summary_tables(digest: Digest) -> tuple[Table, ...]:
    """Every table of the report but the per-centre one, in the report's order."""
    return (
        stages_table(digest),
        district_table(digest, end=False),
        district_table(digest, end=True),
        changes_table(digest),
        sessions_by_stage_table(digest),
        sessions_by_district_table(digest),
        budget_table(digest),
        visits_table(digest),
        trainings_table(digest),
        gaps_table(digest),
    )
