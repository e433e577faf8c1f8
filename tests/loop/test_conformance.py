"""Conformance: the same tests on plain asyncio's loop and on LabLoop (see conftest's ``loop``).

Ideas from CPython's Lib/test/test_asyncio (test_base_events, test_events): ordering of
call_soon and timers, cancellation, errors reaching the exception handler, waking from threads,
readers and writers, executors, async generators, stop and close. Timing bounds leave room for a
busy 2-core machine; the one thing never allowed is a timer that fires early.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import signal
import socket
import threading
import time
import weakref
from typing import Any

import pytest

from tests.loop.conftest import pending_timers

SLACK = 0.25
"""How late a timer may be on a busy machine (typically ~1 ms): never early, never this late."""


# call_soon ----------------------------------------------------------------------------------


def test_call_soon_runs_callbacks_in_fifo_order_with_their_arguments(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[tuple[int, str]] = []
    for i in range(200):
        loop.call_soon(calls.append, (i, f"#{i}"))
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert calls == [(i, f"#{i}") for i in range(200)]


def test_callbacks_scheduled_by_a_callback_run_after_those_already_waiting(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[str] = []

    def first() -> None:
        calls.append("first")
        loop.call_soon(calls.append, "scheduled by first")

    loop.call_soon(first)
    loop.call_soon(calls.append, "second")

    async def settle() -> None:
        for _ in range(3):
            await asyncio.sleep(0)

    loop.run_until_complete(settle())
    assert calls == ["first", "second", "scheduled by first"]


def test_tasks_take_turns_at_sleep_zero(loop: asyncio.AbstractEventLoop) -> None:
    turns: list[tuple[str, int]] = []

    async def worker(name: str) -> None:
        for i in range(4):
            turns.append((name, i))
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(worker("a"), worker("b"), worker("c"))

    loop.run_until_complete(main())
    assert turns == [(name, i) for i in range(4) for name in "abc"]


def test_call_soon_runs_in_the_given_context(loop: asyncio.AbstractEventLoop) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="default")
    context = contextvars.copy_context()
    context.run(var.set, "in the context")
    seen: list[str] = []
    loop.call_soon(lambda: seen.append(var.get()), context=context)
    loop.call_soon(lambda: seen.append(var.get()))
    loop.call_later(0.001, lambda: seen.append(var.get()), context=context)
    loop.call_later(0.002, loop.stop)
    loop.run_forever()
    assert seen == ["in the context", "default", "in the context"]


def test_a_cancelled_callback_never_runs(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[str] = []
    handle = loop.call_soon(calls.append, "cancelled before the loop ran")
    loop.call_soon(calls.append, "kept")
    handle.cancel()
    assert handle.cancelled()
    # ...also when cancelled by a callback that runs just before it, in the same round.
    victim: list[asyncio.Handle] = []
    loop.call_soon(lambda: victim[0].cancel())
    victim.append(loop.call_soon(calls.append, "cancelled by the callback before it"))
    loop.call_soon(calls.append, "kept too")
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert calls == ["kept", "kept too"]


# Timers ------------------------------------------------------------------------------------


def test_timers_run_in_deadline_order_not_in_the_order_they_were_set(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[float] = []
    delays = [0.05, 0.01, 0.04, 0.0, 0.03, 0.02, 0.015]
    for delay in delays:
        loop.call_later(delay, calls.append, delay)
    loop.call_later(0.08, loop.stop)
    loop.run_forever()
    assert calls == sorted(delays)


def test_a_timer_never_fires_before_its_time(loop: asyncio.AbstractEventLoop) -> None:
    lateness: list[float] = []

    def fired(when: float) -> None:
        lateness.append(loop.time() - when)

    start = loop.time()
    for i in range(40):
        when = start + 0.003 + i * 0.0037  # deadlines between Qt's milliseconds
        loop.call_at(when, fired, when)
    loop.call_at(start + 0.3, loop.stop)
    loop.run_forever()
    assert len(lateness) == 40
    assert min(lateness) >= 0.0, "a timer fired early"
    assert max(lateness) < SLACK


def test_sleep_takes_at_least_its_time_and_not_much_longer(loop: asyncio.AbstractEventLoop) -> None:
    async def timed_sleep(seconds: float) -> float:
        start = time.monotonic()
        await asyncio.sleep(seconds)
        return time.monotonic() - start

    for seconds in (0.001, 0.0105, 0.25):
        took = loop.run_until_complete(timed_sleep(seconds))
        assert seconds <= took < seconds + SLACK, (seconds, took)


def test_call_at_keeps_its_deadline_and_call_later_counts_from_now(loop: asyncio.AbstractEventLoop) -> None:
    now = loop.time()
    at = loop.call_at(now + 10, lambda: None)
    later = loop.call_later(10, lambda: None)
    assert isinstance(at, asyncio.TimerHandle) and isinstance(later, asyncio.TimerHandle)
    assert at.when() == now + 10
    assert now + 10 <= later.when() <= loop.time() + 10
    at.cancel()
    later.cancel()
    with pytest.raises(TypeError):
        loop.call_at(None, lambda: None)  # type: ignore[arg-type]


def test_a_due_timer_runs_after_the_callbacks_already_waiting(loop: asyncio.AbstractEventLoop) -> None:
    # asyncio moves due timers to the end of the ready queue: a zero timer set first still runs
    # after a call_soon set second.
    calls: list[str] = []
    loop.call_later(0, calls.append, "timer")
    loop.call_soon(calls.append, "soon")
    loop.call_later(0.01, loop.stop)
    loop.run_forever()
    assert calls == ["soon", "timer"]


def test_a_cancelled_timer_never_runs(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[str] = []
    early = loop.call_later(0.01, calls.append, "cancelled")
    loop.call_later(0.02, calls.append, "kept")
    early.cancel()
    assert early.cancelled()
    loop.call_later(0.005, lambda: late.cancel())  # cancelled by a callback before its time
    late = loop.call_later(0.03, calls.append, "cancelled later")
    loop.call_later(0.05, loop.stop)
    loop.run_forever()
    assert calls == ["kept"]


def test_cancelled_timers_do_not_pile_up(loop: asyncio.AbstractEventLoop) -> None:
    # Timeouts that never happen (wait_for, aiohttp's) are cancelled timers: a loop that kept them
    # until their far deadline would grow without bound.
    async def main() -> None:
        for _ in range(5):
            handles = [loop.call_later(3600, lambda: None) for _ in range(1000)]
            for handle in handles:
                handle.cancel()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        assert pending_timers(loop) <= 100

    loop.run_until_complete(main())


def test_a_cancelled_timer_releases_its_callback(loop: asyncio.AbstractEventLoop) -> None:
    class Payload:
        pass

    payload = Payload()
    alive = weakref.ref(payload)
    handle = loop.call_later(3600, lambda p: None, payload)
    del payload
    handle.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    assert alive() is None


def test_a_stream_of_ready_callbacks_does_not_starve_timers(loop: asyncio.AbstractEventLoop) -> None:
    async def busy(until: float) -> int:
        rounds = 0
        while loop.time() < until:
            rounds += 1
            await asyncio.sleep(0)
        return rounds

    async def main() -> float:
        start = loop.time()
        fired: asyncio.Future[float] = loop.create_future()
        loop.call_later(0.05, lambda: fired.set_result(loop.time()))
        spinner = asyncio.ensure_future(busy(start + 0.4))
        at = await fired
        await spinner
        return at - start

    took = loop.run_until_complete(main())
    assert 0.05 <= took < 0.05 + SLACK


def test_wait_for_and_timeout_cancel_in_time(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> None:
        start = loop.time()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), 0.05)
        assert 0.05 <= loop.time() - start < 0.05 + SLACK
        start = loop.time()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await asyncio.sleep(10)
        assert 0.05 <= loop.time() - start < 0.05 + SLACK
        assert await asyncio.wait_for(asyncio.sleep(0.01, "done"), 1.0) == "done"

    loop.run_until_complete(main())


def test_a_thousand_concurrent_sleeps_take_about_one_sleep(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> float:
        start = time.monotonic()
        await asyncio.gather(*(asyncio.sleep(0.2) for _ in range(1000)))
        return time.monotonic() - start

    took = loop.run_until_complete(main())
    assert 0.2 <= took < 0.2 + 2 * SLACK


# Errors ------------------------------------------------------------------------------------


def test_an_error_in_a_callback_goes_to_the_exception_handler_and_the_loop_goes_on(loop: asyncio.AbstractEventLoop) -> None:
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))
    calls: list[str] = []

    def fail(what: str) -> None:
        raise ValueError(what)

    soon = loop.call_soon(fail, "soon")
    loop.call_soon(calls.append, "after soon")
    later = loop.call_later(0.01, fail, "later")
    loop.call_later(0.02, calls.append, "after later")
    loop.call_later(0.03, loop.stop)
    loop.run_forever()
    assert calls == ["after soon", "after later"]
    assert [str(c["exception"]) for c in contexts] == ["soon", "later"]
    assert [c["handle"] for c in contexts] == [soon, later]
    assert all(isinstance(c["exception"], ValueError) and "message" in c for c in contexts)


def test_an_unretrieved_task_error_reaches_the_exception_handler(loop: asyncio.AbstractEventLoop) -> None:
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))

    async def fail() -> None:
        raise KeyError("lost")

    async def main() -> None:
        task = asyncio.ensure_future(fail())
        while not task.done():
            await asyncio.sleep(0)

    loop.run_until_complete(main())
    import gc

    gc.collect()  # the task's destructor reports it
    assert any(isinstance(c.get("exception"), KeyError) for c in contexts)


def test_run_until_complete_returns_the_result_or_raises_the_error(loop: asyncio.AbstractEventLoop) -> None:
    async def answer() -> int:
        await asyncio.sleep(0.001)
        return 42

    async def fail() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("inside")

    assert loop.run_until_complete(answer()) == 42
    with pytest.raises(RuntimeError, match="inside"):
        loop.run_until_complete(fail())
    future = loop.create_future()
    loop.call_soon(future.set_result, "a future")
    assert loop.run_until_complete(future) == "a future"


# Threads -----------------------------------------------------------------------------------


def test_call_soon_threadsafe_wakes_an_idle_loop(loop: asyncio.AbstractEventLoop) -> None:
    # Nothing else is scheduled: only the other thread's call can end the wait.
    async def main() -> float:
        future: asyncio.Future[float] = loop.create_future()

        def from_thread() -> None:
            time.sleep(0.1)
            loop.call_soon_threadsafe(future.set_result, time.monotonic())

        thread = threading.Thread(target=from_thread)
        thread.start()
        sent = await future
        thread.join()
        return time.monotonic() - sent

    assert loop.run_until_complete(main()) < SLACK


def test_call_soon_threadsafe_keeps_each_threads_order(loop: asyncio.AbstractEventLoop) -> None:
    received: list[tuple[int, int]] = []
    per_thread = 500

    async def main() -> None:
        done = asyncio.Event()

        def send(thread_no: int) -> None:
            for i in range(per_thread):
                loop.call_soon_threadsafe(received.append, (thread_no, i))
            loop.call_soon_threadsafe(lambda: len(received) == 4 * per_thread and done.set())

        threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        await asyncio.wait_for(done.wait(), 10)
        for thread in threads:
            thread.join()

    loop.run_until_complete(main())
    for n in range(4):
        assert [i for t, i in received if t == n] == list(range(per_thread))


def test_run_in_executor_returns_results_and_errors(loop: asyncio.AbstractEventLoop) -> None:
    def work(x: int) -> tuple[int, bool]:
        return x * 2, threading.current_thread() is not threading.main_thread()

    def fail() -> None:
        raise ValueError("in the worker")

    async def main() -> None:
        assert await loop.run_in_executor(None, work, 21) == (42, True)
        assert await asyncio.to_thread(work, 4) == (8, True)
        with pytest.raises(ValueError, match="in the worker"):
            await loop.run_in_executor(None, fail)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = await asyncio.gather(*(loop.run_in_executor(pool, work, i) for i in range(20)))
        assert [r for r, _ in results] == [2 * i for i in range(20)]

    loop.run_until_complete(main())
    loop.run_until_complete(loop.shutdown_default_executor())


def test_a_thread_cannot_schedule_on_a_closed_loop(loop: asyncio.AbstractEventLoop) -> None:
    loop.close()
    errors: list[BaseException] = []

    def from_thread() -> None:
        try:
            loop.call_soon_threadsafe(lambda: None)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=from_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "closed" in str(errors[0])


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")
def test_a_signal_handler_runs_on_the_loop(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> str:
        got: asyncio.Future[str] = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, lambda: got.done() or got.set_result("signalled"))
        try:
            loop.call_later(0.01, os.kill, os.getpid(), signal.SIGUSR1)
            return await asyncio.wait_for(got, 5)
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)

    assert loop.run_until_complete(main()) == "signalled"


# Readers, writers and sockets --------------------------------------------------------------


def test_readers_and_writers_are_called_when_the_socket_is_ready(loop: asyncio.AbstractEventLoop) -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    try:
        received: list[bytes] = []
        writable: list[bool] = []

        def on_readable() -> None:
            received.append(b.recv(100))
            if b"".join(received) == b"hello world":
                loop.remove_reader(b)
                loop.stop()

        def on_writable() -> None:
            writable.append(True)
            loop.remove_writer(a)
            a.send(b"hello ")
            loop.call_later(0.01, a.send, b"world")

        loop.add_reader(b, on_readable)
        loop.add_writer(a, on_writable)
        loop.run_forever()
        assert b"".join(received) == b"hello world"
        assert writable == [True]
        assert not loop.remove_reader(b) and not loop.remove_writer(a)  # already removed
    finally:
        a.close()
        b.close()


def test_a_removed_reader_is_not_called(loop: asyncio.AbstractEventLoop) -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    try:
        calls: list[str] = []
        loop.add_reader(b, calls.append, "read")
        assert loop.remove_reader(b)
        a.send(b"x")
        loop.run_until_complete(asyncio.sleep(0.05))
        assert calls == []
    finally:
        a.close()
        b.close()


def test_sock_methods_and_streams_talk_to_a_server(loop: asyncio.AbstractEventLoop) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main() -> list[bytes]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        answers = []
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for word in (b"one\n", b"two\n", b"x" * 50_000 + b"\n"):
                writer.write(word)
                await writer.drain()
                answers.append(await reader.readline())
            writer.close()
            await writer.wait_closed()

            sock = socket.socket()
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", port))
            await loop.sock_sendall(sock, b"raw\n")
            answers.append(await loop.sock_recv(sock, 100))
            sock.close()
        return answers

    answers = loop.run_until_complete(main())
    assert answers == [b"ONE\n", b"TWO\n", b"X" * 50_000 + b"\n", b"RAW\n"]


# Async generators --------------------------------------------------------------------------


def test_shutdown_asyncgens_finalizes_unfinished_async_generators(loop: asyncio.AbstractEventLoop) -> None:
    finalized: list[str] = []

    async def numbers() -> Any:
        try:
            for i in range(10):
                yield i
                await asyncio.sleep(0)
        finally:
            finalized.append("finally")

    holder: list[Any] = []

    async def take_two() -> list[int]:
        generator = numbers()
        holder.append(generator)  # still referenced: only shutdown_asyncgens can finish it
        return [await generator.__anext__(), await generator.__anext__()]

    assert loop.run_until_complete(take_two()) == [0, 1]
    assert finalized == []
    loop.run_until_complete(loop.shutdown_asyncgens())
    assert finalized == ["finally"]


def test_an_abandoned_async_generator_is_closed_on_the_loop(loop: asyncio.AbstractEventLoop) -> None:
    finalized: list[bool] = []

    async def forever() -> Any:
        try:
            while True:
                yield
        finally:
            finalized.append(asyncio.get_running_loop() is loop)

    async def main() -> None:
        generator = forever()
        await generator.__anext__()
        del generator  # the finalizer hook schedules aclose() on the loop
        for _ in range(5):
            await asyncio.sleep(0)

    loop.run_until_complete(main())
    assert finalized == [True]


# Running, stopping, closing ----------------------------------------------------------------


def test_is_running_and_the_running_loop(loop: asyncio.AbstractEventLoop) -> None:
    async def inside() -> tuple[bool, bool]:
        return loop.is_running(), asyncio.get_running_loop() is loop

    assert not loop.is_running()
    assert loop.run_until_complete(inside()) == (True, True)
    assert not loop.is_running()
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


def test_stop_ends_run_forever_after_the_current_round_and_pending_work_waits(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[str] = []

    def stop_then_schedule() -> None:
        loop.stop()
        loop.call_soon(calls.append, "next round")

    loop.call_soon(stop_then_schedule)
    loop.call_soon(calls.append, "same round")
    loop.run_forever()
    assert calls == ["same round"]
    loop.call_soon(loop.stop)
    loop.run_forever()  # the pending callback runs when the loop runs again
    assert calls == ["same round", "next round"]


def test_stop_before_run_forever_runs_one_round(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[int] = []
    loop.call_soon(calls.append, 1)
    loop.call_soon(lambda: loop.call_soon(calls.append, 3))
    loop.call_soon(calls.append, 2)
    loop.stop()
    loop.run_forever()
    assert calls == [1, 2]
    loop.stop()
    loop.run_forever()
    assert calls == [1, 2, 3]


def test_run_until_complete_inside_a_running_loop_is_refused(loop: asyncio.AbstractEventLoop) -> None:
    async def nested() -> None:
        coro = asyncio.sleep(0)
        try:
            with pytest.raises(RuntimeError):
                loop.run_until_complete(coro)
        finally:
            coro.close()

    loop.run_until_complete(nested())


def test_stopping_before_the_future_is_done_is_an_error(loop: asyncio.AbstractEventLoop) -> None:
    loop.call_later(0.01, loop.stop)
    with pytest.raises(RuntimeError, match="before Future completed"):
        loop.run_until_complete(loop.create_future())


def test_closing_drops_pending_work_and_refuses_new_work(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[str] = []
    loop.call_soon(calls.append, "soon")
    timer = loop.call_later(0.001, calls.append, "later")
    time.sleep(0.01)
    loop.close()
    assert loop.is_closed() and calls == []
    loop.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_soon(calls.append, "after close")
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_later(0.01, calls.append, "after close")
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_at(loop.time(), calls.append, "after close")
    with pytest.raises(RuntimeError, match="closed"):
        loop.run_forever()
    coro = asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="closed"):
        loop.run_until_complete(coro)
    coro.close()
    timer.cancel()
    assert calls == []


def test_a_running_loop_cannot_be_closed(loop: asyncio.AbstractEventLoop) -> None:
    async def close_inside() -> None:
        with pytest.raises(RuntimeError, match="running"):
            loop.close()

    loop.run_until_complete(close_inside())


def test_run_forever_twice_in_a_row_with_timers_between(loop: asyncio.AbstractEventLoop) -> None:
    calls: list[str] = []
    loop.call_later(0.02, calls.append, "second run")
    loop.call_later(0.01, loop.stop)
    loop.run_forever()
    assert calls == []
    time.sleep(0.03)  # the second timer falls due while the loop is not running...
    assert calls == []  # ...and waits for it
    loop.call_later(0.01, loop.stop)
    loop.run_forever()
    assert calls == ["second run"]


def test_cancelling_a_task_many_levels_deep(loop: asyncio.AbstractEventLoop) -> None:
    cleanup: list[int] = []

    async def level(n: int) -> None:
        try:
            if n:
                await level(n - 1)
            else:
                await asyncio.sleep(10)
        finally:
            cleanup.append(n)

    async def main() -> None:
        task = asyncio.ensure_future(level(20))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    loop.run_until_complete(main())
    assert cleanup == list(range(21))
