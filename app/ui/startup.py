"""Start-up in two stages: the window paints first, what runs need loads right after.

Before the first paint (``app.main.run_lab``): Qt, the event loop, the demo server's socket (bound,
so its address is known: :meth:`~app.core.demo_server.DemoServer.listen`) and the window, built
from light modules only; the controller is :attr:`~app.ui.controller.ControllerState.STARTING`.
After the first frame, :func:`finish` loads the rest without holding up the window:

1. on a worker thread: the demo server starts (its own thread imports aiohttp.web and serves on
   the socket bound before); then aiohttp, the trust store and the other modules only
   runs, exports, the code editor's colours and Help > About need are imported
   (:data:`BACKGROUND_MODULES`, all Qt-free), Pygments' rules are built and the TLS context is made;
2. on the GUI thread: the controller takes the TLS context and becomes idle. A Run pressed in
   the meantime starts now (``app.ui.panels.controls``).

Python imports on another thread safely; Qt objects are only ever made on the GUI thread, and
the modules that define Qt classes are loaded there: before the first paint (each is light: what
is heavy in them is imported where it is used), or, for the code editor's highlighter, when the
code is first shown (``app.ui.widgets.code_view``), its Pygments half loaded here. While the worker imports, the GUI thread waits at
most Python's switch interval (5 ms) for the interpreter at each paint and heartbeat tick:
measured here, the longest tick lateness after the first paint is 8-17 ms, within a frame or
so, and no better with a 1 ms interval.

Measured: ``looplab --startup-report SECONDS`` (hidden) opens the lab as usual, watches it for
``SECONDS`` after its first frame (and until it is ready), prints one line
``LOOPLAB-STARTUP {json}`` and closes the window. ``bench/startup_bench.py`` and
``tests/test_startup.py`` read it. Every time in it is ``time.monotonic()`` (``CLOCK_MONOTONIC``
on Linux: one clock for every process of the machine), so the parent process can subtract the
moment it started this one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import importlib
import json
import logging
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from app.core.lag import HeartbeatLog
from app.i18n import _

if TYPE_CHECKING:
    from app.core.demo_server import DemoServer
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKGROUND_MODULES = (
    "aiohttp",
    "app.core.fetch",  # aiohttp, truststore, certifi (requests loads with the blocking mode: LabController.prepare)
    "app.core.faults",
    "app.core.export",
    "importlib.metadata",  # Help > About's versions
    "app.core.python_lexing",  # Pygments, for the code editor's colours (its rules: see _load)
)
"""Modules that only runs, exports, the code editor's colours and Help > About need, imported
where they are used: here they are loaded first, on a worker thread, so those imports never load
anything in a slot."""
PAINT_PATIENCE = 1.0
"""Seconds :func:`finish` waits for the first paint before it loads the rest anyway."""
REPORT_PREFIX = "LOOPLAB-STARTUP "
AFTER_READY = 0.25
"""The report watches at least this long after the lab is ready."""
WATCHED_MODULES = (
    "aiohttp.web", "app.core.demo_app", *BACKGROUND_MODULES, "truststore", "pygments", "app.ui.widgets.highlighter", "requests",
)  # fmt: skip
"""The heavy modules the report says were (or were not yet) loaded when the first frame was painted."""


@dataclass
class Milestones:
    """When start-up reached each of its steps (``time.monotonic()``), and what was loaded by the first frame and when ready."""

    first_paint: float | None = None
    server_ready: float | None = None
    lab_ready: float | None = None
    modules_at_first_paint: list[str] = field(default_factory=list)
    modules_when_ready: list[str] = field(default_factory=list)

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


async def finish(window: MainWindow, server: DemoServer, painted: asyncio.Future[float], milestones: Milestones) -> None:
    """Once ``painted`` (:func:`first_frame`), starts the demo server and loads the rest (see the
    module's docstring), then leaves the lab ready. What fails is reported in the window's banner.
    A window the window system does not paint (minimised, on another desktop) gets
    :data:`PAINT_PATIENCE` seconds. Cancelled once the worker has started, this returns (raises)
    only when the worker is done: a thread cannot be stopped, and the demo server it may be
    starting must be stopped after that."""

    def on_painted(painted: asyncio.Future[float]) -> None:
        if not painted.cancelled():
            milestones.first_paint = painted.result()
            milestones.modules_at_first_paint = loaded()

    painted.add_done_callback(on_painted)
    try:
        await asyncio.wait_for(asyncio.shield(painted), PAINT_PATIENCE)
    except TimeoutError:
        log.info("The window was not painted within %g s (minimised?): loading the rest anyway", PAINT_PATIENCE)
    try:
        ssl_context, server_error = await _off_the_gui_thread(_load, server, milestones)
    except Exception as exc:  # noqa: BLE001 - an install that lost a module: said, not a crash
        window.reporter.report(_("LoopLab could not load what runs need"), exc)
        return
    window.controller.finish_starting(ssl_context)
    milestones.mark("lab_ready")
    milestones.modules_when_ready = loaded()
    if server_error is not None:  # URL lists still run; lessons need the server
        window.reporter.report(_("The demo server could not start at {url}").format(url=server.url), server_error)


def _load(server: DemoServer, milestones: Milestones) -> tuple[ssl.SSLContext, Exception | None]:
    """The worker thread's part: the demo server, then the modules runs need, and the TLS context."""
    import sysconfig

    server_error = None
    try:
        server.start()  # returns once it serves; aiohttp.web is imported on the server's own thread
        milestones.mark("server_ready")
    except Exception as exc:  # noqa: BLE001 - reported by finish(), on the GUI thread
        server_error = exc
    for name in BACKGROUND_MODULES:
        importlib.import_module(name)
    sysconfig.get_paths()  # read and cached here: the X-ray asks it what is library code
    from app.core import fetch, python_lexing

    python_lexing.python_lexer()  # the first lexer builds Pygments' rules (~30 ms), not the click that shows the code

    return fetch.make_ssl_context(), server_error  # the context loads the trust store's certificates


async def _off_the_gui_thread(work: Callable[..., T], *args: object) -> T:
    """Runs ``work(*args)`` on a thread of its own and returns its result. Cancelled, it waits
    for the thread to end first (see :func:`finish`)."""
    done: concurrent.futures.Future[T] = concurrent.futures.Future()

    def worker() -> None:
        try:
            done.set_result(work(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread, which reports it
            done.set_exception(exc)

    threading.Thread(target=worker, name="looplab-start-up", daemon=True).start()
    waiting = asyncio.wrap_future(done)
    try:
        return await asyncio.shield(waiting)
    except asyncio.CancelledError:
        await asyncio.gather(waiting, return_exceptions=True)
        raise


async def report(milestones: Milestones, heartbeat_log: HeartbeatLog, watch: float) -> int:
    """Waits ``watch`` seconds after the first frame (and until the lab is ready), then prints the
    report line: the milestones, what the first frame found loaded, and the heartbeat's longest
    lateness over that time (the hitches start-up caused after the first paint), with the longest
    garbage collection in it; then, as a control, the longest lateness over as long again with
    nothing loading (what the machine itself costs: on a busy one, the scheduler's delays).
    Returns 0."""
    collections: list[tuple[float, float]] = []  # (started, seconds), time.monotonic()

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collections.append((time.monotonic(), 0.0))
        elif collections:
            started = collections[-1][0]
            collections[-1] = (started, time.monotonic() - started)

    gc.callbacks.append(on_gc)
    try:
        while milestones.first_paint is None or milestones.lab_ready is None:
            await asyncio.sleep(0.05)
        # A moment past "ready" too: the start-up heap is collected and frozen right after it.
        end = max(milestones.first_paint + watch, milestones.lab_ready + AFTER_READY)
        await asyncio.sleep(max(0.0, end - time.monotonic()))
    finally:
        gc.callbacks.remove(on_gc)
    control_end = end + watch
    await asyncio.sleep(max(0.0, control_end - time.monotonic()))
    # The heartbeat's log is on perf_counter, which is CLOCK_MONOTONIC too on Linux; converted
    # anyway, so the report stays right where the two differ.
    shift = time.perf_counter() - time.monotonic()
    lateness = heartbeat_log.longest_lateness(milestones.first_paint + shift, end + shift)
    data = {
        "first_paint": milestones.first_paint,
        "server_ready": milestones.server_ready,
        "lab_ready": milestones.lab_ready,
        "watched": end - milestones.first_paint,
        "longest_lateness": lateness,
        "longest_collection": max((s for at, s in collections if at >= milestones.first_paint), default=0.0),
        "longest_lateness_idle": heartbeat_log.longest_lateness(end + shift, control_end + shift) if watch else None,
        "modules_at_first_paint": milestones.modules_at_first_paint,
        "modules_when_ready": milestones.modules_when_ready,
    }
    print(REPORT_PREFIX + json.dumps(data), flush=True)
    return 0


def loaded(names: tuple[str, ...] = WATCHED_MODULES) -> list[str]:
    return [name for name in names if name in sys.modules]
