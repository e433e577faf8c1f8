"""Start-up, measured: when the window's first frame is painted, and the report the start-up bench reads.

``looplab --startup-report SECONDS`` (hidden) opens the lab as usual, watches it for ``SECONDS``
after its first frame, prints one line ``LOOPLAB-STARTUP {json}`` and closes the window.
``bench/startup_bench.py`` and ``tests/test_startup.py`` read it. Every time in it is
``time.monotonic()`` (``CLOCK_MONOTONIC`` on Linux: one clock for every process of the machine),
so the parent process can subtract the moment it started this one.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from app.core.lag import HeartbeatLog

REPORT_PREFIX = "LOOPLAB-STARTUP "
WATCHED_MODULES = (
    "aiohttp",
    "aiohttp.web",
    "app.core.demo_app",
    "requests",
    "truststore",
    "app.core.fetch",
    "app.core.export",
    "app.ui.exporting",
    "app.ui.dialogs",
)
"""Modules the report says were (or were not yet) loaded when the first frame was painted."""


@dataclass
class Milestones:
    """When start-up reached each of its steps (``time.monotonic()``), and what was loaded by the first frame."""

    first_paint: float | None = None
    server_ready: float | None = None
    lab_ready: float | None = None
    modules_at_first_paint: list[str] = field(default_factory=list)

    def mark(self, name: str) -> None:
        setattr(self, name, time.monotonic())


class _FirstFrame(QObject):
    """Watches a window for its first paint event; once that frame is done, resolves ``done``."""

    def __init__(self, window: QWidget, done: asyncio.Future[float]) -> None:
        super().__init__(window)
        self._window, self._done, self._seen = window, done, False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._window and event.type() == QEvent.Type.Paint and not self._seen:
            self._seen = True
            # The window is painted first, its children right after, in the same pass: a zero
            # timer fires once the whole frame has been painted and handed to the window system.
            QTimer.singleShot(0, self._on_frame_done)
        return False

    def _on_frame_done(self) -> None:
        self._window.removeEventFilter(self)
        if not self._done.done():
            self._done.set_result(time.monotonic())
        self.deleteLater()


def first_frame(window: QWidget) -> asyncio.Future[float]:
    """A future that resolves (with ``time.monotonic()``) once ``window``'s first frame is painted.
    Call it before ``window.show()``."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    _FirstFrame(window, done)
    return done


async def report(milestones: Milestones, heartbeat_log: HeartbeatLog, watch: float) -> int:
    """Waits ``watch`` seconds after the first frame (and until the lab is ready), then prints the
    report line: the milestones, what the first frame found loaded, and the heartbeat's longest
    lateness over that time (the hitches start-up caused after the first paint). Returns 0."""
    assert milestones.first_paint is not None
    while milestones.lab_ready is None or milestones.server_ready is None:
        await asyncio.sleep(0.05)
    end = max(milestones.first_paint + watch, milestones.lab_ready)
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    # The heartbeat's log is on perf_counter, which is CLOCK_MONOTONIC too on Linux; converted
    # anyway, so the report stays right where the two differ.
    shift = time.perf_counter() - time.monotonic()
    start, stop = milestones.first_paint + shift, end + shift
    lateness = heartbeat_log.longest_lateness(start, stop)
    data = {
        "first_paint": milestones.first_paint,
        "server_ready": milestones.server_ready,
        "lab_ready": milestones.lab_ready,
        "watched": end - milestones.first_paint,
        "longest_lateness": lateness,
        "modules_at_first_paint": milestones.modules_at_first_paint,
    }
    print(REPORT_PREFIX + json.dumps(data), flush=True)
    return 0


def loaded(names: tuple[str, ...] = WATCHED_MODULES) -> list[str]:
    return [name for name in names if name in sys.modules]
