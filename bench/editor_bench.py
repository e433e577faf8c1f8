"""The code editor under large edits: how long the GUI thread is held while Pygments colours them.

``python bench/editor_bench.py`` (``make bench`` runs it too). The real lab window with the
playground chosen; each edit is made as a person makes it (Ctrl+V from the clipboard, keys
typed) and timed from the key press until the window has handled it, colouring included:

- a 2000-line paste of Python (the lessons' code, over and over): every line is lexed once;
- typing ``\"\"\"`` on the first line: every line after it becomes a string and is coloured again;
- typing the closing ``\"\"\"``: all of them become code again;
- one key in the middle of the 2000 lines: one line is lexed (the state after it is unchanged).

Goals (issue 14, "large edits must stay fast"): the paste and each whole-document recolouring
hold the window for at most :data:`LARGE_GOAL_MS`, one key for at most :data:`KEY_GOAL_MS`
(one frame). Prints each, the best of :data:`ROUNDS`, then PASS or FAIL (exit 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QTextCursor  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.lessons import LESSONS, LessonSetup  # noqa: E402
from app.ui import fast_loop  # noqa: E402
from app.ui.lab import create_window  # noqa: E402
from app.ui.widgets.code_view import CodeView  # noqa: E402

LINES = 2000
LARGE_GOAL_MS = 250.0
KEY_GOAL_MS = 16.0
ROUNDS = 3


def python_lines(count: int) -> str:
    """``count`` lines of real Python: the lessons' code, repeated."""
    setup = LessonSetup(base_url="http://127.0.0.1:65535")
    lines = "\n".join(lesson.code(setup) for lesson in LESSONS).splitlines()
    return "\n".join((lines * (count // len(lines) + 1))[:count])


def held_ms(action: Callable[[], None]) -> float:
    """Milliseconds from the action until the window has handled everything it caused."""
    start = time.perf_counter()
    action()
    QApplication.processEvents()
    return (time.perf_counter() - start) * 1000


def measure(view: CodeView, text: str) -> dict[str, float]:
    view.setFocus()
    view.replace_code("")
    QGuiApplication.clipboard().setText(text)
    results = {"paste": held_ms(lambda: QTest.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier))}
    view.moveCursor(QTextCursor.MoveOperation.Start)
    results["open a string"] = held_ms(lambda: QTest.keyClicks(view, '"""'))
    view.moveCursor(QTextCursor.MoveOperation.Start)
    view.moveCursor(QTextCursor.MoveOperation.NextBlock)
    results["close it"] = held_ms(lambda: QTest.keyClicks(view, '"""'))
    view.setTextCursor(QTextCursor(view.document().findBlockByNumber(LINES // 2)))
    results["one key"] = held_ms(lambda: QTest.keyClick(view, Qt.Key.Key_X))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=LINES, help=f"lines pasted (default {LINES})")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings_dir = tempfile.TemporaryDirectory(prefix="looplab-editor-bench-")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir.name)
    best: dict[str, float] = {}

    async def bench() -> None:
        window = create_window()
        try:
            window.show()
            window.source.open_lesson("playground")
            view = window.source.lesson_panel.code_view
            text = python_lines(args.lines)
            for _ in range(ROUNDS):
                for name, ms in measure(view, text).items():
                    best[name] = min(best.get(name, ms), ms)
        finally:
            window.close()
            await window.wait_closed()

    fast_loop.run(bench())
    del app
    settings_dir.cleanup()
    failed = []
    for name, ms in best.items():
        goal = KEY_GOAL_MS if name == "one key" else LARGE_GOAL_MS
        print(f"{name:>14}: {ms:7.1f} ms held (goal <= {goal:g} ms), {args.lines} lines")
        if ms > goal:
            failed.append(name)
    print("FAIL: " + ", ".join(failed) if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
