"""Freeze attribution: which line froze the window, found by sampling the frozen thread's stack.

A :class:`FreezeWatchdog` watches one thread (the GUI thread) through its heartbeat: the thread
calls :meth:`FreezeWatchdog.beat` on every tick. The watchdog's own thread sleeps until the
heartbeat is overdue and, only if no newer beat has come by then, samples the watched thread's
stack (``sys._current_frames()``) every few milliseconds until the heartbeat comes back. So
while the window is alive it costs a few wake-ups a second and never a sample.

Each freeze's samples are folded into a :class:`FreezeCause`: the frames a person can act on,
ranked by the share of the freeze spent in each, and the *culprit*, the top one:

1. in a lesson, the line of the lesson's code (compiled by :func:`app.core.lessons.compile_main`
   under the file name ``"<lesson ID>"``), e.g. ``time.sleep(2)`` or ``count_primes(...)``: the
   innermost line in one of its coroutines, where the loop handed over and did not get the
   thread back (a plain function of the lesson's it called, ``count_primes``, is what it did);
2. else the line of our own code that called into a library and waits there, e.g. the
   ``requests`` call in :func:`app.core.blocking.fetch_blocking` (with the socket wait under it);
3. else the innermost frame of our own code (tests and scripts count as our own code),
   then of ``app.ui``, then any frame at all.

Only the work the event loop is running *now* is considered: frames outside the innermost
``asyncio``/``qasync`` frame are the loop itself, present in every sample and never the cause.

Sampling works whenever the watched thread releases the GIL: during sleeps and socket waits at
once, and during pure-Python loops at every switch interval (5 ms), so CPU-bound freezes are
sampled too, about every 10 ms.

Qt-free. Times are ``time.perf_counter`` seconds, the clock of :class:`app.core.lag.HeartbeatLog`.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import inspect
import linecache
import logging
import os
import re
import sys
import sysconfig
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from types import CodeType, FrameType

from app.core import gc_control
from app.core.lag import DEFAULT_INTERVAL, FROZEN, is_frozen
from app.core.source_text import without_comment
from app.core.units import format_duration
from app.i18n import _

log = logging.getLogger(__name__)

LESSON_FILE_PREFIX = "<lesson "
"""How :func:`app.core.lessons.compile_main` names a lesson's code: ``"<lesson sleep>"``."""
SAMPLE_INTERVAL = 0.005
MAX_SAMPLES = 2000
"""Samples kept per freeze (10 s at 5 ms); a longer freeze is attributed by its first 10 s."""
KEPT_CAUSES = 64
RANKED = 5
"""Frames kept in :attr:`FreezeCause.ranked`."""
KEPT_STACKS = 20
"""Distinct stacks kept in :attr:`FreezeCause.stacks`."""
_LOOP_MODULES = ("asyncio", "qasync")
_LOOP_PLUMBING = ("app.core.task_trace", "app.ui.fast_loop")
_SOCKET_MODULES = ("socket", "ssl", "selectors", "select")


class FrameKind(enum.Enum):
    """Whose code a frame runs, as far as blame goes."""

    LESSON = "lesson"
    """A lesson's code, exactly as shown in the code view."""
    OWN = "own"
    """LoopLab's own code outside ``app.ui``, or any code that is not a library (tests, scripts)."""
    UI = "ui"
    """``app.ui``: the window's plumbing."""
    LIBRARY = "library"
    """The standard library and installed packages."""
    LOOP = "loop"
    """The event loop itself (``asyncio``, ``qasync``)."""


@dataclass(frozen=True)
class Frame:
    """One line of code that was running: where, and the line's text if it can be read."""

    function: str
    """The qualified name, e.g. ``"main"``, ``"SocketIO.readinto"``."""
    filename: str
    lineno: int
    module: str = ""
    """The module's ``__name__`` (``"app.core.fetch"``), "" if unknown."""
    code: str = ""
    """The text of the line, stripped ("" when the source cannot be read)."""
    coroutine: bool = False
    """The frame of a coroutine (``async def``), which the event loop runs step by step."""

    @property
    def in_lesson(self) -> bool:
        return self.filename.startswith(LESSON_FILE_PREFIX)

    @property
    def lesson_id(self) -> str:
        """The lesson whose code this is ("" for any other code)."""
        return self.filename[len(LESSON_FILE_PREFIX) : -1] if self.in_lesson else ""

    @property
    def kind(self) -> FrameKind:
        return frame_kind(self.module, self.filename)

    @property
    def where(self) -> str:
        """The module (or the file's name) it is in: ``"app.core.fetch"``, ``"test_x.py"``."""
        if self.module and self.module != "__main__":
            return self.module
        return os.path.basename(self.filename) or self.filename

    @property
    def call(self) -> str:
        """What the line does, short: ``"time.sleep(2)"``, ``"session.get(…)"`` (see :func:`call_text`)."""
        return call_text(self.code)

    def __str__(self) -> str:
        return f"{self.function} ({self.where}:{self.lineno})"


@dataclass(frozen=True)
class FreezeCause:
    """One freeze of the watched thread and what it was doing meanwhile."""

    start: float
    """When the heartbeat was due (the last beat plus one interval), like :class:`app.core.lag.Freeze`."""
    end: float
    """When the heartbeat came back (or sampling stopped)."""
    samples: int
    ranked: tuple[tuple[Frame, float], ...]
    """The frames a person can act on, each with its share of the samples (0-1), largest first."""
    culprit: Frame | None
    """The top of :attr:`ranked`."""
    under: Frame | None = None
    """Where the culprit's samples were, innermost (the socket wait under a ``requests`` call,
    ``count_primes`` under the lesson's call to it); None when that is the culprit itself."""
    callee: Frame | None = None
    """The frame the culprit called (``requests``' ``Session.get``), if any."""
    stacks: tuple[tuple[tuple[Frame, ...], int], ...] = ()
    """The most frequent distinct stacks of the loop's current work, outermost first, with
    their sample counts (folded stacks, as flame graphs read them)."""

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def share(self) -> float:
        """The culprit's share of the samples (0-1)."""
        return self.ranked[0][1] if self.ranked else 0.0

    @property
    def seconds_in_culprit(self) -> float:
        """About how long the culprit held the thread."""
        return self.share * self.duration

    def shifted(self, origin: float, start: float | None = None, end: float | None = None) -> FreezeCause:
        """The same cause clipped to [start, end] and told in seconds since ``origin`` (a run's clock)."""
        lo = self.start if start is None else max(self.start, start)
        hi = self.end if end is None else min(self.end, end)
        return replace(self, start=lo - origin, end=hi - origin)

    def short(self) -> str:
        """A few words for a freeze band: ``"time.sleep(2)"``, ``"fetch_blocking()"``."""
        culprit = self.culprit
        if culprit is None:
            return ""
        if culprit.in_lesson and culprit.call:
            return _clip(culprit.call, 28)
        return f"{culprit.function.rsplit('.', 1)[-1]}()"

    def brief(self) -> str:
        """The culprit in a few words, for a line of a report: "time.sleep(2) in line 8 of the
        lesson", "fetch_blocking() calling requests: session.get(…)", "block(), line 40: time.sleep(0.2)"."""
        culprit = self.culprit
        if culprit is None:
            return ""
        call = _clip(culprit.call, 32)
        if culprit.in_lesson:
            return _("{call} in line {line} of the lesson").format(call=call or culprit.function, line=culprit.lineno)
        name = f"{_local_name(culprit.function).rsplit('.', 1)[-1]}()"
        callee = self.callee
        if callee is not None and callee.kind in (FrameKind.LIBRARY, FrameKind.LOOP) and callee.module:
            return _("{function} calling {library}").format(function=name, library=callee.module.split(".")[0]) + (f": {call}" if call else "")
        return _("{function}, line {line}").format(function=name, line=culprit.lineno) + (f": {call}" if call else "")

    def words(self) -> str:
        """One plain sentence naming the culprit, e.g. "time.sleep(2) in line 8 of the lesson:
        98% of the 2.00 s freeze"."""
        culprit = self.culprit
        freeze = format_duration(self.duration)
        share = _("{percent}% of the {time} freeze").format(percent=round(100 * self.share), time=freeze)
        if culprit is None:
            return _("No stack was sampled during the {time} freeze.").format(time=freeze)
        if culprit.in_lesson:
            what = _("{call} in line {line} of the lesson").format(call=culprit.call or culprit.function, line=culprit.lineno)
        else:
            call = f": {culprit.call}" if culprit.call else ""
            what = _("{function}() in {where}, line {line}").format(
                function=_local_name(culprit.function), where=culprit.where, line=culprit.lineno
            ) + call
            callee = self.callee
            if callee is not None and callee.kind in (FrameKind.LIBRARY, FrameKind.LOOP):
                what += _(", a call into {library} ({function})").format(
                    library=callee.module.split(".")[0] or callee.where, function=callee.function
                )
        under = self.under
        if under is not None:
            if under.module in _SOCKET_MODULES:
                what += _(", waiting on the network in {function}").format(function=f"{under.module}.{under.function}")
            else:
                what += _(", inside {function}").format(function=_qualified(under))
        return f"{what}: {share}."


def _local_name(function: str) -> str:
    """``"test_x.<locals>.block"`` as ``"block"``: a nested function by its own name."""
    return function.rsplit(".<locals>.", 1)[-1]


def _qualified(frame: Frame) -> str:
    if frame.kind in (FrameKind.LIBRARY, FrameKind.LOOP) and frame.module:
        return f"{frame.module}.{frame.function}"
    return f"{_local_name(frame.function)}()"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_TARGET = re.compile(r"^[\w.\[\]'\", ]+?\s*(?:[-+*/%&|^@]|//|\*\*|>>|<<)?=(?!=)\s*")
_KEYWORD = re.compile(r"^(?:async\s+with|with|return|await|yield\s+from|yield|assert|raise)\s+")


def call_text(code: str) -> str:
    """What a line of code does, for a sentence: no comment, no assignment target, no leading
    ``with``/``return``/``await``; an unclosed call ends in "…)": ``"session.get(…)"``."""
    text = without_comment(code).strip()
    text = _KEYWORD.sub("", _TARGET.sub("", text, count=1), count=1)
    text = _KEYWORD.sub("", text, count=1)  # "x = await f()": the target, then the keyword
    text = re.sub(r"\s+as\s+[\w, ()]+:?$", "", text).rstrip(":").strip()
    opened = text.count("(") - text.count(")")
    if opened > 0:
        text = text.rstrip() + "…" + ")" * opened
    return _clip(text, 60)


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = {os.path.normcase(os.path.abspath(paths[key])) for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    found.add(os.path.normcase(os.path.abspath(os.path.dirname(os.__file__))))
    return tuple(sorted(d.rstrip(os.sep) + os.sep for d in found))


_LIBRARY_DIRS = _library_dirs()


def frame_kind(module: str, filename: str) -> FrameKind:
    """Whose code ``module``/``filename`` is: decided by the module's name first (LoopLab may be
    installed in site-packages), then by where the file lives."""
    if filename.startswith(LESSON_FILE_PREFIX):
        return FrameKind.LESSON
    top = module.split(".", 1)[0]
    if module in _LOOP_PLUMBING:
        return FrameKind.LOOP  # the X-ray's own wrapper around every task step: the loop's work
    if top == "app":
        return FrameKind.UI if module == "app.ui" or module.startswith("app.ui.") else FrameKind.OWN
    if top in _LOOP_MODULES:
        return FrameKind.LOOP
    if filename.startswith("<frozen ") or os.path.normcase(filename).startswith(_LIBRARY_DIRS):
        return FrameKind.LIBRARY
    return FrameKind.OWN


# --- folding samples ---------------------------------------------------------------------------

RawFrame = tuple[CodeType, int, str]
"""What a sample keeps of a frame: its code, line and module name (cheap to take, no source read)."""
RawStack = tuple[RawFrame, ...]
"""Outermost first."""


def take_stack(frame: FrameType | None) -> RawStack:
    """The stack from ``frame`` outwards, outermost first."""
    found = []
    while frame is not None:
        found.append((frame.f_code, frame.f_lineno or 0, frame.f_globals.get("__name__", "")))  # f_lineno: None between lines
        frame = frame.f_back
    found.reverse()
    return tuple(found)


def _frame(raw: RawFrame, cache: dict[RawFrame, Frame]) -> Frame:
    made = cache.get(raw)
    if made is None:
        code, lineno, module = raw
        text = linecache.getline(code.co_filename, lineno).strip() if lineno else ""
        coroutine = bool(code.co_flags & (inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR))
        made = cache[raw] = Frame(code.co_qualname, code.co_filename, lineno, module or "", text, coroutine)
    return made


def current_work(stack: Sequence[Frame]) -> Sequence[Frame]:
    """The frames inside the innermost event-loop frame: what the loop runs now."""
    for i in range(len(stack) - 1, -1, -1):
        if stack[i].kind is FrameKind.LOOP:
            return stack[i + 1 :]
    return stack


def blame(stack: Sequence[Frame]) -> tuple[Frame | None, Frame | None, Frame | None]:
    """(culprit, under, callee) for one sample's stack, outermost first (see the module's rules)."""
    if not stack:
        return None, None, None
    work = current_work(stack)
    if not work:  # the loop's own code (between two callbacks, or handling Qt's events)
        return stack[-1], None, None
    kinds = [frame.kind for frame in work]
    index: int | None = None
    lessons = [i for i, kind in enumerate(kinds) if kind is FrameKind.LESSON]
    if lessons:
        coroutines = [i for i in lessons if work[i].coroutine]
        index = (coroutines or lessons)[-1]
    else:
        for own in (FrameKind.OWN, FrameKind.UI):
            # Our code calling a library: the outermost such call (a library calling back into us is not the cause).
            calls = [i for i in range(len(work) - 1) if kinds[i] is own and kinds[i + 1] is FrameKind.LIBRARY]
            mine = [i for i, kind in enumerate(kinds) if kind is own]
            if calls or mine:
                index = calls[0] if calls else mine[-1]
                break
    if index is None:
        index = len(work) - 1
    culprit = work[index]
    callee = work[index + 1] if index + 1 < len(work) else None
    under = work[-1] if index < len(work) - 1 else None
    return culprit, under, callee


def fold(samples: Sequence[RawStack], start: float, end: float) -> FreezeCause:
    """Folds one freeze's samples into a :class:`FreezeCause`."""
    cache: dict[RawFrame, Frame] = {}
    counts = collections.Counter(samples)
    culprits: collections.Counter[Frame] = collections.Counter()
    unders: dict[Frame, collections.Counter[Frame | None]] = collections.defaultdict(collections.Counter)
    callees: dict[Frame, collections.Counter[Frame | None]] = collections.defaultdict(collections.Counter)
    stacks: collections.Counter[tuple[Frame, ...]] = collections.Counter()
    for raw, count in counts.items():
        stack = [_frame(f, cache) for f in raw]
        culprit, under, callee = blame(stack)
        if culprit is None:
            continue
        culprits[culprit] += count
        unders[culprit][under] += count
        callees[culprit][callee] += count
        stacks[tuple(current_work(stack))] += count
    total = len(samples)
    ranked = tuple((frame, count / total) for frame, count in culprits.most_common(RANKED))
    top = ranked[0][0] if ranked else None
    under = callee = None
    if top is not None:
        under = _most_common_function(unders[top])
        callee = _most_common_function(callees[top])
        if under is not None and (under.function, under.filename) == (top.function, top.filename):
            under = None
    return FreezeCause(
        start=start,
        end=end,
        samples=total,
        ranked=ranked,
        culprit=top,
        under=under,
        callee=callee,
        stacks=tuple(stacks.most_common(KEPT_STACKS)),
    )


def _most_common_function(frames: collections.Counter[Frame | None]) -> Frame | None:
    """The most frequent function among ``frames`` (by function, not line), at its most frequent line."""
    by_function: collections.Counter[tuple[str, str] | None] = collections.Counter()
    for frame, count in frames.items():
        by_function[None if frame is None else (frame.function, frame.filename)] += count
    if not by_function:
        return None
    best = by_function.most_common(1)[0][0]
    if best is None:
        return None
    lines = [(count, frame) for frame, count in frames.items() if frame is not None and (frame.function, frame.filename) == best]
    return max(lines, key=lambda pair: pair[0])[1]


def longest(causes: Iterable[FreezeCause]) -> FreezeCause | None:
    """The cause of the longest freeze, or None."""
    return max(causes, key=lambda cause: cause.duration, default=None)


def cause_for(causes: Iterable[FreezeCause], start: float, end: float) -> FreezeCause | None:
    """The cause that overlaps [start, end] the most (a freeze band's), or None."""
    best, best_overlap = None, 0.0
    for cause in causes:
        overlap = min(end, cause.end) - max(start, cause.start)
        if overlap > best_overlap:
            best, best_overlap = cause, overlap
    return best


# --- the watchdog ------------------------------------------------------------------------------


def _no_collection() -> contextlib.AbstractContextManager[None]:
    """No cyclic garbage collection while the watchdog allocates: a collection started on its
    thread could free Qt objects off the GUI thread (a crash in Qt's timer list, seen with the
    demo server's thread). Only around its own allocations, never for a whole freeze: a long
    freeze would otherwise pile up garbage for one big pause afterwards. Shared with the GC pacer
    through app.core.gc_control, which owns the process-wide switch."""
    return gc_control.held()


class FreezeWatchdog:
    """Samples a thread's stack while its heartbeat is overdue; see the module's docstring.

    Call :meth:`beat` from the watched thread on every heartbeat tick; :meth:`start` and
    :meth:`stop` from any thread. Read what it found with :meth:`take_new` and
    :meth:`causes_between`. It never touches the watched thread's objects beyond reading its
    frames, and never calls back into it.
    """

    def __init__(
        self,
        thread_id: int | None = None,
        *,
        limit: float = FROZEN,
        interval: float = SAMPLE_INTERVAL,
        heartbeat_interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.thread_id = threading.get_ident() if thread_id is None else thread_id
        self.limit = limit
        """Sampling starts once the last beat is this old."""
        self.interval = interval
        self.heartbeat_interval = heartbeat_interval
        self.wakeups = 0
        """How often the watchdog's thread has woken up (for benchmarks and tests)."""
        self.samples_taken = 0
        self._last_beat: float | None = None
        self._current: list[RawStack] = []
        self._current_since: float | None = None
        """The beat the freeze under way started from (None: no freeze being sampled)."""
        self._causes: collections.deque[FreezeCause] = collections.deque(maxlen=KEPT_CAUSES)
        self._new: collections.deque[FreezeCause] = collections.deque(maxlen=KEPT_CAUSES)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the watched thread's side ---

    def beat(self, now: float) -> None:
        """The watched thread is alive at ``now`` (perf_counter). Costs an attribute store."""
        self._last_beat = now

    def take_new(self) -> list[FreezeCause]:
        """The causes found since the last call, oldest first (cheap when there are none)."""
        found = []
        while self._new:
            found.append(self._new.popleft())
        return found

    def causes_between(self, start: float, end: float) -> list[FreezeCause]:
        """Every cause overlapping [start, end], oldest first, including a freeze still under way
        at ``end`` (folded from its samples so far, ending at ``end``) if it is already a freeze."""
        with self._lock:
            found = [cause for cause in self._causes if cause.end > start and cause.start < end]
        since, samples = self._current_since, list(self._current)
        if since is not None and samples and not any(c.start == since + self.heartbeat_interval for c in found):
            due = since + self.heartbeat_interval
            if due < end and is_frozen(end - due):
                found.append(fold(samples, due, end))
        return found

    # --- life cycle ---

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="LoopLab freeze watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops watching and waits for the thread to end (a freeze being sampled is kept)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    # --- the watchdog's thread ---

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                last = self._last_beat
                delay = self.limit if last is None else last + self.limit - time.perf_counter()
                if delay > 0:
                    self._stop.wait(delay)
                    self.wakeups += 1
                    continue
                if self._last_beat == last:  # overdue and still no newer beat: frozen
                    self._sample_freeze(last)
            except Exception:  # a watchdog that dies would leave every later freeze unexplained
                log.exception("The freeze watchdog failed; it goes on watching")
                self._current_since, self._current = None, []
                self._stop.wait(self.limit)

    def _sample_freeze(self, last: float | None) -> None:
        try:
            self._current, self._current_since = [], last
            samples = self._current
            while self._last_beat == last and not self._stop.is_set() and len(samples) < MAX_SAMPLES:
                frame = sys._current_frames().get(self.thread_id)  # the way to see another thread's stack
                if frame is None:  # the watched thread has ended
                    self._stop.set()
                    break
                with _no_collection():
                    stack = take_stack(frame)
                del frame  # never keep the watched thread's frames (and their locals) alive here
                if self._last_beat != last:
                    break  # the beat came while sampling: this stack is already after the freeze
                samples.append(stack)
                self.samples_taken += 1
                self._stop.wait(self.interval)
            while self._last_beat == last and not self._stop.is_set():
                self._stop.wait(self.limit)  # past MAX_SAMPLES: just wait for the heartbeat
            end = self._last_beat if self._last_beat != last and self._last_beat is not None else time.perf_counter()
            due = (last if last is not None else end) + self.heartbeat_interval
            if samples and is_frozen(end - due):
                with _no_collection():
                    cause = fold(samples, due, end)
                with self._lock:
                    self._causes.append(cause)
                self._new.append(cause)
        finally:
            self._current_since, self._current = None, []
