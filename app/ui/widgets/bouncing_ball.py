"""An animation that moves only while the GUI thread is free to draw it.

The ball's position comes from the clock, not from a frame count: after a freeze it does not
resume where it stopped but jumps to where it should have been, showing the frames it missed.
A screen reader hears it in its description: "Animation: moving", or after a freeze "Animation:
stopped during a freeze of 2.00 s; moving again".
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.core.lag import is_frozen
from app.core.run import format_duration
from app.i18n import N_, _
from app.ui import look

PERIOD = 2.0
"""Seconds for the ball to go across and back."""
STOPPED_HOLD = 10.0
"""Seconds the description keeps saying the ball stopped: time for a screen-reader user to get to
it after hearing the run end."""
MOVING = N_("Animation: moving")
"""Said as ``_(MOVING)``."""


class BouncingBall(QWidget):
    """A ball gliding back and forth on a track, redrawn on every heartbeat tick."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bouncingBall")
        self.setAccessibleName(_("Animation that stops when the window freezes"))
        self.setMinimumSize(160, 40)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._origin = time.perf_counter()
        self.position = 0.0
        """Where the ball is along the track, 0 (left) to 1 (right)."""
        self.frames = 0
        """Frames drawn since creation: a frozen window draws none."""
        self._moving_from: float | None = None  # after a freeze: when the description says "moving" again
        self.setAccessibleDescription(_(MOVING))

    def advance(self, now: float, lateness: float = 0.0) -> None:
        """Moves the ball to where it is at ``now``; ``lateness``: how late this frame came (a
        frozen one stopped the ball)."""
        phase = ((now - self._origin) / PERIOD) % 1.0
        self.position = 1.0 - abs(2.0 * phase - 1.0)  # 0 -> 1 -> 0, at constant speed
        self.update()
        if is_frozen(lateness):
            self._moving_from = now + STOPPED_HOLD
            self.setAccessibleDescription(_("Animation: stopped during a freeze of {time}; moving again").format(time=format_duration(lateness)))
        elif self._moving_from is not None and now >= self._moving_from:
            self._moving_from = None
            self.setAccessibleDescription(_(MOVING))

    def mark_freezing(self) -> None:
        """A blocking run takes the GUI thread right after this frame: the ball is about to stop."""
        self._moving_from = float("-inf")  # "moving" again at the next frame that is no freeze
        self.setAccessibleDescription(_("Animation: stopping now: the window is about to freeze"))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        self.frames += 1
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        radius = min(self.height() / 2 - 6, 24.0)
        track = QRectF(radius, self.height() / 2 - 4, self.width() - 2 * radius, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().mid())
        painter.drawRoundedRect(track, 4, 4)
        x = radius + self.position * (self.width() - 2 * radius)
        painter.setBrush(look.ALIVE.on(self.palette()))
        painter.drawEllipse(QRectF(x - radius, self.height() / 2 - radius, 2 * radius, 2 * radius))
        painter.end()
