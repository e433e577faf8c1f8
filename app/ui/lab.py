"""Building the lab window, fully wired: the one way to make one (the app, tests, scripts, the bench)."""

from __future__ import annotations

import logging
import os

from PySide6.QtGui import QIcon

from app import resources
from app.core.demo_server import DemoServer
from app.core.net import exempt_loopback_from_proxies
from app.ui.controller import LabController
from app.ui.errors import ErrorReporter
from app.ui.heartbeat import Heartbeat
from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def create_window(
    server: DemoServer | None = None, reporter: ErrorReporter | None = None, *, lesson: str | None = None, starting: bool = False
) -> MainWindow:
    """Builds the fully wired lab window.

    The caller owns the ``QApplication`` and has set a ``qasync.QEventLoop`` as the current event
    loop. Without ``server`` the window starts its own demo server and stops it when it closes.
    ``lesson`` opens it on that lesson (an id from ``app.core.lessons.LESSON_IDS``).
    The window is ready to run at once, unless ``starting`` (the app: its controller is
    STARTING until :func:`app.ui.startup.finish` has loaded what runs need, after the first paint).
    Closing the window cancels its runs and releases what it holds (``await window.wait_closed()``);
    it never quits the application.
    """
    if exempt_loopback_from_proxies(os.environ):
        log.info("A proxy is configured: added the loopback names to NO_PROXY, so lessons reach the demo server directly")

    owns_server = server is None
    server = server or DemoServer().start()
    owns_reporter = reporter is None
    reporter = reporter or ErrorReporter()
    heartbeat = Heartbeat()
    controller = LabController(heartbeat.log, reporter, watchdog=heartbeat.watchdog, guard=heartbeat.guard, starting=starting)
    window = MainWindow(controller, heartbeat, reporter, server, owns_server=owns_server)
    heartbeat.setParent(window)
    # The controller is deliberately not a Qt child of the window: if the window is deleted
    # right after closing (WA_DeleteOnClose), the controller must live on to finish its
    # clean-up (cancel the run, close the sessions). The window keeps it referenced.
    if owns_reporter:  # a caller's reporter may outlive the window (it can be the excepthook)
        reporter.setParent(window)
    # The fonts, style sheet and presentation mode are the window's own (app.ui.presentation).
    window.setWindowIcon(QIcon(str(resources.path("looplab.svg"))))
    if lesson:
        window.source.open_lesson(lesson)
    return window
