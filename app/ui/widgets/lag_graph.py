"""The live lag graph: how late each heartbeat tick was, over the last half minute.

Time runs left to right with "now" at the right edge, so the graph scrolls while the window is
alive. The height is the tick's lateness on a log scale (1 ms to 10 s), so a 5 ms wobble and a
3 s freeze both fit, with dashed lines at one frame (16 ms) and the freeze line (50 ms). During a
blocking run nothing can be drawn at all; afterwards the graph shows the hole it left: a red
band as wide as the freeze, with its length written on it. A screen reader hears the same in a
sentence, the graph's description (:meth:`LagGraph.words`), brought up to date at most twice a second.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.core.lag import FRAME, FROZEN, REDRAW_INTERVAL, is_frozen
from app.core.run import format_duration
from app.i18n import N_, _, ngettext
from app.ui import look
from app.ui.accessibility import LiveDescription

WINDOW = 30.0
"""Seconds of history on screen."""
LOW, HIGH = 0.001, 10.0
"""The lateness at the bottom and top of the log scale, in seconds."""
_LABELS = ((0.001, "1 ms"), (0.01, "10 ms"), (0.1, "100 ms"), (1.0, "1 s"), (10.0, "10 s"))
_REFERENCES = ((FRAME, N_("16 ms: one frame"), look.STUTTER), (FROZEN, N_("50 ms: frozen"), look.FROZEN))
BUCKET = WINDOW / 600
"""The line keeps the worst tick of each 50 ms: about a pixel column of the graph on a wide screen."""
LINE = QColor(look.ALIVE.light)
"""The line's colour on a light background (:data:`look.ALIVE`: a lighter teal on a dark one)."""
FROZEN_FILL, FROZEN_EDGE = QColor(230, 57, 70, 70), QColor(look.FROZEN.light)
STARTING = N_("starting")
"""The label of a stall during the lab's start-up: not a freeze of the lab (drawn as ``_(STARTING)``)."""
STARTING_FILL, STARTING_EDGE = QColor(128, 128, 128, 60), QColor(look.STARTING.light)


def height_fraction(lateness: float) -> float:
    """Where ``lateness`` sits between the bottom (0) and the top (1) of the log scale."""
    clamped = min(HIGH, max(LOW, lateness))
    return math.log(clamped / LOW) / math.log(HIGH / LOW)


class LagGraph(QWidget):
    """A scrolling plot of heartbeat lateness; feed it with :meth:`on_tick`."""

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.perf_counter) -> None:
        super().__init__(parent)
        self.setObjectName("lagGraph")
        self.setAccessibleName(_("Lag graph: how late the window was, over the last 30 seconds"))
        self.setToolTip(
            _(
                "Each point is one heartbeat tick: how late it came. Higher means the window was slower to react.\n"
                "Below the orange line you can't tell; above the red line you notice the stall."
            )
        )
        self.setMinimumSize(260, 130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._clock = clock
        # The line: the worst tick of each BUCKET-long slice of time, as [slice, when, lateness],
        # oldest first; a paint walks at most WINDOW / BUCKET of them, whatever the tick rate.
        self._peaks: deque[list[float]] = deque()
        self._late: deque[tuple[float, float]] = deque()  # the frozen ticks (when, lateness): the bands
        self._last_tick: float | None = None
        self._painted_at = float("-inf")
        self._starting_until: float | None = None  # the lab's start-up: not a freeze of the lab
        self._freezing_from: float | None = None  # a blocking run is about to take the thread
        self.description = LiveDescription(self)
        self.description.set_now(self.words())

    def set_starting_until(self, when: float) -> None:
        """Stalls until ``when`` were the lab starting up: drawn grey and labelled "starting"."""
        self._starting_until = when
        self.update()

    def mark_freezing(self, now: float) -> None:
        """A blocking run takes the GUI thread right after this frame: the graph says so at "now"."""
        self._freezing_from = now
        self.description.set_now(_("{words}; freezing now").format(words=self.words(now)))
        self.repaint()

    def on_tick(self, now: float, lateness: float) -> None:
        self._freezing_from = None
        self._last_tick = now
        peaks, bucket = self._peaks, now // BUCKET
        if peaks and peaks[-1][0] == bucket:
            if lateness >= peaks[-1][2]:
                peaks[-1][1:] = now, lateness
        else:
            peaks.append([bucket, now, lateness])
        if is_frozen(lateness):
            self._late.append((now, lateness))
        while peaks and now - peaks[0][1] > WINDOW + 1:
            peaks.popleft()
        while self._late and now - self._late[0][0] > WINDOW + 1:
            self._late.popleft()
        # 30 redraws a second scroll smoothly and cost half of 60; a late tick is drawn at once.
        if now - self._painted_at >= REDRAW_INTERVAL or is_frozen(lateness):
            self._painted_at = now
            self.update()
        if self.description.due(now):  # the words cost a walk over the peaks: twice a second at most
            self.description.update(self.words(now), now)

    def words(self, now: float | None = None) -> str:
        """What the graph shows, in a sentence: "Lag over the last 30 s: worst 12 ms, no freeze", or
        "...: worst 2.00 s, 2 freezes, longest 2.00 s" (the lab's start-up counts for neither)."""
        if now is None:
            now = self._last_tick if self._last_tick is not None else self._clock()
        oldest = now - WINDOW
        worst = max((late for _bucket, when, late in self._peaks if when >= oldest and not self._starting(when)), default=0.0)
        freezes = [end - start for start, end in self.stalls() if end >= oldest]
        if not freezes:
            said = _("no freeze")
        elif len(freezes) == 1:
            said = _("1 freeze, {time}").format(time=format_duration(freezes[0]))
        else:
            said = ngettext("{n} freeze, longest {time}", "{n} freezes, longest {time}", len(freezes)).format(
                n=len(freezes), time=format_duration(max(freezes))
            )
        return _("Lag over the last {seconds} s: worst {time}, {freezes}").format(
            seconds=f"{WINDOW:.0f}", time=format_duration(worst), freezes=said
        )

    def stalls(self) -> list[tuple[float, float]]:
        """The freezes on screen as (start, end) times: what the red bands show (start-up's are not)."""
        return [(start, end) for start, end in self._all_stalls() if not self._starting(end)]

    def bands(self) -> list[tuple[float, float, str]]:
        """Every stall on screen as (start, end, label), labelled as drawn: "frozen 64 ms" on a
        red band, or "starting" on a grey one for the lab's own start-up."""
        return [
            (start, end, STARTING if self._starting(end) else _("frozen {time}").format(time=format_duration(end - start)))
            for start, end in self._all_stalls()
        ]

    @property
    def freezing(self) -> bool:
        """True from :meth:`mark_freezing` until the next tick: the graph says "freezing now"."""
        return self._freezing_from is not None

    def _all_stalls(self) -> list[tuple[float, float]]:
        return [(when - lateness, when) for when, lateness in self._late]

    def _starting(self, end: float) -> bool:
        return self._starting_until is not None and end <= self._starting_until

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(420, 160)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        palette = self.palette()
        metrics = painter.fontMetrics()
        left_margin = metrics.horizontalAdvance("100 ms") + 10
        plot = QRectF(left_margin, 6, self.width() - left_margin - 8, self.height() - 12 - metrics.height())
        painter.fillRect(self.rect(), palette.base())
        if plot.width() < 10 or plot.height() < 10:
            return
        now = self._last_tick if self._last_tick is not None else self._clock()
        now = max(now, self._clock()) if self.isVisible() else now

        def x_of(t: float) -> float:
            return plot.right() - (now - t) / WINDOW * plot.width()

        def y_of(lateness: float) -> float:
            return plot.bottom() - height_fraction(lateness) * plot.height()

        text = palette.text().color()
        dark = look.is_dark(palette)
        grid = QColor(palette.mid().color())
        grid.setAlpha(80)
        for value, label in _LABELS:
            y = y_of(value)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - metrics.height() / 2, left_margin - 6, metrics.height()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        painter.setPen(text)
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 2, plot.width(), metrics.height()),
            Qt.AlignmentFlag.AlignLeft,
            "← " + _("{seconds} s ago").format(seconds=f"{WINDOW:.0f}"),
        )
        painter.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), metrics.height()), Qt.AlignmentFlag.AlignRight, _("now"))

        painter.save()
        painter.setClipRect(plot)
        bold = QFont(painter.font())
        bold.setBold(True)
        labelled: list[QRectF] = []
        for start, end, label in sorted(self.bands(), key=lambda s: s[0] - s[1]):  # longest first: it keeps its label when they crowd
            starting = label == STARTING
            if starting:
                label = _(STARTING)
            fill, edge = (STARTING_FILL, look.STARTING.on(palette)) if starting else (FROZEN_FILL, look.FROZEN.on(palette))
            band = QRectF(QPointF(x_of(start), plot.top()), QPointF(x_of(end), plot.bottom()))
            painter.fillRect(band, fill)
            painter.setPen(QPen(edge, 1))
            painter.drawLine(band.topLeft(), band.bottomLeft())
            # The length written in the band, or just left of it when the band is too narrow.
            painter.setFont(bold)
            room = painter.fontMetrics().horizontalAdvance(label) + 8
            where = band if band.width() >= room else QRectF(band.left() - room, plot.top(), room, plot.height())
            where.setHeight(painter.fontMetrics().height() + 4)
            # Never cut by the plot's edges: pushed inside, or left out on a plot too narrow for it.
            where.moveLeft(min(max(where.left(), plot.left()), plot.right() - where.width()))
            if where.width() <= plot.width() and not any(where.intersects(other) for other in labelled):
                labelled.append(where)
                painter.setPen(edge if dark else edge.darker(130))
                painter.drawText(where.adjusted(2, 2, -2, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, label)
            painter.setFont(self.font())
        for value, label, ink in _REFERENCES:
            y = y_of(value)
            colour = ink.on(palette)
            painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(colour if dark else colour.darker(140))
            # The two lines are close: the upper label sits above its line, the lower one below.
            top = y - metrics.height() - 1 if value >= FROZEN else y + 1
            painter.drawText(QRectF(plot.left() + 4, top, plot.width(), metrics.height()), Qt.AlignmentFlag.AlignLeft, _(label))

        # One point per pixel column at most (the worst tick in it), from the slices' peaks: a
        # single late tick never disappears between two on-time ones, and a paint costs the same
        # whatever the heartbeat's rate.
        columns: dict[int, float] = {}
        right, scale, oldest = plot.right(), plot.width() / WINDOW, now - WINDOW
        for _bucket, when, lateness in self._peaks:
            if when >= oldest:
                column = int(right - (now - when) * scale)
                if lateness > columns.get(column, -1.0):
                    columns[column] = lateness
        if columns:
            line = QPolygonF([QPointF(x, y_of(late)) for x, late in sorted(columns.items())])
            painter.setPen(QPen(look.ALIVE.on(palette), 2))
            painter.drawPolyline(line)
            frozen = look.FROZEN.on(palette)
            painter.setPen(QPen(frozen, 2))
            for x, late in columns.items():
                if is_frozen(late):
                    painter.setBrush(frozen)
                    painter.drawEllipse(QPointF(x, y_of(late)), 3, 3)
        if self._freezing_from is not None:
            painter.setPen(look.FROZEN.on(palette) if dark else FROZEN_EDGE.darker(130))
            painter.setFont(bold)
            painter.drawText(plot.adjusted(4, 4, -4, -4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _("freezing now") + " →")
        painter.restore()
        painter.setPen(QPen(grid, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(plot)
