"""The heartbeat: a precise timer on the GUI thread whose lateness is the window's lateness.

Every tick is recorded in a Qt-free :class:`~app.core.lag.HeartbeatLog`; the freeze meter shows
the lateness live, the controller asks the log for a run's longest freeze, and the animation
redraws on every tick (so when the heartbeat stops, the animation visibly stops too).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.core.lag import DEFAULT_INTERVAL, HeartbeatLog


class Heartbeat(QObject):
    """Ticks about every 16 ms on the thread that owns it, recording when each tick really fired."""

    ticked = Signal(float, float)  # now (perf_counter seconds), lateness of this tick (seconds)

    def __init__(self, interval: float = DEFAULT_INTERVAL, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log = HeartbeatLog(interval)
        self._timer = QTimer(self)
        # A coarse timer may fire up to 5% early or late on purpose; we want to see real lateness.
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(round(interval * 1000))
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self.log.record(time.perf_counter())
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        self.ticked.emit(now, self.log.record(now))
