"""LoopLab's event loop: qasync's ``QEventLoop``, with asyncio's own scheduling put back.

qasync runs asyncio inside Qt's loop, and LoopLab teaches with it. Its scheduler is the costly
part: every ``call_soon`` (every task step, every future's callback) starts a Qt timer of its own,
and every ``call_later`` another; measured here that made a raw qasync client half as fast as
plain asyncio for HTTP requests, at twice the CPU, and 1000 tasks starting at once froze the
window for ~450 ms (issue 13). :class:`LabLoop` keeps qasync's integration (the Qt loop is the
only loop; sockets are watched through ``QSocketNotifier``) and schedules as asyncio does:

- **Ready callbacks** go to one deque (asyncio's ``_ready``), drained in FIFO order for at most
  :attr:`LabLoop.batch_budget` seconds per Qt turn; then the loop yields to Qt (paint, input,
  the heartbeat) and asks for another turn if work is left.
- **One Qt timer** drives it all: single-shot and *precise*, started at zero when callbacks are
  ready, else armed for the earliest timer. A zero *timer*, not a posted event: Qt's GLib
  dispatcher serves due timers together (the heartbeat fires in the same pass as the drain),
  then lowers timers' priority until posted events (paint) and sockets had their turn; a posted
  event drained in a loop kept a 10 ms heartbeat 32 ms apart, the zero timer keeps it at 8-16 ms.
- **Timers** (``call_later``, ``call_at``, so ``asyncio.sleep``) live in one heap served by that
  Qt timer, armed for the earliest deadline: a timer never fires early
  (``await asyncio.sleep(3)`` takes >= 3 s, within about a millisecond), and due timers join the
  ready queue behind what is already there, as in asyncio. Cancelled timers are dropped from the
  heap as asyncio drops them, so it never grows without bound.
- **Sockets** (Linux) are kept as asyncio keeps them, in one epoll set, and Qt watches that set
  with one ``QSocketNotifier``: every round of a drain polls it without waiting, as asyncio's
  ``_run_once`` does. qasync's way, one notifier per socket switched off before and on after
  each callback, cost two notifier updates per read and made Qt's own poll walk every socket
  (1000 at once in the wide bench). Elsewhere, qasync's notifiers as they come.
- **Other threads** (``call_soon_threadsafe``, executors' results) append to the same deque and
  post a wake-up event (Qt's thread-safe way in), which drains on the GUI thread.
- Callbacks run only while the loop runs (``run_forever``/``run_until_complete``), never when
  something else spins Qt's events, as asyncio's never run outside ``run_forever``.
- Async generators are tracked (``shutdown_asyncgens`` finalizes them), ``loop.stop()`` before
  ``run_forever`` runs one iteration, and the default executor is asyncio's thread pool (so
  ``asyncio.to_thread`` and ``shutdown_default_executor`` behave as in asyncio).
- Closing frees the loop's Qt objects on the GUI thread (``deleteLater``): a loop garbage-
  collected later, on whatever thread, holds no Qt object with a registered timer (STYLE.md).

``tests/loop/test_conformance.py`` runs the same tests on this loop and on plain asyncio's.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import heapq
import itertools
import math
import selectors
import sys
import threading
import time
from asyncio.log import logger as asyncio_logger
from collections.abc import Callable, Coroutine
from contextvars import Context
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSocketNotifier, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.core.task_trace import add_busy
from app.ui.gc_pacer import GcPacer

__all__ = ["LabLoop", "run"]

T = TypeVar("T")

_WAKE = QEvent.Type(QEvent.registerEventType())
"""The event type of LabLoop's "drain the ready queue" event."""

_SELECTOR_IO = sys.platform.startswith("linux") and hasattr(selectors, "EpollSelector")
"""Sockets in one epoll set behind one Qt notifier (Linux); elsewhere qasync's notifier per socket
(a kqueue or a select() set cannot be handed to Qt's event dispatcher to watch)."""
_EVENT_READ, _EVENT_WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
_NEVER = math.inf
GC_BACKSTOP_MS = 1000
"""How often the GC pacer looks in when no batch of callbacks has run (an idle window)."""
_NOW = -math.inf


class _Waker(QObject):
    """Receives the loop's posted wake-up events on the GUI thread (only ours reach customEvent)."""

    def __init__(self, on_wake: Callable[[], None]) -> None:
        super().__init__()
        self._on_wake = on_wake

    def customEvent(self, event: QEvent) -> None:
        self._on_wake()


class _EpollWatch:
    """A LabLoop's sockets in one epoll set (asyncio's selector, as in plain asyncio), watched by
    one QSocketNotifier: readable while any socket is ready, so Qt wakes the loop for all of them."""

    def __init__(self, loop: LabLoop) -> None:
        self._loop = loop
        # qasync's selector (a notifier per socket) holds asyncio's self-pipe so far: moved over.
        epoll = selectors.EpollSelector()
        for key in list(loop._selector.get_map().values()):
            loop._selector.unregister(key.fileobj)
            epoll.register(key.fileobj, key.events, key.data)
        loop._selector.close()
        loop._selector = epoll
        self._select = epoll.select
        self.notifier = QSocketNotifier(epoll.fileno(), QSocketNotifier.Type.Read)
        self.notifier.activated.connect(self._on_ready)

    def _on_ready(self) -> None:
        loop = self._loop
        if not loop.is_running():
            # Qt spins events outside run_forever (processEvents, a dialog after the loop
            # stopped): asyncio's callbacks wait for the loop, and the notifier must not fire
            # on every Qt turn meanwhile (the set stays readable until polled).
            # LabLoop._before_run_forever turns it back on.
            self.notifier.setEnabled(False)
            return
        if loop._armed_when == _NOW:
            return  # a drain is due at Qt's next turn anyway, and it polls
        loop._run_batch()

    def poll(self) -> None:
        """asyncio's select and ``_process_events``, without waiting: the readers and writers
        of the sockets that are ready join the end of the ready queue (called in a drain)."""
        events = self._select(0)
        if not events:
            return
        loop = self._loop
        append = loop._ready.append
        for key, mask in events:
            reader, writer = key.data
            if mask & _EVENT_READ and reader is not None:
                if reader._cancelled:
                    loop._remove_reader(key.fileobj)
                else:
                    append(reader)
            if mask & _EVENT_WRITE and writer is not None:
                if writer._cancelled:
                    loop._remove_writer(key.fileobj)
                else:
                    append(writer)


class _BatchTimes:
    """When a LabLoop ran callbacks, for a tracer that follows it (``app.core.task_trace``)."""

    __slots__ = ("busy", "since")

    def __init__(self) -> None:
        self.busy: list[float] | None = None
        """The tracer's flat busy list, while one follows the loop."""
        self.since: float | None = None
        """When the batch under way began (None between batches)."""

    def follow(self, busy: list[float] | None) -> None:
        """Adds each batch to ``busy`` from now on (None: stops). Called in the middle of a batch
        (a run's callback installs or finishes its tracer), the batch counts up to here for the
        list it leaves, and from here for the one it joins."""
        now = time.perf_counter()
        if self.busy is not None and self.since is not None:
            add_busy(self.busy, self.since, now)
        self.busy = busy
        if self.since is not None:
            self.since = now


class LabLoop(qasync.QEventLoop):
    """qasync's event loop with batched ready callbacks and one precise timer for all timers.

    Same constructor as ``qasync.QEventLoop``, plus ``batch_budget``: the longest time (seconds)
    one drain of ready callbacks may take before Qt gets its turn (a callback that runs longer
    is not interrupted: the budget is checked between callbacks); and ``gc_pacer``: while the
    loop runs, Python's cyclic GC runs only between its batches, on this thread (app.ui.gc_pacer).
    """

    batch_budget: float = 0.008
    """About half a frame: the heartbeat, paint and input wait at most this long behind asyncio."""


    def __init__(
        self,
        app: QApplication | None = None,
        set_running_loop: bool = False,
        already_running: bool = False,
        *,
        batch_budget: float | None = None,
        gc_pacer: GcPacer | None = None,
    ) -> None:
        if batch_budget is not None:
            self.batch_budget = batch_budget
        self._gc_pacer = gc_pacer
        # Made before qasync's __init__, which may call _before_run_forever (already_running=True).
        self._waker = _Waker(self._on_wake)
        self._clock = QTimer()
        self._clock.setSingleShot(True)
        self._clock.setTimerType(Qt.TimerType.PreciseTimer)
        self._clock.timeout.connect(self._on_clock)
        self._gc_backstop = QTimer()
        self._gc_backstop.setInterval(GC_BACKSTOP_MS)
        self._gc_backstop.timeout.connect(self._on_gc_backstop)
        self._timers: list[tuple[float, int, asyncio.TimerHandle]] = []  # (when, order, handle)
        self._timer_order = itertools.count()  # equal deadlines run in the order they were set
        self._armed_when = _NEVER  # the deadline the Qt timer is armed for (_NOW: a drain is due)
        self._wake_lock = threading.Lock()  # other threads post only while the waker exists
        self._stop_pending = False  # stop() before run_forever: run one iteration, then stop
        self._old_agen_hooks: Any = None
        self._round_left = 0  # callbacks of the current round (what was ready when it began) not run yet
        self._sockets: _EpollWatch | None = None
        self.callback_times = _BatchTimes()
        """For the X-ray's loop lane (``app.core.task_trace``): each batch of callbacks is one
        stretch of busy time, rather than every callback being timed on its own."""
        super().__init__(app, set_running_loop, already_running)
        if _SELECTOR_IO:  # one epoll set for all sockets, watched by one QSocketNotifier
            self._sockets = _EpollWatch(self)
            if already_running:
                self._sockets.notifier.setEnabled(True)

    # Sockets ------------------------------------------------------------------------------

    if _SELECTOR_IO:
        # asyncio's own: readers and writers are kept in the loop's epoll set (its selector),
        # polled at the start of every round of a drain (_EpollWatch), instead of qasync's one
        # QSocketNotifier per socket, switched off and on around every callback.
        _add_reader = asyncio.selector_events.BaseSelectorEventLoop._add_reader
        _remove_reader = asyncio.selector_events.BaseSelectorEventLoop._remove_reader
        _add_writer = asyncio.selector_events.BaseSelectorEventLoop._add_writer
        _remove_writer = asyncio.selector_events.BaseSelectorEventLoop._remove_writer

    # Scheduling ---------------------------------------------------------------------------

    def call_soon(self, callback: Callable[..., object], *args: Any, context: Context | None = None) -> asyncio.Handle:
        """Runs ``callback(*args)`` in a coming batch, after everything already scheduled (FIFO)."""
        if self._closed:
            raise RuntimeError("Event loop is closed")
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_soon")
        handle = asyncio.Handle(callback, args, self, context)
        if handle._source_traceback:
            del handle._source_traceback[-1]
        self._ready.append(handle)
        if self._armed_when != _NOW:
            self._wake()
        return handle

    def _call_soon(self, callback: Callable[..., object], args: tuple[Any, ...], context: Context | None) -> asyncio.Handle:
        # asyncio's internal entry point (BaseEventLoop); same queue.
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        if self._armed_when != _NOW:
            self._wake()
        return handle

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        # qasync's signature (with a delay); asyncio calls it with a ready handle from signal handlers.
        if delay > 0:
            return self.call_later(delay, handle._callback, *handle._args, context=handle._context)
        self._ready.append(handle)
        if self._armed_when != _NOW:
            self._wake()
        return handle

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: Any, context: Context | None = None) -> asyncio.Handle:
        """Like :meth:`call_soon`, from any thread: the posted event wakes the GUI thread."""
        with self._wake_lock:
            self._check_closed()
            if self._debug:
                self._check_callback(callback, "call_soon_threadsafe")
            handle = asyncio.Handle(callback, args, self, context)
            if handle._source_traceback:
                del handle._source_traceback[-1]
            self._ready.append(handle)
            QCoreApplication.postEvent(self._waker, QEvent(_WAKE))  # Qt's thread-safe way in
        return handle

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any, context: Context | None = None) -> asyncio.TimerHandle:
        """Runs ``callback(*args)`` once ``delay`` seconds have passed (never earlier)."""
        if delay is None:
            raise TypeError("delay must not be None")
        timer = self.call_at(self.time() + delay, callback, *args, context=context)
        if timer._source_traceback:
            del timer._source_traceback[-1]
        return timer

    def call_at(self, when: float, callback: Callable[..., object], *args: Any, context: Context | None = None) -> asyncio.TimerHandle:
        """Runs ``callback(*args)`` once :meth:`time` reaches ``when`` (never earlier)."""
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = asyncio.TimerHandle(when, callback, args, self, context)
        if timer._source_traceback:
            del timer._source_traceback[-1]
        heapq.heappush(self._timers, (when, next(self._timer_order), timer))
        timer._scheduled = True
        if when < self._armed_when:
            self._arm(when)
        return timer

    # The drain ----------------------------------------------------------------------------

    def _wake(self) -> None:
        """Asks for a drain at Qt's next turn (GUI thread only): the clock, as a zero timer. Qt
        then serves its own due timers (the heartbeat) in the same pass, and posted events
        (paint) and sockets in the next, whatever asyncio has queued."""
        self._armed_when = _NOW
        self._clock.start(0)

    def _on_wake(self) -> None:
        # Another thread's call_soon_threadsafe, delivered on the GUI thread.
        self._run_batch()

    def _on_clock(self) -> None:
        self._armed_when = _NEVER
        self._run_batch()

    def _run_batch(self) -> None:
        """asyncio's ``_run_once``, repeated until the ready queue is empty or the budget is spent.

        Re-entrant: a callback that spins a nested Qt loop (a modal dialog's ``exec()``) gets
        drains inside it, as with qasync; all state is in the deque and the heap, never in locals
        that outlive a callback."""
        if not self.is_running():
            # Qt delivers events outside run_forever too (processEvents, qtbot, a dialog after
            # the loop stopped): asyncio's callbacks wait for the loop, as in asyncio.
            # _before_run_forever wakes the loop and arms the clock again.
            return
        ready = self._ready
        popleft = ready.popleft
        timers = self._timers
        clock = time.perf_counter
        started = clock()
        deadline = started + self.batch_budget
        debug = self._debug
        ran = False
        times = self.callback_times
        outer_since, times.since = times.since, started  # (a drain in a nested Qt loop: its own)
        try:
            while True:
                if self._round_left <= 0:
                    # A new round, as asyncio's _run_once: the sockets that are ready and the timers
                    # that are due join the queue, and the round is what is ready now. A round
                    # the budget cut short is finished first (its sockets are not polled twice).
                    if self._sockets is not None:
                        self._sockets.poll()
                    if timers and timers[0][0] <= self.time():
                        self._collect_due_timers()
                    self._round_left = len(ready)
                    if not self._round_left:
                        break
                out_of_time = False
                while self._round_left > 0:
                    if not ready:
                        self._round_left = 0
                        break  # a callback ran a nested Qt loop (processEvents, a dialog) that drained the rest
                    self._round_left -= 1
                    handle = popleft()
                    if handle._cancelled:
                        continue
                    ran = True
                    if debug:
                        self._run_handle_in_debug(handle)
                    else:
                        handle._run()
                    if clock() >= deadline:
                        out_of_time = True
                        break
                if out_of_time or self._stop_pending or not self.is_running():
                    break
                if self._timer_cancelled_count > 100:
                    self._drop_cancelled_timers()
        finally:
            if ran and times.busy is not None and times.since is not None:  # the X-ray's loop lane
                add_busy(times.busy, times.since, clock())
            times.since = outer_since
            if self._stop_pending:
                self._stop_pending = False
                super().stop()
            if ready and self.is_running():
                if self._armed_when != _NOW:
                    self._wake()  # the rest after Qt's turn
                quiet_for = 0.0
            else:
                self._arm_next()
                quiet_for = self._timers[0][0] - self.time() if self._timers else _NEVER
            if self._gc_pacer is not None:
                self._gc_pacer.after_batch(quiet_for)

    def _on_gc_backstop(self) -> None:
        if self._gc_pacer is not None:
            quiet_for = 0.0 if self._ready else (self._timers[0][0] - self.time() if self._timers else _NEVER)
            self._gc_pacer.after_batch(quiet_for)

    def _run_handle_in_debug(self, handle: asyncio.Handle) -> None:
        self._current_handle = handle
        try:
            start = self.time()
            handle._run()
            took = self.time() - start
            if took >= self.slow_callback_duration:
                asyncio_logger.warning("Executing %s took %.3f seconds", handle, took)
        finally:
            self._current_handle = None

    def _collect_due_timers(self) -> None:
        """Moves the timers whose time has come to the end of the ready queue, earliest first."""
        timers = self._timers
        append = self._ready.append
        now = self.time()
        while timers and timers[0][0] <= now:
            handle = heapq.heappop(timers)[2]
            handle._scheduled = False
            if handle._cancelled:
                self._timer_cancelled_count -= 1
            else:
                append(handle)

    def _arm_next(self) -> None:
        """Arms the Qt timer for the earliest live deadline, dropping cancelled timers as asyncio does."""
        self._drop_cancelled_timers()
        timers = self._timers
        while timers and timers[0][2]._cancelled:
            heapq.heappop(timers)[2]._scheduled = False
            self._timer_cancelled_count -= 1
        if not timers:
            if self._armed_when != _NEVER:
                self._clock.stop()
                self._armed_when = _NEVER
            return
        when = timers[0][0]
        if when != self._armed_when:
            self._arm(when)

    def _drop_cancelled_timers(self) -> None:
        """When most of the heap is cancelled timers (timeouts that did not happen), rebuilds it
        without them, as asyncio's ``_run_once`` does: the heap never grows without bound."""
        cancelled = self._timer_cancelled_count
        if cancelled > 100 and cancelled * 2 > len(self._timers):
            live = []
            for entry in self._timers:
                if entry[2]._cancelled:
                    entry[2]._scheduled = False
                else:
                    live.append(entry)
            heapq.heapify(live)
            self._timers[:] = live  # in place: a drain holds a reference to the list
            self._timer_cancelled_count = 0

    def _arm(self, when: float) -> None:
        delay = when - self.time()
        if delay <= 0:  # due already: the next drain collects it
            self._wake()
            return
        self._armed_when = when
        # Qt counts whole milliseconds from now: rounding up means never early, at most 1 ms late.
        self._clock.start(math.ceil(delay * 1000))

    # Running and stopping -----------------------------------------------------------------

    def _before_run_forever(self) -> None:
        super()._before_run_forever()
        self._thread_id = threading.get_ident()
        # What BaseEventLoop.run_forever does and qasync's does not: track async generators, so
        # shutdown_asyncgens() can finalize them.
        self._old_agen_hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook, finalizer=self._asyncgen_finalizer_hook)
        self._armed_when = _NEVER
        if self._sockets is not None:
            self._sockets.notifier.setEnabled(True)
        if self._ready or self._stop_pending:
            self._wake()
        else:
            self._arm_next()
        if self._gc_pacer is not None:
            # Last: qasync calls this outside its try, so nothing after it may fail with
            # automatic collection left off; and a backstop collects while no batch runs
            # (an idle window still runs Python: the heartbeat's slots, threads' work).
            self._gc_pacer.install()
            self._gc_backstop.start()

    def _after_run_forever(self) -> None:
        super()._after_run_forever()
        self._stop_pending = False  # a stop() that came as the run ended must not stop the next
        if self._gc_pacer is not None:
            self._gc_backstop.stop()
            self._gc_pacer.uninstall()
        self._thread_id = None
        if self._old_agen_hooks is not None:
            sys.set_asyncgen_hooks(*self._old_agen_hooks)
            self._old_agen_hooks = None
        if not self.is_closed():
            self._clock.stop()
        self._armed_when = _NEVER

    def run_forever(self) -> None:
        """Runs Qt's event loop (and so asyncio's callbacks) until :meth:`stop`."""
        self._check_closed()  # qasync's would fail later, less clearly
        super().run_forever()

    def run_until_complete(self, future: Any) -> Any:
        """Runs until ``future`` (a future or a coroutine) is done; returns its result."""
        self._check_closed()
        return super().run_until_complete(future)

    def stop(self) -> None:
        """Stops after the current round of callbacks; before ``run_forever``, after its first."""
        if self.is_running():
            super().stop()
        else:
            self._stop_pending = True

    def run_in_executor(self, executor: Any, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """asyncio's: the default executor is a ``ThreadPoolExecutor`` (qasync's is a QThread pool),
        so ``asyncio.to_thread`` and ``shutdown_default_executor()`` behave as in asyncio."""
        return asyncio.BaseEventLoop.run_in_executor(self, executor, func, *args)

    def set_default_executor(self, executor: Any) -> None:
        asyncio.BaseEventLoop.set_default_executor(self, executor)

    def close(self) -> None:
        """Closes the loop: pending callbacks and timers are dropped (as asyncio drops them)."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self.is_closed():
            return
        self._stop_pending = False
        if self._sockets is not None:
            self._sockets.notifier.setEnabled(False)  # before asyncio closes the epoll set it watches
        super().close()  # qasync: notifiers off, asyncio: ready queue cleared, executor shut down
        for _, _, handle in self._timers:
            handle._scheduled = False
        self._timers.clear()
        self._timer_cancelled_count = 0
        with self._wake_lock:  # no thread is posting to the waker past this point (they see closed)
            self._clock.stop()
            # Freed by Qt on this (the GUI) thread: whatever thread later collects this loop
            # finds no Qt object of it (STYLE.md: an intermittent segfault in activateTimers).
            self._gc_backstop.stop()
            qt_objects = [
                self._clock,
                self._gc_backstop,
                self._waker,
                self._timer,
                self._sockets.notifier if self._sockets is not None else None,
                getattr(self, "_QEventLoop__call_soon_signaller", None),
            ]
            for qt_object in qt_objects:
                if qt_object is not None:
                    qt_object.deleteLater()


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None, gc_pacer: GcPacer | None = None) -> T:
    """Runs ``main`` on a new :class:`LabLoop`, as ``asyncio.run`` does, and closes the loop.

    Unlike ``qasync.run`` on Python 3.11 it installs no global event-loop policy, so other threads
    can still make plain asyncio loops. The loop is this thread's current one while it runs.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])

    def make_loop() -> LabLoop:
        loop = LabLoop(app, gc_pacer=gc_pacer)  # type: ignore[arg-type]
        asyncio.set_event_loop(loop)
        return loop

    try:
        with asyncio.Runner(debug=debug, loop_factory=make_loop) as runner:
            return runner.run(main)
    finally:
        asyncio.set_event_loop(None)
