"""Is the window alive? A ball that only moves while the GUI thread is free, a box to type in, the
live freeze meter and the lag graph of the last half minute, all fed by the heartbeat.

The lab's own start-up is not a freeze of the lab: until the window has been drawn once and a
tick comes on time, the meter says "Starting…" and the lag graph labels any stall "starting".
Just before a blocking run takes the GUI thread, the meter and the graph say so, and that is the
frame that stays on screen during the freeze (not a stale number).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget

from app.core.lag import REDRAW_INTERVAL, is_frozen
from app.core.run import Run
from app.ui import plain_text
from app.ui.controller import LabController
from app.ui.heartbeat import Heartbeat
from app.ui.widgets.bouncing_ball import BouncingBall
from app.ui.widgets.freeze_meter import FreezeMeter
from app.ui.widgets.lag_graph import LagGraph

FREEZING_NOW = "Running on the GUI thread: the window will freeze now"
STARTING = "Starting…"


class LivenessPanel(QWidget):
    """The ball, the typing box, the freeze meter and the lag graph."""

    def __init__(self, heartbeat: Heartbeat, controller: LabController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("livenessPanel")
        self._heartbeat = heartbeat
        self._painted = False  # the window has been drawn at least once
        self._drawn_at = float("-inf")  # the heartbeat time the ball and the meter were last redrawn
        self.ready = False
        """True once the lab has started: drawn, and a heartbeat tick came on time."""
        self.ball = BouncingBall(self)
        self.typing_box = QLineEdit(self)
        self.typing_box.setObjectName("typingBox")
        self.typing_box.setAccessibleName("Type here while it runs")
        self.typing_box.setPlaceholderText("Type here…")  # short: it is never cut, even on a projector
        self.freeze_meter = FreezeMeter(self)
        self.freeze_meter.show_message(STARTING)
        self.lag_graph = LagGraph(self)
        self.titles: list[QLabel] = []
        for text, buddy in (("Alive? Watch the ball, type in the box", self.typing_box), ("Lateness over the last 30 s", self.lag_graph)):
            title = plain_text.wrapped_label(text, self, name="panelTitle")  # wraps rather than widen the window
            title.setBuddy(buddy)
            self.titles.append(title)

        # The ball beside the box to type in, the meter under both, the graph on the right: short
        # enough to leave the timeline its room on a 1280 x 720 screen.
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.titles[0], 0, 0, 1, 2)
        grid.addWidget(self.ball, 1, 0)
        grid.addWidget(self.typing_box, 1, 1)
        grid.addWidget(self.freeze_meter, 2, 0, 1, 2)  # its own caption says what it is
        grid.addWidget(self.titles[1], 0, 2)
        grid.addWidget(self.lag_graph, 1, 2, 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        grid.setRowStretch(3, 1)

        self.ball.installEventFilter(self)  # its first paint is the window's first frame
        heartbeat.ticked.connect(self._on_heartbeat_ticked)
        controller.about_to_block.connect(self._on_controller_about_to_block)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.ball and event.type() == QEvent.Type.Paint:
            self._painted = True
        return super().eventFilter(watched, event)

    def _on_heartbeat_ticked(self, now: float, lateness: float) -> None:
        # Every tick is measured; the ball and the meter are redrawn at most REDRAW_INTERVAL
        # apart (the lag graph paces itself the same way), and at once for a frozen tick.
        draw = now - self._drawn_at >= REDRAW_INTERVAL or is_frozen(lateness)
        if draw:
            self._drawn_at = now
            self.ball.advance(now, lateness if self.ready else 0.0)  # start-up is no freeze of the lab
        if not self.ready:
            if not (self._painted and not is_frozen(lateness)):
                self.lag_graph.on_tick(now, lateness)
                self.lag_graph.set_starting_until(now)
                return
            self.ready = True
            draw = True
        self.freeze_meter.on_tick(now, lateness, draw=draw)
        self.lag_graph.on_tick(now, lateness)

    def _on_controller_about_to_block(self, _run: Run) -> None:
        self.freeze_meter.show_message(FREEZING_NOW)
        self.ball.mark_freezing()
        last = self._heartbeat.log.last_tick
        if last is not None:
            self.lag_graph.mark_freezing(last)
