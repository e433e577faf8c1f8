"""What the timeline, the lag graph, the run history and the export menu show, fed with runs built by hand.

Every run here is played on a clock the test moves (tests/runs.py), so the pictures are exact:
a bar or a freeze band is where the test computes it must be. Only the last tests use the lab
window, and only one of them sends a request (to the session's demo server).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QToolTip

from app.core.demo_server import DemoServer
from app.core.export import CSV_COLUMNS
from app.core.lag import Freeze
from app.core.run import FetchMode, RequestRecord, RunOutcome, RunSummary
from app.core.timeline import Phase, live_span
from app.ui.main_window import MainWindow
from app.ui.widgets.history import (
    COLUMNS,
    CONCURRENCY,
    FREEZE,
    MODE,
    SUM,
    URLS,
    WALL,
    HistoryModel,
    HistoryView,
    RunComparison,
    run_title,
    speedup_text,
)
from app.ui.widgets.lag_graph import HIGH, LOW, WINDOW, LagGraph, height_fraction
from app.ui.widgets.timeline import (
    AXIS_HEIGHT,
    FAILED_COLOUR,
    GUTTER,
    MAX_ROW,
    LABELLED_ROWS,
    MIN_ROW,
    PHASE_COLOURS,
    TimelineLegend,
    TimelineWidget,
)
from tests.runs import planned, urls
from tests.ui.conftest import export_actions, next_emission

# --- runs built by hand ----------------------------------------------------------------------


def played(record: RequestRecord, start: float, end: float, status: int = 200, reason: str = "OK") -> None:
    """Plays one request: waiting for the first 60 % of its time, downloading the rest."""
    record.begin(start)
    record.status, record.reason = status, reason
    record.http_version = "HTTP/1.1"
    record.bytes_received = 1234
    record.response_at = start + (end - start) * 0.6
    record.finish(end)


def finished_run(
    spans: Iterable[tuple[float, float]],
    mode: FetchMode = FetchMode.ASYNC,
    *,
    freezes: Iterable[Freeze] = (),
    failed: Iterable[int] = (),
    longest_freeze: float = 0.0,
) -> RunSummary:
    """A completed run whose request ``i`` ran over ``spans[i]``; those in ``failed`` got HTTP 500."""
    spans = list(spans)
    failed = set(failed)
    run, _clock = planned(urls(len(spans)), mode)
    for record, (start, end) in zip(run.records, spans):
        if record.index in failed:
            played(record, start, end, 500, "Internal Server Error")
        else:
            played(record, start, end)
    return run.summarize(RunOutcome.COMPLETED, longest_freeze, freezes=tuple(freezes))


def overlapping(n: int, length: float = 1.0) -> list[tuple[float, float]]:
    """``n`` requests that all start at once-ish, as in an async run."""
    return [(0.001 * i, 0.001 * i + length) for i in range(n)]


def staircase(n: int, step: float = 0.1) -> list[tuple[float, float]]:
    """``n`` requests one after another, as in a blocking run."""
    return [(i * step, (i + 1) * step) for i in range(n)]


# --- looking at pixels ------------------------------------------------------------------------


def is_reddish(colour: QColor) -> bool:
    """Any red tint: the translucent freeze band over white counts, grey and blue do not."""
    return colour.red() - max(colour.green(), colour.blue()) > 25


def is_strong_red(colour: QColor) -> bool:
    return colour.red() > 150 and colour.green() < 90 and colour.blue() < 90


def distinct_colours(image: QImage, step: int = 5) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


def shown_timeline(qtbot: Any, summary: RunSummary | None = None, width: int = 800, height: int = 300) -> TimelineWidget:
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    if summary is not None:
        widget.show_summary(summary)
    return widget


def wheel(widget: TimelineWidget, at: QPoint, notches: int, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Turns the mouse wheel over the timeline's viewport (positive: away from the user)."""
    viewport = widget.viewport()
    event = QWheelEvent(
        QPointF(at),
        QPointF(viewport.mapToGlobal(at)),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


# --- TimelineWidget: what it shows ------------------------------------------------------------


def test_an_empty_timeline_shows_its_placeholder_and_no_records(qtbot: Any) -> None:
    widget = shown_timeline(qtbot)
    assert list(widget.records) == []
    assert widget.row_height() == MAX_ROW
    assert widget.record_at(QPoint(300, AXIS_HEIGHT + 5)) is None
    assert distinct_colours(widget.viewport().grab().toImage(), step=2) > 1  # the placeholder's words are drawn

    widget.set_placeholder("")
    assert distinct_colours(widget.viewport().grab().toImage(), step=2) == 1  # nothing but the background


def test_show_summary_none_clears_a_run(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(overlapping(5)))
    assert len(widget.records) == 5
    widget.show_summary(None)
    assert list(widget.records) == [] and list(widget.freezes) == []


@pytest.mark.parametrize("count", [1, 5, 20, 60, 1000])
def test_rows_share_the_height_within_min_and_max_row(qtbot: Any, count: int) -> None:
    widget = shown_timeline(qtbot, finished_run(overlapping(count)))
    row = widget.row_height()
    assert MIN_ROW <= row <= MAX_ROW
    shared = (widget.viewport().height() - AXIS_HEIGHT - 4) / count
    floor = widget.scene.label_row if count <= LABELLED_ROWS else MIN_ROW  # up to 100 rows, each keeps its label
    assert row == int(max(floor, min(MAX_ROW, shared)))
    assert widget.shows_row_labels() is (count <= LABELLED_ROWS)


def test_a_thousand_rows_scroll_and_the_row_under_the_pointer_follows(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(overlapping(1000)))
    assert widget.row_height() == MIN_ROW
    bar = widget.verticalScrollBar()
    assert bar.maximum() > 0
    assert bar.maximum() >= 1000 * MIN_ROW + AXIS_HEIGHT - widget.viewport().height()
    point = QPoint(GUTTER + 100, AXIS_HEIGHT + 2 * MIN_ROW + 1)
    assert widget.record_at(point).index == 2

    bar.setValue(500 * MIN_ROW)
    assert widget.record_at(point).index == 502

    bar.setValue(bar.maximum())  # the last row is reachable
    bottom = QPoint(GUTTER + 100, widget.viewport().height() - 5)  # the content ends 4 px under the last row
    assert widget.record_at(bottom).index == len(widget.records) - 1
    assert widget.record_at(QPoint(GUTTER + 100, AXIS_HEIGHT - 1)) is None  # the axis band is no row


def test_a_live_run_stretches_to_the_clock_in_steps_until_it_is_shown_finished(qtbot: Any) -> None:
    run, clock = planned(urls(3))
    widget = shown_timeline(qtbot)
    widget.show_run(run)
    run.records[0].begin(0.0)
    right_edge = widget.viewport().width() - 12
    clock.now = 0.4
    widget.refresh()
    assert widget.time_at(right_edge) == pytest.approx(1.0, rel=0.01)  # the first second, at first
    clock.now = 2.0
    widget.refresh()
    assert widget.time_at(right_edge) == pytest.approx(live_span(2.0), rel=0.01)
    scale = widget.pixels_per_second()
    clock.now = 2.1  # within the step: the bars hold still
    widget.refresh()
    assert widget.pixels_per_second() == scale
    clock.now = 4.0
    widget.refresh()
    assert widget.time_at(right_edge) == pytest.approx(live_span(4.0), rel=0.01)
    for record in run.records:
        if record.started is None:
            record.begin(3.0)
        played(record, record.started, 4.0)
    clock.now = 5.0  # its requests are done, but a lesson's code may still be running
    widget.refresh()
    assert widget.time_at(right_edge) == pytest.approx(live_span(5.0), rel=0.01)
    summary = run.summarize(RunOutcome.COMPLETED, 0.0)
    clock.now = 9.0  # the run is over: the clock no longer stretches the axis, and it fits the run
    widget.show_summary(summary)
    assert widget.time_at(right_edge) == pytest.approx(4.0, rel=0.01)


def test_zooming_in_doubles_the_scale_and_makes_the_time_axis_scroll(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(staircase(10)))
    before = widget.pixels_per_second()
    assert widget.horizontalScrollBar().maximum() == 0
    widget.zoom_by(2)
    assert widget.zoom == pytest.approx(2.0)
    assert widget.pixels_per_second() == pytest.approx(2 * before)
    assert widget.horizontalScrollBar().maximum() > 0


@pytest.mark.parametrize("anchor_offset", [40, 200, 500])
def test_zoom_keeps_the_time_under_the_anchor_in_place(qtbot: Any, anchor_offset: int) -> None:
    widget = shown_timeline(qtbot, finished_run(staircase(10)))
    anchor = GUTTER + anchor_offset
    for factor in (2.0, 1.5, 3.0, 1 / 1.5):
        before = widget.time_at(anchor)
        widget.zoom_by(factor, anchor)
        # Scroll positions are whole pixels: the time may move by one pixel's worth.
        assert widget.time_at(anchor) == pytest.approx(before, abs=1.0 / widget.pixels_per_second())
    assert widget.horizontalScrollBar().value() > 0


def test_zoom_stays_between_fit_and_the_maximum(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(staircase(4)))
    widget.zoom_by(0.1)
    assert widget.zoom == 1.0
    widget.zoom_by(1e9)
    assert widget.zoom == 2000.0


def test_fit_shows_the_whole_run_again(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(staircase(10)))
    fitted = widget.pixels_per_second()
    widget.zoom_by(4, GUTTER + 300)
    assert widget.horizontalScrollBar().value() > 0
    widget.fit()
    assert widget.zoom == 1.0
    assert widget.pixels_per_second() == pytest.approx(fitted)
    assert widget.horizontalScrollBar().maximum() == 0 and widget.horizontalScrollBar().value() == 0
    assert widget.time_at(GUTTER) == pytest.approx(0.0)


def test_a_new_summary_is_shown_fitted(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(staircase(10)))
    widget.zoom_by(5)
    widget.show_summary(finished_run(staircase(3)))
    assert widget.zoom == 1.0
    assert widget.horizontalScrollBar().value() == 0


def test_ctrl_wheel_zooms_around_the_pointer(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(staircase(10)))
    at = QPoint(GUTTER + 250, AXIS_HEIGHT + 30)
    before_scale, before_time = widget.pixels_per_second(), widget.time_at(at.x())
    rows_before = widget.verticalScrollBar().value()
    wheel(widget, at, 1, Qt.KeyboardModifier.ControlModifier)
    assert widget.zoom == pytest.approx(1.25)
    assert widget.pixels_per_second() == pytest.approx(1.25 * before_scale)
    assert widget.time_at(at.x()) == pytest.approx(before_time, abs=1.0 / widget.pixels_per_second())
    assert widget.verticalScrollBar().value() == rows_before  # zooming is not scrolling

    wheel(widget, at, -1, Qt.KeyboardModifier.ControlModifier)
    assert widget.zoom == pytest.approx(1.0)


def test_the_plain_wheel_scrolls_rows_and_leaves_the_zoom(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(overlapping(1000)))
    at = QPoint(GUTTER + 100, AXIS_HEIGHT + 10)
    first = widget.record_at(at)
    wheel(widget, at, -2)  # towards the user: down the list
    assert widget.verticalScrollBar().value() > 0
    assert widget.zoom == 1.0
    assert widget.record_at(at) is not first
    assert widget.record_at(at).index > first.index


def test_plus_minus_and_zero_keys_zoom_and_fit(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(staircase(10)))
    qtbot.keyClick(widget, Qt.Key.Key_Plus)
    assert widget.zoom == pytest.approx(1.5)
    qtbot.keyClick(widget, Qt.Key.Key_Equal)  # the same key without Shift on most keyboards
    assert widget.zoom == pytest.approx(2.25)
    qtbot.keyClick(widget, Qt.Key.Key_Minus)
    assert widget.zoom == pytest.approx(1.5)
    qtbot.keyClick(widget, Qt.Key.Key_0)
    assert widget.zoom == 1.0
    assert widget.horizontalScrollBar().maximum() == 0


def test_a_fixed_span_puts_two_runs_on_one_scale(qtbot: Any) -> None:
    short, long = finished_run(staircase(4, 0.5)), finished_run(staircase(8, 1.0))
    first, second = shown_timeline(qtbot, short), shown_timeline(qtbot, long)
    assert first.pixels_per_second() == pytest.approx(4 * second.pixels_per_second())  # 2 s vs 8 s
    first.set_fixed_span(8.0)
    second.set_fixed_span(8.0)
    assert first.pixels_per_second() == pytest.approx(second.pixels_per_second())
    # The same second is the same x in both.
    assert first.time_at(GUTTER + 333) == pytest.approx(second.time_at(GUTTER + 333))
    first.set_fixed_span(None)
    assert first.pixels_per_second() == pytest.approx(4 * second.pixels_per_second())


def test_hovering_a_bar_shows_its_url_and_phase_times(qtbot: Any) -> None:
    summary = finished_run(staircase(5, 0.4))
    widget = shown_timeline(qtbot, summary)
    record = summary.records[3]
    row = widget.row_height()
    x = round(GUTTER + (record.started + 0.1) * widget.pixels_per_second())
    pos = QPoint(x, AXIS_HEIGHT + 3 * row + row // 2)
    assert widget.record_at(pos).index == record.index
    try:
        QApplication.sendEvent(widget.viewport(), QHelpEvent(QEvent.Type.ToolTip, pos, widget.viewport().mapToGlobal(pos)))
        qtbot.waitUntil(QToolTip.isVisible)
        text = QToolTip.text()
        assert record.url in text
        assert "Waiting" in text and "HTTP 200 OK" in text and "Request time: 400 ms" in text
        assert summary.records[2].url not in text
    finally:
        QToolTip.hideText()


def test_hovering_the_axis_shows_no_request(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(staircase(5, 0.4)))
    bar = QPoint(GUTTER + 20, AXIS_HEIGHT + widget.row_height() // 2)
    axis = QPoint(GUTTER + 100, AXIS_HEIGHT // 2)
    try:
        QApplication.sendEvent(widget.viewport(), QHelpEvent(QEvent.Type.ToolTip, bar, widget.viewport().mapToGlobal(bar)))
        qtbot.waitUntil(QToolTip.isVisible)
        assert widget.records[0].url in QToolTip.text()
        QApplication.sendEvent(widget.viewport(), QHelpEvent(QEvent.Type.ToolTip, axis, widget.viewport().mapToGlobal(axis)))
        qtbot.waitUntil(lambda: not QToolTip.isVisible())
    finally:
        QToolTip.hideText()


# --- TimelineWidget: the picture for exports -------------------------------------------------


def test_render_image_draws_every_row_and_grows_with_the_run(qtbot: Any) -> None:
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.show_summary(finished_run(staircase(5)))
    small = widget.scene.render_image(widget.font(), widget.palette())
    widget.show_summary(finished_run(overlapping(100)))
    big = widget.scene.render_image(widget.font(), widget.palette())
    assert small.width() == big.width() == 1600
    assert big.height() > small.height()
    assert small.height() >= AXIS_HEIGHT + 5 * MAX_ROW
    assert big.height() >= AXIS_HEIGHT + 100 * MIN_ROW
    for image in (small, big):
        assert distinct_colours(image) > 3
    # The last of the 100 rows is drawn too: its bar (waiting, teal) is in the bottom row.
    teal = PHASE_COLOURS[Phase.WAITING].rgb()
    bottom_row = range(big.height() - 16, big.height() - 8)
    assert any(big.pixel(x, y) == teal for x in range(GUTTER, big.width(), 3) for y in bottom_row)


def band_x(width: int, seconds: float, span: float) -> int:
    """The x of ``seconds`` in :meth:`TimelineWidget.render_image` output of a run ``span`` seconds long."""
    return round(GUTTER + seconds * (width - GUTTER - 12) / span)


def test_a_freeze_band_is_red_where_it_is_and_only_there(qtbot: Any) -> None:
    summary = finished_run(staircase(4, 1.0), FetchMode.BLOCKING, freezes=[Freeze(1.0, 2.0)], longest_freeze=1.0)
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.show_summary(summary)
    image = widget.scene.render_image(widget.font(), widget.palette(), 1600)
    below_rows = image.height() - 3  # under the last bar, inside the plot: only the band (or nothing)
    inside, outside = band_x(1600, 1.25, 4.0), band_x(1600, 3.25, 4.0)
    assert is_reddish(image.pixelColor(inside, below_rows))
    assert is_reddish(image.pixelColor(band_x(1600, 1.75, 4.0), below_rows))
    assert not is_reddish(image.pixelColor(outside, below_rows))
    assert not is_reddish(image.pixelColor(band_x(1600, 0.75, 4.0), below_rows))

    widget.show_summary(finished_run(staircase(4, 1.0)))  # the same run without a freeze
    plain = widget.scene.render_image(widget.font(), widget.palette(), 1600)
    assert not is_reddish(plain.pixelColor(inside, below_rows))


def test_a_failed_request_gets_a_red_outline(qtbot: Any) -> None:
    summary = finished_run(staircase(3, 1.0), failed=[1])
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.show_summary(summary)
    image = widget.scene.render_image(widget.font(), widget.palette(), 1600)

    def red_on_top_edge(index: int) -> int:
        record = summary.records[index]
        top = AXIS_HEIGHT + index * MAX_ROW + max(1.0, MAX_ROW * 0.18)
        left, right = band_x(1600, record.started, 3.0), band_x(1600, record.ended, 3.0)
        return sum(
            is_strong_red(image.pixelColor(x, y)) for x in range(left + 4, right - 4) for y in range(int(top) - 1, int(top) + 2)
        )

    span = band_x(1600, 1.0, 3.0) - band_x(1600, 0.0, 3.0)
    assert red_on_top_edge(1) > span * 0.8  # the outline runs along the whole bar
    assert red_on_top_edge(0) == 0
    assert red_on_top_edge(2) == 0


def test_a_thousand_rows_repaint_quickly_because_only_visible_rows_are_painted(qtbot: Any) -> None:
    widget = shown_timeline(qtbot, finished_run(overlapping(1000)), 900, 400)
    widget.viewport().repaint()  # warm up fonts and caches
    took = []
    for _ in range(3):
        started = time.perf_counter()
        widget.viewport().repaint()
        took.append(time.perf_counter() - started)
    assert min(took) < 0.050, f"repaint of 1000 rows took {min(took) * 1000:.1f} ms"


def test_the_legend_names_every_phase_and_state(qtbot: Any) -> None:
    legend = TimelineLegend()
    qtbot.addWidget(legend)
    texts = [label.text() for label in legend.findChildren(QLabel)]
    assert texts == [p.label for p in Phase] + ["Failed", "Cancelled", "Window frozen"]
    assert distinct_colours(legend.grab().toImage(), step=1) > 5


# --- LagGraph ---------------------------------------------------------------------------------


def line_pixels(image: QImage) -> int:
    teal = QColor("#2a9d8f").rgb()
    return sum(image.pixel(x, y) == teal for x in range(image.width()) for y in range(image.height()))


def most_reddish_column(image: QImage) -> float:
    """The largest share of reddish pixels in any one column: a band fills a column, a line does not."""
    best = 0.0
    for x in range(image.width()):
        red = sum(is_reddish(image.pixelColor(x, y)) for y in range(image.height()))
        best = max(best, red / image.height())
    return best


def lag_graph(qtbot: Any, now: float = 100.0) -> LagGraph:
    graph = LagGraph(clock=lambda: now)
    qtbot.addWidget(graph)
    graph.resize(420, 180)
    graph.show()
    qtbot.waitExposed(graph)
    return graph


def steady_ticks(graph: LagGraph, start: float, end: float, lateness: float = 0.003) -> None:
    t = start
    while t <= end:
        graph.on_tick(t, lateness)
        t += 0.016


def test_ticks_become_a_line(qtbot: Any) -> None:
    graph = lag_graph(qtbot)
    assert line_pixels(graph.grab().toImage()) == 0
    steady_ticks(graph, 80.0, 100.0)
    assert line_pixels(graph.grab().toImage()) > 100
    assert graph.stalls() == []


def test_stalls_are_only_ticks_at_least_fifty_ms_late() -> None:
    graph = LagGraph(clock=lambda: 20.0)
    graph.on_tick(10.0, 0.003)
    graph.on_tick(11.0, 0.049)
    graph.on_tick(12.0, 0.050)
    graph.on_tick(15.0, 2.0)
    stalls = graph.stalls()
    assert [end for _start, end in stalls] == [12.0, 15.0]
    assert stalls[0][0] == pytest.approx(11.95)
    assert stalls[1][0] == pytest.approx(13.0)


def test_ticks_older_than_the_window_and_a_second_are_dropped() -> None:
    graph = LagGraph(clock=lambda: 0.0)
    graph.on_tick(0.0, 0.5)
    graph.on_tick(WINDOW + 1, 0.0)
    assert graph.stalls() == [(-0.5, 0.0)]  # exactly 31 s old: still kept
    graph.on_tick(WINDOW + 1.01, 0.0)
    assert graph.stalls() == []


def test_height_fraction_is_a_clamped_log_scale() -> None:
    assert height_fraction(LOW) == pytest.approx(0.0)
    assert height_fraction(0.001) == pytest.approx(0.0)
    assert height_fraction(HIGH) == pytest.approx(1.0)
    assert height_fraction(10.0) == pytest.approx(1.0)
    assert height_fraction(0.1) == pytest.approx(0.5)  # two decades of four
    assert height_fraction(0.0) == 0.0 and height_fraction(-1.0) == 0.0
    assert height_fraction(1000.0) == 1.0
    values = [0.0005, 0.001, 0.002, 0.016, 0.05, 0.3, 1.0, 5.0, 10.0, 20.0]
    fractions = [height_fraction(v) for v in values]
    assert fractions == sorted(fractions)
    assert all(a < b for a, b in zip(fractions[1:-2], fractions[2:-1]))  # strictly inside the scale


def test_a_two_second_stall_is_a_red_band_and_none_without(qtbot: Any) -> None:
    calm = lag_graph(qtbot)
    steady_ticks(calm, 70.0, 100.0)
    assert most_reddish_column(calm.grab().toImage()) < 0.25  # only the dashed 50 ms line and its words

    stalled = lag_graph(qtbot)
    steady_ticks(stalled, 70.0, 88.0)
    stalled.on_tick(90.0, 2.0)
    steady_ticks(stalled, 90.016, 100.0)
    assert stalled.stalls() == [(pytest.approx(88.0), 90.0)]
    assert most_reddish_column(stalled.grab().toImage()) > 0.6


# --- HistoryModel / HistoryView ---------------------------------------------------------------


def text_at(model: HistoryModel, row: int, column: int) -> str:
    return model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)


def three_runs() -> list[RunSummary]:
    return [
        finished_run(overlapping(10, 0.5)),
        finished_run(staircase(4, 0.5), FetchMode.BLOCKING, freezes=[Freeze(0.0, 2.0)], longest_freeze=2.0),
        finished_run(overlapping(3, 2.5)),
    ]


def test_the_history_has_a_row_per_run_with_its_numbers(qtbot: Any) -> None:
    model = HistoryModel()
    runs = three_runs()
    for summary in runs:
        model.add(summary)
    assert model.rowCount() == 3 and model.columnCount() == len(COLUMNS)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))] == list(COLUMNS)
    assert [model.headerData(r, Qt.Orientation.Vertical) for r in range(3)] == [f"Run {s.run_id}" for s in runs]
    assert [text_at(model, r, MODE) for r in range(3)] == ["Async", "Blocking", "Async"]
    assert [text_at(model, r, URLS) for r in range(3)] == ["10", "4", "3"]
    assert [text_at(model, r, CONCURRENCY) for r in range(3)] == ["100", "1", "100"]
    assert text_at(model, 0, WALL) == "509 ms"
    assert text_at(model, 1, WALL) == "2.00 s"
    assert text_at(model, 1, SUM) == "2.00 s"
    assert text_at(model, 0, SUM) == "5.00 s"
    assert text_at(model, 1, FREEZE) == "2.00 s"
    assert text_at(model, 0, FREEZE) == "0 ms"
    assert model.runs == runs and model.summary(1) is runs[1]


def test_an_unfinished_run_says_how_it_ended() -> None:
    run, clock = planned(urls(2))
    played(run.records[0], 0.0, 0.3)
    clock.now = 0.5
    run.cancel_unfinished()
    model = HistoryModel()
    model.add(run.summarize(RunOutcome.CANCELLED, 0.0))
    assert text_at(model, 0, MODE) == "Async (cancelled)"
    assert "cancelled" in model.data(model.index(0, MODE), Qt.ItemDataRole.ToolTipRole)
    assert text_at(model, 0, WALL) == "500 ms"


def history_view(qtbot: Any, runs: list[RunSummary]) -> HistoryView:
    model = HistoryModel()
    for summary in runs:
        model.add(summary)
    view = HistoryView(model)
    qtbot.addWidget(view)
    view.resize(700, 300)
    view.show()
    qtbot.waitExposed(view)
    return view


def click_row(qtbot: Any, view: HistoryView, row: int) -> list[RunSummary]:
    """Clicks a row as a person does and returns what the view says is chosen now."""
    center = view.visualRect(view.model().index(row, MODE)).center()
    with qtbot.waitSignal(view.chosen_changed) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    return blocker.args[0]


def test_clicking_rows_chooses_at_most_two_and_a_third_lets_go_of_the_oldest(qtbot: Any) -> None:
    runs = three_runs()
    view = history_view(qtbot, runs)
    assert click_row(qtbot, view, 0) == [runs[0]]
    assert click_row(qtbot, view, 2) == [runs[0], runs[2]]
    assert click_row(qtbot, view, 1) == [runs[1], runs[2]]  # row 0 was chosen first: it goes
    assert view.chosen() == [runs[1], runs[2]]
    assert click_row(qtbot, view, 0) == [runs[0], runs[1]]  # now row 2 is the oldest choice
    assert sorted(i.row() for i in view.selectionModel().selectedRows()) == [0, 1]


def test_clicking_a_chosen_row_again_lets_go_of_it(qtbot: Any) -> None:
    runs = three_runs()
    view = history_view(qtbot, runs)
    click_row(qtbot, view, 1)
    click_row(qtbot, view, 2)
    assert click_row(qtbot, view, 1) == [runs[2]]


def test_choose_selects_rows_and_emits_them_in_run_order(qtbot: Any) -> None:
    runs = three_runs()
    view = history_view(qtbot, runs)
    with qtbot.waitSignal(view.chosen_changed) as blocker:
        view.choose([2, 0])
    assert blocker.args[0] == [runs[0], runs[2]]
    with qtbot.waitSignal(view.chosen_changed) as blocker:
        view.choose([0, 1, 2])  # only the last two
    assert blocker.args[0] == [runs[1], runs[2]]
    assert view.chosen() == [runs[1], runs[2]]


# --- RunComparison and the speed-up sentence -------------------------------------------------


def comparison(qtbot: Any) -> RunComparison:
    widget = RunComparison()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def settle(qtbot: Any, widget: RunComparison) -> None:
    """Waits for the layout to catch up: timelines just made visible get their size and scroll bars."""

    def settled() -> bool:
        shown = [t for t in (widget.first, widget.second) if t.isVisible()]
        # The comparison keeps its scroll bars on, so a settled layout gives both views one width.
        return all(t.verticalScrollBar().isVisible() and t.viewport().width() > 100 for t in shown) and (
            len({t.viewport().width() for t in shown}) <= 1
        )

    qtbot.waitUntil(settled, timeout=2000)


def test_no_run_chosen_shows_a_hint_and_no_timeline(qtbot: Any) -> None:
    widget = comparison(qtbot)
    widget.show_runs([])
    assert not widget.first.isVisible() and not widget.second.isVisible()
    assert not widget.first_title.isVisible() and not widget.second_title.isVisible()
    assert "click two runs" in widget.speedup_label.text()


def test_one_run_chosen_shows_its_timeline_and_asks_for_a_second(qtbot: Any) -> None:
    widget = comparison(qtbot)
    summary = finished_run(staircase(4))
    widget.show_runs([summary])
    assert widget.first.isVisible() and not widget.second.isVisible()
    assert widget.first_title.text() == run_title(summary)
    assert list(widget.first.records) == list(summary.records)
    assert "second run" in widget.speedup_label.text()


def test_two_runs_are_drawn_on_the_same_scale_with_the_speedup_between(qtbot: Any) -> None:
    widget = comparison(qtbot)
    slow = finished_run(staircase(37, 0.1), FetchMode.BLOCKING, freezes=[Freeze(0.0, 3.7)], longest_freeze=3.7)
    fast = finished_run(overlapping(37, 0.964))  # the last one ends at 0.036 + 0.964 = 1.0 s
    assert slow.wall_time == pytest.approx(3.7) and fast.wall_time == pytest.approx(1.0)
    widget.show_runs([slow, fast])
    settle(qtbot, widget)
    assert widget.first.isVisible() and widget.second.isVisible()
    assert widget.first_title.text() == run_title(slow) and widget.second_title.text() == run_title(fast)
    assert widget.first.pixels_per_second() == pytest.approx(widget.second.pixels_per_second())
    text = widget.speedup_label.text()
    assert f"Run {fast.run_id}" in text and "3.7×" in text and "faster" in text
    assert text.index(f"Run {fast.run_id}") < text.index("faster")

    widget.show_runs([fast])  # back to one: the scale is that run's own again
    assert not widget.second.isVisible()
    assert widget.first.time_at(widget.first.viewport().width() - 12) == pytest.approx(1.0, abs=0.01)


def test_two_runs_of_different_lengths_in_rows_are_still_on_one_scale(qtbot: Any) -> None:
    widget = comparison(qtbot)
    few = finished_run(staircase(3, 1.0))  # 3 rows: they fit, no scroll bar
    many = finished_run(overlapping(60, 0.5))  # 60 rows: they scroll
    widget.show_runs([few, many])
    settle(qtbot, widget)
    assert widget.second.verticalScrollBar().maximum() > 0 and widget.first.verticalScrollBar().maximum() == 0
    # One second must be as wide in both, or the bars of the two runs do not line up.
    assert widget.first.pixels_per_second() == pytest.approx(widget.second.pixels_per_second())


def test_speedup_text_for_nearly_equal_runs_and_a_run_that_took_no_time() -> None:
    a, b = finished_run([(0.0, 1.0)]), finished_run([(0.0, 1.02)])
    assert speedup_text(a, b).startswith("About the same")
    assert "×" not in speedup_text(b, a)
    instant = finished_run([(0.0, 0.0)])
    assert instant.wall_time == 0.0
    text = speedup_text(a, instant)
    assert f"Run {instant.run_id}" in text and "no time" in text
    slower = finished_run([(0.0, 2.5)])
    assert speedup_text(slower, a) == speedup_text(a, slower)  # the order of the two does not matter
    assert "2.5×" in speedup_text(a, slower)


def test_no_speedup_is_claimed_for_an_unfinished_run_or_other_urls() -> None:
    done = finished_run([(0.0, 1.0), (0.0, 1.0)])
    other_urls = finished_run([(0.0, 3.0)])
    assert "×" not in speedup_text(done, other_urls) and "Different URL lists" in speedup_text(done, other_urls)
    run, clock = planned(urls(2))
    run.records[0].begin(0.0)
    clock.now = 0.5
    run.cancel_unfinished()
    cancelled = run.summarize(RunOutcome.CANCELLED, 0.0)
    text = speedup_text(done, cancelled)
    assert "×" not in text and f"Run {cancelled.run_id} did not complete" in text


# --- the lab window's export menu -------------------------------------------------------------


def with_finished_run(window: MainWindow, summary: RunSummary) -> RunSummary:
    """Makes ``summary`` the window's last run, as if it had just finished."""
    window.results.last_run = summary
    for action in export_actions(window).values():
        action.setEnabled(True)
    return summary


def exported_run() -> RunSummary:
    return finished_run(staircase(6, 0.2), FetchMode.BLOCKING, freezes=[Freeze(0.0, 1.2)], longest_freeze=1.2, failed=[4])


def test_export_actions_wait_for_the_first_run(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, tmp_path: Path) -> None:
    assert set(export_actions(lab)) == {"har", "csv", "png", "json"}
    assert not any(action.isEnabled() for action in export_actions(lab).values())
    with pytest.raises(ValueError, match="no finished run"):
        lab.export_last_run(tmp_path / "x.har")
    assert list(tmp_path.iterdir()) == []

    lab.source.url_edit.setPlainText(f"{demo_server.url}/bytes/10")
    summary = loop.run_until_complete(lab.run_once())
    assert all(action.isEnabled() for action in export_actions(lab).values())
    assert lab.results.last_run is summary
    har = json.loads(lab.export_last_run(tmp_path / "x.har").read_text(encoding="utf-8"))
    assert [entry["request"]["url"] for entry in har["log"]["entries"]] == [f"{demo_server.url}/bytes/10"]


def test_export_last_run_writes_har_csv_and_png(lab: MainWindow, tmp_path: Path) -> None:
    summary = with_finished_run(lab, exported_run())
    har = json.loads(lab.export_last_run(tmp_path / "x.har").read_text(encoding="utf-8"))
    assert har["log"]["version"] == "1.2"
    assert [e["request"]["url"] for e in har["log"]["entries"]] == [r.url for r in summary.records]
    assert har["log"]["entries"][4]["response"]["status"] == 500

    rows = list(csv.reader(io.StringIO(lab.export_last_run(tmp_path / "x.csv").read_text(encoding="utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row[1] for row in rows[1:]] == [r.url for r in summary.records]

    written = lab.export_last_run(tmp_path / "x.png")
    picture = QImage(str(written))
    assert not picture.isNull()
    assert picture.width() == 1600
    assert distinct_colours(picture) > 5


def test_the_exported_picture_has_the_freeze_band_and_the_failed_outline(lab: MainWindow, tmp_path: Path) -> None:
    with_finished_run(lab, exported_run())
    picture = QImage(str(lab.export_last_run(tmp_path / "x.png")))
    pixels = [picture.pixelColor(x, y) for x in range(GUTTER, picture.width(), 2) for y in range(0, picture.height(), 2)]
    assert any(is_reddish(c) and not is_strong_red(c) for c in pixels)  # the translucent band
    assert any(c.rgb() == FAILED_COLOUR.rgb() for c in pixels)  # the failed request's outline


def test_export_never_replaces_a_file_unasked(lab: MainWindow, tmp_path: Path) -> None:
    with_finished_run(lab, exported_run())
    target = tmp_path / "x.har"
    target.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        lab.export_last_run(target)
    assert target.read_bytes() == b"keep me"
    lab.export_last_run(target, overwrite=True)
    assert json.loads(target.read_text(encoding="utf-8"))["log"]["version"] == "1.2"


def test_export_refuses_an_unknown_suffix(lab: MainWindow, tmp_path: Path) -> None:
    with_finished_run(lab, exported_run())
    with pytest.raises(ValueError, match=r"\.har"):
        lab.export_last_run(tmp_path / "x.txt")
    assert list(tmp_path.iterdir()) == []


def test_the_export_action_saves_where_the_user_chose_and_says_so(lab: MainWindow, tmp_path: Path) -> None:
    summary = with_finished_run(lab, exported_run())
    asked: list[tuple[str, str, str]] = []
    target = tmp_path / "chosen.har"

    def ask(title: str, suggested: str, file_filter: str) -> str:
        asked.append((title, suggested, file_filter))
        return str(target)

    lab.exporter.ask_save_path = ask
    export_actions(lab)["har"].trigger()
    assert json.loads(target.read_text(encoding="utf-8"))["log"]["version"] == "1.2"
    assert len(asked) == 1
    title, suggested, file_filter = asked[0]
    assert f"run {summary.run_id}" in title
    assert suggested.endswith(f"looplab-run-{summary.run_id}-blocking.har")
    assert "*.har" in file_filter
    assert str(target) in lab.statusBar().currentMessage()


def test_the_export_action_does_nothing_when_the_user_cancels(lab: MainWindow, tmp_path: Path) -> None:
    with_finished_run(lab, exported_run())
    lab.exporter.ask_save_path = lambda title, suggested, flt: None
    export_actions(lab)["csv"].trigger()
    assert list(tmp_path.iterdir()) == []
    assert lab.findChild(QMessageBox, "exportProblem") is None


@pytest.mark.parametrize("kind", ["har", "csv", "png"])
def test_a_name_without_the_suffix_gets_it(lab: MainWindow, tmp_path: Path, kind: str) -> None:
    with_finished_run(lab, exported_run())
    lab.exporter.ask_save_path = lambda title, suggested, flt: str(tmp_path / "report")
    export_actions(lab)[kind].trigger()
    assert [p.name for p in tmp_path.iterdir()] == [f"report.{kind}"]
    assert str(tmp_path / f"report.{kind}") in lab.statusBar().currentMessage()


def test_a_chosen_name_that_exists_is_replaced_because_the_dialog_asked(lab: MainWindow, tmp_path: Path) -> None:
    with_finished_run(lab, exported_run())
    target = tmp_path / "x.csv"
    target.write_bytes(b"old")
    asked: list[Path] = []
    lab.exporter.confirm_replace = lambda path: asked.append(path) or False
    lab.exporter.ask_save_path = lambda title, suggested, flt: str(target)
    export_actions(lab)["csv"].trigger()
    assert asked == []
    assert target.read_text(encoding="utf-8-sig").startswith("index,url,")


@pytest.mark.parametrize("replace", [False, True])
def test_an_appended_suffix_that_hits_a_file_asks_before_replacing(lab: MainWindow, tmp_path: Path, replace: bool) -> None:
    with_finished_run(lab, exported_run())
    existing = tmp_path / "report.har"
    existing.write_bytes(b"old")
    asked: list[Path] = []

    def confirm(path: Path) -> bool:
        asked.append(path)
        return replace

    lab.exporter.confirm_replace = confirm
    lab.exporter.ask_save_path = lambda title, suggested, flt: str(tmp_path / "report")
    lab.statusBar().clearMessage()
    export_actions(lab)["har"].trigger()
    assert asked == [existing]
    if replace:
        assert json.loads(existing.read_text(encoding="utf-8"))["log"]["version"] == "1.2"
        assert str(existing) in lab.statusBar().currentMessage()
    else:
        assert existing.read_bytes() == b"old"
        assert lab.statusBar().currentMessage() == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.har"]  # no temporary file left


def test_a_folder_that_does_not_exist_is_a_message_and_the_window_carries_on(
    lab: MainWindow, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    with_finished_run(lab, exported_run())
    lab.exporter.ask_save_path = lambda title, suggested, flt: str(tmp_path / "missing" / "x.har")
    lab.statusBar().clearMessage()
    export_actions(lab)["har"].trigger()
    box = lab.findChild(QMessageBox, "exportProblem")
    assert box is not None
    try:
        assert box.isVisible()
        assert "x.har" in box.text()
        assert box.windowModality() != Qt.WindowModality.ApplicationModal
        assert not (tmp_path / "missing").exists()
        assert lab.statusBar().currentMessage() == ""
        assert export_actions(lab)["har"].isEnabled()
        assert lab.isVisible()

        # The message is window-modal and opened without a nested loop: the heartbeat goes on.
        loop.run_until_complete(next_emission(lab.heartbeat.ticked, timeout=5.0))
    finally:
        box.close()

    lab.exporter.ask_save_path = lambda title, suggested, flt: str(tmp_path / "x.har")
    export_actions(lab)["har"].trigger()
    assert (tmp_path / "x.har").exists()
