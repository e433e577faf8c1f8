"""The lab's controller: owns the HTTP sessions and the run task, decides, and reports by signal.

The window calls :meth:`LabController.start_run` and :meth:`LabController.cancel`; the controller
runs core code on the event loop and tells the widgets what happened through signals. Widgets
never touch the tasks or the sessions.

Runs are exclusive: while one is under way a new one is refused (the Run button is disabled
anyway), so a late answer can never land in a newer run's table.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from collections.abc import Sequence

import aiohttp
from PySide6.QtCore import QObject, QTimer, Signal

from app.core import fetch
from app.core.fetch import DEFAULT_CONCURRENCY, FetchOptions, check_url
from app.core.lag import Freeze, HeartbeatLog
from app.core.run import ErrorKind, FetchMode, RequestRecord, RequestState, Run, RunOutcome
from app.ui.errors import ErrorReporter

log = logging.getLogger(__name__)

BATCH_INTERVAL_MS = 50
"""How often the table hears about changed rows during an async run (20 Hz: smooth, never janky)."""
PAINT_GRACE = 0.04
"""Seconds the window gets to draw "running" before a blocking run stops the GUI thread."""


class LabController(QObject):
    """Runs fetches in the chosen mode and reports their progress and results."""

    run_started = Signal(object)  # Run
    records_changed = Signal(list)  # list[int]: indices of the records that changed since the last batch
    run_finished = Signal(object)  # RunSummary

    def __init__(
        self,
        heartbeat_log: HeartbeatLog,
        reporter: ErrorReporter,
        *,
        ssl_context: ssl.SSLContext | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._heartbeat_log = heartbeat_log
        self._reporter = reporter
        self.mode = FetchMode.ASYNC
        self.concurrency = DEFAULT_CONCURRENCY
        self.options = FetchOptions()
        # Built once, up front: loading the trust store takes a while, and doing it inside the
        # first click would add a hitch that has nothing to do with the lesson.
        self._ssl_context = ssl_context or fetch.make_ssl_context()
        self._blocking_session = fetch.open_blocking_session(self._ssl_context)
        self._async_session: aiohttp.ClientSession | None = None
        self._active_run: Run | None = None
        self._task: asyncio.Task[None] | None = None  # the run under way (a strong reference)
        self._changed: set[int] = set()
        self._closed = False
        self._batch_timer = QTimer(self)
        self._batch_timer.setInterval(BATCH_INTERVAL_MS)
        self._batch_timer.timeout.connect(self._flush_changes)

    # --- what the window reads and sets ---

    @property
    def running(self) -> bool:
        return self._active_run is not None

    @property
    def active_run(self) -> Run | None:
        return self._active_run

    @property
    def closed(self) -> bool:
        return self._closed

    # --- actions ---

    def start_run(self, urls: Sequence[str]) -> Run | None:
        """Starts fetching ``urls`` in the current mode; None if a run is under way or we are closed.

        Returns at once. In blocking mode the GUI thread is then taken over (after
        :data:`PAINT_GRACE`) until every request has finished.
        """
        if self._closed or self.running:
            log.info("start_run refused: %s", "closed" if self._closed else "a run is under way")
            return None
        run = Run.plan(urls, self.mode, concurrency=self.concurrency, check=check_url)
        self._active_run = run
        self._changed.clear()
        self.run_started.emit(run)
        self._task = asyncio.ensure_future(self._execute(run, self.options))
        self._task.add_done_callback(functools.partial(self._on_run_task_done, run))
        self._batch_timer.start()
        return run

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
            self._blocking_session.close()
            if self._async_session is not None:
                session, self._async_session = self._async_session, None
                await session.close()
            self._batch_timer.stop()

    # --- the run itself ---

    def _ensure_async_session(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop, then kept for the app's life.
        if self._async_session is None:
            self._async_session = fetch.open_async_session(self._ssl_context)
        return self._async_session

    async def _execute(self, run: Run, options: FetchOptions) -> None:
        if run.mode is FetchMode.ASYNC:
            await fetch.run_async(run, self._ensure_async_session(), options, self._on_record_changed)
        else:
            await asyncio.sleep(PAINT_GRACE)
            # From here until every request is done, the GUI thread belongs to requests.
            fetch.run_blocking(run, self._blocking_session, options, self._on_record_changed)

    def _on_run_task_done(self, run: Run, task: asyncio.Task[None]) -> None:
        # The run ends here, not in a finally inside _execute: a task cancelled before its first
        # step (Cancel or closing the window right after Run) never enters its coroutine at all.
        if task.cancelled():
            outcome, error = RunOutcome.CANCELLED, ""
        elif (exc := task.exception()) is not None:
            outcome, error = RunOutcome.FAILED, f"{type(exc).__name__}: {exc}"
            self._reporter.report("The run stopped because of an unexpected error", exc)
        else:
            outcome, error = RunOutcome.COMPLETED, ""
        self._end_run(run, outcome, error)

    def _end_run(self, run: Run, outcome: RunOutcome, error: str) -> None:
        run.cancel_unfinished()
        origin, now = run.clock.origin, time.perf_counter()
        longest_freeze = self._heartbeat_log.longest_lateness(origin, now)
        # On the run's own clock, so they are drawn on the same axis as the requests.
        freezes = [Freeze(f.start - origin, f.end - origin) for f in self._heartbeat_log.freezes(origin, now)]
        summary = run.summarize(outcome, longest_freeze, error, freezes)
        self._batch_timer.stop()
        self._flush_changes()
        self._active_run = None
        unexpected = [r for r in run.records if r.error_kind is ErrorKind.UNEXPECTED]
        if unexpected:
            self._reporter.report(
                f"{len(unexpected)} request(s) failed with an unexpected error, first: {unexpected[0].error}"
            )
        self.run_finished.emit(summary)

    def _on_record_changed(self, record: RequestRecord) -> None:
        # Called for every state change and body chunk: only note it, the batch timer reports it.
        self._changed.add(record.index)

    def _flush_changes(self) -> None:
        run = self._active_run
        if run is None:
            return
        # Running rows change every batch (their elapsed time grows) even with no new event.
        self._changed.update(r.index for r in run.records if r.state is RequestState.RUNNING)
        if self._changed:
            changed = sorted(self._changed)
            self._changed.clear()
            self.records_changed.emit(changed)
