"""Horizontal bar charts for the digest as inline SVG, generated here and passed as Markup.

Every label and title is escaped; the SVG has no script, no link and no external resource.
Inline SVG in HTML needs no ``xmlns``, so the report holds no URL at all. Coordinates are
rounded to a tenth so that the same digest always gives the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from thekiz_flow.core import german
from thekiz_flow.digest.model import Digest, SessionFigures
from thekiz_flow.digest.tables import budget_stages, stage_ids, stage_names

Number = int | Decimal

WIDTH = 720
LABEL_WIDTH = 230  # the labels' column, right-aligned against the bars
BAR_AREA = 330  # the longest bar; its value is written after it
BAR = 16
GAP = 10
LEGEND = 26


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Number, ...]
    colour: str  # a CSS colour


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[Number], str],
) -> Markup:
    """One group of bars per label, one bar per series; a legend when there are several."""
    peak = max((value for s in series for value in s.values), default=0)
    top = LEGEND if len(series) > 1 else 4
    group = BAR * len(series) + GAP
    height = top + group * len(labels)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"'
        # the text's size and font as attributes too: a PDF renderer may not apply the page's
        # CSS inside an SVG
        f' font-size="12" font-family="DejaVu Sans, Arial, sans-serif"'
        f' role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if len(series) > 1:
        parts += _legend(series)
    for index, label in enumerate(labels):
        y = top + index * group
        parts.append(_text(LABEL_WIDTH - 8, y + BAR * len(series) / 2, label, "end"))
        for offset, s in enumerate(series):
            parts += _bar(y + offset * BAR, s.values[index], peak, s.colour, fmt)
    parts.append("</svg>")
    return Markup("\n".join(parts))


def _bar(
    y: float, value: Number, peak: Number, colour: str, fmt: Callable[[Number], str]
) -> list[str]:
    length = BAR_AREA * float(value) / float(peak) if peak > 0 and value > 0 else 0.0
    return [
        f'<rect x="{LABEL_WIDTH}" y="{y + 1:.1f}" width="{length:.1f}" height="{BAR - 2}"'
        f' fill="{escape(colour)}"><title>{escape(fmt(value))}</title></rect>',
        _text(LABEL_WIDTH + length + 6, y + BAR / 2, fmt(value), "start"),
    ]


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for index, s in enumerate(series):
        x = LABEL_WIDTH + index * 170
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{escape(s.colour)}"/>')
        parts.append(_text(x + 18, 12, s.name, "start"))
    return parts


TEXT_COLOUR = "#1d2731"  # the report's text colour, as an attribute (see bar_chart)


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"'
        f' dominant-baseline="central" fill="{TEXT_COLOUR}">{escape(text)}</text>'
    )


def digest_charts(digest: Digest) -> dict[str, Markup]:
    """The charts of the report by the id of the table they follow."""
    names = stage_names(digest)
    stages = stage_ids(digest)
    centres = bar_chart(
        f"Einrichtungen je Stufe am 31. Dezember {digest.year}",
        [names.get(stage, stage) for stage in stages],
        [Series("Einrichtungen", tuple(digest.stage_end.get(s, 0) for s in stages), "#3b6ea5")],
        german.number,
    )
    with_budget = [s for s in budget_stages(digest) if s in digest.budget_by_stage]
    costs = tuple(digest.sessions_by_stage.get(s, SessionFigures()).cost for s in with_budget)
    budgets = tuple(digest.budget_by_stage.get(s, Decimal(0)) for s in with_budget)
    budget = bar_chart(
        f"Kosten und anteiliges Budget je Stufe {digest.year}",
        [names.get(stage, stage) for stage in with_budget],
        [Series("Budget (anteilig)", budgets, "#b8c4d1"), Series("Kosten", costs, "#c0504d")],
        german.euro,
    )
    return {"stages": centres, "budget": budget}
