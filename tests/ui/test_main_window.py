"""The lab window driven as a person would: type URLs, flip the toggle, press Run, close it."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
import warnings

import pytest
import qasync
from PySide6.QtCore import QMetaObject, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLabel, QPlainTextEdit, QPushButton, QWidget

from app.core.demo_server import DemoServer
from app.core.fetch import FetchOptions
from app.core.run import FetchMode, RequestState, RunOutcome, RunRequest, RunSummary
from app.ui.lab import create_window
from app.ui.main_window import MainWindow
from app.ui.widgets.results_table import ERROR, STATUS
from tests.ui.conftest import TickProbe, next_emission, seconds, until


def set_urls(window: MainWindow, urls: list[str]) -> None:
    window.source.url_edit.setPlainText("\n".join(urls))


async def run_and_wait(window: MainWindow, timeout: float = 30.0) -> RunSummary:
    return await next_emission(window.run_finished, window.controls.run_button.click, timeout)


def table_text(window: MainWindow, row: int, column: int) -> str:
    model = window.results.results_table.model()
    return model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)


# --- the contract ----------------------------------------------------------------------------


def test_contract_names_types_and_accessible_names(lab: MainWindow) -> None:
    expected = {
        "urlEdit": QPlainTextEdit,
        "blockingToggle": QAbstractButton,
        "runButton": QPushButton,
        "cancelButton": QPushButton,
        "resultsTable": QAbstractItemView,
        "freezeLabel": QLabel,
        "timelineView": QWidget,
        "lagGraph": QWidget,
        "historyView": QAbstractItemView,
    }
    for name, kind in expected.items():
        widget = lab.findChild(QWidget, name)
        assert isinstance(widget, kind), name
    assert lab.findChild(QAbstractButton, "blockingToggle").isCheckable()
    focusable = [
        w
        for w in lab.findChildren(QWidget)
        # qt_* are Qt's own insides (a spin box's line edit): they are spoken through their parent.
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isVisible() and not w.objectName().startswith("qt_")
    ]
    assert len(focusable) >= 7
    unnamed = [f"{type(w).__name__} {w.objectName()!r}" for w in focusable if not w.accessibleName()]
    assert unnamed == []


def test_the_url_box_starts_with_the_demo_urls(lab: MainWindow, demo_server: DemoServer) -> None:
    lines = lab.source.url_edit.toPlainText().splitlines()
    assert len(lines) >= 5 and all(line.startswith(demo_server.url + "/") for line in lines)
    assert len({line for line in lines if "/delay/" in line}) >= 3  # a mix of delays


def test_the_toggle_flips_mode_words_and_colour(lab: MainWindow) -> None:
    toggle = lab.controls.mode_toggle
    assert (toggle.text(), toggle.property("mode"), lab.controls.mode) == ("Async: non-blocking", "async", FetchMode.ASYNC)
    toggle.click()
    assert (toggle.text(), toggle.property("mode"), lab.controls.mode) == ("Sync: blocking", "blocking", FetchMode.BLOCKING)
    assert not lab.controls.concurrency_spin.isEnabled()  # one at a time is what blocking means


# --- the two modes, measured -----------------------------------------------------------------


def test_async_run_overlaps_and_the_window_stays_alive(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    # Done-when: 40 URLs of 0.5 s in under 0.8 s with no tick over 100 ms late (bench/ checks
    # those exact numbers; here the bounds are loose enough for a busy CI machine).
    set_urls(lab, [f"{demo_server.url}/delay/0.5"] * 40)
    probe = TickProbe()

    async def scenario() -> RunSummary:
        probe.start()
        summary = await run_and_wait(lab)
        probe.stop()
        return summary

    summary = loop.run_until_complete(scenario())
    assert summary.outcome is RunOutcome.COMPLETED
    assert summary.counts[RequestState.DONE] == 40
    assert summary.request_time_sum >= 40 * 0.5
    assert summary.wall_time < 0.1 * summary.request_time_sum  # 40 waits overlapped into ~1
    assert probe.longest_gap() < 0.5  # bench/ checks the real goal: no tick over 100 ms late
    assert seconds(lab.report.freeze_label.text()) < 0.5
    assert lab.results.results_table.model().rowCount() == 40


def test_blocking_run_freezes_the_window_and_says_for_how_long(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    # Done-when: 8 URLs of 0.25 s freeze the window for about 2 s, with no tick in between,
    # and freezeLabel then states that freeze within 10%.
    set_urls(lab, [f"{demo_server.url}/delay/0.25"] * 8)
    lab.controls.mode_toggle.click()
    probe = TickProbe()

    async def scenario() -> RunSummary:
        probe.start()
        summary = await run_and_wait(lab)
        ticks_after = len(probe.ticks)
        await until(lambda: len(probe.ticks) > ticks_after, what="the probe ticks again after the freeze")
        probe.stop()
        return summary

    summary = loop.run_until_complete(scenario())
    frozen = probe.longest_gap()
    assert frozen >= 8 * 0.25  # not one tick while the eight requests ran
    assert frozen < 3.0
    shown = seconds(lab.report.freeze_label.text())
    assert shown == pytest.approx(frozen, rel=0.10)
    assert summary.mode is FetchMode.BLOCKING and summary.counts[RequestState.DONE] == 8
    starts = [r.started for r in summary.records]
    assert all(b - a >= 0.25 for a, b in zip(starts, starts[1:]))  # a staircase: one after another
    assert "frozen" in lab.report.headline.text()


def test_typing_works_while_requests_are_in_flight(lab: MainWindow, loop: qasync.QEventLoop, qtbot, demo_server: DemoServer) -> None:
    set_urls(lab, [f"{demo_server.url}/delay/1"] * 5)
    probe = TickProbe()

    async def scenario() -> None:
        finished = asyncio.ensure_future(next_emission(lab.run_finished, lab.controls.run_button.click))
        await until(lambda: lab.controller.running)
        run = lab.controller.active_run
        # Seen from the event loop: in blocking mode this could never be observed (frozen).
        await until(lambda: any(r.state is RequestState.RUNNING for r in run.records))
        probe.start()
        qtbot.keyClicks(lab.liveness.typing_box, "still alive")
        assert lab.liveness.typing_box.text() == "still alive"
        assert any(r.state is RequestState.RUNNING for r in run.records)  # typed mid-request
        await finished
        probe.stop()

    loop.run_until_complete(scenario())
    assert probe.longest_gap() < 0.5


# --- errors are rows, never crashes ----------------------------------------------------------


@pytest.mark.parametrize("mode", [FetchMode.ASYNC, FetchMode.BLOCKING])
def test_bad_lines_become_rows_with_messages_and_good_urls_still_complete(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, mode: FetchMode
) -> None:
    lines = [
        f"{demo_server.url}/bytes/10",
        "",
        "not a url at all",
        "ftp://files.example.com/x",
        "javascript:alert(1)",
        "http://no-such-host.invalid/",
        f"{demo_server.url}/status/404",
        f"{demo_server.url}/delay/5",
        f"{demo_server.url}/redirect/30",
        f"{demo_server.url}/bytes/20",
    ]
    set_urls(lab, lines)
    lab.controls.timeout_spin.setValue(0.5)
    if mode is FetchMode.BLOCKING:
        lab.controls.mode_toggle.click()

    summary = loop.run_until_complete(run_and_wait(lab))
    assert lab.results.results_table.model().rowCount() == len(lines) - 1  # the empty line is skipped
    errors = [table_text(lab, row, ERROR) for row in range(len(lines) - 1)]
    assert errors[0] == "" and errors[-1] == ""
    assert "contains spaces" in errors[1]
    assert "Unsupported scheme ftp:" in errors[2]
    assert "Unsupported scheme javascript:" in errors[3]
    assert "Host not found: no-such-host.invalid" in errors[4]
    assert errors[5] == "HTTP 404 Not Found"
    assert errors[6] == "Timed out after 0.5 s"
    assert "Too many redirects" in errors[7]
    assert table_text(lab, 0, STATUS) == "200 OK" and table_text(lab, 8, STATUS) == "200 OK"
    assert summary.outcome is RunOutcome.COMPLETED
    assert "7 requests failed" in lab.report.details.text()


def test_an_empty_url_box_says_what_to_do_and_starts_nothing(lab: MainWindow) -> None:
    lab.source.url_edit.setPlainText("\n   \n# only a comment\n")
    lab.controls.run_button.click()
    assert not lab.controller.running
    assert "at least one URL" in lab.statusBar().currentMessage()


def test_an_unexpected_error_is_a_row_a_log_line_and_a_banner(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A header with a newline makes aiohttp raise ValueError: not a network error, a bug of ours.
    request = RunRequest.urls(f"{demo_server.url}/get", FetchMode.ASYNC, options=FetchOptions(headers={"X-Bad": "a\nb"}))
    summary = loop.run_until_complete(next_emission(lab.run_finished, lambda: lab.controller.start(request)))
    assert summary.records[0].error.startswith("Unexpected error: ValueError")
    assert lab.banner.isVisible()
    assert "unexpected error" in lab.banner.message.text()
    assert "Unexpected error while fetching" in caplog.text
    assert lab.controls.run_button.isEnabled()  # and the lab goes on


# --- cancelling and closing ------------------------------------------------------------------


def test_cancel_stops_an_async_run_and_every_row_says_so(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    set_urls(lab, [f"{demo_server.url}/delay/10"] * 4)
    lab.controls.concurrency_spin.setValue(2)

    async def scenario() -> RunSummary:
        finished = asyncio.ensure_future(next_emission(lab.run_finished, lab.controls.run_button.click))
        await until(lambda: lab.controls.cancel_button.isEnabled() and lab.controller.running)
        lab.controls.cancel_button.click()
        return await asyncio.wait_for(finished, 2.0)

    summary = loop.run_until_complete(scenario())
    assert summary.outcome is RunOutcome.CANCELLED
    assert [r.state for r in summary.records] == [RequestState.CANCELLED] * 4
    assert lab.controls.run_button.isEnabled() and not lab.controls.cancel_button.isEnabled()
    assert "Cancelled" in lab.report.details.text()


def test_run_finished_is_emitted_once_per_run(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    seen: list[RunSummary] = []
    lab.run_finished.connect(seen.append)
    set_urls(lab, [f"{demo_server.url}/bytes/1"])

    async def scenario() -> None:
        await run_and_wait(lab)  # completed
        set_urls(lab, ["nope", "ftp://x/"])
        await run_and_wait(lab)  # nothing fetchable
        lab.controls.mode_toggle.click()
        set_urls(lab, [f"{demo_server.url}/bytes/1"])
        await run_and_wait(lab)  # blocking
        await until(lambda: len(seen) >= 3)

    loop.run_until_complete(scenario())
    assert [s.outcome for s in seen] == [RunOutcome.COMPLETED] * 3
    assert len({s.run_id for s in seen}) == 3


def test_a_second_run_is_refused_while_one_is_under_way(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    async def scenario() -> None:
        request = RunRequest.urls(f"{demo_server.url}/delay/0.3", FetchMode.ASYNC)
        first = lab.controller.start(request)
        assert first is not None and not lab.controls.run_button.isEnabled()
        assert lab.controller.start(request) is None
        await next_emission(lab.run_finished)

    loop.run_until_complete(scenario())


def test_closing_mid_run_releases_everything_within_a_second_without_warnings(
    loop: qasync.QEventLoop, qtbot, demo_server: DemoServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Done-when: closing 0.5 s into an async run of 30 URLs of 5 s leaves no pending task after
    # 1 s, and no warning. The window's own demo server must be stopped too.
    window = create_window()  # owns its demo server this time
    qtbot.addWidget(window)
    own_server = window.server
    set_urls(window, [f"{own_server.url}/delay/5"] * 30)
    window.show()

    sessions = []

    async def scenario() -> float:
        window.controls.run_button.click()
        run = window.controller.active_run
        await until(lambda: run.clock() >= 0.5 and all(r.state is RequestState.RUNNING for r in run.records))
        sessions.append(window.controller._async_session)  # to check that this very session gets closed
        window.close()
        closed_at = loop.time()
        me = asyncio.current_task()
        await until(lambda: not [t for t in asyncio.all_tasks() if t is not me and not t.done()], timeout=1.0)
        return loop.time() - closed_at

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with caplog.at_level(logging.WARNING):
            took = loop.run_until_complete(scenario())
            loop.run_until_complete(window.wait_closed())
            gc.collect()  # an unclosed aiohttp session would complain now
    assert took < 1.0
    assert sessions[0] is not None and sessions[0].closed
    assert not own_server.running
    assert window.controller.closed
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    bad = [m for m in messages if any(s in m for s in ("Unclosed", "destroyed but it is pending", "Event loop stopped"))]
    assert bad == [] and [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_closing_the_window_does_not_quit_the_application(loop: qasync.QEventLoop, qtbot, qapp, demo_server: DemoServer) -> None:
    assert qapp.quitOnLastWindowClosed()  # Qt's default, as pytest-qt leaves it
    window = create_window(demo_server)
    qtbot.addWidget(window)

    async def scenario() -> str:
        window.show()
        window.close()
        await window.wait_closed()
        await asyncio.sleep(0)  # one more turn: a quit would have stopped the loop by now
        return "loop still running"

    assert loop.run_until_complete(scenario()) == "loop still running"
    assert demo_server.running  # a server the window was given is not the window's to stop


def test_create_window_works_inside_qasync_run(qapp, demo_server: DemoServer) -> None:
    # qasync.run() swaps the global event loop policy for one that builds Qt loops; a window
    # that starts its own demo server must still get a working one (its thread needs a plain loop).
    async def scenario() -> RunSummary:
        window = create_window()
        try:
            set_urls(window, [f"{window.server.url}/delay/0.1", f"{demo_server.url}/bytes/10"])
            return await run_and_wait(window)
        finally:
            window.close()
            await window.wait_closed()

    summary = qasync.run(scenario())
    assert [r.state for r in summary.records] == [RequestState.DONE] * 2


def test_cancel_then_close_still_cleans_up_every_request(loop: qasync.QEventLoop, qtbot, demo_server: DemoServer) -> None:
    window = create_window(demo_server)
    qtbot.addWidget(window)
    set_urls(window, [f"{demo_server.url}/delay/10"] * 6)
    window.show()

    async def scenario() -> RunSummary:
        finished = asyncio.ensure_future(next_emission(window.run_finished, window.controls.run_button.click))
        await until(lambda: window.controller.running and window.controls.cancel_button.isEnabled())
        window.controls.cancel_button.click()
        window.close()  # before the cancellation has even been delivered
        await window.wait_closed()
        return await finished

    summary = loop.run_until_complete(scenario())
    assert [r.state for r in summary.records] == [RequestState.CANCELLED] * 6
    assert [t for t in asyncio.all_tasks(loop) if not t.done()] == []


def test_clicks_made_during_a_freeze_do_not_start_another_run(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    # Students click Run (and the toggle) while the window is frozen. Those clicks wait in the
    # queue; when the window comes back they must land on disabled buttons, not start a new freeze.
    # A queued click() models them: thread-safe, delivered in order once the GUI thread is free,
    # and ignored by a disabled button just as a real click is. (Synthetic QMouseEvents posted
    # from a test crash Qt 6 now and then: they bypass its pointer-grab bookkeeping.)
    set_urls(lab, [f"{demo_server.url}/delay/0.2"] * 2)
    lab.controls.mode_toggle.click()
    finished: list[RunSummary] = []
    lab.run_finished.connect(finished.append)

    def queue_clicks() -> None:
        for button in (lab.controls.run_button, lab.controls.mode_toggle):
            QMetaObject.invokeMethod(button, "click", Qt.ConnectionType.QueuedConnection)

    def impatient_student(run) -> None:  # another thread: the GUI thread is frozen
        while not run.records or run.records[0].started is None:  # checked, then started
            time.sleep(0.001)
        queue_clicks()

    # Input can also reach the window just after the freeze (the windowing system delivers it
    # a little later, in no guaranteed order with the run's end): the same clicks, again.
    lab.run_finished.connect(lambda _summary: queue_clicks())

    async def scenario() -> None:
        lab.controls.run_button.click()
        student = threading.Thread(target=impatient_student, args=(lab.controller.active_run,))
        student.start()
        await until(lambda: finished)
        student.join()
        await until(lambda: lab.controls.run_button.isEnabled(), timeout=2.0)

    loop.run_until_complete(scenario())
    assert len(finished) == 1 and not lab.controller.running
    assert lab.controls.mode_toggle.isChecked()  # the queued toggle clicks were ignored too


def test_run_finished_is_emitted_exactly_once_when_cancelled_or_closed(loop: qasync.QEventLoop, qtbot, demo_server: DemoServer) -> None:
    window = create_window(demo_server)
    qtbot.addWidget(window)
    seen: list[RunSummary] = []
    window.run_finished.connect(seen.append)
    set_urls(window, [f"{demo_server.url}/delay/10"] * 3)

    async def scenario() -> None:
        window.controls.run_button.click()
        # Cancel before the run's task has taken a single step: its coroutine never starts,
        # and the run must still end (once) and say so.
        assert window.controls.cancel_button.isEnabled()
        window.controls.cancel_button.click()
        await until(lambda: len(seen) == 1)
        window.controls.run_button.click()
        await until(lambda: window.controller.running)
        window.close()
        await window.wait_closed()
        for _ in range(5):  # a few more turns of the loop, for any late second emission
            await asyncio.sleep(0)

    loop.run_until_complete(scenario())
    assert [s.outcome for s in seen] == [RunOutcome.CANCELLED, RunOutcome.CANCELLED]
    assert len({s.run_id for s in seen}) == 2


def test_a_window_deleted_on_close_mid_run_still_cleans_up(loop: qasync.QEventLoop, qtbot, demo_server: DemoServer) -> None:
    window = create_window(demo_server)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    controller = window.controller
    set_urls(window, [f"{demo_server.url}/delay/10"] * 3)
    window.show()

    async def scenario() -> None:
        window.controls.run_button.click()
        await until(lambda: controller._async_session is not None and controller.running)
        session = controller._async_session
        window.close()  # Qt deletes the window's C++ side on the next turn of the loop
        await window.wait_closed()
        assert session.closed

    loop.run_until_complete(scenario())
    assert controller.closed and not controller.running


def test_closing_right_after_run_ends_that_run_and_releases_everything(loop: qasync.QEventLoop, qtbot, demo_server: DemoServer) -> None:
    window = create_window(demo_server)
    qtbot.addWidget(window)
    seen: list[RunSummary] = []
    window.run_finished.connect(seen.append)

    async def scenario() -> None:
        window.controls.run_button.click()
        window.close()  # in the same turn of the loop: the run's task has not started yet
        await window.wait_closed()

    loop.run_until_complete(scenario())
    assert [s.outcome for s in seen] == [RunOutcome.CANCELLED]
    assert not window.controller.running
    assert [t for t in asyncio.all_tasks(loop) if not t.done()] == []


def test_starting_a_run_moves_focus_to_the_typing_box_not_into_a_setting(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    set_urls(lab, [f"{demo_server.url}/delay/0.1"])
    lab.activateWindow()
    lab.controls.run_button.setFocus()

    async def scenario() -> None:
        finished = asyncio.ensure_future(next_emission(lab.run_finished, lab.controls.run_button.click))
        await until(lambda: lab.controller.running)
        assert lab.focusWidget() is lab.liveness.typing_box
        await finished

    loop.run_until_complete(scenario())
    assert lab.controls.concurrency_spin.value() == 100


def test_the_chosen_rows_details_follow_the_request_to_its_end(lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    # Review find: a row chosen while its request was under way kept saying "Under way…".
    set_urls(lab, [f"{demo_server.url}/delay/0.3", f"{demo_server.url}/status/418"])
    lab.results.setCurrentWidget(lab.results.requests_panel)

    async def scenario() -> None:
        lab.start_run()
        await until(lambda: lab.results.results_table.model().rowCount() == 2, what="the rows")
        lab.results.results_table.selectRow(0)
        await until(lambda: "Under way" in lab.results.row_details.toPlainText(), what="the chosen row under way")
        await until(lambda: not lab.controller.running, timeout=10, what="the end of the run")

    loop.run_until_complete(scenario())
    details = lab.results.row_details.toPlainText()
    assert "Under way" not in details and "HTTP 200" in details and f"{demo_server.url}/delay/0.3" in details
