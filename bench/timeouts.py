"""Timeouts on the dot: ``python bench/timeouts.py`` (``make bench`` runs it too).

With "Timeout 10 s", a request to the demo server's ``/delay/30`` must give up between 10.0 and
10.1 s after it started, in every mode, and say "Timed out after 10 s". Measured at once (so it
costs one timeout, not three), each on its own thread and loop, as the lab runs them:

- async on a plain asyncio loop (the fetch code alone);
- async on LabLoop, LoopLab's qasync loop with precise timers (as the window runs it);
- blocking, with requests.

Before issue 10 the async mode ended between 10 and 11 s (aiohttp rounds timeouts of 5 s or more
up to the next whole second). tests/faults/test_timeouts.py checks the same with a looser bound;
this holds the exact goal. Prints one line per mode and PASS or FAIL; exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

import app.ui  # noqa: E402, F401 - installs the lab's precise Qt timers, as the window has them
from app.core import blocking, fetch  # noqa: E402
from app.core.demo_server import DemoServer  # noqa: E402
from app.core.fetch import FetchOptions  # noqa: E402
from app.core.run import ErrorKind, FetchMode, RequestRecord, Run  # noqa: E402
from app.core.urls import check_url  # noqa: E402
from app.ui.fast_loop import LabLoop  # noqa: E402

TIMEOUT = 10.0
GOAL = (10.0, 10.1)


def _run(mode: FetchMode, url: str) -> tuple[Run, FetchOptions]:
    return Run.plan([url], mode, concurrency=1, check=check_url), FetchOptions(timeout=TIMEOUT, proxies={})


async def _fetch_async(url: str) -> RequestRecord:
    run, options = _run(FetchMode.ASYNC, url)
    async with fetch.open_async_session() as session:
        await fetch.run_async(run, session, options)
    return run.records[0]


def _fetch_blocking(url: str) -> RequestRecord:
    run, options = _run(FetchMode.BLOCKING, url)
    with blocking.open_blocking_session() as session:
        blocking.run_blocking(run, session, options)
    return run.records[0]


def _on_plain_loop(make: Callable[[], Coroutine[Any, Any, RequestRecord]]) -> Callable[[], RequestRecord]:
    # A loop of its own, never the policy's: a qasync loop may be this process's current one.
    def run() -> RequestRecord:
        with asyncio.Runner(loop_factory=asyncio.DefaultEventLoopPolicy().new_event_loop) as runner:
            return runner.run(make())

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="measurements per mode (default 1; each takes 10 s)")
    runs = parser.parse_args().runs
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    results: dict[str, list[RequestRecord]] = {"async (asyncio)": [], "async (LabLoop, as in the window)": [], "blocking (requests)": []}
    with DemoServer() as server:
        url = f"{server.url}/delay/30"
        for _ in range(runs):
            on_threads = {
                "async (asyncio)": _on_plain_loop(lambda: _fetch_async(url)),
                "blocking (requests)": lambda: _fetch_blocking(url),
            }
            threads = [
                threading.Thread(target=lambda name=name, job=job: results[name].append(job()), name=name)
                for name, job in on_threads.items()
            ]
            for thread in threads:
                thread.start()
            loop = LabLoop(qt_app)
            try:
                results["async (LabLoop, as in the window)"].append(loop.run_until_complete(_fetch_async(url)))
            finally:
                loop.close()
                for thread in threads:
                    thread.join()

    low, high = GOAL
    print(f"Timeout {TIMEOUT:g} s against /delay/30: goal, gives up between {low:.1f} and {high:.1f} s")
    failed = False
    for name, records in results.items():
        for record in records:
            took = record.duration or 0.0
            ok = (
                record.error_kind is ErrorKind.TIMEOUT
                and record.error == f"Timed out after {TIMEOUT:g} s"
                and low <= took <= high
            )
            failed |= not ok
            print(f"  {name:<34} ended after {took:7.3f} s  ({record.error or record.state.value})  {'PASS' if ok else 'FAIL'}")
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
