"""A finished run as a Chrome trace: the Trace Event Format that Perfetto and chrome://tracing open.

The JSON object form: ``{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}``.
Every slice is a *complete* event (``"ph": "X"``) with ``ts`` and ``dur`` in microseconds on the
run's clock (0 = the run's start), and ``name``, ``cat``, ``pid``, ``tid`` and ``args``; tracks
are named by *metadata* events (``"ph": "M"``: ``process_name``, ``thread_name`` and their sort
indexes). Three "processes" hold the tracks:

1. **GUI thread**: "loop: running Python" (when the event loop ran task steps and callbacks) and
   "window frozen" (each freeze, with its ranked frames in ``args`` when the run has them);
2. **asyncio tasks**: one track per task, its awaited coroutines nested by depth
   (``app.core.task_trace``);
3. **requests**: one track per request, the whole request with its phases nested inside
   (``app.core.timeline``).

Slices on one track nest exactly (Perfetto drops slices that only partly overlap): times are
whole microseconds, rounded from the same boundaries for a parent and its children. Thread ids are unique across the three
processes, as Perfetto's JSON importer wants.

Qt-free; the export registry in ``app.ui.exporting`` offers it as ``.json``.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from app import __version__
from app.core.run import RunSummary
from app.core.timeline import segments

PID_GUI, PID_TASKS, PID_REQUESTS = 1, 2, 3
LOOP_LANE = "loop: running Python"
FREEZE_LANE = "window frozen"


def _us(seconds: float) -> int:
    """Seconds on the run's clock as the format's microseconds, whole: rounding is monotonic and
    integers add up exactly, so slices that nest in seconds still nest here (fractions would
    not: Perfetto truncates them to nanoseconds, and a parent could end a nanosecond early)."""
    return round(seconds * 1_000_000)


def _complete(name: str, cat: str, pid: int, tid: int, start: float, end: float, args: dict[str, Any] | None = None) -> dict[str, Any]:
    ts = _us(start)
    return {"name": name, "cat": cat, "ph": "X", "ts": ts, "dur": max(0, _us(end) - ts), "pid": pid, "tid": tid, "args": args or {}}


def _metadata(name: str, pid: int, tid: int | None, args: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {"name": name, "ph": "M", "pid": pid, "ts": 0, "cat": "__metadata", "args": args}
    if tid is not None:
        event["tid"] = tid
    return event


class _Tracks:
    """Hands out thread ids, unique across processes, and names each track once."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self._sort = itertools.count()

    def process(self, pid: int, name: str) -> None:
        self.events.append(_metadata("process_name", pid, None, {"name": name}))
        self.events.append(_metadata("process_sort_index", pid, None, {"sort_index": pid}))

    def thread(self, pid: int, name: str) -> int:
        tid = next(self._ids)
        self.events.append(_metadata("thread_name", pid, tid, {"name": name}))
        self.events.append(_metadata("thread_sort_index", pid, tid, {"sort_index": next(self._sort)}))
        return tid


def to_trace_events(summary: RunSummary) -> dict[str, Any]:
    """The run as a Trace Event Format object (see the module's docstring)."""
    tracks = _Tracks()
    slices: list[dict[str, Any]] = []
    trace = summary.trace

    tracks.process(PID_GUI, f"LoopLab run {summary.run_id}: GUI thread")
    if trace is not None:
        loop_tid = tracks.thread(PID_GUI, LOOP_LANE)
        slices += [_complete("running Python", "loop", PID_GUI, loop_tid, start, end) for start, end in trace.busy]
    freezes = list(_freeze_slices(summary))
    if freezes:
        freeze_tid = tracks.thread(PID_GUI, FREEZE_LANE)
        for start, end, args in freezes:
            slices.append(_complete(f"frozen {round((end - start) * 1000)} ms", "freeze", PID_GUI, freeze_tid, start, end, args))

    if trace is not None and (trace.tasks or trace.spans):
        tracks.process(PID_TASKS, "asyncio tasks")
        task_tids: dict[str, int] = {}
        for name in [*trace.tracks(), *(span.track for span in trace.spans)]:
            if name not in task_tids:
                task_tids[name] = tracks.thread(PID_TASKS, name)
        for span in trace.spans:
            args = {"depth": span.depth}
            if span.location:
                args["defined at"] = span.location
            slices.append(_complete(span.name, "task", PID_TASKS, task_tids[span.track], span.start, span.end, args))

    requests = [(record, cut) for record in summary.records if (cut := segments(record))]
    if requests:
        tracks.process(PID_REQUESTS, "requests")
    for record, cut in requests:
        tid = tracks.thread(PID_REQUESTS, f"request {record.index + 1}")
        args: dict[str, Any] = {"url": record.url, "state": record.state.value}
        if record.status is not None:
            args["status"] = record.status
        if record.error:
            args["error"] = record.error
        args["bytes"] = record.bytes_received
        slices.append(_complete(record.url, "request", PID_REQUESTS, tid, cut[0].start, cut[-1].end, args))
        slices += [_complete(piece.phase.label, "request.phase", PID_REQUESTS, tid, piece.start, piece.end) for piece in cut]

    # Parents before their children where they start together, so every viewer nests them alike.
    slices.sort(key=lambda e: (e["pid"], e["tid"], e["ts"], -e["dur"]))
    return {
        "traceEvents": tracks.events + slices,
        "displayTimeUnit": "ms",
        "otherData": {
            "app": f"LoopLab {__version__}",
            "run": summary.run_id,
            "mode": summary.mode.value,
            "outcome": summary.outcome.value,
            "startedAt": summary.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "clock": "seconds since the run started, as microseconds",
        },
    }


def trace_bytes(summary: RunSummary) -> bytes:
    """The file: compact JSON (a 1000-request run with its tasks is a few hundred kB)."""
    return json.dumps(to_trace_events(summary), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- freezes and what caused them ---------------------------------------------------------------


def _freeze_slices(summary: RunSummary) -> Iterator[tuple[float, float, dict[str, Any]]]:
    """(start, end, args) for each freeze; its causes' ranked frames go into args.

    ``summary.freeze_causes`` comes from freeze attribution when the run has it: read with getattr,
    matched to freezes by overlap, so this works with or without it.
    """
    causes = list(getattr(summary, "freeze_causes", ()) or ())
    used: set[int] = set()
    for freeze in summary.freezes:
        args: dict[str, Any] = {"duration_ms": round((freeze.end - freeze.start) * 1000, 1)}
        mine = [
            i
            for i, cause in enumerate(causes)
            if i not in used and _overlaps(cause, freeze.start, freeze.end)
        ]
        used.update(mine)
        if mine:
            args.update(_cause_args([causes[i] for i in mine]))
        yield freeze.start, freeze.end, args
    for i, cause in enumerate(causes):  # a cause with no freeze of its own (a stall just under the line)
        start, end = getattr(cause, "start", None), getattr(cause, "end", None)
        if i not in used and isinstance(start, (int, float)) and isinstance(end, (int, float)) and end > start:
            yield start, end, {"duration_ms": round((end - start) * 1000, 1), **_cause_args([cause])}


def _overlaps(cause: object, start: float, end: float) -> bool:
    cause_start, cause_end = getattr(cause, "start", None), getattr(cause, "end", None)
    if not isinstance(cause_start, (int, float)) or not isinstance(cause_end, (int, float)):
        return False
    return cause_start < end and start < cause_end


def _cause_args(causes: Iterable[object]) -> dict[str, Any]:
    frames: list[dict[str, Any]] = []
    culprit: Any = None
    for cause in causes:
        for entry in getattr(cause, "ranked", ()) or ():
            frame, share = entry if isinstance(entry, tuple) and len(entry) == 2 else (entry, None)
            described = _frame(frame)
            if share is not None:
                described["share"] = round(float(share), 3)
            frames.append(described)
        if culprit is None and getattr(cause, "culprit", None) is not None:
            culprit = _frame(cause.culprit)  # type: ignore[attr-defined]
    args: dict[str, Any] = {}
    if culprit is not None:
        args["culprit"] = culprit
    if frames:
        args["frames"] = frames
    return args


def _frame(frame: object) -> dict[str, Any]:
    """A frame as plain JSON: function, file:line, and whatever else it carries that JSON can hold."""
    if dataclasses.is_dataclass(frame) and not isinstance(frame, type):
        raw = {field.name: getattr(frame, field.name) for field in dataclasses.fields(frame)}
    elif isinstance(frame, dict):
        raw = dict(frame)
    else:
        return {"frame": str(frame)}
    described: dict[str, Any] = {}
    if "function" in raw:
        described["function"] = raw.pop("function")
    if "filename" in raw and "lineno" in raw:
        described["where"] = f"{raw.pop('filename')}:{raw.pop('lineno')}"
    for key, value in raw.items():
        if isinstance(value, enum.Enum):
            value = value.value
        if isinstance(value, (str, int, float, bool)) and value != "":
            described[key] = value
    return described
