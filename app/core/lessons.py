"""The lessons: short programs a class watches run, with the exact code on screen.

Each lesson turns its settings (time scale, variant, limit, the demo server's address) into the
source of a small module with an ``async def main(...)``. That text is what the code view shows
*and* what runs: :func:`compile_main` compiles the very same string, so the code on screen can
never drift from what happens. ``main`` may ask for ``session`` (an aiohttp session whose
requests appear on the timeline) and ``pool`` (a process pool); the runner passes what it asks for.

The same text also runs anywhere else, unchanged: ``python lesson.py`` with plain Python and
aiohttp. Its ``if __name__ == "__main__":`` block makes what LoopLab would pass (the session, the
pool) and runs ``main``; the demo server's address is the constant ``SERVER``, which any httpbin
can replace; the work the CPU lesson sends to a process is defined in the file itself. Inside
LoopLab the module has another name, so that block does not run.

For ``sleep``, ``cpu`` and ``thread`` the blocking toggle picks the variant, as everywhere in the
lab: checked runs the blocking one. After a run, :meth:`Lesson.verdict` sets what was expected
against what was measured.

Qt-free: the lesson list and code view in ``app.ui`` only show what this module says.
"""

from __future__ import annotations

import inspect
import math
import re
import unicodedata
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from app.core import lesson_work
from app.core.code_output import CodeOutput
from app.core.lag import is_frozen
from app.core.units import format_duration
from app.i18n import _, ngettext, translated

SCALES = (0.25, 0.5, 1.0, 1.5, 2.0)
"""Time scales offered: the tutorial's durations times this."""
CPU_LIMIT_AT_SCALE_1 = 500_000
"""count_primes(500_000) takes about 2 s in CPython on a school laptop."""


@dataclass(frozen=True)
class LessonSetup:
    """What a lesson run depends on besides its code."""

    base_url: str
    """The demo server, e.g. "http://127.0.0.1:8080"."""
    scale: float = 1.0
    blocking: bool = False
    """The toggle: run the blocking variant (sleep, cpu and thread lessons)."""
    limit: int = 3
    """For the lessons that use it (``uses_limit``): requests allowed at once, or workers."""


@dataclass(frozen=True)
class Verdict:
    """Expected against observed, in one or two sentences."""

    as_expected: bool
    text: str


def _n(value: float) -> str:
    """A number as code shows it: 2, 0.5, 1.25 (never 2.0 or 0.50000001)."""
    return f"{round(value, 3):g}"


COMMENT_WIDTH = 60
"""Columns a comment line may take after its "# " (a wide CJK character counts two)."""


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(line: str, width: int) -> list[str]:
    """``line`` in pieces of at most ``width`` columns: at spaces, or anywhere between wide
    characters (Chinese has no spaces between words)."""
    pieces: list[str] = []
    current = ""
    for token in re.findall(r"\S+\s*|\s+", line):
        if _columns(current + token.rstrip()) <= width or not current:
            current += token
        else:
            pieces.append(current.rstrip())
            current = token
        while _columns(current.rstrip()) > width and any(_columns(c) == 2 for c in current):
            cut = 0
            while _columns(current[: cut + 1]) <= width:
                cut += 1
            pieces.append(current[:cut].rstrip())
            current = current[cut:]
    if current.strip():
        pieces.append(current.rstrip())
    return pieces or [""]


def comment(text: str, indent: str = "    ") -> str:
    """A comment in a lesson's code, in the current language: ``text`` (translated already, its
    lines as the translator broke them) as ``# `` lines at ``indent``; a line longer than
    :data:`COMMENT_WIDTH` is broken again, so a long translation cannot make the code hard to read."""
    lines = [piece for line in text.split("\n") for piece in _wrap(line, COMMENT_WIDTH)]
    return "\n".join(f"{indent}# {line}" if line else f"{indent}#" for line in lines)


def inline(text: str) -> str:
    """A comment at the end of a line of code (translated already): ``  # text``."""
    return f"  # {text}"


# --- the parts every lesson's file shares ------------------------------------------------------


def _server(setup: LessonSetup) -> str:
    """The demo server's address, as a constant the student can change."""
    note = comment(_("The demo server: LoopLab's, `looplab serve` or any httpbin"), "")
    return f'''{note}
SERVER = "{setup.base_url}"
'''


def _run_alone(asks_for: str = "") -> str:
    """The file's ``__main__`` block: outside LoopLab it makes what ``main`` asks for
    (``"session"``, ``"pool"`` or nothing), runs it and says how long it took, as the
    tutorial's programs do."""
    if asks_for == "session":
        note = comment(_("Outside LoopLab (python lesson.py): make the session\nthat LoopLab hands to main, then run main."))
        return f'''

if __name__ == "__main__":
{note}
    async def run():
        async with aiohttp.ClientSession() as session:
            await main(session)

    start = time.perf_counter()
    asyncio.run(run())
    print(f"Finished in {{time.perf_counter() - start:.2f}} s")
'''
    if asks_for == "pool":
        note = comment(_("Outside LoopLab (python lesson.py): make the process\npool that LoopLab hands to main, then run main."))
        return f'''

if __name__ == "__main__":
{note}
    start = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        asyncio.run(main(pool))
    print(f"Finished in {{time.perf_counter() - start:.2f}} s")
'''
    note = comment(_("Outside LoopLab: python lesson.py"))
    return f'''

if __name__ == "__main__":
{note}
    start = time.perf_counter()
    asyncio.run(main())
    print(f"Finished in {{time.perf_counter() - start:.2f}} s")
'''


_SESSION_IMPORTS = """import asyncio
import time

import aiohttp
"""


class Lesson:
    """One lesson. Subclasses give the words, the code and the expectation."""

    id: str = ""
    title: str = ""
    """In the current language: subclasses set it with ``translated(...)``, as the other words here."""
    toggle_picks_variant: bool = False
    """True when the blocking toggle switches between a blocking and a non-blocking variant."""
    uses_limit: bool = False
    """True when the limit setting (a slider from 1 to :data:`GATHER_URLS`) changes the code."""
    limit_caption: str = translated("At once:")
    limit_description: str = translated("Requests allowed at once")
    """What the limit is, for a screen reader."""
    claims_duration: bool = True
    """False where the time depends on the computer (counting primes) rather than on the code."""

    def intro(self, setup: LessonSetup) -> str:
        """What the lesson shows, in plain words (may depend on the variant)."""
        raise NotImplementedError

    def code(self, setup: LessonSetup) -> str:
        """The exact source that runs for ``setup``."""
        raise NotImplementedError

    def expected_seconds(self, setup: LessonSetup) -> float:
        raise NotImplementedError

    def expect_freeze(self, setup: LessonSetup) -> bool:
        """Whether this variant is meant to freeze the window."""
        return setup.blocking and self.toggle_picks_variant

    def expectation(self, setup: LessonSetup) -> str:
        """What to watch for, said before the run."""
        seconds = format_duration(self.expected_seconds(setup))
        if self.expect_freeze(setup):
            return _("Expect the window to freeze for about {time}.").format(time=seconds)
        return _("Expect about {time}, with the window alive throughout.").format(time=seconds)

    def point(self, setup: LessonSetup) -> str:
        """What a run on time shows, in a sentence the verdict adds ("" for none)."""
        return ""

    def verdict(self, setup: LessonSetup, wall_time: float, longest_freeze: float) -> Verdict:
        """Sets the claim against the measurement: duration within 10% (or more time for the
        CPU lesson, whose speed depends on the computer) and frozen or alive as claimed.

        Requests that fail or are cancelled on purpose (the taskgroup, timeout and cancel
        lessons) are the lesson, not a fault: only the time and the window are judged, and a
        run that took the time claimed shows the point (:meth:`point`)."""
        expected = self.expected_seconds(setup)
        on_time = self._on_time(expected, wall_time)
        stall = format_duration(longest_freeze)
        if self.expect_freeze(setup):
            # Frozen for (nearly) all of it: the heartbeat misses only what ran before the block.
            froze = longest_freeze >= 0.8 * wall_time and is_frozen(longest_freeze)
            state = _("the window froze for {time}").format(time=stall)
            ok = froze and on_time
        else:
            alive = not is_frozen(longest_freeze)  # the same line as the meter and the timeline
            state = (
                _("the window stayed alive (longest stall {time})").format(time=stall)
                if alive
                else _("but the window stalled for {time}").format(time=stall)
            )
            ok = alive and on_time
        took = format_duration(wall_time)
        if self.claims_duration:
            # Translators: {state} is one of "the window froze for ...", "the window stayed alive (...)",
            # "but the window stalled for ...".
            text = _("Expected about {expected}, took {took}; {state}.").format(
                expected=format_duration(expected), took=took, state=state
            )
        else:
            text = _("Took {took}; {state}.").format(took=took, state=state)
        if ok and self.claims_duration and (point := self.point(setup)):
            text += f" {point}"
        if not ok:
            text += " " + _("Not what the lesson claims: a busy computer can do that. Try again.")
        return Verdict(ok, text)

    def _on_time(self, expected: float, wall_time: float) -> bool:
        return abs(wall_time - expected) <= 0.1 * expected + 0.05


class SleepLesson(Lesson):
    id = "sleep"
    title = translated("Sleep: time.sleep vs await asyncio.sleep")
    toggle_picks_variant = True

    def intro(self, setup: LessonSetup) -> str:
        return _(
            "Both variants wait the same time, on the same thread that draws the window. "
            "time.sleep() keeps that thread to itself: nothing else can happen until it returns. "
            "await asyncio.sleep() gives the thread back to the event loop while it waits, so the "
            "ball keeps moving. The toggle picks the variant: Async awaits asyncio.sleep(), "
            "Sync: blocking calls time.sleep()."
        )

    def code(self, setup: LessonSetup) -> str:
        t = _n(2 * setup.scale)
        if setup.blocking:
            note = comment(
                _(
                    "Blocking: time.sleep() knows nothing of the event loop.\n"
                    "It holds the GUI thread for {t} s: meanwhile the window\n"
                    "can't redraw or react."
                ).format(t=t)
            )
            return f'''import asyncio
import time


async def main():
{note}
    time.sleep({t})
{_run_alone()}'''
        note = comment(
            _("Non-blocking: await hands the thread back to the event\nloop, which keeps the window alive until {t} s are up.").format(t=t)
        )
        return f'''import asyncio
import time


async def main():
{note}
    await asyncio.sleep({t})
{_run_alone()}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return 2 * setup.scale


class SequentialLesson(Lesson):
    id = "sequential"
    title = translated("Sequential awaits add up")

    def intro(self, setup: LessonSetup) -> str:
        fetch, process = _n(2 * setup.scale), _n(3 * setup.scale)
        total = _n(5 * setup.scale)
        return _(
            "First fetch data ({fetch} s), then process it ({process} s), each awaited in turn. "
            "The window stays alive, because both waits are awaits, but await means "
            "\"wait here until it is done\": the second step starts only when the first has "
            "finished, so the times add up to {total} s. The tutorial this lesson follows prints "
            "3.00 s for this program; that is a mistake. Run it and see."
        ).format(fetch=fetch, process=process, total=total)

    def code(self, setup: LessonSetup) -> str:
        fetch, process = _n(2 * setup.scale), _n(3 * setup.scale)
        answers = comment(_("The demo server answers after {t} s.").format(t=fetch))
        stands = comment(_("Stands for {t} s of waiting on a database or a disk.").format(t=process))
        first = inline(_("{t} s...").format(t=fetch))
        then = inline(_("...then {t} s more").format(t=process))
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def fetch_data(session):
{answers}
    async with session.get(f"{{SERVER}}/delay/{fetch}") as response:
        return await response.json()


async def process(data):
{stands}
    await asyncio.sleep({process})


async def main(session):
    data = await fetch_data(session){first}
    await process(data){then}
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return 5 * setup.scale


GATHER_URLS = 10


class GatherLesson(Lesson):
    id = "gather"
    title = translated("Concurrent fetch with gather")

    def intro(self, setup: LessonSetup) -> str:
        d = _n(1 * setup.scale)
        return _(
            "{n} requests that each take {t} s. asyncio.gather schedules them all (it wraps "
            "each fetch in a task) and waits for the last one. Scheduled is not started yet: the fetches "
            "start together when main awaits the gather and so gives the event loop its turn. The whole "
            "thing then takes about as long as the slowest request, "
            "not the {total} s they add up to. Watch the timeline: the bars overlap."
        ).format(n=GATHER_URLS, t=d, total=_n(GATHER_URLS * setup.scale))

    def code(self, setup: LessonSetup) -> str:
        d = _n(1 * setup.scale)
        urls = comment(_("{n} URLs answered after {t} s (?n= tells them apart)").format(n=GATHER_URLS, t=d))
        schedules = comment(_("gather schedules every fetch as a task; they start\nwhen main awaits, and gather waits for the last."))
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def fetch(session, url):
    async with session.get(url) as response:
        return await response.read()


async def main(session):
{urls}
    urls = [f"{{SERVER}}/delay/{d}?n={{i}}" for i in range({GATHER_URLS})]
{schedules}
    jobs = (fetch(session, u) for u in urls)
    pages = await asyncio.gather(*jobs)
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return 1 * setup.scale


class LimitLesson(Lesson):
    id = "limit"
    title = translated("Limit concurrency with a semaphore")
    uses_limit = True

    def intro(self, setup: LessonSetup) -> str:
        return _(
            "The same {n} requests, but at most {limit} at a time: an asyncio.Semaphore "
            "lets a request in only when another one leaves. Slide the limit: at 1 it is as slow as "
            "one after another, at {n} as fast as gather. Real programs limit to be kind to "
            "servers and to their own memory: the trade-off is time."
        ).format(n=GATHER_URLS, limit=setup.limit)

    def code(self, setup: LessonSetup) -> str:
        d = _n(1 * setup.scale)
        waits = inline(_("waits while {limit} are already in flight").format(limit=setup.limit))
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def fetch(session, url, limit):
    async with limit:{waits}
        async with session.get(url) as response:
            return await response.read()


async def main(session):
    limit = asyncio.Semaphore({setup.limit})
    urls = [f"{{SERVER}}/delay/{d}?n={{i}}" for i in range({GATHER_URLS})]
    jobs = (fetch(session, u, limit) for u in urls)
    pages = await asyncio.gather(*jobs)
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return math.ceil(GATHER_URLS / max(1, setup.limit)) * setup.scale

    def _on_time(self, expected: float, wall_time: float) -> bool:
        return abs(wall_time - expected) <= 0.15 * expected + 0.1


def cpu_limit(scale: float) -> int:
    """The count_primes bound whose run time is about ``scale`` times the default (time grows as limit^1.5)."""
    return int(round(CPU_LIMIT_AT_SCALE_1 * scale ** (2 / 3), -3))


class CpuLesson(Lesson):
    id = "cpu"
    title = translated("CPU-bound work blocks even async code")
    toggle_picks_variant = True
    claims_duration = False

    def intro(self, setup: LessonSetup) -> str:
        return _(
            "Counting primes never waits for anything: it computes. Inside a coroutine there is no "
            "await to give the thread back, so the event loop, and the window with it, stops until "
            "the count is done, async or not. Sent to a process pool with loop.run_in_executor, the "
            "same function runs in another process (another CPU core) while the coroutine awaits "
            "the answer, and the window stays alive. Why not a thread, as in the thread lesson? "
            "Python's GIL lets only one thread run Python code at a time: a thread counting primes "
            "would take turns with the event loop, so the window would stutter and the count would "
            "be no faster. A process has an interpreter (and a GIL) of its own. The first run with "
            "the pool can be slower: it starts the worker process, a new Python interpreter, first "
            "(LoopLab starts it when you choose this lesson, so you rarely see that). The toggle "
            "picks the variant: Async hands the count to the pool, Sync: blocking counts in the coroutine."
        )

    def code(self, setup: LessonSetup) -> str:
        limit = f"{cpu_limit(setup.scale):_}"
        # The work itself, after the lesson's main, in the file: the process pool's worker
        # gets it from there (app/core/lesson_work.py says how).
        same = comment(_("The work, the same in both variants:"), "")
        work = f"\n\n{same}\n{lesson_work.COUNT_PRIMES_SOURCE}"
        if setup.blocking:
            note = comment(_("Pure computation, no await inside: the event loop\n(and the window) can do nothing else until it is done."))
            return f'''import asyncio
import time


async def main():
{note}
    count = count_primes({limit})
{work}{_run_alone()}'''
        note = comment(_("A process from the pool counts; this coroutine awaits\nthe answer, and the event loop keeps the window alive."))
        return f'''import asyncio
import time
from concurrent.futures import ProcessPoolExecutor


async def main(pool):
    loop = asyncio.get_running_loop()
{note}
    count = await loop.run_in_executor(
        pool, count_primes, {limit}
    )
{work}{_run_alone("pool")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return 2 * setup.scale

    def expectation(self, setup: LessonSetup) -> str:
        if setup.blocking:
            return _("Expect the window to freeze for as long as the counting takes.")
        return _("Expect the window to stay alive while another process counts.")

    def _on_time(self, expected: float, wall_time: float) -> bool:
        return True  # how fast a computer counts is not the lesson; frozen or alive is


class ThreadLesson(Lesson):
    id = "thread"
    title = translated("Threads rescue blocking libraries")
    toggle_picks_variant = True

    def intro(self, setup: LessonSetup) -> str:
        return _(
            "requests.get() is a blocking library call: on the GUI thread it freezes the window "
            "just like time.sleep(). asyncio.to_thread runs the very same call on a worker thread "
            "and gives the coroutine something to await, so the window stays alive. Use it when "
            "a library has no async version. The toggle picks the variant: Async awaits "
            "asyncio.to_thread, Sync: blocking calls requests.get() itself."
        )

    def code(self, setup: LessonSetup) -> str:
        t = _n(2 * setup.scale)
        limit_s = _n(2 * 2 * setup.scale + 3)  # a dead server must not hold the window for long
        answers = inline(_("answers after {t} s").format(t=t))
        head = f'''import asyncio
import time

import requests

{_server(setup)}URL = f"{{SERVER}}/delay/{t}"{answers}
'''
        if setup.blocking:
            note = comment(_("Blocking: requests.get() holds the GUI thread until the\nanswer arrives. The window is frozen meanwhile."))
            return f'''{head}

async def main():
{note}
    response = requests.get(URL, timeout={limit_s})
{_run_alone()}'''
        note = comment(_("The same blocking call, on a worker thread: the\ncoroutine awaits it, the event loop keeps the window\nalive."))
        return f'''{head}

async def main():
{note}
    response = await asyncio.to_thread(
        requests.get, URL, timeout={limit_s}
    )
{_run_alone()}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return 2 * setup.scale


# --- the patterns the tutorial names after "Other common async patterns include:" -------------

ARRIVALS = (2.0, 0.5, 1.5, 1.0)
"""The as_completed lesson's request times at scale 1, in list order (not the order they finish)."""


class AsCompletedLesson(Lesson):
    id = "as_completed"
    title = translated("Results as they arrive with as_completed")

    def _delays(self, setup: LessonSetup) -> list[str]:
        return [_n(d * setup.scale) for d in ARRIVALS]

    def intro(self, setup: LessonSetup) -> str:
        first, second, third, fourth = self._delays(setup)
        return _(
            "Four requests that take {first}, {second}, {third} and {fourth} s, all under way at once. "
            "gather hands back every result at the end, in the order of the list. asyncio.as_completed "
            "hands back each one as soon as it is in: first the quickest, whatever its place in the "
            "list. Use it to show progress, or to start on the first answers while the slow ones are "
            "still on their way. Watch the timeline: the bars end in the order the code gets them "
            "(it prints them too: under the code). It still takes as long as the "
            "slowest request, {slowest} s: as_completed changes the order, "
            "not the time."
        ).format(first=first, second=second, third=third, fourth=fourth, slowest=_n(max(ARRIVALS) * setup.scale))

    def code(self, setup: LessonSetup) -> str:
        delays = ", ".join(self._delays(setup))
        answers = comment(_("The server answers each after that many seconds."))
        gives = comment(_("as_completed gives back each result as soon as it is\nin: the quickest first, whatever its place in the list."))
        which = inline(_("whichever finishes next"))
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def fetch(session, url):
    async with session.get(url) as response:
        await response.read()
        return url


async def main(session):
{answers}
    tasks = []
    for delay in [{delays}]:
        url = f"{{SERVER}}/delay/{{delay}}"
        tasks.append(asyncio.create_task(fetch(session, url)))
{gives}
    done = 0
    for arrival in asyncio.as_completed(tasks):
        url = await arrival{which}
        done += 1
        print(f"{{done}} of {{len(tasks)}} in: {{url}}")
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return max(ARRIVALS) * setup.scale

    def point(self, setup: LessonSetup) -> str:
        return _("As long as the slowest request: as_completed changes the order you get the results in, not the time.")


class CancelLesson(Lesson):
    id = "cancel"
    title = translated("Cancelling a task runs its finally")

    def intro(self, setup: LessonSetup) -> str:
        download, after = _n(5 * setup.scale), _n(1 * setup.scale)
        return _(
            "A download of {download} s starts as a task; after {after} s main changes its mind and calls "
            "task.cancel(). That does not stop the task on the spot: it asks. The next time the task "
            "is at an await (here, waiting for the server), asyncio raises CancelledError there. The "
            "error climbs out of the task like any other, so its finally block runs: the place to "
            "close files and connections. main waits until the task has really ended, and the "
            "request is cancelled on the timeline (the Tasks tab says the task was cancelled). "
            "Nothing blocks meanwhile: the window stays alive."
        ).format(download=download, after=after)

    def code(self, setup: LessonSetup) -> str:
        download, after = _n(5 * setup.scale), _n(1 * setup.scale)
        runs = comment(_("Runs however download ends: done, failed or\ncancelled. The place to clean up."), "        ")
        size = inline(_("a download of {t} s").format(t=download))
        mind = inline(_("then main changes its mind"))
        raised = inline(_("CancelledError is raised at its await"))
        ended = inline(_("until it has really ended"))
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def download(session, url):
    try:
        async with session.get(url) as response:
            return await response.read()
    finally:
{runs}
        print("download: finally ran")


async def main(session):
    url = f"{{SERVER}}/delay/{download}"{size}
    task = asyncio.create_task(download(session, url))
    await asyncio.sleep({after}){mind}
    task.cancel(){raised}
    await asyncio.wait([task]){ended}
    print(f"cancelled: {{task.cancelled()}}")
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return 1 * setup.scale

    def expectation(self, setup: LessonSetup) -> str:
        return _(
            "Expect about {time}: the {download} s "
            "download is cancelled on purpose, and the window stays alive throughout."
        ).format(time=format_duration(self.expected_seconds(setup)), download=_n(5 * setup.scale))

    def point(self, setup: LessonSetup) -> str:
        return _("Not the download's {download} s: cancel() ended it at its await.").format(download=_n(5 * setup.scale))


TIMEOUT_DELAYS = (1.0, 0.5, 5.0, 1.5)
"""The timeout lesson's request times at scale 1: the third server is slow."""
TIMEOUT_BUDGET = 2.0
"""Seconds each request of the timeout lesson may take, at scale 1."""


class TimeoutLesson(Lesson):
    id = "timeout"
    title = translated("Timeouts cancel only the slow request")

    def intro(self, setup: LessonSetup) -> str:
        slow, budget = _n(max(TIMEOUT_DELAYS) * setup.scale), _n(TIMEOUT_BUDGET * setup.scale)
        return _(
            "Four requests at once, and one server is slow: it answers after {slow} s. "
            "asyncio.wait_for gives each request at most {budget} s. When the time is up, it cancels "
            "the slow request (its bar ends as cancelled) and raises TimeoutError in the code that "
            "waited, which gives up on that one. The other requests never notice: they finish on "
            "their own. The whole thing takes {budget} s, not {slow} s. An async with "
            "asyncio.timeout({budget}) block around the await does the same."
        ).format(slow=slow, budget=budget)

    def code(self, setup: LessonSetup) -> str:
        delays = ", ".join(_n(d * setup.scale) for d in TIMEOUT_DELAYS)
        slow, budget = _n(max(TIMEOUT_DELAYS) * setup.scale), _n(TIMEOUT_BUDGET * setup.scale)
        when = comment(_("When time is up, wait_for cancels the fetch and\nraises TimeoutError here, in this task and no other."), "        ")
        third = comment(_("The third server is slow: it answers after {t} s.").format(t=slow))
        each = comment(_("Each request gets at most {t} s.").format(t=budget))
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def fetch(session, url):
    async with session.get(url) as response:
        return await response.read()


async def fetch_at_most(session, url, seconds):
    try:
{when}
        job = fetch(session, url)
        return await asyncio.wait_for(job, seconds)
    except TimeoutError:
        print(f"Gave up on {{url}}")
        return None


async def main(session):
{third}
    delays = [{delays}]
    urls = [f"{{SERVER}}/delay/{{d}}" for d in delays]
{each}
    jobs = (fetch_at_most(session, u, {budget}) for u in urls)
    pages = await asyncio.gather(*jobs)
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return TIMEOUT_BUDGET * setup.scale

    def expectation(self, setup: LessonSetup) -> str:
        return _(
            "Expect about {time}: the slow request is cancelled "
            "on purpose, the others finish, and the window stays alive throughout."
        ).format(time=format_duration(self.expected_seconds(setup)))

    def point(self, setup: LessonSetup) -> str:
        slow, budget = _n(max(TIMEOUT_DELAYS) * setup.scale), _n(TIMEOUT_BUDGET * setup.scale)
        return _("Not the slow server's {slow} s: wait_for cancelled that request after {budget} s.").format(slow=slow, budget=budget)


TASKGROUP_REQUESTS = 3
"""Requests in the taskgroup lesson that would succeed, besides the one that fails."""


class TaskGroupLesson(Lesson):
    id = "taskgroup"
    title = translated("TaskGroup: one failure cancels the rest")

    def intro(self, setup: LessonSetup) -> str:
        ok, fails = _n(2 * setup.scale), _n(1 * setup.scale)
        return _(
            "Four requests in an asyncio.TaskGroup: three take {ok} s, and one fails after {fails} s "
            "(the server answers 500 Internal Server Error). gather would let the other three run on. "
            "A TaskGroup is all or nothing: when one of its tasks fails, it cancels the others, waits "
            "for them to end, and raises the failure at the end of the async with block, wrapped in an "
            "ExceptionGroup (except* catches it). So no task is left running behind your back. "
            "The whole thing takes {fails} s, not {ok} s: on the timeline one request fails and "
            "the other three are cancelled at that moment."
        ).format(ok=ok, fails=fails)

    def code(self, setup: LessonSetup) -> str:
        ok, fails = _n(2 * setup.scale), _n(1 * setup.scale)
        raises = inline(_("HTTP 500 raises here"))
        this_one = comment(_("This one answers 500 Internal Server Error after {t} s:").format(t=fails))
        one_failed = comment(
            _("One task failed: the group cancelled the others,\nwaited for them to end, then raised the failure."), "        "
        )
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def fetch(session, url):
    async with session.get(url) as response:
        response.raise_for_status(){raises}
        return await response.read()


async def main(session):
    urls = [f"{{SERVER}}/delay/{ok}?n={{i}}" for i in range({TASKGROUP_REQUESTS})]
{this_one}
    failing = f"{{SERVER}}/drip?code=500&delay={fails}&duration=0"
    urls.append(failing)
    try:
        async with asyncio.TaskGroup() as group:
            for url in urls:
                group.create_task(fetch(session, url))
    except* aiohttp.ClientResponseError as failed:
{one_failed}
        error = failed.exceptions[0]
        print(f"HTTP {{error.status}}: the rest were cancelled")
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return 1 * setup.scale

    def expectation(self, setup: LessonSetup) -> str:
        return _(
            "Expect about {time}: one request fails on purpose, "
            "the group cancels the other three, and the window stays alive throughout."
        ).format(time=format_duration(self.expected_seconds(setup)))

    def point(self, setup: LessonSetup) -> str:
        return _("Not the {t} s the other requests needed: the group cancelled them when one failed.").format(t=_n(2 * setup.scale))


class QueueLesson(Lesson):
    id = "queue"
    title = translated("A queue of jobs and a few workers")
    uses_limit = True
    limit_caption = translated("Workers:")
    limit_description = translated("Workers taking jobs from the queue")

    def intro(self, setup: LessonSetup) -> str:
        d = _n(1 * setup.scale)
        workers = ngettext("{n} worker", "{n} workers", setup.limit).format(n=setup.limit)
        # Translators: {workers} is "1 worker", "3 workers", ...
        return _(
            "A producer puts {jobs} jobs (requests of {t} s) on an asyncio.Queue; {workers} "
            "take them off, one job at a time each, as soon as they are free. So the work goes "
            "{limit} at a time, and the time is the number of rounds: "
            "{rounds} of {t} s. Slide the workers: 1 is one "
            "after another, {jobs} is all at once. Unlike the semaphore of the limit lesson "
            "(one task per request, waiting for its turn), there are only as many tasks as workers, "
            "however many jobs come: the Tasks tab shows them. The pattern for work that keeps arriving."
        ).format(jobs=GATHER_URLS, t=d, workers=workers, limit=setup.limit, rounds=math.ceil(GATHER_URLS / max(1, setup.limit)))

    def code(self, setup: LessonSetup) -> str:
        d = _n(1 * setup.scale)
        no_more = inline(_('one "no more jobs" per worker'))
        takes = comment(_("Takes the next job as soon as it is free, until None."))
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def produce(queue, workers):
    for i in range({GATHER_URLS}):
        await queue.put(f"{{SERVER}}/delay/{d}?n={{i}}")
    for _ in range(workers):
        await queue.put(None){no_more}


async def work(session, queue):
{takes}
    while (url := await queue.get()) is not None:
        async with session.get(url) as response:
            await response.read()


async def main(session):
    workers = {setup.limit}
    queue = asyncio.Queue()
    await asyncio.gather(
        produce(queue, workers),
        *(work(session, queue) for _ in range(workers)),
    )
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return math.ceil(GATHER_URLS / max(1, setup.limit)) * setup.scale

    def point(self, setup: LessonSetup) -> str:
        rounds = math.ceil(GATHER_URLS / max(1, setup.limit))
        return ngettext(
            "{jobs} jobs, {limit} at a time: {rounds} round of {t} s.",
            "{jobs} jobs, {limit} at a time: {rounds} rounds of {t} s.",
            rounds,
        ).format(jobs=GATHER_URLS, limit=setup.limit, rounds=rounds, t=_n(setup.scale))

    def _on_time(self, expected: float, wall_time: float) -> bool:
        return abs(wall_time - expected) <= 0.15 * expected + 0.1


class PlaygroundLesson(Lesson):
    """Your own code: a template to change, or any ``async def main`` asking for ``session``
    and/or ``pool`` (File > Open puts a .py file here). It claims nothing: its verdict only says
    what happened (:func:`report_without_claim`)."""

    id = "playground"
    title = translated("Playground: your own code")
    claims_duration = False

    def intro(self, setup: LessonSetup) -> str:
        return _(
            "Your own code. Start from this program (it fetches three URLs from the demo server at "
            "once), change it, or write your own: any async def main that asks for session (an "
            "aiohttp session whose requests appear on the timeline) and/or pool (a process pool), "
            "as the lessons do. File > Open a .py file puts it here; File > Save as .py takes the "
            "code home. LoopLab claims nothing about your code: after Run it says how long it took "
            "and whether the window stayed alive."
        )

    def code(self, setup: LessonSetup) -> str:
        slow, fast = _n(1 * setup.scale), _n(0.5 * setup.scale)
        note = comment(
            _("Your own code: change anything, then press Run.\nmain may ask for session (aiohttp) and pool (a\nprocess pool for CPU work), as the lessons do.")
        )
        return f'''{_SESSION_IMPORTS}
{_server(setup)}

async def fetch(session, path):
    async with session.get(SERVER + path) as response:
        return response.status


async def main(session):
{note}
    paths = ["/delay/{slow}", "/delay/{fast}", "/get"]
    statuses = await asyncio.gather(
        *(fetch(session, path) for path in paths)
    )
    print(statuses)
{_run_alone("session")}'''

    def expected_seconds(self, setup: LessonSetup) -> float:
        return 1 * setup.scale  # the template's slowest request

    def expectation(self, setup: LessonSetup) -> str:
        return _("No claim here: press Run and see how long it takes and whether the window stays alive.")

    def verdict(self, setup: LessonSetup, wall_time: float, longest_freeze: float) -> Verdict:
        return report_without_claim(wall_time, longest_freeze)


def report_without_claim(wall_time: float, longest_freeze: float, edited: bool = False) -> Verdict:
    """What happened, for code that claims nothing (the playground, a lesson's edited code): the
    time it took, and the window alive or frozen by the same line as everywhere else.
    ``edited``: said of "your edited code"."""
    stall = format_duration(longest_freeze)
    if is_frozen(longest_freeze):
        state = _("the window froze for {time}").format(time=stall)
    else:
        state = _("the window stayed alive (longest stall {time})").format(time=stall)
    took = format_duration(wall_time)
    if edited:
        return Verdict(True, _("Your edited code took {took}; {state}.").format(took=took, state=state))
    return Verdict(True, _("Took {took}; {state}.").format(took=took, state=state))


LESSONS: tuple[Lesson, ...] = (
    SleepLesson(),
    SequentialLesson(),
    GatherLesson(),
    LimitLesson(),
    CpuLesson(),
    ThreadLesson(),
    AsCompletedLesson(),
    CancelLesson(),
    TimeoutLesson(),
    TaskGroupLesson(),
    QueueLesson(),
    PlaygroundLesson(),
)
"""In teaching order: the order of the list, and of Ctrl+1 to Ctrl+9 (lessons past the ninth have no key)."""

LESSON_IDS = tuple(lesson.id for lesson in LESSONS)


def lesson_by_id(lesson_id: str) -> Lesson:
    """The lesson called ``lesson_id``; KeyError naming the valid ids otherwise."""
    for lesson in LESSONS:
        if lesson.id == lesson_id:
            return lesson
    raise KeyError(f"no lesson {lesson_id!r}; the lessons are: {', '.join(LESSON_IDS)}")


LessonMain = Callable[..., Coroutine[Any, Any, Any]]


def compile_main(source: str, lesson_id: str, *, output: CodeOutput | None = None) -> LessonMain:
    """Compiles a lesson's source (the text on screen) and returns its ``main`` coroutine function.

    The text runs as the module ``looplab_lesson_<id>`` (not ``__main__``, so its
    ``if __name__ == "__main__":`` block stays out of it) from the file name ``<lesson <id>>``,
    whose lines tracebacks and the freeze watchdog (app.core.freeze_cause) read through linecache.
    With ``output``, what the code prints goes there (its ``print`` is ``output.print``).
    """
    names = {"print": output.print} if output is not None else None
    module = lesson_work.load_module(source, f"looplab_lesson_{lesson_id}", f"<lesson {lesson_id}>", names)
    main = getattr(module, "main", None)
    if not inspect.iscoroutinefunction(main):
        raise TypeError(_("main is not an async def: LoopLab awaits main, so write async def main"))
    return main


def call_main(main: LessonMain, available: dict[str, Any]) -> Coroutine[Any, Any, Any]:
    """Calls ``main`` with the resources it names (``session``, ``pool``) and no others."""
    wanted = inspect.signature(main).parameters
    missing = [name for name in wanted if name not in available]
    if missing:
        raise TypeError(_("main asks for {names}, which LoopLab does not provide").format(names=", ".join(missing)))
    return main(**{name: available[name] for name in wanted})
