"""Python's cyclic garbage collector, run by the event loop between batches, on the GUI thread.

Left automatic, the collector runs wherever an allocation crosses its threshold: in the middle of
a heartbeat interval (measured in issue 13: 1000 concurrent x 1 s was 103-107 ms late with it,
33-47 ms without), or on the demo server's thread, where it can free Qt objects that must die on
the GUI thread (STYLE.md: the segfault in ``QTimerInfoList::activateTimers``). :class:`GcPacer`
turns automatic collection off and lets :class:`~app.ui.fast_loop.LabLoop` collect at its own
moments, with the collector's own thresholds:

- young generations (0 and 1, typically a few milliseconds) after a batch of callbacks, when
  the allocation count says they are due. Generation 1 on Python's schedule (every tenth) while
  young collections find garbage, so it dies young. While they find none (a run's requests in
  flight are alive; a failed request no longer leaves the cycles it did,
  :func:`app.core.faults.drop_tracebacks`, nor the demo server's answers), every young collection
  takes generation 1 too: left to fill for ten collections, it held a thousand requests in flight
  and stalled the window 87 ms in the 10,000-URL run (48 ms at most this way). The cost: what is
  promoted and dies in a cycle a few collections later is only found by a full collection (at the
  run's end, or mid-run as below), so one that finds garbage puts generation 1 back on Python's
  schedule until a full collection finds little. Full collections come due on Python's schedule
  all the same (every 10 x 10 young collections).
- the full collection (generation 2, the one that walks everything) only when the loop is quiet:
  nothing ready and no timer of the loop's due for :attr:`GcPacer.quiet` seconds, at most every
  :attr:`GcPacer.full_interval` seconds, and never while a run goes on
  (:func:`app.core.gc_control.run_began`): a run waits on the network, which looks quiet to the
  loop, and a full collection then walks every object of every request in flight, a freeze of
  the window the run is measuring (with the run's end made lighter too, the 1000 x 1 s run's
  longest heartbeat lateness went from 45-51 ms to 23-29 ms). Unless it is far overdue
  (:attr:`GcPacer.overdue`) and the heap keeps growing: the process's allocated blocks
  (:func:`sys.getallocatedblocks`: every object and buffer, tracked or not, the frozen start-up
  heap's too), their fewest over the last overdue interval more than a quarter over their fewest
  since the collection was first overdue (troughs against troughs: the heap swings with the
  requests in flight).
  A quarter, as Python's own rule for full collections (which explicit ones skip), but of the
  whole heap, not the old generation's objects: a looser bound, and a cheap one (~0.3 ms). Not
  since the last full collection, which would count the requests in flight that a run at 1000
  promotes and replaces. Memory stays bounded even in a run that never ends, and a long run whose
  heap holds steady is not stalled every ten seconds to find nothing (20,000 refused URLs at
  1000: a 150-160 ms collection mid-run, finding 0-100 objects, and the heartbeat 181-190 ms
  late; now 28-30 ms). Without pymalloc (``PYTHONMALLOC=malloc``, as under valgrind) the count
  is 0, and an overdue collection runs, as before.

Every collection's pause is recorded (``gc.callbacks``): :attr:`GcPacer.pauses`.
"""

from __future__ import annotations

import gc
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app.core import gc_control

__all__ = ["GcPacer"]


class GcPacer:
    """Collects garbage when the loop says it is a good moment (see the module docstring)."""

    quiet: float = 0.02
    """Seconds with nothing to do before a full collection may run (one is ~10-20 ms here)."""
    full_interval: float = 1.0
    """At most one full collection a second: explicit ones skip Python's "25% new objects" rule."""
    overdue: float = 10.0
    """After this long without a due full collection, it runs at the next batch's end anyway,
    if the heap has grown by a quarter over its smallest since it was first overdue (else it is
    looked at again after as long)."""

    heap_size: Callable[[], int] = staticmethod(sys.getallocatedblocks)
    """The heap's size for the overdue rule (~0.3 ms; listing the old generation instead took
    ~33 ms per million objects). A parameter for the tests."""

    def __init__(self) -> None:
        self.pauses: deque[tuple[int, float]] = deque(maxlen=100_000)  # (generation, seconds), the latest
        self._started_at = 0.0
        self._last_full = time.monotonic()
        self._installs = 0
        # What it learns carries over from one install to the next: the loop installs it for
        # each run, and a run alone seldom makes a full collection due.
        self._full_due_since: float | None = None
        self._heap_low: int | None = None  # the heap's fewest blocks since a full collection was overdue
        self._interval_low: int | None = None  # ... and since it was last looked at
        self._barren = False  # the last young collection found (almost) no garbage
        self._old_clean = True  # the last full collection did too
        self._young = 0  # young collections since the last full one

    def install(self) -> None:
        """Turns automatic collection off (for every thread) and starts recording pauses.
        Nests: the loop installs it for each run, the app for its whole life."""
        self._installs += 1
        if self._installs == 1:
            gc_control.hold()  # shared with the freeze watchdog: one owner of the switch
            gc.callbacks.append(self._on_gc)

    def uninstall(self) -> None:
        """Undoes one :meth:`install`; the last gives collection back to Python, as it was."""
        if self._installs == 0:
            return
        self._installs -= 1
        if self._installs == 0:
            gc.callbacks.remove(self._on_gc)
            gc_control.release()

    def after_batch(self, quiet_for: float) -> None:
        """Called by the loop after a batch of callbacks; ``quiet_for``: seconds until its next
        work (0 if callbacks are ready). Cheap when nothing is due: one ``gc.get_count()``."""
        if self._full_due_since is not None:
            now = time.monotonic()
            rested = quiet_for >= self.quiet and now - self._last_full >= self.full_interval
            rested = rested and not gc_control.runs_under_way()
            if not rested and now - self._full_due_since >= self.overdue and not self._heap_grew():
                self._full_due_since = now  # little to find: asked again after as long
            elif rested or now - self._full_due_since >= self.overdue:
                self._last_full = now
                self._full_due_since = None
                gc.collect(2)
                return
        count0, count1, _ = gc.get_count()
        threshold0, threshold1, threshold2 = gc.get_threshold()
        if threshold0 == 0 or count0 < threshold0:  # (0: collection switched off by the program)
            return
        gc.collect(1 if count1 >= threshold1 or (self._barren and self._old_clean) else 0)
        self._young += 1
        if self._full_due_since is not None:
            size = self.heap_size()  # (~0.04 ms per million blocks)
            self._interval_low = size if self._interval_low is None else min(self._interval_low, size)
        # Due as on Python's schedule (every threshold1 x threshold2 young collections), however
        # many of them took generation 1: the barren ones promote sooner, not more.
        if self._full_due_since is None and self._young >= threshold1 * threshold2:
            self._full_due_since = time.monotonic()  # from now on, at the first quiet moment

    def _heap_grew(self) -> bool:
        # Troughs against troughs: the heap's fewest blocks over this overdue interval (sampled
        # at each young collection) against the fewest over the ones before. A heap that swings
        # with the requests in flight is not growing; a single sample at a peak would say it is.
        size = self.heap_size()
        if size == 0:
            return True  # not counted (no pymalloc): collected when overdue
        low = size if self._interval_low is None else min(self._interval_low, size)
        self._interval_low = None
        if self._heap_low is None:
            self._heap_low = low
            return False
        grew = low * 4 > self._heap_low * 5
        self._heap_low = min(self._heap_low, low)  # a burst of requests that ended is no baseline
        return grew

    def longest_pause(self, generation: int | None = None) -> float:
        return max((s for g, s in self.pauses if generation is None or g == generation), default=0.0)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started_at = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started_at))
            threshold0 = gc.get_threshold()[0]
            if info["generation"] < 2:
                self._barren = info["collected"] * 100 < threshold0
            else:  # the pacer's or anyone's (app.main, a lesson): no longer due, counted afresh
                self._old_clean = info["collected"] < threshold0
                self._last_full = time.monotonic()
                self._full_due_since = self._heap_low = self._interval_low = None
                self._young = 0
