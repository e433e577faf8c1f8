"""What the timeline tells those who cannot see it, and how a keyboard reads it row by row.

The timeline's accessible description is the run in one sentence ("Timeline of run 3: 40
requests, 38 done, 2 failed, 1.20 s; longest freeze 0 ms"), kept up to date while the run goes on
at most every :data:`~app.core.lag.DESCRIBE_INTERVAL`. With the keyboard on the timeline, Up and
Down (Home, End, Page Up, Page Down) choose a request: it is outlined, scrolled into view, its
tooltip shows, and the description becomes what that tooltip says ("Request 2 of 40: ...").
Leaving the timeline forgets the choice.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRectF, Qt
from PySide6.QtGui import QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QToolTip

from app.core.run import Run, RunSummary
from app.core.timeline import describe, progress_words, summary_words
from app.ui import plain_text
from app.ui.accessibility import LiveDescription

_MOVES = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -2, Qt.Key.Key_PageDown: 2, Qt.Key.Key_Home: -3, Qt.Key.Key_End: 3}
"""±1 a row, ±2 a page, ±3 to the first or last."""


class TimelineReader(QObject):
    """The words of one :class:`~app.ui.widgets.timeline.TimelineWidget`, and its chosen row."""

    def __init__(self, widget: QAbstractScrollArea) -> None:
        super().__init__(widget)
        # A TimelineWidget, typed loosely: its module imports this one (no import circle).
        self._widget: Any = widget
        self._run: Run | None = None
        self._about = widget.scene.placeholder
        """The run in a sentence: the description while no row is chosen."""
        self.row: int | None = None
        """The request chosen with the keyboard (its index in the records), or None."""
        self.description = LiveDescription(widget)
        self.description.set_now(self._about)
        widget.installEventFilter(self)

    def show_run(self, run: Run) -> None:
        self._run, self.row = run, None
        self._about = progress_words(run.run_id, run.records, run.clock())
        self.description.set_now(self._about)

    def show_summary(self, summary: RunSummary | None) -> None:
        self._run, self.row = None, None
        self._about = summary_words(summary) if summary is not None else self._widget.scene.placeholder
        self.description.set_now(self._about)

    def refresh(self) -> None:
        """The run under way moved on: its words follow, at most every DESCRIBE_INTERVAL."""
        now = time.perf_counter()
        if self._run is not None and self.description.due(now):
            self._about = progress_words(self._run.run_id, self._run.records, self._run.clock())
            self.description.update(self._about if self.row is None else self._row_words(), now)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._widget:
            if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and self._key_pressed(event):
                return True
            if event.type() == QEvent.Type.FocusOut and self.row is not None:
                self.row = None
                self.description.set_now(self._about)
                self._widget.viewport().update()
        return super().eventFilter(watched, event)

    def paint(self, painter: QPainter) -> None:
        """Outlines the chosen row (only while the timeline has the keyboard)."""
        if self.row is None or not self._widget.hasFocus():
            return
        widget, scene = self._widget, self._widget.scene
        height = widget.row_height()
        top = scene.axis_height + (len(scene.lanes) + self.row) * height - widget.verticalScrollBar().value()
        painter.setPen(QPen(widget.palette().highlight().color(), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(1, top + 1, widget.viewport().width() - 2, height - 2))

    def _key_pressed(self, event: QKeyEvent) -> bool:
        move = _MOVES.get(Qt.Key(event.key()))
        count = len(self._widget.records)
        if move is None or not count or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        widget = self._widget
        page = max(1, (widget.viewport().height() - widget.scene.axis_height) // widget.row_height())
        if abs(move) == 3:
            row = 0 if move < 0 else count - 1
        elif self.row is None:
            row = 0
        else:
            row = self.row + (move if abs(move) == 1 else move // 2 * page)
        self.row = min(count - 1, max(0, row))
        self._show_row()
        return True

    def _row_words(self) -> str:
        records = self._widget.records
        if self.row is None or self.row >= len(records):
            return self._about
        now = self._run.clock() if self._run is not None else None
        return f"Request {self.row + 1} of {len(records)}: " + "; ".join(describe(records[self.row], now).splitlines())

    def _show_row(self) -> None:
        """Scrolls the chosen row into view, outlines it, and says and shows what it is."""
        widget, scene = self._widget, self._widget.scene
        height = widget.row_height()
        top = (len(scene.lanes) + self.row) * height  # in the rows' own coordinates, under the axis
        room = widget.viewport().height() - scene.axis_height - 4
        bar = widget.verticalScrollBar()
        if top < bar.value():
            bar.setValue(top)
        elif top + height > bar.value() + room:
            bar.setValue(top + height - room)
        words = self._row_words()
        self.description.set_now(words)
        widget.viewport().update()
        where = QPoint(scene.gutter, scene.axis_height + top - bar.value() + height)
        record = widget.records[self.row]
        now = self._run.clock() if self._run is not None else None
        QToolTip.showText(widget.viewport().mapToGlobal(where), plain_text.tooltip(describe(record, now)), widget.viewport())
