"""The X-ray of a run's event loop: what every task awaits, when, and when the loop ran Python.

A :class:`TaskTracer` is installed on the GUI thread's event loop for the length of one run. It
sees two things, and nothing else:

- **Task steps.** A task factory wraps each new task's coroutine in :class:`_TracedCoroutine`,
  whose ``send`` and ``throw`` time every step (the C ``Task`` drives any
  ``collections.abc.Coroutine``). At the end of a step the coroutine's await chain is read
  (``cr_await`` down to the innermost awaitable, and the future the step yielded): which
  coroutines are awaited (:class:`Span`), what the task now waits for (:class:`TaskState`) and
  the innermost line of *our* code it waits at (the lesson's, or LoopLab's: library frames such
  as aiohttp's internals are named only where our code calls into them).
- **The loop's own work.** While a tracer is installed, ``asyncio.Handle._run`` (every callback
  and task step of the loop, qasync's included) is timed for handles of *that* loop only: the
  demo server's loop on its own thread is never measured. A loop that runs callbacks in batches
  of its own (LoopLab's) times each batch instead (:func:`add_busy`). Back-to-back callbacks are merged into
  one stretch of :data:`BUSY_MERGE`, which is what a timeline can show.

When the run ends, :meth:`TaskTracer.finish` freezes what was seen into a :class:`TaskTrace`,
on the run's clock: spans, busy stretches and each task's history of states, which
:meth:`TaskTrace.rows_at` replays at any moment.

Cost: a few microseconds per task step and about one per callback; nothing at all while no
tracer is installed (bench/xray_bench.py measures it against a 1000-URL run).

A traced task's ``get_coro()`` is the wrapper: ``asyncio.iscoroutine`` is still True for it,
``inspect.iscoroutine`` is not (code that inspects a task's coroutine should use asyncio's check). A run keeps at most :data:`MAX_SPANS` steps and :data:`MAX_POINTS` state
changes; the rest are counted in :attr:`TaskTrace.dropped`.

Qt-free, like all of ``app.core``; it works on any asyncio loop (tests use a plain one).
"""

from __future__ import annotations

import asyncio
import asyncio.events
import bisect
import enum
import functools
import gc
import logging
import operator
import os
import threading
import time
import types
import weakref
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any

from app.i18n import N_, _

log = logging.getLogger(__name__)

BUSY_MERGE = 0.0005
"""Seconds between two callbacks below which the loop counts as busy throughout: the loop lane
is drawn at timeline scale, where half a millisecond is invisible."""
CLIP_MIN = 0.001
"""A span begun before the run's clock started is kept only if it lasts this long after 0 (the
run task's own start-up, such as a lesson's pause to draw "running", is not the run's)."""
RUNNING_MIN = 0.001
"""A task step at least this long is kept in the task's history as RUNNING; shorter steps (a
chunk of a body read, a callback's worth) would only bloat it: the task is still waiting on the
same thing before and after."""


MAX_SPANS = 50_000
MAX_POINTS = 200_000
"""A run keeps at most this many awaited steps and task state changes (a 200,000-URL run would
otherwise keep millions, and its timeline shows only the loop lane anyway); the rest are counted
in :attr:`TaskTrace.dropped`."""

RUN_TASK = N_("LoopLab's run")
"""The name of the task LoopLab runs a lesson's main() (or a URL list) in (shown as ``_(RUN_TASK)``)."""


class TaskState(enum.Enum):
    """What a task is doing, in the words the tasks panel uses."""

    RUNNING = N_("running")
    """Running Python on the loop, or ready to (scheduled, not yet given its turn)."""
    IO = N_("waiting on I/O")
    """Waiting for the network: a connection, an answer, the next chunk of a body."""
    TIMER = N_("on a timer")
    """In ``asyncio.sleep``: the loop wakes it when the time is up."""
    TASK = N_("on another task")
    """Awaiting a task it did not start as part of itself."""
    FUTURE = N_("on a future")
    """Awaiting anything else: ``gather``, a lock or semaphore, a thread or process (``to_thread``,
    ``run_in_executor``)."""
    DONE = N_("done")
    """Returned."""
    CANCELLED = N_("cancelled")
    """Ended by ``cancel()`` (or raised CancelledError itself)."""
    FAILED = N_("failed")
    """Ended by an exception."""

    @property
    def label(self) -> str:
        """The state in the current language."""
        return _(self.value)

    @property
    def finished(self) -> bool:
        return self in (TaskState.DONE, TaskState.CANCELLED, TaskState.FAILED)


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One task at one moment: what the tasks panel shows in a row."""

    task_id: int
    """1, 2, 3... in the order the tasks were created during the run."""
    name: str
    """Its coroutine and its asyncio name: "fetch (Task-12)"."""
    state: TaskState
    awaiting: str
    """The innermost frame of its await chain in our code (the lesson's or LoopLab's), where it
    calls into a library: "fetch_data:12"; "" when it is not waiting (running, finished)."""
    since: float
    """Run-clock seconds when it entered this state (and await point)."""
    location: str = ""
    """Where ``awaiting`` is, as file:line ("<lesson sequential>:8"), for a code view to mark."""


@dataclass(frozen=True, slots=True)
class Span:
    """An awaited coroutine (or sleep / to_thread / executor wait) inside a task, on the run clock."""

    track: str
    """The task's name (:attr:`TaskRow.name`): one track per task."""
    name: str
    """The coroutine's function ("fetch_data"), or the library call our code awaited
    ("asyncio.sleep", "asyncio.to_thread", "aiohttp request", "run_in_executor(count_primes)")."""
    start: float
    end: float
    depth: int
    """0 for the task's own coroutine, 1 for what it awaits, and so on: spans nest."""
    location: str = ""
    """Where the coroutine is defined, as file:line; "" for a plain future."""
    task_id: int = 0

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class TaskHistory:
    """One task's states over a run: ``states[i]`` held from ``times[i]`` until ``times[i + 1]``."""

    task_id: int
    name: str
    times: tuple[float, ...]
    states: tuple[TaskState, ...]
    awaiting: tuple[str, ...]
    locations: tuple[str, ...]

    def row_at(self, t: float) -> TaskRow | None:
        """The task at ``t``, or None if it did not exist yet."""
        i = bisect.bisect_right(self.times, t) - 1
        if i < 0:
            return None
        return TaskRow(self.task_id, self.name, self.states[i], self.awaiting[i], self.times[i], self.locations[i])


class TaskTrace:
    """What a run recorded: immutable, on the run's clock (0 = the run's start).

    ``spans`` may be given as a function that makes them, called on first use: a run of 10,000
    URLs records ~20,000 spans, and building them took ~100 ms of the GUI thread at the run's
    end (a stall of the window), though a URL run's timeline never draws them (only an export
    or a lesson's timeline reads them).
    """

    __slots__ = ("_spans", "_make_spans", "_span_estimate", "busy", "_tasks", "_make_tasks", "_task_count", "dropped")

    def __init__(
        self,
        spans: tuple[Span, ...] | Callable[[], tuple[Span, ...]] = (),
        busy: tuple[tuple[float, float], ...] = (),
        tasks: tuple[TaskHistory, ...] | Callable[[], tuple[TaskHistory, ...]] = (),
        dropped: int = 0,
        *,
        span_estimate: int = 0,
        task_count: int | None = None,
    ) -> None:
        self._spans: tuple[Span, ...] | None = None if callable(spans) else tuple(spans)
        self._span_estimate = span_estimate  # spans not made yet: at most this many
        self._make_spans = spans if callable(spans) else None
        self.busy = busy
        """When the loop ran Python (task steps and callbacks), as (start, end) stretches in order."""
        if callable(tasks) and task_count is None:
            tasks = tasks()  # how many there are is asked at once: made now
        self._tasks: tuple[TaskHistory, ...] | None = None if callable(tasks) else tuple(tasks)
        self._make_tasks = tasks if callable(tasks) else None
        self._task_count = len(self._tasks) if self._tasks is not None else task_count or 0
        self.dropped = dropped
        """Steps and state changes not kept once the run passed :data:`MAX_SPANS` or :data:`MAX_POINTS`."""

    @property
    def tasks(self) -> tuple[TaskHistory, ...]:
        """Every traced task's history, in the order they were created (made on first use, like
        the spans: 1000 of them took ~10 ms of the window's run end, before anyone looked)."""
        if self._tasks is None:
            assert self._make_tasks is not None
            self._tasks, self._make_tasks = self._make_tasks(), None
        return self._tasks

    @property
    def spans(self) -> tuple[Span, ...]:
        """Every awaited step of every task, by task, start and depth (made on first use)."""
        if self._spans is None:
            assert self._make_spans is not None
            self._spans, self._make_spans = self._make_spans(), None
        return self._spans

    def span_count(self) -> int:
        """How many spans: exact once made, else at most that many (without making them)."""
        return len(self._spans) if self._spans is not None else self._span_estimate

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskTrace):
            return NotImplemented
        return (self.spans, self.busy, self.tasks, self.dropped) == (other.spans, other.busy, other.tasks, other.dropped)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        spans = "not made yet" if self._spans is None else len(self._spans)
        return f"TaskTrace(tasks={self._task_count}, spans={spans}, busy={len(self.busy)}, dropped={self.dropped})"

    def rows_at(self, t: float) -> list[TaskRow]:
        """Replay: every task that existed at ``t``, with its state and await point then."""
        return [row for history in self.tasks if (row := history.row_at(t)) is not None]

    def task_count(self) -> int:
        return self._task_count

    def tracks(self) -> list[str]:
        """The tasks' names, in the order they were created: one timeline lane each."""
        return [history.name for history in self.tasks]

    def spans_of(self, track: str) -> list[Span]:
        return [span for span in self.spans if span.track == track]

    def busy_share(self, start: float, end: float) -> float:
        """The share of ``start``..``end`` the loop spent running Python (0 to 1)."""
        if end <= start:
            return 0.0
        spent = sum(max(0.0, min(e, end) - max(s, start)) for s, e in self.busy)
        return spent / (end - start)


_SPAN_ORDER = operator.attrgetter("task_id", "start", "depth")


# --- reading an await chain -------------------------------------------------------------------


@functools.cache
def _library_roots() -> tuple[str, ...]:
    # Learnt on first use, not at import: sysconfig takes ~10 ms to load its configuration, and
    # the window, which imports this module, paints first (app.ui.startup loads it right after).
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {os.path.normcase(os.path.abspath(paths[key])) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(sorted(roots))


_APP_ROOT = os.path.normcase(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep
"""The ``app`` package: our code even when installed into site-packages."""
_IO_MODULES = frozenset(
    {"asyncio.streams", "asyncio.base_events", "asyncio.selector_events", "asyncio.proactor_events", "asyncio.sslproto"}
)
_IO_PACKAGES = frozenset({"aiohttp", "aiohappyeyeballs", "aiodns"})
_SLEEP_CODE = asyncio.sleep.__code__
_GATHERING_FUTURE: type | None = getattr(asyncio.tasks, "_GatheringFuture", None)


async def _probe() -> None:
    pass


def _coroutine_wrapper_type() -> type:
    probe = _probe()
    try:
        return type(probe.__await__())
    finally:
        probe.close()


_COROUTINE_WRAPPER = _coroutine_wrapper_type()
_perf_counter = time.perf_counter
_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType


class _CodeInfo:
    """What the tracer needs to know about one code object, learnt once."""

    __slots__ = ("code", "name", "span_name", "library", "io", "sleep", "filename", "definition")

    def __init__(self, code: types.CodeType, module: str) -> None:
        self.code = code  # kept alive: the tracer knows it by its id
        filename = code.co_filename
        path = os.path.normcase(os.path.abspath(filename)) if not filename.startswith("<") else filename
        self.library = (filename.startswith("<frozen") or path.startswith(_library_roots())) and not path.startswith(_APP_ROOT)
        qualname = getattr(code, "co_qualname", code.co_name)
        self.name = qualname.rpartition("<locals>.")[2]
        top = module.partition(".")[0]
        if not self.library:
            self.span_name = self.name
        elif "RequestContextManager" in qualname and top == "aiohttp":
            self.span_name = _("aiohttp request")
        elif qualname == "_ContextManagerMixin.__aenter__" and top == "asyncio":
            self.span_name = _("asyncio lock or semaphore")  # `async with limit:` waiting for its turn
        else:
            self.span_name = f"{top}.{self.name}" if top else self.name
        self.io = module in _IO_MODULES or top in _IO_PACKAGES
        self.sleep = code is _SLEEP_CODE
        self.filename = filename
        self.definition = f"{filename}:{code.co_firstlineno}"


class _TaskRecord:
    """One traced task while the run goes on (the tracer's own, mutable)."""

    __slots__ = ("task_id", "coro", "function", "task", "name", "stack", "times", "points", "stepped", "waiting_on")

    def __init__(self, task_id: int, coro: types.CoroutineType[Any, Any, Any], created: float) -> None:
        self.task_id = task_id
        self.coro: types.CoroutineType[Any, Any, Any] | None = coro
        self.function = coro.cr_code.co_qualname.rpartition("<locals>.")[2]
        self.task: asyncio.Task[Any] | None = None
        self.name = ""
        # What it awaits now, outermost first: (key, span name, start, definition, is a wait
        # that a library or a future does for us).
        self.stack: list[tuple[object, str, float, str, bool]] = []
        self.times: list[float] = [created]
        self.points: list[tuple[TaskState, str, str]] = [(TaskState.RUNNING, "", "")]  # ready, not started
        self.stepped = False
        self.waiting_on: object = None


class _TracedCoroutine(Coroutine):  # type: ignore[type-arg]
    """A task's coroutine, timed step by step. Everything else passes through to the real one."""

    __slots__ = ("_coro", "_record", "_tracer")

    def __init__(self, coro: Coroutine[Any, Any, Any], record: _TaskRecord, tracer: TaskTracer) -> None:
        self._coro = coro
        self._record = record
        self._tracer = tracer

    def send(self, value: Any) -> Any:
        tracer = self._tracer
        if not tracer._recording:
            return self._coro.send(value)
        started = _perf_counter()
        try:
            awaited = self._coro.send(value)
        except StopIteration:
            tracer._ended(self._record, started, TaskState.DONE)
            raise
        except asyncio.CancelledError:
            tracer._ended(self._record, started, TaskState.CANCELLED)
            raise
        except BaseException:
            tracer._ended(self._record, started, TaskState.FAILED)
            raise
        tracer._suspended(self._record, started, awaited)
        return awaited

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        tracer = self._tracer
        args = (typ,) if val is None and tb is None else (typ, val, tb)
        if not tracer._recording:
            return self._coro.throw(*args)
        started = _perf_counter()
        try:
            awaited = self._coro.throw(*args)
        except StopIteration:
            tracer._ended(self._record, started, TaskState.DONE)
            raise
        except asyncio.CancelledError:
            tracer._ended(self._record, started, TaskState.CANCELLED)
            raise
        except BaseException:
            tracer._ended(self._record, started, TaskState.FAILED)
            raise
        tracer._suspended(self._record, started, awaited)
        return awaited

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._coro.__await__()

    def __getattr__(self, name: str) -> Any:
        # What asyncio's reprs and Task.get_stack() read: cr_frame, cr_await, __qualname__...
        if name == "_coro":
            raise AttributeError(name)
        return getattr(self._coro, name)

    def __repr__(self) -> str:
        return repr(self._coro)


# --- the loop lane: timing every callback of the traced loop ----------------------------------

_busy_lists: dict[asyncio.AbstractEventLoop, list[float]] = {}
"""For each loop whose handles are timed here, its tracer's flat [start, end, start, end, ...] busy list."""
_self_timed: set[asyncio.AbstractEventLoop] = set()
"""Traced loops that time their own callbacks (see :func:`add_busy`)."""
_original_handle_run: Callable[[asyncio.Handle], None] | None = None


def add_busy(busy: list[float], started: float, ended: float) -> None:
    """Adds a stretch of callbacks run back to back to a flat busy list, merged with the last
    one when they are :data:`BUSY_MERGE` apart or less.

    A loop that runs its callbacks in batches of its own (``app.ui.fast_loop.LabLoop``) has a
    ``callback_times`` attribute: ``callback_times.follow(busy)`` hands it the tracer's busy list
    (None takes it back), and the loop adds each batch with this, once, instead of every handle
    being timed here."""
    if busy and started - busy[-1] <= BUSY_MERGE:
        busy[-1] = ended
    else:
        busy.append(started)
        busy.append(ended)


def _timed_handle_run(self: asyncio.Handle) -> None:
    busy = _busy_lists.get(self._loop)  # type: ignore[attr-defined]
    if busy is None:  # another loop (the demo server's thread), or none traced: as before
        return _original_handle_run(self)  # type: ignore[misc]
    started = _perf_counter()
    try:
        _original_handle_run(self)  # type: ignore[misc]
    finally:
        if busy and started - busy[-1] <= BUSY_MERGE:  # add_busy, inline: this runs for every callback
            busy[-1] = _perf_counter()
        else:
            busy.append(started)
            busy.append(_perf_counter())


def _time_handles(loop: asyncio.AbstractEventLoop, busy: list[float]) -> None:
    global _original_handle_run
    if hasattr(loop, "callback_times"):  # it times its own batches of callbacks
        loop.callback_times.follow(busy)
        _self_timed.add(loop)
        return
    if _original_handle_run is None:
        _original_handle_run = asyncio.events.Handle._run
        asyncio.events.Handle._run = _timed_handle_run  # type: ignore[method-assign]
    _busy_lists[loop] = busy


def _stop_timing_handles(loop: asyncio.AbstractEventLoop) -> None:
    global _original_handle_run
    if loop in _self_timed:
        _self_timed.discard(loop)
        loop.callback_times.follow(None)  # type: ignore[attr-defined]
        return
    _busy_lists.pop(loop, None)
    if not _busy_lists and _original_handle_run is not None:
        asyncio.events.Handle._run = _original_handle_run  # type: ignore[method-assign]
        _original_handle_run = None


# --- the tracer -------------------------------------------------------------------------------


class TaskTracer:
    """Records the tasks of one run on one event loop; :meth:`finish` gives the :class:`TaskTrace`.

    ``clock`` is the run's clock (``Run.clock``). It must tick with ``time.perf_counter`` but may
    be re-zeroed while the tracer runs (a run's clock starts when its first request can): times
    are recorded on ``perf_counter`` and moved onto ``clock`` when read, so the trace is always on
    the clock as it was last set.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous_factory: Any = None
        self._thread = 0
        self._recording = False
        self._records: list[_TaskRecord] = []
        # (task id, name, start, end, depth, definition): numbers and strings only, so the collector
        # stops tracking them (a run of 10,000 URLs keeps ~20,000, and it walked every one of them).
        self._spans: list[tuple[int, str, float, float, int, str]] = []
        self._busy: list[float] = []
        self._points = 0
        self._dropped = 0
        self._code_info: dict[int, _CodeInfo] = {}
        """By ``id(code)``: a code object's own hash walks its bytecode and constants every time
        (measured: ~1.4 us a look-up, ten look-ups a step). Each entry keeps its code alive, so
        an id is never reused for another code while it is here."""
        self._where: dict[tuple[_CodeInfo, int], tuple[str, str]] = {}
        """(awaiting, location) texts of our code's await points, made once each."""
        self._executor_calls: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()
        self._trace: TaskTrace | None = None

    # --- installing ---

    @property
    def installed(self) -> bool:
        return self._loop is not None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Traces tasks created on ``loop`` from now on, and times its callbacks. Call on the
        thread that runs ``loop`` (the GUI thread): only its tasks are traced."""
        if self._loop is not None:
            raise RuntimeError("this tracer is already installed")
        if self._trace is not None:
            raise RuntimeError("this tracer has finished; make a new one for the next run")
        if loop in _busy_lists or loop in _self_timed:
            raise RuntimeError("another tracer is installed on this loop")
        self._loop = loop
        self._thread = threading.get_ident()
        self._previous_factory = loop.get_task_factory()
        loop.set_task_factory(self._create_task)
        # An instance attribute shadows the loop's method, so executor waits can be named.
        original = loop.run_in_executor
        loop.run_in_executor = functools.partial(self._run_in_executor, original)  # type: ignore[method-assign]
        _time_handles(loop, self._busy)
        self._recording = True

    def uninstall(self) -> None:
        """Stops tracing new tasks and callbacks; what was recorded stays for :meth:`finish`.
        Puts back the loop's previous task factory. Safe to call twice."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        self._recording = False
        _stop_timing_handles(loop)
        loop.__dict__.pop("run_in_executor", None)
        if loop.get_task_factory() == self._create_task:
            loop.set_task_factory(self._previous_factory)
        else:  # someone replaced ours meanwhile: theirs stays
            log.warning("The task factory was replaced while tracing; left as it is")
        self._previous_factory = None

    def _create_task(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        record = None
        if self._recording and type(coro) is _CoroutineType and threading.get_ident() == self._thread:
            record = _TaskRecord(len(self._records) + 1, coro, time.perf_counter())
            self._records.append(record)
            coro = _TracedCoroutine(coro, record, self)
        if self._previous_factory is not None:
            task = self._previous_factory(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        if record is not None:
            record.task = task
        return task

    def _run_in_executor(self, original: Callable[..., Any], executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        future = original(executor, func, *args)
        try:
            self._executor_calls[future] = f"run_in_executor({_callable_name(func)})"
        except TypeError:  # not weak-referenceable: it simply stays unnamed
            pass
        return future

    # --- what the panels read while the run goes on ---

    def live_rows(self) -> list[TaskRow]:
        """Every task of the run so far, as it is now."""
        offset = self._offset()
        rows = []
        for record in self._records:
            state, awaiting, location = record.points[-1]
            rows.append(TaskRow(record.task_id, self._name(record), state, awaiting, record.times[-1] + offset, location))
        return rows

    def counts(self) -> dict[TaskState, int]:
        """How many tasks are in each state now (every state listed, 0 included)."""
        counts = dict.fromkeys(TaskState, 0)
        for record in self._records:
            counts[record.points[-1][0]] += 1
        return counts

    def task_count(self) -> int:
        return len(self._records)

    # --- the end ---

    def finish(self) -> TaskTrace:
        """Uninstalls (if still installed) and freezes what was recorded, on the run's clock.

        Spans still open (a task still waiting) end now. Anything before the clock's 0 (a run
        checks its URL list before its clock starts) is cut at 0. Calling it again returns the
        same trace.
        """
        if self._trace is not None:
            return self._trace
        self.uninstall()
        now = time.perf_counter()
        offset = self._offset()
        for record in self._records:
            self._close_from(record, 0, now)
            record.name = self._name(record)
            record.task = record.coro = record.waiting_on = None
        raw_spans = self._spans
        records = self._records  # task ids run 1, 2, 3... in this list's order: records[task_id - 1]

        def make_spans() -> tuple[Span, ...]:
            spans = []
            for task_id, name, start, end, depth, definition in raw_spans:
                start, end = start + offset, end + offset
                if end > (CLIP_MIN if start < 0 else 0):  # what ended before 0 (or just after) is not the run's
                    spans.append(Span(records[task_id - 1].name, name, max(start, 0.0), end, depth, definition, task_id))
            spans.sort(key=_SPAN_ORDER)
            return tuple(spans)

        busy = []
        raw = self._busy
        for i in range(0, len(raw) - 1, 2):
            start, end = raw[i] + offset, raw[i + 1] + offset
            if end > 0:
                busy.append((max(start, 0.0), end))

        def make_histories() -> tuple[TaskHistory, ...]:
            return tuple(
                TaskHistory(
                    record.task_id,
                    record.name,
                    tuple(t + offset for t in record.times),
                    tuple(p[0] for p in record.points),
                    tuple(p[1] for p in record.points),
                    tuple(p[2] for p in record.points),
                )
                for record in records
            )

        self._trace = TaskTrace(
            spans=make_spans,
            busy=tuple(busy),
            tasks=make_histories,
            dropped=self._dropped,
            span_estimate=len(raw_spans),
            task_count=len(records),
        )
        self._records, self._spans, self._busy = [], [], []
        self._code_info.clear()
        self._where.clear()
        return self._trace

    # --- the hot path: called at the end of every step of every traced task ---

    def _suspended(self, record: _TaskRecord, started: float, awaited: object) -> None:
        ended = _perf_counter()
        info = self._code_info
        # Our code's frames, down to the first library call they make: (coroutine, what we know of its code).
        chain: list[tuple[object, _CodeInfo]] = []
        recording = True
        inner: _CodeInfo | None = None
        ours: _CodeInfo | None = None
        ours_link: Any = None
        link: Any = record.coro
        # A coroutine's frame is made as a Python object only when asked for (cr_frame), so it is
        # read only where needed: a code seen for the first time, and our innermost coroutine.
        while link is not None:
            kind = type(link)
            if kind is _CoroutineType:
                code, below = link.cr_code, link.cr_await
            elif kind is _GeneratorType:
                code, below = link.gi_code, link.gi_yieldfrom
            elif kind is _COROUTINE_WRAPPER:  # `await coro_returning_object()`: look through it
                referents = gc.get_referents(link)
                link = referents[0] if referents else None
                continue
            else:  # a future's iterator, an async generator's step: the end of what can be read
                break
            code_info = info.get(id(code))
            if code_info is None:
                frame = link.cr_frame if kind is _CoroutineType else link.gi_frame
                code_info = info[id(code)] = _CodeInfo(code, frame.f_globals.get("__name__", "") if frame is not None else "")
            if recording:
                chain.append((link, code_info))
                if code_info.library:
                    recording = False
                else:  # where our code hands over to a library (which may call ours back: not that)
                    ours, ours_link = code_info, link
            inner = code_info
            link = below
        ours_frame = None if ours_link is None else ours_link.cr_frame if type(ours_link) is _CoroutineType else ours_link.gi_frame
        # ...and the future our code awaits itself, if it does: a wait of its own.
        waits_on_future = recording and awaited is not None
        depth = len(chain) + waits_on_future

        stack = record.stack
        common, limit = 0, min(len(stack), depth)
        while common < limit and stack[common][0] is (chain[common][0] if common < len(chain) else awaited):
            common += 1
        if common < len(stack):
            self._close_from(record, common, ended, started)
        # A wait begins as the step ends. Our own coroutines entered in a task's first step began
        # with it (which of them ran first within it is not known, and steps are short).
        first = not record.stepped
        for key, code_info in chain[common:]:
            wait = code_info.library
            stack.append((key, code_info.span_name, started if first and not wait else ended, code_info.definition, wait))
        if waits_on_future and common < depth:
            stack.append((awaited, self._future_name(awaited), ended, "", True))
        record.stepped = True
        record.waiting_on = awaited

        if awaited is None:
            state = TaskState.RUNNING
        elif inner is not None and inner.sleep:
            state = TaskState.TIMER
        elif isinstance(awaited, asyncio.Task):
            state = TaskState.TASK
        elif inner is not None and inner.io:
            state = TaskState.IO
        else:
            state = TaskState.FUTURE
        if ours is not None and ours_frame is not None:
            line = ours_frame.f_lineno
            where = self._where.get((ours, line))
            if where is None:
                where = self._where[ours, line] = (f"{ours.name}:{line}", f"{ours.filename}:{line}")
            awaiting, location = where
        elif inner is not None:
            awaiting, location = inner.span_name, inner.definition
        else:
            awaiting = location = ""
        if ended - started >= RUNNING_MIN:
            self._note(record, started, TaskState.RUNNING, "", "")
        self._note(record, ended, state, awaiting, location)

    def _ended(self, record: _TaskRecord, started: float, state: TaskState) -> None:
        ended = time.perf_counter()
        self._name(record)
        if ended - started >= RUNNING_MIN:
            self._note(record, started, TaskState.RUNNING, "", "")
        if not record.stepped and not (state is TaskState.CANCELLED and ended - started < RUNNING_MIN):
            # Ended in its first step, never awaiting anything: its coroutine still ran.
            self._add_span((record.task_id, record.function, started, ended, 0, ""))
        self._close_from(record, 0, ended, started)
        record.stepped = True
        self._note(record, ended, state, "", "")
        record.task = record.coro = record.waiting_on = None

    def _add_span(self, span: tuple[int, str, float, float, int, str]) -> None:
        if len(self._spans) < MAX_SPANS:
            self._spans.append(span)
        else:
            self._dropped += 1

    def _note(self, record: _TaskRecord, at: float, state: TaskState, awaiting: str, location: str) -> None:
        last_state, last_awaiting, _moment = record.points[-1]
        if last_state is state and last_awaiting == awaiting:
            return
        if self._points >= MAX_POINTS and not state.finished:
            self._dropped += 1  # (how a task ended is always kept)
            return
        self._points += 1
        record.times.append(at)
        record.points.append((state, awaiting, location))

    def _close_from(self, record: _TaskRecord, depth: int, at: float, resumed: float | None = None) -> None:
        """Ends what the task awaited from ``depth`` down, at ``at``. The innermost wait (a sleep,
        a request, a future) ended when the step that ``resumed`` the task began: the rest of
        that step is its callers' work."""
        stack = record.stack
        innermost = len(stack) - 1
        for i in range(innermost, depth - 1, -1):
            _key, name, start, definition, wait = stack[i]
            end = resumed if i == innermost and wait and resumed is not None else at
            self._add_span((record.task_id, name, start, end, i, definition))
        del stack[depth:]

    # --- helpers ---

    def _future_name(self, future: object) -> str:
        if isinstance(future, asyncio.Task):
            return f"await {future.get_name()}"
        if _GATHERING_FUTURE is not None and isinstance(future, _GATHERING_FUTURE):
            return "asyncio.gather"
        try:
            named = self._executor_calls.get(future)
        except TypeError:
            named = None
        return named or "await future"

    def _name(self, record: _TaskRecord) -> str:
        if not record.name and record.task is not None:  # asyncio names a task after making it
            # LoopLab's own task that runs a lesson's main() (or a URL list) is not the lesson's:
            # it is named for what it does, not for a method of LoopLab's controller.
            function = _(RUN_TASK) if record.function.startswith("LabController.") else record.function
            record.name = f"{function} ({record.task.get_name()})"
        return record.name or _("{function} (task {id})").format(function=record.function, id=record.task_id)

    def _offset(self) -> float:
        return self._clock() - time.perf_counter()


def _callable_name(func: Any) -> str:
    """count_primes for count_primes, functools.partial(count_primes, ...) and ctx.run(count_primes, ...)."""
    while isinstance(func, functools.partial):
        inner = func.func
        if getattr(inner, "__name__", "") == "run" and func.args:  # contextvars.Context.run(func, ...)
            func = func.args[0]
        else:
            func = inner
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
