"""Finding centres in SQL: filters, a search in names and addresses, an order and a page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, case, func

from thekiz_flow.core.enums import CentreSort
from thekiz_flow.core.model import CentreQuery
from thekiz_flow.store.tables import centres

MAX_NUMBER_DIGITS = 18  # a longer number is no centre's (and would overflow the column)


def like(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where(query: CentreQuery, stmt: Select[Any]) -> Select[Any]:
    """``stmt`` limited to the centres ``query`` finds."""
    c = centres.c
    for column, value in ((c.stage, query.stage), (c.district, query.district)):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.coach_id is not None:
        stmt = stmt.where(c.coach_id == query.coach_id)
    if query.without_coach:
        stmt = stmt.where(c.coach_id.is_(None))
    if query.text:
        pattern = like(query.text)
        found = c.name.ilike(pattern, escape="\\") | c.email.ilike(pattern, escape="\\")
        if query.text.isdigit() and len(query.text) <= MAX_NUMBER_DIGITS:
            found = found | (c.id == int(query.text))  # a centre's number finds it too
        stmt = stmt.where(found)
    return stmt


def order(query: CentreQuery) -> list[ColumnElement[Any]]:
    """The ORDER BY of ``query``'s sort."""
    c = centres.c
    name = func.lower(c.name)
    first: dict[CentreSort, list[ColumnElement[Any]]] = {
        CentreSort.NAME: [name],
        CentreSort.DISTRICT: [c.district, name],
        CentreSort.STAGE: [case({s: i for i, s in enumerate(query.stages)}, value=c.stage), name],
        CentreSort.SINCE: [c.stage_since.desc(), name],
        CentreSort.ID: [],
    }
    return [*first[query.sort], c.id]
