"""Measuring garbage collection pauses in tests, immune to a busy machine.

A collection's wall time includes whatever else the machine did meanwhile (a shared CI runner
can deschedule the process for tens of milliseconds); its CPU time on the collecting thread is
what the collection itself cost the GUI thread. Tests bound that; bench/loop_bench.py measures
the wall time, side by side with a baseline.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Sequence
from types import TracebackType


class GcPauses:
    """Every collection's CPU time on its thread, while attached (``with GcPauses() as pauses``),
    by generation; ``counting`` False skips collections (e.g. between runs)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self.counting = True
        self._started = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        gc.callbacks.remove(self._on_gc)

    def longest(self, *generations: int) -> float:
        return max((s for g, s in self.pauses if not generations or g in generations), default=0.0)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        elif self.counting:
            self.pauses.append((info["generation"], time.thread_time() - self._started))


def heap_is_flat(sizes: Sequence[int], margin: float = 1.05) -> bool:
    """Whether object counts taken after each run stopped growing: the median of the last five
    within ``margin`` of the median of five early ones (after warm-up). Medians, since what is
    pending collection at any one moment varies by a few thousand objects."""
    return statistics.median(sizes[-5:]) < statistics.median(sizes[2:7]) * margin
