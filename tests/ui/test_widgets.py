"""The display-only widgets, one at a time: build it, feed it data, assert what it shows.

No event loop and no network: every time is passed in explicitly, so nothing here waits or sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel

from app.core import explain
from app.core.lag import FRAME, FROZEN
from app.core.run import PLAN_SLICE, ErrorKind, FetchMode, Run, RunOutcome, RunSummary
from app.ui import plain_text
from app.ui.widgets.bouncing_ball import PERIOD, BouncingBall
from app.ui.widgets.error_banner import ErrorBanner
from app.ui.widgets.freeze_meter import AMBER, GREEN, HOLD, RED, SCALE_MAX, FreezeMeter, bar_fraction, colour_for
from app.ui.widgets.history import HistoryModel, HistoryView
from app.ui.widgets.mode_toggle import ModeToggle
from app.ui.widgets.results_table import COLUMNS, ERROR, SIZE, STARTED, STATUS, TIME, URL, ResultsModel, ResultsTable
from app.ui.widgets.run_report import RunReport
from tests.runs import answered, planned, urls

# --- ModeToggle ------------------------------------------------------------------------------


def test_mode_toggle_starts_unchecked_in_async_mode(qtbot: Any) -> None:
    toggle = ModeToggle()
    qtbot.addWidget(toggle)
    assert not toggle.isChecked()
    assert toggle.mode is FetchMode.ASYNC
    assert toggle.text() == "Async: non-blocking"
    assert toggle.property("mode") == "async"


def test_mode_toggle_checked_means_blocking_and_its_words_and_style_follow(qtbot: Any) -> None:
    toggle = ModeToggle()
    qtbot.addWidget(toggle)
    with qtbot.waitSignal(toggle.toggled) as blocker:
        toggle.click()
    assert blocker.args == [True]
    assert toggle.mode is FetchMode.BLOCKING
    assert toggle.text() == "Sync: blocking"
    assert toggle.property("mode") == "blocking"


def test_mode_toggle_goes_back_to_async_when_unchecked(qtbot: Any) -> None:
    toggle = ModeToggle()
    qtbot.addWidget(toggle)
    toggle.setChecked(True)
    toggle.setChecked(False)
    assert toggle.mode is FetchMode.ASYNC
    assert toggle.text() == "Async: non-blocking"
    assert toggle.property("mode") == "async"


def test_mode_toggle_renders(qtbot: Any) -> None:
    toggle = ModeToggle()
    qtbot.addWidget(toggle)
    toggle.setChecked(True)
    assert not toggle.grab().isNull()


# --- BouncingBall ----------------------------------------------------------------------------


def test_bouncing_ball_position_stays_on_the_track(qtbot: Any) -> None:
    ball = BouncingBall()
    qtbot.addWidget(ball)
    for step in range(-50, 250):
        ball.advance(step * PERIOD / 37)
        assert 0.0 <= ball.position <= 1.0


def test_bouncing_ball_is_back_where_it_was_after_one_period_and_mirrored_after_half(qtbot: Any) -> None:
    ball = BouncingBall()
    qtbot.addWidget(ball)
    t = 12.3
    ball.advance(t)
    start = ball.position
    ball.advance(t + PERIOD / 2)
    assert ball.position == pytest.approx(1.0 - start)
    ball.advance(t + PERIOD)
    assert ball.position == pytest.approx(start)


def test_bouncing_ball_goes_across_and_back_once_per_period(qtbot: Any) -> None:
    ball = BouncingBall()
    qtbot.addWidget(ball)
    steps = 200
    positions = []
    for i in range(steps + 1):
        ball.advance(5.0 + i * PERIOD / steps)
        positions.append(ball.position)
    assert max(positions) > 0.98 and min(positions) < 0.02
    moves = [b - a for a, b in zip(positions, positions[1:])]
    turns = sum(1 for a, b in zip(moves, moves[1:]) if (a > 0) != (b > 0))
    assert turns in (1, 2)  # at the right end, at the left end (one may fall between two samples)
    # Constant speed away from the ends: one sample step covers 2 / steps of the track.
    assert sorted(abs(m) for m in moves)[steps // 2] == pytest.approx(2 / steps)


def test_bouncing_ball_counts_the_frames_it_draws(qtbot: Any) -> None:
    ball = BouncingBall()
    qtbot.addWidget(ball)
    ball.advance(0.5)
    before = ball.frames
    pixmap = ball.grab()
    assert not pixmap.isNull()
    assert ball.frames == before + 1


# --- FreezeMeter -----------------------------------------------------------------------------


def lateness_text(meter: FreezeMeter) -> str:
    label = meter.findChild(QLabel, "latenessLabel")
    assert label is not None
    return label.text()


def test_freeze_meter_shows_the_lateness_of_a_tick(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    assert meter.value == 0.0
    meter.on_tick(10.0, 0.004)
    assert meter.value == pytest.approx(0.004)


def test_freeze_meter_holds_a_big_peak_for_hold_seconds(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.on_tick(10.0, 0.8)
    for now in (10.016, 11.0, 10.0 + HOLD):
        meter.on_tick(now, 0.001)
        assert meter.value == pytest.approx(0.8), f"peak dropped at +{now - 10.0:.3f} s"


def test_freeze_meter_replaces_the_peak_once_the_hold_is_over(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.on_tick(10.0, 0.8)
    meter.on_tick(10.0 + HOLD + 0.016, 0.030)
    assert meter.value == pytest.approx(0.030)
    meter.on_tick(10.0 + HOLD + 0.032, 0.002)  # the new value is the peak now, and is held in turn
    assert meter.value == pytest.approx(0.030)


def test_freeze_meter_takes_a_bigger_lateness_at_once_even_during_a_hold(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.on_tick(10.0, 0.2)
    meter.on_tick(10.5, 1.5)
    assert meter.value == pytest.approx(1.5)


def test_freeze_meter_keeps_a_second_freeze_readable_for_hold_seconds_after_it(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.on_tick(10.0, 0.8)  # a big freeze ...
    meter.on_tick(11.0, 0.3)  # ... then a smaller one 1 s later, while the first is held
    meter.on_tick(12.1, 0.001)  # 1.1 s after the second freeze, which should still be held
    assert meter.value >= FROZEN
    assert "frozen!" in lateness_text(meter)


def test_freeze_meter_label_says_smooth_under_one_frame(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.on_tick(1.0, 0.004)
    assert lateness_text(meter) == "Window lateness: 4 ms, smooth"


def test_freeze_meter_label_says_a_slight_stutter_between_a_frame_and_50_ms(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.on_tick(1.0, 0.030)
    assert lateness_text(meter) == "Window lateness: 30 ms, a slight stutter"


def test_freeze_meter_label_says_frozen_above_50_ms(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.on_tick(1.0, 2.04)
    assert lateness_text(meter) == "Window lateness: 2.04 s, frozen!"


@pytest.mark.parametrize(
    ("lateness", "colour"),
    [
        # The verdict follows the millisecond shown: "16 ms" is smooth, "17 ms" is not (a
        # frame is 16.7 ms), and anything shown as "50 ms" is frozen (the one long-task line).
        pytest.param(0.0, GREEN, id="on-time"),
        pytest.param(0.0164, GREEN, id="shown-as-16ms"),
        pytest.param(FRAME, AMBER, id="one-frame"),
        pytest.param(0.0494, AMBER, id="shown-as-49ms"),
        pytest.param(0.0496, RED, id="shown-as-50ms"),
        pytest.param(FROZEN, RED, id="50ms"),
        pytest.param(3.0, RED, id="3s"),
    ],
)
def test_colour_for_switches_at_one_frame_and_at_50_ms(lateness: float, colour: QColor) -> None:
    assert colour_for(lateness) == colour


def test_bar_fraction_rises_with_lateness_and_stays_between_0_and_1() -> None:
    values = [-1.0, 0.0, 0.0005, 0.001, 0.002, FRAME, FROZEN, 0.2, 1.0, SCALE_MAX, 5.0, 100.0]
    fractions = [bar_fraction(v) for v in values]
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)
    assert bar_fraction(0.0) == 0.0
    assert bar_fraction(SCALE_MAX) == pytest.approx(1.0)
    assert bar_fraction(100.0) == 1.0
    assert 0.0 < bar_fraction(FRAME) < bar_fraction(FROZEN) < bar_fraction(1.0) < 1.0


def test_freeze_meter_renders(qtbot: Any) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.resize(400, 80)
    meter.on_tick(1.0, 0.3)
    assert not meter.grab().isNull()


# --- RunReport -------------------------------------------------------------------------------


def report_label(report: RunReport, name: str) -> str:
    label = report.findChild(QLabel, name)
    assert label is not None, name
    return label.text()


def blocking_summary(longest_freeze: float) -> RunSummary:
    run, _ = planned(urls(2), FetchMode.BLOCKING)
    answered(run.records[0], 0.0, 1.0)
    answered(run.records[1], 1.0, 2.04)
    return run.summarize(RunOutcome.COMPLETED, longest_freeze=longest_freeze)


def async_summary(longest_freeze: float) -> RunSummary:
    run, _ = planned(urls(3), FetchMode.ASYNC)
    for record in run.records:
        answered(record, 0.0, 0.85)
    return run.summarize(RunOutcome.COMPLETED, longest_freeze=longest_freeze)


def test_run_report_shows_a_long_freeze_in_seconds_and_turns_frozen(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    summary = blocking_summary(longest_freeze=2.04)
    report.show_summary(summary)
    assert report_label(report, "freezeLabel") == "2.04 s"
    assert report_label(report, "wallTimeLabel") == "2.04 s"
    assert report_label(report, "requestSumLabel") == "2.04 s"
    assert report.property("state") == "frozen"
    assert report_label(report, "reportHeadline") == explain.headline(summary)
    assert report_label(report, "reportDetails") == explain.explanation(summary)


def test_run_report_shows_a_short_freeze_in_milliseconds(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    report.show_summary(blocking_summary(longest_freeze=0.85))
    assert report_label(report, "freezeLabel") == "850 ms"
    assert report.property("state") == "frozen"


def test_run_report_of_an_async_run_is_alive(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    report.show_summary(async_summary(longest_freeze=0.004))
    assert report_label(report, "freezeLabel") == "4 ms"
    assert report_label(report, "wallTimeLabel") == "850 ms"
    assert report_label(report, "requestSumLabel") == "2.55 s"
    assert report.property("state") == "alive"


def test_run_report_says_a_blocking_run_is_frozen_while_it_runs(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    run, _ = planned(urls(4), FetchMode.BLOCKING)
    report.show_started(run)
    assert "Blocking run of 4" in report.headline.text()
    assert "frozen" in report.headline.text()
    assert report.property("state") == "running"


def test_run_report_counts_finished_requests_of_an_async_run(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    run, _ = planned(urls(5), FetchMode.ASYNC)
    report.show_started(run)
    assert "0 of 5 finished" in report.headline.text()
    for record in run.records[:2]:
        answered(record, 0.0, 1.0)
    report.show_progress(run)
    assert "2 of 5 finished" in report.headline.text()
    assert "frozen" not in report.headline.text()
    assert report.property("state") == "running"


@pytest.mark.parametrize("mode", [FetchMode.ASYNC, FetchMode.BLOCKING])
def test_run_report_says_how_far_checking_a_long_list_has_got(qtbot: Any, mode: FetchMode) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    run = Run(mode=mode)
    planner = run.add_lines([f"http://127.0.0.1:1/{i}" for i in range(PLAN_SLICE * 3)])
    report.show_started(run)
    assert f"0 of {PLAN_SLICE * 3:,} lines" in report.headline.text()
    next(planner)
    report.show_progress(run)
    assert f"{PLAN_SLICE:,} of {PLAN_SLICE * 3:,} lines" in report.headline.text()
    assert ("freezes" in report.details.text()) is (mode is FetchMode.BLOCKING)
    for _ in planner:
        pass
    report.show_progress(run)
    expected = f"Blocking run of {PLAN_SLICE * 3:,}" if mode is FetchMode.BLOCKING else f"0 of {PLAN_SLICE * 3:,} finished"
    assert expected in report.headline.text()


def test_run_report_renders(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    report.show_summary(blocking_summary(longest_freeze=2.04))
    assert not report.grab().isNull()


# --- ResultsModel and ResultsTable -----------------------------------------------------------


def cell(model: ResultsModel, row: int, column: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> Any:
    return model.data(model.index(row, column), role)


def test_results_model_has_one_row_per_url_and_one_column_per_heading() -> None:
    run, _ = planned(urls(3))
    model = ResultsModel()
    model.show_run(run)
    assert model.rowCount() == 3
    assert model.columnCount() == len(COLUMNS) == 6
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == list(COLUMNS)
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children under a cell


def test_results_model_is_empty_before_any_run() -> None:
    model = ResultsModel()
    assert model.rowCount() == 0
    assert cell(model, 0, URL) is None


def test_results_model_says_waiting_for_a_pending_request() -> None:
    run, _ = planned(urls(1))
    model = ResultsModel()
    model.show_run(run)
    assert cell(model, 0, URL) == run.records[0].url
    assert cell(model, 0, STATUS) == "waiting"
    assert cell(model, 0, TIME) == ""
    assert cell(model, 0, STARTED) == ""


def test_results_model_says_connecting_for_a_running_request_with_no_status_yet() -> None:
    run, _ = planned(urls(1))
    run.records[0].begin(0.1)
    model = ResultsModel()
    model.show_run(run)
    assert cell(model, 0, STATUS) == "connecting…"
    assert cell(model, 0, SIZE) == ""
    assert cell(model, 0, STARTED) == "+0.10 s"


def test_results_model_shows_a_downloading_arrow_while_the_body_comes_in() -> None:
    run, _ = planned(urls(1))
    record = run.records[0]
    record.begin(0.0)
    record.status, record.reason, record.response_at = 200, "OK", 0.2
    record.bytes_received = 2_500
    model = ResultsModel()
    model.show_run(run)
    assert cell(model, 0, STATUS) == "200 OK ↓"
    assert cell(model, 0, SIZE) == "2.5 kB"


def test_results_model_shows_the_status_of_a_done_request() -> None:
    run, _ = planned(urls(1))
    answered(run.records[0], 0.0, 0.85)
    model = ResultsModel()
    model.show_run(run)
    assert cell(model, 0, STATUS) == "200 OK"
    assert cell(model, 0, TIME) == "850 ms"
    assert cell(model, 0, ERROR) == ""


def test_results_model_says_failed_and_why_for_a_request_without_a_status() -> None:
    run, _ = planned(urls(1))
    run.records[0].begin(0.0)
    run.records[0].fail(10.0, ErrorKind.TIMEOUT, "Timed out after 10 s")
    model = ResultsModel()
    model.show_run(run)
    assert cell(model, 0, STATUS) == "failed"
    assert cell(model, 0, ERROR) == "Timed out after 10 s"
    assert cell(model, 0, URL, Qt.ItemDataRole.ToolTipRole) == plain_text.tooltip(f"{run.records[0].url}\nTimed out after 10 s")


def test_results_model_shows_an_unfetchable_line_with_its_reason() -> None:
    run, _ = planned(["ftp://files.test/x"])
    model = ResultsModel()
    model.show_run(run)
    assert cell(model, 0, STATUS) == "failed"
    assert cell(model, 0, ERROR).startswith("Unsupported scheme ftp:")


def test_results_model_says_cancelled_for_a_cancelled_request() -> None:
    run, _ = planned(urls(1))
    run.records[0].cancel(0.3)
    model = ResultsModel()
    model.show_run(run)
    assert cell(model, 0, STATUS) == "cancelled"
    assert cell(model, 0, ERROR) == "Cancelled before it started"


def test_results_model_time_column_counts_live_while_running_then_shows_the_duration() -> None:
    run, fake = planned(urls(1))
    record = run.records[0]
    record.begin(0.1)
    model = ResultsModel()
    model.show_run(run)
    fake.now = 0.35
    assert cell(model, 0, TIME) == "250 ms…"
    fake.now = 1.6
    assert cell(model, 0, TIME) == "1.50 s…"
    record.status, record.reason = 200, "OK"
    record.finish(1.9)
    fake.now = 5.0
    assert cell(model, 0, TIME) == "1.80 s"


def test_results_model_aligns_the_numbers_right() -> None:
    run, _ = planned(urls(1))
    model = ResultsModel()
    model.show_run(run)
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    for column in (SIZE, TIME, STARTED):
        assert cell(model, 0, column, Qt.ItemDataRole.TextAlignmentRole) == right
    assert cell(model, 0, URL, Qt.ItemDataRole.TextAlignmentRole) is None


def changes(model: ResultsModel, rows: list[int]) -> list[tuple[int, int, int, int]]:
    """The (top, left, bottom, right) of each dataChanged that ``refresh_rows(rows)`` emits."""
    seen: list[tuple[int, int, int, int]] = []

    def note(top_left: QModelIndex, bottom_right: QModelIndex, *_: object) -> None:
        seen.append((top_left.row(), top_left.column(), bottom_right.row(), bottom_right.column()))

    model.dataChanged.connect(note)
    try:
        model.refresh_rows(rows)
    finally:
        model.dataChanged.disconnect(note)
    return seen


def test_results_model_refresh_rows_emits_one_change_per_stretch_of_changed_rows(qtbot: Any) -> None:
    run, _ = planned(urls(6))
    model = ResultsModel()
    model.show_run(run)
    last = len(COLUMNS) - 1
    assert changes(model, [4, 1, 2]) == [(1, 0, 2, last), (4, 0, 4, last)]  # not row 3, which did not change
    assert changes(model, [0, 1, 2, 3, 4, 5]) == [(0, 0, 5, last)]


def test_results_model_tells_many_scattered_rows_as_one_span(qtbot: Any) -> None:
    from app.ui.widgets.results_table import MAX_STRETCHES

    run, _ = planned(urls(3 * MAX_STRETCHES))
    model = ResultsModel()
    model.show_run(run)
    every_other = list(range(0, 2 * (MAX_STRETCHES + 1), 2))
    assert changes(model, every_other) == [(0, 0, every_other[-1], len(COLUMNS) - 1)]


def test_results_model_refresh_rows_ignores_rows_past_the_end(qtbot: Any) -> None:
    run, _ = planned(urls(3))
    model = ResultsModel()
    model.show_run(run)
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.refresh_rows([1, 9])  # row 9 does not exist and is ignored
    assert blocker.args[0].row() == 1
    assert blocker.args[1].row() == 1
    assert blocker.args[0].isValid() and blocker.args[1].isValid()


def test_results_model_refresh_of_no_rows_emits_nothing(qtbot: Any) -> None:
    run, _ = planned(urls(3))
    model = ResultsModel()
    model.show_run(run)
    with qtbot.assertNotEmitted(model.dataChanged):
        model.refresh_rows([])


def test_results_model_show_records_resets_the_model_and_drops_the_live_clock(qtbot: Any) -> None:
    run, fake = planned(urls(4))
    model = ResultsModel()
    model.show_run(run)
    finished = Run.plan(urls(2), FetchMode.ASYNC).records
    finished[0].begin(0.0)  # still running when shown: there is no clock to count with
    fake.now = 1.0
    with qtbot.waitSignals([model.modelAboutToBeReset, model.modelReset]):
        model.show_records(finished)
    assert model.rowCount() == 2
    assert model.record(0) == finished[0]
    assert cell(model, 0, TIME) == ""


def test_results_model_keeps_its_rows_when_the_run_it_shows_ends(qtbot: Any) -> None:
    # The summary shares the run's table: 200,000 rows must not be reset at the end of a run.
    run, fake = planned(urls(3))
    model = ResultsModel()
    model.show_run(run)
    run.records[0].begin(0.0)
    fake.now = 1.0
    assert cell(model, 0, TIME) == "1.00 s…"
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged):
        model.show_records(run.records)
    assert model.rowCount() == 3 and cell(model, 0, TIME) == ""


def test_results_model_colours_the_status_and_error_of_failed_rows() -> None:
    run, _ = planned(urls(2))
    answered(run.records[0], 0.0, 0.5)
    answered(run.records[1], 0.0, 0.5, status=404, reason="Not Found")
    model = ResultsModel()
    model.show_run(run)
    red = cell(model, 1, STATUS, Qt.ItemDataRole.ForegroundRole)
    assert isinstance(red, QColor)
    assert cell(model, 1, ERROR, Qt.ItemDataRole.ForegroundRole) == red
    assert cell(model, 1, URL, Qt.ItemDataRole.ForegroundRole) is None
    assert cell(model, 0, STATUS, Qt.ItemDataRole.ForegroundRole) is None  # the successful row
    assert cell(model, 1, STATUS) == "404 Not Found"


def test_results_model_greys_out_every_cell_of_a_cancelled_row() -> None:
    run, _ = planned(urls(2))
    run.records[0].cancel(0.1)
    run.records[1].begin(0.0)
    run.records[1].fail(0.2, ErrorKind.REFUSED, "Connection refused")
    model = ResultsModel()
    model.show_run(run)
    colours = [cell(model, 0, c, Qt.ItemDataRole.ForegroundRole) for c in range(len(COLUMNS))]
    assert all(isinstance(c, QColor) for c in colours)
    assert len({c.name() for c in colours}) == 1  # the whole row, in one colour
    assert colours[0] != cell(model, 1, STATUS, Qt.ItemDataRole.ForegroundRole)  # not the failure red


def test_results_table_renders_a_run(qtbot: Any) -> None:
    run, _ = planned([*urls(2), "hello"])
    answered(run.records[0], 0.0, 0.5)
    run.records[1].begin(0.1)
    model = ResultsModel()
    model.show_run(run)
    table = ResultsTable(model)
    qtbot.addWidget(table)
    table.resize(900, 200)
    assert table.model() is model
    assert not table.grab().isNull()


# --- ErrorBanner -----------------------------------------------------------------------------


def test_error_banner_is_hidden_until_an_error_comes(qtbot: Any) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    assert banner.isHidden()
    assert banner.count == 0


def test_error_banner_shows_the_message_of_an_error(qtbot: Any) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error("The run stopped because of an unexpected error", "Traceback ...\nRuntimeError: boom")
    assert not banner.isHidden()
    assert banner.message.text() == "The run stopped because of an unexpected error"
    assert banner.details.isHidden()  # the traceback waits for Details
    assert banner.details_button.isEnabled()


def test_error_banner_adds_the_count_from_the_second_error_on(qtbot: Any) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error("first")
    banner.show_error("second")
    assert banner.count == 2
    assert banner.message.text() == "second (2 errors so far; details are also in the log)"


def test_error_banner_details_toggles_the_traceback(qtbot: Any) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error("oops", "Traceback ...\nRuntimeError: boom")
    banner.details_button.click()
    assert not banner.details.isHidden()
    assert "RuntimeError: boom" in banner.details.toPlainText()
    banner.details_button.click()
    assert banner.details.isHidden()


def test_error_banner_without_a_traceback_disables_details(qtbot: Any) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error("oops")
    assert not banner.details_button.isEnabled()
    assert banner.details.toPlainText() == "No traceback: see the log for more."


def test_error_banner_dismiss_hides_it_and_starts_the_count_again(qtbot: Any) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error("first", "tb")
    banner.show_error("second", "tb")
    banner.details_button.click()
    banner.dismiss_button.click()
    assert banner.isHidden()
    assert banner.count == 0
    assert not banner.details_button.isChecked()
    assert banner.details.isHidden()
    banner.show_error("third")
    assert banner.message.text() == "third"


def test_error_banner_renders(qtbot: Any) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error("oops", "Traceback ...")
    banner.details_button.click()
    assert not banner.grab().isNull()


# --- FreezeMeter: frozen means 100 ms, as the lessons' "alive" claim does ----------------------


@pytest.mark.parametrize(
    ("lateness", "words"),
    [
        pytest.param(0.030, "Window lateness: 30 ms, a slight stutter", id="30ms"),
        pytest.param(0.0494, "Window lateness: 49 ms, a slight stutter", id="49ms"),
        pytest.param(0.0496, "Window lateness: 50 ms, frozen!", id="shown-as-50ms"),
        pytest.param(0.050, "Window lateness: 50 ms, frozen!", id="50ms"),
        pytest.param(0.071, "Window lateness: 71 ms, frozen!", id="71ms"),
        pytest.param(0.100, "Window lateness: 100 ms, frozen!", id="100ms"),
        pytest.param(0.350, "Window lateness: 350 ms, frozen!", id="350ms"),
    ],
)
def test_freeze_meter_says_frozen_from_the_50_ms_line(qtbot: Any, lateness: float, words: str) -> None:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.on_tick(1.0, lateness)
    assert lateness_text(meter) == words


# --- RunReport: a lesson under way, cancelled or failed ---------------------------------------


def lesson_summary(outcome: RunOutcome, error: str = "") -> RunSummary:
    run, clock = planned([], FetchMode.ASYNC)
    clock.now = 0.3
    run.finished_at = 0.3
    return run.summarize(outcome, longest_freeze=0.004, error=error)


def test_run_report_clears_the_last_runs_numbers_when_a_run_starts(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    report.show_lesson(lesson_summary(RunOutcome.COMPLETED), "Sleep: as claimed.", 0.5)
    assert report_label(report, "wallTimeLabel") == "300 ms"
    run, _ = planned([], FetchMode.ASYNC)
    report.show_started(run, "Sleep")
    for name in ("freezeLabel", "wallTimeLabel", "requestSumLabel"):
        assert report_label(report, name) == "…", name
    assert report.property("state") == "running"
    report.show_summary(async_summary(longest_freeze=0.004))  # and the next result fills them in again
    assert report_label(report, "freezeLabel") == "4 ms"


def test_run_report_of_a_cancelled_lesson_says_so_and_judges_nothing(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    report.show_lesson(lesson_summary(RunOutcome.CANCELLED), "Concurrent fetch with gather", 1.0)
    assert report_label(report, "reportHeadline") == "The lesson was cancelled."
    details = report_label(report, "reportDetails")
    assert details.startswith("Concurrent fetch with gather")
    assert "alive" not in details and "froze" not in details
    assert report.property("state") not in ("alive", "frozen")


def test_run_report_of_a_failed_lesson_gives_the_reason_in_one_line(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    reason = "Connection refused by 127.0.0.1:9: nothing is listening there"
    report.show_lesson(lesson_summary(RunOutcome.FAILED, reason), "Sequential awaits add up", 5.0)
    assert report_label(report, "reportHeadline") == "The lesson's code stopped with an error."
    assert report_label(report, "reportDetails") == f"Sequential awaits add up: {reason}"
    assert report.property("state") not in ("alive", "frozen")


def test_run_report_of_a_lesson_with_no_time_claim_expects_nothing(qtbot: Any) -> None:
    report = RunReport()
    qtbot.addWidget(report)
    report.show_lesson(lesson_summary(RunOutcome.COMPLETED), "CPU: took 300 ms.", None)
    assert report_label(report, "requestSumLabel") == "–"
    report.show_lesson(lesson_summary(RunOutcome.COMPLETED), "Sleep: as claimed.", 0.5)
    assert report_label(report, "requestSumLabel") == "≈ 500 ms"


def test_history_forgets_its_oldest_runs_past_a_memory_bound_but_never_the_last_two(qtbot: Any, monkeypatch: Any) -> None:
    from app.ui.widgets import history

    monkeypatch.setattr(history, "KEPT_RECORDS", 10)
    model = HistoryModel()
    view = HistoryView(model)
    qtbot.addWidget(view)
    runs = []
    for size in (4, 4, 4, 8, 30):
        run, _ = planned(urls(size))
        runs.append(run.summarize(RunOutcome.COMPLETED, 0.0))
        model.add(runs[-1])
        view.choose([model.rowCount() - 1])
    assert [s.run_id for s in model.runs] == [runs[-2].run_id, runs[-1].run_id]  # 38 requests: only the last two stay
    assert [s.run_id for s in view.chosen()] == [runs[-1].run_id]
