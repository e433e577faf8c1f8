"""Renders the real window after real runs, for the README: ``python -m app.ui.screenshots DIR``.

Writes ``DIR/lab-async.png`` and ``DIR/lab-blocking.png``: the lab after an async and after a
blocking run of the built-in demo URLs, against its own demo server; then ``DIR/lab-compare.png``:
the History tab with those two runs' timelines one above the other, on one time scale; then
``DIR/lab-lesson.png`` (the sequential lesson after its run), ``DIR/lab-freeze-cause.png`` (a
freeze named by its line), ``DIR/lab-tasks.png`` (the Tasks tab mid-run),
``DIR/lab-lesson-taskgroup.png`` (one request failed, the group cancelled the others),
``DIR/lab-lesson-queue.png`` (three workers on a queue, mid-run), ``DIR/lab-edited.png`` (the
sleep lesson edited into ``time.sleep(1)``: the freeze at the edited line) and
``DIR/lab-presentation.png``; ``DIR/lab-dark.png``: the lab after an async run in the system's
dark colour scheme; and ``DIR/lab-lesson-de.png``, the sequential lesson after its run in German
(the others are in English, whatever the machine speaks). ``make screenshots`` runs it offscreen, so it works on a machine
with no display; ``python -m app.ui.screenshots DIR NAME...`` makes only the named ones
(``lab-lesson-queue``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from app import i18n
from app.core.run import FetchMode, RunSummary
from app.i18n import _
from app.ui.main_window import MainWindow
from app.ui.system_look import request_color_scheme
from app.ui.widgets.freeze_meter import HOLD

SIZE = (1366, 768)  # a school laptop
COMPARE_SIZE = SIZE
PRESENTATION_SIZE = (1024, 768)  # the smallest projector a class has


async def _settle(window: MainWindow, ticks: int = 5) -> None:
    """Waits for a few heartbeats: layout and paints done, as a person would see it."""
    seen = len(window.heartbeat.log)
    while len(window.heartbeat.log) < seen + ticks:
        await asyncio.sleep(0.02)


async def _before_a_run(window: MainWindow) -> None:
    """Settles, and lets the freeze meter forget what came before the run (it holds a stall for
    HOLD seconds): the last picture's grab() held the GUI thread, and so may a new layout."""
    await _settle(window)
    await asyncio.sleep(HOLD)
    await _settle(window)


async def capture(window: MainWindow, mode: FetchMode, path: Path) -> RunSummary:
    """Runs the demo URLs in ``mode``, lets the meter catch up, and saves the window to ``path``."""
    window.source.open_urls()  # not a lesson the user left chosen last time
    window.source.restore_demo_urls()
    window.controls.mode_toggle.setChecked(mode is FetchMode.BLOCKING)
    summary = await window.run_once()
    # Settled, as a person sees it: Run usable again and a few heartbeats drawn after the run.
    while not window.controls.run_button.isEnabled():
        await asyncio.sleep(0.02)
    await _settle(window)
    window.liveness.typing_box.setText(_("typed while it ran") if mode is FetchMode.ASYNC else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    return summary


async def capture_comparison(window: MainWindow, path: Path) -> None:
    """Saves the History tab comparing the last two runs (chosen automatically after each run)."""
    window.resize(*COMPARE_SIZE)
    window.results.setCurrentWidget(window.results.history_panel)
    await _settle(window)
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")


async def _run_lesson_and_grab(window: MainWindow, lesson_id: str, path: Path, *, scroll_to_requests: bool = False) -> None:
    """Runs a lesson at the tutorial's times, as the toggle says, and saves the settled window;
    ``scroll_to_requests``: with the timeline scrolled to its last rows, the requests."""
    window.resize(*SIZE)
    window.results.setCurrentWidget(window.results.timeline_panel)
    window.source.open_lesson(lesson_id)
    window.source.lesson_panel.set_scale(1.0)
    await _before_a_run(window)  # the new layout is drawn before the run, not during it
    await window.run_once()
    while not window.controls.run_button.isEnabled():
        await asyncio.sleep(0.02)
    await _settle(window)
    if scroll_to_requests:  # once the report's words have their height, and the timeline its own
        rows = window.results.timeline.verticalScrollBar()
        rows.setValue(rows.maximum())
        await _settle(window)
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")


async def capture_lesson(window: MainWindow, lesson_id: str, path: Path) -> str:
    """Runs a lesson at the tutorial's times and saves the window with its code and verdict."""
    await _run_lesson_and_grab(window, lesson_id, path)
    return window.source.lesson_panel.verdict.text()


async def capture_freeze_cause(window: MainWindow, path: Path) -> str:
    """The sleep lesson's blocking variant: the report names the line that froze the window, the
    code view marks it, the timeline's band says it."""
    window.controls.set_mode(FetchMode.BLOCKING)
    await _run_lesson_and_grab(window, "sleep", path)
    window.controls.set_mode(FetchMode.ASYNC)
    return window.report.freeze_cause.full_text


async def capture_edited(window: MainWindow, path: Path) -> str:
    """The sleep lesson's async variant edited as a class would: ``await asyncio.sleep(2)`` typed
    into ``time.sleep(1)``. The window freezes, and the edited line is marked."""
    window.controls.set_mode(FetchMode.ASYNC)
    window.source.open_lesson("sleep")
    window.source.lesson_panel.set_scale(1.0)
    view = window.source.lesson_panel.code_view
    edited = view.toPlainText().replace("import asyncio", "import asyncio\nimport time").replace("await asyncio.sleep(2)", "time.sleep(1)")
    view.replace_code(edited)
    await _run_lesson_and_grab(window, "sleep", path)
    window.source.reset_code()
    return window.report.freeze_cause.full_text


async def capture_tasks(window: MainWindow, path: Path) -> int:
    """The gather lesson mid-run with the Tasks tab open: ten tasks waiting on I/O."""
    window.resize(*SIZE)
    window.source.open_lesson("gather")
    window.source.lesson_panel.set_scale(1.0)
    window.results.setCurrentWidget(window.results.tasks_panel)
    await _before_a_run(window)
    done = asyncio.ensure_future(window.run_once())
    panel = window.results.tasks_panel
    while sum(row.state.name == "IO" for row in panel.rows()) < 10 and not done.done():
        await asyncio.sleep(0.02)
    await _settle(window, ticks=3)
    waiting = sum(row.state.name == "IO" for row in panel.rows())
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    await done
    return waiting


async def capture_taskgroup(window: MainWindow, path: Path) -> str:
    """The taskgroup lesson after its run: on the timeline, one request failed and the other
    three were cancelled at that moment (scrolled down to the requests, under the tasks' lanes)."""
    window.results.setCurrentWidget(window.results.timeline_panel)
    await _run_lesson_and_grab(window, "taskgroup", path, scroll_to_requests=True)
    return window.source.lesson_panel.verdict.text()


async def capture_queue(window: MainWindow, path: Path) -> int:
    """The queue lesson mid-run with three workers, Tasks tab open: three worker tasks take the
    ten jobs (not one task per job), the producer already done."""
    window.resize(*SIZE)
    window.source.open_lesson("queue")
    window.source.lesson_panel.set_scale(1.0)
    window.source.lesson_panel.set_limit(3)
    window.results.setCurrentWidget(window.results.tasks_panel)
    await _before_a_run(window)
    done = asyncio.ensure_future(window.run_once())
    panel = window.results.tasks_panel
    run = None
    while not done.done() and (run is None or len(run.records) < 4):  # into the second round of jobs
        run = window.controller.active_run
        await asyncio.sleep(0.02)
    await _settle(window, ticks=3)
    working = sum(row.name.startswith("work") and row.state.name == "IO" for row in panel.rows())
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    await done
    return working


async def capture_presentation(window: MainWindow, path: Path) -> None:
    """Presentation mode as a projector shows it (at a fixed size: offscreen has no real screen),
    after a run of the gather lesson with nothing grabbed during it (a grab holds the GUI thread
    and would count as a stall of the run)."""
    window.results.setCurrentWidget(window.results.timeline_panel)
    window.source.open_lesson("gather")
    window.source.lesson_panel.set_scale(1.0)
    window.set_presentation(True, full_screen=False)
    window.resize(*PRESENTATION_SIZE)
    await _before_a_run(window)
    await window.run_once()
    await _settle(window, ticks=10)
    try:
        if not window.grab().save(str(path)):
            raise OSError(f"could not write {path}")
    finally:
        window.set_presentation(False)


async def capture_dark(window: MainWindow, path: Path) -> RunSummary:
    """The lab after an async run of the demo URLs on a system whose colour scheme is dark: a lab
    opened then (switching a running lab re-styles it, a stall its lag graph would show)."""
    from app.ui.lab import create_window

    request_color_scheme(Qt.ColorScheme.Dark)
    dark = create_window(window.server)
    try:
        dark.resize(*SIZE)
        dark.show()
        while len(dark.heartbeat.log) < 30:
            await asyncio.sleep(0.02)
        await _before_a_run(dark)
        return await capture(dark, FetchMode.ASYNC, path)
    finally:
        dark.close()
        await dark.wait_closed()
        request_color_scheme(Qt.ColorScheme.Unknown)


def main(argv: list[str] | None = None) -> int:
    from app.ui import fast_loop
    from app.ui.lab import create_window
    from app.ui.translations import install as install_language

    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0] if args else "resources/screenshots")
    only = set(args[1:])  # names without .png; none: all of them
    out_dir.mkdir(parents=True, exist_ok=True)

    def wanted(name: str) -> bool:
        return not only or name in only
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # The same pictures on every machine: start from default settings, and leave the user's alone.
    settings_dir = tempfile.TemporaryDirectory(prefix="looplab-screenshots-")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir.name)

    # The README's pictures are in English on every machine; lab-lesson-de in German.
    os.environ[i18n.ENV_VAR] = i18n.SOURCE_LANGUAGE

    async def shoot_in(code: str, lesson_id: str, path: Path) -> str:
        os.environ[i18n.ENV_VAR] = code
        window = create_window()
        try:
            window.resize(*SIZE)
            window.show()
            while len(window.heartbeat.log) < 30:
                await asyncio.sleep(0.02)
            return await capture_lesson(window, lesson_id, path)
        finally:
            window.close()
            await window.wait_closed()
            os.environ[i18n.ENV_VAR] = i18n.SOURCE_LANGUAGE
            install_language()

    async def shoot() -> None:
        if wanted("lab-lesson-de"):
            verdict = await shoot_in("de", "sequential", out_dir / "lab-lesson-de.png")
            print(f"{out_dir / 'lab-lesson-de.png'}: {verdict}")
            if only == {"lab-lesson-de"}:
                return
        window = create_window()
        window.resize(*SIZE)
        window.show()
        # Let the first paints and layout finish, as they have by the time a person clicks Run.
        while len(window.heartbeat.log) < 30:
            await asyncio.sleep(0.02)
        try:
            if wanted("lab-async") or wanted("lab-blocking") or wanted("lab-compare"):
                for mode in (FetchMode.ASYNC, FetchMode.BLOCKING):
                    path = out_dir / f"lab-{mode.value}.png"
                    summary = await capture(window, mode, path)
                    print(f"{path}: {mode.label}, longest freeze {summary.longest_freeze:.3f} s, wall {summary.wall_time:.2f} s")
                await capture_comparison(window, out_dir / "lab-compare.png")
                print(f"{out_dir / 'lab-compare.png'}: {window.results.comparison.speedup_label.text()}")
            if wanted("lab-lesson"):
                verdict = await capture_lesson(window, "sequential", out_dir / "lab-lesson.png")
                print(f"{out_dir / 'lab-lesson.png'}: {verdict}")
            if wanted("lab-freeze-cause"):
                cause = await capture_freeze_cause(window, out_dir / "lab-freeze-cause.png")
                print(f"{out_dir / 'lab-freeze-cause.png'}: {cause}")
            if wanted("lab-tasks"):
                waiting = await capture_tasks(window, out_dir / "lab-tasks.png")
                print(f"{out_dir / 'lab-tasks.png'}: {waiting} tasks waiting on I/O mid-run")
            if wanted("lab-lesson-taskgroup"):
                verdict = await capture_taskgroup(window, out_dir / "lab-lesson-taskgroup.png")
                print(f"{out_dir / 'lab-lesson-taskgroup.png'}: {verdict}")
            if wanted("lab-lesson-queue"):
                working = await capture_queue(window, out_dir / "lab-lesson-queue.png")
                print(f"{out_dir / 'lab-lesson-queue.png'}: {working} worker tasks waiting on I/O mid-run")
            if wanted("lab-edited"):
                cause = await capture_edited(window, out_dir / "lab-edited.png")
                print(f"{out_dir / 'lab-edited.png'}: {cause}")
            if wanted("lab-presentation"):
                await capture_presentation(window, out_dir / "lab-presentation.png")
                print(f"{out_dir / 'lab-presentation.png'}: presentation mode, {PRESENTATION_SIZE[0]} x {PRESENTATION_SIZE[1]}")
            if wanted("lab-dark"):
                summary = await capture_dark(window, out_dir / "lab-dark.png")
                print(f"{out_dir / 'lab-dark.png'}: dark colour scheme, {summary.mode.label}, wall {summary.wall_time:.2f} s")
        finally:
            window.close()
            await window.wait_closed()

    fast_loop.run(shoot())
    del app
    settings_dir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
