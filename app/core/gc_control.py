"""One owner for the process-wide switch of Python's automatic garbage collection.

Two parts of LoopLab turn automatic collection off for a while: the event loop's GC pacer (for a
whole run: it collects at quiet moments itself) and the freeze watchdog (around its own
allocations on its thread, so no collection runs there). ``gc.disable()``/``gc.enable()`` is one
flag for the whole process: two parties each reading it, switching it and putting it back would
race (one could switch collection back on in the middle of the other's hold, or leave it off for
good). Here holds nest and count under a lock: collection is off while any is held, and the last
release puts back what was there before the first.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_holds = 0
_enabled_before = False


def hold() -> None:
    """Automatic collection off until the matching :func:`release`."""
    global _holds, _enabled_before
    with _lock:
        if _holds == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _holds += 1


def release() -> None:
    """Undoes one :func:`hold`; the last one puts automatic collection back as it was."""
    global _holds
    with _lock:
        if _holds == 0:
            return
        _holds -= 1
        if _holds == 0 and _enabled_before:
            gc.enable()


def holds() -> int:
    """How many holds are in force (for tests)."""
    return _holds


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Automatic collection off for a ``with`` block."""
    hold()
    try:
        yield
    finally:
        release()


# --- runs under way ---------------------------------------------------------------------------
# The lab's GC pacer (app.ui.gc_pacer) holds full collections back while a run goes on: with a
# thousand requests in flight, one walks every one of their objects, a freeze of the very window
# the run is measuring (see the pacer's docstring). GUI thread only, like the runs themselves.

_runs = 0


def run_began() -> None:
    """A run has started: full collections wait for its end (or until they are long overdue)."""
    global _runs
    _runs += 1


def run_ended() -> None:
    """Undoes one :func:`run_began`."""
    global _runs
    _runs = max(0, _runs - 1)


def runs_under_way() -> int:
    return _runs
