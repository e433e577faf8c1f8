"""A 200,000-line paste, run in async mode: the window never freezes and memory stays bounded.

``python bench/paste_bench.py`` (``make bench`` runs it too). One window, as the app runs it
(automatic garbage collection on and the start-up heap frozen, as ``looplab`` has it): a warm-up run of the same kind of URLs,
then 200,000 lines are put on the clipboard, pasted into the URL box with Ctrl+V, and run at
concurrency 100 against the built-in demo server until every request has finished.

Goals (issue 10):
- the worst lateness of an independent heartbeat, from the paste to the run's end: <= 100 ms;
- RSS growth from just before the paste to its peak (sampled on every tick): <= 60 MB.

The clipboard's copy of the text belongs to the user, not to LoopLab: it is in place before the
baseline is taken. ``--lines`` changes the count (a quick look: ``--lines 20000``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.demo_server import DemoServer  # noqa: E402
from app.core.run import RequestState  # noqa: E402
from app.main import freeze_startup_heap  # noqa: E402
from app.ui.fast_loop import LabLoop  # noqa: E402
from app.ui.heartbeat import Heartbeat  # noqa: E402
from app.ui.lab import create_window  # noqa: E402

LATENESS_GOAL_MS = 100.0
GROWTH_GOAL_MB = 60.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE / 1e6


class Watch:
    """The worst tick lateness and the peak RSS, from an independent heartbeat."""

    def __init__(self) -> None:
        self.heartbeat = Heartbeat()
        self.worst = 0.0
        self.peak = 0.0
        self.heartbeat.ticked.connect(self._on_tick)

    def _on_tick(self, _now: float, lateness: float) -> None:
        self.worst = max(self.worst, lateness)
        self.peak = max(self.peak, rss_mb())

    def reset(self) -> None:
        self.worst, self.peak = 0.0, rss_mb()


async def scenario(server: DemoServer, lines: int) -> tuple[float, float, float, float]:
    window = create_window(server)
    freeze_startup_heap()  # as looplab does after building its window
    window.show()
    window.controls.concurrency_spin.setValue(100)
    watch = Watch()
    watch.heartbeat.start()
    try:
        # Warm-up: the session, the first connections, the code paths of a run.
        window.source.url_editor.set_text("\n".join(f"{server.url}/delay/0.1?warm={i}" for i in range(200)))
        await window.run_once()
        text = "\n".join(f"{server.url}/delay/0.1?n={i}" for i in range(lines))
        QApplication.clipboard().setText(text)
        del text
        await asyncio.sleep(0.2)
        watch.reset()
        baseline = watch.peak
        started = time.perf_counter()
        window.source.url_editor.set_text("")
        window.source.url_edit.setFocus()
        window.source.url_edit.paste()  # what Ctrl+V does
        summary = await window.run_once()
        took = time.perf_counter() - started
        assert summary.counts[RequestState.DONE] == lines, summary.counts
        return watch.worst * 1000, watch.peak - baseline, took, summary.wall_time
    finally:
        watch.heartbeat.stop()
        gc.disable()  # closed windows are freed here, on the GUI thread (STYLE.md)
        window.close()
        await window.wait_closed()
        gc.collect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    lines = parser.parse_args().lines
    logging.basicConfig(level=logging.WARNING)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings_dir = tempfile.TemporaryDirectory(prefix="looplab-bench-")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir.name)
    loop = LabLoop(app)  # the app's loop
    asyncio.set_event_loop(loop)
    with DemoServer() as server:
        late, growth, took, wall = loop.run_until_complete(scenario(server, lines))
    loop.close()
    ok_late, ok_growth = late <= LATENESS_GOAL_MS, growth <= GROWTH_GOAL_MB
    print(f"paste of {lines:,} lines, run async at concurrency 100: {took:.1f} s in all, run {wall:.1f} s")
    print(f"{'worst heartbeat lateness':<34} {late:8.1f} ms  goal <= {LATENESS_GOAL_MS:g}  {'ok' if ok_late else 'MISSED'}")
    print(f"{'RSS growth, peak':<34} {growth:8.1f} MB  goal <= {GROWTH_GOAL_MB:g}  {'ok' if ok_growth else 'MISSED'}")
    return 0 if ok_late and ok_growth else 1


if __name__ == "__main__":
    sys.exit(main())
