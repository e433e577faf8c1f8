"""Every layout fits the screens a class really has: 1024 x 768, 1280 x 720 and 1366 x 768.

Normal window: the screen less a title bar and a task bar (70 px) and a window frame (10 px).
Presentation mode: the whole screen. For each, with your URLs and with lessons (the CPU lesson has
the longest code, the limit lesson the most settings and the note under the toggle, the
playground its own words, edited code with Reset, the "Predict before Run" questions and what the
code printed), on each
results tab after a run with failures: no text wider or taller than its widget, no elided tab,
no widget outside the window, no scrolled words cut at their side, timeline rows with their
labels, code that never hides behind a horizontal scroll bar. The same at the largest zoom a
1366 x 768 laptop's normal window allows, and a 1920 x 1080 projector's (normal and presentation
mode). Set ``LOOPLAB_FIT_SHOTS=DIR`` to also save every layout as a PNG to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication

from app.core.code_output import Printed
from app.core.demo_server import DemoServer
from app.ui import look
from app.ui.main_window import MINIMUM_SIZE, MainWindow
from tests.ui.fit import problems, with_scroll_bar

SCREENS = [(1024, 768), (1280, 720), (1366, 768)]
TITLE_AND_TASK_BAR, FRAME = 70, 10
SHOTS = os.environ.get("LOOPLAB_FIT_SHOTS", "")
LONG_QUERY = "q=" + "very-long-query-" * 18


def settle(window: MainWindow) -> list[str]:
    """Lets the layout finish (word-wrapped labels take a pass or two to find their height)
    and returns what is still cut off."""
    found: list[str] = []
    for _ in range(20):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
        found = problems(window)
        if not found:
            break
    return found


def run_with_failures(lab: MainWindow, loop: qasync.QEventLoop, server: DemoServer) -> None:
    url = server.url
    lab.source.url_edit.setPlainText(
        "\n".join(
            [
                f"{url}/delay/0.1",
                f"{url}/bytes/1000",
                f"{url}/status/404",
                "http://no-such-host.invalid/a-long-path/that/says/what/failed",
                f"{url}/status/404?{LONG_QUERY}",  # a URL with no space in 300 characters
                f"{url}/redirect/2",
                f"{url}/status/500",
                f"{url}/get",
                f"{url}/delay/0.2",
            ]
        )
    )
    loop.run_until_complete(lab.run_once())


def check_every_view(window: MainWindow, label: str) -> list[str]:
    found: list[str] = []
    for source in ("urls", "cpu", "limit", "playground"):
        if source == "urls":
            window.source.open_urls()
        else:
            window.source.open_lesson(source)
        if source == "playground":  # edited, and asking for a prediction: every control of the editor on show
            window.source.lesson_panel.prediction_box.set_asking(True)
            view = window.source.lesson_panel.code_view
            if not window.source.edits.is_edited("playground"):
                view.replace_code(view.toPlainText() + "    print(statuses)\n")
            # What the code printed, under it: a flood's note and lines longer than the column.
            window.source.lesson_panel.code_area.show_output(Printed(("[200, 200, 200] " * 12,) * 30, missed=12_345))
        for tab in (window.results.widget(i) for i in range(window.results.count())):
            window.results.setCurrentWidget(tab)
            if tab is window.results.requests_panel:  # the long URL's row chosen: its details shown whole
                # Through the selection model: selectRow() reads the keyboard's modifiers, and a
                # Ctrl left "down" by an earlier test's key presses would toggle the row off.
                table = window.results.results_table
                flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                table.selectionModel().select(table.model().index(4, 0), flags)
                assert LONG_QUERY in window.results.row_details.toPlainText()
            where = f"{label}, {source}, {window.results.tabText(window.results.currentIndex())}"
            found += [f"{where}: {problem}" for problem in settle(window)]
            if tab is window.results.timeline_panel and not window.results.timeline.shows_row_labels():
                found.append(f"{where}: the timeline's rows are too short for their labels")
            if source != "urls" and with_scroll_bar(window.source.lesson_panel.code_view, Qt.Orientation.Horizontal):
                found.append(f"{where}: the code hides behind a horizontal scroll bar")
            if source != "urls":
                lessons = window.source.lesson_panel.lesson_list
                last = lessons.visualItemRect(lessons.item(lessons.count() - 1))
                words = window.source.lesson_panel.split
                if last.bottom() > lessons.viewport().height() or lessons.geometry().bottom() >= words.geometry().top():
                    found.append(f"{where}: the list of lessons is squeezed, its last lessons hidden")
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                window.grab().save(str(Path(SHOTS) / f"{label}-{source}-{tab.objectName() or window.results.currentIndex()}.png"))
    return found


def test_the_minimum_size_fits_a_projector_with_a_title_bar_and_a_task_bar() -> None:
    assert MINIMUM_SIZE[0] <= 1000 and MINIMUM_SIZE[1] <= 680
    assert MINIMUM_SIZE[1] <= 720 - TITLE_AND_TASK_BAR


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
def test_every_layout_fits_every_classroom_screen(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, presentation: bool
) -> None:
    run_with_failures(lab, loop, demo_server)
    lab.set_presentation(presentation, full_screen=False)
    found: list[str] = []
    for width, height in SCREENS:
        size = (width, height) if presentation else (width - FRAME, height - TITLE_AND_TASK_BAR)
        lab.resize(*size)
        settle(lab)
        # The window was not forced bigger than the screen by what it holds.
        assert (lab.width(), lab.height()) == size, f"{size} asked, {lab.width()} x {lab.height()} given"
        label = f"{'presentation' if presentation else 'normal'} {width}x{height}"
        if presentation:
            assert lab.presentation.scale == look.presentation_scale(width, height)
            assert lab.controls.exit_presentation_button.isVisible()
            assert not lab.menuBar().isVisible()
        found += check_every_view(lab, label)
    assert not found, "\n".join(found)


def test_every_layout_fits_a_1366x768_laptop_at_the_largest_zoom_it_allows(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    run_with_failures(lab, loop, demo_server)
    zoom_in = lab.named_actions["zoomInAction"]
    for _ in look.ZOOM_STEPS:  # View > Zoom in until it goes no further
        zoom_in.trigger()
    assert lab.presentation.zoom == look.max_zoom(1366, 768) > 1.0
    width, height = 1366, 768
    size = (width - FRAME, height - TITLE_AND_TASK_BAR)
    lab.resize(*size)
    settle(lab)
    assert (lab.width(), lab.height()) == size
    assert lab.presentation.scale == lab.presentation.zoom  # all of it shown, none held back
    found = check_every_view(lab, f"normal {width}x{height} zoom {lab.presentation.zoom:.0%}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
def test_every_layout_fits_a_1080p_projector_at_the_largest_zoom_it_allows(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, presentation: bool
) -> None:
    # The test screen is a 1366 x 768 laptop: a window as big as a 1920 x 1080 screen's is made
    # after the zoom (which keeps a window on its screen); the zoom follows the window's size.
    run_with_failures(lab, loop, demo_server)
    width, height = 1920, 1080
    size = (width, height) if presentation else (width - FRAME, height - TITLE_AND_TASK_BAR)
    zoom = look.max_zoom(*size, presentation=presentation)
    assert zoom >= 1.3
    lab.set_presentation(presentation, full_screen=False)
    lab.presentation.set_zoom(zoom)
    lab.resize(*size)
    settle(lab)
    assert (lab.width(), lab.height()) == size
    base = look.presentation_scale(*size) if presentation else 1.0
    assert lab.presentation.scale == pytest.approx(base * zoom)  # all of it shown, none held back
    found = check_every_view(lab, f"{'presentation' if presentation else 'normal'} {width}x{height} zoom {zoom:.0%}")
    assert not found, "\n".join(found)


def test_presentation_mode_is_as_big_as_the_screen_allows() -> None:
    assert look.presentation_scale(1366, 768) >= 1.5  # the classroom issue's 1.5x, from 1366 x 768 up
    assert look.presentation_scale(1920, 1080) == look.PRESENTATION_SCALE
    # Smaller screens: the same share of the screen, never smaller than the normal window.
    assert look.presentation_scale(1280, 720) < look.presentation_scale(1366, 768)
    assert 1.1 <= look.presentation_scale(1024, 768) < look.presentation_scale(1280, 720)
    assert look.presentation_scale(640, 480) == 1.0


def test_the_fit_check_sees_a_cut_label_and_a_widget_outside_the_window(qtbot: object) -> None:
    # The check itself must be able to fail.
    from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QWidget

    window = QWidget()
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.resize(300, 200)
    cut = QLabel("a label far too long for the forty pixels it is given", window)
    cut.setGeometry(0, 0, 40, 20)
    wrapped = QLabel("a wrapped label with many words and not enough height for them all", window)
    wrapped.setWordWrap(True)
    wrapped.setGeometry(0, 30, 60, 20)
    button = QPushButton("A button whose words are long", window)
    button.setGeometry(0, 60, 50, 30)
    outside = QLabel("x", window)
    outside.setGeometry(280, 190, 40, 40)
    sideways = QScrollArea(window)
    sideways.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    sideways.setWidgetResizable(True)
    wide = QLabel("contents wider than the area that shows them, and no scroll bar to reach the rest")
    wide.setMinimumWidth(400)
    sideways.setWidget(wide)
    sideways.setGeometry(100, 100, 150, 60)
    window.show()
    found = problems(window)
    assert any("far too long" in line for line in found)
    assert any("a wrapped label" in line for line in found)
    assert any("A button" in line for line in found)
    assert any("outside the window" in line for line in found)
    assert any("cut at the side" in line for line in found)
