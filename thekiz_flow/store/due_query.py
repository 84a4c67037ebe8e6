"""What the reminders read of the rules that follow a stage change, a next step or a
training deadline: the rows their dues follow, each by the day its occurrence follows and
its id, read a page at a time after the last one read (keyset) and counted on the same
index. The reminder preview reads a page of each and counts the rest; a tick reads all.

* `stage_starts`: stage changes in force that began a stay the centre is still in;
* `stepping`: centres whose next step becomes allowed on some days (``next_step_on``);
* `lacking_training`: centres whose stay in a stage began on some days and that have not
  taken up a kind of training in it.

`Paged.told` counts how many of the rows' reminders the outbox holds, by their keys made in
SQL as `core.reminders.key_of` makes them (rule, subject, label, role: the ``*_keys``
functions below give the part before the role); it is asked only of the few days a tick
can have written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, cast, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.store.corrections import withdrawn
from thekiz_flow.store.tables import activities, centres, outbox, stage_changes, trainings

After = tuple[date, int]  # the day and id of the last row read


@dataclass(frozen=True)
class Paged:
    """A query of rows ordered by ``day`` and ``ident``, with ``day`` already narrowed to a
    range (the index it is read by)."""

    query: Select[Any]
    day: ColumnElement[date]
    ident: ColumnElement[int]

    def page(self, after: After | None, limit: int | None) -> Select[Any]:
        """The first ``limit`` rows (None: all) after the row ``after``."""
        query = self.query
        if after is not None:
            day, number = after
            query = query.where(self.day >= day, or_(self.day > day, self.ident > number))
        return query.order_by(self.day, self.ident).limit(limit)

    def count(self) -> Select[Any]:
        return select(func.count()).select_from(self.query.subquery())

    def told(self, head: ColumnElement[str], roles: Sequence[str]) -> Select[Any]:
        """How many keys ``head`` + role, one per row and role, the outbox holds: one COUNT
        per role, each key looked up by the outbox's index of keys."""
        held: list[ColumnElement[Any]] = [
            func.count(case((select(outbox.c.key).where(outbox.c.key == head + role).exists(), 1)))
            for role in roles
        ]
        told: Select[Any] = self.query.with_only_columns(*held, maintain_column_froms=True)
        return told


class iso_date(FunctionElement[str]):
    """A date as text, YYYY-MM-DD, on every backend (SQLite stores dates so already)."""

    type = String()
    inherit_cache = True


@compiles(iso_date)
def _iso_date(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)})"


@compiles(iso_date, "postgresql")
def _iso_date_postgresql(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


def _head(rule: str, *parts: ColumnElement[str] | str) -> ColumnElement[str]:
    """``rule:part:part:…:`` — a key of `key_of` up to its role."""
    key: ColumnElement[str] = literal(f"{rule}:")
    for part in parts:
        key = key + part + ":"
    return key


def _number(column: ColumnElement[int]) -> ColumnElement[str]:
    return cast(column, String)


def stage_start_keys(rule: str, labels: Mapping[date, str]) -> ColumnElement[str]:
    """The keys of `stage_starts` rows (`core.occurrences.stage_start_dues`): subject
    ``c<centre>:<change>``, the label the day of the occurrence (``labels``: by the day the
    change became effective)."""
    s = stage_changes.c
    subject = "c" + _number(s.centre_id) + ":" + _number(s.id)
    return _head(rule, subject, case(dict(labels), value=s.effective))


def stepping_keys(rule: str, triggers: Mapping[str, str]) -> ColumnElement[str]:
    """The keys of `stepping` rows (`core.occurrences.eligible_dues`): subject
    ``c<centre>:<trigger of its next step>`` (``triggers``: by stage), the label the day its
    stay began."""
    c = centres.c
    subject = "c" + _number(c.id) + ":" + case(dict(triggers), value=c.stage)
    return _head(rule, subject, iso_date(c.stage_since))


def deadline_keys(
    rule: str, kind: str, deadlines: Mapping[date, str], labels: Mapping[date, str]
) -> ColumnElement[str]:
    """The keys of `lacking_training` rows (`core.occurrences.deadline_dues`): subject
    ``c<centre>:<kind>:<deadline>``, the label the day of the occurrence (``deadlines`` and
    ``labels``: by the day the stay began)."""
    c = centres.c
    deadline = case(dict(deadlines), value=c.episode_start)
    subject = "c" + _number(c.id) + f":{kind}:" + deadline
    return _head(rule, subject, case(dict(labels), value=c.episode_start))


def stage_starts(first: date, last: date, to_stage: str | None) -> Paged:
    """Stage changes in force effective from ``first`` to ``last`` (that lead to
    ``to_stage``, if given) whose centre is still in the stay they began (its stage and the
    day it began are the change's). Read by the day (an EXISTS, not a join: the centre is
    looked up by its key, not all centres of a stage read)."""
    s, c = stage_changes.c, centres.c
    stayed = select(c.id).where(
        c.id == s.centre_id, c.stage == s.to_stage, c.stage_since == s.effective
    )
    query = select(stage_changes).where(
        s.effective.between(first, last), ~withdrawn(s.id), stayed.exists()
    )
    if to_stage is not None:
        query = query.where(s.to_stage == to_stage)
    return Paged(query, s.effective, s.id)


def stepping(first: date, last: date) -> Paged:
    """Centres whose next step becomes allowed from ``first`` to ``last`` (a stage without a
    next step leaves ``next_step_on`` empty)."""
    c = centres.c
    query = select(centres).where(c.next_step_on.between(first, last))
    return Paged(query, c.next_step_on, c.id)


def lacking_training(stage: str, kind: str, first: date, last: date) -> Paged:
    """Centres in ``stage`` whose current stay began from ``first`` to ``last`` and that have
    no planned or held enrolment in a training of ``kind`` dated in that stay (what
    `recommend.unmet_trainings` counts as taken up). An enrolment is dated as its training
    (`TrainingStore.enrol`, `update`): the centre's enrolments of the stay are a range of the
    index by kind, centre, status and date, and only their trainings are looked up (by their
    number: a nested EXISTS, so that no plan reads the trainings of the kind first)."""
    a, t, c = activities.c, trainings.c, centres.c
    of_kind = (
        select(t.id)
        .where(t.id == a.training_id, t.kind == kind, t.date >= c.episode_start)
        .correlate(activities, centres)
    )
    taken = select(a.id).where(
        a.kind == ActivityKind.TRAINING,
        a.centre_id == c.id,
        a.status.in_((ActivityStatus.PLANNED, ActivityStatus.HELD)),
        a.date >= c.episode_start,
        of_kind.exists(),
    )
    query = select(centres).where(
        c.stage == stage, c.episode_start.between(first, last), ~taken.exists()
    )
    return Paged(query, c.episode_start, c.id)
