"""What a centre's history gives it to store beside it: the day its current stay began and
the day its next step becomes allowed. Pure: ``today`` is an argument."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from thekiz_flow.core.history import episode_start, facts_as_of
from thekiz_flow.core.model import Centre, StageChange
from thekiz_flow.core.rules import Lifecycle

HORIZON = timedelta(days=366 * 30)  # how far ahead a next step is looked for


def derived_dates(
    lifecycle: Lifecycle,
    centre: Centre,
    history: Sequence[StageChange],
    visits: Sequence[tuple[date, str]],
    today: date,
) -> tuple[date, date | None]:
    """(episode_start, next_step_on) of a centre, as its history tells on ``today``.

    Takes the workflow's lifecycle, the centre, its audit trail (in the order recorded) and
    its held site visits (date, stage). ``next_step_on`` is the day from which the guards of
    the centre's next step (`Workflow.forward_from`) hold, as far as the history given tells
    (time passing is taken into account, events not yet recorded are not); never earlier
    than ``today``, so an event that makes a centre eligible is noticed on the day it is
    recorded. None if the stage has no next step or its guards do not come to hold.
    """
    workflow = lifecycle.workflow
    start = episode_start(facts_as_of(centre, history, visits, today), workflow)
    transition = workflow.forward_from(centre.stage)
    if transition is None:
        return start, None
    later = facts_as_of(centre, history, visits, today + HORIZON)
    since = lifecycle.eligible_since(transition.trigger, later, start)
    return start, None if since is None else max(since, today)
