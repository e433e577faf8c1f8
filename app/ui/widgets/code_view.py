"""The code editor: a lesson's code (or your own), editable, with Python's colours and line numbers.

What it shows is what Run runs (``app.core.lessons``, or the edit). It types like a small code
editor: Enter keeps the line's indentation (four more after a colon, four less after ``return``,
``pass``, ``break``, ``continue`` and ``raise``), Tab indents by four spaces and Shift+Tab
dedents (the selected lines, or the line), Backspace in an indentation goes back four.

Tab is no keyboard trap: reached with Tab (or after Esc), Tab and Shift+Tab move on to the next
control, as everywhere else; once you click or type in it, Tab indents. Ctrl+Tab always moves on.

The gutter on the left numbers the lines. After a freeze it marks the line that froze the window
(:meth:`CodeView.mark_line`: a pause sign and the time spent there, the line shaded); after an
error, the line that failed (:meth:`CodeView.mark_error`: its number in red, the line shaded red,
the column underlined for a syntax error). Editing the code takes both marks away: they belong
to the code that ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontDatabase,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QAbstractScrollArea, QPlainTextEdit, QTextEdit, QWidget

from app.core.source_text import INDENT, indent_after
from app.i18n import _
from app.ui import look, plain_text

if TYPE_CHECKING:
    from app.ui.widgets.highlighter import PythonHighlighter

MARK_FILL = QColor(230, 57, 70, 45)
"""The frozen line's shade: the timeline's freeze colour, lighter."""
MARK_INK = QColor("#a4161a")
ERROR_FILL = QColor(209, 73, 91, 60)
ERROR_INK = QColor("#c1121f")
CURRENT_LINE = QColor(128, 128, 128, 28)
"""The line being edited: a hint of grey, on light and dark alike."""
GUTTER_PAD = 6


class CodeView(QPlainTextEdit):
    """The code Run runs, editable. ``code_edited`` tells when a person changed it."""

    code_edited = Signal()  # the text changed by typing, pasting, undoing (not by show_code)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Everything a font change (below) or a paint reads is in place first.
        self.marked_line: int | None = None
        """The line marked as where the window froze (1-based), or None."""
        self.marked_text = ""
        """What the mark says beside the pause sign, e.g. "2.00 s"."""
        self.error_line: int | None = None
        """The line marked as where the code failed (1-based), or None."""
        self.error_column: int | None = None
        self._shown = ""  # the text as last shown or edited: tells a real edit from a re-colouring
        self._tab_moves_focus = False
        self._gutter = _Gutter(self)
        self.setObjectName("codeView")
        self.setAccessibleName(_("The code: exactly what Run runs; edit it and press Run"))
        # A long line wraps rather than hide behind a scroll bar (a narrow column, a projector's font).
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Only the family is set: the size still follows the window (presentation mode scales it).
        monospace = QFont()
        monospace.setFamilies([QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()])
        monospace.setStyleHint(QFont.StyleHint.TypeWriter)
        self.setFont(monospace)
        self._highlighter: PythonHighlighter | None = None  # made when the code is first shown
        self.updateRequest.connect(self._on_update_request)
        self.blockCountChanged.connect(lambda _count: self._fit_gutter())
        self.textChanged.connect(self._on_text_changed)
        self.cursorPositionChanged.connect(self._update_selections)
        self._fit_gutter()

    @property
    def highlighter(self) -> PythonHighlighter:
        """The code's colours (:mod:`app.ui.widgets.highlighter`), made the first time the view is
        shown (or this is read), not with the view: the window's first paint seldom shows the
        code (the URL list is the first tab), and it need not wait for Pygments (its module and
        rules, ~45 ms here; app.ui.startup builds the rules after the first paint). The whole text
        is coloured at once when it is made, before the view paints: code is never seen uncoloured."""
        if self._highlighter is None:
            from app.ui.widgets.highlighter import PythonHighlighter

            self._highlighter = PythonHighlighter(self.document(), self)
            self._highlighter.rehighlight()  # now, not in a call Qt queues: before anything can paint
        return self._highlighter

    # --- what the panels set ---

    def show_code(self, source: str) -> None:
        """Shows ``source`` as a new text (its own undo history); marks go with the old text."""
        if source != self.toPlainText():
            self.clear_marks()
            self._shown = source
            self.setPlainText(source)

    def replace_code(self, source: str) -> None:
        """Replaces the text as one edit that Ctrl+Z undoes (Reset), and says so (``code_edited``)."""
        if source == self.toPlainText():
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(source)
        cursor.endEditBlock()
        cursor.movePosition(QTextCursor.MoveOperation.Start)
        self.setTextCursor(cursor)

    def mark_line(self, line: int, text: str) -> None:
        """Marks ``line`` (1-based) as where the window froze, with ``text`` (the time) beside it."""
        block = self.document().findBlockByNumber(line - 1)
        if not block.isValid():
            self.marked_line, self.marked_text = None, ""
        else:
            self.marked_line, self.marked_text = line, text
            self._show_block(block.position())
        self._on_marks_changed()

    def mark_error(self, line: int | None, column: int | None = None) -> None:
        """Marks ``line`` (1-based; past the end: the last line) as where the code failed, and puts
        the cursor there (at ``column``, 1-based, if given); None clears the mark."""
        if line is None:
            self.error_line = self.error_column = None
        else:
            block = self.document().findBlockByNumber(min(max(line, 1), self.blockCount()) - 1)
            self.error_line, self.error_column = block.blockNumber() + 1, column
            offset = min(max((column or 1) - 1, 0), max(len(block.text()) - 1, 0)) if column else 0
            self._show_block(block.position() + offset)
        self._on_marks_changed()

    def clear_marks(self) -> None:
        """No freeze mark and no error mark."""
        if self.marked_line is None and self.error_line is None:
            return
        self.marked_line, self.marked_text = None, ""
        self.error_line = self.error_column = None
        self._on_marks_changed()

    def clear_mark(self) -> None:
        """No freeze mark (a new run begins); an error mark stays until the code changes."""
        if self.marked_line is not None:
            self.marked_line, self.marked_text = None, ""
            self._on_marks_changed()

    # --- the gutter ---

    def gutter_width(self) -> int:
        """Room for the line numbers, and for the pause sign and the time when a line is marked."""
        metrics = self.fontMetrics()
        width = self._numbers_width() + GUTTER_PAD
        if self.marked_line is not None:  # as paint_pause draws it: the sign, a gap, the time
            width += 3 * _pause_bar(metrics.height()) + 4 + metrics.horizontalAdvance(self.marked_text) + GUTTER_PAD
        return width

    def _numbers_width(self) -> int:
        """The line numbers' column, right-aligned, with a pad on the left."""
        return self.fontMetrics().horizontalAdvance("9" * max(2, len(str(self.blockCount())))) + GUTTER_PAD

    def paint_gutter(self, painter: QPainter, area: QRect) -> None:
        """Line numbers, and the marks, for the lines in ``area`` (called by the gutter's paintEvent)."""
        painter.setFont(self.font())
        metrics = self.fontMetrics()
        numbers_width = self._numbers_width()
        faint = self.palette().placeholderText().color()
        current = self.textCursor().blockNumber()
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        while block.isValid() and top <= area.bottom():
            height = self.blockBoundingRect(block).height()
            line = block.blockNumber() + 1
            if block.isVisible() and top + height >= area.top():
                row = QRectF(0, top, self._gutter.width(), metrics.height())
                if line == self.error_line:
                    painter.fillRect(row, ERROR_FILL)
                elif line == self.marked_line:
                    painter.fillRect(row, MARK_FILL)
                bold = line == self.error_line or line == current + 1
                font = painter.font()
                font.setBold(bold)
                painter.setFont(font)
                painter.setPen(look.FAILED.on(self.palette()) if line == self.error_line else (self.palette().text().color() if bold else faint))
                number_box = QRectF(0, top, numbers_width, metrics.height())
                painter.drawText(number_box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(line))
                if line == self.marked_line:
                    paint_pause(painter, row, numbers_width + GUTTER_PAD, self.marked_text, look.FROZEN_TEXT.on(self.palette()))
            top += height
            block = block.next()

    # --- typing ---

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key, modifiers = event.key(), event.modifiers()
        if self.isReadOnly():
            super().keyPressEvent(event)
            return
        if key == Qt.Key.Key_Escape:
            self._tab_moves_focus = True  # the way out for the keyboard: Esc, then Tab
            return
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and modifiers & Qt.KeyboardModifier.ControlModifier:
            QAbstractScrollArea.focusNextPrevChild(self, key == Qt.Key.Key_Tab and not modifiers & Qt.KeyboardModifier.ShiftModifier)
            return
        self._tab_moves_focus = False
        cursor = self.textCursor()
        if key == Qt.Key.Key_Tab and not modifiers & Qt.KeyboardModifier.ShiftModifier:
            indent(cursor)
        elif key == Qt.Key.Key_Backtab or (key == Qt.Key.Key_Tab and modifiers & Qt.KeyboardModifier.ShiftModifier):
            dedent(cursor)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not modifiers & Qt.KeyboardModifier.ControlModifier:
            new_line(cursor)
        elif not (key == Qt.Key.Key_Backspace and not modifiers and back_to_indent(cursor)):
            super().keyPressEvent(event)
            return
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt's names
        if self._tab_moves_focus or self.isReadOnly():
            return QAbstractScrollArea.focusNextPrevChild(self, next)
        return False  # Tab indents

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        if event.reason() in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason):
            self._tab_moves_focus = True  # passing through with Tab: Tab goes on
        elif event.reason() in (Qt.FocusReason.MouseFocusReason, Qt.FocusReason.OtherFocusReason, Qt.FocusReason.ShortcutFocusReason):
            self._tab_moves_focus = False
        super().focusInEvent(event)
        self._update_selections()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self._update_selections()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._tab_moves_focus = False
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            _ = self.highlighter  # coloured before its first paint
        # Esc belongs to the window (Cancel the run) unless there is code being typed here.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape and not self.isReadOnly() and not self._tab_moves_focus:
                event.accept()
                return True
        return super().event(event)

    # --- keeping things in step ---

    def _on_text_changed(self) -> None:
        text = self.toPlainText()
        if text == self._shown:
            return  # re-coloured, or shown by show_code
        self._shown = text
        self.clear_marks()  # they belong to the code that ran
        self.code_edited.emit()

    def _on_marks_changed(self) -> None:
        tips = []
        if self.error_line is not None:
            tips.append(_("Line {line}: your code failed here").format(line=self.error_line))
        if self.marked_line is not None:
            tips.append(_("The window froze on line {line} for {time}").format(line=self.marked_line, time=self.marked_text))
        self._gutter.setToolTip(plain_text.tooltip("\n".join(tips)))
        self._fit_gutter()
        self._update_selections()

    def _show_block(self, position: int) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def _update_selections(self) -> None:
        shades = []
        if self.hasFocus() and not self.isReadOnly():
            shades.append(line_shade(self.document(), self.textCursor().blockNumber() + 1, CURRENT_LINE))
        if self.marked_line is not None:
            shades.append(line_shade(self.document(), self.marked_line, MARK_FILL))
        if self.error_line is not None:
            shades.append(line_shade(self.document(), self.error_line, ERROR_FILL))
            if self.error_column:
                shades.append(column_underline(self.document(), self.error_line, self.error_column))
        self.setExtraSelections([shade for shade in shades if shade is not None])
        self._gutter.update()  # the current line's number is drawn stronger

    def _fit_gutter(self) -> None:
        width = self.gutter_width()
        self.setViewportMargins(width, 0, 0, 0)
        inside = self.contentsRect()
        self._gutter.setGeometry(QRect(inside.left(), inside.top(), width, inside.height()))
        self._gutter.update()

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_gutter()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_gutter()  # presentation mode: bigger numbers need a wider gutter


class _Gutter(QWidget):
    """The strip left of the code: line numbers, and the marks of :class:`CodeView`."""

    def __init__(self, view: CodeView) -> None:
        super().__init__(view)
        self.setObjectName("codeGutter")
        self._view = view

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self._view.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            painter.fillRect(event.rect(), self.palette().window())
            self._view.paint_gutter(painter, event.rect())
        finally:
            painter.end()


# --- typing: what Tab, Shift+Tab, Enter and Backspace do to the text at a cursor ---------------


def indent(cursor: QTextCursor) -> None:
    """Tab: spaces to the next multiple of four, or four more on every selected line."""
    if not _spans_lines(cursor):  # as typing the spaces would
        cursor.insertText(" " * (len(INDENT) - cursor.positionInBlock() % len(INDENT)))
        return
    _each_selected_line(cursor, lambda line: line.insertText(INDENT))


def dedent(cursor: QTextCursor) -> None:
    """Shift+Tab: up to four spaces less at the start of the line, or of every selected line."""

    def dedent_line(line: QTextCursor) -> None:
        text = line.block().text()
        spaces = len(text) - len(text.lstrip(" "))
        line.movePosition(QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor, min(spaces, len(INDENT)))
        line.removeSelectedText()

    _each_selected_line(cursor, dedent_line)


def new_line(cursor: QTextCursor) -> None:
    """Enter: a new line indented as :func:`app.core.source_text.indent_after` says."""
    before = cursor.block().text()[: cursor.positionInBlock()]
    cursor.beginEditBlock()
    cursor.removeSelectedText()
    cursor.insertText("\n" + indent_after(before))
    cursor.endEditBlock()


def back_to_indent(cursor: QTextCursor) -> bool:
    """Backspace in an indentation of spaces: back to the previous multiple of four (True);
    False (and nothing done) anywhere else."""
    before = cursor.block().text()[: cursor.positionInBlock()]
    if cursor.hasSelection() or not before or before.strip(" "):
        return False
    cursor.movePosition(QTextCursor.MoveOperation.PreviousCharacter, QTextCursor.MoveMode.KeepAnchor, (len(before) - 1) % len(INDENT) + 1)
    cursor.removeSelectedText()
    return True


def _spans_lines(cursor: QTextCursor) -> bool:
    doc = cursor.document()
    return cursor.hasSelection() and doc.findBlock(cursor.selectionStart()) != doc.findBlock(cursor.selectionEnd())


def _each_selected_line(cursor: QTextCursor, change: Callable[[QTextCursor], None]) -> None:
    """Calls ``change`` with a cursor at the start of each line the selection touches (the
    cursor's line without one), as one undo step."""
    doc = cursor.document()
    first = doc.findBlock(cursor.selectionStart())
    last = doc.findBlock(cursor.selectionEnd())
    if cursor.hasSelection() and last != first and cursor.selectionEnd() == last.position():
        last = last.previous()  # a selection ending at a line's start leaves that line alone
    cursor.beginEditBlock()
    block = first
    while block.isValid():
        change(QTextCursor(block))
        if block == last:
            break
        block = block.next()
    cursor.endEditBlock()


# --- drawing --------------------------------------------------------------------------------


def paint_pause(painter: QPainter, row: QRectF, left: float, text: str, ink: QColor = MARK_INK) -> None:
    """The freeze mark in the gutter: a pause sign (drawn, not typed: many fonts have no U+23F8)
    and ``text``, the time spent on the line, in ``ink``."""
    line_height = row.height()
    bar = _pause_bar(line_height)
    sign_top, sign_height = row.top() + line_height * 0.2, line_height * 0.6
    painter.fillRect(QRectF(left, sign_top, bar, sign_height), ink)
    painter.fillRect(QRectF(left + 2 * bar, sign_top, bar, sign_height), ink)
    font = painter.font()
    font.setBold(False)
    painter.setFont(font)
    painter.setPen(ink)
    painter.drawText(row.adjusted(left + 3 * bar + 4, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)


def _pause_bar(line_height: float) -> float:
    """The width of one bar of the pause sign."""
    return max(2.0, line_height / 6)


def line_shade(doc: QTextDocument, line: int, colour: QColor) -> QTextEdit.ExtraSelection | None:
    """Line ``line`` (1-based) shaded across the whole width; None past the end."""
    block = doc.findBlockByNumber(line - 1)
    if not block.isValid():
        return None
    shade = QTextEdit.ExtraSelection()
    shade.format.setBackground(colour)
    shade.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
    shade.cursor = QTextCursor(block)
    return shade


def column_underline(doc: QTextDocument, line: int, column: int) -> QTextEdit.ExtraSelection | None:
    """A red wave under the character at ``line``, ``column`` (1-based; past the end: the last one)."""
    block = doc.findBlockByNumber(line - 1)
    if not block.isValid() or not block.text():
        return None
    underline = QTextEdit.ExtraSelection()
    underline.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
    underline.format.setUnderlineColor(ERROR_INK)
    cursor = QTextCursor(block)
    cursor.movePosition(QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.MoveAnchor, min(column, len(block.text())) - 1)
    cursor.movePosition(QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor)
    underline.cursor = cursor
    return underline
