"""Fixtures for window tests: a LabLoop per test, the lab window, and ways to wait for things.

Scenarios run as coroutines with ``loop.run_until_complete(scenario())``. Inside them, wait
with :func:`until` or :func:`next_emission`; ``qtbot.waitUntil`` cannot run inside a task.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QObject, Qt, QTimer, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from app import i18n
from app.core.demo_server import DemoServer
from app.core.run import parse_duration
from app.ui import translations
from app.ui.actions import export_action_name
from app.ui.exporting import FORMATS
from app.ui.fast_loop import LabLoop
from app.ui.lab import create_window
from app.ui.main_window import MainWindow

UNANSWERED_DIALOG_MS = 5000


@pytest.fixture(autouse=True)
def _collect_the_last_tests_garbage() -> None:
    """Frees the previous test's closed loop and windows here, on the GUI thread (see
    _cyclic_gc_only_on_the_gui_thread in tests/conftest.py for why it matters)."""
    gc.collect()


@pytest.fixture(autouse=True)
def _no_unanswered_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal ``exec()`` that nobody answers would hang the suite until CI's time runs out: after
    a few seconds it is closed and the test fails. Tests replace the asking function (e.g.
    ``lab.exporter.confirm_replace``) or answer the box from a timer."""
    real_execs = {QDialog: QDialog.exec, QMessageBox: QMessageBox.exec}

    def guarded(cls: type[QDialog]) -> Callable[..., int]:
        def exec_with_a_deadline(self: QDialog, *args: object) -> int:
            timed_out: list[bool] = []

            def give_up() -> None:
                timed_out.append(True)
                self.reject()

            QTimer.singleShot(UNANSWERED_DIALOG_MS, self, give_up)
            result = real_execs[cls](self, *args)
            if timed_out:
                raise AssertionError(f"a modal dialog nobody answered: {type(self).__name__} {self.windowTitle()!r}")
            return result

        return exec_with_a_deadline

    for cls in real_execs:
        monkeypatch.setattr(cls, "exec", guarded(cls))


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """A fresh LabLoop, as the app runs; the test fails if it leaves a task pending or an error unhandled."""
    event_loop = LabLoop(qapp)
    asyncio.set_event_loop(event_loop)
    unhandled: list[dict[str, Any]] = []
    event_loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    yield event_loop
    pending = [t for t in asyncio.all_tasks(event_loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        event_loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    event_loop.close()
    asyncio.set_event_loop(None)
    assert not pending, f"test left tasks pending: {pending}"
    assert not unhandled, f"unhandled errors in the event loop: {unhandled}"


@pytest.fixture
def lab(loop: qasync.QEventLoop, qtbot: Any, demo_server: DemoServer) -> Iterator[MainWindow]:
    """The lab window, shown, using the session's demo server; closed and released afterwards."""
    window = create_window(demo_server)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    loop.run_until_complete(window.wait_closed())


@pytest.fixture
def lab_in_language(
    request: pytest.FixtureRequest, loop: qasync.QEventLoop, qtbot: Any, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """The lab window built in the language ``request.param`` (e.g. "de", through LOOPLAB_LANG,
    as a classroom's computer would choose it); English again for the next test."""
    monkeypatch.setenv(i18n.ENV_VAR, request.param)
    try:
        window = create_window(demo_server)
        assert i18n.language() == request.param
        qtbot.addWidget(window)
        window.show()
        yield window
        window.close()
        loop.run_until_complete(window.wait_closed())
    finally:
        i18n.set_language(i18n.SOURCE_LANGUAGE)
        translations.install_qt_translations(i18n.SOURCE_LANGUAGE)


@pytest.fixture
def window_factory(loop: qasync.QEventLoop, qtbot: Any, demo_server: DemoServer) -> Iterator[Any]:
    """Opens lab windows ("a launch") on the session's demo server; closes any still open at the end."""
    opened: list[MainWindow] = []

    def launch() -> MainWindow:
        window = create_window(demo_server)
        qtbot.addWidget(window)
        window.show()
        opened.append(window)
        return window

    yield launch
    # pytest-qt has closed them and asked Qt to delete them (deleteLater) by now: close every
    # one before the loop runs again, then wait for their resources to be released.
    for window in opened:
        window.close()
    for window in opened:
        loop.run_until_complete(window.wait_closed())


def quit_lab(window: MainWindow, loop: qasync.QEventLoop) -> None:
    window.close()
    loop.run_until_complete(window.wait_closed())


async def until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Waits, letting the loop run, until ``predicate()`` is true; fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:g} s: {what or predicate}")
        await asyncio.sleep(0.005)


async def next_emission(signal: SignalInstance, trigger: Callable[[], object] | None = None, timeout: float = 10.0) -> Any:
    """Runs ``trigger`` and returns the first argument of the next emission of ``signal``."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def receive(*args: Any) -> None:
        if not future.done():
            future.set_result(args[0] if args else None)

    signal.connect(receive)
    try:
        if trigger is not None:
            trigger()
        return await asyncio.wait_for(future, timeout)
    finally:
        signal.disconnect(receive)


class TickProbe(QObject):
    """An independent heartbeat owned by the test: measures the GUI thread without the app's help."""

    def __init__(self, interval_ms: int = 16) -> None:
        super().__init__()
        self.ticks: list[float] = []
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks.append(time.perf_counter())
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def longest_gap(self, start: float = 0.0, end: float = float("inf")) -> float:
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:]) if b > start and a < end]
        return max(gaps, default=0.0)


def seconds(text: str) -> float:
    """Reads "2.04 s" or "850 ms" back into seconds."""
    return parse_duration(text)


def export_actions(window: MainWindow) -> dict[str, QAction]:
    """The window's File > Export actions, by format ("har", "csv", "png")."""
    return {f.kind: window.named_actions[export_action_name(f.kind)] for f in FORMATS}
