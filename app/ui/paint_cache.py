"""Pictures painted once and drawn many times: what keeps the live widgets cheap to repaint.

During a run the timeline and the lag graph repaint up to 30 times a second, but most of what
they show (a grid, labels, bars that have finished) does not change from one frame to the next.
A :class:`Layer` keeps such a part as a pixmap at the screen's pixel density, repainted only
when what it shows changes (its *key*: the size, the palette, the font, the words...), so a frame
is a copy of the pixmap and the few things that moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap


class Layer:
    """One cached picture of ``size`` logical pixels; ``transparent`` for one drawn over others.
    An opaque one's ``paint`` must paint all of it: a picture of the same size is painted over."""

    def __init__(self, *, transparent: bool = False) -> None:
        self.transparent = transparent
        self.pixmap: QPixmap | None = None
        self.key: Hashable = None

    def clear(self) -> None:
        """Forgets the picture: the next :meth:`get` paints it again."""
        self.pixmap, self.key = None, None

    def valid(self, key: Hashable) -> bool:
        return self.pixmap is not None and self.key == key

    def get(self, key: Hashable, size: QSize, dpr: float, paint: Callable[[QPainter], None]) -> QPixmap:
        """The picture for ``key``: the one kept, or a new one ``paint`` paints (in logical pixels)."""
        if not self.valid(key):
            old = self.pixmap
            if old is not None and old.devicePixelRatio() == dpr and old.size() == self.fresh_size(size, dpr):
                # The same size: painted over (a resize-free frame need not allocate megabytes).
                if self.transparent:
                    old.fill(Qt.GlobalColor.transparent)
                self.key = key
            else:
                self.pixmap, self.key = self.fresh(size, dpr), key
            painter = QPainter(self.pixmap)
            try:
                paint(painter)
            finally:
                painter.end()
        assert self.pixmap is not None
        return self.pixmap

    @staticmethod
    def fresh_size(size: QSize, dpr: float) -> QSize:
        """The pixels of a picture of ``size`` logical pixels at ``dpr``, rounded as Qt rounds a
        widget's (at 125 %, 698 px are 872 pixels and a half: 873, which filling the area paints;
        Python's round() would give 872 and leave the last column unpainted)."""
        return QSize(max(1, math.floor(size.width() * dpr + 0.5)), max(1, math.floor(size.height() * dpr + 0.5)))

    def fresh(self, size: QSize, dpr: float) -> QPixmap:
        """An empty pixmap of ``size`` logical pixels at ``dpr`` (transparent, or to be painted over whole)."""
        pixmap = QPixmap(self.fresh_size(size, dpr))
        pixmap.setDevicePixelRatio(dpr)
        if self.transparent:
            pixmap.fill(Qt.GlobalColor.transparent)
        return pixmap


def flattened(over: QColor, under: QColor) -> QColor:
    """The opaque colour Qt paints where the see-through ``over`` is drawn on the opaque ``under``.

    A grid line drawn with a see-through pen costs the raster engine a blend per pixel, many times
    a plain one (measured: ~30 µs against ~4 µs for a 180 px line); drawn straight on a plain
    background, the same line in this colour looks the same, pixel for pixel: Qt mixes it here.
    """
    image = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(under)
    painter = QPainter(image)
    painter.fillRect(0, 0, 1, 1, over)
    painter.end()
    return image.pixelColor(0, 0)


def picture(size: QSize, dpr: float, font: QFont, paint: Callable[[QPainter], None]) -> QImage:
    """What ``paint`` paints (in ``font``), on a see-through image of ``size`` logical pixels at
    ``dpr``: a widget's picture, from its kept pictures or from scratch, at any pixel ratio (tests
    compare the two)."""
    image = QImage(size * dpr, QImage.Format.Format_ARGB32_Premultiplied)  # sized as Qt sizes a widget's pixels
    image.setDevicePixelRatio(dpr)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setFont(font)
        paint(painter)
    finally:
        painter.end()
    return image
