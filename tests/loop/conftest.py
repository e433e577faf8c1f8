"""The loops under test: plain asyncio's and LoopLab's :class:`~app.ui.fast_loop.LabLoop`.

Every test that takes ``loop`` runs once on each, with the same body: what asyncio does is the
specification, and LabLoop must do the same.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Iterator

import pytest

LOOPS = ["asyncio", "lab"] + (["qasync"] if os.environ.get("LOOPLAB_CONFORMANCE_QASYNC") else [])
"""``LOOPLAB_CONFORMANCE_QASYNC=1`` adds raw ``qasync.QEventLoop``, to see where it departs from asyncio."""


@pytest.fixture(autouse=True)
def _collect_the_last_tests_garbage() -> None:
    """Frees the previous test's loops here, on the GUI thread (tests/conftest.py turns automatic GC off)."""
    gc.collect()


def make_loop(kind: str, request: pytest.FixtureRequest) -> asyncio.AbstractEventLoop:
    if kind == "asyncio":
        return asyncio.new_event_loop()
    qapp = request.getfixturevalue("qapp")
    if kind == "qasync":
        import qasync

        return qasync.QEventLoop(qapp)
    from app.ui.fast_loop import LabLoop

    return LabLoop(qapp)


@pytest.fixture(params=LOOPS)
def loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh loop of each kind, the thread's current one; closed afterwards if the test did not."""
    event_loop = make_loop(request.param, request)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    if not event_loop.is_closed():
        pending = [t for t in asyncio.all_tasks(event_loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            event_loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        event_loop.run_until_complete(event_loop.shutdown_asyncgens())
        event_loop.run_until_complete(event_loop.shutdown_default_executor())
        event_loop.close()
    asyncio.set_event_loop(None)


def pending_timers(loop: asyncio.AbstractEventLoop) -> int:
    """How many timers the loop still holds (cancelled ones included): asyncio's heap or LabLoop's."""
    heap = getattr(loop, "_timers", None)
    if heap is None:
        heap = loop._scheduled  # type: ignore[attr-defined]
    return len(heap)
