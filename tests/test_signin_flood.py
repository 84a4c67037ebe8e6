"""A flood of bogus sign-ins against `thekiz-flow serve` (a process of its own, the real
argon2id cost): the server's memory stays bounded and a real user still signs in.

40 connections post wrong passwords for unknown addresses from one client address for a
few seconds; meanwhile the office signs in three times from another one. Before sessions
and sign-ins were throttled, the server grew by some 2.5 GB and each real sign-in took many
seconds. bench/signin_flood.py measures the same with other numbers.
"""

from __future__ import annotations

import pytest

from bench.signin_flood import measure

pytestmark = pytest.mark.server


def test_a_flood_of_bogus_sign_ins_neither_fills_memory_nor_blocks_a_real_one() -> None:
    figures = measure(seconds=4.0, flood=40, clients=1, sign_ins=3)
    assert figures.sign_in_statuses == [303, 303, 303]
    assert max(figures.sign_in_seconds) < 3.0, figures
    assert figures.rss_peak_mb - figures.rss_before_mb < 400, figures
    assert set(figures.flood_answers) <= {400, 429, 503}, figures
    assert figures.flood_answers.get(400, 0) <= 5, figures  # the checked ones: no more
