"""Starting LoopLab: the command line, and the lab's start-up in one function.

``looplab``                        opens the lab (with its built-in demo server)
``looplab --lesson ID``            opens the lab on a lesson (sleep, sequential, gather, ...)
``looplab --screenshot PATH``      opens the lab, runs the demo once, saves the window as a PNG, exits
``looplab serve [--host --port]``  runs only the demo server, in the foreground
``looplab doctor [--host --port]`` checks that LoopLab can run on this computer
``looplab --version`` / ``--help``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import logging.handlers
import os
import sys
import threading
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import __version__, i18n
from app.core.demo_server import DemoServer, serve
from app.core.lessons import LESSON_IDS, LESSONS
from app.core.net import is_loopback
from app.i18n import _
from app.identity import APP_NAME, DESKTOP_ID, ORG_NAME

if TYPE_CHECKING:  # Qt is imported only on the paths that need it: `looplab serve` runs without it
    from app.ui.main_window import MainWindow

log = logging.getLogger("app")

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
SCREENSHOT_SHOW_TIMEOUT = 20.0
"""Seconds --screenshot waits for the window system to show the window."""


def run_lab(screenshot: Path | None = None, lesson: str | None = None, startup_report: float | None = None) -> int:
    """Opens the lab and runs until its window closes. Returns the exit status.

    1. Logging: warnings to stderr, everything from INFO to a rotating log file.
    2. Unexpected errors (slots, threads, the event loop) go to one reporter: logged and shown
       in the window's banner, never swallowed and never a crash.
    3. The ``QApplication`` and the event loop that runs asyncio inside Qt's loop: LoopLab's
       :class:`~app.ui.fast_loop.LabLoop`, a qasync loop that schedules as asyncio does.
    4. The demo server's socket, bound: its address is known; it serves from step 6.
    5. The window, built from light modules only, and shown: the first paint comes before
       anything else loads (issue 13). What is built is frozen out of the garbage collector's
       way (``gc.freeze``), and the collector runs only between the loop's batches, on the GUI
       thread (:class:`~app.ui.gc_pacer.GcPacer`).
    6. Right after the first frame, in the background (:func:`app.ui.startup.finish`): the demo
       server starts on its own thread and loop; aiohttp, the trust store and what else runs
       need are loaded (requests waits for the blocking mode's first use); the lab becomes
       ready to run (Run pressed earlier waits for it). Then the start-up heap is collected and
       frozen (:func:`freeze_startup_heap`).
    7. Run until the window closes, then shut down cleanly: runs cancelled, the HTTP sessions
       closed, the server thread stopped, remaining tasks cancelled by ``asyncio.run``.

    With ``screenshot``, step 7 is scripted: once the window system shows the window, the demo
    URLs run once (async), the window is saved as a PNG to that path and closed. With
    ``startup_report`` (seconds), it is measured: the window is watched that long after its first
    frame, the report is printed (:mod:`app.ui.startup`) and the window closed.
    """
    if problem := _display_problem():
        print(problem, file=sys.stderr)
        return 2
    try:
        from PySide6.QtCore import QCoreApplication
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QApplication

        from app.ui import fast_loop, startup
        from app.ui.errors import ErrorReporter
        from app.ui.gc_pacer import GcPacer
    except ImportError as exc:  # usually a system library Qt needs is missing
        print(_("LoopLab cannot load Qt: {error}").format(error=exc) + "\n" + _(_QT_LIBS_HINT), file=sys.stderr)
        return 1

    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    # Ties the window to looplab.desktop, so docks and task bars show LoopLab's icon and name.
    QGuiApplication.setDesktopFileName(DESKTOP_ID)
    log_file = setup_logging(_log_dir())
    log.info("LoopLab %s starting (Python %s); log file: %s", __version__, sys.version.split()[0], log_file)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    # Quitting is ours: we end the main coroutine when the window closes. Qt quitting on its own
    # stops the loop mid-future ("Event loop stopped before Future completed").
    app.setQuitOnLastWindowClosed(False)
    reporter = ErrorReporter()
    milestones = startup.Milestones()

    try:
        server = DemoServer().listen()
    except OSError as exc:
        log.error("The demo server could not start: %s", exc)
        print(_("LoopLab's demo server could not start: {error}").format(error=exc), file=sys.stderr)
        return 1

    status = 0

    async def lab() -> None:
        nonlocal status
        reporter.install(asyncio.get_running_loop())
        from app.ui.lab import create_window

        window = create_window(server, reporter, lesson=lesson, starting=True)
        # Collecting first would hold the first paint up (~30 ms here): it comes after step 6.
        gc.freeze()
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        painted = startup.first_frame(window)
        window.show()
        finishing = asyncio.ensure_future(startup.finish(window, server, painted, milestones))
        finishing.add_done_callback(lambda _finished: freeze_startup_heap())
        try:
            if startup_report is not None:
                status = await _until_closed(startup.report(milestones, window.heartbeat.log, startup_report), closed)
            elif screenshot is None:
                await closed.wait()  # until a person closes the window
            else:
                status = await _until_closed(save_screenshot(window, screenshot), closed)
        finally:
            if not closed.is_set():  # the screenshot is saved, or something went wrong
                window.close()
            await window.wait_closed()
            finishing.cancel()  # waits for its worker thread, if one is starting the demo server
            await asyncio.gather(finishing, return_exceptions=True)

    # Python's cyclic GC runs only on the GUI thread, between the loop's batches, from here to
    # exit: never mid-heartbeat, and never on the demo server's thread, where it could free Qt
    # objects made after start-up (dialogs, a run's timers) while that thread still runs.
    gc_pacer = GcPacer()
    gc_pacer.install()
    try:
        fast_loop.run(lab(), gc_pacer=gc_pacer)
    finally:
        server.stop()
        sys.excepthook = sys.__excepthook__
        threading.excepthook = threading.__excepthook__
        # Collect once more here, on the GUI thread, with no other thread left: Qt objects freed on
        # another thread leave dangling Qt timers. This frees what the last moments left in cycles,
        # but neither the window nor the loop: both were frozen with the start-up heap, and the
        # window also owns its children in C++ (an edge the collector cannot see) while their
        # wrappers refer back to it. Checked with weakrefs: both are still alive after this, even
        # with gc.unfreeze() first. They go with the process.
        gc.collect()
        gc_pacer.uninstall()  # automatic collection again
    log.info("LoopLab closed cleanly")
    return status


def freeze_startup_heap() -> None:
    """Collects once, then moves every object alive after start-up (Qt's wrappers, aiohttp's and
    our modules, the window) out of the garbage collector's sight, for good (``gc.freeze``).

    Without it every full collection walks those hundreds of thousands of objects on the GUI
    thread: measured here, 40-70 ms pauses every few seconds of a long async run, each one a
    stall of the window; with it, 11-17 ms. What start-up built lives as long as the app anyway.
    The lab calls it once everything has loaded, after the first paint; what was built before
    the first paint was frozen then without a collection (~30 ms it would have added to the
    wait for the window), so this one only walks what loaded since (~10 ms here).
    """
    gc.collect()
    gc.freeze()


async def _until_closed(work: Coroutine[Any, Any, int], closed: asyncio.Event) -> int:
    """Runs ``work`` unless the window closes first (a person closed it): then it stops, with 1."""
    task = asyncio.ensure_future(work)
    closing = asyncio.ensure_future(closed.wait())
    try:
        await asyncio.wait({task, closing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closing.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task.cancelled():
        print(_("The window was closed before the screenshot was taken."), file=sys.stderr)
        return 1
    return task.result()


async def save_screenshot(window: MainWindow, path: Path) -> int:
    """``looplab --screenshot``: waits for the window to be on screen, runs the demo URLs once
    (async) and saves the window to ``path``. Returns the exit status; the caller closes the window."""
    from PySide6.QtGui import QGuiApplication

    from app.core.run import FetchMode, RequestState
    from app.ui.screenshots import capture

    # On screen for real: the window system has mapped and exposed it (offscreen: at once).
    deadline = asyncio.get_running_loop().time() + SCREENSHOT_SHOW_TIMEOUT
    while not ((handle := window.windowHandle()) is not None and handle.isExposed()):
        if asyncio.get_running_loop().time() > deadline:
            print(_("The window did not appear within {seconds} s: no screenshot.").format(seconds=f"{SCREENSHOT_SHOW_TIMEOUT:g}"), file=sys.stderr)
            return 1
        await asyncio.sleep(0.02)
    try:
        summary = await capture(window, FetchMode.ASYNC, path)
    except OSError as exc:
        print(_("Could not save the screenshot: {error}").format(error=exc), file=sys.stderr)
        return 1
    size = window.size()
    print(
        _("Saved the lab to {path} ({platform} platform, {size}), after an async run of {n} demo URLs in {seconds} s").format(
            path=path,
            platform=QGuiApplication.platformName(),
            size=f"{size.width()}x{size.height()}",
            n=len(summary.records),
            seconds=f"{summary.wall_time:.2f}",
        ),
        flush=True,
    )
    failed = [r for r in summary.records if r.state is not RequestState.DONE]
    for record in failed:
        print(_("Demo URL failed: {url}: {error}").format(url=record.url, error=record.error), file=sys.stderr)
    return 1 if failed else 0


def serve_command(host: str, port: int) -> int:
    """``looplab serve``: the demo server alone, in the foreground, until Ctrl+C."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    if not is_loopback(host):
        print(
            _(
                "Warning: listening on {host}, not on loopback: other machines on the network can "
                "reach this server. Use --host 127.0.0.1 to keep it to this computer."
            ).format(host=host),
            file=sys.stderr,
        )

    def ready(bound_port: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        print(_("LoopLab demo server on {url}  (Ctrl+C to stop)").format(url=f"http://{shown}:{bound_port}/"), flush=True)

    try:
        asyncio.run(serve(host, port, ready=ready, access_log=True))
    except KeyboardInterrupt:
        print(_("Demo server stopped."), flush=True)
    except OSError as exc:
        print(_("The demo server cannot listen on {address}: {reason}").format(address=f"{host}:{port}", reason=exc.strerror or exc), file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="looplab",
        description=_("LoopLab: see the difference between blocking and non-blocking Python. Without a command, opens the lab."),
    )
    parser.add_argument("--version", action="version", version=f"looplab {__version__}")
    parser.add_argument(
        "--lesson",
        metavar="ID",
        help=_("open the lab on a lesson: {ids}").format(ids=", ".join(LESSON_IDS)),
    )
    parser.add_argument(
        "--screenshot",
        metavar="PATH",
        type=Path,
        help=_("open the lab, run the demo URLs once (async), save the window as a PNG to PATH and exit"),
    )
    # Internal: opens the lab, measures its start-up for SECONDS after the first paint, prints
    # the report (app.ui.startup) and exits. bench/startup_bench.py and tests/test_startup.py use it.
    parser.add_argument("--startup-report", metavar="SECONDS", type=float, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve_parser = commands.add_parser(
        "serve",
        help=_("run only the demo server, in the foreground"),
        description=_("Run LoopLab's httpbin-compatible demo server in the foreground until Ctrl+C."),
    )
    serve_parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1, this computer only)"))
    serve_parser.add_argument("--port", type=_port, default=8080, help=_("port to listen on, 0 for any free one (default: 8080)"))
    doctor_parser = commands.add_parser(
        "doctor",
        help=_("check that LoopLab can run on this computer"),
        description=_(
            "Check that LoopLab can run on this computer: one line per check, and what to do "
            "about a failing one. Exits 0 only when every check passes."
        ),
    )
    doctor_parser.add_argument("--host", default="127.0.0.1", help=_("address for the demo server check (default: 127.0.0.1)"))
    doctor_parser.add_argument("--port", type=_port, default=0, help=_("port for the demo server check (default: 0, any free one)"))
    # Internal: the child process in which the doctor starts Qt (a broken plugin aborts it).
    doctor_parser.add_argument("--qt-probe", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``looplab`` command."""
    # The command line and the doctor speak LOOPLAB_LANG, IT's preset (the defaults file) or the
    # system's language; the lab then also honours the user's File > Settings > Language
    # (app.ui.translations, before its window is built: the user's settings are Qt's to read).
    from app import site_defaults

    i18n.set_language(i18n.choose_language(site_defaults.load().language))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is not None and args.screenshot is not None:
        parser.error(_("--screenshot opens the lab; it cannot be combined with {command}").format(command=args.command))
    if args.command == "serve":
        return serve_command(args.host, args.port)
    if args.command == "doctor":
        from app import doctor

        return doctor.qt_probe() if args.qt_probe else doctor.doctor_command(args.host, args.port)
    if args.lesson is not None and args.lesson not in LESSON_IDS:
        print(_("looplab: there is no lesson {lesson}. The lessons are:").format(lesson=repr(args.lesson)), file=sys.stderr)
        width = max(len(lesson.id) for lesson in LESSONS) + 2
        for lesson in LESSONS:
            print(f"  {lesson.id:<{width}}{lesson.title}", file=sys.stderr)
        return 2
    return run_lab(screenshot=args.screenshot, lesson=args.lesson, startup_report=args.startup_report)


# --- helpers --------------------------------------------------------------------------------

_QT_LIBS_HINT = i18n.N_(
    "On Debian/Ubuntu, Qt needs: sudo apt-get install libegl1 libgl1 libxkbcommon0 "
    "libfontconfig1 libglib2.0-0 libdbus-1-3 (see the README's Troubleshooting for X11)."
)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(_("port must be between 0 and 65535, got {value}").format(value=value))
    return value


def _display_problem() -> str | None:
    """Why no window can open here, in words, before Qt aborts with a cryptic message."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return _(
        "LoopLab needs a desktop to open its window, and no display was found (DISPLAY and "
        "WAYLAND_DISPLAY are unset).\nOn a server, try: xvfb-run looplab\n"
        "The demo server alone runs without a display: looplab serve"
    )


def _log_dir() -> Path | None:
    from PySide6.QtCore import QStandardPaths

    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(location) / "logs" if location else None


def setup_logging(log_dir: Path | None) -> Path | None:
    """Warnings and errors to stderr; INFO and up to ``log_dir/looplab.log`` (if it can be written)."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(console)
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_dir / "looplab.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as exc:  # a read-only home must not stop the lesson
        log.warning("No log file (%s); logging to the console only", exc)
        return None
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    return log_dir / "looplab.log"
