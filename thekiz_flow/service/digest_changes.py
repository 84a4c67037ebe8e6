"""What changed in a year's digest since it was sent to the ministry.

The digest sent is the digest as recorded at the moment it was sent (``digest_sends``).
Comparing it with the digest as recorded now, centre by centre, gives the centres whose
figures changed, before and after; the corrections recorded since for those centres say who
corrected what and why. The office sends the ministry a correction notice from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from thekiz_flow.core import german
from thekiz_flow.core.errors import Refused
from thekiz_flow.digest.model import CentreYear
from thekiz_flow.digest.tables import NO_BUDGET
from thekiz_flow.service.corrections import CorrectionService, Entry
from thekiz_flow.service.digest import DigestService
from thekiz_flow.service.runtime import Runtime

TICK = timedelta(microseconds=1)  # the smallest step of a moment
#: The figures of a centre's year compared, with their German names.
FIGURES = (
    ("stage_start", "Stufe am 1. Januar"),
    ("stage_end", "Stufe am 31. Dezember"),
    ("sessions_held", "gehaltene Begleittermine"),
    ("hours", "Stunden"),
    ("cost", "Kosten"),
    ("budget", "Budget"),
    ("site_visit_held", "Einrichtungsbesuch"),
    ("trainings_attended", "besuchte Fortbildungen"),
)


@dataclass(frozen=True)
class Figure:
    """One figure of a centre's year that changed: its German name, before and after."""

    name: str
    before: str
    after: str


@dataclass(frozen=True)
class CentreChanges:
    """A centre whose figures changed since the digest was sent, and the corrections of its
    record recorded since."""

    centre_id: int
    name: str
    figures: tuple[Figure, ...]
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class SentChanges:
    year: int
    sent_at: datetime  # the moment the digest sent was recorded as of
    centres: tuple[CentreChanges, ...]


class DigestChangeService:
    def __init__(self, rt: Runtime, digest: DigestService, corrections: CorrectionService) -> None:
        self.rt = rt
        self.digest = digest
        self.corrections = corrections

    def sent_at(self, year: int) -> datetime | None:
        """The moment the digest of ``year`` sent was recorded as of; None if never sent."""
        with self.rt.unit() as repo:
            return repo.digest_sends.moment(year)

    def sent_years(self) -> dict[int, datetime]:
        """Every year whose digest was sent, with the moment it was recorded as of."""
        with self.rt.unit() as repo:
            return repo.digest_sends.all()

    def since_sent(self, year: int) -> SentChanges:
        """The centres whose figures of ``year`` changed since its digest was sent; refused
        if it never was."""
        moment = self.sent_at(year)
        if moment is None:
            raise Refused(f"Der Jahresbericht {year} wurde noch nicht an das Ministerium gesendet")
        after = moment + TICK  # what was recorded at the moment it was sent went with it
        then = {c.id: c for c in self.digest.build_as_of(year, after).centres}
        now = {c.id: c for c in self.digest.build(year).centres}
        found = []
        for centre_id in sorted(then.keys() | now.keys()):
            figures = self._figures(then.get(centre_id), now.get(centre_id))
            if not figures:
                continue
            row = now.get(centre_id) or then[centre_id]
            entries = tuple(
                e
                for e in self.corrections.of_centre(centre_id)
                if e.correction.recorded_at >= after
            )
            found.append(CentreChanges(centre_id, row.name, figures, entries))
        return SentChanges(year, moment, tuple(found))

    def changed_years(self) -> list[int]:
        """The years sent whose figures changed since: cheaply ruled out where nothing of
        the year was recorded since."""
        with self.rt.unit() as repo:
            sent = repo.digest_sends.all()
            touched = [
                year
                for year, moment in sent.items()
                if repo.digest_sends.touched_since(moment + TICK, date(year, 12, 31))
            ]
        return [year for year in touched if self.since_sent(year).centres]

    def _figures(self, before: CentreYear | None, after: CentreYear | None) -> tuple[Figure, ...]:
        return tuple(
            Figure(label, self._worded(name, before), self._worded(name, after))
            for name, label in FIGURES
            if self._worded(name, before) != self._worded(name, after)
        )

    def _worded(self, name: str, row: CentreYear | None) -> str:
        if row is None:
            return "–"
        value = getattr(row, name)
        if name in ("stage_start", "stage_end"):
            return self.rt.workflow.stages[value].name
        if name == "hours":
            return german.hours(value)
        if name == "budget" and value is None:
            return NO_BUDGET
        if name in ("cost", "budget"):
            return german.euro_plain(value)
        if name == "site_visit_held":
            return "ja" if value else "nein"
        return german.number(value)
