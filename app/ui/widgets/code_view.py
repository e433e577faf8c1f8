"""The code view: a lesson's source, read-only, with Python syntax colours.

What it shows is exactly what runs (``app.core.lessons``), so it only colours, never rewrites.
``await`` and ``async`` stand out, because they are what the lessons are about.

After a freeze it can mark the line that froze the window (:meth:`CodeView.mark_line`): a gutter
opens on the left with a pause sign and the time spent there, and the line is shaded.
"""

from __future__ import annotations

import keyword
import re

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from app.core.source_text import comment_start
from app.ui import plain_text

MARK_FILL = QColor(230, 57, 70, 45)
"""The marked line's shade: the timeline's freeze colour, lighter."""
MARK_INK = QColor("#a4161a")


def _format(colour: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    style = QTextCharFormat()
    style.setForeground(QColor(colour))
    if bold:
        style.setFontWeight(QFont.Weight.Bold)
    style.setFontItalic(italic)
    return style


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, the async pair, strings, numbers and comments; colours readable on light and dark."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        others = sorted(set(keyword.kwlist) - {"async", "await"})
        self._rules = [
            (re.compile(r"\b(?:%s)\b" % "|".join(others)), _format("#7b61c4", bold=True)),
            (re.compile(r"\b(?:async|await)\b"), _format("#1f9e89", bold=True)),
            (re.compile(r"\b(?:time\.sleep|requests\.get|count_primes)\b"), _format("#d1495b", bold=True)),
            (re.compile(r"\b\d[\d_]*(?:\.\d+)?\b"), _format("#d9822b")),
            (re.compile(r"[rbf]?\"[^\"\n]*\"|[rbf]?'[^'\n]*'"), _format("#4c9a2a")),
        ]
        self._comment = _format("#8a8f98", italic=True)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        for pattern, style in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), style)
        comment = comment_start(text)
        if comment is not None:
            self.setFormat(comment, len(text) - comment, self._comment)


class CodeView(QPlainTextEdit):
    """Shows a lesson's code; read-only, but selectable and copyable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeView")
        self.setAccessibleName("The lesson's code: exactly what runs")
        self.setReadOnly(True)
        # A long line wraps rather than hide behind a scroll bar (a narrow column, a projector's font).
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        # Only the family is set: the size still follows the window (presentation mode scales it).
        monospace = QFont()
        monospace.setFamilies([QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()])
        monospace.setStyleHint(QFont.StyleHint.TypeWriter)
        self.setFont(monospace)
        self.highlighter = PythonHighlighter(self.document())
        self.marked_line: int | None = None
        """The line marked as where the window froze (1-based), or None."""
        self.marked_text = ""
        """What the mark says beside the pause sign, e.g. "2.00 s"."""
        self._gutter = _Gutter(self)
        self._gutter.hide()
        self.updateRequest.connect(self._on_update_request)

    def show_code(self, source: str) -> None:
        if source != self.toPlainText():
            self.clear_mark()  # a mark belongs to the code it was found in
            self.setPlainText(source)

    def mark_line(self, line: int, text: str) -> None:
        """Marks ``line`` (1-based) as where the window froze, with ``text`` (the time) beside it."""
        block = self.document().findBlockByNumber(line - 1)
        if not block.isValid():
            self.clear_mark()
            return
        self.marked_line, self.marked_text = line, text
        self._gutter.setToolTip(plain_text.tooltip(f"The window froze on line {line} for {text}"))
        self._gutter.show()
        self._fit_gutter()
        shade = QTextEdit.ExtraSelection()
        shade.format.setBackground(MARK_FILL)
        shade.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        shade.cursor = QTextCursor(block)
        self.setExtraSelections([shade])
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def clear_mark(self) -> None:
        if self.marked_line is None:
            return
        self.marked_line, self.marked_text = None, ""
        self.setExtraSelections([])
        self._gutter.hide()
        self._fit_gutter()

    def gutter_width(self) -> int:
        """0 without a mark; else room for the pause sign and the time."""
        if self.marked_line is None:
            return 0
        metrics = self.fontMetrics()
        return metrics.height() + metrics.horizontalAdvance(self.marked_text) + 10

    def _fit_gutter(self) -> None:
        width = self.gutter_width()
        self.setViewportMargins(width, 0, 0, 0)
        inside = self.contentsRect()
        self._gutter.setGeometry(QRect(inside.left(), inside.top(), width, inside.height()))
        self._gutter.update()

    def _on_update_request(self, _rect: QRect, dy: int) -> None:
        if self.marked_line is not None:
            if dy:
                self._gutter.scroll(0, dy)
            self._gutter.update()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_gutter()

    def paint_gutter(self, painter: QPainter) -> None:
        """The pause sign and the time, on the marked line (called by the gutter's paintEvent)."""
        if self.marked_line is None:
            return
        block = self.document().findBlockByNumber(self.marked_line - 1)
        if not block.isValid() or not block.isVisible():
            return
        box = self.blockBoundingGeometry(block).translated(self.contentOffset())
        line_height = self.fontMetrics().height()
        row = QRectF(0, box.top(), self._gutter.width(), line_height)
        painter.fillRect(row, MARK_FILL)
        # The pause sign is drawn, not typed: many fonts have no U+23F8.
        bar = max(2.0, line_height / 6)
        sign_top, sign_height = row.top() + line_height * 0.2, line_height * 0.6
        painter.fillRect(QRectF(4, sign_top, bar, sign_height), MARK_INK)
        painter.fillRect(QRectF(4 + 2 * bar, sign_top, bar, sign_height), MARK_INK)
        painter.setPen(MARK_INK)
        text_left = 4 + 3 * bar + 4
        painter.drawText(row.adjusted(text_left, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.marked_text)


class _Gutter(QWidget):
    """The strip left of the code where :meth:`CodeView.mark_line` draws."""

    def __init__(self, view: CodeView) -> None:
        super().__init__(view)
        self.setObjectName("codeGutter")
        self._view = view

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            painter.fillRect(event.rect(), self.palette().window())
            self._view.paint_gutter(painter)
        finally:
            painter.end()
