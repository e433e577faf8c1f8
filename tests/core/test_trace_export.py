"""The trace export follows the Trace Event Format, as Perfetto and chrome://tracing read it.

The format's documented fields (the Trace Event Format document, Chromium's catapult
trace-viewer, Perfetto's JSON importer notes):

- the JSON object form holds ``traceEvents`` (a list) and may say ``displayTimeUnit`` ("ms" or "ns");
- every event has ``name``, ``ph`` (the event type), ``pid``, ``tid``, ``ts`` in microseconds;
  ``cat`` and ``args`` are optional (we always give them);
- a complete event (``"ph": "X"``) adds ``dur``, in microseconds too;
- metadata events (``"ph": "M"``) are named ``process_name``, ``process_labels``,
  ``process_sort_index``, ``thread_name`` or ``thread_sort_index``, with ``args.name`` or ``args.sort_index``;
- Perfetto: complete events on one thread must nest (partial overlaps are dropped), and thread
  ids are matched across processes, so they must be unique.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import time
from collections import defaultdict
from typing import Any

import aiohttp

from app.core import fetch
from app.core.demo_server import DemoServer
from app.core.fetch import FetchOptions
from app.core.lag import Freeze
from app.core.run import FetchMode, Run, RunOutcome, RunSummary
from app.core.task_trace import Span, TaskHistory, TaskState, TaskTrace, TaskTracer
from app.core.timeline import Phase
from app.core.trace_export import FREEZE_LANE, LOOP_LANE, to_trace_events, trace_bytes
from tests.runs import answered, planned

METADATA_NAMES = {"process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"}
STEP_SLACK_US = 10_000
"""How much later than its request a traced wait may begin: the rest of the step that sent it."""


def check_format(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Fails unless ``document`` is a valid Trace Event Format object; returns its events."""
    assert set(document) <= {"traceEvents", "displayTimeUnit", "otherData", "metadata", "stackFrames", "samples"}
    assert document["displayTimeUnit"] in ("ms", "ns")
    events = document["traceEvents"]
    assert isinstance(events, list) and events
    named_threads: dict[int, int] = {}
    for event in events:
        assert isinstance(event["name"], str) and event["name"]
        assert isinstance(event["ph"], str) and len(event["ph"]) == 1
        assert isinstance(event["pid"], int)
        assert isinstance(event.get("cat", ""), str) and isinstance(event.get("args", {}), dict)
        if event["ph"] == "M":
            assert event["name"] in METADATA_NAMES
            key = "sort_index" if event["name"].endswith("sort_index") else "name"
            assert key in event["args"]
            if event["name"].startswith("thread_"):
                assert isinstance(event["tid"], int)
                # A thread id belongs to one process only.
                assert named_threads.setdefault(event["tid"], event["pid"]) == event["pid"]
        elif event["ph"] == "X":
            assert isinstance(event["tid"], int)
            assert isinstance(event["ts"], int) and event["ts"] >= 0  # whole microseconds: see check_nesting
            assert isinstance(event["dur"], int) and event["dur"] >= 0
            assert event["tid"] in named_threads or any(
                e["ph"] == "M" and e["name"] == "thread_name" and e["tid"] == event["tid"] for e in events
            ), f"slice on an unnamed track: {event}"
        else:
            raise AssertionError(f"an event type we do not write: {event['ph']}")
    return events


def check_nesting(events: list[dict[str, Any]]) -> None:
    """Complete events on each thread nest: none starts inside another and ends after it."""
    by_thread: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for event in events:
        if event["ph"] == "X":
            by_thread[(event["pid"], event["tid"])].append((event["ts"], event["ts"] + event["dur"]))
    for slices in by_thread.values():
        slices.sort(key=lambda s: (s[0], -s[1]))
        open_ends: list[float] = []
        for start, end in slices:
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            assert not open_ends or end <= open_ends[-1], f"partial overlap at {start} us"
            open_ends.append(end)


def thread_names(events: list[dict[str, Any]]) -> dict[int, str]:
    return {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}


def sequential_trace() -> TaskTrace:
    """The sequential lesson as the tracer records it, built by hand: fetch_data 0-2 s, then process 2-5 s."""
    track = "LabController._execute_lesson (Task-4)"
    spans = (
        Span(track, "LabController._execute_lesson", 0.0, 5.0, 0, task_id=1),
        Span(track, "main", 0.0, 5.0, 1, "<lesson sequential>:16", 1),
        Span(track, "fetch_data", 0.0, 2.0, 2, "<lesson sequential>:6", 1),
        Span(track, "aiohttp request", 0.0, 2.0, 3, task_id=1),
        Span(track, "process", 2.0, 5.0, 2, "<lesson sequential>:12", 1),
        Span(track, "asyncio.sleep", 2.0, 5.0, 3, task_id=1),
    )
    history = TaskHistory(
        1, track, (0.0, 0.001, 2.0, 5.0), (TaskState.RUNNING, TaskState.IO, TaskState.TIMER, TaskState.DONE),
        ("", "fetch_data:8", "process:14", ""), ("", "<lesson sequential>:8", "<lesson sequential>:14", ""),
    )
    return TaskTrace(spans=spans, busy=((0.0, 0.001), (2.0, 2.0004), (4.9999, 5.0)), tasks=(history,))


def summary_with(trace: TaskTrace | None, freezes: tuple[Freeze, ...] = ()) -> RunSummary:
    run, clock = planned(["http://127.0.0.1:8000/delay/2", "http://127.0.0.1:8000/bytes/10", "not a url"])
    slow, quick, _invalid = run.records
    slow.begin(0.0)
    slow.dns, slow.connect = 0.001, 0.002
    slow.status, slow.reason, slow.response_at = 200, "OK", 1.99
    slow.finish(2.0)
    answered(quick, 0.5, 0.75)
    clock.now = 5.0
    run.finished_at = 5.0
    return run.summarize(RunOutcome.COMPLETED, 0.0, freezes=freezes, trace=trace)


def test_the_export_is_valid_trace_event_json_with_named_tracks() -> None:
    data = trace_bytes(summary_with(sequential_trace(), (Freeze(3.0, 3.25),)))
    document = json.loads(data.decode("utf-8"))
    events = check_format(document)
    check_nesting(events)
    names = thread_names(events)
    assert LOOP_LANE in names.values() and FREEZE_LANE in names.values()
    assert "LabController._execute_lesson (Task-4)" in names.values()
    assert {"request 1", "request 2"} <= set(names.values())
    assert "request 3" not in names.values()  # never sent: nothing to draw
    processes = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert len(processes) == 3 and "asyncio tasks" in processes.values() and "requests" in processes.values()
    assert document["otherData"]["mode"] == "async"


def test_times_are_microseconds_on_the_run_s_clock() -> None:
    events = to_trace_events(summary_with(sequential_trace(), (Freeze(3.0, 3.25),)))["traceEvents"]
    by_name = {e["name"]: e for e in events if e["ph"] == "X"}
    assert (by_name["fetch_data"]["ts"], by_name["fetch_data"]["dur"]) == (0, 2_000_000)
    assert (by_name["process"]["ts"], by_name["process"]["dur"]) == (2_000_000, 3_000_000)
    assert by_name["process"]["args"] == {"depth": 2, "defined at": "<lesson sequential>:12"}
    assert by_name["fetch_data"]["tid"] == by_name["process"]["tid"] == by_name["asyncio.sleep"]["tid"]
    freeze = by_name["frozen 250 ms"]
    assert (freeze["ts"], freeze["dur"], freeze["cat"]) == (3_000_000, 250_000, "freeze")
    assert freeze["args"] == {"duration_ms": 250.0}
    busy = [e for e in events if e["ph"] == "X" and e["cat"] == "loop"]
    assert [(e["ts"], e["dur"]) for e in busy] == [(0, 1000), (2_000_000, 400), (4_999_900, 100)]


def test_requests_carry_their_phases_nested_inside_them() -> None:
    events = to_trace_events(summary_with(None))["traceEvents"]
    check_nesting(events)
    names = thread_names(events)
    request = [e for e in events if e["ph"] == "X" and e["cat"] == "request" and names[e["tid"]] == "request 1"]
    assert len(request) == 1
    whole = request[0]
    assert whole["name"] == "http://127.0.0.1:8000/delay/2"
    assert (whole["ts"], whole["dur"]) == (0, 2_000_000)
    assert whole["args"]["status"] == 200 and whole["args"]["state"] == "done"
    phases = [e for e in events if e["cat"] == "request.phase" and e["tid"] == whole["tid"]]
    assert [e["name"] for e in phases] == [Phase.DNS.label, Phase.CONNECT.label, Phase.WAITING.label, Phase.DOWNLOADING.label]
    assert phases[0]["ts"] == whole["ts"] and sum(e["dur"] for e in phases) == whole["dur"]
    queued = [e for e in events if e["cat"] == "request.phase" and e["name"] == Phase.QUEUED.label]
    assert len(queued) == 1 and queued[0]["dur"] == 500_000  # request 2 waited 0.5 s for its turn
    # No trace (a blocking run, or the X-ray off): no task or loop tracks, still valid.
    assert LOOP_LANE not in names.values()
    check_format(to_trace_events(summary_with(None)))


@dataclasses.dataclass(frozen=True)
class _Frame:
    function: str
    filename: str
    lineno: int
    module: str = ""


@dataclasses.dataclass(frozen=True)
class _Cause:
    start: float
    end: float
    ranked: tuple[tuple[_Frame, float], ...]
    culprit: _Frame | None


def test_a_freeze_holds_its_ranked_frames_when_the_run_has_them() -> None:
    sleep = _Frame("main", "<lesson sleep>", 8, "looplab_lesson_sleep")
    under = _Frame("sleep", "time", 0)
    base = summary_with(None, (Freeze(0.1, 2.1),))
    # A stand-in with the fields the export reads (RunSummary.freeze_causes holds FreezeCause).
    summary = dataclasses.replace(base, freeze_causes=(_Cause(0.09, 2.1, ((sleep, 0.97), (under, 0.03)), sleep),))
    events = check_format(to_trace_events(summary))
    (freeze,) = [e for e in events if e["ph"] == "X" and e["cat"] == "freeze"]
    assert freeze["args"]["culprit"] == {"function": "main", "where": "<lesson sleep>:8", "module": "looplab_lesson_sleep"}
    assert [f["function"] for f in freeze["args"]["frames"]] == ["main", "sleep"]
    assert freeze["args"]["frames"][0]["share"] == 0.97


def test_a_real_traced_run_exports_one_track_per_task_and_per_request(demo_server: DemoServer) -> None:
    # The async fetch, traced as the controller does, straight to the file: 6 URLs, 3 at a time.
    async def traced_run() -> RunSummary:
        run = Run.plan([f"{demo_server.url}/delay/0.2?n={i}" for i in range(6)], FetchMode.ASYNC, concurrency=3)
        tracer = TaskTracer(run.clock)
        tracer.install(asyncio.get_running_loop())
        async with aiohttp.ClientSession() as session:
            await asyncio.create_task(fetch.run_async(run, session, FetchOptions()))
        return run.summarize(RunOutcome.COMPLETED, 0.0, trace=tracer.finish())

    started = time.perf_counter()
    summary = asyncio.run(traced_run())
    assert time.perf_counter() - started < 10
    events = check_format(json.loads(trace_bytes(summary)))
    check_nesting(events)
    names = thread_names(events)
    task_tracks = [name for name in names.values() if name.startswith(("run_async (", "worker ("))]
    assert len(task_tracks) == 4  # run_async and its 3 workers
    fetches = [e for e in events if e["ph"] == "X" and e["name"] == "fetch_async"]
    assert len(fetches) == 6
    for one in fetches:
        # The server waits 0.2 s from the moment the request reaches it; the X-ray's span begins when
        # the step that sent it ends (task_trace: a wait begins as the step ends), which on a busy
        # machine can be a millisecond or more later (seen: 198.9 ms).
        assert 0.2e6 - STEP_SLACK_US <= one["dur"] < 1.2e6
    assert len([n for n in names.values() if n.startswith("request ")]) == 6
    # Two rounds of three: at most three fetches overlap at any moment.
    edges = sorted(itertools.chain(((e["ts"], 1) for e in fetches), ((e["ts"] + e["dur"], -1) for e in fetches)))
    in_flight = peak = 0
    for _at, step in edges:
        in_flight += step
        peak = max(peak, in_flight)
    assert peak == 3
