"""What the code prints is shown under it (``codeOutput``): the lessons that make their point by
printing ("download: finally ran"), a person's own prints as written (never markup), a flood
kept to its last lines without holding the window, and nothing left of an earlier run."""

from __future__ import annotations

import re
from typing import Any

import qasync
from PySide6.QtWidgets import QPlainTextEdit

from app.core.code_output import MAX_LINES
from app.core.run import RunOutcome
from app.ui.main_window import MainWindow
from tests.ui.test_editor import paste, press_run, view_of
from tests.ui.test_lessons import FAST, assert_verdict_ok, choose, click_lesson, run_lesson


def output_of(lab: MainWindow) -> QPlainTextEdit:
    found = lab.findChild(QPlainTextEdit, "codeOutput")
    assert found is not None
    return found


def test_the_cancel_lesson_shows_that_its_finally_ran(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    choose(lab, qtbot, "cancel", scale=FAST)
    assert not output_of(lab).isVisible()  # nothing printed yet
    summary, _probe = run_lesson(lab, loop)
    assert_verdict_ok(lab, summary)
    assert output_of(lab).isVisible() and output_of(lab).isReadOnly()
    assert output_of(lab).toPlainText() == "download: finally ran\ncancelled: True"


def test_the_as_completed_lesson_prints_the_results_in_the_order_they_arrive(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    choose(lab, qtbot, "as_completed", scale=FAST)
    run_lesson(lab, loop)
    lines = output_of(lab).toPlainText().splitlines()
    delays = [float(re.search(r"/delay/([\d.]+)$", line).group(1)) for line in lines]
    assert [line.split(" in:")[0] for line in lines] == ["1 of 4", "2 of 4", "3 of 4", "4 of 4"]
    assert delays == sorted(delays)  # quickest first, not the list's order


FLOOD = """async def main():
    print("<b>not bold</b> <img src='x'>")
    for n in range({count}):
        print(n)
"""


def test_prints_are_shown_as_written_and_a_flood_only_by_its_last_lines(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    click_lesson(lab, qtbot, "playground")
    paste(view_of(lab), FLOOD.format(count=3))
    press_run(lab, loop)
    assert output_of(lab).toPlainText() == "<b>not bold</b> <img src='x'>\n0\n1\n2"  # plain text, literally

    count = 200_000
    paste(view_of(lab), FLOOD.format(count=count))
    summary = press_run(lab, loop)
    assert summary.outcome is RunOutcome.COMPLETED
    lines = output_of(lab).toPlainText().splitlines()
    assert lines[-1] == str(count - 1) and len(lines) <= MAX_LINES + 1
    assert "more lines printed, not shown" in lines[0]
    assert output_of(lab).document().blockCount() <= MAX_LINES + 1
    # The prints themselves hold the loop (no await in the loop), but the window's share is a
    # screenful a batch, whatever the count: far from the seconds 200,000 appended lines would take.
    assert summary.longest_freeze < 3.0


def test_a_new_run_and_another_lesson_start_with_no_output(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    click_lesson(lab, qtbot, "playground")
    paste(view_of(lab), FLOOD.format(count=1))
    press_run(lab, loop)
    assert output_of(lab).toPlainText().endswith("\n0")
    paste(view_of(lab), "async def main():\n    pass\n")
    press_run(lab, loop)
    assert output_of(lab).toPlainText() == "" and not output_of(lab).isVisible()
    paste(view_of(lab), FLOOD.format(count=1))
    press_run(lab, loop)
    click_lesson(lab, qtbot, "sleep")
    assert not output_of(lab).isVisible()
