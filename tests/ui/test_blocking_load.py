"""The blocking mode's requests loads when the mode is first wanted, off the GUI thread, and never
inside a run's measurement (app.ui.controller: LabController.prepare and BlockingMode).

Each scenario runs in a fresh interpreter: this one has long since imported requests. There,
importing requests is made to take :data:`IMPORT_DELAY` seconds (a finder that sleeps first), so
an import on the GUI thread, or inside the run's clock, would show in the figures checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import qasync

from app.core.demo_server import DemoServer
from app.core.run import RequestState, RunOutcome
from app.ui import controller
from app.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
IMPORT_DELAY = 1.5
"""Seconds the child's import of requests is made to take."""

CHILD = """
import asyncio, importlib.abc, json, sys, time

DELAY = float(sys.argv[1])
RUN_AT_ONCE = sys.argv[2] == "run-at-once"


class SlowRequests(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "requests":
            time.sleep(DELAY)  # a slow disk, a cold cache: the GIL is free meanwhile, as in an import's reads
        return None


sys.meta_path.insert(0, SlowRequests())

from PySide6.QtWidgets import QApplication

from app.core.demo_server import DemoServer
from app.ui import fast_loop
from app.ui.lab import create_window

app = QApplication(sys.argv[:1])
server = DemoServer().start()
seen = {}


async def scenario():
    window = create_window(server)  # ready at once: aiohttp, not requests
    started = time.perf_counter()
    seen["loaded_when_ready"] = "requests" in sys.modules
    window.show()
    window.source.url_edit.setPlainText(f"{server.url}/get")
    window.controls.mode_toggle.click()  # Sync: blocking
    if not RUN_AT_ONCE:
        deadline = time.monotonic() + 10 * DELAY
        while "requests" not in sys.modules and time.monotonic() < deadline:  # the toggle alone loads it
            await asyncio.sleep(0.02)
        seen["loaded_without_run"] = "requests" in sys.modules
        await window.controller.blocking.load()  # all of it, before Run
    summary = await window.run_once()
    seen["state"] = summary.records[0].state.name
    seen["wall_time"] = summary.wall_time
    seen["longest_freeze"] = summary.longest_freeze
    seen["longest_lateness"] = window.heartbeat.log.longest_lateness(started, time.perf_counter())  # the whole scenario
    window.close()
    await window.wait_closed()


try:
    fast_loop.run(scenario())
finally:
    server.stop()
print("RESULT " + json.dumps(seen), flush=True)
"""


def run_child(mode: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(IMPORT_DELAY), mode], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


@pytest.mark.parametrize("mode", ["toggle-then-wait", "run-at-once"])
def test_requests_loads_with_the_blocking_mode_off_the_gui_thread_and_outside_the_run(mode: str) -> None:
    seen = run_child(mode)
    assert seen["loaded_when_ready"] is False, seen  # an async-only lab never loads it
    if mode == "toggle-then-wait":
        assert seen["loaded_without_run"] is True, seen  # flipping the toggle is enough
    assert seen["state"] == "DONE", seen
    # The slow import happened neither inside the run's time nor on the GUI thread: a loopback
    # /get takes milliseconds, so the run and its freeze are far shorter than the import.
    assert seen["wall_time"] < IMPORT_DELAY / 2, seen
    assert seen["longest_freeze"] < IMPORT_DELAY / 2, seen
    assert seen["longest_lateness"] < IMPORT_DELAY / 2, seen  # the window never waited for the import


def test_a_blocking_mode_that_cannot_load_says_so_and_the_run_fails_with_it(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An install that lost requests: the banner says it in words, and the run ends failed with the
    # import's own message, rather than a click that does nothing.
    monkeypatch.setattr(controller, "BLOCKING_MODULE", "app.core.no_such_blocking_module")
    lab.source.url_edit.setPlainText(f"{demo_server.url}/get")
    lab.controls.mode_toggle.click()  # starts loading it, and fails
    summary = loop.run_until_complete(lab.run_once())
    assert summary.outcome is RunOutcome.FAILED
    assert "No module named 'app.core.no_such_blocking_module'" in summary.error, summary.error
    assert lab.banner.isVisible()
    assert lab.banner.message.text().startswith("LoopLab could not load what runs need"), lab.banner.message.text()
    # Once it can load (the module is back), the next run works: the failure was not kept.
    monkeypatch.setattr(controller, "BLOCKING_MODULE", "app.core.blocking")
    summary = loop.run_until_complete(lab.run_once())
    assert summary.outcome is RunOutcome.COMPLETED and summary.records[0].state is RequestState.DONE
