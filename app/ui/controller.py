"""The lab's controller: owns the HTTP sessions and the run task, decides, and reports by signal.

The window hands it one :class:`~app.core.run.RunRequest` (:meth:`LabController.start`)
and may :meth:`~LabController.cancel`; the controller runs core code on the event loop and tells
the panels what happened through signals, its :class:`ControllerState` included, so each panel
enables and disables itself. Panels never touch the tasks or the sessions.

Runs are exclusive: while one is under way (or just after a blocking one, see
:attr:`ControllerState.SETTLING`) a new one is refused, so a late answer can never land in a newer
run's table, and a click queued during a freeze can never start another.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import functools
import importlib
import inspect
import logging
import ssl
import time
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.core import gc_control, user_code
from app.core.code_output import CodeOutput
from app.core.code_tasks import CodeTasks, Leftovers
from app.core.freeze_cause import FreezeWatchdog
from app.core.freeze_guard import FreezeGuard, stop_in
from app.core.lag import Freeze, HeartbeatLog, is_frozen
from app.core.lesson_work import LessonPool
from app.core.lessons import Lesson, call_main, compile_main
from app.core.options import FetchOptions
from app.core.run import ErrorKind, FetchMode, RequestRecord, RequestState, Run, RunClock, RunOutcome, RunRequest
from app.core.task_trace import TaskTracer
from app.core.urls import check_url
from app.i18n import _, ngettext
from app.ui.errors import ErrorReporter

if TYPE_CHECKING:
    from types import ModuleType

    import aiohttp
    import requests

    from app.core.fetch import RequestRecorder

# The network side (app.core.fetch: aiohttp, the trust store; app.core.faults) is imported where
# it is used, not here: the window is built from this module and paints before those load. The
# app loads them off the GUI thread right after its first paint, before this controller leaves
# STARTING (app.ui.startup), so these imports never load anything in a slot. The blocking mode's
# requests (app.core.blocking) loads later still, off the GUI thread too, the first time a run
# may need it: see LabController.prepare.

BLOCKING_MODULE = "app.core.blocking"
"""The blocking mode: requests and urllib3, ~6 MiB and ~100 ms to import, loaded when first wanted."""

log = logging.getLogger(__name__)

PLAN_BUDGET = 0.008
"""Seconds of checking URLs per event-loop turn: half a frame, so the window keeps drawing."""
BATCH_INTERVAL_MS = 50
"""How often the table hears about changed rows during an async run (20 Hz: smooth, never janky)."""
PAINT_GRACE = 0.04
"""Seconds the window gets to draw "running" before a blocking run stops the GUI thread."""
SETTLE_MS = 250
"""After a blocking run, the lab stays :attr:`ControllerState.SETTLING` this long: clicks made
during the freeze are still being delivered, and must land on disabled controls."""


class _Refused(Exception):
    """A lesson's code that turned out, once its statements ran, unable to start ``main``."""

    def __init__(self, problem: user_code.CodeProblem) -> None:
        super().__init__(problem.one_line())
        self.problem = problem


def _current_loop() -> asyncio.AbstractEventLoop:
    """The loop ``asyncio.ensure_future`` will put the run's task on."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # started from a plain Qt slot before the loop runs (tests do)
        return asyncio.get_event_loop()


class ControllerState(enum.Enum):
    """Where the lab is, as the controls need to know it."""

    STARTING = "starting"
    """The window is up, what runs need is still loading (a moment after the first paint, see
    :mod:`app.ui.startup`). Run can be pressed: the run starts once the lab is idle."""
    IDLE = "idle"
    """Ready: Run starts a run."""
    RUNNING = "running"
    """A run is under way: checking its list, fetching, or running a lesson's code."""
    SETTLING = "settling"
    """A blocking run has just ended; input queued during the freeze is still arriving."""


class BlockingMode:
    """The blocking mode's library, :mod:`app.core.blocking` (requests and urllib3: ~6 MiB and
    ~100 ms to import), loaded on a worker thread the first time it is wanted, then kept; and its
    session, made on the GUI thread. A failed import is said in the window's banner; the next
    call tries again."""

    def __init__(self, reporter: ErrorReporter) -> None:
        self._reporter = reporter
        self._loading: asyncio.Future[ModuleType] | None = None
        self.session: requests.Session | None = None
        """The blocking runs' session (connection reuse), once :meth:`ready` has made it."""

    def load(self) -> asyncio.Future[ModuleType]:
        """Starts loading it, unless under way or done: the module, when it is loaded."""
        if self._loading is None:
            loading = asyncio.ensure_future(asyncio.to_thread(importlib.import_module, BLOCKING_MODULE), loop=_current_loop())
            loading.add_done_callback(self._on_loaded)
            self._loading = loading
        return self._loading

    async def ready(self, ssl_context: ssl.SSLContext | None) -> ModuleType:
        """The module, loaded (waiting for it if need be), and :attr:`session` made with ``ssl_context``."""
        blocking = await asyncio.shield(self.load())
        if self.session is None:
            self.session = blocking.open_blocking_session(ssl_context)
        return blocking

    async def aclose(self) -> None:
        """Waits for an import under way (a thread cannot be stopped; it ends soon) and closes the session."""
        loading, self._loading = self._loading, None
        if loading is not None:
            await asyncio.gather(asyncio.shield(loading), return_exceptions=True)
        if self.session is not None:
            self.session.close()

    def _on_loaded(self, loading: asyncio.Future[ModuleType]) -> None:
        if loading.cancelled() or loading.exception() is not None:
            self._loading = None
        if not loading.cancelled() and (error := loading.exception()) is not None:
            self._reporter.report(_("LoopLab could not load what runs need"), error)  # as at start-up


class LabController(QObject):
    """Runs what it is asked to, in the asked-for mode, and reports its progress and results."""

    state_changed = Signal(object)  # ControllerState
    run_started = Signal(object)  # Run
    records_changed = Signal(list)  # list[int]: indices of the records that changed since the last batch
    about_to_block = Signal(object)  # Run: the GUI thread is taken over as soon as the slots return
    run_finished = Signal(object)  # RunSummary
    code_rejected = Signal(object)  # CodeProblem: a lesson's code could not start, so nothing ran
    output_printed = Signal(object)  # Printed: the lines a lesson's code printed since the last batch

    xray_enabled: bool = True
    """Trace the tasks of async URL runs and lessons (the View menu switches it): the run's
    summary then carries its :class:`~app.core.task_trace.TaskTrace`."""

    def __init__(
        self,
        heartbeat_log: HeartbeatLog,
        reporter: ErrorReporter,
        *,
        ssl_context: ssl.SSLContext | None = None,
        watchdog: FreezeWatchdog | None = None,
        guard: FreezeGuard | None = None,
        parent: QObject | None = None,
        starting: bool = False,
    ) -> None:
        """With ``starting``, the controller begins :attr:`ControllerState.STARTING`, and makes
        what runs need only when :meth:`finish_starting` is called (the app, after its first paint)."""
        super().__init__(parent)
        self._heartbeat_log = heartbeat_log
        self._watchdog = watchdog  # what froze the window, if someone watches (app.ui.heartbeat)
        self._guard = guard  # stops a lesson's code that freezes the window too long (app.ui.heartbeat)
        self._reporter = reporter
        # Built once, before the first run (finish_starting): loading the trust store takes a
        # while, and doing it inside the first click would add a hitch that has nothing to do
        # with the lesson.
        self._ssl_context = ssl_context
        self.blocking = BlockingMode(reporter)
        """The blocking mode's requests: loaded when first wanted (:meth:`prepare`)."""
        self._async_session: aiohttp.ClientSession | None = None
        # Lessons run code of their own: its requests are recorded through a session of its own,
        # and its CPU work may go to a process pool (both made on first use).
        self._recorder: RequestRecorder | None = None
        self._lesson_session: aiohttp.ClientSession | None = None
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._prepare_when_started: RunRequest | None = None
        self._lesson_error = ""
        self._code_problem: user_code.CodeProblem | None = None  # the failed lesson code's error, at its line
        self._notes: list[str] = []  # what the report adds about the code (the tasks it left running)
        self._output: CodeOutput | None = None  # what the running lesson's code prints
        self._code_tasks: CodeTasks | None = None  # the tasks the running lesson's code starts
        self._state = ControllerState.STARTING
        self._active_run: Run | None = None
        self._task: asyncio.Task[None] | None = None  # the run under way (a strong reference)
        self._tracer: TaskTracer | None = None
        self._run_counted = False
        """A run under way is counted in gc_control (no full collection meanwhile) until it ends."""
        self._changed: set[int] = set()
        self._rows_reported = 0  # records of the active run the last batch told about
        self._closed = False
        self._batch_timer = QTimer(self)
        self._batch_timer.setInterval(BATCH_INTERVAL_MS)
        self._batch_timer.timeout.connect(self._flush_changes)
        self._settle_timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle_timer.timeout.connect(lambda: self._set_state(ControllerState.IDLE))
        if not starting:
            self.finish_starting()

    # --- what the panels read ---

    @property
    def state(self) -> ControllerState:
        return self._state

    @property
    def running(self) -> bool:
        return self._active_run is not None

    @property
    def active_run(self) -> Run | None:
        return self._active_run

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def tracer(self) -> TaskTracer | None:
        """The X-ray of the run under way (its tasks, live), or None: no run, or not traced."""
        return self._tracer

    # --- actions ---

    def finish_starting(self, ssl_context: ssl.SSLContext | None = None) -> None:
        """Makes what runs need (the TLS context, unless given or passed here, and the blocking
        session) and becomes idle. The app calls it once app.core.fetch has been loaded off the
        GUI thread, with a TLS context made there too (:mod:`app.ui.startup`)."""
        if self._closed or self._state is not ControllerState.STARTING:
            return
        from app.core import fetch

        self._ssl_context = self._ssl_context or ssl_context or fetch.make_ssl_context()
        self._recorder = fetch.RequestRecorder()
        self._set_state(ControllerState.IDLE)
        request, self._prepare_when_started = self._prepare_when_started, None
        if request is not None:
            self.prepare(request)

    def start(self, request: RunRequest) -> Run | None:
        """Starts what ``request`` asks for; None (and nothing starts) unless the lab is idle.

        Returns at once. A URL list is checked first, a slice at a time between the window's
        frames (a 200,000-line paste takes a second or two), its records appearing as they are;
        then it is fetched. A lesson runs its code (exactly ``request.code()``: the lesson's
        own or its edited text): its top-level statements, then its ``main``, both under the
        freeze guard; its aiohttp requests become the run's records. A blocking
        run, or a lesson variant that blocks, takes the GUI thread (after :data:`PAINT_GRACE`)
        until it is done. Code that cannot start (a syntax error, a ``main`` asking for what the
        lab cannot pass) starts nothing: :attr:`code_rejected` says why, at its line.
        """
        if self._closed or self._state is not ControllerState.IDLE:
            log.info("Run refused: %s", "closed" if self._closed else f"the lab is {self._state.value}")
            return None
        lesson = request.lesson
        run = Run(mode=request.mode, concurrency=request.concurrency, request=request)
        if lesson is None:
            planner = run.add_lines(request.text, check_url)  # counts the lines now, checks them in _plan
            work = self._execute(run, planner, request.options)
        else:
            assert request.setup is not None
            source = request.code()
            # Read, not run: the code's own statements run as part of the run, under the freeze guard.
            problem = user_code.check_before_run(source, lesson.id)
            if problem is not None:
                log.info("The code of lesson %s cannot start: %s", lesson.id, problem.one_line())
                self.code_rejected.emit(problem)
                return None
            # Before the X-ray's task factory (it must see the code's own coroutines), removed after it (_end_run).
            self._code_tasks = CodeTasks()
            self._code_tasks.install(_current_loop())
            work = self._execute_lesson(run, lesson, source, request.setup.base_url, self._code_tasks)
        self._active_run = run
        self._changed.clear()
        self._rows_reported = 0
        self._lesson_error = ""
        self._code_problem = None
        self._notes = []
        self._output = CodeOutput() if lesson is not None else None
        if self.xray_enabled and (lesson is not None or run.mode is FetchMode.ASYNC):
            # Installed before the run's task exists, so the run's own task is traced too, and
            # before run_started, so the panels find it there. The run re-zeroes its clock when
            # its first request can start: the tracer reads it when needed.
            tracer = TaskTracer(lambda: run.clock())
            try:
                tracer.install(_current_loop())
                self._tracer = tracer
            except RuntimeError:  # another tracer on this loop (a second window): run untraced
                log.warning("The X-ray is already tracing this event loop; this run is not traced", exc_info=True)
        self._set_state(ControllerState.RUNNING)
        self.run_started.emit(run)
        gc_control.run_began()  # no full collection in the middle of it (app.ui.gc_pacer); _end_run ends it
        self._run_counted = True
        self._task = asyncio.ensure_future(work)
        self._task.add_done_callback(functools.partial(self._on_run_task_done, run))
        self._batch_timer.start()
        return run

    def prepare(self, request: RunRequest) -> None:
        """Gets ready for ``request`` before Run is pressed (the window calls it when the lesson
        or the mode changes), so that nothing is loaded or started inside the run's measurement:

        - the blocking mode, or code that imports requests: requests is imported, off the GUI
          thread (:class:`BlockingMode`; a run that needs it sooner waits for it before its
          clock starts);
        - a lesson that hands work to a process: that process starts now (starting one stalls
          the GUI thread for tens of milliseconds).

        Getting ready is a nicety: a failure is reported in the banner, and Run still works."""
        if self._closed or self._state not in (ControllerState.IDLE, ControllerState.STARTING):
            return
        if self._state is ControllerState.STARTING:  # the lab is still loading: right after that
            self._prepare_when_started = request
            return
        try:
            # Read, not run: the code may be a person's, and its top-level statements run on Run only.
            source = request.code() if request.lesson is not None and request.setup is not None else ""
            if request.mode is FetchMode.BLOCKING or "requests" in user_code.imported_packages(source):
                self.blocking.load()
            if source and "pool" in user_code.main_parameters(source) and self._pool is None:
                pool = self._lesson_resources({"pool"})["pool"]
                pool.submit(int)  # any call starts the worker process
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            self._reporter.report(_("Could not get the lesson ready"), exc)

    def cancel(self) -> bool:
        """Cancels the run under way, if any. In blocking mode a click cannot even arrive until it ends."""
        if self._task is None or self._task.done() or not self.running:
            return False
        if not self._task.cancelling():  # a second cancel would cut short the run's own clean-up
            self._task.cancel()
        return True

    async def aclose(self) -> None:
        """Cancels any run, waits for it to end, and closes both HTTP sessions. Safe to call twice."""
        self._closed = True
        try:
            self.cancel()
            if self._task is not None:
                await asyncio.gather(self._task, return_exceptions=True)
        finally:  # the sessions are closed whatever happened above
            await self.blocking.aclose()
            self._discard_pool()
            for name in ("_async_session", "_lesson_session"):
                session = getattr(self, name)
                if session is not None:
                    setattr(self, name, None)
                    await session.close()
            self._batch_timer.stop()
            self._settle_timer.stop()
            if self._run_counted:  # a run whose end never came (the loop stopped first)
                self._run_counted = False
                gc_control.run_ended()

    # --- the run itself ---

    def _ensure_async_session(self) -> aiohttp.ClientSession:
        from app.core import fetch

        # Created on first use, inside the running loop, then kept for the app's life.
        if self._async_session is None:
            self._async_session = fetch.open_async_session(self._ssl_context)
        return self._async_session

    async def _execute(self, run: Run, planner: Iterator[int], options: FetchOptions) -> None:
        from app.core import fetch

        blocking = None
        if run.mode is FetchMode.BLOCKING:
            # Loaded before the run's clock starts (in _plan): an import is not the fetch's time.
            blocking = await self._await_blocking()
            if blocking is None:
                return
        await self._plan(run, planner)
        if blocking is None:
            await fetch.run_async(run, self._ensure_async_session(), options, self._on_record_changed)
        else:
            await asyncio.sleep(PAINT_GRACE)
            self.about_to_block.emit(run)  # the panels say what is about to happen, and are drawn
            # From here until every request is done, the GUI thread belongs to requests.
            blocking.run_blocking(run, self.blocking.session, options, self._on_record_changed)

    async def _await_blocking(self) -> ModuleType | None:
        """:mod:`app.core.blocking`, loaded, with its session; None if it cannot load (the banner
        says why, and the run fails saying so)."""
        try:
            return await self.blocking.ready(self._ssl_context)
        except Exception as exc:  # noqa: BLE001 - the banner says it in words (BlockingMode); the run fails with it
            self._lesson_error = f"{type(exc).__name__}: {exc}"
            return None

    async def _plan(self, run: Run, planner: Iterator[int]) -> None:
        """Checks the run's lines into records, never holding the GUI thread longer than :data:`PLAN_BUDGET`."""
        budget_ends = time.perf_counter() + PLAN_BUDGET
        for _checked in planner:
            if time.perf_counter() >= budget_ends:
                await asyncio.sleep(0)  # the window draws, the heartbeat ticks, Cancel can land
                budget_ends = time.perf_counter() + PLAN_BUDGET
        # The run's clock starts when its first request can: checking the list is not fetching.
        run.clock = RunClock()
        self._flush_changes()  # every row is shown before a blocking run takes the thread

    def _lesson_resources(self, wanted: Collection[str]) -> dict[str, Any]:
        """What a lesson's ``main`` asks for, made on first use and kept for later lessons."""
        from app.core import fetch

        if "session" in wanted and self._lesson_session is None:
            self._lesson_session = fetch.open_async_session(self._ssl_context, recorder=self._recorder)
        if "pool" in wanted and self._pool is None:
            # "spawn" (a fresh interpreter, not a fork of this one with Qt and its threads inside),
            # and it can run functions the lesson's code defines (see app.core.lesson_work).
            # The process starts on the first submit; nothing waits for it here.
            self._pool = LessonPool(max_workers=1)
        return {"session": self._lesson_session, "pool": self._pool}

    def _discard_pool(self) -> None:
        """Stops the process pool, and a count still running in it (it would hold up exit and the next run)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # The pool has no public way to stop a worker mid-task: terminate its processes.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    async def _execute_lesson(self, run: Run, lesson: Lesson, source: str, base_url: str, tasks: CodeTasks) -> None:
        self._recorder.follow(run)
        wants_pool = "pool" in user_code.main_parameters(source)
        leftovers = Leftovers()
        try:
            # Code that imports requests finds it loaded: an import is not the code's time.
            if "requests" in user_code.imported_packages(source) and await self._await_blocking() is None:
                return
            await asyncio.sleep(PAINT_GRACE)  # as for blocking runs: draw "running" first
            if run.mode is FetchMode.BLOCKING:
                self.about_to_block.emit(run)
            # The lesson's time starts with its code: the grace above, and any stall before
            # it, are not the code's doing (freezes and lateness are clipped to this clock).
            run.clock = RunClock()
            # Only the lesson's own code is guarded: its frames are the only ones the guard stops.
            # That is its top-level statements too (compile_main runs them): a time.sleep(60) or
            # an endless loop outside main freezes the window as surely as one inside it; and the
            # finally blocks of the tasks it leaves running, cancelled when main ends.
            with self._guard.armed() if self._guard is not None else contextlib.nullcontext():
                try:
                    with tasks.owning():
                        main = compile_main(source, lesson.id, output=self._output)
                        problem = user_code.parameters_problem(main)  # a main made some way check_before_run could not read
                        if problem is not None:
                            raise _Refused(problem)
                        wants_pool = "pool" in inspect.signature(main).parameters
                        await call_main(main, self._lesson_resources(inspect.signature(main).parameters))
                finally:
                    run.finished_at = run.clock()  # the code's time ends with main, not with the clean-up below
                    # As asyncio.run does when main returns (or fails, or is cancelled): what the
                    # code started and left running is cancelled, so nothing of it outlives the run.
                    leftovers = await tasks.end()
        except _Refused as refused:
            self._lesson_error, self._code_problem = refused.problem.one_line(), refused.problem
        except asyncio.CancelledError:
            if wants_pool:
                self._discard_pool()  # the count goes on in its process otherwise
            raise
        # The lesson's code failed (the server went away, a NameError in an edit); SystemExit too:
        # sys.exit() in a person's code ends their code, not the lab.
        except (Exception, SystemExit) as exc:
            log.warning("Lesson %s failed", lesson.id, exc_info=True)
            if isinstance(exc, concurrent.futures.BrokenExecutor):
                self._discard_pool()  # a broken pool stays broken: the next run gets a new one
            from app.core.faults import describe_error

            problem = user_code.problem_in(exc, lesson.id)  # at the code's line, with its own frames
            if user_code.is_library_failure(exc):  # the network or the pool, in words a student reads
                problem = problem.saying(describe_error(exc, user_code.failed_url(exc, base_url), FetchOptions(proxies={}))[1])
                self._lesson_error = problem.message
            else:
                self._lesson_error = problem.one_line()
            self._code_problem = problem if problem.line is not None else None
        except BaseException as exc:  # the freeze guard stopped the code (KeyboardInterrupt and such go on)
            stop = stop_in(exc)
            if stop is None:
                raise
            log.info("Lesson %s: %s", lesson.id, stop.words)
            if wants_pool:
                self._discard_pool()
            self._lesson_error = stop.words
            problem = user_code.problem_in(exc, lesson.id).saying(stop.words)  # the editor marks where it stopped
            self._code_problem = problem if problem.line is not None else None
        finally:
            if run.finished_at is None:  # cancelled before the code began
                run.finished_at = run.clock()
            self._recorder.settle()
            self._recorder.follow(None)
            self._note_leftovers(leftovers, lesson.id)

    def _note_leftovers(self, leftovers: Leftovers, lesson_id: str) -> None:
        """Says what the code left behind: the tasks cancelled when main ended, and the first
        failure of a task nothing awaited (the code's own error, marked at its line unless the
        run has a problem of its own to mark)."""
        if words := leftovers.words():
            self._notes.append(words)
            log.info("Lesson %s: %s", lesson_id, words)
        if leftovers.failures:
            failure = leftovers.failures[0]
            first = user_code.problem_in(failure, lesson_id)
            stop = stop_in(failure)  # the freeze guard stopped it
            problem = first.saying(_("A task nothing awaited failed: {error}").format(error=stop.words if stop is not None else first.message))
            self._notes.append(problem.one_line() + ".")
            if self._code_problem is None and problem.line is not None:
                self._code_problem = problem

    def _on_run_task_done(self, run: Run, task: asyncio.Task[None]) -> None:
        # The run ends here, not in a finally inside _execute: a task cancelled before its first
        # step (Cancel or closing the window right after Run) never enters its coroutine at all.
        if task.cancelled():
            outcome, error = RunOutcome.CANCELLED, ""
        elif (exc := task.exception()) is not None:
            outcome, error = RunOutcome.FAILED, f"{type(exc).__name__}: {exc}"
            self._reporter.report(_("The run stopped because of an unexpected error"), exc)
        elif self._lesson_error:
            outcome, error = RunOutcome.FAILED, self._lesson_error
        else:
            outcome, error = RunOutcome.COMPLETED, ""
        self._end_run(run, outcome, error)

    def _end_run(self, run: Run, outcome: RunOutcome, error: str) -> None:
        if self._run_counted:
            self._run_counted = False
            gc_control.run_ended()
        run.cancel_unfinished()
        origin, now = run.clock.origin, time.perf_counter()
        longest_freeze = self._heartbeat_log.longest_lateness(origin, now)
        # On the run's own clock, so they are drawn on the same axis as the requests.
        freezes = [Freeze(f.start - origin, f.end - origin) for f in self._heartbeat_log.freezes(origin, now)]
        causes = [c.shifted(origin, origin, now) for c in self._watchdog.causes_between(origin, now)] if self._watchdog else []
        tracer, self._tracer = self._tracer, None
        trace = tracer.finish() if tracer else None
        code_tasks, self._code_tasks = self._code_tasks, None
        if code_tasks is not None:
            code_tasks.uninstall()  # after the X-ray's factory: installed before it
        summary = run.summarize(
            outcome, longest_freeze, error, freezes, causes, trace=trace, problem=self._code_problem, notes=self._notes
        )
        self._batch_timer.stop()
        if self._output is not None:
            self._output.finish()  # a last print(..., end="") is a line too
        self._flush_changes()
        self._active_run = None
        self._output = None
        unexpected = list(run.records.rows_failed_with(ErrorKind.UNEXPECTED))
        if unexpected:
            self._reporter.report(
                ngettext(
                    "{n} request failed with an unexpected error: {error}",
                    "{n} requests failed with an unexpected error, first: {error}",
                    len(unexpected),
                ).format(n=len(unexpected), error=run.records[unexpected[0]].error)
            )
        self.run_finished.emit(summary)  # the panels have the results before they become usable again
        # Edited code runs as async code and may freeze all the same: clicks made meanwhile must land on disabled controls too.
        froze_unclaimed = run.request is not None and run.request.edited and is_frozen(longest_freeze)
        if (run.mode is FetchMode.BLOCKING or froze_unclaimed) and not self._closed:
            self._set_state(ControllerState.SETTLING)
            self._settle_timer.start()
        else:
            self._set_state(ControllerState.IDLE)

    def _set_state(self, state: ControllerState) -> None:
        if state is not self._state:
            self._state = state
            self.state_changed.emit(state)

    def _on_record_changed(self, record: RequestRecord) -> None:
        # Called for every state change and body chunk: only note it, the batch timer reports it.
        self._changed.add(record.index)

    def _flush_changes(self) -> None:
        run = self._active_run
        if run is None:
            return
        # Running rows change every batch (their elapsed time grows) even with no new event.
        # Found by a C scan of the state column: a 200,000-row run costs microseconds here.
        self._changed.update(run.records.rows_in(RequestState.RUNNING))
        if len(run.records) > self._rows_reported:  # rows added (planning, a lesson's requests)
            self._changed.add(len(run.records) - 1)
            self._rows_reported = len(run.records)
        if self._changed:
            changed = sorted(self._changed)
            self._changed.clear()
            self.records_changed.emit(changed)
        if self._output is not None and ((printed := self._output.take()).lines or printed.missed):
            self.output_printed.emit(printed)
