"""The X-ray on the app's own loop (qasync): lessons run from the window, their tasks traced.

What a student is promised: the sequential lesson's two awaits appear one after the other
(fetch_data, then process), the gather lesson's ten fetches wait on the network side by side,
and replaying the sequential lesson at 1 s shows fetch_data still waiting. Timing bounds are
loose (a noisy 2-core machine); bench/xray_bench.py holds the precise figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import qasync

from app.core.lessons import GATHER_URLS
from app.core.run import RequestState, RunOutcome
from app.core.task_trace import Span, TaskState
from app.ui.main_window import MainWindow
from tests.ui.conftest import until
from tests.ui.test_lessons import FAST, choose, code_view, run_measured

SCALE = FAST
"""The lessons' time scale here: x0.25, so sequential is 0.5 s + 0.75 s."""


def one_span(spans: list[Span], name: str) -> Span:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, f"{name}: {found or [s.name for s in spans]}"
    return found[0]


def test_sequential_lesson_spans_fetch_data_then_process(lab: MainWindow, loop: qasync.QEventLoop, qtbot: Any, tmp_path: Path) -> None:
    choose(lab, qtbot, "sequential", scale=SCALE)
    assert lab.controller.xray_enabled
    summary, _probe = loop.run_until_complete(run_measured(lab))
    assert summary.outcome is RunOutcome.COMPLETED, summary.error
    assert lab.controller.tracer is None  # only while a run is under way
    trace = summary.trace
    assert trace is not None
    fetch_data = one_span(list(trace.spans), "fetch_data")
    process = one_span(list(trace.spans), "process")
    assert fetch_data.track == process.track and fetch_data.depth == process.depth
    # 2 s and 3 s at scale 1, each within 10%; process starts after fetch_data ends.
    assert abs(fetch_data.duration - 2 * SCALE) <= 0.1 * 2 * SCALE, fetch_data
    assert abs(process.duration - 3 * SCALE) <= 0.1 * 3 * SCALE, process
    assert fetch_data.end <= process.start <= fetch_data.end + 0.1 * 2 * SCALE
    assert abs(fetch_data.start) <= 0.1 * 2 * SCALE  # the lesson's clock starts with its code
    # Under each: the library call the lesson's code makes.
    under = {s.name for s in trace.spans if s.track == fetch_data.track and s.depth == fetch_data.depth + 1}
    assert {"aiohttp request", "asyncio.sleep"} <= under
    # The loop was nearly idle: everything was a wait.
    assert trace.busy and trace.busy_share(0, summary.wall_time) < 0.5

    # Replay at 1 s (x scale): fetch_data is waiting on the network, at its own line.
    rows = trace.rows_at(1.0 * SCALE)
    waiting = [row for row in rows if row.awaiting.startswith("fetch_data:")]
    assert len(waiting) == 1, rows
    assert waiting[0].state is TaskState.IO
    assert waiting[0].location.startswith("<lesson sequential>:")
    line = int(waiting[0].awaiting.rpartition(":")[2])
    assert "session.get" in code_view(lab).toPlainText().splitlines()[line - 1]
    later = [row for row in trace.rows_at(3.0 * SCALE) if row.awaiting.startswith("process:")]
    assert len(later) == 1 and later[0].state is TaskState.TIMER
    # After the run, every task has ended.
    assert all(row.state.finished for row in trace.rows_at(summary.wall_time + 1))

    # The same trace, exported: fetch_data and process as complete events on one task's track.
    events = json.loads(lab.export_last_run(tmp_path / "x.json").read_text(encoding="utf-8"))["traceEvents"]
    slices = {e["name"]: e for e in events if e["ph"] == "X" and e["name"] in ("fetch_data", "process")}
    assert slices["fetch_data"]["tid"] == slices["process"]["tid"]
    assert abs(slices["fetch_data"]["dur"] / 1e6 - fetch_data.duration) < 1e-3


def test_gather_lesson_shows_ten_tasks_waiting_on_io_mid_run(lab: MainWindow, loop: qasync.QEventLoop, qtbot: Any) -> None:
    choose(lab, qtbot, "gather", scale=SCALE)
    seen: dict[str, Any] = {}

    async def scenario() -> Any:
        lab.controls.run_button.click()
        await until(lambda: lab.controller.tracer is not None, what="the run's tracer")
        tracer = lab.controller.tracer

        def ten_waiting() -> bool:
            counts = tracer.counts()
            if counts[TaskState.IO] >= GATHER_URLS:
                seen["counts"], seen["rows"] = counts, tracer.live_rows()
                return True
            return False

        await until(ten_waiting, timeout=2 * SCALE + 3, what="ten tasks waiting on I/O")
        await until(lambda: lab.controller.tracer is None and not lab.controller.running, timeout=10, what="the run's end")

    finished: list[Any] = []
    lab.run_finished.connect(finished.append)
    at_start: list[Any] = []  # a tasks panel picks the tracer up when the run starts
    lab.controller.run_started.connect(lambda _run: at_start.append(lab.controller.tracer))
    loop.run_until_complete(scenario())
    assert at_start and at_start[0] is not None
    summary = finished[-1]
    assert summary.outcome is RunOutcome.COMPLETED, summary.error
    fetching = [row for row in seen["rows"] if row.state is TaskState.IO]
    assert len(fetching) >= GATHER_URLS
    assert sum(row.awaiting.startswith("fetch:") for row in fetching) >= GATHER_URLS

    trace = summary.trace
    fetches = [s for s in trace.spans if s.name == "fetch" and s.depth == 0]
    assert len(fetches) == GATHER_URLS and len({s.track for s in fetches}) == GATHER_URLS
    # All ten in flight at once: the latest start comes before the earliest end.
    assert max(s.start for s in fetches) < min(s.end for s in fetches)
    requests = [r for r in summary.records if r.state is RequestState.DONE]
    assert len(requests) == GATHER_URLS
    assert max(r.started for r in requests) < min(r.ended for r in requests)
    gather = [s for s in trace.spans if s.name == "asyncio.gather"]
    assert len(gather) == 1 and gather[0].duration >= 0.9 * SCALE


def test_switched_off_the_run_carries_no_trace(lab: MainWindow, loop: qasync.QEventLoop, qtbot: Any) -> None:
    choose(lab, qtbot, "sleep", scale=SCALE, blocking=False)
    lab.controller.xray_enabled = False
    summary, _probe = loop.run_until_complete(run_measured(lab))
    assert summary.trace is None
    assert loop.get_task_factory() is None
    lab.controller.xray_enabled = True
    summary, _probe = loop.run_until_complete(run_measured(lab))
    assert summary.trace is not None
    assert loop.get_task_factory() is None  # put back after the run
    main = one_span(list(summary.trace.spans), "main")
    assert abs(main.duration - 2 * SCALE) <= 0.1 * 2 * SCALE
