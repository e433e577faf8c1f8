"""Zoom that reaches every pane and is remembered.

Driven as a person drives it: Ctrl+Plus, Ctrl+Minus and Ctrl+0 pressed on the window, then the
fonts each pane is drawn with measured.
"""

from __future__ import annotations

from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QTableView, QWidget

from app.core.demo_server import DemoServer
from app.ui import look, settings
from app.ui.lab import create_window
from app.ui.main_window import MainWindow
from tests.ui.test_visuals import finished_run, staircase


def activate(lab: MainWindow, qtbot: Any) -> None:
    """Window shortcuts reach only the active window."""
    lab.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is lab)


def press(lab: QWidget, keys: str) -> None:
    QTest.keySequence(lab, QKeySequence(keys))


def points(widget: QWidget) -> float:
    """The point size ``widget`` is drawn with, its style sheet applied."""
    widget.ensurePolished()
    return QFontInfo(widget.font()).pointSizeF()


def panes(lab: MainWindow) -> dict[str, QWidget]:
    """A widget of every kind the window shows, the painted ones included."""
    found = {
        "window": lab,
        "menu bar": lab.menuBar(),
        "toggle (style sheet: 20 pt)": lab.controls.mode_toggle,
        "Run (style sheet: 16 pt)": lab.controls.run_button,
        "meter's words": lab.findChild(QWidget, "latenessLabel"),
        "lag graph": lab.liveness.lag_graph,
        "freeze meter": lab.liveness.freeze_meter,
        "report's headline": lab.findChild(QWidget, "reportHeadline"),
        "code editor": lab.source.lesson_panel.code_view,
        "URL list": lab.source.url_edit,
        "timeline": lab.results.timeline,
        "requests table": lab.results.results_table,
        "its header": lab.results.results_table.horizontalHeader(),
        "history table": lab.results.history_view,
        "status bar": lab.statusBar(),
    }
    assert all(found.values()), found
    return found


# --- zoom ------------------------------------------------------------------------------------


def test_ctrl_plus_and_minus_zoom_every_pane_and_ctrl_0_gives_the_actual_size(lab: MainWindow, qtbot: Any) -> None:
    activate(lab, qtbot)
    lab.source.open_lesson("gather")  # the code editor on show
    before = {name: points(widget) for name, widget in panes(lab).items()}
    scene = lab.results.timeline.scene
    timeline_sizes = (scene.axis_height, scene.max_row, scene.gutter)

    press(lab, "Ctrl++")
    press(lab, "Ctrl+=")  # the same key, where plus needs Shift
    assert lab.presentation.zoom == 1.2 and lab.presentation.scale == 1.2
    assert lab.statusBar().currentMessage() == "Zoom 120%"
    after = {name: points(widget) for name, widget in panes(lab).items()}
    for name, size in before.items():
        assert after[name] == pytest.approx(1.2 * size, rel=0.06), name
    # The timeline's own sizes follow its font: the axis band, the rows, the gutter.
    assert all(new > old for new, old in zip((scene.axis_height, scene.max_row, scene.gutter), timeline_sizes)), timeline_sizes

    press(lab, "Ctrl+-")
    assert lab.presentation.zoom == 1.1
    assert points(lab.source.lesson_panel.code_view) == pytest.approx(1.1 * before["code editor"], rel=0.06)
    press(lab, "Ctrl+0")
    assert lab.presentation.zoom == 1.0
    assert {name: points(widget) for name, widget in panes(lab).items()} == before
    assert (scene.axis_height, scene.max_row, scene.gutter) == timeline_sizes


@pytest.mark.parametrize("where", ["code editor", "URL list", "typing box", "concurrency box", "timeline"])
def test_the_zoom_keys_work_wherever_the_focus_is(lab: MainWindow, qtbot: Any, where: str) -> None:
    activate(lab, qtbot)
    lab.source.open_lesson("gather")
    focus = {
        "code editor": lab.source.lesson_panel.code_view,
        "URL list": lab.source.url_edit,
        "typing box": lab.liveness.typing_box,
        "concurrency box": lab.controls.concurrency_spin,
        "timeline": lab.results.timeline,
    }[where]
    if where == "URL list":
        lab.source.open_urls()
    focus.setFocus()
    text = focus.toPlainText() if hasattr(focus, "toPlainText") else None
    press(focus, "Ctrl++")
    assert lab.presentation.zoom == 1.1
    press(focus, "Ctrl+-")
    press(focus, "Ctrl+-")
    assert lab.presentation.zoom == 0.9
    press(focus, "Ctrl+0")
    assert lab.presentation.zoom == 1.0
    if text is not None:
        assert focus.toPlainText() == text  # no key typed into it


def test_the_timelines_own_keys_still_zoom_its_time_axis(lab: MainWindow, qtbot: Any) -> None:
    activate(lab, qtbot)
    timeline = lab.results.timeline
    timeline.show_summary(finished_run(staircase(6, 0.2)))
    timeline.setFocus()
    QTest.keyClick(timeline, Qt.Key.Key_Plus)
    assert timeline.zoom == pytest.approx(1.5) and lab.presentation.zoom == 1.0
    press(timeline, "Ctrl+0")  # the window's Actual size, not the timeline's fit
    assert timeline.zoom == pytest.approx(1.5) and lab.presentation.zoom == 1.0
    QTest.keyClick(timeline, Qt.Key.Key_0)
    assert timeline.zoom == 1.0


def test_zoom_goes_as_far_as_the_screen_has_room_for_and_down_to_70_percent(lab: MainWindow, qtbot: Any) -> None:
    activate(lab, qtbot)
    for _ in range(len(look.ZOOM_STEPS)):
        press(lab, "Ctrl++")
    # The offscreen screen is a 1366 x 768 laptop: 120 % is the most that shows whole.
    assert lab.presentation.zoom == look.max_zoom(1366, 768) == 1.2
    assert lab.presentation.scale == 1.2
    assert lab.statusBar().currentMessage() == "Zoom 120%: as big as this screen has room for"
    screen = lab.screen().availableGeometry()
    assert screen.contains(lab.frameGeometry()), "the window grew past its screen"
    for _ in range(len(look.ZOOM_STEPS)):
        press(lab, "Ctrl+-")
    assert lab.presentation.zoom == 0.7 == look.ZOOM_STEPS[0]
    assert lab.statusBar().currentMessage() == "Zoom 70%: the smallest"
    assert points(lab.controls.mode_toggle) == pytest.approx(0.7 * 20, rel=0.06)
    # The View menu has the same three, under the keys.
    view = next(action.menu() for action in lab.menuBar().actions() if action.text() == "&View")
    texts = [action.text() for action in view.actions() if not action.isSeparator()]
    assert texts[-3:] == ["Zoom in", "Zoom out", "Actual size"]


def test_a_window_smaller_than_its_zoom_needs_shows_what_fits(lab: MainWindow, qtbot: Any) -> None:
    lab.resize(1100, 650)
    lab.presentation.set_zoom(1.2)
    assert lab.width() >= 1356 and lab.height() >= 698  # zooming in made room, within the screen
    lab.resize(1000, 640)  # then the person made it small again
    qtbot.waitUntil(lambda: lab.presentation.scale == 1.0)
    assert lab.presentation.zoom == 1.2 and lab.presentation.shown_zoom == 1.0  # still what they chose, shown as far as it fits
    lab.resize(1356, 698)
    qtbot.waitUntil(lambda: lab.presentation.scale == 1.2)


def test_zoom_multiplies_presentation_mode_within_the_room_it_has(lab: MainWindow, qtbot: Any) -> None:
    activate(lab, qtbot)
    press(lab, "Ctrl+-")
    press(lab, "Ctrl+-")  # 80 %
    lab.set_presentation(True, full_screen=False)
    lab.resize(1366, 768)
    qtbot.waitUntil(lambda: lab.presentation.scale == pytest.approx(look.presentation_scale(1366, 768) * 0.8))
    press(lab, "Ctrl+0")  # presentation mode's own size: already all a 1366 x 768 screen has room for
    assert lab.presentation.scale == look.presentation_scale(1366, 768) == 1.55
    press(lab, "Ctrl++")
    assert lab.presentation.scale == 1.55 and lab.presentation.zoom == 1.0
    press(lab, "Ctrl+-")
    assert lab.presentation.scale == pytest.approx(1.55 * 0.9)
    lab.set_presentation(False)
    assert lab.presentation.scale == 0.9


def rows_off(lab: MainWindow) -> list[str]:
    """The tables of the window (and of its shortcuts dialog) whose rows do not fit a line of
    their font: shorter (words cut at the top and bottom), or left tall from a bigger zoom."""
    lab.show_shortcuts()
    dialog = lab.findChild(QDialog, "shortcutsDialog")
    found = []
    for view in [*lab.findChildren(QTableView), *dialog.findChildren(QTableView)]:
        view.ensurePolished()
        line, row = view.fontMetrics().height(), view.verticalHeader().defaultSectionSize()
        if not line <= row <= line + 12:
            found.append(f"{view.objectName()}: rows of {row} px for lines of {line} px")
    dialog.reject()
    return found


def test_the_tables_rows_grow_with_the_zoom_and_in_presentation_mode(lab: MainWindow, qtbot: Any) -> None:
    activate(lab, qtbot)
    assert rows_off(lab) == []
    for _ in look.ZOOM_STEPS:  # the requests, the history, the tasks and the shortcuts: all of them
        press(lab, "Ctrl++")
    assert lab.presentation.scale == 1.2
    assert rows_off(lab) == []
    lab.set_presentation(True, full_screen=False)
    lab.resize(1366, 768)
    qtbot.waitUntil(lambda: lab.presentation.scale == look.PRESENTATION_SCALE)
    assert rows_off(lab) == []
    lab.set_presentation(False)
    for _ in look.ZOOM_STEPS:
        press(lab, "Ctrl+-")
    for index in range(lab.results.count()):  # each table as it is shown: smaller rows again
        lab.results.setCurrentIndex(index)
        assert rows_off(lab) == []


def test_the_zoom_is_remembered(loop: qasync.QEventLoop, qtbot: Any, demo_server: DemoServer) -> None:
    first = create_window(demo_server)
    qtbot.addWidget(first)
    first.show()
    activate(first, qtbot)
    toggle_points = points(first.controls.mode_toggle)
    press(first, "Ctrl++")
    press(first, "Ctrl++")
    first.close()
    loop.run_until_complete(first.wait_closed())
    assert settings.load().zoom == 1.2

    second = create_window(demo_server)  # the next launch
    qtbot.addWidget(second)
    second.show()
    try:
        assert second.presentation.zoom == 1.2 and second.presentation.scale == 1.2
        assert points(second.controls.mode_toggle) == pytest.approx(1.2 * toggle_points, rel=0.06)
        second.state.confirm_reset = lambda: True  # the person answers Yes
        assert second.state.reset_to_defaults()
        assert second.presentation.zoom == 1.0 and points(second.controls.mode_toggle) == toggle_points
    finally:
        second.close()
        loop.run_until_complete(second.wait_closed())


@pytest.mark.parametrize("raw", ["7", "0.1", "nan", "big"])
def test_a_nonsensical_remembered_zoom_gives_100_percent(raw: str) -> None:
    stored = settings.open_settings()
    stored.setValue("zoom", raw)
    stored.sync()
    assert settings.load().zoom == 1.0


def test_the_zoom_never_asks_for_more_than_the_window_has_room_for() -> None:
    # 1024 x 768 and 1280 x 720 screens (less a frame, a title bar and a task bar): no room to
    # zoom in; a 1366 x 768 laptop: 120 %; bigger screens: more, up to 200 %.
    assert look.max_zoom(1014, 698) == look.max_zoom(1270, 650) == 1.0
    assert look.max_zoom(1356, 698) == 1.2
    assert 1.4 <= look.max_zoom(1910, 1010) < look.max_zoom(2550, 1390) <= 2.0
    for zoom in look.ZOOM_STEPS:
        width, height = look.room_needed(zoom)
        assert look.font_scale(width, height, zoom=zoom) == pytest.approx(zoom)
        assert look.font_scale(width - 40, height - 40, zoom=zoom) <= max(1.0, zoom - 0.05) + 1e-9
    # Presentation mode: its own scale times the zoom, within the screen's room.
    assert look.font_scale(1366, 768, zoom=1.5, presentation=True) == 1.55
    assert look.font_scale(1366, 768, zoom=0.8, presentation=True) == pytest.approx(1.24)
    assert look.font_scale(1920, 1080, zoom=1.2, presentation=True) == pytest.approx(1.86)
