"""Heartbeat statistics: how late the GUI thread's timer ticks fire, and what that says about freezes.

The window asks the GUI thread to tick every ``interval`` seconds (about one frame). While the
thread is free, each tick comes roughly on time. While it is busy (a blocking fetch, a long
callback) no tick can fire, so the next one comes late by about as long as the thread was busy.
The *lateness* of a tick is ``(time since the previous tick) - interval``, never below zero.

The words for lateness are defined here once, and every widget, report and lesson uses them, so
the screen never contradicts itself: *smooth* under one frame, a *stutter* up to the long-task
line (50 ms, the web's rule of thumb for a stall a person notices), *frozen* from there on. A
window that never froze *stayed alive*.

Everything here is pure: timestamps in, numbers out. The Qt timer lives in ``app.ui.heartbeat``.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

FRAME = 1 / 60
"""One frame at 60 Hz: lateness below this is invisible."""
FROZEN = 0.050
"""The long-task line: lateness from here on is a freeze, the window is not alive."""
DEFAULT_INTERVAL = 0.016
"""The heartbeat's period: every tick is measured, about one a frame."""
REDRAW_INTERVAL = 1 / 30
"""During a run the live widgets (meter, ball, lag graph) redraw at most this often, though
they measure every tick: 30 frames a second look smooth and cost half of 60. A frozen tick is
drawn at once."""
DESCRIBE_INTERVAL = 0.5
"""The live widgets' accessible descriptions ("Window lateness: 4 ms, smooth") change at most
this often: a screen reader reads them when asked, and change events at every redraw would
only flood it."""


class Liveness(enum.Enum):
    """How a lateness reads, in the words every part of LoopLab uses."""

    SMOOTH = "smooth"
    STUTTER = "a slight stutter"
    FROZEN = "frozen"


def liveness(lateness: float) -> Liveness:
    """The word for ``lateness``, judged on the millisecond shown (so "50 ms" is always frozen)."""
    shown = round(lateness, 3)
    if shown < FRAME:
        return Liveness.SMOOTH
    return Liveness.FROZEN if shown >= FROZEN else Liveness.STUTTER


def is_smooth(lateness: float) -> bool:
    """Under one frame, judged on the millisecond shown to the user (so "17 ms" is never "smooth")."""
    return liveness(lateness) is Liveness.SMOOTH


def is_frozen(lateness: float) -> bool:
    """At or past the long-task line, judged on the millisecond shown ("50 ms" always counts)."""
    return liveness(lateness) is Liveness.FROZEN


@dataclass(frozen=True)
class Freeze:
    """A stretch of time in which the GUI thread could not react."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


class HeartbeatLog:
    """The recent tick times of a heartbeat, and the lateness and freezes they reveal.

    Times are any monotonic clock in seconds (the window uses ``time.perf_counter``). Only the
    most recent ``capacity`` ticks are kept: at 16 ms that is a little over a minute.
    """

    def __init__(self, interval: float = DEFAULT_INTERVAL, capacity: int = 4096) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        self.interval = interval
        self._ticks: deque[float] = deque(maxlen=capacity)

    def __len__(self) -> int:
        return len(self._ticks)

    @property
    def last_tick(self) -> float | None:
        return self._ticks[-1] if self._ticks else None

    def record(self, now: float) -> float:
        """Adds a tick at ``now`` and returns its lateness in seconds."""
        late = 0.0 if not self._ticks else max(0.0, now - self._ticks[-1] - self.interval)
        self._ticks.append(now)
        return late

    def _gaps(self, start: float, end: float) -> Iterator[tuple[float, float]]:
        """(previous tick, tick) pairs that overlap [start, end], newest first, then the gap
        still open at ``end`` (a freeze that is happening right now has no closing tick yet)."""
        ticks = self._ticks
        if not ticks:
            return
        if ticks[-1] < end:
            yield ticks[-1], end
        for i in range(len(ticks) - 1, 0, -1):
            before, after = ticks[i - 1], ticks[i]
            if after <= start:
                break
            if before < end:
                yield before, after

    def longest_lateness(self, start: float, end: float) -> float:
        """The longest the GUI thread was unresponsive between ``start`` and ``end``, in seconds.

        Counts a freeze still under way at ``end``, so it can be asked right after a blocking call
        returns, before the heartbeat has had a chance to tick again. A stall that began before
        ``start`` counts only from ``start``: it was not this run's doing.
        """
        return max((max(0.0, b - max(a + self.interval, start)) for a, b in self._gaps(start, end)), default=0.0)

    def freezes(self, start: float, end: float) -> list[Freeze]:
        """Every stall between ``start`` and ``end`` that :func:`is_frozen` calls a freeze, oldest first.

        A freeze spans from the last tick before it plus one interval (when the next tick was
        due) to the tick that finally came, clipped to [start, end]. A freeze that mostly lies
        outside [start, end] counts only if its part inside is itself a freeze.
        """
        found = []
        for a, b in self._gaps(start, end):
            clipped = Freeze(max(start, a + self.interval), min(end, b))
            if is_frozen(b - a - self.interval) and is_frozen(clipped.duration):
                found.append(clipped)
        found.reverse()
        return found
