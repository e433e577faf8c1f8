"""An animation that moves only while the GUI thread is free to draw it.

The ball's position comes from the clock, not from a frame count: after a freeze it does not
resume where it stopped but jumps to where it should have been, showing the frames it missed.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.ui import look

PERIOD = 2.0
"""Seconds for the ball to go across and back."""


class BouncingBall(QWidget):
    """A ball gliding back and forth on a track, redrawn on every heartbeat tick."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bouncingBall")
        self.setAccessibleName("Animation that stops when the window freezes")
        self.setMinimumSize(160, 40)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._origin = time.perf_counter()
        self.position = 0.0
        """Where the ball is along the track, 0 (left) to 1 (right)."""
        self.frames = 0
        """Frames drawn since creation: a frozen window draws none."""

    def advance(self, now: float) -> None:
        phase = ((now - self._origin) / PERIOD) % 1.0
        self.position = 1.0 - abs(2.0 * phase - 1.0)  # 0 -> 1 -> 0, at constant speed
        self.update()

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
