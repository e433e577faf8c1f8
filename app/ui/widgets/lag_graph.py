"""The live lag graph: how late each heartbeat tick was, over the last half minute.

Time runs left to right with "now" at the right edge, so the graph scrolls while the window is
alive. The height is the tick's lateness on a log scale (1 ms to 10 s), so a 5 ms wobble and a
3 s freeze both fit, with dashed lines at one frame (16 ms) and the freeze line (50 ms). During a
blocking run nothing can be drawn at all; afterwards the graph shows the hole it left: a red
band as wide as the freeze, with its length written on it. A screen reader hears the same in a
sentence, the graph's description (:meth:`LagGraph.words`), brought up to date at most twice a second.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Sequence

from PySide6.QtCore import QLineF, QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.core.lag import FRAME, FROZEN, REDRAW_INTERVAL, is_frozen
from app.core.run import format_duration
from app.i18n import N_, _, ngettext
from app.ui import look, paint_cache
from app.ui.accessibility import LiveDescription
from app.ui.paint_cache import Layer, flattened

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
        # oldest first; a paint takes only the new ones into the line's pixel columns (_Line),
        # whatever the tick rate.
        self._peaks: deque[list[float]] = deque()
        self._late: deque[tuple[float, float]] = deque()  # the frozen ticks (when, lateness): the bands
        self._last_tick: float | None = None
        self._painted_at = float("-inf")
        self._starting_until: float | None = None  # the lab's start-up: not a freeze of the lab
        self._freezing_from: float | None = None  # a blocking run is about to take the thread
        # Kept between paints: the scale under the line, the reference lines over the bands, the line.
        self._under, self._over, self._line = Layer(), Layer(transparent=True), _Line()
        self._still = Layer()  # the scale and the reference lines together: a frame with no band
        self._tinted: dict[int, Layer] = {}  # the scale under a band's see-through fill, by fill
        self._looks: _Looks | None = None
        self._painted_looks: tuple[object, ...] = ()  # _looks_at() at the last paint on screen
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
        # A frame that would be the picture on screen is not drawn at all: the graph moves a
        # pixel at a time (every 150 ms at its usual width) and the newest column's worst tick
        # often stays the worst (measured in the lab during a run: 4 frames in 10 were the same).
        if is_frozen(lateness) or (now - self._painted_at >= REDRAW_INTERVAL and self._looks_at(now) != self._painted_looks):
            self._painted_at = now
            self.update()
        if self.description.due(now):  # the words cost a walk over the peaks: twice a second at most
            self.description.update(self.words(now), now)

    def _looks_at(self, now: float) -> tuple[object, ...]:
        """What decides the picture at ``now``, as of the last paint's scale: the pixel column of
        now, the newest columns of the line (not settled yet), the frozen ticks (the bands), and
        the words over them. A paint records it: an equal one is the same picture."""
        line, late = self._line, self._late
        return (
            math.floor(now * line.scale),
            tuple(tuple(column) for column in line.tail(self._peaks)),
            len(late), late[0][0] if late else None, late[-1][0] if late else None,
            self._starting_until, self._freezing_from,
        )  # fmt: skip

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
            self._paint(painter, on_screen=True)
        finally:
            painter.end()

    def picture(self, *, kept: bool, dpr: float | None = None) -> QImage:
        """The graph painted onto an image at ``dpr`` (default: its screen's), from its kept
        pictures or (``kept`` False) from scratch, as a fresh widget paints it."""
        return paint_cache.picture(self.size(), dpr or self.devicePixelRatioF(), self.font(), lambda p: self._paint(p, cached=kept))

    def _paint(self, painter: QPainter, *, cached: bool = True, on_screen: bool = False) -> None:
        """Paints the graph. What changes seldom comes from pictures kept between paints
        (``cached``): the scale and its words, the reference lines, and the line, drawn a piece
        at a time as its columns settle; a frame adds the freeze bands, the newest column and the
        frozen ticks' dots."""
        palette, font = self.palette(), painter.font()
        looks = self._looks_for(palette, painter)
        plot = QRectF(looks.margin, 6, self.width() - looks.margin - 8, self.height() - 12 - looks.line_height)
        if plot.width() < 10 or plot.height() < 10:
            painter.fillRect(self.rect(), palette.base())
            return
        now = self._last_tick if self._last_tick is not None else self._clock()
        now = max(now, self._clock()) if self.isVisible() else now
        # The graph moves a whole pixel at a time: "now" is pinned to its pixel column, so the
        # line, the bands and the dots move together, and the line's settled columns can be
        # drawn once (see _Line).
        scale = plot.width() / WINDOW
        now_column = math.floor(now * scale)
        left = plot.right() - now_column  # the x of time 0: a point's x is left + its column
        dpr = painter.device().devicePixelRatioF()
        # Kept pieces are copied pixel for pixel only where logical pixels are whole device ones.
        whole_pixels = cached and dpr == int(dpr)
        words = ("← " + _("{seconds} s ago").format(seconds=f"{WINDOW:.0f}"), _("now"), *(_(label) for _v, label, _i in _REFERENCES))
        key = (self.size().toTuple(), dpr, looks.key, words)

        def kept(layer: Layer, paint: Callable[[QPainter], None], tint: QColor | None = None) -> QPixmap:
            def fresh(layer_painter: QPainter) -> None:
                layer_painter.setFont(font)  # a pixmap's painter starts in the application's font
                paint(layer_painter)
                if tint is not None:
                    layer_painter.fillRect(self.rect(), tint)

            return layer.get((*key, tint.rgba() if tint is not None else None), self.size(), dpr, fresh)

        def scale_layer(layer_painter: QPainter) -> None:
            self._paint_scale(layer_painter, plot, words)

        def references_layer(layer_painter: QPainter) -> None:
            self._paint_references(layer_painter, plot, words)

        def still_layer(layer_painter: QPainter) -> None:
            scale_layer(layer_painter)
            layer_painter.save()
            layer_painter.setClipRect(plot)
            references_layer(layer_painter)
            layer_painter.restore()

        bands = self.bands()
        painter.save()
        if cached and not bands:
            # No band between the scale and the reference lines: one picture of both.
            painter.drawPixmap(0, 0, kept(self._still, still_layer))
            painter.setClipRect(plot)
        else:
            if cached:
                painter.drawPixmap(0, 0, kept(self._under, scale_layer))
            else:
                scale_layer(painter)
            painter.setClipRect(plot)
            layout = self._band_layout(bands, plot, left, scale, looks)
            for band, (fill, _edge, _ink), _label in layout:
                # A band tints the scale under it: copied from the scale kept tinted all over, as
                # filling it see-through costs a blend per pixel (~0.1 ms a band). All the bands
                # first, then their edges and words: a band's words may reach into the next band.
                if whole_pixels:
                    tinted = kept(self._tinted.setdefault(fill.rgba(), Layer()), scale_layer, fill)
                    painter.drawPixmap(band, tinted, QRect(band.topLeft() * dpr, band.size() * dpr))
                else:
                    painter.fillRect(band, fill)
            for band, (_fill, edge, ink), label in layout:
                painter.setPen(edge)
                painter.drawLine(band.topLeft(), band.bottomLeft())
                if label is not None:
                    where = label[0].toRect().adjusted(2, 2, -2, 0)  # whole pixels: the band is
                    if dpr == int(dpr):
                        painter.drawPixmap(where.topLeft(), looks.words(label[1], ink, where.size(), dpr))
                    else:  # a picture of the words would be resampled: drawn as words
                        painter.setFont(looks.bold)
                        painter.setPen(ink)
                        painter.drawText(where, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, label[1])
                        painter.setFont(font)
            if cached:
                painter.drawPixmap(0, 0, kept(self._over, references_layer))
            else:
                references_layer(painter)

        line = self._line
        line.follow(self._peaks, scale, now_column - plot.width())
        if whole_pixels:
            line.paint_kept(painter, plot, left, looks.line_pen, dpr)
        else:
            line.paint(painter, plot, left, looks.line_pen, line.columns)
        tail = line.tail(self._peaks)
        line.paint(painter, plot, left, looks.line_pen, tail, joined=True)
        if on_screen:
            self._painted_looks = self._looks_at(now)
        dots = [(column, late) for column, late in (*line.frozen, *tail) if is_frozen(late)]
        if dots:
            painter.setPen(looks.dot_pen)
            painter.setBrush(looks.frozen)
            for column, late in dots:
                painter.drawEllipse(QPointF(left + column, plot.bottom() - height_fraction(late) * plot.height()), 3, 3)
        if self._freezing_from is not None:
            painter.setPen(looks.frozen if looks.dark else FROZEN_EDGE.darker(130))
            painter.setFont(looks.bold)
            painter.drawText(
                plot.adjusted(4, 4, -4, -4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _("freezing now") + " →"
            )
        painter.restore()

    def _looks_for(self, palette: QPalette, painter: QPainter) -> _Looks:
        """The colours and sizes a paint uses, worked out again only when the palette or the font changes."""
        key = (palette.cacheKey(), painter.font().key())
        if self._looks is None or self._looks.key != key:
            self._looks = _Looks(key, palette, painter)
        return self._looks

    @staticmethod
    def _grid_colour(palette: QPalette) -> QColor:
        grid = QColor(palette.mid().color())
        grid.setAlpha(80)
        return grid

    def _paint_scale(self, painter: QPainter, plot: QRectF, words: tuple[str, ...]) -> None:
        """What never moves under the line: the background, the scale's lines and words, the time's words."""
        palette = self.palette()
        metrics = painter.fontMetrics()
        painter.fillRect(self.rect(), palette.base())
        text = palette.text().color()
        # Drawn on the plain background, a see-through grid is this opaque colour: a plain pen is cheaper.
        painter.setPen(QPen(flattened(self._grid_colour(palette), palette.base().color()), 1))
        for value, _label in _LABELS:
            y = plot.bottom() - height_fraction(value) * plot.height()
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setPen(text)
        for value, label in _LABELS:
            y = plot.bottom() - height_fraction(value) * plot.height()
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, plot.left() - 6, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        below = QRectF(plot.left(), plot.bottom() + 2, plot.width(), metrics.height())
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, words[0])
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, words[1])
        # The plot's frame: under the bands and the line now (it was drawn over them), which
        # differs only where they touch its left and top edge, and saves a see-through
        # rectangle at every frame (0.2-0.4 ms).
        painter.setPen(QPen(self._grid_colour(palette), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(plot)

    def _paint_references(self, painter: QPainter, plot: QRectF, words: tuple[str, ...]) -> None:
        """The dashed lines at one frame and at the freeze line, with their words (over the bands)."""
        palette = self.palette()
        metrics = painter.fontMetrics()
        dark = look.is_dark(palette)
        for (value, _label, ink), label in zip(_REFERENCES, words[2:]):
            y = plot.bottom() - height_fraction(value) * plot.height()
            colour = ink.on(palette)
            painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(colour if dark else colour.darker(140))
            # The two lines are close: the upper label sits above its line, the lower one below.
            top = y - metrics.height() - 1 if value >= FROZEN else y + 1
            painter.drawText(QRectF(plot.left() + 4, top, plot.width(), metrics.height()), Qt.AlignmentFlag.AlignLeft, label)

    def _band_layout(
        self, bands: list[tuple[float, float, str]], plot: QRectF, left: float, scale: float, looks: _Looks
    ) -> list[tuple[QRect, tuple[QColor, QPen, QColor], tuple[QRectF, str] | None]]:
        """Each stall's band (the pixels it covers), its colours (fill, edge, words), and where
        its length is written (in the band, or just left of it; None where there is no room)."""
        labelled: list[QRectF] = []
        layout = []
        for start, end, label in sorted(bands, key=lambda s: s[0] - s[1]):  # longest first: it keeps its label when they crowd
            starting = label == STARTING
            if starting:
                label = _(STARTING)
            # The pixels whose centres the stall covers, as filling its exact rectangle would paint.
            x0, x1 = math.floor(left + start * scale + 0.5), math.floor(left + end * scale + 0.5)
            band = QRect(x0, round(plot.top()), x1 - x0, round(plot.height()))
            room = looks.bold_width(label) + 8
            where = QRectF(band) if band.width() >= room else QRectF(band.left() - room, plot.top(), room, plot.height())
            where.setHeight(looks.bold_height + 4)
            # Never cut by the plot's edges: pushed inside, or left out on a plot too narrow for it.
            where.moveLeft(min(max(where.left(), plot.left()), plot.right() - where.width()))
            shown = where.width() <= plot.width() and not any(where.intersects(other) for other in labelled)
            if shown:
                labelled.append(where)
            layout.append((band, looks.bands[starting], (where, label) if shown else None))
        return layout


class _Looks:
    """What painting the graph takes from its palette and font, worked out once for each pair."""

    def __init__(self, key: tuple[int, str], palette: QPalette, painter: QPainter) -> None:
        self.key = key
        self.dark = look.is_dark(palette)
        self.line, self.frozen = look.ALIVE.on(palette), look.FROZEN.on(palette)
        self.line_pen, self.dot_pen = QPen(self.line, 2), QPen(self.frozen, 2)
        self.bands: dict[bool, tuple[QColor, QPen, QColor]] = {}
        """Starting (True) or frozen: a band's fill, edge and words."""
        for starting, fill, ink in ((True, STARTING_FILL, look.STARTING), (False, FROZEN_FILL, look.FROZEN)):
            edge = ink.on(palette)
            self.bands[starting] = (fill, QPen(edge, 1), edge if self.dark else edge.darker(130))
        metrics = painter.fontMetrics()
        self.margin = metrics.horizontalAdvance("100 ms") + 10
        """Room left of the plot for the scale's words."""
        self.line_height = metrics.height()
        self.bold = QFont(painter.font())
        self.bold.setBold(True)
        self._bold_metrics = QFontMetrics(self.bold, painter.device())
        self.bold_height = self._bold_metrics.height()
        self._widths: dict[str, int] = {}
        self._sprites: dict[tuple[object, ...], QPixmap] = {}

    def bold_width(self, text: str) -> int:
        """How wide ``text`` is in bold (a band's words: measured once each)."""
        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = self._bold_metrics.horizontalAdvance(text)
        return width

    def words(self, text: str, ink: QColor, size: QSize, dpr: float) -> QPixmap:
        """A band's words in bold, right-aligned in a see-through picture of ``size``: laid out and
        drawn once, then copied wherever the band has moved (drawing them costs ~40 us a frame)."""
        key = (text, ink.rgba(), size.toTuple(), dpr)
        sprite = self._sprites.get(key)
        if sprite is None:
            if len(self._sprites) > 64:  # the lengths of freezes long gone
                self._sprites.clear()
            sprite = self._sprites[key] = Layer(transparent=True).fresh(size, dpr)
            painter = QPainter(sprite)
            try:
                painter.setFont(self.bold)
                painter.setPen(ink)
                painter.drawText(QRect(QPoint(0, 0), size), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, text)
            finally:
                painter.end()
        return sprite


class _Line:
    """The lag graph's line: the worst tick in each pixel column, as (column, lateness), where a
    column is ``floor(time * scale)`` on the graph's own clock, so a column's point never moves
    relative to the others. A column is *settled* once no tick can land in it any more (only the
    newest slice's peak can still change); settled columns are drawn once into a strip twice as
    wide as the plot, which the graph then shows shifted to "now", and only the newest column is
    drawn at every frame. The strip starts over when "now" reaches its end: every 30 s."""

    def __init__(self) -> None:
        self.scale = 0.0
        self.columns: deque[list[float]] = deque()
        """Settled columns as [column, lateness], oldest first (one left of the plot is kept: the
        line comes in from the edge)."""
        self.frozen: deque[list[float]] = deque()
        """The settled columns whose worst tick was a freeze: each gets a dot."""
        self._binned_until = -math.inf  # the time of the newest peak in the settled columns
        self._strip = Layer(transparent=True)
        self._strip_start = 0  # the column at the strip's left edge
        self._drawn_to = -math.inf  # the newest column drawn into the strip

    def follow(self, peaks: deque[list[float]], scale: float, oldest_column: float) -> None:
        """Settles the columns the peaks fill up to the newest peak's, at ``scale`` pixels a
        second, and forgets those left of ``oldest_column`` (the plot's left edge) but one."""
        if scale != self.scale:
            self.scale = scale
            self.columns.clear()
            self.frozen.clear()
            self._binned_until = -math.inf
            self._strip.clear()
        if not peaks:
            return
        newest = math.floor(peaks[-1][1] * scale)
        fresh = []
        for peak in reversed(peaks):
            if peak[1] <= self._binned_until:
                break
            fresh.append(peak)
        columns, settled = self.columns, len(self.columns)
        for _bucket, when, lateness in reversed(fresh):
            column = math.floor(when * scale)
            if column >= newest:
                break  # the newest peak may still move into a later column: this one is not done
            if columns and columns[-1][0] == column:
                columns[-1][1] = max(columns[-1][1], lateness)
            else:
                columns.append([column, lateness])
            self._binned_until = when
        for index in range(max(0, settled - 1), len(columns)):
            column = columns[index]
            if is_frozen(column[1]) and not (self.frozen and self.frozen[-1][0] >= column[0]):
                self.frozen.append(column)
        while len(columns) > 1 and columns[1][0] < oldest_column:
            columns.popleft()
        while self.frozen and self.frozen[0][0] < oldest_column - 4:  # a dot's radius and pen
            self.frozen.popleft()

    def tail(self, peaks: deque[list[float]]) -> list[list[float]]:
        """The columns not settled yet (the newest peak's, and the slices before it in the same
        column), each with its worst tick."""
        scale, until, tail = self.scale, self._binned_until, []
        for peak in reversed(peaks):
            if peak[1] <= until:
                break
            column = math.floor(peak[1] * scale)
            if tail and tail[-1][0] == column:
                tail[-1][1] = max(tail[-1][1], peak[2])
            else:
                tail.append([column, peak[2]])
        tail.reverse()
        return tail

    def paint(
        self, painter: QPainter, plot: QRectF, left: float, pen: QPen, points: Sequence[Sequence[float]], *, joined: bool = False
    ) -> None:
        """Draws the line through ``points`` (``joined``: from the newest settled column on), in
        the plot whose time 0 is at x ``left``: a segment between each two points, with a 2 px pen."""
        if joined and self.columns:
            points = [self.columns[-1], *points]
        if len(points) < 2:
            return
        painter.setPen(pen)
        painter.drawLines(_segments(points, left, plot.top(), plot.height()))

    def paint_kept(self, painter: QPainter, plot: QRectF, left: float, pen: QPen, dpr: float) -> None:
        """Draws the settled columns from the strip, first drawing into it those it lacks."""
        width = math.ceil(plot.width())
        key = (width, plot.height(), dpr, pen.color().rgba(), self.scale)
        newest = self.columns[-1][0] if self.columns else None
        strip = self._strip
        if not strip.valid(key) or (newest is not None and newest > self._strip_start + 2 * width + 4):
            # A new strip from the plot's left edge, with room for one more plot width of line.
            strip.clear()
            self._strip_start = (newest if newest is not None else 0) - width - 2
            self._drawn_to = -math.inf
        pixmap = strip.get(key, QSize(2 * width + 8, math.ceil(plot.height())), dpr, lambda _p: None)
        if newest is not None and newest > self._drawn_to:
            columns = self.columns
            first = len(columns) - 1
            while first > 0 and columns[first - 1][0] >= self._drawn_to:
                first -= 1  # from the newest point drawn (or the first), the segments not drawn yet
            strip_painter = QPainter(pixmap)
            try:
                strip_painter.setPen(pen)
                strip_painter.drawLines(_segments([columns[i] for i in range(first, len(columns))], -self._strip_start, 0.0, plot.height()))
            finally:
                strip_painter.end()
            self._drawn_to = newest
        painter.drawPixmap(QPointF(left + self._strip_start, plot.top()), pixmap)


def _segments(points: Sequence[Sequence[float]], left: float, top: float, height: float) -> list[QLineF]:
    """A line between each two neighbouring (column, lateness) points."""
    ends = [QPointF(left + column, top + height - height_fraction(lateness) * height) for column, lateness in points]
    return [QLineF(a, b) for a, b in itertools.pairwise(ends)]
