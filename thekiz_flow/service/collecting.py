"""Fewer runs of Python's cycle collector while a bulk computation allocates.

CPython runs its cycle collector every 700 new container objects (tuples, lists, dicts)
not yet freed, and now and then over every object alive. A computation that reads and
keeps hundreds of thousands of rows (the digest of a year) therefore spends a third of its
time in collections that find nothing to free: its rows are freed by their reference
counts, not as cycles. Inside :func:`fewer_collections` the collector waits for 50,000 new
containers instead; the cycles that do arise are collected as before, only later.

The threshold is the process's: nested and concurrent users (threads of the web server)
share one raised threshold, and the last to leave puts back what was there before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLD = 50_000  # new container objects between two young collections


class _Raised:
    """How many are inside, and the thresholds to put back when the last leaves."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.before: tuple[int, int, int] = gc.get_threshold()


_RAISED = _Raised()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the enclosed work with the young generation's threshold raised (see the module)."""
    with _RAISED.lock:
        if _RAISED.inside == 0:
            _RAISED.before = gc.get_threshold()
            young, *older = _RAISED.before
            if young:  # 0: collection is off, and stays so
                gc.set_threshold(max(young, BULK_THRESHOLD), *older)
        _RAISED.inside += 1
    try:
        yield
    finally:
        with _RAISED.lock:
            _RAISED.inside -= 1
            if _RAISED.inside == 0:
                gc.set_threshold(*_RAISED.before)
