"""The tasks a person's code starts: none of them outlives its run.

``asyncio.run(main())`` cancels every task still pending when ``main`` returns, and waits for
them to end (their ``finally`` blocks run); a lesson's code run by LoopLab gets the same, so the
file behaves alike in the lab and with ``python lesson.py``. Without it, a task the code started
and never awaited (a ticker, a forgotten ``create_task``) would go on after the run has ended:
making requests that no run records, or holding the window with no freeze guard armed, for as
long as the app runs.

:class:`CodeTasks` tells the code's tasks from LoopLab's by the context they start in. While the
code runs (:meth:`CodeTasks.owning`), a context variable names the :class:`CodeTasks`; a task
copies the context of whoever creates it, so the tasks the code starts, the tasks those start,
and aiohttp's own for the code's requests all carry it, and LoopLab's never do. A task factory
(chained to whichever the loop had: the X-ray's) keeps those tasks, with their coroutines' names.

``sys.exit()`` (``SystemExit``) and ``KeyboardInterrupt`` raised in one of the code's tasks are
turned into :class:`CodeExit`, an ordinary exception: asyncio lets those two out of the event
loop whatever task raised them, which ended LoopLab itself (``sys.exit()`` in a person's code
ends their code, not the lab). In ``main`` itself they are the controller's to catch: it awaits
``main`` directly, not as a task.

A task that fails while nothing awaits it would otherwise be reported by asyncio, when it is
garbage-collected, as "Task exception was never retrieved": to the event loop's handler, which
in LoopLab means an error banner blaming LoopLab. :meth:`CodeTasks.end` hands such failures back
to the caller, which says them as the code's own.

Qt-free. Not for tasks made with ``asyncio.Task(...)`` directly (no factory sees those), nor for
work already handed to a thread (``asyncio.to_thread``): a thread cannot be cancelled.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import contextvars
import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from app.i18n import ngettext

log = logging.getLogger(__name__)

LEFTOVER_GRACE = 1.0
"""Seconds the tasks cancelled at the end of a run get to end (their ``finally`` blocks, a
request's clean-up) before the run stops waiting for them."""

_OWNER: contextvars.ContextVar[CodeTasks | None] = contextvars.ContextVar("looplab_code_tasks", default=None)


class CodeExit(Exception):
    """``SystemExit`` or ``KeyboardInterrupt`` raised in a task the code started: the task fails
    with this instead, so it ends the code (as any error does) and not the app. Carries the
    original (:attr:`original`) and its traceback, so it is said and placed as the original."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(original)
        self.original = original


class _Contained(collections.abc.Coroutine):  # type: ignore[type-arg]
    """A code's task's coroutine, as it is, except that ``SystemExit`` and ``KeyboardInterrupt``
    come out of it as :class:`CodeExit` (asyncio's Task drives any Coroutine by send and throw)."""

    __slots__ = ("_coro",)

    def __init__(self, coro: collections.abc.Coroutine[Any, Any, Any]) -> None:
        self._coro = coro

    def send(self, value: Any) -> Any:
        try:
            return self._coro.send(value)
        except (SystemExit, KeyboardInterrupt) as exc:
            raise CodeExit(exc).with_traceback(exc.__traceback__) from None

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        try:
            return self._coro.throw(typ, val, tb) if val is not None or tb is not None else self._coro.throw(typ)
        except (SystemExit, KeyboardInterrupt) as exc:
            raise CodeExit(exc).with_traceback(exc.__traceback__) from None

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._coro.__await__()

    def __getattr__(self, name: str) -> Any:  # cr_frame, cr_await, __qualname__...: the real one's
        if name == "_coro":
            raise AttributeError(name)
        return getattr(self._coro, name)

    def __repr__(self) -> str:
        return repr(self._coro)


@dataclass(frozen=True)
class Leftovers:
    """What the code left behind when its ``main`` ended."""

    cancelled: tuple[str, ...] = ()
    """The coroutine names of the tasks still running then, which were cancelled."""
    running_on: tuple[str, ...] = ()
    """Those of them still running after :data:`LEFTOVER_GRACE` (they caught ``CancelledError``)."""
    failures: tuple[BaseException, ...] = ()
    """Errors of the code's tasks that nothing awaited (now retrieved: asyncio will not report them)."""

    def words(self) -> str:
        """The leftovers in a sentence or two ("" for none), e.g. "When main ended, 1 task it
        had started was still running (tick): cancelled, as asyncio.run does."."""
        sentences = []
        if self.cancelled:
            count = len(self.cancelled)
            sentences.append(
                ngettext(
                    "When main ended, {n} task it had started was still running ({names}): cancelled, as asyncio.run does.",
                    "When main ended, {n} tasks it had started were still running ({names}): cancelled, as asyncio.run does.",
                    count,
                ).format(n=count, names=_names(self.cancelled))
            )
        if self.running_on:
            count = len(self.running_on)
            sentences.append(
                ngettext(
                    "{n} of them ignored the cancellation and runs on ({names}).",
                    "{n} of them ignored the cancellation and run on ({names}).",
                    count,
                ).format(n=count, names=_names(self.running_on))
            )
        return " ".join(sentences)


def _name_of(coro: Any) -> str:
    """What the code calls the task's coroutine: "tick", "Worker.run" (not "main.<locals>.tick")."""
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    return str(name).rsplit(".<locals>.", 1)[-1]


def _names(names: tuple[str, ...], shown: int = 3) -> str:
    unique = list(dict.fromkeys(names))
    return ", ".join(unique[:shown]) + (", …" if len(unique) > shown else "")


class CodeTasks:
    """The tasks started by code run inside :meth:`owning`, on the loop it is :meth:`install`-ed on."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous_factory: Any = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """From now on, tasks created on ``loop`` by the code are kept. Chains to the loop's
        task factory; :meth:`uninstall` puts it back (install and uninstall in nested order
        with any other factory). Install it before the X-ray's (``app.core.task_trace``): that
        one must see the code's own coroutines to trace them, and this one wraps what it gets.)"""
        if self._loop is not None:
            raise RuntimeError("these code tasks are already installed")
        self._loop = loop
        self._previous_factory = loop.get_task_factory()
        loop.set_task_factory(self._create_task)

    def uninstall(self) -> None:
        """No more tasks are kept; the loop's previous task factory is back. Safe to call twice."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        if loop.get_task_factory() == self._create_task:
            loop.set_task_factory(self._previous_factory)
        else:  # someone replaced ours meanwhile: theirs stays
            log.warning("The task factory was replaced while the code ran; left as it is")
        self._previous_factory = None

    @contextlib.contextmanager
    def owning(self) -> Iterator[None]:
        """Tasks created inside the block (and by those tasks, at any depth) are the code's."""
        token = _OWNER.set(self)
        try:
            yield
        finally:
            _OWNER.reset(token)

    @property
    def tasks(self) -> list[asyncio.Task[Any]]:
        """Every task the code has started, in the order it started them."""
        return list(self._tasks)

    async def end(self, grace: float = LEFTOVER_GRACE) -> Leftovers:
        """Cancels the code's tasks still running and waits up to ``grace`` seconds for them to
        end; returns them, and the failures of its tasks that nothing awaited."""
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        running_on: list[asyncio.Task[Any]] = []
        if pending:
            _done, still = await asyncio.wait(pending, timeout=grace)
            running_on = [task for task in pending if task in still]
        failures = []
        for task in self._tasks:
            # Only an error nobody has retrieved: the one a TaskGroup, gather or an await has
            # already handed to the code is the code's business. (_log_traceback is asyncio's
            # own flag for "not retrieved yet", the one its "never retrieved" report reads.)
            if task.done() and not task.cancelled() and getattr(task, "_log_traceback", False):
                exc = task.exception()  # retrieved now: asyncio will not report it again
                if exc is not None:
                    failures.append(exc)
        names = self._tasks
        self._tasks = {task: name for task, name in self._tasks.items() if task in running_on}
        return Leftovers(
            cancelled=tuple(names[task] for task in pending),
            running_on=tuple(names[task] for task in running_on),
            failures=tuple(failures),
        )

    def _create_task(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        context = kwargs.get("context")
        owner = context.get(_OWNER) if context is not None else _OWNER.get()
        name = _name_of(coro)  # before another factory wraps it
        if owner is self and asyncio.iscoroutine(coro):
            coro = _Contained(coro)
        if self._previous_factory is not None:
            task = self._previous_factory(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        if owner is self:
            self._tasks[task] = name
        return task
