"""The code view: a lesson's source, read-only, with Python syntax colours.

What it shows is exactly what runs (``app.core.lessons``), so it only colours, never rewrites.
``await`` and ``async`` stand out, because they are what the lessons are about.
"""

from __future__ import annotations

import keyword
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QWidget


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
        comment = _comment_start(text)
        if comment is not None:
            self.setFormat(comment, len(text) - comment, self._comment)


def _comment_start(line: str) -> int | None:
    """Where a ``#`` comment starts, ignoring ``#`` inside a string."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return i
    return None


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

    def show_code(self, source: str) -> None:
        if source != self.toPlainText():
            self.setPlainText(source)
