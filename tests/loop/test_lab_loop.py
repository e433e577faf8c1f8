"""What LabLoop adds to asyncio's semantics: it shares the GUI thread with Qt, politely."""

from __future__ import annotations

import asyncio
import gc
import itertools
import socket
import sys
import time
from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.core import gc_control
from app.ui import fast_loop
from app.ui.fast_loop import LabLoop


@pytest.fixture
def lab_loop(qapp: QApplication) -> Iterator[LabLoop]:
    loop = LabLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    if not loop.is_closed():
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    asyncio.set_event_loop(None)


def ticking(interval_ms: int = 10) -> tuple[QTimer, list[float]]:
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval_ms)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    return timer, ticks


def longest_gap(ticks: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(ticks)), default=0.0)


def test_a_flood_of_ready_callbacks_leaves_qt_its_turn(lab_loop: LabLoop) -> None:
    # 200 tasks that never wait for anything but sleep(0): on a loop without a budget the
    # GUI thread would only come back when they end.
    timer, ticks = ticking()

    async def spin(until: float) -> None:
        while time.perf_counter() < until:
            await asyncio.sleep(0)

    async def main() -> None:
        timer.start()
        until = time.perf_counter() + 0.6
        await asyncio.gather(*(spin(until) for _ in range(200)))
        timer.stop()

    lab_loop.run_until_complete(main())
    assert len(ticks) > 20
    assert longest_gap(ticks) < 0.1  # typically ~12 ms: the 10 ms tick plus one 8 ms batch at worst


def test_a_thousand_sleeping_tasks_share_one_qt_timer(lab_loop: LabLoop) -> None:
    starts: list[int] = []
    real_start = lab_loop._clock.start
    lab_loop._clock.start = lambda ms: (starts.append(ms), real_start(ms))  # type: ignore[method-assign]

    async def main() -> None:
        await asyncio.gather(*(asyncio.sleep(0.05) for _ in range(1000)))

    lab_loop.run_until_complete(main())
    # qasync starts 1000 + one per task step. Here: one for the deadline, plus one zero-timer
    # start per batch the 1000 task steps take (more batches on a loaded machine): far below 1000.
    assert len(starts) < 100, starts


def test_callbacks_wait_while_qt_runs_without_the_loop(lab_loop: LabLoop) -> None:
    calls: list[str] = []
    lab_loop.call_soon(calls.append, "soon")
    lab_loop.call_later(0.001, calls.append, "later")
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()  # e.g. qtbot waiting, between two run_until_complete
    assert calls == []
    lab_loop.run_until_complete(asyncio.sleep(0.01))
    assert calls == ["soon", "later"]


@pytest.mark.skipif(not fast_loop._SELECTOR_IO, reason="one epoll set for all sockets: Linux only")
def test_a_ready_socket_waits_while_qt_runs_without_the_loop_and_does_not_spin(
    lab_loop: LabLoop,
) -> None:
    # The epoll set stays readable until it is polled: outside run_forever, its notifier must
    # go quiet (not fire on every Qt turn) and the reader must wait for the loop.
    reading, writing = socket.socketpair()
    reading.setblocking(False)
    got: list[bytes] = []
    lab_loop.add_reader(reading, lambda: got.append(reading.recv(100)))
    lab_loop.run_until_complete(asyncio.sleep(0))
    wakes = 0
    sockets = lab_loop._sockets
    original = sockets._on_ready

    def counted() -> None:
        nonlocal wakes
        wakes += 1
        original()

    sockets.notifier.activated.disconnect()
    sockets.notifier.activated.connect(counted)
    writing.send(b"hello")
    for _ in range(200):
        QCoreApplication.processEvents()  # e.g. qtbot waiting, between two run_until_complete
    assert got == []
    assert wakes <= 1
    lab_loop.run_until_complete(asyncio.sleep(0.01))
    assert got == [b"hello"]
    lab_loop.remove_reader(reading)
    reading.close()
    writing.close()


@pytest.mark.skipif(not fast_loop._SELECTOR_IO, reason="one epoll set for all sockets: Linux only")
def test_two_hundred_connections_share_one_qt_notifier(lab_loop: LabLoop) -> None:
    # qasync's way is a QSocketNotifier per socket, which Qt's own poll walks on every turn.
    from PySide6.QtCore import QSocketNotifier

    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pairs = [await asyncio.open_connection("127.0.0.1", port) for _ in range(200)]
        # (type(), not isinstance: a wrapper whose Qt object is gone fails on any attribute)
        notifiers = [o for o in gc.get_objects() if type(o) is QSocketNotifier and shiboken6.isValid(o) and o.isEnabled()]
        assert len(notifiers) == 1, len(notifiers)  # the loop's (qasync: 402 for 200 connections)
        for _reader, writer in pairs:
            writer.close()
        server.close()
        await server.wait_closed()

    lab_loop.run_until_complete(main())


def test_a_nested_qt_loop_in_a_callback_keeps_asyncio_going(lab_loop: LabLoop) -> None:
    # A modal dialog's exec() inside a callback: asyncio's other callbacks and timers go on, as
    # they do with qasync (only task steps cannot, asyncio forbids entering another task).
    seen: list[str] = []

    def modal() -> None:
        nested = QEventLoop()
        lab_loop.call_soon(seen.append, "soon, inside the modal")
        lab_loop.call_later(0.02, lambda: (seen.append("timer, inside the modal"), nested.quit()))
        nested.exec()
        seen.append("modal closed")

    async def main() -> None:
        lab_loop.call_soon(modal)
        await asyncio.sleep(0.1)

    lab_loop.run_until_complete(main())
    assert seen == ["soon, inside the modal", "timer, inside the modal", "modal closed"]


def test_closing_frees_the_loops_qt_objects_on_the_gui_thread(qapp: QApplication) -> None:
    loop = LabLoop(qapp)
    loop.run_until_complete(asyncio.sleep(0.01))
    qt_objects = [loop._clock, loop._waker, loop._timer, *([loop._sockets.notifier] if fast_loop._SELECTOR_IO else [])]
    loop.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not any(shiboken6.isValid(o) for o in qt_objects)


def test_precise_timers_without_the_monkey_patch(lab_loop: LabLoop) -> None:
    import qasync
    from PySide6.QtCore import QObject

    assert qasync._SimpleTimer.startTimer is QObject.startTimer, "qasync is not patched: LabLoop's own clock is precise"

    async def timed(seconds: float) -> float:
        start = time.monotonic()
        await asyncio.sleep(seconds)
        return time.monotonic() - start

    for seconds in (0.0994, 0.5):
        took = lab_loop.run_until_complete(timed(seconds))
        assert seconds <= took < seconds + 0.05


def test_run_leaves_the_loop_policy_alone_so_threads_make_plain_loops(qapp: QApplication) -> None:
    # qasync.run() on Python 3.11 installs a global policy: asyncio.run() on another thread then
    # builds a Qt loop and fails (STYLE.md). fast_loop.run() does not.
    policy = asyncio.get_event_loop_policy()

    async def main() -> tuple[str, bool]:
        in_thread = await asyncio.to_thread(lambda: asyncio.run(asyncio.sleep(0, "a plain loop")))
        return in_thread, isinstance(asyncio.get_running_loop(), LabLoop)

    assert fast_loop.run(main()) == ("a plain loop", True)
    assert asyncio.get_event_loop_policy() is policy


def test_a_callback_that_spins_qt_events_does_not_break_the_round(lab_loop: LabLoop, qapp: QApplication) -> None:
    # Review find: a nested Qt loop (processEvents, a short dialog) drained the rest of the round,
    # and the outer drain then popped an empty deque: IndexError into Qt.
    seen: list[str] = []
    errors: list[dict[str, object]] = []
    lab_loop.set_exception_handler(lambda _loop, context: errors.append(context))
    hooked: list[BaseException] = []
    old_hook = sys.excepthook
    sys.excepthook = lambda _t, value, _tb: hooked.append(value)
    try:

        async def main() -> None:
            lab_loop.call_soon(qapp.processEvents)
            lab_loop.call_soon(seen.append, "a")
            lab_loop.call_soon(seen.append, "b")
            await asyncio.sleep(0.05)

        lab_loop.run_until_complete(main())
    finally:
        sys.excepthook = old_hook
    assert seen == ["a", "b"]
    assert hooked == [] and errors == []


def test_gc_holds_from_the_pacer_and_the_watchdog_nest() -> None:
    # Review find: two parties switching the one process-wide GC flag raced (collection back on
    # in the middle of a run, or off for good after it).
    was = gc.isenabled()
    gc.enable()
    try:
        gc_control.hold()  # the pacer, for a run
        with gc_control.held():  # the watchdog, around a sample
            assert not gc.isenabled()
        assert not gc.isenabled()  # the watchdog's release does not switch it back on mid-run
        gc_control.release()
        assert gc.isenabled() and gc_control.holds() == 0  # the last release puts it back
        gc_control.release()  # an extra release changes nothing
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()


def test_the_xray_times_lab_loops_batches_instead_of_every_callback(lab_loop: LabLoop) -> None:
    # The X-ray's loop lane on LabLoop: one stretch a batch (LabLoop.callback_times), not a
    # patched Handle._run around each callback; a 30 ms callback is one 30 ms stretch.
    from app.core import task_trace

    origin = time.perf_counter()
    tracer = task_trace.TaskTracer(lambda: time.perf_counter() - origin)

    def spin(seconds: float) -> None:
        until = time.perf_counter() + seconds
        while time.perf_counter() < until:
            pass

    async def main() -> None:
        tracer.install(lab_loop)
        assert asyncio.events.Handle._run is not task_trace._timed_handle_run
        assert lab_loop.callback_times.busy is not None
        await asyncio.sleep(0.05)
        lab_loop.call_soon(spin, 0.03)
        await asyncio.sleep(0.1)
        tracer.uninstall()
        assert lab_loop.callback_times.busy is None

    lab_loop.run_until_complete(main())
    trace = tracer.finish()
    assert any(end - start >= 0.03 for start, end in trace.busy), trace.busy
    assert trace.busy_share(0, 0.18) < 0.5  # the sleeps are idle, not busy


def test_the_batch_that_ends_the_xray_still_counts_in_its_loop_lane(lab_loop: LabLoop) -> None:
    # The controller finishes its tracer in a done-callback, inside a batch: the work of that
    # batch up to there (the run's last steps, shorter than the batch budget) is in the lane.
    from app.core import task_trace

    origin = time.perf_counter()
    tracer = task_trace.TaskTracer(lambda: time.perf_counter() - origin)
    traces: list[task_trace.TaskTrace] = []
    spin = lab_loop.batch_budget / 2

    async def last_steps() -> None:
        await asyncio.sleep(0.05)
        until = time.perf_counter() + spin
        while time.perf_counter() < until:
            pass

    async def main() -> None:
        tracer.install(lab_loop)
        task = asyncio.ensure_future(last_steps())
        task.add_done_callback(lambda _task: traces.append(tracer.finish()))
        await task
        await asyncio.sleep(0)

    lab_loop.run_until_complete(main())
    (trace,) = traces
    assert any(end - start >= spin and start >= 0.045 for start, end in trace.busy), trace.busy
