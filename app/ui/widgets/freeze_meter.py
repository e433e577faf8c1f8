"""The live freeze meter: how late the heartbeat is right now, as a bar and a number.

Green while the window keeps up (under one frame), amber when it starts to stutter, red past
50 ms (a stall a person notices). A big value is held for a moment, so a freeze that just ended
stays readable instead of vanishing on the next tick. A screen reader hears the words under the
bar as the meter's description ("Window lateness: 4 ms, smooth"), kept up to date at most twice a
second (:class:`~app.ui.accessibility.LiveDescription`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from app.core.lag import FRAME, FROZEN, Liveness, is_frozen, is_smooth, liveness
from app.core.run import format_duration
from app.i18n import N_, _
from app.ui import look, paint_cache, plain_text
from app.ui.accessibility import LiveDescription
from app.ui.paint_cache import Layer

HOLD = 2.0
"""Seconds a peak stays on the meter."""
SCALE_MAX = 2.0
"""Lateness (s) that fills the bar; the scale is logarithmic so 5 ms and 2 s are both visible."""
_SCALE_MIN = 0.001

GREEN, AMBER, RED = QColor(look.ALIVE.light), QColor(look.STUTTER.light), QColor(look.FROZEN.light)
"""The bar's colours on a light background (:mod:`app.ui.look`'s inks: lighter ones on a dark one)."""


def colour_for(lateness: float, palette: QPalette | None = None) -> QColor:
    """The bar's colour for ``lateness``: on a light background, or for ``palette``."""
    ink = look.ALIVE if is_smooth(lateness) else look.FROZEN if is_frozen(lateness) else look.STUTTER
    return ink.on(palette) if palette is not None else QColor(ink.light)


def bar_fraction(lateness: float) -> float:
    """Where ``lateness`` sits on the bar, 0 to 1, on a log scale from 1 ms to SCALE_MAX."""
    if lateness <= _SCALE_MIN:
        return 0.0
    span = math.log(SCALE_MAX / _SCALE_MIN)
    return min(1.0, math.log(lateness / _SCALE_MIN) / span)


_MARKS = ((FRAME, N_("1 frame")), (FROZEN, "50 ms"), (1.0, "1 s"))
"""Drawn as ``_(caption)``."""


class _LatenessBar(QWidget):
    """The bar: an empty track, the lateness filled in over it, and the labelled marks over both.
    The track and the marks are kept pictures (app.ui.paint_cache): a frame draws the fill alone
    (measured: ~0.27 ms a frame painting all of it, redrawn 30 times a second during a run)."""

    BAR_HEIGHT = 26

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(self.BAR_HEIGHT + self.fontMetrics().height() + 4)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.value = 0.0
        self._track, self._marks = Layer(transparent=True), Layer(transparent=True)
        self._shown: tuple[float, int] | None = None  # the fill's width and colour painted last

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode: room for bigger captions
            self.setMinimumHeight(self.BAR_HEIGHT + self.fontMetrics().height() + 4)

    def show_value(self, value: float) -> None:
        """Shows ``value``: repainted only if the bar looks different (a lateness under 1 ms, as
        on an idle window, is the same empty bar at every tick)."""
        self.value = value
        if self._looks(value) != self._shown:
            self.update()

    def _whole(self) -> QRectF:
        return QRectF(1, 1, self.width() - 2, self.BAR_HEIGHT)

    def _looks(self, value: float) -> tuple[float, int]:
        # The fill's width in whole pixels: the same bar for values a fraction of a pixel apart.
        return max(6.0, round(self._whole().width() * bar_fraction(value))), colour_for(value, self.palette()).rgba()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            self._paint(painter, cached=True)
        finally:
            painter.end()

    def picture(self, *, kept: bool, dpr: float | None = None) -> QImage:
        """The bar painted onto a see-through image at ``dpr`` (default: its screen's), from its
        kept pictures or (``kept`` False) from scratch."""
        return paint_cache.picture(self.size(), dpr or self.devicePixelRatioF(), self.font(), lambda p: self._paint(p, cached=kept))

    def _paint(self, painter: QPainter, *, cached: bool) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        dpr = painter.device().devicePixelRatioF()
        key = (self.size().toTuple(), dpr, self.palette().cacheKey(), self.font().key(), *(_(english) for _mark, english in _MARKS))
        if cached:
            painter.drawPixmap(0, 0, self._track.get(key, self.size(), dpr, self._in_font(self._paint_track)))
        else:
            self._paint_track(painter)
        self._shown = width, rgba = self._looks(self.value)
        filled = self._whole()
        filled.setWidth(width)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor.fromRgba(rgba))
        painter.drawRoundedRect(filled, 6, 6)
        if cached:
            painter.drawPixmap(0, 0, self._marks.get(key, self.size(), dpr, self._in_font(self._paint_marks)))
        else:
            self._paint_marks(painter)

    def _in_font(self, paint: Callable[[QPainter], None]) -> Callable[[QPainter], None]:
        def painted(painter: QPainter) -> None:
            painter.setFont(self.font())  # a pixmap's painter starts in the application's font
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            paint(painter)

        return painted

    def _paint_track(self, painter: QPainter) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().alternateBase())
        painter.drawRoundedRect(self._whole(), 6, 6)

    def _paint_marks(self, painter: QPainter) -> None:
        """Labelled marks, so the colours have a visible reason: one frame, a noticeable stall, 1 s."""
        whole = self._whole()
        text_colour = self.palette().text().color()
        metrics = self.fontMetrics()
        free_from = 0.0  # a caption that would run into the previous one is left out
        for n, (mark, english) in enumerate(_MARKS):
            caption = _(english)
            x = whole.left() + whole.width() * bar_fraction(mark)
            painter.setPen(QPen(text_colour, 1, Qt.PenStyle.DashLine))
            painter.drawLine(int(x), int(whole.top()), int(x), int(whole.bottom()) + 3)
            width = metrics.horizontalAdvance(caption)
            # The first caption ends at its mark, the others start there: "1 frame" and "50 ms"
            # are close on a narrow meter.
            left = x - 3 - width if n == 0 else x + 3
            if left < free_from:
                continue
            painter.setPen(text_colour)
            painter.drawText(int(left), int(whole.bottom()) + metrics.ascent() + 2, caption)
            free_from = left + width + 8


class FreezeMeter(QWidget):
    """Shows the heartbeat's lateness live; feed it with :meth:`on_tick`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("freezeMeter")
        self.setAccessibleName(_("Freeze meter"))
        self._bar = _LatenessBar(self)
        self._bar.setObjectName("latenessBar")
        self._bar.setAccessibleName(_("Window lateness bar"))
        self._value_label = plain_text.wrapped_label(parent=self, name="latenessLabel")
        # A fixed name: otherwise the label's name is its text, and every change of it (30 a
        # second) is an event for the screen reader. Its words are the paced description instead.
        self._value_label.setAccessibleName(_("How late the window is right now"))
        self.description = LiveDescription(self, self._bar, self._value_label)
        # Recent stalls as (when, lateness), newest last: each stays on the meter for HOLD
        # seconds, so a smaller freeze right after a big one is not forgotten with it.
        self._recent: deque[tuple[float, float]] = deque()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._bar)
        layout.addWidget(self._value_label)
        layout.addStretch(1)  # the words stay right under the bar when the row is taller
        self.description.set_now(self._show(0.0))

    @property
    def value(self) -> float:
        """The lateness on display, in seconds (a recent peak while it is held)."""
        return self._bar.value

    def on_tick(self, now: float, lateness: float, *, draw: bool = True) -> None:
        """Takes one heartbeat tick; with ``draw`` False it is only remembered (a stall is held
        for HOLD seconds), and shown by the next tick that draws."""
        while self._recent and now - self._recent[0][0] > HOLD:
            self._recent.popleft()
        if not is_smooth(lateness):  # on-time ticks need no remembering
            self._recent.append((now, lateness))
        if draw:
            self.description.update(self._show(max([lateness, *(late for _, late in self._recent)])), now)

    def show_message(self, text: str) -> None:
        """Says ``text`` instead of a lateness: while starting, or just before a blocking run
        freezes the window (the last frame drawn then tells what is happening, not an old number)."""
        self._recent.clear()
        self._bar.show_value(0.0)
        self._value_label.setText(text)
        self.description.set_now(text)

    def _show(self, value: float) -> str:
        """Shows ``value`` and returns the words under the bar."""
        self._bar.show_value(value)
        word = liveness(value)
        text = _("Window lateness: {time}, {word}").format(time=format_duration(value), word=word.words) + (
            "!" if word is Liveness.FROZEN else ""
        )
        if text != self._value_label.text():
            self._value_label.setText(text)
        return text
