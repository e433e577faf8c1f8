"""Finds what a person would see cut off in a window: text wider or taller than its widget, tabs
whose titles are elided, widgets hanging outside the window, an area that scrolls only up and
down with contents wider than itself.

Used by ``test_fit.py`` at the classroom screen sizes; ``python -m tests.ui.fit`` is not a thing:
the test renders the PNGs it checks (see ``LOOPLAB_FIT_SHOTS`` there) so a person can look too.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QComboBox,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QTabBar,
    QToolButton,
    QWidget,
)

from app.ui import plain_text

SLACK = 1
"""Pixels of rounding allowed between a text's measured width and its widget's."""


def _inside_scroll_area(widget: QWidget, top: QWidget) -> bool:
    """True for a scroll area's contents: those may be larger than what shows, and scroll."""
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(widget):
            return True
        parent = parent.parentWidget()
    return False


def _visible_rect(widget: QWidget, top: QWidget) -> QRect:
    """``widget``'s rectangle in ``top``'s coordinates."""
    return QRect(widget.mapTo(top, widget.rect().topLeft()), widget.size())


_PIECE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef][\u3000-\u303f\uff0c\uff1a\uff1b\uff01\uff1f\u201d\u2019]*|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")
"""What a line cannot be broken inside: a word between spaces, or one Chinese character (with the
punctuation that may not start a line): Qt breaks lines between CJK characters, as Unicode says."""


def _unbreakable(text: str) -> list[str]:
    return _PIECE.findall(text)


def _label_problem(label: QLabel) -> str | None:
    text = label.text()
    if not text or label.pixmap() is not None and not label.pixmap().isNull():
        return None
    room = label.contentsRect()
    margin = 2 * label.margin() + (label.indent() if label.indent() > 0 else 0)
    if label.wordWrap():
        needed = plain_text.needed_height(label, label.width())  # heightForWidth never says less than the minimum
        if needed > label.height() + SLACK:
            return f"needs {needed} px of height, has {label.height()}"
        # A single word longer than the line cannot wrap and is cut instead.
        metrics = QFontMetrics(label.font())
        longest = max((metrics.horizontalAdvance(word) for word in _unbreakable(text)), default=0)
        if longest > room.width() - margin + SLACK:
            return f"a word needs {longest} px, the label is {room.width()} px wide"
        return None
    metrics = QFontMetrics(label.font())
    lines = text.split("\n")
    needed_width = max(metrics.horizontalAdvance(line) for line in lines)
    needed_height = metrics.height() * len(lines)
    if needed_width > room.width() - margin + SLACK:
        return f"needs {needed_width} px, has {room.width() - margin}"
    if needed_height > room.height() + SLACK:
        return f"needs {needed_height} px of height, has {room.height()}"
    return None


def _button_problem(button: QAbstractButton) -> str | None:
    if not button.text():
        return None
    hint = button.sizeHint() if isinstance(button, (QPushButton, QToolButton)) else button.minimumSizeHint()
    if hint.width() > button.width() + SLACK:
        return f"needs {hint.width()} px, has {button.width()}"
    if hint.height() > button.height() + SLACK:
        return f"needs {hint.height()} px of height, has {button.height()}"
    return None


def _combo_problem(combo: QComboBox) -> str | None:
    text = combo.currentText()
    if not text:
        return None
    metrics = QFontMetrics(combo.font())
    # The arrow and the frame take about two characters' width and a bit.
    needed = metrics.horizontalAdvance(text) + 2 * metrics.averageCharWidth() + 16
    if needed > combo.width() + SLACK:
        return f"{text!r} needs about {needed} px, has {combo.width()}"
    return None


def _sideways_problem(area: QScrollArea) -> str | None:
    """A scroll area that scrolls only up and down, with contents wider than it: their side is cut
    (and it slides sideways to show a control that gets the focus)."""
    if area.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff or area.widget() is None:
        return None
    if area.horizontalScrollBar().maximum() > SLACK:
        return f"its contents need {area.widget().width()} px, it shows {area.viewport().width()}: cut at the side"
    return None


def _tab_problems(bar: QTabBar) -> list[str]:
    problems = []
    metrics = QFontMetrics(bar.font())
    for index in range(bar.count()):
        rect = bar.tabRect(index)
        text = bar.tabText(index).replace("&", "")
        if metrics.horizontalAdvance(text) > rect.width() + SLACK:
            problems.append(f"tab {text!r} is elided ({rect.width()} px)")
        if not bar.rect().contains(rect):
            problems.append(f"tab {text!r} is outside its bar (scroll arrows)")
    return problems


def problems(window: QWidget) -> list[str]:
    """Every cut-off text and every widget outside ``window``, one line each (empty: it fits)."""
    found: list[str] = []
    whole = window.rect()
    for widget in window.findChildren(QWidget):
        if isinstance(widget, QMenu) or not widget.isVisibleTo(window) or widget.isWindow():
            continue
        if _inside_scroll_area(widget, window):
            continue
        name = widget.objectName() or type(widget).__name__
        rect = _visible_rect(widget, window)
        if rect.width() > 0 and rect.height() > 0 and not whole.contains(rect):
            found.append(f"{name}: outside the window ({rect.x()},{rect.y()} {rect.width()}x{rect.height()} in {whole.width()}x{whole.height()})")
            continue
        parent = widget.parentWidget()
        if parent is not None and parent is not window and not parent.rect().contains(widget.geometry()):
            found.append(f"{name}: outside its parent {parent.objectName() or type(parent).__name__}")
        problem: str | None = None
        if isinstance(widget, QLabel):
            problem = _label_problem(widget)
        elif isinstance(widget, QAbstractButton) and not isinstance(widget.parentWidget(), QTabBar):
            problem = _button_problem(widget)
        elif isinstance(widget, QComboBox):
            problem = _combo_problem(widget)
        elif isinstance(widget, QTabBar):
            found += [f"{name}: {p}" for p in _tab_problems(widget)]
        elif isinstance(widget, QScrollArea):
            problem = _sideways_problem(widget)
        if problem:
            text = widget.text() if isinstance(widget, (QLabel, QAbstractButton)) else ""
            found.append(f"{name} {text[:40]!r}: {problem}")
    return found


def with_scroll_bar(view: QAbstractScrollArea, orientation: Qt.Orientation) -> bool:
    bar = view.horizontalScrollBar() if orientation is Qt.Orientation.Horizontal else view.verticalScrollBar()
    return bar.isVisible() and bar.maximum() > 0
