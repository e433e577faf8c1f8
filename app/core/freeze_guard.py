"""The freeze guard: stops a lesson's code that has held the GUI thread longer than a limit.

Lessons run on the GUI thread's event loop, and soon students will run code of their own there: a
``while True: pass`` or a ``time.sleep(60)`` would freeze the window for good. While a lesson runs
(:meth:`FreezeGuard.armed`), a thread of the guard's own watches the heartbeat
(:meth:`FreezeGuard.beat`, called on every tick, like :class:`app.core.freeze_cause.FreezeWatchdog`).
Once it has been overdue for the limit (10 s by default) and the GUI thread's stack shows lesson
code, the guard sends the GUI thread a signal. Its Python-level handler runs *on the GUI thread*,
at the very point the code was interrupted, and raises :class:`CodeStopped` there if, and only
if, that point is still inside the lesson's code (a ``<lesson ...>`` frame, see
:func:`stoppable_frame`) and the window is still frozen. So the stop can never land in LoopLab's
own code: the check and the raise happen on the same thread, at the same instant, with nothing
in between. (An asynchronous exception set from the guard's thread with
``PyThreadState_SetAsyncExc`` would be delivered at a bytecode boundary *after* the decision,
possibly after the lesson's code has returned into LoopLab's; a signal handler decides when it
runs.) While the code goes on regardless (it caught the stop, or LoopLab's code was running on
top of the lesson's when the signal came), the guard asks again every :data:`RESEND_INTERVAL`.

How the signal reaches the GUI thread (the GUI thread is the main thread, the only one on which
Python runs signal handlers):

- POSIX (Linux, macOS): ``signal.pthread_kill(main thread, SIGUSR2)``. The signal interrupts a
  blocking system call on that thread (EINTR); per PEP 475, CPython then runs the signal handlers
  before retrying, and when one raises, the call raises. That stops Python loops (the handler runs
  at the next bytecode boundary), ``time.sleep``, socket reads and writes, ``select``, and on Linux
  lock and ``Event`` waits.
- Windows has no signals to send to a thread: the guard raises SIGINT on its own thread
  (``signal.raise_signal``), which is what Windows itself does on Ctrl+C. CPython's C handler
  flags the signal for the main thread and sets the event that ``time.sleep`` waits on besides
  its timer; so Python loops and ``time.sleep`` are stopped, but a blocking socket read, a lock
  wait or any other wait not on that event goes on until it returns (see the README).

Nowhere is a blocking C call that never checks for signals interrupted (a huge ``sum(range(...))``,
a regular expression, a C extension's loop): the stop lands when it returns.

Qt-free. Times are ``time.perf_counter`` seconds, the heartbeat's clock.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

from app.core import gc_control
from app.core.freeze_cause import LESSON_FILE_PREFIX
from app.core.lag import DEFAULT_INTERVAL
from app.core.units import format_duration
from app.i18n import _

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10.0
"""Seconds the window may stay frozen in a lesson's code before the guard stops it."""
MIN_LIMIT = 1.0
MAX_LIMIT = 600.0
"""The limits the Settings dialog offers (a minute-long freeze is a demo; ten are a bug)."""
RESEND_INTERVAL = 0.1
"""While the window stays frozen after a stop was asked for, the guard asks again this often."""
CHECK_INTERVAL = 0.05
"""While the window is frozen past the limit in LoopLab's own code, the guard looks this often
for the lesson's code to be running again."""
LESSON_HELPER_MODULES = frozenset({"app.core.lesson_work"})
"""LoopLab modules whose code is the lesson's own work (``count_primes``): stoppable like it."""


class Delivery(enum.Enum):
    """How the stop signal reaches the GUI thread."""

    THREAD_SIGNAL = "pthread_kill"
    """POSIX: sent to the GUI thread itself; interrupts its blocking system calls."""
    RAISED_SIGNAL = "raise_signal"
    """Windows: raised on the guard's thread, as Ctrl+C is; the handler runs on the GUI thread at
    its next bytecode, and SIGINT also wakes a ``time.sleep`` there."""


if hasattr(signal, "pthread_kill"):
    DEFAULT_DELIVERY = Delivery.THREAD_SIGNAL
    STOP_SIGNAL: int = signal.SIGUSR2
    """Free on every POSIX system we ship for: neither Qt nor Python nor our test tools use it."""
else:  # Windows: only SIGINT wakes a sleeping main thread (its "SIGINT event")
    DEFAULT_DELIVERY = Delivery.RAISED_SIGNAL
    STOP_SIGNAL = signal.SIGINT


class CodeStopped(BaseException):
    """Raised in a lesson's code by the freeze guard.

    A ``BaseException``, like ``KeyboardInterrupt``: a lesson's ``except Exception:`` does not
    swallow it. asyncio records it as the failing task's exception (only ``KeyboardInterrupt`` and
    ``SystemExit`` escape a task's step), so it reaches whoever awaits the lesson's ``main``.
    """

    def __init__(self, frozen_for: float, lineno: int, lesson_id: str = "") -> None:
        super().__init__(frozen_for, lineno, lesson_id)
        self.frozen_for = frozen_for
        """How long the window had been frozen when the code was stopped, in seconds."""
        self.lineno = lineno
        """The line of the lesson's code that was running (the innermost lesson frame's)."""
        self.lesson_id = lesson_id

    @property
    def words(self) -> str:
        """The message for the report, e.g. "Stopped your code after 10 s: the window was frozen in line 7"."""
        # Translators: keep "line {line}" worded as in "line {line}" alone (the report looks for it).
        return _("Stopped your code after {time}: the window was frozen in line {line}").format(
            time=_seconds(self.frozen_for), line=self.lineno
        )

    def __str__(self) -> str:
        return self.words


def _seconds(seconds: float) -> str:
    """Few digits, as a person says it: "1.5 s", "10 s", "1 min 05 s"."""
    if seconds >= 60:
        return format_duration(seconds)
    if seconds >= 9.95:
        return f"{round(seconds)} s"
    return f"{round(seconds, 1):g} s"


def stop_in(exc: BaseException) -> CodeStopped | None:
    """The :class:`CodeStopped` that ``exc`` is or carries (an ``asyncio.TaskGroup`` wraps its
    tasks' failures in a ``BaseExceptionGroup``), or None."""
    if isinstance(exc, CodeStopped):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = stop_in(inner)
            if found is not None:
                return found
    return None


def _is_looplab(module: str) -> bool:
    return (module == "app" or module.startswith("app.")) and module not in LESSON_HELPER_MODULES


def stoppable_frame(frame: FrameType | None) -> FrameType | None:
    """The innermost lesson frame of the stack whose innermost frame is ``frame``, if the guard
    may stop the code there; None if no lesson frame is on the stack, or if LoopLab's own code
    runs on top of it (its recorder called from an aiohttp request, the X-ray's hooks: stopped
    halfway they could leave the run's records inconsistent; the guard waits until it returns)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith(LESSON_FILE_PREFIX):
            return frame
        if _is_looplab(frame.f_globals.get("__name__", "")):
            return None
        frame = frame.f_back
    return None


class FreezeGuard:
    """Stops a lesson's code after the window has been frozen in it for :attr:`limit` seconds.

    Call :meth:`beat` from the GUI thread on every heartbeat tick, :meth:`start` and :meth:`stop`
    for the guard's thread (the heartbeat does all three), and wrap a lesson's run in
    :meth:`armed` on the GUI thread, which must be the main thread. See the module's docstring.
    """

    def __init__(
        self,
        limit: float = DEFAULT_LIMIT,
        *,
        heartbeat_interval: float = DEFAULT_INTERVAL,
        signum: int = STOP_SIGNAL,
        delivery: Delivery = DEFAULT_DELIVERY,
    ) -> None:
        self._limit = limit
        self.heartbeat_interval = heartbeat_interval
        self.signum = signum
        self.delivery = delivery
        self.stops = 0
        """How many times a stop has been raised in lesson code (for tests)."""
        self.signals_sent = 0
        self.signals_declined = 0
        """The guard's signals that found no lesson code to stop (it had returned meanwhile)."""
        self._main_thread_id = threading.main_thread().ident
        self._last_beat: float | None = None
        self._armed = False
        self._tripped_beat: float | None = None
        """The beat after which the window froze, once the guard has asked to stop the code (None: it has not)."""
        self._signalled = False
        """The guard has sent its signal since it was armed: from then on every one is taken for
        the guard's (never passed on to the previous handler, which on Windows raises
        KeyboardInterrupt): one of them may still be on its way while the guard disarms."""
        self._previous_handler: Any = None
        self._lock = threading.Lock()
        """Held while deciding to send a signal and sending it, and while disarming: once
        :meth:`disarm` has it, no signal of the guard's can still be on its way."""
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- settings ---

    @property
    def limit(self) -> float:
        return self._limit

    @limit.setter
    def limit(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"the freeze limit must be positive, got {seconds}")
        self._limit = seconds
        self._wake.set()  # a thread waiting for the old limit looks again

    # --- the GUI thread's side ---

    def beat(self, now: float) -> None:
        """The GUI thread is alive at ``now`` (perf_counter). Costs an attribute store."""
        self._last_beat = now

    @property
    def is_armed(self) -> bool:
        return self._armed

    def arm(self) -> bool:
        """From now on, a freeze past the limit in lesson code is stopped. Call on the main
        thread; False (and nothing is guarded) where the guard cannot work."""
        if self._armed:
            return True
        if threading.current_thread() is not threading.main_thread():
            log.warning("The freeze guard needs the window on the main thread; this run is not guarded")
            return False
        previous = signal.getsignal(self.signum)
        if previous is None:  # a handler installed outside Python: we could not put it back
            log.warning("Signal %s has a handler LoopLab cannot restore; this run is not guarded", self.signum)
            return False
        if isinstance(getattr(previous, "__self__", None), FreezeGuard):
            log.warning("Another freeze guard is armed (a second window?); this run is not guarded")
            return False
        self._previous_handler = previous
        self._tripped_beat, self._signalled = None, False  # before the handler is in: it reads them
        signal.signal(self.signum, self._on_signal)
        with self._lock:  # only now may the guard's thread send: the handler is in
            self._armed = True
        self._wake.set()
        return True

    def disarm(self) -> None:
        """No more stops; the signal's previous handler is back. Call on the main thread."""
        if not self._armed:
            return
        with self._lock:  # waits for a signal being sent: none can be on its way after this
            self._armed = False
            self._tripped_beat = None
        # signal.signal() runs the Python handlers of signals already caught before it swaps
        # (ours now lets them pass). One sent but not yet delivered to this thread is discarded by
        # SIG_IGN (POSIX: ignoring a signal discards its pending instances), so it can never reach
        # the previous handler (SIG_DFL ends the process on SIGUSR2). On Windows the signal was
        # raised synchronously on the guard's thread, under the lock: nothing is pending.
        if self.delivery is Delivery.THREAD_SIGNAL:
            signal.signal(self.signum, signal.SIG_IGN)
        signal.signal(self.signum, self._previous_handler)
        self._previous_handler = None

    @contextlib.contextmanager
    def armed(self) -> Iterator[bool]:
        """Guards the code run inside the ``with`` block (yields whether it is guarded); an inner
        block inside an outer one leaves the disarming to the outer one."""
        outer = not self._armed
        guarded = self.arm()
        try:
            yield guarded
        finally:
            if guarded and outer:
                self.disarm()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs on the main thread, between two bytecodes of whatever it runs (or inside a blocking
        # call that the signal interrupted). Takes no lock: the main thread may hold the guard's.
        if not self._signalled:
            self._pass_on(signum, frame)  # not the guard's: e.g. a real Ctrl+C on Windows
            return
        tripped = self._tripped_beat
        lesson = stoppable_frame(frame) if self._armed and tripped is not None and tripped == self._last_beat else None
        if lesson is None:
            # Disarmed (the run is over), or the heartbeat ticked since the guard asked (that
            # freeze is over), or LoopLab's own code is running (the guard asks again shortly).
            self.signals_declined += 1
            return
        frozen_for = time.perf_counter() - (tripped + self.heartbeat_interval)
        lesson_id = lesson.f_code.co_filename[len(LESSON_FILE_PREFIX) : -1]
        self.stops += 1
        lineno = lesson.f_lineno
        del lesson, frame
        raise CodeStopped(frozen_for, lineno, lesson_id)

    def _pass_on(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous_handler
        if callable(previous):
            previous(signum, frame)

    # --- life cycle of the guard's thread ---

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._watch, name="LoopLab freeze guard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops the guard's thread and waits for it (a guarded run is no longer stopped)."""
        self._stopping = True
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    # --- the guard's thread ---

    def _watch(self) -> None:
        while True:
            self._wake.clear()  # before reading the state: a change after this wakes the wait below
            if self._stopping:
                return
            try:
                self._wake.wait(self._next_look())
            except Exception:  # a guard that dies would let the next endless loop freeze the window for good
                log.exception("The freeze guard failed; it goes on watching")
                self._wake.wait(self._limit)

    def _next_look(self) -> float | None:
        """Looks once, acts if it must; returns how long to wait before looking again (None: until woken)."""
        if not self._armed:
            return None
        last = self._last_beat
        if last is None:
            return self._limit
        due = last + self.heartbeat_interval + self._limit
        now = time.perf_counter()
        if now < due:
            return due - now
        if not self._lesson_code_running():
            return CHECK_INTERVAL
        with self._lock:
            if not self._armed or self._last_beat != last:
                return 0.0  # disarmed, or the window came back meanwhile: look again at once
            self._tripped_beat = last
            self._signalled = True
            self._send()
        return RESEND_INTERVAL

    def _lesson_code_running(self) -> bool:
        # No cyclic GC on this thread while it allocates: a collection here could free Qt objects
        # off the GUI thread (see app.core.gc_control and STYLE.md).
        with gc_control.held():
            frame = sys._current_frames().get(self._main_thread_id)  # the way to see another thread's stack
            try:
                return stoppable_frame(frame) is not None
            finally:
                del frame  # never keep the GUI thread's frames (and their locals) alive here

    def _send(self) -> None:
        self.signals_sent += 1
        try:
            if self.delivery is Delivery.THREAD_SIGNAL:
                signal.pthread_kill(self._main_thread_id, self.signum)  # type: ignore[arg-type]
            else:
                signal.raise_signal(self.signum)
        except OSError:  # the main thread has ended: nothing left to stop
            log.warning("The freeze guard could not signal the GUI thread", exc_info=True)
