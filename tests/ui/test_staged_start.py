"""The lab as the app starts it: the window first, STARTING until what runs need has loaded.

``create_window(starting=True)`` is the window ``looplab`` shows before its first paint;
``controller.finish_starting()`` is what ``app.ui.startup.finish`` does once the rest is loaded.
"""

from __future__ import annotations

from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt

import app.ui.controller
from app.core.demo_server import DemoServer
from app.core.lessons import compile_main
from app.core.run import RunOutcome
from app.ui.controller import ControllerState
from app.ui.lab import create_window
from app.ui.main_window import MainWindow
from tests.ui.conftest import next_emission


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
    compiled: list[str] = []

    def spy(source: str, lesson_id: str) -> Any:
        compiled.append(lesson_id)
        return compile_main(source, lesson_id)

    monkeypatch.setattr(app.ui.controller, "compile_main", spy)
    window = create_window(demo_server, lesson="cpu", starting=True)  # its process pool is started ahead
    qtbot.addWidget(window)
    try:
        assert compiled == []
        window.controller.finish_starting()
        assert compiled == ["cpu"]
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
