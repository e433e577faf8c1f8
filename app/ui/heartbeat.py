"""The heartbeat: a precise timer on the GUI thread whose lateness is the window's lateness.

Every tick is recorded in a Qt-free :class:`~app.core.lag.HeartbeatLog`; the freeze meter shows
the lateness live, the controller asks the log for a run's longest freeze, and the animation
redraws on every tick (so when the heartbeat stops, the animation visibly stops too).

Every tick also tells a :class:`~app.core.freeze_cause.FreezeWatchdog` that the GUI thread is
alive; when the ticks stop, the watchdog's thread samples what the GUI thread is doing, and the
tick after the freeze hands its cause over (:attr:`Heartbeat.froze`, emitted on the GUI thread).
The ticks feed the :class:`~app.core.freeze_guard.FreezeGuard` too, which stops a lesson's code
that keeps the window frozen past a limit (the controller arms it around the lesson's code).
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.core.freeze_cause import FreezeWatchdog
from app.core.freeze_guard import FreezeGuard
from app.core.lag import DEFAULT_INTERVAL, HeartbeatLog

log = logging.getLogger(__name__)


class Heartbeat(QObject):
    """Ticks about every 16 ms on the thread that owns it, recording when each tick really fired."""

    ticked = Signal(float, float)  # now (perf_counter seconds), lateness of this tick (seconds)
    froze = Signal(object)  # FreezeCause: a freeze just ended (a tick or two after it), and what caused it

    def __init__(self, interval: float = DEFAULT_INTERVAL, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log = HeartbeatLog(interval)
        self.watchdog = FreezeWatchdog(heartbeat_interval=interval)
        """Watches the thread that made this heartbeat (the GUI thread) while the heartbeat runs."""
        self.guard = FreezeGuard(heartbeat_interval=interval)
        """Stops a lesson's code frozen past its limit, while armed (and the heartbeat runs)."""
        self._timer = QTimer(self)
        # A coarse timer may fire up to 5% early or late on purpose; we want to see real lateness.
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(round(interval * 1000))
        self._timer.timeout.connect(self._on_timer_timeout)
        # Never leave the watchdog's thread running behind a heartbeat deleted without stop().
        self.destroyed.connect(self.watchdog.stop)
        self.destroyed.connect(self.guard.stop)

    def start(self) -> None:
        now = time.perf_counter()
        self.log.record(now)
        self.watchdog.beat(now)
        self.guard.beat(now)
        self.watchdog.start()
        self.guard.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.watchdog.stop()
        self.guard.stop()

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        lateness = self.log.record(now)
        self.watchdog.beat(now)
        self.guard.beat(now)
        for cause in self.watchdog.take_new():
            log.info("The window froze for %.3f s: %s", cause.duration, cause.words())
            self.froze.emit(cause)
        self.ticked.emit(now, lateness)
