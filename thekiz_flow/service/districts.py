"""The districts' accounts of a year (``accounts/districts.py``): the yearly digest's
figures by district, with the stage changes of the year."""

from __future__ import annotations

from datetime import date

from thekiz_flow.accounts.districts import DistrictReport, district_report
from thekiz_flow.service.digest import DigestService
from thekiz_flow.service.runtime import Runtime


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
