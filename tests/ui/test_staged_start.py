"""The lab as the app starts it: the window first, STARTING until what runs need has loaded.

``create_window(starting=True)`` is the window ``looplab`` shows before its first paint;
``controller.finish_starting()`` is what ``app.ui.startup.finish`` does once the rest is loaded.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt

from app.core.demo_server import DemoServer
from app.core.run import RequestState, RunOutcome
from app.ui import startup
from app.ui.controller import ControllerState
from app.ui.lab import create_window
from app.ui.main_window import MainWindow
from tests.ui.conftest import next_emission, until


@pytest.fixture
def starting_lab(loop: qasync.QEventLoop, qtbot: Any, demo_server: DemoServer) -> Any:
    window = create_window(demo_server, starting=True)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    loop.run_until_complete(window.wait_closed())


def test_a_starting_lab_looks_ready_and_its_controls_work(starting_lab: MainWindow) -> None:
    # The first frame is the lab as it will be: nothing greyed out while it starts.
    assert starting_lab.controller.state is ControllerState.STARTING
    controls = starting_lab.controls
    assert controls.run_button.isEnabled() and controls.mode_toggle.isEnabled() and controls.concurrency_spin.isEnabled()
    assert starting_lab.source.tabBar().isEnabled()
    assert starting_lab.server_label.text() == f"Demo server: {starting_lab.server.url}/"


def test_run_pressed_while_the_lab_starts_runs_once_it_is_ready(
    starting_lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    starting_lab.source.url_edit.setPlainText(f"{demo_server.url}/delay/0.1\n{demo_server.url}/bytes/10")
    controller, run_button = starting_lab.controller, starting_lab.controls.run_button

    async def scenario() -> None:
        qtbot.mouseClick(run_button, Qt.MouseButton.LeftButton)
        # Heard, not lost: Run waits for the lab (a second press changes nothing), no run yet.
        assert not run_button.isEnabled() and controller.active_run is None
        qtbot.mouseClick(run_button, Qt.MouseButton.LeftButton)
        started = await next_emission(controller.run_started, controller.finish_starting)
        summary = await next_emission(starting_lab.run_finished)
        assert summary.run_id == started.run_id and summary.outcome is RunOutcome.COMPLETED
        assert [record.url for record in summary.records] == [f"{demo_server.url}/delay/0.1", f"{demo_server.url}/bytes/10"]
        assert controller.state is ControllerState.IDLE and run_button.isEnabled()

    loop.run_until_complete(scenario())


def test_the_run_shortcut_while_starting_waits_too(starting_lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer) -> None:
    starting_lab.source.url_edit.setPlainText(f"{demo_server.url}/bytes/10")
    controller = starting_lab.controller

    async def scenario() -> None:
        starting_lab.named_actions["runAction"].trigger()  # Ctrl+Return
        assert controller.active_run is None
        summary = await next_emission(starting_lab.run_finished, controller.finish_starting)
        assert summary.outcome is RunOutcome.COMPLETED and len(summary.records) == 1

    loop.run_until_complete(scenario())


def test_a_lesson_is_got_ready_once_the_lab_has_started_not_before_the_first_paint(
    loop: qasync.QEventLoop, qtbot: Any, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = create_window(demo_server, lesson="cpu", starting=True)  # its process pool is started ahead
    qtbot.addWidget(window)
    try:
        assert window.controller._pool is None  # not before the lab has started
        window.controller.finish_starting()
        assert window.controller._pool is not None
    finally:
        window.close()
        loop.run_until_complete(window.wait_closed())


def test_a_lab_closed_while_it_starts_closes_cleanly_and_never_finishes_starting(starting_lab: MainWindow, loop: qasync.QEventLoop) -> None:
    controller = starting_lab.controller
    starting_lab.close()
    loop.run_until_complete(starting_lab.wait_closed())
    assert controller.closed
    controller.finish_starting()  # the background loading ends after the window closed
    assert controller.state is ControllerState.STARTING


# --- app.ui.startup.finish: what the app does after the first paint ---------------------------


@pytest.fixture
def listening_server() -> Any:
    server = DemoServer().listen()
    yield server
    server.stop()


def test_after_the_first_paint_the_server_starts_and_the_lab_gets_ready(
    loop: qasync.QEventLoop, qtbot: Any, listening_server: DemoServer
) -> None:
    window = create_window(listening_server, starting=True)
    qtbot.addWidget(window)
    milestones = startup.Milestones()

    async def scenario() -> None:
        painted = startup.first_frame(window)
        window.show()
        await startup.finish(window, listening_server, painted, milestones)

    try:
        loop.run_until_complete(scenario())
        assert window.controller.state is ControllerState.IDLE and listening_server.running
        assert milestones.first_paint is not None and milestones.server_ready is not None and milestones.lab_ready is not None
        assert milestones.first_paint < milestones.server_ready < milestones.lab_ready
        assert "aiohttp.web" in sys.modules and "app.core.fetch" in sys.modules
        summary = loop.run_until_complete(window.run_once())  # the demo URLs, from the server it started
        assert summary.outcome is RunOutcome.COMPLETED and all(r.state is RequestState.DONE for r in summary.records)
    finally:
        window.close()
        loop.run_until_complete(window.wait_closed())


def test_a_window_never_painted_gets_ready_anyway(
    loop: qasync.QEventLoop, qtbot: Any, listening_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(startup, "PAINT_PATIENCE", 0.05)  # minimised, or on another desktop
    window = create_window(listening_server, starting=True)
    qtbot.addWidget(window)
    milestones = startup.Milestones()
    try:
        loop.run_until_complete(startup.finish(window, listening_server, loop.create_future(), milestones))
        assert window.controller.state is ControllerState.IDLE and listening_server.running
        assert milestones.first_paint is None and milestones.lab_ready is not None
    finally:
        window.close()
        loop.run_until_complete(window.wait_closed())


def test_closing_while_the_rest_loads_waits_for_the_loading_thread(
    loop: qasync.QEventLoop, qtbot: Any, listening_server: DemoServer
) -> None:
    window = create_window(listening_server, starting=True)
    qtbot.addWidget(window)
    painted = loop.create_future()
    painted.set_result(0.0)
    milestones = startup.Milestones()

    async def scenario() -> None:
        finishing = asyncio.ensure_future(startup.finish(window, listening_server, painted, milestones))
        await until(lambda: any(t.name == "looplab-start-up" for t in threading.enumerate()), what="the loading thread")
        window.close()  # as main() does when the window closes: cancel, then wait
        await window.wait_closed()
        finishing.cancel()
        await asyncio.gather(finishing, return_exceptions=True)
        # Cancelled (or, on a fast day, already done): either way its work was done first, so
        # the server it was starting can be stopped now (main() stops it right after).
        assert listening_server.running
        await until(lambda: not any(t.name == "looplab-start-up" for t in threading.enumerate()), what="the thread gone")
        assert window.controller.state is ControllerState.STARTING  # closed: it never got ready

    loop.run_until_complete(scenario())
