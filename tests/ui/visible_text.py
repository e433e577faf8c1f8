"""Every text a person can see or hear in a window: labels, buttons, tabs, menus, tooltips, table
headers and cells, list items, placeholders, accessible names and descriptions, the title.

Used by ``test_languages.py`` to find English left in a translated window. Code is not text
here (the code view's comments are, and are read on their own); what a person typed is not
either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QTabWidget,
    QWidget,
)

_TAG = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    """Markup (a rich-text label, a tooltip) as the words it shows."""
    return _TAG.sub(" ", text).replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def _menu_texts(menu: QMenu) -> Iterator[str]:
    yield menu.title()
    for action in menu.actions():
        yield action.text()
        yield action.toolTip() if action.toolTip() != action.text().replace("&", "") else ""
        if action.menu() is not None:
            yield from _menu_texts(action.menu())


def _model_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    try:
        columns = model.columnCount()
    except TypeError:  # a list model (QListWidget's): one column, and Qt keeps its count private
        columns = 1
    for section in range(columns):
        yield str(model.headerData(section, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
    rows = min(model.rowCount(), 200)  # enough to see every kind of cell
    for row in range(rows):
        for column in range(columns):
            index: QModelIndex = model.index(row, column)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                if isinstance(value, str):
                    yield value


def texts(top: QWidget, *, skip: tuple[QWidget, ...] = ()) -> list[str]:
    """Every text of ``top`` and the widgets in it (shown or not: a hidden note shows later)."""
    found: list[str] = [top.windowTitle()]
    if isinstance(top, QMainWindow):
        for action in top.menuBar().actions():
            if action.menu() is not None:
                found += _menu_texts(action.menu())
    for widget in [top, *top.findChildren(QWidget)]:
        if any(widget is s or s.isAncestorOf(widget) for s in skip):
            continue
        found += [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription(), widget.statusTip(), widget.whatsThis()]
        if isinstance(widget, (QLabel, QAbstractButton)):
            found.append(widget.text())
        elif isinstance(widget, QLineEdit):
            found.append(widget.placeholderText())
        elif isinstance(widget, QPlainTextEdit):
            found += [widget.placeholderText(), widget.toPlainText() if widget.isReadOnly() else ""]
        elif isinstance(widget, QComboBox):
            found += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                found += [widget.tabText(i), widget.tabToolTip(i)]
        elif isinstance(widget, QGroupBox):
            found.append(widget.title())
        elif isinstance(widget, QAbstractSpinBox):
            found += [widget.specialValueText()]
        if isinstance(widget, QAbstractItemView):
            found += list(_model_texts(widget))
        for action in widget.actions():
            found.append(action.text())
    return [_plain(text) for text in found if text]


def code_comments(code: str) -> list[str]:
    """The comments of a lesson's code: the words after each "#" that starts a comment."""
    comments = []
    for line in code.splitlines():
        # A "#" inside a string literal (f"{SERVER}/delay/{d}?n={i}" has none; a URL might) is
        # not a comment: the lessons' code puts comments after code or on lines of their own.
        stripped = line.strip()
        if stripped.startswith("#"):
            comments.append(stripped.lstrip("# "))
        elif "  # " in line:
            comments.append(line.split("  # ", 1)[1])
    return comments
