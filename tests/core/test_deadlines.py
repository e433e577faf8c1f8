"""app.core.deadlines: the run's shared timeouts behave as ``asyncio.timeout`` does, case by case."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import pytest

from app.core.deadlines import Deadlines

TIMEOUT = 0.1


def _asyncio_way(timeout: float | None) -> Callable[[], Any]:
    return lambda: asyncio.timeout(timeout)


def _shared_way(timeout: float | None) -> Callable[[], Any]:
    return Deadlines(timeout)


WAYS = pytest.mark.parametrize("way", [_asyncio_way, _shared_way], ids=["asyncio.timeout", "Deadlines"])


@WAYS
def test_a_block_that_outlasts_its_deadline_raises_timeout_error_on_the_dot(way: Callable[[float | None], Any]) -> None:
    limit = way(TIMEOUT)

    async def scenario() -> tuple[float, int]:
        started = time.perf_counter()
        with pytest.raises(TimeoutError):
            async with limit():
                await asyncio.sleep(10)
        task = asyncio.current_task()
        assert task is not None
        return time.perf_counter() - started, task.cancelling()

    took, cancelling = asyncio.run(scenario())
    assert TIMEOUT <= took < TIMEOUT + 0.08
    assert cancelling == 0  # the task goes on as if never cancelled


@WAYS
def test_a_block_that_ends_in_time_leaves_the_task_alone(way: Callable[[float | None], Any]) -> None:
    limit = way(TIMEOUT)

    async def scenario() -> str:
        async with limit():
            await asyncio.sleep(0.01)
        await asyncio.sleep(TIMEOUT * 1.5)  # past the deadline the block had: nothing fires now
        return "went on"

    assert asyncio.run(scenario()) == "went on"


@WAYS
def test_a_cancellation_from_elsewhere_stays_a_cancellation(way: Callable[[float | None], Any]) -> None:
    limit = way(TIMEOUT * 10)

    async def inside() -> None:
        async with limit():
            await asyncio.sleep(10)

    async def scenario() -> BaseException | None:
        task = asyncio.ensure_future(inside())
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except BaseException as exc:  # noqa: BLE001 - what ended it is the answer
            return exc
        return None

    assert isinstance(asyncio.run(scenario()), asyncio.CancelledError)


@WAYS
def test_each_block_gets_its_own_deadline_from_when_it_began(way: Callable[[float | None], Any]) -> None:
    # Staggered starts, as a run's workers start: a block that began later ends later.
    limit = way(TIMEOUT)
    stagger = 0.04

    async def one(delay: float, ends: dict[float, float], t0: float) -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(TimeoutError):
            async with limit():
                await asyncio.sleep(10)
        ends[delay] = time.perf_counter() - t0

    async def scenario() -> dict[float, float]:
        ends: dict[float, float] = {}
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i * stagger, ends, t0) for i in range(3)))
        return ends

    ends = asyncio.run(scenario())
    for delay, ended in ends.items():
        assert delay + TIMEOUT <= ended < delay + TIMEOUT + 0.08, ends


@WAYS
def test_no_limit_never_times_out(way: Callable[[float | None], Any]) -> None:
    limit = way(None)

    async def scenario() -> str:
        async with limit():
            await asyncio.sleep(0.05)
        return "done"

    assert asyncio.run(scenario()) == "done"


@WAYS
def test_an_error_inside_passes_through_unchanged(way: Callable[[float | None], Any]) -> None:
    limit = way(TIMEOUT)

    async def scenario() -> None:
        async with limit():
            raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        asyncio.run(scenario())


def test_many_blocks_make_one_timer() -> None:
    # What it is for: asyncio.timeout makes a timer on the loop's heap for every block (and
    # cancels it again); the shared deadlines make one, however many requests a run makes.
    deadlines = Deadlines(10.0)

    async def worker() -> None:
        for _ in range(200):
            async with deadlines():
                await asyncio.sleep(0)

    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        made = 0
        call_at = loop.call_at

        def counted(*args: Any, **kwargs: Any) -> asyncio.TimerHandle:
            nonlocal made
            made += 1
            return call_at(*args, **kwargs)

        loop.call_at = counted  # type: ignore[method-assign]
        try:
            await asyncio.gather(*(worker() for _ in range(5)))
        finally:
            del loop.call_at
            deadlines.close()
        return made

    assert asyncio.run(scenario()) == 1


@WAYS
def test_a_block_cannot_be_entered_twice(way: Callable[[float | None], Any]) -> None:
    limit = way(TIMEOUT)

    async def scenario() -> None:
        block = limit()
        async with block:
            pass
        async with block:
            pass

    with pytest.raises(RuntimeError):
        asyncio.run(scenario())


@WAYS
def test_no_timer_is_left_on_the_loop_once_the_blocks_end(way: Callable[[float | None], Any]) -> None:
    limit = way(10.0)

    async def scenario() -> int:
        async with limit():
            await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        return sum(not handle.cancelled() for handle in loop._scheduled)  # type: ignore[attr-defined]

    assert asyncio.run(scenario()) == 0


@WAYS
def test_blocks_that_expire_together_each_raise_and_the_next_ones_still_time_out(way: Callable[[float | None], Any]) -> None:
    limit = way(TIMEOUT)

    async def one() -> str:
        try:
            async with limit():
                await asyncio.sleep(10)
        except TimeoutError:
            return "timed out"
        return "ran on"

    async def scenario() -> list[str]:
        first = await asyncio.gather(*(one() for _ in range(3)))  # the same deadline, to the microsecond or so
        return [*first, await one()]

    assert asyncio.run(scenario()) == ["timed out"] * 4


def test_one_block_hanging_at_the_front_does_not_keep_every_later_one() -> None:
    # A request that hangs until its timeout while thousands of quick ones start and end after
    # it: the queue holds about what is open, not everything since the hanging one began.
    deadlines = Deadlines(60.0)
    most = 0

    async def quick() -> None:
        nonlocal most
        for _ in range(1000):
            async with deadlines():
                await asyncio.sleep(0)
            most = max(most, len(deadlines._waiting))

    async def scenario() -> None:
        hanging = asyncio.ensure_future(asyncio.sleep(10))

        async def hang() -> None:
            async with deadlines():
                await hanging

        holder = asyncio.ensure_future(hang())
        await asyncio.sleep(0)
        await asyncio.gather(*(quick() for _ in range(5)))
        holder.cancel()
        hanging.cancel()
        await asyncio.gather(holder, hanging, return_exceptions=True)
        deadlines.close()

    asyncio.run(scenario())
    assert most <= 2 * 6 + 100 + 1


def test_a_block_still_open_when_its_deadlines_close_ends_without_a_deadline() -> None:
    deadlines = Deadlines(TIMEOUT)

    async def scenario() -> str:
        async with deadlines():
            deadlines.close()
            await asyncio.sleep(TIMEOUT * 2)
        try:
            async with deadlines():  # and they work again afterwards
                await asyncio.sleep(10)
        except TimeoutError:
            return "timed out"
        return "not timed out"

    assert asyncio.run(scenario()) == "timed out"
