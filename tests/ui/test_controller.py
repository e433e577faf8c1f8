"""The controller on its own, with no window: one request in, signals out, one run at a time.

Built as ``app.ui.lab.create_window`` builds it (a heartbeat's log and an error reporter), then
driven only through its public face: :meth:`LabController.start` with a
:class:`~app.core.run.RunRequest`, :meth:`~LabController.cancel` and
:meth:`~LabController.aclose`, watching ``state_changed``, ``run_started``, ``records_changed``,
``about_to_block`` and ``run_finished``. Every request goes to the session's demo server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
import qasync

from app.core.demo_server import DemoServer
from app.core.lessons import LessonSetup, lesson_by_id
from app.core.run import FetchMode, RequestState, Run, RunOutcome, RunRequest, RunSummary
from app.ui.controller import ControllerState, LabController
from app.ui.errors import ErrorReporter
from app.ui.heartbeat import Heartbeat
from tests.ui.conftest import next_emission, until


class Recorder:
    """Every signal of the controller, in the order it came: (name, payload)."""

    def __init__(self, controller: LabController) -> None:
        self.events: list[tuple[str, Any]] = []
        for name in ("state_changed", "run_started", "records_changed", "about_to_block", "run_finished"):
            getattr(controller, name).connect(lambda payload, name=name: self.events.append((name, payload)))

    def payloads(self, name: str) -> list[Any]:
        return [payload for event, payload in self.events if event == name]

    def names(self) -> list[str]:
        """The signals in order, records_changed left out (how many batches depends on timing)."""
        return [name if name != "state_changed" else f"state:{payload.value}" for name, payload in self.events if name != "records_changed"]


@pytest.fixture
def heartbeat(loop: qasync.QEventLoop) -> Iterator[Heartbeat]:
    beat = Heartbeat()
    beat.start()
    yield beat
    beat.stop()


@pytest.fixture
def controller(loop: qasync.QEventLoop, heartbeat: Heartbeat) -> Iterator[LabController]:
    """A controller as create_window makes one, and nothing else: no window, no panels."""
    reporter = ErrorReporter()
    lab = LabController(heartbeat.log, reporter)
    yield lab
    loop.run_until_complete(lab.aclose())
    assert lab.closed and not lab.running


@pytest.fixture
def events(controller: LabController) -> Recorder:
    return Recorder(controller)


def lesson_setup(demo_server: DemoServer, *, blocking: bool, scale: float = 0.25) -> LessonSetup:
    return LessonSetup(base_url=demo_server.url, scale=scale, blocking=blocking)


# --- (a) a URL run, start to end -------------------------------------------------------------


def test_an_async_url_run_goes_idle_running_idle_and_ends_once_with_every_record_done(
    controller: LabController, events: Recorder, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    urls = [f"{demo_server.url}/delay/0.2?n={i}" for i in range(5)]
    request = RunRequest.urls("\n".join(urls), FetchMode.ASYNC, concurrency=5)
    assert controller.state is ControllerState.IDLE and not controller.running

    async def scenario() -> tuple[Run, RunSummary]:
        finished = asyncio.ensure_future(next_emission(controller.run_finished))
        run = controller.start(request)
        assert run is not None
        assert controller.state is ControllerState.RUNNING and controller.active_run is run
        # Exclusive: a second start while one runs is refused, and nothing else starts.
        assert controller.start(request) is None
        assert controller.start(RunRequest.urls(urls[0], FetchMode.BLOCKING)) is None
        summary = await finished
        await until(lambda: controller.state is ControllerState.IDLE, timeout=2.0, what="the lab is idle again")
        return run, summary

    run, summary = loop.run_until_complete(scenario())
    assert events.names() == ["state:running", "run_started", "run_finished", "state:idle"]
    assert events.payloads("run_started") == [run]
    assert events.payloads("run_finished") == [summary]  # once
    assert summary.run_id == run.run_id and summary.request is request
    assert summary.outcome is RunOutcome.COMPLETED and summary.mode is FetchMode.ASYNC
    assert [r.url for r in summary.records] == urls
    assert [r.state for r in summary.records] == [RequestState.DONE] * 5
    assert all(r.status == 200 for r in summary.records)
    assert summary.wall_time < 0.5 * summary.request_time_sum  # they overlapped (5 x 0.2 s in ~0.2 s)
    # Every row was reported to the panels at least once, by index, in batches.
    reported = {row for batch in events.payloads("records_changed") for row in batch}
    assert reported == set(range(5))
    assert not events.payloads("about_to_block")  # an async run never takes the GUI thread
    assert controller.active_run is None and not controller.running


def test_a_new_run_can_start_once_the_last_one_has_ended(
    controller: LabController, events: Recorder, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    request = RunRequest.urls(f"{demo_server.url}/bytes/10", FetchMode.ASYNC)

    async def scenario() -> list[RunSummary]:
        first = await next_emission(controller.run_finished, lambda: controller.start(request))
        await until(lambda: controller.state is ControllerState.IDLE)
        second = await next_emission(controller.run_finished, lambda: controller.start(request))
        return [first, second]

    first, second = loop.run_until_complete(scenario())
    assert first.run_id != second.run_id
    assert [s.outcome for s in (first, second)] == [RunOutcome.COMPLETED] * 2


# --- (b) a lesson run ------------------------------------------------------------------------


def test_a_lesson_run_records_its_lesson_and_ends_as_the_lesson_says(
    controller: LabController, events: Recorder, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    sleep = lesson_by_id("sleep")
    setup = lesson_setup(demo_server, blocking=False)
    request = RunRequest.for_lesson(sleep, setup)
    assert request.mode is FetchMode.ASYNC

    summary = loop.run_until_complete(next_emission(controller.run_finished, lambda: controller.start(request)))
    loop.run_until_complete(until(lambda: controller.state is ControllerState.IDLE))
    assert summary.request is request and summary.request.lesson is sleep
    assert summary.request.setup == setup
    assert summary.outcome is RunOutcome.COMPLETED, summary.error
    expected = sleep.expected_seconds(setup)  # 0.5 s at x0.25
    assert expected <= summary.wall_time < expected + 0.3
    assert len(summary.records) == 0  # asyncio.sleep sends no request
    assert events.names() == ["state:running", "run_started", "run_finished", "state:idle"]
    assert events.payloads("run_started")[0].request.lesson is sleep  # the run knows its lesson from the start


def test_a_lesson_whose_code_fetches_reports_its_requests_as_records(
    controller: LabController, events: Recorder, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    gather = lesson_by_id("gather")
    request = RunRequest.for_lesson(gather, lesson_setup(demo_server, blocking=False))
    summary = loop.run_until_complete(next_emission(controller.run_finished, lambda: controller.start(request)))
    assert summary.request.lesson is gather
    assert len(summary.records) == 10 and [r.state for r in summary.records] == [RequestState.DONE] * 10
    reported = {row for batch in events.payloads("records_changed") for row in batch}
    assert reported == set(range(10))


# --- (c) a blocking run says so before it takes the GUI thread -------------------------------


def test_a_blocking_run_emits_about_to_block_before_the_gui_thread_is_taken(
    controller: LabController, events: Recorder, loop: qasync.QEventLoop, demo_server: DemoServer, heartbeat: Heartbeat
) -> None:
    request = RunRequest.urls("\n".join([f"{demo_server.url}/delay/0.15"] * 3), FetchMode.BLOCKING)
    seen_at_block: list[tuple[float, list[RequestState], ControllerState]] = []

    def on_about_to_block(run: Run) -> None:
        # A slot runs on the GUI thread, right before the blocking fetches: nothing has started.
        seen_at_block.append((time.perf_counter(), [r.state for r in run.records], controller.state))

    controller.about_to_block.connect(on_about_to_block)

    async def scenario() -> RunSummary:
        summary = await next_emission(controller.run_finished, lambda: controller.start(request))
        await until(lambda: controller.state is ControllerState.IDLE, timeout=2.0, what="settled, then idle")
        return summary

    summary = loop.run_until_complete(scenario())
    assert events.names() == ["state:running", "run_started", "about_to_block", "run_finished", "state:settling", "state:idle"]
    [(blocked_at, states, state)] = seen_at_block
    assert states == [RequestState.PENDING] * 3 and state is ControllerState.RUNNING
    origin = events.payloads("run_started")[0].clock.origin  # the run's clock starts after checking the list
    first_start = origin + min(r.started for r in summary.records)
    assert blocked_at <= first_start  # said before the first request.get() began
    # ...and the GUI thread was then taken: the heartbeat saw one freeze covering the requests.
    assert summary.freezes and summary.longest_freeze >= 0.8 * 3 * 0.15
    freeze = max(summary.freezes, key=lambda f: f.duration)
    assert origin + freeze.start >= blocked_at - 0.02  # the freeze began after the warning (a tick's slack)
    assert [r.state for r in summary.records] == [RequestState.DONE] * 3


def test_a_blocking_lesson_also_warns_before_it_blocks(
    controller: LabController, events: Recorder, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    request = RunRequest.for_lesson(lesson_by_id("sleep"), lesson_setup(demo_server, blocking=True))
    assert request.mode is FetchMode.BLOCKING
    warned: list[float] = []
    controller.about_to_block.connect(lambda _run: warned.append(time.perf_counter()))

    async def scenario() -> RunSummary:
        summary = await next_emission(controller.run_finished, lambda: controller.start(request))
        await until(lambda: controller.state is ControllerState.IDLE, timeout=2.0)
        return summary

    summary = loop.run_until_complete(scenario())
    assert len(warned) == 1
    assert "about_to_block" in events.names()
    assert events.names().index("about_to_block") < events.names().index("run_finished")
    origin = events.payloads("run_started")[0].clock.origin  # the lesson's clock starts with its code
    assert warned[0] <= origin
    assert summary.longest_freeze >= 0.8 * 0.5  # time.sleep(0.5) held the thread


# --- (d) cancel ------------------------------------------------------------------------------


def test_cancel_ends_the_run_at_once_and_every_unfinished_record_says_cancelled(
    controller: LabController, events: Recorder, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    assert controller.cancel() is False  # nothing to cancel
    request = RunRequest.urls("\n".join([f"{demo_server.url}/delay/10"] * 4), FetchMode.ASYNC, concurrency=2)

    async def scenario() -> tuple[RunSummary, float]:
        finished = asyncio.ensure_future(next_emission(controller.run_finished))
        run = controller.start(request)
        assert run is not None
        await until(lambda: sum(r.state is RequestState.RUNNING for r in run.records) == 2, what="two requests in flight")
        asked = time.perf_counter()
        assert controller.cancel() is True
        summary = await asyncio.wait_for(finished, 2.0)
        took = time.perf_counter() - asked
        await until(lambda: controller.state is ControllerState.IDLE)
        return summary, took

    summary, took = loop.run_until_complete(scenario())
    assert took < 1.0  # not the 10 s the requests would have taken
    assert summary.outcome is RunOutcome.CANCELLED
    assert [r.state for r in summary.records] == [RequestState.CANCELLED] * 4
    assert events.payloads("run_finished") == [summary]
    assert events.names() == ["state:running", "run_started", "run_finished", "state:idle"]
    assert controller.cancel() is False and not controller.running


def test_aclose_mid_run_cancels_it_and_refuses_new_runs(
    controller: LabController, events: Recorder, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    request = RunRequest.urls(f"{demo_server.url}/delay/10", FetchMode.ASYNC)

    async def scenario() -> None:
        run = controller.start(request)
        assert run is not None
        await until(lambda: len(run.records) == 1 and run.records[0].state is RequestState.RUNNING)
        await controller.aclose()

    loop.run_until_complete(scenario())
    [summary] = events.payloads("run_finished")
    assert summary.outcome is RunOutcome.CANCELLED
    assert controller.closed and controller.start(request) is None
