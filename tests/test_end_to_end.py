"""The real `looplab` start-up and shut-down, in a separate process, driven like a user would.

A small driver starts main() with a timer that finds the window, presses Run, and closes the
window when the run is over (or in the middle of it). The process must exit 0, quickly, with
nothing alarming on stderr: no traceback, no unclosed session, no pending task, no loop stopped
before its future completed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

DRIVER = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
from app.main import main
from app.ui.main_window import MainWindow

how = sys.argv[1]

def drive():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if not windows:
        QTimer.singleShot(20, drive)
        return
    window = windows[0]
    def finished(summary):
        print("RUN", summary.outcome.name, len(summary.records), flush=True)
        if how == "complete":
            QTimer.singleShot(0, window.close)
    window.run_finished.connect(finished)
    if how == "close-mid-run":
        # Mid-run: 300 ms after the run starts (a click made while the lab is still loading is
        # kept, and the run starts once it is ready).
        window.controller.run_started.connect(lambda _run: QTimer.singleShot(300, window.close))
    window.controls.run_button.click()

QTimer.singleShot(0, drive)
status = main([])
print("EXIT", status, flush=True)
sys.exit(status)
"""

ALARMING = ("Traceback", "Unclosed", "destroyed but it is pending", "Event loop stopped", "QThread: Destroyed")


@pytest.mark.parametrize(("how", "outcome"), [("complete", "COMPLETED"), ("close-mid-run", "CANCELLED")])
def test_the_lab_starts_runs_and_shuts_down_cleanly(tmp_path: Path, how: str, outcome: str) -> None:
    driver = tmp_path / "drive.py"
    driver.write_text(DRIVER)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"))
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(driver), how], capture_output=True, text=True, timeout=60, env=env, cwd=Path.cwd()
    )
    took = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert f"RUN {outcome} 8" in result.stdout  # the eight built-in demo URLs
    assert "EXIT 0" in result.stdout
    assert [line for line in result.stderr.splitlines() if any(a in line for a in ALARMING)] == []
    if how == "close-mid-run":
        assert took < 10  # cancelled, not waited for
    log_file = next((tmp_path / "data").rglob("looplab.log"))
    assert "LoopLab closed cleanly" in log_file.read_text()


LESSON_DRIVER = """
import sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QListWidget

app = QApplication(sys.argv[:1])
from app.main import main
from app.ui.main_window import MainWindow


def drive():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if not windows:
        QTimer.singleShot(20, drive)
        return
    window = windows[0]
    lesson = window.source.current_lesson
    item = window.findChild(QListWidget, "lessonList").currentItem()
    print("LESSON", lesson.id if lesson else None, flush=True)
    print("LIST", item.data(Qt.ItemDataRole.UserRole) if item else None, flush=True)
    print("TAB", window.source.currentWidget() is window.source.lesson_panel, flush=True)
    print("CODE", "asyncio.gather" in window.source.lesson_panel.code_view.toPlainText(), flush=True)
    QTimer.singleShot(0, window.close)

QTimer.singleShot(0, drive)
status = main(sys.argv[1:])
print("EXIT", status, flush=True)
sys.exit(status)
"""


@pytest.mark.parametrize("remembered", ["", "[General]\nlesson=cpu\nsource=urls\n"], ids=["first-launch", "other-lesson-remembered"])
def test_looplab_lesson_gather_opens_on_that_lesson(tmp_path: Path, remembered: str) -> None:
    # Done-when: `looplab --lesson gather` opens on that lesson, also when the last session ended
    # elsewhere. The settings folder is the test's own: XDG_CONFIG_HOME from the autouse fixture.
    if remembered:
        ini = Path(os.environ["XDG_CONFIG_HOME"]) / "LoopLab" / "LoopLab.ini"
        assert ini.is_relative_to(tmp_path)
        ini.parent.mkdir(parents=True, exist_ok=True)
        ini.write_text(remembered)
    driver = tmp_path / "drive_lesson.py"
    driver.write_text(LESSON_DRIVER)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, str(driver), "--lesson", "gather"], capture_output=True, text=True, timeout=60, env=env, cwd=Path.cwd()
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for expected in ("LESSON gather", "LIST gather", "TAB True", "CODE True", "EXIT 0"):
        assert expected in lines, result.stdout
    assert [line for line in result.stderr.splitlines() if any(a in line for a in ALARMING)] == []
