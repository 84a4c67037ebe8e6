"""The mark of a simulation database."""

from __future__ import annotations

from datetime import timedelta

from tests.store.helpers import NOW, Unit


def test_the_simulation_mark_is_set_once(unit: Unit) -> None:
    with unit() as repo:
        assert not repo.simulation.marked()
        repo.simulation.mark(NOW)
        repo.simulation.mark(NOW + timedelta(days=1))
    with unit() as repo:
        assert repo.simulation.marked()
