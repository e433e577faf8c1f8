"""Freeze attribution in the window: after a freeze, the report names the line that froze it, the
code view marks that line in a lesson, and the timeline's freeze band says what it was.

The issue's Done-when: the sleep lesson's blocking variant names ``time.sleep`` and its line,
and the code view marks that line; a blocking URL run names the ``requests`` call and the fetch
function; the CPU lesson's coroutine variant names ``count_primes``. And a freeze outside any
run (here: a timer callback that sleeps) is named too.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

from app.core.demo_server import DemoServer
from app.core.freeze_cause import cause_for
from app.core.run import FetchMode, RunOutcome
from app.ui.controller import ControllerState
from app.ui.main_window import MainWindow
from app.ui.widgets.timeline import freeze_label
from tests.ui.conftest import seconds, until
from tests.ui.test_lessons import FAST, choose, run_lesson, set_toggle
from tests.ui.test_main_window import run_and_wait, set_urls


def cause_label(lab: MainWindow) -> QLabel:
    found = lab.findChild(QLabel, "freezeCauseLabel")
    assert found is not None
    return found


def line_of(code: str, start: str) -> int:
    """The 1-based number of the first line of ``code`` that starts (after indentation) with ``start``."""
    return next(n for n, text in enumerate(code.splitlines(), start=1) if text.strip().startswith(start))


def test_the_label_is_hidden_until_a_freeze(lab: MainWindow) -> None:
    assert not cause_label(lab).isVisible()
    assert lab.source.lesson_panel.code_view.marked_line is None


def test_a_blocking_sleep_is_named_with_its_line_which_the_code_view_marks(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    choose(lab, qtbot, "sleep", scale=FAST, blocking=True)
    view = lab.source.lesson_panel.code_view
    line = line_of(view.toPlainText(), "time.sleep(")
    summary, _probe = run_lesson(lab, loop)
    assert summary.mode is FetchMode.BLOCKING and summary.outcome is RunOutcome.COMPLETED

    label = cause_label(lab)
    assert label.isVisible()
    assert label.text() == f"Froze in: time.sleep(0.5) in line {line} of the lesson"
    # The whole sentence, for a tooltip and a screen reader: the share of the freeze too.
    assert re.fullmatch(rf"time\.sleep\(0\.5\) in line {line} of the lesson: (9\d|100)% of the \d+ ms freeze\.", label.accessibleDescription())
    assert view.marked_line == line
    assert seconds(view.marked_text) == pytest.approx(0.5, abs=0.2)  # the time spent on that line
    # On the run's clock, like the freeze the timeline shades, and named on its band.
    (freeze,) = summary.freezes
    cause = cause_for(summary.freeze_causes, freeze.start, freeze.end)
    assert cause is not None and cause.culprit is not None and cause.culprit.lineno == line
    assert abs(cause.start - freeze.start) < 0.05 and 0 < cause.end <= summary.wall_time + 0.1
    assert lab.results.timeline.scene.causes == summary.freeze_causes
    assert freeze_label(freeze, cause) == f"{freeze_label(freeze)}: time.sleep(0.5)"

    # The next run clears the mark (the async variant: no freeze, so nothing to name).
    loop.run_until_complete(until(lambda: lab.controller.state is ControllerState.IDLE, what="the lab settles"))
    set_toggle(lab, False)
    run_lesson(lab, loop)
    assert view.marked_line is None and view.marked_text == ""
    assert not label.isVisible()


def test_a_blocking_url_run_names_the_requests_call_in_the_fetch_function(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    set_urls(lab, [f"{demo_server.url}/delay/0.3"] * 2)
    lab.controls.mode_toggle.click()
    summary = loop.run_until_complete(run_and_wait(lab))
    assert summary.mode is FetchMode.BLOCKING and summary.longest_freeze > 0.5
    label = cause_label(lab)
    assert label.isVisible()
    assert label.full_text == "Froze in: fetch_blocking() calling requests: session.get(…)"  # the call as in app/core/blocking.py
    # Cut with "…" where the report's row ends (the window is not made wider for it).
    assert label.text().startswith("Froze in: fetch_blocking() calling req"), label.text()
    words = label.accessibleDescription()
    assert "a call into requests (Session.get)" in words, words
    assert "waiting on the network in socket" in words, words  # and the wait under it
    assert lab.source.lesson_panel.code_view.marked_line is None  # not a lesson: nothing to mark


def test_cpu_work_in_a_coroutine_is_named_as_count_primes(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    choose(lab, qtbot, "cpu", scale=FAST, blocking=True)
    view = lab.source.lesson_panel.code_view
    line = line_of(view.toPlainText(), "count = count_primes(")
    summary, _probe = run_lesson(lab, loop)
    assert summary.mode is FetchMode.BLOCKING
    text = cause_label(lab).text()
    assert text == f"Froze in: count_primes(198_000) in line {line} of the lesson", text
    assert "inside count_primes()" in cause_label(lab).accessibleDescription()
    assert view.marked_line == line


def test_a_freeze_outside_a_run_is_named_too(lab: MainWindow, loop: qasync.QEventLoop) -> None:
    label = cause_label(lab)

    def block_the_gui_thread() -> None:
        time.sleep(0.2)  # the deliberate freeze

    async def scenario() -> None:
        QTimer.singleShot(0, block_the_gui_thread)
        await until(lambda: label.isVisible(), what="the freeze is named")

    loop.run_until_complete(scenario())
    text = label.full_text
    assert text.startswith("Outside a run: block_the_gui_thread(), line ") and text.endswith(": time.sleep(0.2)"), text
    assert label.text().startswith("Outside a run: block_the_gui_thread()"), label.text()
    assert label.accessibleDescription().startswith("Outside a run: block_the_gui_thread() in tests.ui.test_freeze_cause")
