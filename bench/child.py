"""Every measurement runs in a fresh process of its own (spawn), under a time budget.

- The child imports what it needs and sets up, then says "start" right before the measured
  operation: the budget counts from there (setup has its own, generous limit).
- It may report progress (done, total): a measurement that runs out of time is reported as
  "timeout after X s" with how far it got and a projection, never left hanging.
- Peak memory is the child's own: the peak resident set during the operation (VmHWM reset
  before it, see ``PeakMemory``), so one measurement's memory never leaks into the next.
- With ``trace_memory``, the operation also runs under tracemalloc (``TracedPeak``): the
  Python heap's peak, exact but slow, so such a run's time is not a measurement.
- With ``profile``, the operation runs under cProfile (or pyinstrument) and the profile is
  written even when the budget runs out (SIGTERM first, SIGKILL ten seconds later).
"""

from __future__ import annotations

import cProfile
import multiprocessing
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

from bench.common import PeakMemory, TracedPeak

SETUP_SECONDS = 180.0  # imports and preparation before the measured operation


@dataclass
class Timing:
    seconds: float = 0.0
    peak_growth_mb: float = 0.0
    peak_mb: float = 0.0
    memory_reset: bool = False
    traced_peak_mb: float | None = None  # only when the probe traces memory


class Probe:
    """The child's side: marks the measured section, reports progress."""

    def __init__(self, conn: Connection, profile: str | None, trace_memory: bool = False) -> None:
        self.pipe = conn  # to the parent process
        self.profile = profile
        self.trace_memory = trace_memory
        self._last = 0.0
        self._profiler: Any = None

    @contextmanager
    def timed(self) -> Iterator[Timing]:
        timing = Timing()
        self.pipe.send(("start", time.time()))
        self._start_profile()
        with PeakMemory() as memory, TracedPeak(self.trace_memory) as traced:
            started = time.perf_counter()
            try:
                yield timing
            finally:
                timing.seconds = time.perf_counter() - started
        self._stop_profile()
        timing.traced_peak_mb = traced.peak_mb
        timing.peak_growth_mb = memory.growth_mb
        timing.peak_mb = memory.peak_mb
        timing.memory_reset = memory.reset
        self.pipe.send(("timed", timing.seconds))

    def progress(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self._last >= 0.5 or done == total:
            self._last = now
            self.pipe.send(("progress", (done, total)))

    # ------------------------------------------------------------------ profiling
    def _start_profile(self) -> None:
        if self.profile is None:
            return
        if self.profile.endswith(".html"):
            from pyinstrument import Profiler

            self._profiler = Profiler(interval=0.002)
            self._profiler.start()
        else:
            self._profiler = cProfile.Profile()
            self._profiler.enable()
        signal.signal(signal.SIGTERM, self._on_term)

    def _stop_profile(self) -> None:
        if self._profiler is None or self.profile is None:
            return
        profiler, self._profiler = self._profiler, None
        if isinstance(profiler, cProfile.Profile):
            profiler.disable()
            profiler.dump_stats(self.profile)
        else:
            profiler.stop()
            Path(self.profile).write_text(profiler.output_html(), encoding="utf-8")
            Path(self.profile).with_suffix(".txt").write_text(
                profiler.output_text(unicode=False, color=False, show_all=False),
                encoding="utf-8",
            )

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        self._stop_profile()
        sys.exit(3)


def _child(
    task: str, params: dict[str, Any], conn: Connection, profile: str | None, trace_memory: bool
) -> None:
    try:
        from bench import tasks

        function: Callable[..., dict[str, Any]] = getattr(tasks, task)
        result = function(Probe(conn, profile, trace_memory), **params)
        conn.send(("done", result))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


@dataclass
class Outcome:
    task: str
    status: str  # "ok", "timeout", "error", "skipped"
    budget: float
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    progress: tuple[int, int] | None = None
    elapsed: float = 0.0  # of the measured section, as far as the parent saw it

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def seconds(self) -> float | None:
        value = self.data.get("seconds")
        return float(value) if self.ok and value is not None else None

    def describe(self) -> str:
        if self.status == "timeout":
            text = f"timeout after {self.budget:.0f} s"
            if self.progress is not None and self.progress[0] > 0:
                done, total = self.progress
                projected = self.elapsed * total / done
                text += f" ({done}/{total} done, ~{projected:.0f} s projected)"
            return text
        if self.status == "error":
            last = (self.error or "").strip().splitlines()[-1:] or ["?"]
            return f"error: {last[0][:160]}"
        if self.status == "skipped":
            return f"skipped: {self.error}"
        return "ok"


def run(
    task: str,
    budget: float,
    profile: Path | None = None,
    trace_memory: bool = False,
    **params: Any,
) -> Outcome:
    """Run ``bench.tasks.<task>(probe, **params)`` in a fresh process within ``budget`` s.

    ``trace_memory``: trace the Python heap during the operation (its time is then no figure).
    """
    if budget <= 0:
        return Outcome(task, "skipped", budget, error="no time left in this size's allowance")
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(task, params, theirs, None if profile is None else str(profile), trace_memory),
    )
    process.start()
    theirs.close()
    outcome = Outcome(task, "timeout", budget)
    deadline = time.time() + SETUP_SECONDS
    started: float | None = None
    try:
        while True:
            left = deadline - time.time()
            if left <= 0 or not ours.poll(left):
                if started is not None:
                    outcome.elapsed = time.time() - started
                else:
                    outcome.error = "setup did not finish"
                break
            try:
                kind, value = ours.recv()
            except EOFError:
                outcome.status, outcome.error = "error", "the measuring process died"
                break
            if kind == "start":
                started = float(value)
                deadline = started + budget
            elif kind == "progress":
                outcome.progress = value
            elif kind == "timed":
                deadline = time.time() + SETUP_SECONDS  # the rest is reporting
                outcome.elapsed = float(value)
            elif kind == "done":
                outcome.status, outcome.data = "ok", value
                break
            elif kind == "error":
                outcome.status, outcome.error = "error", value
                break
    finally:
        _end(process, outcome.status != "timeout", profile is not None)
        ours.close()
    return outcome


def _end(process: multiprocessing.process.BaseProcess, finished: bool, profiled: bool) -> None:
    """Reap the child; one still running is stopped (SIGTERM first if profiled, then SIGKILL)."""
    process.join(10 if finished else 0.1)
    if process.is_alive() and profiled:
        process.terminate()
        process.join(20)
    if process.is_alive():
        process.kill()
        process.join(10)
