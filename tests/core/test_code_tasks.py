"""The tasks a person's code starts, told from everyone else's, and ended with its run as
``asyncio.run`` ends them: on a plain asyncio loop, no window."""

from __future__ import annotations

import asyncio
from typing import Any

from app.core.code_tasks import CodeTasks, Leftovers


async def forever(log: list[str], name: str) -> None:
    try:
        await asyncio.sleep(1e9)
    finally:
        log.append(f"{name}: finally ran")


def test_only_the_tasks_the_code_starts_are_its_own_and_they_are_cancelled_at_its_end() -> None:
    log: list[str] = []

    async def code() -> None:
        async def starter() -> None:
            asyncio.create_task(forever(log, "grandchild"))  # started by one of the code's tasks
            await asyncio.sleep(0)

        asyncio.create_task(forever(log, "child"))
        await asyncio.create_task(starter())  # awaited, and done by the end: not a leftover

    async def scenario() -> tuple[Leftovers, list[str], asyncio.Task[Any]]:
        tasks = CodeTasks()
        tasks.install(asyncio.get_running_loop())
        theirs = asyncio.create_task(forever(log, "looplab"))  # LoopLab's own, meanwhile
        try:
            with tasks.owning():
                await code()
            names = [task.get_coro().__name__ for task in tasks.tasks]
            leftovers = await tasks.end()
        finally:
            tasks.uninstall()
        return leftovers, names, theirs

    async def run() -> tuple[Leftovers, list[str], bool]:
        leftovers, names, theirs = await scenario()
        still_running = not theirs.done()
        theirs.cancel()
        await asyncio.gather(theirs, return_exceptions=True)
        return leftovers, names, still_running

    leftovers, names, theirs_ran_on = asyncio.run(run())
    assert names == ["forever", "starter", "forever"]
    assert leftovers.cancelled == ("forever", "forever") and leftovers.running_on == () and leftovers.failures == ()
    assert sorted(log) == ["child: finally ran", "grandchild: finally ran", "looplab: finally ran"]
    assert theirs_ran_on  # LoopLab's task was not the code's to cancel
    assert leftovers.words() == "When main ended, 2 tasks it had started were still running (forever): cancelled, as asyncio.run does."


def test_a_task_that_ignores_the_cancellation_is_waited_for_only_so_long() -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(1e9)
        except asyncio.CancelledError:
            await asyncio.sleep(0.5)  # ignores the first cancellation for a while

    async def scenario() -> tuple[Leftovers, float]:
        tasks = CodeTasks()
        tasks.install(asyncio.get_running_loop())
        with tasks.owning():
            task = asyncio.create_task(stubborn())
        await asyncio.sleep(0)
        started = asyncio.get_running_loop().time()
        leftovers = await tasks.end(grace=0.05)
        took = asyncio.get_running_loop().time() - started
        tasks.uninstall()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return leftovers, took

    leftovers, took = asyncio.run(scenario())
    assert leftovers.cancelled == ("stubborn",)
    assert leftovers.running_on == leftovers.cancelled
    assert took < 0.4
    assert "1 of them ignored the cancellation and runs on" in leftovers.words()


def test_a_failure_nothing_awaited_is_handed_back_and_one_that_was_awaited_is_not() -> None:
    async def fail(message: str) -> None:
        raise ValueError(message)

    reported: list[dict[str, Any]] = []

    async def scenario() -> Leftovers:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: reported.append(context))
        tasks = CodeTasks()
        tasks.install(asyncio.get_running_loop())
        with tasks.owning():
            forgotten = asyncio.create_task(fail("forgotten"))
            awaited = asyncio.create_task(fail("handled"))
            try:
                await awaited
            except ValueError:
                pass
            await asyncio.sleep(0)
        leftovers = await tasks.end()
        tasks.uninstall()
        del forgotten, awaited
        return leftovers

    leftovers = asyncio.run(scenario())
    assert [str(exc) for exc in leftovers.failures] == ["forgotten"]
    assert leftovers.cancelled == () and leftovers.words() == ""
    import gc

    gc.collect()
    assert reported == []  # retrieved: asyncio has no "never retrieved" to report


def test_it_chains_to_the_loops_task_factory_and_puts_it_back() -> None:
    made: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(coro.__qualname__)
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def nothing() -> None:
        pass

    async def scenario() -> tuple[bool, bool, int]:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        tasks = CodeTasks()
        tasks.install(loop)
        with tasks.owning():
            await asyncio.create_task(nothing(), name="named")
        kept = len(tasks.tasks)
        tasks.uninstall()
        restored = loop.get_task_factory() is factory
        tasks.uninstall()  # twice: harmless
        loop.set_task_factory(None)
        return restored, bool(made), kept

    assert asyncio.run(scenario()) == (True, True, 1)


def test_sys_exit_in_one_of_the_codes_tasks_ends_that_task_not_the_program() -> None:
    import sys

    from app.core.code_tasks import CodeExit

    async def leave() -> None:
        sys.exit(3)

    async def scenario() -> BaseException:
        tasks = CodeTasks()
        tasks.install(asyncio.get_running_loop())
        try:
            with tasks.owning():
                try:
                    await asyncio.gather(leave())
                except CodeExit as exc:
                    return exc
        finally:
            await tasks.end()
            tasks.uninstall()
        raise AssertionError("gather returned")

    caught = asyncio.run(scenario())  # without CodeTasks, SystemExit leaves the loop: asyncio.run raises it
    assert isinstance(caught, CodeExit) and isinstance(caught.original, SystemExit) and caught.original.code == 3
    assert any(frame.f_code.co_name == "leave" for frame, _line in __import__("traceback").walk_tb(caught.__traceback__))


def test_the_xray_installed_after_it_still_traces_the_codes_own_tasks() -> None:
    from app.core.task_trace import TaskTracer

    async def work() -> None:
        await asyncio.sleep(0.01)

    async def scenario() -> list[str]:
        loop = asyncio.get_running_loop()
        tasks = CodeTasks()
        tasks.install(loop)  # first, as the controller does
        tracer = TaskTracer(loop.time)
        tracer.install(loop)
        with tasks.owning():
            await asyncio.create_task(work())
        await tasks.end()
        trace = tracer.finish()
        tasks.uninstall()
        assert loop.get_task_factory() is None
        return [span.track for span in trace.spans]

    assert any(name.startswith("work") for name in asyncio.run(scenario()))
