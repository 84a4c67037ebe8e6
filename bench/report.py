"""Figures, the printed table and bench/results.json (written after every figure)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"

# name: (comparison, target) — ratio = ours / baseline unless said otherwise; None: report only.
TARGETS: dict[str, tuple[str, float] | None] = {
    "planning_vs_executemany": ("<=", 1.5),
    "tick_history_vs_empty": ("<=", 1.2),
    "dispatch_vs_raw": (">=", 0.9),
    "apscheduler_vs_outbox_time": (">=", 50.0),
    "apscheduler_memory_vs_outbox": (">=", 10.0),
    "digest_vs_groupby": ("<=", 5.0),
    "digest_reads_vs_groupby": None,
    "tick_memory_history_vs_empty": None,
    "stage_batch_vs_raw": None,
    "job_forecast_keep": None,  # the forecast figured whole, as `run` keeps it
    "postgres_4_vs_1_dispatchers": None,
    "postgres_duplicates": ("<=", 0.0),
}
# Pages and commands (bench/measures/pages.py): the time at a size against the time at the
# smallest size of the run. What shows a bounded amount at most 2x (a page of 50 rows of a
# command too); the commands' whole lists as JSON are exports: their time per KB printed at
# most 2x that at the smallest size (linear in what they show).
PAGE_TARGET = ("<=", 2.0)
BOUNDED_PAGES = (
    "page_start_office",
    "page_coaches",
    "page_coach",
    "page_centres",
    "page_centre",
    "page_sessions",
    "page_visits",
    "page_trainings",
    "page_start_coach",
    "page_sessions_coach",
    "page_feed",
    "page_calendar",
    "page_reminders",
    "page_outbox",
    "command_centre_list_page",
    "command_eligible_page",
    "command_reminders_preview_page",
)
EXPORTS = (  # per KB printed
    "command_centre_list_per_kb",
    "command_eligible_per_kb",
    "command_reminders_preview_per_kb",
)
PAGE_PREFIX = "page_"  # every page the crawl finds besides those named here is bounded too
TARGETS.update(dict.fromkeys(BOUNDED_PAGES, PAGE_TARGET))
TARGETS.update(dict.fromkeys(EXPORTS, PAGE_TARGET))
MAIN = [name for name in TARGETS if not name.startswith("postgres")]
# The targets the issue sets at one size only; at the other sizes these figures are reported.
TARGET_SIZE = {"planning_vs_executemany": 60_000, "digest_vs_groupby": 60_000}


def _target_of(name: str) -> tuple[str, float] | None:
    return TARGETS.get(name) or (PAGE_TARGET if name.startswith(PAGE_PREFIX) else None)


@dataclass
class Figure:
    name: str
    size: int | None  # None: does not depend on the programme's size
    ours: float | None
    baseline: float | None
    unit: str
    ratio: float | None = None
    status: str = "ok"  # or "timeout after X s ...", "error: ...", "skipped: ..."
    bound: str | None = None  # ">" when ours timed out: the ratio is at least ...
    projected: float | None = None  # when it timed out: the ratio its progress points to
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> tuple[str, float] | None:
        """The target this figure is held to, at its size."""
        size = TARGET_SIZE.get(self.name)
        return None if size is not None and self.size != size else _target_of(self.name)

    @property
    def target(self) -> str:
        spec = _target_of(self.name)
        if spec is None:
            return "report"
        text = f"{spec[0]} {spec[1]:g}"
        return text if self.spec is not None else f"({text} at {TARGET_SIZE[self.name]:,})"

    @property
    def met(self) -> bool | None:
        spec = self.spec
        if spec is None or self.ratio is None:
            return None if spec is None else False
        comparison, target = spec
        if self.bound == ">":  # the true ratio is larger than shown
            return False if comparison == "<=" else True if self.ratio >= target else None
        if self.bound == "<":
            return False if comparison == ">=" else True if self.ratio <= target else None
        return self.ratio <= target if comparison == "<=" else self.ratio >= target

    def row(self) -> list[str]:
        ratio = "–" if self.ratio is None else f"{self.bound or ''}{_num(self.ratio)}x"
        if self.projected is not None:
            ratio += f" (~{_num(self.projected)}x projected)"
        met = {True: "yes", False: "NO", None: "–"}[self.met]
        status = self.status if len(self.status) <= 60 else self.status[:57] + "..."
        ours = status if self.ours is None and self.status != "ok" else _val(self.ours)
        return [
            "–" if self.size is None else f"{self.size:,}",
            self.name,
            f"{ours} {self.unit}".strip() if self.ours is not None else ours,
            f"{_val(self.baseline)} {self.unit}".strip(),
            ratio,
            self.target,
            met,
        ]


def package_state() -> dict[str, Any]:
    """The commit and a fingerprint of thekiz_flow/ and workflows/ as they are on disk: others
    may edit the package while the bench runs, and a figure belongs to one state of it."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("thekiz_flow", "workflows", "templates"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "thekiz_flow", "workflows", "templates"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split("\n")
    except OSError:
        commit, dirty = "", []
    return {
        "commit": commit or None,
        "uncommitted": [line[3:] for line in dirty if line.strip()],
        "fingerprint": digest.hexdigest()[:16],
    }


def _num(value: float) -> str:
    if value == 0 or (math.isfinite(value) and abs(value) >= 100):
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _val(value: float | None) -> str:
    return "–" if value is None else _num(value)


def ratio(ours: float | None, baseline: float | None) -> float | None:
    if ours is None or baseline is None or baseline <= 0:
        return None
    return ours / baseline


class Results:
    """Collects figures and writes results.json after each one: a run cut short keeps them."""

    def __init__(self, sizes: list[int], path: Path = RESULTS) -> None:
        self.path = path
        self.sizes = sizes
        self.figures: list[Figure] = []
        self.setup: dict[str, Any] = {}
        self.started = datetime.now(UTC)
        self.complete = False
        self.failed_steps: list[str] = []  # "size: step": the figures after it are suspect
        # the pages' figures at the smallest size: (size, name -> {"seconds", "bytes"})
        self.page_base: tuple[int, dict[str, dict[str, float]]] | None = None
        self.package_before = package_state()
        self.package_after: dict[str, Any] | None = None

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        self.write()
        return figure

    def note(self, size: int | str, key: str, value: Any) -> None:
        self.setup.setdefault(str(size), {})[key] = value
        self.write()

    def headline(self) -> dict[str, float | None]:
        """Each figure's ratio at the largest size at which it was attempted."""
        found: dict[str, Figure] = {}
        for figure in self.figures:
            known = found.get(figure.name)
            if known is None or (figure.size or 0) >= (known.size or 0):
                found[figure.name] = figure
        names = [*MAIN, *(n for n in found if n not in MAIN)]
        return {
            name: (None if name not in found or found[name].ratio is None else found[name].ratio)
            for name in names
        }

    def write(self) -> None:
        data: dict[str, Any] = dict(self.headline())
        data["details"] = {
            "complete": self.complete,
            "failed_steps": self.failed_steps,
            "sizes": self.sizes,
            "started": self.started.isoformat(timespec="seconds"),
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "memory_method": (
                "peak resident set of the measuring process during the operation: VmHWM "
                "reset through /proc/self/clear_refs before it; growth = peak - RSS before"
            ),
            "package": {
                "at_start": self.package_before,
                "at_end": self.package_after,
                "changed_during_run": self.package_changed,
            },
            "figures": [{**asdict(f), "target": f.target, "met": f.met} for f in self.figures],
            "setup": self.setup,
        }
        temporary = self.path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        temporary.replace(self.path)

    def finish(self) -> None:
        self.package_after = package_state()
        self.write()

    @property
    def package_changed(self) -> bool | None:
        if self.package_after is None:
            return None
        return bool(self.package_after["fingerprint"] != self.package_before["fingerprint"])

    def table(self, size: int | None = None, everything: bool = False) -> str:
        rows = [f.row() for f in self.figures if everything or f.size == size or (size is None)]
        head = ["size", "figure", "ours", "baseline", "ratio", "target", "met?"]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
        return "\n".join(lines)
