"""One timeout for the many requests of a run, on one timer: what ``asyncio.timeout`` does per request.

Every request of a run has the same timeout, and a run's requests start one after another, so
their deadlines come in the order they start. :class:`Deadlines` keeps them in that order in a
deque and keeps one loop timer, for the earliest deadline still being waited on. ``asyncio.timeout``
makes a timer per request instead, pushed onto the loop's heap and cancelled again when the
request ends: measured in a 5000-request URL run, that was ~3% of the GUI thread's time.

Same behaviour as ``asyncio.timeout`` (``tests/core/test_deadlines.py`` runs the same cases
through both): the deadline fires on the dot (the loop's timer, never rounded), the task is
cancelled and the block raises :class:`TimeoutError`; a cancellation from elsewhere (Cancel, the
window closing) stays a cancellation.

Qt-free, like all of ``app.core``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType


class Deadlines:
    """``async with deadlines():`` gives the block ``timeout`` seconds (None: no limit).

    For one event loop at a time; the blocks may run in any number of tasks, one block per task
    at a time. Make a fresh block (``deadlines()``) for each ``async with``, as with ``asyncio.timeout``.
    """

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._waiting: deque[_Deadline] = deque()
        """Blocks in the order they began, so by deadline; ended ones leave it lazily (below)."""
        self._open = 0
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self) -> _Deadline:
        return _Deadline(self)

    def close(self) -> None:
        """Stops the timer (the run is over; a block still open then gets no deadline)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for block in self._waiting:
            block.open = False
        self._waiting.clear()
        self._open = 0

    def _begin(self, block: _Deadline, loop: asyncio.AbstractEventLoop) -> None:
        self._waiting.append(block)
        self._open += 1
        if self._timer is None:
            self._timer = loop.call_at(block.when, self._expire, loop)

    def _end(self) -> None:
        self._open -= 1
        waiting = self._waiting
        if not self._open:  # nothing left to time out: no timer either (as asyncio.timeout leaves none)
            waiting.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return
        while waiting and waiting[0].open is False:  # what ended at the front (most of them, in order)
            waiting.popleft()
        # One request that hangs at the front would keep every later one here until it ends
        # (a 200,000-URL run behind a 120 s timeout): once ended ones are most of the queue,
        # it is rebuilt without them, as asyncio rebuilds its heap of cancelled timers.
        if len(waiting) > 2 * self._open + 100:
            self._waiting = deque(block for block in waiting if block.open)

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        waiting, now = self._waiting, loop.time()
        while waiting:
            block = waiting[0]
            if block.open and block.when > now:
                self._timer = loop.call_at(block.when, self._expire, loop)
                return
            waiting.popleft()
            if block.open:
                block.open = False
                self._open -= 1
                block.expire()


class _Deadline:
    """One ``async with`` block of :class:`Deadlines`: ``asyncio.Timeout``'s steps, without its own timer."""

    __slots__ = ("_deadlines", "_task", "_cancelling", "_entered", "when", "open", "expired")

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._entered = False
        self.when = 0.0
        self.open = False
        self.expired = False

    async def __aenter__(self) -> _Deadline:
        if self._entered:
            raise RuntimeError("a deadline block has already been entered: make a new one (deadlines())")
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadlines should be used inside a task")
        self._entered = True
        timeout = self._deadlines.timeout
        if timeout is not None:
            self._task, self._cancelling = task, task.cancelling()
            loop = task.get_loop()
            self.when = loop.time() + timeout
            self.open = True
            self._deadlines._begin(self, loop)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.open:
            self.open = False
            self._deadlines._end()
        if self.expired:
            task, self._task = self._task, None
            assert task is not None
            # As asyncio.Timeout.__aexit__: the cancellation was ours only if nothing else asked for one.
            if task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
                raise TimeoutError from exc
        self._task = None

    def expire(self) -> None:
        assert self._task is not None
        self.expired = True
        self._task.cancel()
