"""Keyboard and words (issue 11, what to build 5), driven with real key presses on the active window.

Tab leaves the URL list (no keyboard trap), F1 opens help with the shortcuts, the lesson list is
in the tab order, and nothing a lesson puts on screen calls the toggle "on" or "off". Reset
asking first and lessons never flipping the toggle are tested in test_classroom.py and
test_lessons.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QTableWidget, QWidget

from app.core.lessons import LESSON_IDS, lesson_by_id
from app.core.run import FetchMode
from app.ui.main_window import MainWindow
from tests.core.test_lessons import ON_OFF

TAB_WALK_LIMIT = 80
"""More Tab presses than the window has focusable widgets: a walk that gets no further is a trap."""


def activate(lab: MainWindow, qtbot: Any) -> None:
    """Window shortcuts and focus changes only reach the active window."""
    lab.activateWindow()
    qtbot.waitActive(lab)


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def native(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def tab_walk(start: QWidget, key: Qt.Key = Qt.Key.Key_Tab) -> list[QWidget]:
    """Presses Tab (or Shift+Tab) from ``start`` until focus comes back to it: the widgets visited."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    assert focused() is start
    visited: list[QWidget] = []
    for _ in range(TAB_WALK_LIMIT):
        current = focused()
        assert current is not None
        QTest.keyClick(current, key)
        after = focused()
        if after is start or after is None:
            break
        visited.append(after)
    return visited


# --- Tab ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [Qt.Key.Key_Tab, Qt.Key.Key_Backtab], ids=["Tab", "Shift+Tab"])
def test_tab_leaves_the_url_list_and_types_nothing(lab: MainWindow, qtbot: Any, key: Qt.Key) -> None:
    # Before: Tab inside the URL list typed a tab character (a keyboard trap).
    activate(lab, qtbot)
    edit = lab.source.url_edit
    text = edit.toPlainText()
    edit.setFocus()
    cursor = edit.textCursor()
    cursor.setPosition(len(text.splitlines()[0]))  # at the end of the first URL, as a person types
    edit.setTextCursor(cursor)
    assert focused() is edit
    QTest.keyClick(edit, key)
    assert focused() is not edit and focused() is not None
    assert edit.toPlainText() == text and "\t" not in edit.toPlainText()


def test_the_lesson_list_is_in_the_tab_order(lab: MainWindow, qtbot: Any) -> None:
    activate(lab, qtbot)
    lab.source.setCurrentWidget(lab.source.lesson_panel)  # the Lessons tab is shown
    visited = tab_walk(lab.controls.mode_toggle)
    assert lab.source.lesson_panel.lesson_list in visited, [w.objectName() or type(w).__name__ for w in visited]
    # ...and back with Shift+Tab, so the list is no dead end either.
    assert lab.source.lesson_panel.lesson_list in tab_walk(lab.controls.mode_toggle, Qt.Key.Key_Backtab)


def test_the_lesson_list_takes_arrow_keys_once_tabbed_to(lab: MainWindow, qtbot: Any) -> None:
    activate(lab, qtbot)
    lab.source.open_lesson("sleep")
    lessons = lab.source.lesson_panel.lesson_list
    visited = tab_walk(lab.controls.mode_toggle)
    assert lessons in visited
    lessons.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(lessons, Qt.Key.Key_Down)
    assert lab.source.current_lesson is lesson_by_id(LESSON_IDS[1])


# --- F1 ----------------------------------------------------------------------------------------


def test_f1_opens_help_with_the_shortcuts(lab: MainWindow, qtbot: Any) -> None:
    # Before: F1 did nothing.
    activate(lab, qtbot)
    assert lab.findChild(QDialog, "shortcutsDialog") is None
    QTest.keyClick(focused() or lab, Qt.Key.Key_F1)
    dialog = lab.findChild(QDialog, "shortcutsDialog")
    assert dialog is not None and dialog.isVisible()
    table = dialog.findChild(QTableWidget)
    rows = {table.item(row, 0).text(): table.item(row, 1).text() for row in range(table.rowCount())}
    keys = {key for cell in rows for key in cell.split(" or ")}
    for wanted in ("F1", "F11", "Ctrl+B", "Ctrl+Return", "Esc"):
        assert native(wanted) in keys, wanted
    assert any("Tab" in cell for cell in rows)  # how to move between the controls, too
    assert "shortcut" in next(what for cell, what in rows.items() if native("F1") in cell.split(" or ")).lower()
    dialog.reject()


# --- words -------------------------------------------------------------------------------------


def lesson_words_on_screen(lab: MainWindow) -> str:
    """Every label of the lesson panel and the controls, as shown (the panel's variant line included)."""
    labels = lab.source.lesson_panel.findChildren(QLabel) + lab.controls.findChildren(QLabel)
    return "\n".join(label.text() for label in labels if label.text())


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_no_lesson_on_screen_calls_the_toggle_on_or_off(lab: MainWindow, lesson_id: str) -> None:
    # Before: lessons said "the toggle is off/on" of a toggle labelled Async / Sync.
    for mode in (FetchMode.ASYNC, FetchMode.BLOCKING):
        lab.controls.set_mode(mode)
        lab.source.open_lesson(lesson_id)
        words = lesson_words_on_screen(lab) + "\n" + lab.controls.mode_toggle.toolTip()
        assert not ON_OFF.search(words), ON_OFF.search(words)
        lesson = lesson_by_id(lesson_id)
        if lesson.toggle_picks_variant:
            intro = lab.source.lesson_panel.intro.text()
            assert "Async" in intro and "blocking" in intro, intro
            assert lab.controls.mode_toggle.text() in intro, intro  # the toggle's own words
