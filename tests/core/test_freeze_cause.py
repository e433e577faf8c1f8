"""Freeze attribution: the blame rules on made-up stacks, folding, and the watchdog on real threads.

The watchdog tests run a thread that beats like the GUI thread's heartbeat, then freezes on
purpose (a sleep, a pure-Python loop, a lesson's code): those freezes are the only sleeps here.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

import pytest

from app.core.freeze_cause import (
    Frame,
    FrameKind,
    FreezeCause,
    FreezeWatchdog,
    blame,
    call_text,
    cause_for,
    fold,
    frame_kind,
    take_stack,
)
from app.core.lessons import LessonSetup, compile_main, lesson_by_id

SITE = sysconfig.get_paths()["purelib"]
LOOP = [
    Frame("run", os.path.join(SITE, "qasync/__init__.py"), 400, "qasync"),
    Frame("Handle._run", os.path.join(os.path.dirname(asyncio.__file__), "events.py"), 80, "asyncio.events"),
]
BEAT = 0.01
"""How often the test threads beat: faster than the app's 16 ms, so "alive" is clear-cut."""


def lib(module: str, function: str, lineno: int = 1) -> Frame:
    return Frame(function, os.path.join(SITE, *module.split(".")) + ".py", lineno, module)


# --- who is to blame, on made-up stacks ---------------------------------------------------------


def test_frames_are_told_apart_by_module_first_then_by_where_the_file_lives() -> None:
    assert frame_kind("looplab_lesson_sleep", "<lesson sleep>") is FrameKind.LESSON
    assert frame_kind("app.core.fetch", os.path.join(SITE, "app/core/fetch.py")) is FrameKind.OWN  # installed as a wheel
    assert frame_kind("app.ui.controller", "/src/app/ui/controller.py") is FrameKind.UI
    assert frame_kind("asyncio.events", "/x/events.py") is FrameKind.LOOP
    assert frame_kind("socket", socket.__file__) is FrameKind.LIBRARY
    assert frame_kind("requests.sessions", os.path.join(SITE, "requests/sessions.py")) is FrameKind.LIBRARY
    assert frame_kind("importlib._bootstrap", "<frozen importlib._bootstrap>") is FrameKind.LIBRARY
    assert frame_kind("tests.ui.test_x", "/work/tests/ui/test_x.py") is FrameKind.OWN


def test_in_a_lesson_the_lessons_line_is_to_blame() -> None:
    main = Frame("main", "<lesson sleep>", 8, "looplab_lesson_sleep", "time.sleep(2)")
    stack = [*LOOP, Frame("LabController._execute_lesson", "/src/app/ui/controller.py", 250, "app.ui.controller"), main]
    assert blame(stack) == (main, None, None)


def test_in_a_lesson_that_calls_our_code_the_lesson_line_is_still_to_blame_with_the_work_under_it() -> None:
    main = Frame("main", "<lesson cpu>", 7, "looplab_lesson_cpu", "count = count_primes(500_000)")
    work = Frame("count_primes", "<app.core.lesson_work.COUNT_PRIMES_SOURCE>", 6, "app.core.lesson_work")
    culprit, under, callee = blame([*LOOP, main, work])
    assert (culprit, under, callee) == (main, work, work)


def test_in_a_lesson_the_coroutines_line_is_to_blame_and_the_lessons_plain_function_is_under_it() -> None:
    # The CPU lesson's file defines count_primes itself: the line to blame is still main's call
    # (where the loop handed over), with count_primes, a plain function, as what it was doing.
    main = Frame("main", "<lesson cpu>", 12, "looplab_lesson_cpu", "count = count_primes(198_000)", coroutine=True)
    work = Frame("count_primes", "<lesson cpu>", 24, "looplab_lesson_cpu", "while divisor * divisor <= n:")
    assert blame([*LOOP, main, work]) == (main, work, work)
    # A coroutine of the lesson's that blocks: its own line, not main's await of it.
    helper = Frame("helper", "<lesson playground>", 5, "looplab_lesson_playground", "time.sleep(1)", coroutine=True)
    caller = Frame("main", "<lesson playground>", 9, "looplab_lesson_playground", "await helper()", coroutine=True)
    assert blame([*LOOP, caller, helper]) == (helper, None, None)


def test_a_sampled_frame_knows_whether_it_is_a_coroutines() -> None:
    async def step() -> FrameType | None:
        return sys._getframe()

    def plain() -> FrameType | None:
        return sys._getframe()

    coroutine_frame, plain_frame = asyncio.run(step()), plain()
    assert coroutine_frame is not None and plain_frame is not None
    frames = fold([take_stack(coroutine_frame)], 0.0, 1.0).stacks[0][0] + fold([take_stack(plain_frame)], 0.0, 1.0).stacks[0][0]
    assert {frame.function.rsplit(".", 1)[-1]: frame.coroutine for frame in frames if frame.function.endswith(("step", "plain"))} == {
        "step": True,
        "plain": False,
    }


def test_in_a_blocking_url_run_the_fetch_function_that_calls_requests_is_to_blame() -> None:
    fetch_blocking = Frame("fetch_blocking", "/src/app/core/blocking.py", 148, "app.core.blocking", "with session.get(")
    readinto = Frame("SocketIO.readinto", socket.__file__, 706, "socket", "return self._sock.recv_into(b)")
    stack = [
        *LOOP,
        Frame("LabController._execute", "/src/app/ui/controller.py", 230, "app.ui.controller"),
        Frame("run_blocking", "/src/app/core/blocking.py", 216, "app.core.blocking"),
        fetch_blocking,
        lib("requests.sessions", "Session.get", 600),
        lib("urllib3.connectionpool", "HTTPConnectionPool.urlopen", 700),
        # A library calling back into our code is not the cause: the call into the library is.
        Frame("_ReuseAwareConnection.getresponse", "/src/app/core/strict_http.py", 210, "app.core.strict_http"),
        lib("http.client", "HTTPResponse.begin", 300),
        readinto,
    ]
    culprit, under, callee = blame(stack)
    assert culprit == fetch_blocking
    assert under == readinto
    assert callee is not None and callee.module == "requests.sessions"


def test_only_what_the_loop_runs_now_is_considered_not_the_code_that_started_the_loop() -> None:
    callback = Frame("block", "/work/tests/ui/test_x.py", 40, "tests.ui.test_x", "time.sleep(0.2)")
    stack = [
        Frame("main", "/src/app/main.py", 118, "app.main", "qasync.run(lab())"),  # our code, calling the loop
        lib("runpy", "_run_code"),
        *LOOP,
        callback,
    ]
    assert blame(stack) == (callback, None, None)
    assert blame(stack[:-1]) == (LOOP[-1], None, None)  # the loop between two callbacks: its own code


def test_without_our_own_code_the_window_plumbing_then_anything_is_to_blame() -> None:
    dialog = Frame("Exporter.export", "/src/app/ui/exporting.py", 90, "app.ui.exporting", "json.dump(data, out)")
    dump = lib("json", "dump")
    assert blame([*LOOP, dialog, dump]) == (dialog, dump, dump)
    assert blame([*LOOP, dump]) == (dump, None, None)
    assert blame([]) == (None, None, None)


@pytest.mark.parametrize(
    ("code", "call"),
    [
        ("time.sleep(2)", "time.sleep(2)"),
        ("count = count_primes(500_000)", "count_primes(500_000)"),
        ("response = requests.get(URL, timeout=7)", "requests.get(URL, timeout=7)"),
        ("with session.get(", "session.get(…)"),
        ("count = await loop.run_in_executor(", "loop.run_in_executor(…)"),
        ('data = await fetch_data(session)  # 2 s "#"...', "fetch_data(session)"),
        ("async with session.get(url) as response:", "session.get(url)"),
        ("return x == y", "x == y"),
        ("", ""),
    ],
)
def test_a_line_of_code_is_told_as_the_call_it_makes(code: str, call: str) -> None:
    assert call_text(code) == call


# --- folding samples ----------------------------------------------------------------------------


def _sleeper() -> None:
    time.sleep(0)


def _spinner() -> None:
    sum(range(10))


def test_folding_ranks_culprits_by_their_share_and_keeps_the_work_under_the_top_one() -> None:
    here = __name__
    sleeper = (_sleeper.__code__, _sleeper.__code__.co_firstlineno + 1, here)
    spinner = (_spinner.__code__, _spinner.__code__.co_firstlineno + 1, here)
    samples = [(sleeper,)] * 3 + [(spinner,)]
    cause = fold(samples, 10.0, 12.0)
    assert cause.samples == 4 and cause.duration == pytest.approx(2.0)
    assert [(f.function, round(share, 2)) for f, share in cause.ranked] == [("_sleeper", 0.75), ("_spinner", 0.25)]
    assert cause.culprit is not None and cause.culprit.code == "time.sleep(0)"  # the line read from the source
    assert cause.seconds_in_culprit == pytest.approx(1.5)
    line = sleeper[1]
    assert cause.words() == f"_sleeper() in tests.core.test_freeze_cause, line {line}: time.sleep(0): 75% of the 2.00 s freeze."
    assert sum(count for _stack, count in cause.stacks) == 4


def test_a_cause_moves_onto_a_runs_clock_and_clips_to_it() -> None:
    cause = FreezeCause(100.0, 103.0, 1, (), None)
    moved = cause.shifted(99.0, start=99.5, end=102.0)
    assert (moved.start, moved.end) == (1.0, 3.0)


def test_a_freeze_band_takes_the_cause_that_overlaps_it_most() -> None:
    first, second = FreezeCause(0.0, 1.0, 1, (), None), FreezeCause(1.5, 4.0, 1, (), None)
    assert cause_for([first, second], 0.9, 3.0) is second
    assert cause_for([first, second], 5.0, 6.0) is None


# --- the watchdog on real threads ---------------------------------------------------------------


@pytest.fixture
def watched() -> Iterator[Callable[[Callable[[], object]], FreezeWatchdog]]:
    """Runs ``freeze`` on a thread that beats before and after it, under a watchdog; returns the watchdog."""
    dogs: list[FreezeWatchdog] = []

    def run(freeze: Callable[[], object]) -> FreezeWatchdog:
        ready: list[FreezeWatchdog] = []

        def body() -> None:
            dog = FreezeWatchdog(threading.get_ident())
            ready.append(dog)
            dog.start()
            pause = threading.Event()
            for _ in range(10):
                dog.beat(time.perf_counter())
                pause.wait(BEAT)
            freeze()
            for _ in range(5):
                dog.beat(time.perf_counter())
                pause.wait(BEAT)

        thread = threading.Thread(target=body)
        thread.start()
        thread.join(30)
        dogs.extend(ready)
        return ready[0]

    yield run
    for dog in dogs:
        dog.stop()


def sleep_for_a_while() -> None:
    time.sleep(0.3)


def spin_for_a_while() -> None:
    until = time.perf_counter() + 0.3
    while time.perf_counter() < until:
        sum(i * i for i in range(200))


def test_a_thread_that_sleeps_is_attributed_to_time_sleep(watched: Callable[[Callable[[], object]], FreezeWatchdog]) -> None:
    dog = watched(sleep_for_a_while)
    dog.stop()
    causes = dog.take_new()
    assert len(causes) == 1
    cause = causes[0]
    assert cause.culprit is not None
    assert cause.culprit.function == "sleep_for_a_while" and cause.culprit.code == "time.sleep(0.3)"
    assert cause.share > 0.9
    assert 0.25 < cause.duration < 1.0
    # Sampling starts once the beat is 50 ms late, then every 5 ms: about 50 samples.
    assert 10 <= cause.samples <= 70
    assert "time.sleep(0.3)" in cause.words()
    assert dog.take_new() == []  # handed over once


def test_a_thread_busy_in_pure_python_is_sampled_too(watched: Callable[[Callable[[], object]], FreezeWatchdog]) -> None:
    # The GIL: the watchdog gets it only when the busy thread is made to give it up (every 5 ms).
    dog = watched(spin_for_a_while)
    dog.stop()
    (cause,) = dog.take_new()
    assert cause.samples >= 5
    assert cause.culprit is not None and cause.culprit.function in ("spin_for_a_while", "spin_for_a_while.<locals>.<genexpr>")
    assert cause.share > 0.8


def test_a_lessons_code_is_attributed_to_its_line(watched: Callable[[Callable[[], object]], FreezeWatchdog]) -> None:
    lesson = lesson_by_id("sleep")
    code = lesson.code(LessonSetup("http://127.0.0.1:1", scale=0.25, blocking=True))
    main = compile_main(code, lesson.id)
    dog = watched(lambda: asyncio.run(main()))
    dog.stop()
    (cause,) = dog.take_new()
    line = next(n for n, text in enumerate(code.splitlines(), start=1) if text.strip().startswith("time.sleep("))
    assert cause.culprit is not None and cause.culprit.lesson_id == "sleep"
    assert cause.culprit.lineno == line
    assert f"time.sleep(0.5) in line {line} of the lesson" in cause.words()
    assert cause.short() == "time.sleep(0.5)"


def test_while_the_beats_keep_coming_it_never_samples_and_rarely_wakes() -> None:
    dog = FreezeWatchdog()
    dog.start()
    pause = threading.Event()
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < 0.5:  # alive: a beat every 10 ms
            dog.beat(time.perf_counter())
            pause.wait(BEAT)
    finally:
        dog.stop()
    elapsed = time.perf_counter() - started
    assert dog.samples_taken == 0
    assert dog.take_new() == [] and dog.causes_between(0, time.perf_counter()) == []
    assert dog.wakeups / elapsed < 40  # one wake-up per 34-50 ms of life
    assert not dog.running


def test_a_freeze_still_under_way_is_folded_from_its_samples_so_far() -> None:
    sampled = threading.Event()
    release = threading.Event()
    holder: list[FreezeWatchdog] = []

    def body() -> None:
        dog = FreezeWatchdog(threading.get_ident())
        holder.append(dog)
        dog.start()
        dog.beat(time.perf_counter())
        sampled.wait(10)
        release.wait(10)  # the frozen part: waits for the test to look
        dog.beat(time.perf_counter())

    thread = threading.Thread(target=body)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not holder or holder[0].samples_taken < 5:
            assert time.monotonic() < deadline, "no samples"
            release.wait(0.005)
        sampled.set()
        now = time.perf_counter()
        (cause,) = holder[0].causes_between(now - 60, now)
        assert cause.end == now and cause.samples >= 5
        assert (
            cause.culprit is not None
            and cause.culprit.function == "test_a_freeze_still_under_way_is_folded_from_its_samples_so_far.<locals>.body"
        )
    finally:
        release.set()
        thread.join(10)
        if holder:
            holder[0].stop()
    assert len(holder[0].causes_between(0, time.perf_counter())) == 1  # the finished one, not twice


def test_the_collector_stays_on_through_a_long_freeze(watched: Callable[[Callable[[], object]], FreezeWatchdog]) -> None:
    # Review find: the watchdog switched GC off for the whole freeze (minutes, in a long blocking
    # run), so garbage piled up for one big pause afterwards. Now only around its own allocations.
    seen: list[bool] = []

    def freeze_and_look() -> None:
        end = time.perf_counter() + 0.4
        while time.perf_counter() < end:
            seen.append(gc.isenabled())
            time.sleep(0.002)  # the watched thread looks while the watchdog samples it

    # The suite runs with automatic GC off (tests/conftest.py): on for this test, after a collection
    # here on the main thread, so nothing of earlier tests is left for another thread to free.
    was_enabled = gc.isenabled()
    gc.collect()
    gc.enable()
    try:
        dog = watched(freeze_and_look)
        dog.stop()
        still_on = gc.isenabled()
    finally:
        if not was_enabled:
            gc.disable()
    assert dog.samples_taken > 10
    assert sum(seen) / len(seen) > 0.8, f"GC was on for {sum(seen)} of {len(seen)} looks"
    assert still_on


def test_a_failure_in_the_watchdog_is_logged_and_leaves_no_phantom_freeze(
    watched: Callable[[Callable[[], object]], FreezeWatchdog], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import app.core.freeze_cause as freeze_cause

    real_fold = freeze_cause.fold
    calls: list[int] = []

    def fold_once_badly(*args: object, **kwargs: object) -> FreezeCause:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in folding")
        return real_fold(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(freeze_cause, "fold", fold_once_badly)
    with caplog.at_level("ERROR", logger="app.core.freeze_cause"):
        dog = watched(sleep_for_a_while)
    assert "freeze watchdog failed" in caplog.text
    assert dog.running  # still watching
    # The failed freeze left nothing behind: a quiet stretch afterwards has no cause.
    now = time.perf_counter()
    assert dog.causes_between(now - 0.01, now) == []
    dog.stop()
