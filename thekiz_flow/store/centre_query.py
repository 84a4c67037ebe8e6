"""Finding centres in SQL: filters, a search in names, districts and addresses, an order and
a page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_

from thekiz_flow.core.enums import CentreSort
from thekiz_flow.core.model import CentreQuery
from thekiz_flow.store.tables import centres


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where(query: CentreQuery, stmt: Select[Any]) -> Select[Any]:
    """``stmt`` limited to the centres ``query`` finds."""
    c = centres.c
    for column, value in ((c.stage, query.stage), (c.district, query.district)):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.among is not None:
        stmt = stmt.where(c.stage.in_(query.among))
    if query.coach_id is not None:
        stmt = stmt.where(c.coach_id == query.coach_id)
    if query.without_coach:
        stmt = stmt.where(c.coach_id.is_(None))
    if query.text:
        pattern = like_pattern(query.text)
        found = [column.ilike(pattern, escape="\\") for column in (c.name, c.district, c.email)]
        stmt = stmt.where(or_(*found))  # by name, never by number
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


def among_by_name(query: CentreQuery) -> Sequence[str] | None:
    """The stages of ``query`` if it pages every centre of them by name (a form's choice of
    centre for a session or a visit), else None. Most centres are in such stages: the page is
    found soonest by reading the names in order, not the stages' centres and sorting them."""
    only_stages = query.coach_id is None and query.district is None and query.stage is None
    return query.among if only_stages and query.sort == CentreSort.NAME else None
