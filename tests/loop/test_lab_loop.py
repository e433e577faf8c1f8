"""What LabLoop adds to asyncio's semantics: it shares the GUI thread with Qt, politely."""

from __future__ import annotations

import asyncio
import gc
import itertools
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
    qt_objects = [loop._clock, loop._waker, loop._timer]
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
