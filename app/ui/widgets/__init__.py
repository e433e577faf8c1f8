"""Display-only widgets, one per module: they render what they are given and never touch the network."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QTableView, QWidget


def repolish(widget: QWidget) -> None:
    """Re-applies the style sheet after a dynamic property used in it has changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def rows_follow_font(view: QTableView, padding: int) -> None:
    """Keeps ``view``'s rows one line of its font tall, plus ``padding`` pixels: now, and after
    every change of its font (zoom, presentation mode, a style sheet), which a row height set once
    would not follow (its words would be cut at the top and bottom)."""
    _RowsFollowFont(view, padding)


class _RowsFollowFont(QObject):
    _CHANGES = (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.Polish)

    def __init__(self, view: QTableView, padding: int) -> None:
        super().__init__(view)
        self._view, self._padding = view, padding
        view.installEventFilter(self)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._view and event.type() in self._CHANGES:
            self._fit()
        return False

    def _fit(self) -> None:
        height = self._view.fontMetrics().height() + self._padding
        if self._view.verticalHeader().defaultSectionSize() != height:
            self._view.verticalHeader().setDefaultSectionSize(height)
