"""The request timeline: one bar per request on the run's clock, cut into phases, with freezes shaded.

In an async run the bars overlap; in a blocking run they form a staircase under one red band,
the time the window was dead. The bars' phases come from :mod:`app.core.timeline`; this widget
only paints them, and paints only the rows in view, so a run of 1000 requests scrolls smoothly.

Mouse: the wheel scrolls the rows, Ctrl+wheel zooms the time axis around the pointer, and
hovering a bar shows its URL, status, size and phase times. Keys: + and - zoom, 0 fits the run;
Up and Down go through the requests, each outlined with its tooltip (``timeline_reader``: also
what a screen reader hears). Each phase is drawn in its colour and pattern from
:mod:`app.core.timeline`, the same in the legend.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QHBoxLayout, QLayout, QLayoutItem, QSizePolicy, QToolTip, QWidget

from app.core.freeze_cause import FreezeCause, cause_for
from app.core.lag import Freeze
from app.core.run import RecordTable, RequestRecord, RequestState, Run, RunSummary, format_duration
from app.core.task_trace import RUN_TASK, TaskTrace
from app.core.timeline import Pattern, Phase, describe, live_span, segments, tick_label, ticks
from app.i18n import _
from app.ui import look, paint_cache, plain_text
from app.ui.paint_cache import Layer, flattened
from app.ui.widgets.timeline_reader import TimelineReader

PHASE_COLOURS = {phase: QColor(phase.colour) for phase in Phase}
"""The phases' colours, as app.core.timeline defines them."""
QUEUED_PEN = QPen(PHASE_COLOURS[Phase.QUEUED], 1)
"""Waiting in the queue: a thin line."""
_PHASE_BRUSHES = {phase: QBrush(colour) for phase, colour in PHASE_COLOURS.items()}
FAILED_COLOUR = QColor("#c1121f")
CANCELLED_COLOUR = QColor("#6c757d")
_CANCELLED_HATCH = QBrush(CANCELLED_COLOUR, Qt.BrushStyle.BDiagPattern)
FREEZE_FILL = QColor(230, 57, 70, 60)
FREEZE_EDGE = QColor(look.FROZEN.light)
FREEZE_TEXT = QColor(look.FROZEN_TEXT.light)
"""These and the lanes' colours are for a light background (:mod:`app.ui.look`'s inks FAILED,
CANCELLED, FROZEN, FROZEN_TEXT): a dark one gets their dark variants (the phases keep their
colours in both)."""

AXIS_HEIGHT = 26
GUTTER = 150
"""Room on the left for each row's number and path."""
MAX_ROW, MIN_ROW = 24, 8
LABELLED_ROWS = 100
"""Up to this many requests, rows never get too short for their labels (the view scrolls instead)."""
MAX_ZOOM = 2000.0


LOOP_COLOUR = QColor(look.LOOP_LANE.light)
STEP_COLOUR = QColor(look.STEP_LANE.light)
_LANE_INKS = {LOOP_COLOUR.rgb(): look.LOOP_LANE, STEP_COLOUR.rgb(): look.STEP_LANE}
MAX_LANES = 12
"""A lesson's awaited steps get at most this many lanes (the rest of its tasks are in the Tasks tab)."""


@dataclass(frozen=True)
class Lane:
    """One X-ray row of the timeline: a label in the gutter and its (start, end, name) stretches."""

    label: str
    bars: tuple[tuple[float, float, str], ...]
    colour: QColor


def lanes_of(trace: TaskTrace, *, with_spans: bool) -> list[Lane]:
    """The loop lane (when the loop ran Python), then with ``with_spans`` one lane per task and
    depth for the awaited steps (``fetch_data`` 0-2 s, then ``process`` 2-5 s). LoopLab's own
    run task is left out: its first awaited step is the lesson's ``main``."""
    lanes = [Lane(_("event loop"), tuple((start, end, "") for start, end in trace.busy), LOOP_COLOUR)]
    run_task = _(RUN_TASK)
    if with_spans:
        by_lane: dict[tuple[str, int], list[tuple[float, float, str]]] = {}
        for span in sorted(trace.spans, key=lambda s: (s.start, s.depth)):
            depth = span.depth
            if span.track.startswith(run_task):
                if depth == 0:
                    continue
                depth -= 1
            by_lane.setdefault((span.track, depth), []).append((span.start, span.end, span.name))
        for (track, depth), bars in list(by_lane.items())[:MAX_LANES]:
            task = "main" if track.startswith(run_task) else track.partition(" (")[0]
            lanes.append(Lane(f"{'  ' * depth}{'↳ ' if depth else ''}{task}", tuple(bars), STEP_COLOUR))
    return lanes


_TILE = 6
"""The side of a pattern's repeating tile, in pixels: a stripe or a dot every 6 px."""
_pattern_brushes: dict[Phase, QBrush | None] = {}
_UNKNOWN = object()


def _pattern_brush(phase: Phase) -> QBrush | None:
    """The phase's pattern as a brush to paint over its colour (None for a plain phase): white
    marks on a dark colour, black ones on a light colour, half see-through so the colour stays."""
    if phase not in _pattern_brushes:
        pattern, colour = phase.pattern, PHASE_COLOURS[phase]
        marks = {
            Pattern.DOTS: [QRect(1, 1, 2, 2), QRect(4, 4, 2, 2)],
            Pattern.STRIPES_ACROSS: [QRect(2, 0, 2, _TILE)],
            Pattern.STRIPES_ALONG: [QRect(0, 2, _TILE, 2)],
        }.get(pattern)
        brush = None
        if marks:
            ink = QColor(0, 0, 0, 120) if colour.lightnessF() > 0.5 else QColor(255, 255, 255, 150)
            tile = QImage(_TILE, _TILE, QImage.Format.Format_ARGB32_Premultiplied)
            tile.fill(Qt.GlobalColor.transparent)
            painter = QPainter(tile)
            for mark in marks:
                painter.fillRect(mark, ink)
            painter.end()
            brush = QBrush(tile)
        _pattern_brushes[phase] = brush
    return _pattern_brushes[phase]


def paint_phase(painter: QPainter, rect: QRectF, phase: Phase) -> None:
    """One phase's piece of a bar, as the timeline and its legend draw it: its colour, and its
    pattern over it, starting at the piece's corner (so it moves with the bar as it scrolls)."""
    painter.fillRect(rect, PHASE_COLOURS[phase])
    brush = _pattern_brush(phase)
    if brush is not None:
        origin = painter.brushOrigin()
        painter.setBrushOrigin(rect.topLeft())
        painter.fillRect(rect, brush)
        painter.setBrushOrigin(origin)


def freeze_label(freeze: Freeze, cause: FreezeCause | None = None) -> str:
    """The words written on a freeze band: its length, and what froze it if known ("Frozen 2.00 s:
    time.sleep(2)")."""
    text = _("Frozen {time}").format(time=format_duration(freeze.duration))
    short = cause.short() if cause is not None else ""
    return f"{text}: {short}" if short else text


def _row_label(record: RequestRecord) -> str:
    """The row's number and what tells it apart: the path, or the host for a bare "/"."""
    try:
        parts = urlsplit(record.url)
    except ValueError:
        return f"{record.index + 1}  {record.url}"
    if not parts.netloc:
        return f"{record.index + 1}  {record.url}"
    path = parts.path if parts.path not in ("", "/") else f"{parts.netloc}/"
    if parts.query:
        path += "?" + parts.query
    return f"{record.index + 1}  {path}"


@dataclass
class _Frame:
    """Where things go in one paint of a timeline."""

    area: QRect
    plot: QRectF
    scroll_x: int
    scroll_y: int
    px_per_s: float
    row: int
    first: int
    """The first row in view (X-ray lanes first, then the requests) ..."""
    last: int
    """... and the one after the last."""
    now: float | None
    """The live run's clock at this paint (None for a finished run)."""
    tick_times: list[float]
    step: float

    def x_of(self, t: float) -> float:
        return self.plot.left() + t * self.px_per_s - self.scroll_x

    @property
    def under_axis(self) -> QRectF:
        """The plot but its top row, which the axis line covers (drawn last, over the bars): the
        bars, the cursor and a row painted again are clipped to it, so that whatever is drawn
        after the axis is the same as before it."""
        return self.plot.adjusted(0, 1, 0, 0)

    def top_of(self, index: int) -> float:
        return self.plot.top() + index * self.row - self.scroll_y


@dataclass
class KeptPicture:
    """A timeline's picture kept between paints (see :meth:`TimelineScene.paint_kept`)."""

    layer: Layer = field(default_factory=Layer)
    live: list[int] = field(default_factory=list)
    """The rows in view under way when it was painted: left out of it, drawn at every frame."""
    changed: set[int] = field(default_factory=set)
    """Records changed since the last paint (:meth:`TimelineWidget.refresh`): painted again into it."""

    def clear(self) -> None:
        self.layer.clear()
        self.live.clear()
        self.changed.clear()


class TimelineWidget(QAbstractScrollArea):
    """Shows one run's requests on a shared time axis, live while it runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.setAccessibleName(_("Request timeline"))
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(80)
        self.scene = TimelineScene()
        """What is drawn, and the drawing (shared with the PNG export)."""
        self.scene.fit_metrics(self.fontMetrics())
        self.zoom = 1.0
        """How far the time axis is zoomed in (1: the whole run fits); change it with zoom_by and fit."""
        self.zoomable = True
        """False where the scale must stay as set (two runs compared on one scale)."""
        self.horizontalScrollBar().setSingleStep(20)
        self.verticalScrollBar().valueChanged.connect(self.viewport().update)
        self.horizontalScrollBar().valueChanged.connect(self.viewport().update)
        self.reader = TimelineReader(self)
        """The words a screen reader hears, and the row chosen with Up and Down."""
        self.painting = _TimelinePainting(self)
        """Its kept picture, and painting from it."""

    # --- what it shows ---

    def show_run(self, run: Run) -> None:
        """Follows a run under way: call :meth:`refresh` when its records change."""
        # Through the run, not its clock: a lesson restarts the clock when its code starts.
        scene = self.scene
        scene.records, scene.freezes, scene.causes, scene.now = run.records, (), (), lambda: run.clock()
        scene.overlay, scene.wall, scene.cursor = "", 0.0, None
        scene.set_trace(None)
        self.zoom = 1.0
        self.reader.show_run(run)
        self.painting.kept.clear()
        self.refresh()

    def show_summary(self, summary: RunSummary | None) -> None:
        """Shows a finished run (or nothing), fitted to the view."""
        scene = self.scene
        scene.records = summary.records if summary else RecordTable()
        scene.freezes = summary.freezes if summary else ()
        scene.causes = summary.freeze_causes if summary else ()
        scene.wall = summary.wall_time if summary else 0.0  # a lesson's code may outlast its requests
        scene.now, scene.overlay, scene.cursor = None, "", None
        lesson = summary.request.lesson if summary is not None and summary.request is not None else None
        scene.set_trace(summary.trace if summary is not None else None, with_spans=lesson is not None)
        self.zoom = 1.0
        self.reader.show_summary(summary)
        self.painting.kept.clear()
        self.refresh()

    def set_placeholder(self, text: str) -> None:
        self.scene.placeholder = text
        self.painting.kept.clear()
        self.viewport().update()

    def set_overlay(self, text: str) -> None:
        """A message over the bars until the next run or summary is shown ("" for none): what the
        last frame before a freeze says, rather than an axis of a few milliseconds."""
        self.scene.overlay = text
        self.viewport().repaint()

    def set_fixed_span(self, seconds: float | None) -> None:
        """Draws this many seconds across the view whatever the run's own length (one scale for two runs)."""
        self.scene.fixed_span = seconds
        self.painting.kept.clear()
        self.refresh()

    def refresh(self, rows: Iterable[int] | None = None) -> None:
        """Re-reads the records' times (they change in place while a run is under way) and
        repaints: those of ``rows`` (record indices, as the controller reports them), or of any
        record when None."""
        if rows is None or not self.isVisible():
            self.painting.kept.clear()  # hidden (another tab): painted afresh when shown, not kept up to date
            rows = None
        else:
            rows = list(rows)
            self.painting.kept.changed.update(rows)
        # The table keeps its latest end up to date: no walk over 200,000 records 20 times a second.
        scene = self.scene
        ends = [scene.records.latest_end() or 0.0, scene.wall, *(f.end for f in scene.freezes)]
        if scene.now is not None:  # a run under way: the axis grows with it
            ends.append(scene.now())
        scene.span = max(ends)
        self._update_scrollbars()
        if rows is not None and self.painting.kept.layer.pixmap is not None and self.painting.painted_view == self.painting.view():
            # Same scale, same scroll: the screen needs only the rows under way (their bars grow
            # with the clock) and the rows that changed; the rest of it is still right. Between
            # two steps of the axis, most frames of a run repaint a few rows, or none.
            lanes = len(scene.lanes)
            self.viewport().update(self.painting.rows_rect({*self.painting.kept.live, *(lanes + row for row in rows)}))
        else:
            self.viewport().update()
        self.reader.refresh()

    @property
    def records(self) -> Sequence[RequestRecord]:
        return self.scene.records

    @property
    def freezes(self) -> Sequence[Freeze]:
        return self.scene.freezes

    # --- geometry ---

    def pixels_per_second(self) -> float:
        return self.scene.plot_width(self.viewport().width()) / self.scene.shown_span() * self.zoom

    def row_height(self, view_height: int | None = None) -> int:
        """Rows share the height while they fit; past that they stay readable and the view scrolls."""
        height = (self.viewport().height() if view_height is None else view_height) - self.scene.axis_height - 4
        rows = self.scene.row_count()
        if not rows:
            return self.scene.max_row
        floor = self.scene.label_row if rows <= LABELLED_ROWS else MIN_ROW
        return int(max(floor, min(self.scene.max_row, height / rows)))

    def shows_row_labels(self) -> bool:
        """Whether each row is tall enough to carry its URL in the gutter."""
        return self.row_height() >= self.scene.label_row

    def _update_scrollbars(self) -> None:
        view = self.viewport().size()
        row = self.row_height()
        content_height = self.scene.row_count() * row + self.scene.axis_height + 4
        vertical = self.verticalScrollBar()
        vertical.setRange(0, max(0, content_height - view.height()))
        vertical.setPageStep(view.height())
        vertical.setSingleStep(row)
        plot = self.scene.plot_width(view.width())
        horizontal = self.horizontalScrollBar()
        horizontal.setRange(0, max(0, int(plot * self.zoom - plot)))
        horizontal.setPageStep(int(plot))

    def time_at(self, x: float) -> float:
        """The run time under viewport position ``x``."""
        return (x - self.scene.gutter + self.horizontalScrollBar().value()) / self.pixels_per_second()

    def record_at(self, pos: QPoint) -> RequestRecord | None:
        """The request whose row is under viewport position ``pos``."""
        if pos.y() < self.scene.axis_height:
            return None
        row = (pos.y() - self.scene.axis_height + self.verticalScrollBar().value()) // self.row_height() - len(self.scene.lanes)
        return self.scene.records[row] if 0 <= row < len(self.scene.records) else None

    # --- zoom ---

    def zoom_by(self, factor: float, anchor_x: float | None = None) -> None:
        """Zooms the time axis, keeping the time under ``anchor_x`` (default: the view's middle) in place."""
        if not self.zoomable:
            return
        if anchor_x is None:
            anchor_x = self.scene.gutter + self.scene.plot_width(self.viewport().width()) / 2
        anchor_t = self.time_at(anchor_x)
        self.zoom = min(MAX_ZOOM, max(1.0, self.zoom * factor))
        self._update_scrollbars()
        self.horizontalScrollBar().setValue(round(anchor_t * self.pixels_per_second() - (anchor_x - self.scene.gutter)))
        self.viewport().update()

    def fit(self) -> None:
        self.zoom = 1.0
        self._update_scrollbars()
        self.viewport().update()

    # --- Qt events ---

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.scene.fit_metrics(self.fontMetrics())
            self._update_scrollbars()
            self.viewport().update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(800, 260)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # The axis and five full rows with their labels: a short window still shows a timeline.
        return QSize(300, self.scene.axis_height + 4 + 5 * self.scene.max_row + 2 * self.frameWidth())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._update_scrollbars()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and self.zoomable:
            steps = event.angleDelta().y() / 120
            self.zoom_by(1.25**steps, event.position().x())
            event.accept()
        else:
            super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.5)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / 1.5)
        elif key == Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            record = self.record_at(event.pos())
            if record is not None:
                now = self.scene.now() if self.scene.now is not None else None
                QToolTip.showText(event.globalPos(), plain_text.tooltip(describe(record, now)), self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self.viewport())
        try:
            self.painting.paint(painter, cached=True)
        finally:
            painter.end()

class _TimelinePainting:
    """How a :class:`TimelineWidget` paints: from its kept picture (``app.ui.paint_cache``), and
    after a refresh only the rows that moved, while the scale and the scroll stay."""

    def __init__(self, widget: TimelineWidget) -> None:
        self._widget = widget
        self.kept = KeptPicture()
        self.painted_view: tuple[object, ...] = ()
        """view() at the last paint from the kept picture."""

    def view(self) -> tuple[object, ...]:
        """What places every bar: the view's size, scroll and scale, and the rows."""
        widget = self._widget
        return (
            widget.viewport().size().toTuple(), widget.horizontalScrollBar().value(), widget.verticalScrollBar().value(),
            widget.pixels_per_second(), widget.row_height(), id(widget.scene.records), widget.scene.row_count(),
        )  # fmt: skip

    def rows_rect(self, rows: Iterable[int]) -> QRect:
        """The part of the plot that ``rows`` (lanes first, then requests) cover in view (empty: none)."""
        widget = self._widget
        scene, row, scroll_y = widget.scene, widget.row_height(), widget.verticalScrollBar().value()
        first = max(0, scroll_y // row)
        last = min(scene.row_count(), (scroll_y + widget.viewport().height() - scene.axis_height) // row + 1)
        shown = [index for index in rows if first <= index < last]
        if not shown:
            return QRect()
        top = scene.axis_height + min(shown) * row - scroll_y
        bottom = scene.axis_height + (max(shown) + 1) * row - scroll_y
        top = max(top, scene.axis_height)
        return QRect(scene.gutter, top, widget.viewport().width() - scene.gutter, bottom - top)

    def picture(self, *, kept: bool, dpr: float | None = None) -> QImage:
        """The viewport painted onto an image at ``dpr`` (default: its screen's), from the kept
        picture or (``kept`` False) from scratch, as a fresh widget paints it."""
        widget = self._widget
        viewport = widget.viewport()
        return paint_cache.picture(viewport.size(), dpr or viewport.devicePixelRatioF(), widget.font(), lambda p: self.paint(p, cached=kept))

    def paint(self, painter: QPainter, *, cached: bool) -> None:
        widget = self._widget
        scene, area = widget.scene, QRect(QPoint(0, 0), widget.viewport().size())
        where = {
            "scroll_x": widget.horizontalScrollBar().value(),
            "scroll_y": widget.verticalScrollBar().value(),
            "px_per_s": widget.pixels_per_second(),
            "row": widget.row_height(),
        }
        if cached:
            scene.paint_kept(painter, self.kept, area, widget.palette(), widget.font(), **where)
            self.painted_view = self.view()
        else:
            scene.paint(painter, area, widget.palette(), widget.font(), **where)
        if scene.overlay:
            scene.paint_overlay(painter, widget.viewport().width(), widget.palette())
        widget.reader.paint(painter)


class TimelineScene:
    """What a timeline draws and how: one run's records and freezes, the sizes that follow the
    font, and the painting itself, shared by the widget on screen and the PNG export. Qt-widget
    free: the widget owns one (:attr:`TimelineWidget.scene`) and hands it a painter."""

    def __init__(self) -> None:
        self.records: RecordTable = RecordTable()
        self.freezes: Sequence[Freeze] = ()
        self.causes: Sequence[FreezeCause] = ()
        """What froze the window in each freeze (matched to the bands by overlap)."""
        self.now: Callable[[], float] | None = None
        """The live run's clock, while it runs."""
        self.span = 0.0
        """The latest time the run has reached, in seconds since Run."""
        self.wall = 0.0
        self.fixed_span: float | None = None
        """Set when compared with another run on one scale."""
        self.placeholder = _("Press Run: each request will appear here as a bar on a shared time axis.")
        self.overlay = ""
        """A message over the bars ("" for none)."""
        self.lanes: list[Lane] = []
        """The X-ray's rows above the requests: the loop's busy time, then a lesson's awaited steps."""
        self.cursor: float | None = None
        """A moment of the run marked by a line (the Tasks tab's replay), or None."""
        self.gutter, self.axis_height, self.max_row = GUTTER, AXIS_HEIGHT, MAX_ROW
        self.label_row = MIN_ROW  # the shortest row a label fits in: set from the font
        self._dark = False  # whether this paint is on a dark palette (set by paint)

    def fit_metrics(self, metrics: QFontMetrics) -> None:
        """The gutter, axis band and rows grow with the font (presentation mode); the module's
        constants are their sizes at the normal font."""
        self.gutter = max(GUTTER, metrics.horizontalAdvance(_("Time since Run") + " →") + 16)
        self.axis_height = max(AXIS_HEIGHT, metrics.height() + 8)
        self.max_row = max(MAX_ROW, metrics.height() + 6)
        self.label_row = math.ceil(metrics.height() * 0.8)

    def shown_span(self) -> float:
        """The seconds across the plot (before zooming): the run, or while it runs, the next of
        the steps the axis grows by (:func:`~app.core.timeline.live_span`)."""
        span = live_span(self.span) if self.now is not None else self.span
        return max(self.fixed_span or 0.0, span, 0.001)

    def set_trace(self, trace: TaskTrace | None, *, with_spans: bool = False) -> None:
        """The X-ray's lanes for a finished run: the loop lane, and (``with_spans``: a lesson) one
        lane per task and nesting depth with its awaited steps, at most :data:`MAX_LANES`."""
        self.lanes = lanes_of(trace, with_spans=with_spans) if trace is not None else []

    def row_count(self) -> int:
        return len(self.lanes) + len(self.records)

    def plot_width(self, view_width: int) -> float:
        return max(10.0, view_width - self.gutter - 12)

    def paint_overlay(self, painter: QPainter, width: int, palette: QPalette) -> None:
        """The overlay's words in a box over the bars (see :attr:`overlay`)."""
        metrics = painter.fontMetrics()
        light = palette.base().color().lightness() > 128
        box = QRect(self.gutter, self.axis_height + 6, width - self.gutter - 12, metrics.height() * 2 + 12)
        painter.fillRect(box, QColor(255, 255, 255, 220) if light else QColor(0, 0, 0, 200))
        painter.setPen(FREEZE_TEXT if light else QColor(look.FROZEN_TEXT.dark))
        painter.drawText(box.adjusted(8, 4, -8, -4), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.overlay)

    # --- painting (shared by the screen and the PNG export) ---

    def export_height(self) -> int:
        """The height :meth:`paint_export` needs: every row, readable up to 40 rows, and never
        more than about 4000 px (1000 rows get 4 px each: the shape of the run still shows)."""
        return self.axis_height + 8 + max(1, len(self.records)) * self._export_row()

    def _export_row(self) -> int:
        count = max(1, len(self.records))
        return self.max_row if count <= 40 else max(2, min(MIN_ROW + 4, 4000 // count))

    def paint_export(self, painter: QPainter, width: int, font: QFont, palette: QPalette) -> None:
        """Paints the whole timeline (every row, the whole run) at the painter's origin."""
        painter.setFont(font)
        px_per_s = self.plot_width(width) / self.shown_span()
        area = QRect(0, 0, width, self.export_height())
        self.paint(painter, area, palette, font, scroll_x=0, scroll_y=0, px_per_s=px_per_s, row=self._export_row())

    def render_image(self, font: QFont, palette: QPalette, width: int = 1600) -> QImage:
        """The whole timeline as an image of its own (see :meth:`paint_export`)."""
        image = QImage(width, self.export_height(), QImage.Format.Format_ARGB32)
        image.fill(palette.base().color())
        painter = QPainter(image)
        try:
            self.paint_export(painter, width, font, palette)
        finally:
            painter.end()
        return image

    def paint(
        self, painter: QPainter, area: QRect, palette: QPalette, font: QFont, *, scroll_x: int, scroll_y: int, px_per_s: float, row: int
    ) -> None:
        """Draws the run into ``area``, all of it: grid, freeze bands, bars, row labels and the time axis."""
        frame = self._frame(painter, area, palette, scroll_x=scroll_x, scroll_y=scroll_y, px_per_s=px_per_s, row=row)
        if frame is None:
            return
        self._paint_ground(painter, frame, palette)
        self._paint_rows(painter, frame, range(frame.first, frame.last))
        self._paint_marks(painter, frame, palette, font)
        self._paint_edges(painter, frame, palette, font)

    def paint_kept(
        self,
        painter: QPainter,
        kept: KeptPicture,
        area: QRect,
        palette: QPalette,
        font: QFont,
        *,
        scroll_x: int,
        scroll_y: int,
        px_per_s: float,
        row: int,
    ) -> None:
        """Draws what :meth:`paint` draws, from a picture ``kept`` between paints: everything but
        the requests under way (and the cursor and the freeze bands' words, drawn over the bars),
        repainted only when the view changes (its size, scale, scroll, palette, font, the run).
        A frame copies it, draws into it the requests that finished since, and draws those still
        under way: during a run that is a few bars, not every bar in view."""
        frame = self._frame(painter, area, palette, scroll_x=scroll_x, scroll_y=scroll_y, px_per_s=px_per_s, row=row)
        if frame is None:
            kept.clear()
            return
        dpr = painter.device().devicePixelRatioF()
        records, lanes = self.records, len(self.lanes)
        key = (
            area.size().toTuple(), dpr, palette.cacheKey(), font.key(), _("Time since Run"),
            scroll_x, scroll_y, px_per_s, row, self.gutter, self.axis_height, self.label_row,
            id(records), len(records), id(self.lanes), lanes, id(self.freezes), len(self.freezes),
        )  # fmt: skip
        layer = kept.layer
        if not layer.valid(key):
            # Under way: requests waiting or running (their bars grow with the clock).
            first = max(frame.first, lanes)
            states = records.states(first - lanes, frame.last - lanes) if self.now is not None else []
            kept.live = [first + i for i, state in enumerate(states) if not state.finished]
            live = set(kept.live)

            def paint_still(layer_painter: QPainter) -> None:
                layer_painter.setFont(font)  # a pixmap's painter starts in the application's font
                self._paint_ground(layer_painter, frame, palette)
                self._paint_rows(layer_painter, frame, [i for i in range(frame.first, frame.last) if i not in live])
                self._paint_edges(layer_painter, frame, palette, font)

            layer.get(key, area.size(), dpr, paint_still)
            kept.changed.clear()
        else:
            done = []
            if kept.live:
                first = kept.live[0]
                states = records.states(first - lanes, kept.live[-1] + 1 - lanes)
                done = [i for i in kept.live if states[i - first].finished]
            # The controller reports every running row at every batch: a row still under way is
            # not in the kept picture, only those that finished or changed though settled are.
            live = set(kept.live)
            redraw = sorted({*done, *(i for r in kept.changed if frame.first <= (i := lanes + r) < frame.last and i not in live)})
            kept.changed.clear()
            if done:
                kept.live = [i for i in kept.live if i not in done]
            if redraw:
                layer_painter = QPainter(layer.pixmap)
                try:
                    layer_painter.setFont(font)
                    for index in redraw:
                        # The row's strip painted again from the ground up, as a full paint paints it.
                        top = frame.top_of(index)
                        layer_painter.setClipRect(QRectF(frame.plot.left(), top, frame.plot.width(), frame.row) & frame.under_axis)
                        self._paint_ground(layer_painter, frame, palette)
                        if index not in kept.live:
                            self._paint_rows(layer_painter, frame, [index])
                finally:
                    layer_painter.end()
        painter.drawPixmap(area.topLeft(), layer.pixmap)
        if kept.live:
            self._paint_rows(painter, frame, kept.live)
        self._paint_marks(painter, frame, palette, font)

    def _frame(
        self, painter: QPainter, area: QRect, palette: QPalette, *, scroll_x: int, scroll_y: int, px_per_s: float, row: int
    ) -> _Frame | None:
        """Where things go in this paint; None when there is nothing to draw but the placeholder
        (drawn here) or the view is too small."""
        self._dark = look.is_dark(palette)
        if not self.records and not self.lanes and not self.freezes:  # the X-ray's lanes are worth drawing on their own
            # (with freezes, a lesson with no requests, the axis and the bands tell the story)
            painter.fillRect(area, palette.base())
            painter.setPen(palette.placeholderText().color())
            painter.drawText(area.adjusted(12, self.axis_height, -12, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return None
        plot = QRectF(self.gutter, self.axis_height, area.width() - self.gutter, area.height() - self.axis_height)
        if plot.width() < 20 or plot.height() < 4 or px_per_s <= 0:
            painter.fillRect(area, palette.base())
            return None  # too small to draw anything useful (and the axis maths would break)
        left_t, right_t = max(0.0, scroll_x / px_per_s), (scroll_x + plot.width()) / px_per_s
        tick_times = ticks(left_t, right_t, max(2, int(plot.width() // 90)))
        return _Frame(
            area=area,
            plot=plot,
            scroll_x=scroll_x,
            scroll_y=scroll_y,
            px_per_s=px_per_s,
            row=row,
            first=max(0, scroll_y // row),
            last=min(self.row_count(), (scroll_y + area.height() - self.axis_height) // row + 1),
            now=self.now() if self.now is not None else None,
            tick_times=tick_times,
            step=tick_times[1] - tick_times[0] if len(tick_times) > 1 else right_t - left_t,
        )

    def _paint_ground(self, painter: QPainter, frame: _Frame, palette: QPalette) -> None:
        """What lies under the bars: the background, the grid lines and the freeze bands."""
        area, x_of = frame.area, frame.x_of
        painter.fillRect(area, palette.base())
        # Drawn on the plain background, a see-through grid line is this opaque colour: a plain
        # pen costs the raster engine a fraction of a blend per pixel (~30 us a line).
        grid = QColor(palette.mid().color())
        grid.setAlpha(90)
        painter.setPen(QPen(flattened(grid, palette.base().color()), 1))
        for t in frame.tick_times:
            painter.drawLine(QPointF(x_of(t), self.axis_height), QPointF(x_of(t), area.height()))
        if self.freezes:
            painter.save()
            painter.setClipRect(frame.plot, Qt.ClipOperation.IntersectClip if painter.hasClipping() else Qt.ClipOperation.ReplaceClip)
            for freeze in self.freezes:
                band = QRectF(QPointF(x_of(freeze.start), self.axis_height), QPointF(x_of(freeze.end), area.height()))
                painter.fillRect(band, FREEZE_FILL)
                painter.setPen(QPen(look.FROZEN.on(palette), 1.5))
                painter.drawLine(band.topLeft(), band.bottomLeft())
                painter.drawLine(band.topRight(), band.bottomRight())
            painter.restore()

    def _paint_rows(self, painter: QPainter, frame: _Frame, rows: Sequence[int]) -> None:
        """The bars of ``rows`` (X-ray lanes first, then the requests), inside the plot."""
        if not rows:
            return
        painter.save()
        painter.setClipRect(frame.under_axis, Qt.ClipOperation.IntersectClip if painter.hasClipping() else Qt.ClipOperation.ReplaceClip)
        lanes, row, x_of, now = len(self.lanes), frame.row, frame.x_of, frame.now
        first = max(min(rows), lanes)
        states = self.records.states(first - lanes, max(rows) + 1 - lanes)
        waiting: list[QLineF] = []
        for index in rows:
            top = frame.top_of(index)
            if index < lanes:
                self._paint_lane(painter, self.lanes[index], top, row, x_of)
            elif states[index - first] is RequestState.PENDING:
                # Waiting for its turn: a thin line from Run up to now (nothing in a finished
                # run), as _paint_bar draws it; drawn together, the waiting rows cost one call.
                if now is not None and now > 0:
                    waiting.append(QLineF(x_of(0.0), top + row / 2, x_of(now), top + row / 2))
            else:
                self._paint_bar(painter, self.records[index - lanes], top, row, x_of, now)
        if waiting:
            painter.setPen(QUEUED_PEN)
            painter.drawLines(waiting)
        painter.restore()

    def _paint_marks(self, painter: QPainter, frame: _Frame, palette: QPalette, font: QFont) -> None:
        """What is drawn over the bars: the cursor, and each freeze band's words pinned under the axis."""
        plot, x_of = frame.plot, frame.x_of
        if self.cursor is not None:
            painter.save()
            painter.setClipRect(frame.under_axis)
            painter.setPen(QPen(palette.text().color(), 2))
            painter.drawLine(QPointF(x_of(self.cursor), self.axis_height), QPointF(x_of(self.cursor), frame.area.height()))
            painter.restore()
        if not self.freezes:
            return
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        for freeze in self.freezes:
            left, right = max(plot.left(), x_of(freeze.start)), min(plot.right(), x_of(freeze.end))
            if right <= plot.left() or left >= plot.right():
                continue
            label = freeze_label(freeze, cause_for(self.causes, freeze.start, freeze.end))
            if painter.fontMetrics().horizontalAdvance(label) + 12 > max(right - left, plot.width() / 2):
                label = freeze_label(freeze)  # no room for the cause: the length alone
            width = painter.fontMetrics().horizontalAdvance(label) + 12
            box = QRectF((left + right - width) / 2, self.axis_height + 4, width, painter.fontMetrics().height() + 4)
            box.moveLeft(min(max(box.left(), plot.left() + 2), plot.right() - width - 2))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(look.LABEL_BOX.on(palette))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(look.FROZEN_TEXT.on(palette))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        painter.setFont(font)

    def _paint_edges(self, painter: QPainter, frame: _Frame, palette: QPalette, font: QFont) -> None:
        """The gutter with each row's URL, and the time axis over the top."""
        area, row, lanes = frame.area, frame.row, len(self.lanes)
        text_colour = palette.text().color()
        painter.setFont(font)
        painter.fillRect(QRectF(0, self.axis_height, self.gutter, area.height()), palette.window())
        metrics = painter.fontMetrics()
        if row >= self.label_row:  # labels only where they do not run into each other
            painter.setPen(text_colour)
            for index in range(frame.first, frame.last):
                top = frame.top_of(index)
                text = self.lanes[index].label if index < lanes else _row_label(self.records[index - lanes])
                label = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, self.gutter - 10)
                painter.drawText(QRectF(6, top, self.gutter - 10, row), Qt.AlignmentFlag.AlignVCenter, label)

        # The axis band: seconds since Run was pressed.
        painter.fillRect(QRectF(0, 0, area.width(), self.axis_height), palette.window())
        painter.setPen(text_colour)
        painter.drawText(QRectF(6, 0, self.gutter - 10, self.axis_height), Qt.AlignmentFlag.AlignVCenter, _("Time since Run") + " →")
        free_from = float(self.gutter)  # labels never overlap: one that would is left out
        for t in frame.tick_times:
            x = frame.x_of(t)
            if x < self.gutter - 1:
                continue
            painter.drawLine(QPointF(x, self.axis_height - 6), QPointF(x, self.axis_height))
            label = tick_label(t, frame.step)
            width = metrics.horizontalAdvance(label) + 3
            left = x + 3 if x + width < area.width() else x - width  # the last label stays inside
            if left < free_from:
                continue
            painter.drawText(QRectF(left, 0, width + 2, self.axis_height - 4), Qt.AlignmentFlag.AlignBottom, label)
            free_from = left + width + 6
        painter.drawLine(QPointF(self.gutter, self.axis_height), QPointF(area.width(), self.axis_height))

    def _failed_colour(self) -> QColor:
        return QColor(look.FAILED.dark) if self._dark else FAILED_COLOUR

    def _paint_lane(self, painter: QPainter, lane: Lane, top: float, row: int, x_of: Callable[[float], float]) -> None:
        """One X-ray lane: its stretches as bars, each named inside when there is room."""
        pad = max(1.0, row * 0.18)
        metrics = painter.fontMetrics()
        for start, end, name in lane.bars:
            rect = QRectF(x_of(start), top + pad, max(1.5, x_of(end) - x_of(start)), row - 2 * pad)
            ink = _LANE_INKS.get(lane.colour.rgb())
            painter.fillRect(rect, QColor(ink.dark) if ink is not None and self._dark else lane.colour)
            if name and rect.width() > metrics.horizontalAdvance(name) + 8 and rect.height() >= metrics.height() * 0.8:
                painter.setPen(QColor("#ffffff"))
                painter.drawText(rect.adjusted(4, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)

    def _paint_bar(
        self,
        painter: QPainter,
        record: RequestRecord,
        top: float,
        row: int,
        x_of: Callable[[float], float],
        now: float | None,
    ) -> None:
        pad = max(1.0, row * 0.18)
        bar_top, bar_height = top + pad, row - 2 * pad
        middle = top + row / 2
        state = record.state
        cancelled = state is RequestState.CANCELLED
        pieces = segments(record, now)
        if not pieces and state is RequestState.FAILED:
            # Never sent (e.g. not a URL): a cross at the start says "failed at once".
            painter.setPen(QPen(self._failed_colour(), 2))
            x, r = x_of(0.0) + 5, min(5.0, bar_height / 2)
            painter.drawLine(QPointF(x - r, middle - r), QPointF(x + r, middle + r))
            painter.drawLine(QPointF(x - r, middle + r), QPointF(x + r, middle - r))
            return
        for phase, start, end in pieces:
            left, right = x_of(start), x_of(end)
            if phase is Phase.QUEUED:
                # Like a browser's network panel: waiting in line is a thin line, not a bar.
                painter.setPen(QUEUED_PEN)
                painter.drawLine(QPointF(left, middle), QPointF(right, middle))
                continue
            rect = QRectF(left, bar_top, max(1.5, right - left), bar_height)
            if cancelled:
                painter.setBrushOrigin(0, 0)  # as the painter starts: a phase's pattern moved it
                painter.fillRect(rect, _CANCELLED_HATCH)
            else:
                # paint_phase, but leaving the brush origin moved (the caller saved the painter).
                painter.fillRect(rect, _PHASE_BRUSHES[phase])
                pattern = _pattern_brushes.get(phase, _UNKNOWN)
                if pattern is _UNKNOWN:
                    pattern = _pattern_brush(phase)
                if pattern is not None:
                    painter.setBrushOrigin(rect.topLeft())
                    painter.fillRect(rect, pattern)
        if state is RequestState.FAILED and pieces:
            start = next((p.start for p in pieces if p.phase is not Phase.QUEUED), pieces[-1].end)
            outline = QRectF(x_of(start), bar_top, max(3.0, x_of(pieces[-1].end) - x_of(start)), bar_height)
            painter.setPen(QPen(self._failed_colour(), 2 if row >= 12 else 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(outline)
            painter.setBrush(QBrush(self._failed_colour()))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QPointF(outline.right() + 6, middle), min(4.0, bar_height / 2), min(4.0, bar_height / 2))
        elif cancelled and pieces:
            ran = [p for p in pieces if p.phase is not Phase.QUEUED]
            painter.setPen(QPen(CANCELLED_COLOUR, 1.5))
            if ran:  # outlined where it ran; its wait in the queue stays a thin line
                painter.setBrush(Qt.BrushStyle.NoBrush)
                left = x_of(ran[0].start)
                painter.drawRect(QRectF(left, bar_top, max(3.0, x_of(ran[-1].end) - left), bar_height))
            else:  # cancelled in the queue: only a bar-high stop mark where it was given up
                x = x_of(pieces[-1].end)
                painter.drawLine(QPointF(x, bar_top), QPointF(x, bar_top + bar_height))


class _FlowLayout(QLayout):
    """Lays items out left to right and wraps to a new row when the width runs out (as text does)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 12) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt's name
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        x, y, row_height = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and x > rect.x():
                x, y, row_height = rect.x(), y + row_height + 2, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y()


class TimelineLegend(QWidget):
    """The key to the timeline's colours: the phases, failed, cancelled and frozen. It wraps
    onto more rows when narrow (presentation mode), rather than widen the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineLegend")
        flow = _FlowLayout(self)
        flow.setContentsMargins(0, 0, 0, 0)
        entries: list[tuple[str, QColor, str | Phase, str]] = [
            (p.label, PHASE_COLOURS[p], "line" if p.pattern is Pattern.LINE else p, f"{p.colour_name}, {p.pattern.label}") for p in Phase
        ]
        entries += [
            (_("Failed"), FAILED_COLOUR, "outline", _("a red outline and a dot at its end")),
            (_("Cancelled"), CANCELLED_COLOUR, "hatch", _("grey, hatched")),
            (_("Window frozen"), FREEZE_EDGE, "band", _("a red band across all rows")),
        ]
        for text, colour, style, looks in entries:
            entry = QWidget(self)
            row = QHBoxLayout(entry)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(4)
            swatch = _Swatch(colour, style, entry)
            swatch.setAccessibleName(_("{name}: {looks}").format(name=text, looks=looks))  # what the swatch shows, for those who cannot see it
            row.addWidget(swatch)
            row.addWidget(plain_text.label(text, entry))
            flow.addWidget(entry)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)


class _Swatch(QWidget):
    """A sample of how the timeline draws one thing: ``style`` is a phase (its colour and
    pattern, drawn by :func:`paint_phase` as on the bars) or one of "line", "outline", "hatch", "band"."""

    def __init__(self, colour: QColor, style: str | Phase, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colour, self._style = colour, style
        self._fit()

    def _fit(self) -> None:
        # As big as a bar at this font (a row is a line of text): bigger in presentation mode,
        # where a pattern the size of the normal swatch would be two stripes.
        line = self.fontMetrics().height()
        self.setFixedSize(max(22, round(line * 1.4)), max(14, round(line * 0.8)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        rect = QRectF(1, 2, self.width() - 2, self.height() - 4)
        if isinstance(self._style, Phase):
            paint_phase(painter, rect, self._style)
        elif self._style == "line":
            painter.setPen(QPen(self._colour, 2))
            painter.drawLine(QPointF(rect.left(), rect.center().y()), QPointF(rect.right(), rect.center().y()))
        elif self._style == "outline":
            painter.setPen(QPen(self._colour, 2))
            painter.drawRect(rect)
        elif self._style == "hatch":
            painter.fillRect(rect, QBrush(self._colour, Qt.BrushStyle.BDiagPattern))
            painter.setPen(QPen(self._colour, 1, Qt.PenStyle.DashLine))
            painter.drawRect(rect)
        elif self._style == "band":
            painter.fillRect(rect, FREEZE_FILL)
            painter.setPen(QPen(self._colour, 1.5))
            painter.drawLine(rect.topLeft(), rect.bottomLeft())
            painter.drawLine(rect.topRight(), rect.bottomRight())
        painter.end()

