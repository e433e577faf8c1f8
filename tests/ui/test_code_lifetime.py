"""What a person's code leaves behind when its run ends: the tasks it started and never awaited.

``asyncio.run(main())`` cancels them when ``main`` returns; so does LoopLab, and says so in the
report. None of them goes on making requests or running after the run (or after Cancel), and a
task that failed with nothing awaiting it is the code's error, said at its line: never an error
banner blaming LoopLab. Driven as a person does: code pasted in the playground, Run, Cancel.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
import qasync

from app.core.run import RunOutcome, RunSummary
from app.ui.main_window import MainWindow
from tests.ui.conftest import next_emission, until
from tests.ui.test_editor import paste, press_run, problem_label, view_of
from tests.ui.test_freeze_cause import line_of
from tests.ui.test_lessons import click_lesson

TICKER = """import asyncio

SERVER = {server!r}
ticks = []
endings = []


async def tick(session):
    try:
        while True:
            async with session.get(SERVER + "/get") as response:
                await response.read()
            ticks.append(len(ticks))
            await asyncio.sleep(0.02)
    finally:
        endings.append("finally ran")


async def main(session):
    asyncio.create_task(tick(session))  # started, never awaited
    {body}
"""


@pytest.fixture(autouse=True)
def _no_earlier_run_of_the_playground() -> None:
    """The module an earlier test's run left (with its lists) is not this test's."""
    sys.modules.pop("looplab_lesson_playground", None)


def module(lab: MainWindow) -> Any:
    """The playground's code as the lab ran it (its module, with the lists it filled)."""
    return sys.modules["looplab_lesson_playground"]


def pending_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [task for task in asyncio.all_tasks() if not task.done() and task is not current]


def test_a_task_left_running_when_main_returns_is_cancelled_and_the_report_says_so(
    lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop
) -> None:
    click_lesson(lab, qtbot, "playground")
    paste(view_of(lab), TICKER.format(server=lab.server.url, body="await asyncio.sleep(0.3)"))

    async def scenario() -> tuple[RunSummary, list[asyncio.Task[Any]], int]:
        summary = await next_emission(lab.run_finished, lab.controls.run_button.click)
        left = pending_tasks()  # as the run ends: nothing of the code's is still going
        ticks = len(module(lab).ticks)
        await asyncio.sleep(0.3)  # long enough for a dozen more ticks, were it still running
        return summary, left, len(module(lab).ticks) - ticks

    summary, left, ticks_after = loop.run_until_complete(scenario())
    assert summary.outcome is RunOutcome.COMPLETED, summary.error
    assert left == [] and ticks_after == 0
    assert module(lab).endings == ["finally ran"]  # cancelled as asyncio.run cancels: its finally ran
    assert len(module(lab).ticks) >= 3 and len(summary.records) >= 3  # it did run, during the run
    assert "When main ended, 1 task it had started was still running (tick): cancelled, as asyncio.run does." in lab.report.details.text()
    assert not lab.banner.isVisible()


def test_cancel_ends_the_tasks_the_code_started_too(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    click_lesson(lab, qtbot, "playground")
    paste(view_of(lab), TICKER.format(server=lab.server.url, body="await asyncio.sleep(1e9)  # never returns"))

    async def scenario() -> tuple[RunSummary, list[asyncio.Task[Any]]]:
        finished = asyncio.ensure_future(next_emission(lab.run_finished, lab.controls.run_button.click))
        await until(lambda: "looplab_lesson_playground" in sys.modules and len(module(lab).ticks) >= 2, what="the ticker ticks")
        lab.controls.cancel_button.click()
        summary = await finished
        return summary, pending_tasks()

    summary, left = loop.run_until_complete(scenario())
    assert summary.outcome is RunOutcome.CANCELLED
    assert left == [] and module(lab).endings == ["finally ran"]


FORGOTTEN_FAILURE = """import asyncio


async def check(value):
    await asyncio.sleep(0.01)
    return 1 / value  # fails: nothing awaits this task


async def main():
    asyncio.create_task(check(0))
    await asyncio.sleep(0.2)
"""


def test_a_task_that_failed_with_nothing_awaiting_it_is_the_codes_error_at_its_line(
    lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop
) -> None:
    # Before: asyncio reported "Task exception was never retrieved" to the loop's handler when the
    # task was collected (in the app: an error banner blaming LoopLab); the loop fixture fails on that.
    click_lesson(lab, qtbot, "playground")
    paste(view_of(lab), FORGOTTEN_FAILURE)
    summary = press_run(lab, loop)
    assert summary.outcome is RunOutcome.COMPLETED  # as with python lesson.py: main itself ended well
    line = line_of(FORGOTTEN_FAILURE, "return 1 / value")
    assert summary.problem is not None and summary.problem.line == line
    assert view_of(lab).error_line == line
    words = problem_label(lab).text()
    assert words.startswith(f"A task nothing awaited failed: ZeroDivisionError: division by zero (line {line})"), words
    assert "A task nothing awaited failed: ZeroDivisionError: division by zero" in lab.report.details.text()
    assert not lab.banner.isVisible()


def test_closing_the_window_mid_run_ends_the_code_and_its_tasks(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    click_lesson(lab, qtbot, "playground")
    paste(view_of(lab), TICKER.format(server=lab.server.url, body="await asyncio.sleep(1e9)  # never returns"))

    async def scenario() -> tuple[float, list[asyncio.Task[Any]]]:
        lab.controls.run_button.click()
        await until(lambda: "looplab_lesson_playground" in sys.modules and len(module(lab).ticks) >= 2, what="the ticker ticks")
        started = asyncio.get_running_loop().time()
        lab.close()
        await lab.wait_closed()
        return asyncio.get_running_loop().time() - started, pending_tasks()

    took, left = loop.run_until_complete(scenario())
    assert took < 2.0 and left == []  # closed at once, sessions and all, and nothing of the code left
    assert module(lab).endings == ["finally ran"]
