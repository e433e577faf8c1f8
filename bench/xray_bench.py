"""The X-ray's cost, measured: ``python bench/xray_bench.py`` (part of ``make bench``).

The same async run of 1000 URLs (/delay/0.1 on the demo server, concurrency 100) with the
X-ray (task tracing and the loop lane) on and off, side by side in one process, alternating which
goes first. Goals (issue 12, point 6), exit 1 if one is missed:

- with the X-ray on, no heartbeat tick is more than 100 ms late (ticks measured by a second,
  independent heartbeat, not the window's own), in every run;
- throughput (requests per second) with it on is at least 85% of the same run with it off
  (medians over the rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.demo_server import DemoServer  # noqa: E402
from app.core.run import RequestState, RunSummary  # noqa: E402
from app.ui import settings  # noqa: E402
from app.ui.heartbeat import Heartbeat  # noqa: E402
from app.ui.lab import create_window  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402

URLS = 1000
CONCURRENCY = 100
LATE_LIMIT_MS = 100.0
THROUGHPUT_RATIO = 0.85


async def _run(window: MainWindow, xray: bool) -> tuple[float, float, float, RunSummary]:
    """One run: (worst heartbeat lateness in ms, requests per second, CPU seconds, summary).

    The CPU time is the whole process's (the demo server's thread too): not a goal, but it shows
    the X-ray's cost where the wall clock may hide it (this run mostly waits)."""
    window.controller.xray_enabled = xray
    probe = Heartbeat()
    probe.start()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        summary = await window.run_once()
        worst = probe.log.longest_lateness(started, time.perf_counter())
        cpu = time.process_time() - cpu
    finally:
        probe.stop()
        probe.deleteLater()
    assert summary.counts[RequestState.DONE] == len(summary.records), summary.counts
    assert (summary.trace is not None) is xray
    return worst * 1000, len(summary.records) / summary.wall_time, cpu, summary


Results = dict[bool, list[tuple[float, float, float]]]


async def bench_round(server: DemoServer, order: tuple[bool, ...], results: Results, tasks: list[int]) -> None:
    settings.clear()  # a first launch's settings, never the previous window's
    window = create_window(server)
    window.show()
    window.controls.concurrency_spin.setValue(CONCURRENCY)
    try:
        window.source.url_edit.setPlainText("\n".join(f"{server.url}/delay/0.1?n={i}" for i in range(100)))
        await _run(window, False)  # warm up: the session and its first connections
        window.source.url_edit.setPlainText("\n".join(f"{server.url}/delay/0.1?n={i}" for i in range(URLS)))
        for xray in order:
            late, rate, cpu, summary = await _run(window, xray)
            results[xray].append((late, rate, cpu))
            if summary.trace is not None:
                tasks.append(summary.trace.task_count())
    finally:
        window.close()
        await window.wait_closed()
        gc.collect()  # free the window here, on the GUI thread (see main())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="windows, each running once with and once without (default 4)")
    rounds = parser.parse_args().rounds
    # Closed windows must be freed on the GUI thread, not by a collection that happens to run on
    # the demo server's thread (Qt objects freed there leave dangling timers): collect by hand.
    gc.disable()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings_dir = tempfile.TemporaryDirectory(prefix="looplab-bench-")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir.name)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    results: Results = {True: [], False: []}
    tasks: list[int] = []
    with DemoServer() as server:
        for i in range(rounds):
            order = (False, True) if i % 2 == 0 else (True, False)
            loop.run_until_complete(bench_round(server, order, results, tasks))
    loop.close()

    def row(name: str, values: list[float], unit: str) -> str:
        return f"{name:<40} {min(values):9.2f} {statistics.median(values):9.2f} {max(values):9.2f} {unit}"

    print(f"{URLS} URLs of /delay/0.1 at concurrency {CONCURRENCY}, {rounds} rounds (traced runs: {tasks[0] if tasks else 0} tasks)")
    print(f"{'measurement':<40} {'min':>9} {'median':>9} {'max':>9}")
    for xray in (False, True):
        words = "on " if xray else "off"
        print(row(f"X-ray {words}: worst heartbeat lateness", [late for late, _, _ in results[xray]], "ms"))
        print(row(f"X-ray {words}: throughput", [rate for _, rate, _ in results[xray]], "req/s"))
        print(row(f"X-ray {words}: CPU time (whole process)", [cpu for _, _, cpu in results[xray]], "s"))
    worst_on = max(late for late, _, _ in results[True])
    ratio = statistics.median(rate for _, rate, _ in results[True]) / statistics.median(rate for _, rate, _ in results[False])
    late_ok, ratio_ok = worst_on <= LATE_LIMIT_MS, ratio >= THROUGHPUT_RATIO
    print(f"X-ray on: worst tick {worst_on:.1f} ms late, goal <= {LATE_LIMIT_MS:g}  {'ok' if late_ok else 'MISSED'}")
    print(f"throughput on/off (medians): {ratio:.3f}, goal >= {THROUGHPUT_RATIO:g}  {'ok' if ratio_ok else 'MISSED'}")
    print("all goals met" if late_ok and ratio_ok else "MISSED")
    return 0 if late_ok and ratio_ok else 1


if __name__ == "__main__":
    sys.exit(main())
