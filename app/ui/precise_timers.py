"""qasync's timers, made precise: ``await asyncio.sleep(3)`` must take 3 s, not 2.85 s.

qasync runs every ``call_later`` (and so every ``asyncio.sleep``) through ``QObject.startTimer``
with Qt's default *coarse* timer type, which Qt may fire up to 5% early or late to save wake-ups.
Measured here: the ``sequential`` lesson (2 s + 3 s) took 4.93 s one run and 5.20 s another. A
lesson about what timing really looks like cannot have that, so LoopLab asks Qt for precise
timers (millisecond accuracy), as asyncqt, qasync's ancestor, was once asked to:
https://github.com/gmarull/asyncqt/pull/22
"""

from __future__ import annotations

import math

import qasync
from PySide6.QtCore import Qt

_original_start_timer = qasync._SimpleTimer.startTimer


def _start_precise_timer(self: qasync._SimpleTimer, interval: float, timer_type: Qt.TimerType = Qt.TimerType.PreciseTimer) -> int:
    # qasync passes int(delay * 1000), which rounds 2.9996 s down to 2999 ms: fine at Qt's
    # millisecond resolution. Only the timer type changes.
    return _original_start_timer(self, max(0, math.ceil(interval)), Qt.TimerType.PreciseTimer)


def install() -> None:
    """Makes every qasync loop (this process's, now and later) use precise Qt timers. Idempotent."""
    qasync._SimpleTimer.startTimer = _start_precise_timer  # type: ignore[method-assign]
