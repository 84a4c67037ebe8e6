"""Random sequences of records, corrections, stage changes and reverts never change the
digest as recorded on an earlier day: each day's files, written then, come back byte for
byte when asked for as recorded on that day at the end."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import BERLIN
from tests.test_corrections import admitted, held_session, of_kind
from tests.test_digest_as_recorded import contents
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import UserError
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

STEPS = 6


def step(service: Service, centre: int, rng: random.Random, today: date) -> str | None:
    """One thing the office does (refusals write nothing and are part of the game): what
    was done, None if refused."""
    held = [
        a
        for a in of_kind(service, centre, ActivityKind.COACHING)
        if a.status == ActivityStatus.HELD
    ]
    choice = rng.choice(["record", "record", "correct", "void", "advance", "advance", "revert"])
    try:
        if choice == "record":
            held_session(service, centre, today - timedelta(days=rng.randint(1, 90)))
        elif choice in ("correct", "void") and not held:
            return None
        elif choice == "correct":
            hours = rng.choice(["1", "1,5", "2,5", "4"])
            service.corrections.correct_session(rng.choice(held).id, "falsch", hours=hours)
        elif choice == "void":
            service.corrections.void_session(rng.choice(held).id, "verwechselt")
        elif choice == "advance":
            trigger = rng.choice(["admit", "deepen", "pause", "resume"])
            service.lifecycle.advance(centre, trigger, reason="Test", force=True)
        else:
            service.reverts.revert(centre, "zurück")
    except UserError:
        return None
    return choice


@pytest.mark.parametrize("seed", [2, 3, 4, 5, 6])
def test_the_digest_as_recorded_on_each_day_stays_as_written(
    service: Service, clock: FrozenClock, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    centre = admitted(service, clock)
    written: list[tuple[date, list[bytes]]] = []
    done: set[str | None] = set()
    for number in range(STEPS):
        today = clock.now().astimezone(BERLIN).date()
        for _ in range(3):
            done.add(step(service, centre, rng, today))
        written.append((today, contents(service.digest.write(2026, tmp_path / f"day{number}"))))
        clock.set(noon(today + timedelta(days=1), BERLIN))
    assert {"revert", "advance"} <= done  # the sequence withdrew what it changed
    for number, (day, files) in enumerate(written):
        again = service.digest.write(2026, tmp_path / f"again{number}", as_recorded_on=day)
        assert contents(again) == files, f"seed {seed}, day {day}"
