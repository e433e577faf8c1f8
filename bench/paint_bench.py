"""What the live widgets cost to paint during a run: ``python bench/paint_bench.py`` (issue 13).

Replays a run like loop_bench's in-app one (5000 GETs at concurrency 50, ~30 ms each, ~3 s) on a
fake clock, 30 frames a second, as the window sees it: each frame the records change (the
timeline is told which, as the results panel tells it) or two heartbeat ticks arrive (the lag
graph), then the event loop paints what the widget asked to repaint. Measured, in CPU time of
the GUI thread: the widget's paintEvent, what a profile of the GUI thread charges to painting.

- **timeline**: the TimelineWidget at its size in the lab window (626 x 205), scrolled to the
  top, as the run leaves it; ``timeline mid``: scrolled to rows 2500-2523, which go from waiting
  to running to done during the run; ``timeline big``: 1600 x 700 (a maximised window on a projector);
  ``timeline lesson``: a lesson's run, 40 URLs of /delay/0.5 at once: every row in view is under
  way for the whole run (0.7 s, 22 frames);
- **lag graph**: the LagGraph at its size in the lab window (260 x 160) with 30 s of heartbeat
  history (a tick every 16 ms, three freezes), two ticks a frame; ``lag graph big``: 600 x 300.

Absolute times drift on a shared 2-core machine, so for a before/after comparison the bench
runs another checkout's ``app`` in the same run, turn about with this one, and prints medians
and ratios: ``python bench/paint_bench.py --against /path/to/other/checkout`` (e.g. one made by
``git worktree add /tmp/before HEAD~3``, or ``git archive HEAD~3 app | tar -x -C /tmp/before``).
Columns: paint ms a run (the sum over the run's frames; median of the runs), the frames painted,
the median paint of a painted frame, and the ratio of the paint a run, before over after.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent
    from PySide6.QtWidgets import QWidget

HERE = Path(__file__).resolve().parent.parent
REQUESTS = 5000
CONCURRENCY = 50
FPS = 30
SCENES = ("timeline", "timeline mid", "timeline big", "timeline lesson", "lag graph", "lag graph big")


def schedule(
    requests: int = REQUESTS, concurrency: int = CONCURRENCY, took: float = 0.025
) -> list[tuple[float, float, float, float, float]]:
    """(started, dns, connect, response_at, ended) of each request of a run at ``concurrency``:
    each takes ``took`` to 1.4 times as long; the first of each slot opens its connection, the
    others reuse it."""
    rng = random.Random(13)
    free = [0.0] * concurrency
    rows = []
    shortest = took
    for i in range(requests):
        slot = min(range(concurrency), key=free.__getitem__)
        started = free[slot]
        took = shortest * (1 + 0.4 * rng.random())
        dns, connect = (0.001, 0.002) if i < concurrency else (0.0, 0.0)
        rows.append((started, dns, connect, started + dns + connect + 0.7 * (took - dns - connect), started + took))
        free[slot] = started + took
    return rows


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def shown(widget: QWidget) -> None:
    """Shows ``widget`` and waits until it is on screen: a repaint before that paints nothing."""
    from PySide6.QtTest import QTest

    widget.show()
    if not QTest.qWaitForWindowExposed(widget):
        raise RuntimeError(f"{type(widget).__name__} never appeared")


class PaintTimer:
    """Times a widget class's paintEvent (what a profile of the GUI thread charges to painting),
    apart from the rest of a synchronous repaint (Qt's own work around it: the backing store)."""

    def __init__(self, cls: type) -> None:
        self.spent = 0
        original = cls.paintEvent

        def paint_event(widget: QWidget, event: QPaintEvent) -> None:
            started = time.thread_time_ns()
            try:
                original(widget, event)
            finally:
                self.spent += time.thread_time_ns() - started

        cls.paintEvent = paint_event

    def frame(self, flush: Callable[[], None]) -> tuple[float, float]:
        """(paintEvent ms, whole ms) of one frame: ``flush`` paints what the widget asked to
        repaint (as the event loop does between two batches of records or ticks)."""
        self.spent = 0
        started = time.thread_time_ns()
        flush()
        return self.spent / 1e6, (time.thread_time_ns() - started) / 1e6


def timeline_frames(scene: str) -> list[tuple[float, float]]:
    from PySide6.QtWidgets import QApplication

    from app.core.run import FetchMode, Run, RunClock
    from app.ui.widgets.timeline import TimelineWidget

    clock = FakeClock()
    lesson = scene == "timeline lesson"  # a lesson's run: 40 URLs of /delay/0.5, all at once
    requests, concurrency = (40, 100) if lesson else (REQUESTS, CONCURRENCY)
    run = Run(mode=FetchMode.ASYNC, concurrency=concurrency, clock=RunClock(clock))
    run.records.add_all([f"http://127.0.0.1:8080/delay/0?n={i}" for i in range(requests)])
    timer = PaintTimer(TimelineWidget)
    widget = TimelineWidget()
    widget.resize(1600, 700) if scene == "timeline big" else widget.resize(626, 205)
    shown(widget)
    widget.show_run(run)
    rows = schedule(40, 100, 0.5) if lesson else schedule()
    events = sorted(
        [(started, 0, i) for i, (started, *_rest) in enumerate(rows)]
        + [(row[3], 1, i) for i, row in enumerate(rows)]
        + [(row[4], 2, i) for i, row in enumerate(rows)]
    )
    # As the results panel does: the rows that changed, where this checkout's timeline takes them.
    takes_rows = "rows" in inspect.signature(widget.refresh).parameters
    at, frames = 0, []
    for frame in range(int(max(r[4] for r in rows) * FPS) + 2):
        clock.now = frame / FPS
        changed = []
        while at < len(events) and events[at][0] <= clock.now:
            when, kind, i = events[at]
            record = run.records[i]
            if kind == 0:
                record.begin(when)
                record.dns, record.connect = rows[i][1], rows[i][2]
            elif kind == 1:
                record.response_at, record.status, record.bytes_received = when, 200, 2
            else:
                record.finish(when)
            changed.append(i)
            at += 1
        widget.refresh(sorted(set(changed))) if takes_rows else widget.refresh()
        if scene == "timeline mid":
            widget.verticalScrollBar().setValue(2500 * widget.row_height())
        frames.append(timer.frame(QApplication.processEvents))
    widget.close()
    return frames


def lag_frames(scene: str) -> list[tuple[float, float]]:
    from PySide6.QtWidgets import QApplication

    from app.ui.widgets.lag_graph import LagGraph

    clock = FakeClock()
    timer = PaintTimer(LagGraph)
    graph = LagGraph(clock=clock)
    graph.resize(600, 300) if scene == "lag graph big" else graph.resize(260, 160)
    shown(graph)
    rng = random.Random(7)
    freezes = {400: 0.12, 1100: 0.35, 1700: 0.065}  # tick number: how late

    def tick(n: int) -> None:
        late = freezes.get(n, rng.random() * 0.006)
        clock.now += 0.016 + late
        graph.on_tick(clock.now, late)

    for n in range(1900):  # 30 s of history
        tick(n)
    frames = []
    for n in range(1900, 1900 + 2 * FPS * 4, 2):  # four seconds, two ticks a frame
        tick(n)
        tick(n + 1)
        frames.append(timer.frame(QApplication.processEvents))
    graph.close()
    return frames


def measure(scenes: list[str]) -> dict[str, list[tuple[float, float]]]:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    del app
    return {scene: (timeline_frames(scene) if scene.startswith("timeline") else lag_frames(scene)) for scene in scenes}


def child(repo: str, scenes: list[str]) -> dict[str, list[list[float]]]:
    """Runs the scenes in a fresh process on ``repo``'s ``app``: one turn of a comparison."""
    env = {**os.environ, "PYTHONPATH": repo, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", *scenes], env=env, cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", help="another checkout (its app) to run turn about with this one")
    parser.add_argument("--rounds", type=int, default=3, help="turns per checkout (default 3)")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("scenes", nargs="*", default=list(SCENES), help=f"default: all of {', '.join(SCENES)}")
    args = parser.parse_args()
    if args.child is not None:
        sys.path.insert(0, os.environ.get("PYTHONPATH", str(HERE)))
        print(json.dumps(measure(args.child or list(SCENES))))
        return
    checkouts = {"this": str(HERE)} if not args.against else {"before": str(Path(args.against).resolve()), "after": str(HERE)}
    runs: dict[str, dict[str, list[float]]] = {scene: {name: [] for name in checkouts} for scene in args.scenes}
    counts: dict[str, dict[str, list[int]]] = {scene: {name: [] for name in checkouts} for scene in args.scenes}
    painted: dict[str, dict[str, list[float]]] = {scene: {name: [] for name in checkouts} for scene in args.scenes}
    for _round in range(args.rounds):
        for name, repo in checkouts.items():
            for scene, frames in child(repo, args.scenes).items():
                runs[scene][name].append(sum(paint for paint, _whole in frames))
                counts[scene][name].append(sum(paint > 0 for paint, _whole in frames))
                painted[scene][name] += [paint for paint, _whole in frames if paint > 0]
    names = list(checkouts)
    header = "".join(f"{name + ' ms/run':>16}{'painted':>9}{'ms/paint':>10}" for name in names)
    print(f"{'scene':<15}{header}" + ("   ratio (ms/run)" if len(names) == 2 else ""))
    for scene in args.scenes:
        cells = "".join(
            f"{statistics.median(runs[scene][name]):>16.1f}{statistics.median(counts[scene][name]):>9.0f}"
            f"{statistics.median(painted[scene][name] or [0.0]):>10.3f}"
            for name in names
        )
        if len(names) == 2:
            before, after = (statistics.median(runs[scene][name]) for name in names)
            cells += f"{before / max(after, 1e-9):>16.1f}x"
        print(f"{scene:<15}{cells}")
    timeline, lesson = (int(max(r[4] for r in rows) * FPS) + 2 for rows in (schedule(), schedule(40, 100, 0.5)))
    print(f"({args.rounds} runs of each checkout, turn about; frames of a run: timeline {timeline}, lesson {lesson}, lag graph {4 * FPS})")


if __name__ == "__main__":
    main()
