"""Accessibility (issue 15, what to build 2): what a screen reader hears, and the keyboard.

- The custom-drawn widgets (freeze meter, lag graph, ball, timeline) describe their current
  value, in the words on screen, at most every DESCRIBE_INTERVAL; the timeline reads its requests
  one by one with Up and Down.
- The end of a run is announced politely (Qt 6.8+), or shown in the status bar before that.
- Every focusable control has a name a screen reader can say, in every mode, and Tab visits them
  all in the order a person works, and comes back round (no trap, none out of reach).

The walks are generic: a control another change adds is checked without this file knowing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QTabBar, QToolTip, QWidget

from app.core.demo_server import DemoServer
from app.core.explain import announcement, window_words
from app.core.lag import DESCRIBE_INTERVAL, Freeze
from app.core.run import FetchMode, RunSummary, format_duration
from app.ui import accessibility
from app.ui.accessibility import tab_stops
from app.ui.main_window import MainWindow
from app.ui.widgets.bouncing_ball import MOVING, STOPPED_HOLD, BouncingBall
from app.ui.widgets.freeze_meter import FreezeMeter
from app.ui.widgets.lag_graph import LagGraph
from app.ui.widgets.timeline import TimelineLegend
from tests.runs import planned, urls
from tests.ui.conftest import next_emission
from tests.ui.test_keyboard_and_words import TAB_WALK_LIMIT, activate, focused
from tests.ui.test_visuals import finished_run, overlapping, shown_timeline, staircase


def spoken_description(widget: QWidget) -> str:
    """What a screen reader reads as the widget's description (through Qt's accessibility)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None
    return interface.text(QAccessible.Text.Description)


# --- the freeze meter ------------------------------------------------------------------------


def test_the_meter_describes_its_value_in_its_own_words(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    label = meter.findChild(QLabel, "latenessLabel")
    meter.on_tick(10.0, 0.004)
    assert spoken_description(meter) == label.text() == "Window lateness: 4 ms, smooth"
    meter.on_tick(10.0 + DESCRIBE_INTERVAL, 0.030)
    assert spoken_description(meter) == label.text() == "Window lateness: 30 ms, a slight stutter"
    # The label's name is fixed (its text changes 30 times a second): its words are its description.
    assert spoken_description(label) == label.text()
    meter.show_message("Starting…")
    assert spoken_description(meter) == "Starting…"  # a message is said at once


def test_the_meter_describes_at_most_every_interval_but_always_ends_up_right(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    label = meter.findChild(QLabel, "latenessLabel")
    shown, said = set(), []
    now = 100.0
    for tick in range(180):  # 3 s at 60 ticks a second, the lateness changing at every tick
        now += 1 / 60
        meter.on_tick(now, 0.001 + (tick % 9) / 1000)
        shown.add(label.text())
        if not said or said[-1] != meter.accessibleDescription():
            said.append(meter.accessibleDescription())
    assert len(shown) >= 9  # the label follows every value...
    assert len(said) <= 3 / DESCRIBE_INTERVAL + 1, said  # ...the description twice a second at most
    for _ in range(round(DESCRIBE_INTERVAL * 60) + 2):  # the value settles: its words arrive too
        now += 1 / 60
        meter.on_tick(now, 0.002)
    assert meter.accessibleDescription() == label.text() == "Window lateness: 2 ms, smooth"


# --- the lag graph ---------------------------------------------------------------------------


def test_the_lag_graph_describes_its_worst_tick_and_its_freezes(qtbot: Any) -> None:
    now = [50.0]
    graph = LagGraph(clock=lambda: now[0])
    qtbot.addWidget(graph)

    def tick(seconds: float, lateness: float) -> None:
        now[0] += seconds
        graph.on_tick(now[0], lateness)

    for _ in range(60):
        tick(0.05, 0.002)
    tick(0.05, 0.012)
    tick(0.05, 0.003)
    assert graph.words() == "Lag over the last 30 s: worst 12 ms, no freeze"
    tick(DESCRIBE_INTERVAL, 0.002)
    assert spoken_description(graph) == graph.words()
    tick(2.0, 2.0)  # a 2 s freeze
    assert graph.words() == "Lag over the last 30 s: worst 2.00 s, 1 freeze, 2.00 s"
    tick(0.6, 0.6)
    tick(DESCRIBE_INTERVAL, 0.002)
    assert spoken_description(graph) == "Lag over the last 30 s: worst 2.00 s, 2 freezes, longest 2.00 s"
    for _ in range(70):  # half a minute later both have scrolled off
        tick(0.5, 0.002)
    assert spoken_description(graph) == "Lag over the last 30 s: worst 2 ms, no freeze"


def test_the_lag_graph_says_when_a_freeze_is_coming(qtbot: Any) -> None:
    graph = LagGraph(clock=lambda: 10.0)
    qtbot.addWidget(graph)
    graph.on_tick(10.0, 0.001)
    graph.mark_freezing(10.0)
    assert spoken_description(graph).endswith("; freezing now")


# --- the ball --------------------------------------------------------------------------------


def test_the_ball_says_whether_it_moves_and_how_long_it_stopped(qtbot: Any) -> None:
    ball = BouncingBall()
    qtbot.addWidget(ball)
    ball.advance(1.0)
    assert spoken_description(ball) == MOVING == "Animation: moving"
    ball.advance(3.0, 2.0)  # the frame after a 2 s freeze
    assert spoken_description(ball) == "Animation: stopped during a freeze of 2.00 s; moving again"
    ball.advance(3.0 + STOPPED_HOLD / 2, 0.001)
    assert "stopped" in spoken_description(ball)  # held: time to get to the ball and hear it
    ball.advance(3.0 + STOPPED_HOLD, 0.001)
    assert spoken_description(ball) == MOVING
    ball.mark_freezing()
    assert "stopping" in spoken_description(ball)
    ball.advance(20.0, 0.01)  # the blocking call was short after all: no freeze
    assert spoken_description(ball) == MOVING


# --- the timeline ----------------------------------------------------------------------------


def test_the_timeline_describes_its_run(qtbot: Any) -> None:
    summary = finished_run(staircase(4, 0.3), FetchMode.BLOCKING, failed=[1], freezes=[Freeze(0.0, 1.2)], longest_freeze=1.2)
    widget = shown_timeline(qtbot, summary)
    assert spoken_description(widget) == (
        f"Timeline of run {summary.run_id}: 4 requests, 3 done, 1 failed, {summary.wall_time:.2f} s; longest freeze 1.20 s"
    )
    widget.show_summary(None)
    assert spoken_description(widget) == widget.scene.placeholder


def test_the_timeline_follows_a_run_under_way(qtbot: Any) -> None:
    run, clock = planned(urls(3))
    widget = shown_timeline(qtbot)
    widget.show_run(run)
    assert spoken_description(widget) == f"Timeline of run {run.run_id}, under way: 3 requests, 3 waiting, 0 ms so far"
    clock.now = 0.4
    run.records[0].begin(0.1)
    run.records[0].finish(0.3)
    widget.refresh()  # as the controller does when records change: the words follow within the interval
    words = f"Timeline of run {run.run_id}, under way: 3 requests, 1 done, 2 waiting, 400 ms so far"
    qtbot.waitUntil(lambda: widget.refresh() or spoken_description(widget) == words, timeout=round(DESCRIBE_INTERVAL * 4000))


@pytest.fixture
def keyboard_timeline(qtbot: Any) -> Iterator[Any]:
    summary = finished_run(overlapping(100, 0.5))
    widget = shown_timeline(qtbot, summary, 800, 300)
    widget.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    yield widget
    QToolTip.hideText()


def test_up_and_down_read_the_requests_one_by_one(keyboard_timeline: Any) -> None:
    widget = keyboard_timeline
    about = spoken_description(widget)
    QTest.keyClick(widget, Qt.Key.Key_Down)
    first = widget.records[0]
    assert spoken_description(widget).startswith(f"Request 1 of 100: {first.url}; HTTP 200 OK")
    assert "Waiting for first byte: 300 ms" in spoken_description(widget)  # the tooltip's words
    assert QToolTip.isVisible() and first.url in QToolTip.text()  # and the tooltip, for those who see
    QTest.keyClick(widget, Qt.Key.Key_Down)
    assert spoken_description(widget).startswith(f"Request 2 of 100: {widget.records[1].url};")
    QTest.keyClick(widget, Qt.Key.Key_End)
    assert spoken_description(widget).startswith("Request 100 of 100:")
    bar = widget.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0  # scrolled to the last row
    QTest.keyClick(widget, Qt.Key.Key_PageUp)
    row = widget.reader.row
    assert row is not None and 0 < row < 99  # a page up, and still in view:
    assert bar.value() <= widget.scene.axis_height + row * widget.row_height() <= bar.value() + widget.viewport().height()
    QTest.keyClick(widget, Qt.Key.Key_Home)
    assert spoken_description(widget).startswith("Request 1 of 100:") and bar.value() == 0
    widget.clearFocus()
    assert spoken_description(widget) == about and widget.reader.row is None  # leaving forgets the row


def test_the_chosen_row_is_outlined(keyboard_timeline: Any) -> None:
    widget = keyboard_timeline
    before = widget.viewport().grab().toImage()
    QTest.keyClick(widget, Qt.Key.Key_Down)
    after = widget.viewport().grab().toImage()
    highlight = widget.palette().highlight().color().rgb()
    row_top = widget.scene.axis_height + 1
    assert sum(after.pixel(x, row_top) == highlight for x in range(after.width())) > after.width() * 0.9
    assert sum(before.pixel(x, row_top) == highlight for x in range(before.width())) == 0


def test_zoom_keys_and_tab_still_work_on_the_timeline(keyboard_timeline: Any) -> None:
    widget = keyboard_timeline
    QTest.keyClick(widget, Qt.Key.Key_Plus)
    assert widget.zoom > 1
    QTest.keyClick(widget, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)  # not ours: untouched
    assert widget.reader.row is None


def test_the_legend_says_what_each_swatch_looks_like(qtbot: Any) -> None:
    legend = TimelineLegend()
    qtbot.addWidget(legend)
    names = [w.accessibleName() for w in legend.findChildren(QWidget) if w.accessibleName()]
    assert "DNS: purple, dotted" in names
    assert "Waiting for first byte: green, plain" in names
    assert "Failed: a red outline and a dot at its end" in names


# --- the end of a run ------------------------------------------------------------------------


Announcement = tuple[str, QAccessible.AnnouncementPoliteness]


@pytest.fixture
def announcements(monkeypatch: pytest.MonkeyPatch) -> list[Announcement]:
    """Every announcement the app makes, (message, politeness), as a screen reader would get it
    (PySide has no QAccessible.installUpdateHandler: the function the app calls is wrapped)."""
    sent: list[Announcement] = []
    real = QAccessible.updateAccessibility

    def spy(event: QAccessibleEvent) -> None:
        if isinstance(event, QAccessibleAnnouncementEvent):
            sent.append((event.message(), event.politeness()))
        real(event)

    monkeypatch.setattr(QAccessible, "updateAccessibility", spy)
    return sent


def run_urls(lab: MainWindow, loop: qasync.QEventLoop, text: str) -> RunSummary:
    lab.source.url_edit.setPlainText(text)
    return loop.run_until_complete(next_emission(lab.run_finished, lab.controls.run_button.click))


@pytest.mark.skipif(accessibility.AnnouncementEvent is None, reason="Qt before 6.8 has no announcements")
def test_the_end_of_a_run_is_announced_politely(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, announcements: list[Announcement]
) -> None:
    summary = run_urls(lab, loop, f"{demo_server.url}/get\n{demo_server.url}/status/404")
    assert announcements == [(announcement(summary), QAccessible.AnnouncementPoliteness.Polite)]
    took = format_duration(summary.wall_time)
    assert announcement(summary) == f"Run finished: 2 requests (1 failed) in {took}, {window_words(summary.longest_freeze)}"
    # A second run of the same list is compared with the first, in the report's words.
    second = run_urls(lab, loop, f"{demo_server.url}/get\n{demo_server.url}/status/404")
    assert announcements[1][0].startswith(f"{announcement(second)}. Compared with run {summary.run_id}: ")
    assert announcements[1][0].endswith(lab.report.details.text().rpartition("Compared with")[2])


@pytest.mark.skipif(accessibility.AnnouncementEvent is None, reason="Qt before 6.8 has no announcements")
def test_code_that_cannot_start_is_announced_too(lab: MainWindow, qtbot: Any, announcements: list[Announcement]) -> None:
    # Run pressed on code with a syntax error: nothing runs, so no run ends, and the person who
    # cannot see the report must still hear why nothing happened.
    lab.source.open_lesson("playground")
    lab.source.lesson_panel.code_view.replace_code("async def main():\n    print((1)\n")
    lab.controls.run_button.click()
    assert lab.report.headline.text() == "Nothing ran: the code cannot start."
    assert announcements == [
        (f"{lab.report.headline.text()} {lab.report.details.text()}", QAccessible.AnnouncementPoliteness.Polite)
    ]
    assert "SyntaxError" in announcements[0][0]


@pytest.mark.skipif(accessibility.AnnouncementEvent is None, reason="Qt before 6.8 has no announcements")
def test_an_unexpected_error_is_announced_as_the_banner_shows_it(lab: MainWindow, announcements: list[Announcement]) -> None:
    lab.reporter.report("Unexpected error: <b>not markup</b>", ValueError("x"))
    assert lab.banner.isVisible()
    assert announcements == [("Unexpected error: <b>not markup</b>", QAccessible.AnnouncementPoliteness.Assertive)]
    for _ in range(50):  # a burst: the banner counts them, and says nothing more
        lab.reporter.report("Unexpected error: again")
    assert len(announcements) == 1 and lab.banner.count == 51
    lab.banner.dismiss_button.click()
    lab.reporter.report("Unexpected error: a new one")
    assert announcements[1:] == [("Unexpected error: a new one", QAccessible.AnnouncementPoliteness.Assertive)]


def test_before_qt_6_8_the_status_bar_says_it(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch, announcements: list[Announcement]
) -> None:
    monkeypatch.setattr(accessibility, "AnnouncementEvent", None)
    run_urls(lab, loop, f"{demo_server.url}/get")
    assert not announcements
    assert lab.statusBar().currentMessage().startswith("Run finished: 1 request in ")


# --- names and Tab, in every mode --------------------------------------------------------------


def spoken_name(widget: QWidget) -> str:
    """What a screen reader says a control is: its accessible name, else the words Qt gives it (a
    button's text, the label whose buddy it is; a tab bar's tabs each say their title)."""
    if widget.accessibleName().strip():
        return widget.accessibleName()
    buddies = [label.text() for label in widget.window().findChildren(QLabel) if label.buddy() is widget and label.text().strip()]
    if buddies:
        return buddies[0]
    if isinstance(widget, QAbstractButton):
        return widget.text().strip()
    if isinstance(widget, QTabBar):
        titles = [widget.tabText(i).strip() for i in range(widget.count())]
        return ", ".join(titles) if all(titles) else ""
    return ""


def reachable(window: QWidget) -> list[QWidget]:
    """The controls Tab can reach in ``window`` now: shown, enabled, taking Tab."""
    return [w for w in tab_stops(window) if w.isVisible() and w.isEnabled() and w is not window]


def on_urls(lab: MainWindow) -> None:
    lab.source.open_urls()


def on_a_lesson(lab: MainWindow) -> None:
    lab.source.open_lesson("limit")  # the lesson with the most controls: scale and limit


def presenting(lab: MainWindow) -> None:
    lab.source.open_lesson("sleep")
    lab.set_presentation(True, full_screen=False)


MODES: dict[str, Callable[[MainWindow], None]] = {"URL list": on_urls, "a lesson": on_a_lesson, "presentation mode": presenting}


@pytest.mark.parametrize("mode", MODES)
def test_every_focusable_control_has_a_name(lab: MainWindow, mode: str) -> None:
    MODES[mode](lab)
    nameless: list[str] = []
    for index in range(lab.results.count()):  # every results tab, and what it shows
        lab.results.setCurrentIndex(index)
        QApplication.processEvents()
        for widget in lab.findChildren(QWidget):
            focusable = widget.isVisible() and widget.focusPolicy() != Qt.FocusPolicy.NoFocus and widget.focusProxy() is None
            if focusable and not spoken_name(widget):
                nameless.append(f"{type(widget).__name__} {widget.objectName()!r} in {type(widget.parentWidget()).__name__}")
    assert not nameless, sorted(set(nameless))


def walk(start: QWidget, key: Qt.Key = Qt.Key.Key_Tab) -> list[QWidget]:
    """Presses ``key`` from ``start`` until focus is back there: every widget it stopped at, in
    order, ``start`` first. Fails on a trap (focus stuck, or never back)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    assert focused() is start
    visited = [start]
    for _ in range(TAB_WALK_LIMIT):
        before = focused()
        QTest.keyClick(before, key)
        after = focused()
        assert after is not None and after is not before, f"Tab stuck on {type(before).__name__} {before.objectName()!r}"
        if after is start:
            return visited
        visited.append(after)
    raise AssertionError(f"Tab never came back to the first control: {[w.objectName() for w in visited]}")


def in_order(visited: list[QWidget], expected: list[QWidget]) -> bool:
    """``expected`` appears in ``visited`` in this order (other controls may come between)."""
    places = [visited.index(w) if w in visited else -1 for w in expected]
    return -1 not in places and places == sorted(places)


def names(widgets: list[QWidget]) -> list[str]:
    return [w.objectName() or spoken_name(w) or type(w).__name__ for w in widgets]


def main_stops(lab: MainWindow, mode: str) -> list[QWidget]:
    """The controls Tab must visit in this order in ``mode``, from the first one (the source's tabs)."""
    controls, source, lessons = lab.controls, lab.source, lab.source.lesson_panel
    what = [source.url_edit] if mode == "URL list" else [lessons.lesson_list, lessons.words, lessons.scale_combo]
    if mode == "a lesson":
        what += [lessons.limit_slider]
    if mode != "URL list":
        what += [lessons.code_view]
    how = [controls.mode_toggle] if controls.mode_toggle.isEnabled() else []
    if mode == "URL list":
        how += [controls.concurrency_spin, controls.timeout_spin]
    go = [controls.run_button] + ([controls.exit_presentation_button] if mode == "presentation mode" else [])
    results = [lab.liveness.typing_box, lab.results.tabBar(), lab.results.timeline, *lab.results.zoom_buttons.findChildren(QAbstractButton)]
    return [source.tabBar(), *what, *how, *go, *results]


@pytest.mark.parametrize("mode", MODES)
def test_tab_visits_every_control_in_a_sensible_order_and_comes_back(lab: MainWindow, qtbot: Any, mode: str) -> None:
    activate(lab, qtbot)
    MODES[mode](lab)
    QApplication.processEvents()
    first = lab.source.tabBar()
    visited = walk(first)
    expected = main_stops(lab, mode)
    assert in_order(visited, expected), f"expected {names(expected)} in order, Tab went {names(visited)}"
    assert len(visited) == len(set(visited)), names(visited)  # each once
    out_of_reach = [w for w in reachable(lab) if w not in visited]
    assert not out_of_reach, names(out_of_reach)
    # Shift+Tab goes the same way back.
    back = walk(first, Qt.Key.Key_Backtab)
    assert back == [first, *reversed(visited[1:])], names(back)


def test_cancel_and_exit_come_right_after_run_when_they_can_be_pressed(lab: MainWindow) -> None:
    # Hidden or disabled controls keep their place in the order, for when they appear.
    stops = tab_stops(lab)
    controls = lab.controls
    order = [controls.mode_toggle, controls.concurrency_spin, controls.timeout_spin, controls.run_button, controls.cancel_button]
    assert in_order(stops, [*order, controls.exit_presentation_button, lab.liveness.typing_box])
    assert stops.index(controls.cancel_button) == stops.index(controls.run_button) + 1
