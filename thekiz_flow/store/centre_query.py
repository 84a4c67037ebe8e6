"""Finding centres in SQL: filters, a search in names and addresses, an order and a page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func

from thekiz_flow.store.tables import centres

SORTS = ("name", "district", "stage", "since", "id")
MAX_NUMBER_DIGITS = 18  # a longer number is no centre's (and would overflow the column)


def _like(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class CentreQuery:
    stage: str | None = None
    district: str | None = None
    coach_id: int | None = None
    without_coach: bool = False
    text: str | None = None  # the number, or part of the name or e-mail address (any case)
    sort: str = "name"  # one of SORTS
    stages: Sequence[str] = ()  # the programme's order of the stages, for sort="stage"
    offset: int = 0
    limit: int | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        c = centres.c
        for column, value in ((c.stage, self.stage), (c.district, self.district)):
            if value is not None:
                stmt = stmt.where(column == value)
        if self.coach_id is not None:
            stmt = stmt.where(c.coach_id == self.coach_id)
        if self.without_coach:
            stmt = stmt.where(c.coach_id.is_(None))
        if self.text:
            pattern = _like(self.text)
            found = c.name.ilike(pattern, escape="\\") | c.email.ilike(pattern, escape="\\")
            if self.text.isdigit() and len(self.text) <= MAX_NUMBER_DIGITS:
                found = found | (c.id == int(self.text))  # a centre's number finds it too
            stmt = stmt.where(found)
        return stmt

    def order(self) -> list[ColumnElement[Any]]:
        c = centres.c
        name = func.lower(c.name)
        first: dict[str, list[ColumnElement[Any]]] = {
            "name": [name],
            "district": [c.district, name],
            "stage": [case({s: i for i, s in enumerate(self.stages)}, value=c.stage), name],
            "since": [c.stage_since.desc(), name],
            "id": [],
        }
        return [*first[self.sort], c.id]
