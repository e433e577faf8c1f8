"""The event loops side by side, in one run: ``python bench/loop_bench.py`` (``make bench`` runs it).

Absolute times drift on a shared 2-core machine, so every loop runs in the same process, turn
about, three times, and the table shows medians of 3 and ratios to plain asyncio:

- **throughput**: 5000 GETs of ``/delay/0`` at concurrency 50, requests per second and the
  client process's CPU seconds;
- **1000 x 1 s**: 1000 concurrent GETs of ``/delay/1``: wall time / ideal (1 s);
- **lateness**: for the Qt loops, an independent 10 ms precise Qt heartbeat during the 1000 x 1 s
  run: the median and the longest tick lateness of each run (ms); for LoopLab in-app also during
  10,000 URLs of ``/delay/0.1`` at concurrency 1000;
- **peak RSS** after 1000 URLs (``/delay/0.1``, all at once), each client in a fresh process:
  a raw qasync client with no window, and LoopLab as ``looplab`` starts and runs (the window
  first, then what runs need: ``app.ui.startup``);
- **first paint**: process start to the first paint, bare Qt + qasync + aiohttp against LoopLab
  (``bench/startup_bench.py``, when present).

Loops: plain asyncio, uvloop (if installed: ``pip install -e .[bench]``), raw qasync (qasync as
it comes, one Qt timer per callback), LabLoop, LabLoop with the app's GcPacer (garbage collected
between batches; the others keep Python's automatic GC), all without a window, with one aiohttp
session; **LoopLab core**: LabLoop + GcPacer running the same requests as a URL run does, through
the app's session and ``run_async`` (records, redirect and body rules, the run's timeouts, URLs
checked), without the window, so that the table shows what the loop costs, what a URL run's
bookkeeping adds, and what the window adds on top; and **LoopLab in-app**: the real window on
LabLoop + GcPacer, the URLs typed into its list and run with its Run button, through the
controller, records, table, timeline, meter, lag graph and X-ray, timed from Run to the run's
summary. As in the app, the start-up heap is frozen (``gc.freeze``) before the runs. The server
is aiohttp.web on 127.0.0.1 in a process of its own (on uvloop when installed), so the client is
what is measured. Issue 13's goals are checked at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import importlib
import os
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's app, not an installed one
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.core.run import RequestState


import aiohttp

try:
    import uvloop  # type: ignore[import-not-found]
except ImportError:  # optional: the bench extra
    uvloop = None

REQUESTS = 5000
CONCURRENCY = 50
WIDE = 1000
WIDE_DELAY = 1.0
HEARTBEAT_MS = 10
RUNS = 3


# The server, in its own process ----------------------------------------------------------


def serve() -> None:
    """``loop_bench.py --serve``: /delay/{seconds} on 127.0.0.1, port printed on stdout."""
    from aiohttp import web

    async def delay(request: web.Request) -> web.Response:
        seconds = float(request.match_info["seconds"])
        if seconds:
            await asyncio.sleep(seconds)
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/delay/{seconds}", delay)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    if uvloop is not None:
        uvloop.run(main())
    else:
        asyncio.run(main())


# The client's scenarios ------------------------------------------------------------------


async def throughput(base: str) -> None:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        left = iter(range(REQUESTS))

        async def worker() -> None:
            for _ in left:
                async with session.get(f"{base}/delay/0") as response:
                    await response.read()

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


@functools.cache
def core_ssl_context() -> ssl.SSLContext:
    from app.core.fetch import make_ssl_context

    return make_ssl_context()


async def core_run(base: str, urls: int, delay: float, concurrency: int) -> None:
    """What a URL run does without its window: the app's session, the run's records and
    ``fetch_async``'s rules and timeouts (``run_async``), URLs checked as the window checks them;
    no controller, table, timeline, meter or X-ray."""
    from app.core import gc_control
    from app.core.fetch import open_async_session, run_async
    from app.core.options import FetchOptions
    from app.core.run import FetchMode, Run
    from app.core.urls import check_url

    session = open_async_session(core_ssl_context())  # the app makes its one context once, at start-up
    gc_control.run_began()  # as the controller does: the GcPacer holds full collections until the end
    try:
        run = Run.plan([f"{base}/delay/{delay:g}"] * urls, FetchMode.ASYNC, concurrency=concurrency, check=check_url)
        await run_async(run, session, FetchOptions())
        done = run.records.count_in(RequestState.DONE)
        if done != urls:
            raise RuntimeError(f"core run: {done} of {urls} requests done")
    finally:
        gc_control.run_ended()
        await session.close()


async def core_throughput(base: str) -> None:
    await core_run(base, REQUESTS, 0.0, CONCURRENCY)


async def core_wide(base: str) -> None:
    await core_run(base, WIDE, WIDE_DELAY, WIDE)


async def wide(base: str) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            async with session.get(f"{base}/delay/{WIDE_DELAY:g}") as response:
                await response.read()

        await asyncio.gather(*(one() for _ in range(WIDE)))


@dataclass
class Sample:
    wall: float
    cpu: float
    lateness_median: float | None = None
    lateness_max: float | None = None
    gc_longest: float = 0.0


@dataclass
class Results:
    throughput: list[Sample] = field(default_factory=list)
    wide: list[Sample] = field(default_factory=list)
    ten_k: list[Sample] = field(default_factory=list)


class Heartbeat:
    """An independent precise Qt timer; lateness is each gap beyond its interval."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> tuple[float, float]:
        self.timer.stop()
        self.ticks.append(time.perf_counter())
        late = [max(0.0, b - a - HEARTBEAT_MS / 1000) for a, b in zip(self.ticks, self.ticks[1:])]
        return statistics.median(late), max(late)


def make_loops() -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.ui.fast_loop import LabLoop
    from app.ui.gc_pacer import GcPacer

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loops: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"plain asyncio": asyncio.new_event_loop}
    if uvloop is not None:
        loops["uvloop"] = uvloop.new_event_loop
    loops["raw qasync"] = lambda: qasync.QEventLoop(app)
    loops["LabLoop"] = lambda: LabLoop(app)
    loops["LabLoop + GcPacer"] = lambda: LabLoop(app, gc_pacer=GcPacer())
    return loops


def is_qt(name: str) -> bool:
    return name != "plain asyncio" and name != "uvloop"


class GcPauses:
    """Every collection's pause while it is attached (``gc.callbacks``), whoever triggers it."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._start = 0.0

    def __enter__(self) -> Self:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._start)


def measure(make: Callable[[], asyncio.AbstractEventLoop], scenario: Callable[[str], object], base: str, qt: bool) -> Sample:
    loop = make()
    asyncio.set_event_loop(loop)
    heartbeat = Heartbeat() if qt else None
    try:
        loop.run_until_complete(asyncio.sleep(0.05))  # started and settled
        if heartbeat:
            heartbeat.start()
        with GcPauses() as pauses:
            cpu, wall = time.process_time(), time.perf_counter()
            loop.run_until_complete(scenario(base))  # type: ignore[arg-type]
            sample = Sample(time.perf_counter() - wall, time.process_time() - cpu)
        sample.gc_longest = pauses.longest
        if heartbeat:
            sample.lateness_median, sample.lateness_max = heartbeat.stop()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)
        del heartbeat, loop
        gc.collect()  # here, on the GUI thread (STYLE.md)
    return sample


CORE = "LoopLab core"
"""LabLoop + GcPacer running a URL run's requests as the app does, without the window (:func:`core_run`)."""
IN_APP = "LoopLab in-app"
TEN_K = 10_000
TEN_K_DELAY = 0.1


class InApp:
    """The real lab window on the app's loop (LabLoop with the GcPacer, as ``looplab`` runs),
    fetching the same URLs through its URL list, Run button and controller: records, timeline,
    table, meter, lag graph and X-ray all live. Timed from Run to the run's summary."""

    def __init__(self) -> None:
        import tempfile

        from PySide6.QtCore import QSettings

        from app.core.demo_server import DemoServer

        # Fresh default settings for every window, never the user's own (nor saved there).
        self._settings_dir = tempfile.TemporaryDirectory(prefix="looplab-bench-")
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, self._settings_dir.name)
        self.server = DemoServer().start()  # the window's own demo server: idle, as in a class

    def close(self) -> None:
        self.server.stop()
        self._settings_dir.cleanup()

    def measure(self, base: str, urls: int, delay: float, concurrency: int) -> Sample:
        from PySide6.QtWidgets import QApplication

        from app.ui import settings
        from app.ui.fast_loop import LabLoop
        from app.ui.gc_pacer import GcPacer
        from app.ui.lab import create_window

        pacer = GcPacer()
        pacer.install()  # as app.main does: collections only between the loop's batches
        loop = LabLoop(QApplication.instance(), gc_pacer=pacer)
        asyncio.set_event_loop(loop)
        heartbeat = Heartbeat()
        try:
            settings.clear()
            window = create_window(self.server)
            window.show()
            window.source.url_edit.setPlainText("\n".join([f"{base}/delay/{delay:g}"] * urls))
            window.controls.concurrency_spin.setValue(concurrency)

            async def run() -> Sample:
                await asyncio.sleep(0.3)  # drawn, and the lab's start-up stall is behind it
                heartbeat.start()
                with GcPauses() as pauses:
                    cpu, wall = time.process_time(), time.perf_counter()
                    summary = await window.run_once()
                    sample = Sample(time.perf_counter() - wall, time.process_time() - cpu)
                sample.gc_longest = pauses.longest
                sample.lateness_median, sample.lateness_max = heartbeat.stop()
                done = summary.counts[RequestState.DONE]
                if done != urls:
                    raise RuntimeError(f"in-app run: {done} of {urls} requests done ({summary.counts})")
                window.close()
                await window.wait_closed()
                return sample

            return loop.run_until_complete(run())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            asyncio.set_event_loop(None)
            pacer.uninstall()
            del heartbeat, loop
            gc.collect()  # the window and the loop freed here, on the GUI thread


RSS_URLS = 1000
RSS_AT_ONCE = 1000
RSS_DELAY = 0.1


def rss_client(kind: str, base: str) -> None:
    """``loop_bench.py --rss raw|app BASE``: fetches RSS_URLS URLs in this fresh process and prints
    its peak resident set size (MiB) on stdout. ``raw``: a qasync client with no window (Qt,
    qasync and aiohttp loaded, as a bare app would); ``app``: LoopLab's window as ``looplab`` runs."""
    if kind == "app":
        importlib.import_module("app.main")  # before Qt, as ``python -m app`` imports it
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    urls = [f"{base}/delay/{RSS_DELAY:g}?n={i}" for i in range(RSS_URLS)]
    if kind == "raw":
        import qasync

        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)

        async def fetch_all() -> None:
            async with aiohttp.ClientSession() as session:
                left = iter(urls)

                async def worker() -> None:
                    for url in left:
                        async with session.get(url) as response:
                            await response.read()

                await asyncio.gather(*(worker() for _ in range(RSS_AT_ONCE)))

        loop.run_until_complete(fetch_all())
    else:
        import tempfile

        from PySide6.QtCore import QSettings

        from app.core.demo_server import DemoServer
        from app.main import freeze_startup_heap
        from app.ui import fast_loop, startup
        from app.ui.gc_pacer import GcPacer
        from app.ui.lab import create_window

        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="looplab-bench-"))
        pacer = GcPacer()
        pacer.install()
        server = DemoServer().listen()

        async def lab() -> None:
            # As looplab starts (app.main.run_lab): the window paints first, then what runs need
            # loads (app.ui.startup.finish), with the demo server, and the start-up heap is frozen.
            window = create_window(server, starting=True)
            gc.freeze()
            painted = startup.first_frame(window)
            window.show()
            await startup.finish(window, server, painted, startup.Milestones())
            freeze_startup_heap()
            window.source.url_edit.setPlainText("\n".join(urls))
            window.controls.concurrency_spin.setValue(RSS_AT_ONCE)
            await asyncio.sleep(0.3)
            summary = await window.run_once()
            assert summary.counts[RequestState.DONE] == RSS_URLS, summary.counts
            window.close()
            await window.wait_closed()

        try:
            fast_loop.run(lab(), gc_pacer=pacer)
        finally:
            server.stop()
    # VmHWM: this process's own peak. (ru_maxrss is not: Linux carries the parent's high-water
    # mark across fork and exec, so every child of a big bench process reported the bench's size.)
    with open("/proc/self/status", encoding="ascii") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(f"{peak_kib / 1024:.1f}", flush=True)


def peak_rss(kind: str, base: str) -> float:
    done = subprocess.run([sys.executable, __file__, "--rss", kind, base], capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} RSS client failed: {done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}"


def first_paint(runs: int) -> dict[str, float] | None:
    """Medians of process start to first paint, bare and LoopLab (bench/startup_bench.py), if present."""
    try:
        import startup_bench  # type: ignore[import-not-found]  # noqa: PLC0415 - beside this file
    except ImportError:
        return None
    return startup_bench.measure(max(runs, 5))


def report(results: dict[str, Results], rss: dict[str, list[float]] | None = None, startup: dict[str, float] | None = None) -> list[str]:
    names = list(results)
    med = statistics.median
    base_tp = med(REQUESTS / s.wall for s in results["plain asyncio"].throughput)
    base_cpu = med(s.cpu for s in results["plain asyncio"].throughput)
    base_wide = med(s.wall / WIDE_DELAY for s in results["plain asyncio"].wide)
    rows: list[tuple[str, list[str]]] = []
    rows.append(
        (
            f"throughput, {REQUESTS} x /delay/0 at {CONCURRENCY}, ratio",
            [ratio(med(REQUESTS / s.wall for s in results[n].throughput), base_tp) for n in names],
        )
    )
    rows.append(("  requests/s (median)", [f"{med(REQUESTS / s.wall for s in results[n].throughput):.0f}" for n in names]))
    rows.append(("CPU seconds for that run, ratio", [ratio(med(s.cpu for s in results[n].throughput), base_cpu) for n in names]))
    rows.append(
        (f"{WIDE} concurrent x {WIDE_DELAY:g} s, wall / ideal", [f"{med(s.wall / WIDE_DELAY for s in results[n].wide):.2f}" for n in names])
    )
    rows.append(("  ratio to plain asyncio's", [ratio(med(s.wall / WIDE_DELAY for s in results[n].wide), base_wide) for n in names]))

    def lateness(n: str, attr: str) -> str:
        values = [getattr(s, attr) * 1000 for s in results[n].wide if getattr(s, attr) is not None]
        if not values:
            return "-"
        return f"{med(values):.0f} ({min(values):.0f}-{max(values):.0f})"

    rows.append(
        (f"heartbeat {HEARTBEAT_MS} ms during {WIDE} x {WIDE_DELAY:g} s: max lateness, ms", [lateness(n, "lateness_max") for n in names])
    )
    rows.append(("  median lateness, ms", [lateness(n, "lateness_median") for n in names]))

    def tp_lateness(n: str) -> str:
        values = [s.lateness_max * 1000 for s in results[n].throughput if s.lateness_max is not None]
        return f"{med(values):.0f} ({min(values):.0f}-{max(values):.0f})" if values else "-"

    rows.append(("heartbeat during the throughput run: max lateness, ms", [tp_lateness(n) for n in names]))

    def ten_k(n: str) -> str:
        values = [s.lateness_max * 1000 for s in results[n].ten_k if s.lateness_max is not None]
        return f"{med(values):.0f} ({min(values):.0f}-{max(values):.0f})" if values else "-"

    rows.append((f"{TEN_K:,} x {TEN_K_DELAY:g} s at 1000: max lateness, ms", [ten_k(n) for n in names]))

    def gc_pause(n: str) -> str:
        values = [s.gc_longest * 1000 for s in results[n].throughput + results[n].wide]
        return f"{med(values):.1f} (max {max(values):.1f})"

    rows.append(("longest GC pause in a run, ms (median, max of all)", [gc_pause(n) for n in names]))
    if rss:
        base_rss = med(rss["raw qasync"])
        rows.append(
            (
                f"peak RSS after {RSS_URLS} URLs, MiB (ratio to raw qasync)",
                [f"{med(rss[n]):.0f} ({med(rss[n]) / base_rss:.2f})" if n in rss else "-" for n in names],
            )
        )
    if startup:
        bare, lab = startup["bare"], startup["looplab"]
        rows.append(
            (
                "process start to first paint, s (ratio to bare Qt + qasync + aiohttp)",
                [f"{bare:.2f} bare, {lab:.2f} ({lab / bare:.2f})" if n == IN_APP else "-" for n in names],
            )
        )

    width = max(len(label) for label, _ in rows)
    cols = [max([len(n)] + [len(values[i]) for _, values in rows]) for i, n in enumerate(names)]
    lines = ["| " + "measure".ljust(width) + " | " + " | ".join(n.ljust(c) for n, c in zip(names, cols)) + " |"]
    lines.append("|" + "-" * (width + 2) + "|" + "|".join("-" * (c + 2) for c in cols) + "|")
    for label, values in rows:
        lines.append("| " + label.ljust(width) + " | " + " | ".join(v.ljust(c) for v, c in zip(values, cols)) + " |")

    for name in ("LabLoop + GcPacer", CORE, IN_APP):
        lab = results[name]
        tp = med(REQUESTS / s.wall for s in lab.throughput) / base_tp
        cpu = med(s.cpu for s in lab.throughput) / base_cpu
        wall = med(s.wall / WIDE_DELAY for s in lab.wide) / base_wide
        late = [(s.lateness_max or 0.0) * 1000 for s in lab.wide]
        goals = [
            (f"throughput >= 0.85x plain asyncio: {tp:.2f}x", tp >= 0.85),
            (f"CPU <= 1.5x: {cpu:.2f}x", cpu <= 1.5),
            (f"1000 x 1 s wall/ideal <= 1.1x plain asyncio's: {wall:.2f}x", wall <= 1.1),
            (f"heartbeat lateness median of {len(late)} <= 50 ms: {med(late):.0f} ms", med(late) <= 50),
            (f"heartbeat lateness max <= 100 ms: {max(late):.0f} ms", max(late) <= 100),
        ]
        if lab.ten_k:
            worst = max((s.lateness_max or 0.0) * 1000 for s in lab.ten_k)
            goals.append((f"{TEN_K:,} URLs at 1000: lateness <= 100 ms: {worst:.0f} ms", worst <= 100))
        if name == IN_APP and rss:
            peak = med(rss[IN_APP]) / med(rss["raw qasync"])
            goals.append((f"peak RSS after {RSS_URLS} URLs <= 1.1x raw qasync's: {peak:.2f}x", peak <= 1.1))
        if name == IN_APP and startup:
            paint = startup["looplab"] / startup["bare"]
            goals.append((f"first paint <= 1.25x the bare Qt + qasync + aiohttp start: {paint:.2f}x", paint <= 1.25))
        lines.append("")
        what = {
            IN_APP: "the app's window, controller and X-ray",
            CORE: "the loop and a URL run's records, rules and timeouts, no window",
        }.get(name, "the loop alone, no window")
        lines.append(f"{name} against issue 13's goals ({what}):")
        lines += [f"  [{'ok' if ok else 'MISSED'}] {text}" for text, ok in goals]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--rss", nargs=2, metavar=("KIND", "BASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0
    if args.rss:
        rss_client(*args.rss)
        return 0

    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        loops = make_loops()
        in_app = InApp()
        core_ssl_context()  # (~40 ms: made before the runs, as the app makes it before its first)
        gc.collect()
        gc.freeze()  # as the app does after start-up (app.main.freeze_startup_heap)
        results = {name: Results() for name in [*loops, CORE, IN_APP]}

        def note(bucket: str, run: int, name: str, sample: Sample) -> None:
            getattr(results[name], bucket).append(sample)
            print(
                f"{bucket} run {run + 1}: {name}: wall {sample.wall:.2f} s, cpu {sample.cpu:.2f} s"
                + (f", heartbeat max late {sample.lateness_max * 1000:.0f} ms" if sample.lateness_max is not None else ""),
                file=sys.stderr,
                flush=True,
            )

        try:
            for scenario, core, bucket, in_app_run in (
                (throughput, core_throughput, "throughput", (REQUESTS, 0.0, CONCURRENCY)),
                (wide, core_wide, "wide", (WIDE, WIDE_DELAY, WIDE)),
            ):
                for run in range(args.runs):
                    for name, make in loops.items():
                        note(bucket, run, name, measure(make, scenario, base, is_qt(name)))
                    note(bucket, run, CORE, measure(loops["LabLoop + GcPacer"], core, base, True))
                    note(bucket, run, IN_APP, in_app.measure(base, *in_app_run))
            for run in range(args.runs):
                note("ten_k", run, IN_APP, in_app.measure(base, TEN_K, TEN_K_DELAY, 1000))
        finally:
            in_app.close()
        rss: dict[str, list[float]] = {"raw qasync": [], IN_APP: []}
        for run in range(args.runs):
            for kind, name in (("raw", "raw qasync"), ("app", IN_APP)):
                rss[name].append(peak_rss(kind, base))
                print(f"peak RSS run {run + 1}: {name}: {rss[name][-1]:.1f} MiB", file=sys.stderr, flush=True)
        startup = first_paint(args.runs)
        print(
            f"Loops side by side (medians of {args.runs}, one run, Python {sys.version.split()[0]}, "
            f"server: aiohttp.web on {'uvloop' if uvloop else 'asyncio'} in its own process)"
        )
        print("\n".join(report(results, rss, startup)))
    finally:
        server.terminate()
        server.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
