"""Process start to first paint, LoopLab against a bare Qt + qasync + aiohttp window, in one run:
``python bench/startup_bench.py [--runs N] [--watch SECONDS]`` (``make bench`` runs it).

Absolute times drift on a shared 2-core machine, so the two programs are started turn about,
N times each (default 7), and the table shows medians and their ratio (issue 13's goal: LoopLab
at most 1.25x the bare start).

- **bare**: a fresh ``python -c`` process that imports PySide6's QtWidgets, qasync and aiohttp,
  makes a ``QApplication``, a ``qasync.QEventLoop`` and a ``QMainWindow`` with a label, shows
  it and exits once its first frame is painted.
- **LoopLab**: the real ``python -m app``, with the hidden ``--startup-report SECONDS`` option
  (``app.ui.startup``): the lab as it always starts, which reports once it has been watched for
  SECONDS after its first frame, then closes. It also says when the demo server listened, when
  the lab was ready to run (Run works from the first frame: a click before that waits), which
  heavy modules the first frame found loaded, and the heartbeat's longest lateness from the
  first paint to the end of the watch: the hitch, if any, of what loads after the first paint;
  then, as a control, over as long again with nothing loading (on a busy machine the scheduler
  alone makes ticks late: the goal is checked on the median run, as issue 13 does for lateness).

The clock: the parent reads ``time.monotonic()`` just before ``Popen``; the child prints
``time.monotonic()`` when its first frame is done. On Linux both are ``CLOCK_MONOTONIC``, one
clock for the whole machine, so each figure includes creating the process, the interpreter's own
start-up, the imports, building the window and painting it. "First frame": the window's first
paint event, then a zero timer, which fires once the frame (the children too) has been painted
and handed to the window system. Both programs are measured the same way.

Both run headless (``QT_QPA_PLATFORM=offscreen``) unless ``QT_QPA_PLATFORM`` is set or there is a
display: an X server can be compared with ``xvfb-run -a python bench/startup_bench.py`` (with
``QT_QPA_PLATFORM`` unset; ``apt-get install xvfb``).
LoopLab runs with its settings and logs in a temporary folder: a first launch, never the user's.

Both run byte-compiled, as installed programs do (pip compiles a wheel's modules, PyInstaller
bundles them compiled): into a temporary ``PYTHONPYCACHEPREFIX``, during one start of each that
is not counted, even where ``PYTHONDONTWRITEBYTECODE`` is set (as on our build machines, where it
makes every start compile LoopLab's 100-odd modules from source: ``--source`` measures that).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""This checkout: the children run its ``app`` (cwd and PYTHONPATH), not an installed one."""

RUNS = 7
WATCH = 2.0
"""Seconds LoopLab is watched after its first frame (the heartbeat's lateness over that time)."""
GOAL_RATIO = 1.25
"""Issue 13: process start to first paint at most 1.25x the bare Qt + qasync + aiohttp start."""
GOAL_LATENESS = 0.05
"""No hitch while the rest loads: in the median run, no heartbeat tick more than 50 ms late
after the first paint: the lab's own line between a stutter and a freeze (app.core.lag.FROZEN)."""
TIMEOUT = 60.0
REPORT_PREFIX = "LOOPLAB-STARTUP "  # app.ui.startup.REPORT_PREFIX (not imported: that needs Qt)

BARE = """
import time
import sys
import asyncio
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
import qasync
import aiohttp

app = QApplication(sys.argv[:1])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
window = QMainWindow()
window.setCentralWidget(QLabel("Hello", window))

def frame_done():
    print(time.monotonic(), flush=True)
    loop.stop()

class FirstFrame(QObject):
    seen = False
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen = True
            QTimer.singleShot(0, frame_done)
        return False

first_frame = FirstFrame()
window.installEventFilter(first_frame)
window.show()
loop.run_forever()
"""


def environment(home: Path, compiled: bool = True) -> dict[str, str]:
    """The children's environment: a display or offscreen, byte-compiled into ``home`` (unless
    not ``compiled``), settings and logs in ``home``, this checkout's ``app``."""
    env = dict(os.environ)
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    if compiled:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _spawn(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Runs ``argv``; returns (the moment just before it was started, its stdout)."""
    started = time.monotonic()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[1:3]} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return started, done.stdout


def bare_once(env: dict[str, str]) -> float:
    """Seconds from process start to the bare window's first frame."""
    started, out = _spawn([sys.executable, "-c", BARE], env)
    return float(out.split()[-1]) - started


def looplab_once(env: dict[str, str], watch: float = WATCH) -> dict[str, object]:
    """One start of the real app: its report, with times made relative to the process start."""
    started, out = _spawn([sys.executable, "-m", "app", "--startup-report", str(watch)], env)
    line = next(line for line in out.splitlines() if line.startswith(REPORT_PREFIX))
    report = json.loads(line.removeprefix(REPORT_PREFIX))
    for key in ("first_paint", "server_ready", "lab_ready"):
        report[key] -= started
    return report


def measure(runs: int = RUNS, watch: float = WATCH, progress: bool = False, compiled: bool = True) -> dict[str, object]:
    """Starts both programs turn about, ``runs`` times each (after one start of each that is not
    counted), LoopLab watched ``watch`` seconds after its first paint. ``compiled=False``: as
    with ``PYTHONDONTWRITEBYTECODE``. Returns (times in seconds from process start, medians):
    ``bare`` and ``looplab`` (first paint; also as ``bare_first_paint`` and
    ``looplab_first_paint``), ``ratio`` (LoopLab's / bare's),
    ``server_ready``, ``lab_ready``; the longest heartbeat lateness after the first paint
    (``longest_lateness_median``, ``_max``) and in the control window (``idle_lateness_*``), the
    longest collection (``longest_collection_max``), the heavy modules any first paint found
    loaded (``modules_at_first_paint``), and the samples (``bare_samples``, ``looplab_samples``)."""
    bare: list[float] = []
    lab: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="looplab-startup-") as home:
        env = environment(Path(home), compiled)
        bare_once(env)  # byte-compiles (if asked) and fills the file cache, for both alike
        looplab_once(env, 0.0)
        for run in range(runs):
            bare.append(bare_once(env))
            lab.append(looplab_once(env, watch))
            if progress:
                print(
                    f"run {run + 1}/{runs}: bare {bare[-1]:.3f} s, LoopLab {lab[-1]['first_paint']:.3f} s "
                    f"(server {lab[-1]['server_ready']:.3f} s, ready {lab[-1]['lab_ready']:.3f} s, "
                    f"longest lateness {float(lab[-1]['longest_lateness']) * 1000:.0f} ms)",  # type: ignore[arg-type]
                    file=sys.stderr,
                    flush=True,
                )

    def median(key: str) -> float:
        return statistics.median(float(sample[key]) for sample in lab)  # type: ignore[arg-type]

    bare_median, lab_median = statistics.median(bare), median("first_paint")
    return {
        "runs": runs,
        "watch": watch,
        "bare": bare_median,  # what bench/loop_bench.py's first-paint row reads
        "looplab": lab_median,
        "bare_first_paint": bare_median,
        "looplab_first_paint": lab_median,
        "ratio": lab_median / bare_median,
        "server_ready": median("server_ready"),
        "lab_ready": median("lab_ready"),
        "longest_lateness_median": median("longest_lateness"),
        "longest_lateness_max": max(float(s["longest_lateness"]) for s in lab),  # type: ignore[arg-type]
        "idle_lateness_median": median("longest_lateness_idle") if watch else None,
        "idle_lateness_max": max(float(s["longest_lateness_idle"]) for s in lab) if watch else None,  # type: ignore[arg-type]
        "longest_collection_max": max(float(s["longest_collection"]) for s in lab),  # type: ignore[arg-type]
        "modules_at_first_paint": sorted({m for s in lab for m in s["modules_at_first_paint"]}),  # type: ignore[attr-defined]
        "bare_samples": bare,
        "looplab_samples": lab,
    }


def report(result: dict[str, object]) -> list[str]:
    """The table and the goal check, as printed."""
    def ms(seconds: object) -> str:
        return f"{float(seconds) * 1000:.0f} ms"  # type: ignore[arg-type]

    bare, lab = float(result["bare_first_paint"]), float(result["looplab_first_paint"])  # type: ignore[arg-type]
    lateness = float(result["longest_lateness_median"])  # type: ignore[arg-type]
    lines = [
        "| process start to ... | bare Qt + qasync + aiohttp | LoopLab | ratio |",
        "|---|---|---|---|",
        f"| first paint | {bare:.3f} s | {lab:.3f} s | **{lab / bare:.2f}** |",
        f"| demo server listening | - | {float(result['server_ready']):.3f} s | |",  # type: ignore[arg-type]
        f"| ready to run (Run pressed earlier waits until then) | - | {float(result['lab_ready']):.3f} s | |",  # type: ignore[arg-type]
        (
            f"| longest heartbeat lateness from the first paint to {float(result['watch']):g} s after it, median (max) | - | "  # type: ignore[arg-type]
            f"{ms(lateness)} ({ms(result['longest_lateness_max'])}) | |"
        ),
        (
            f"| the same over the next {float(result['watch']):g} s, nothing loading (the machine's own), median (max) | - | "  # type: ignore[arg-type]
            f"{ms(result['idle_lateness_median'])} ({ms(result['idle_lateness_max'])}) | |"
        ),
        f"| longest garbage collection after the first paint (max) | - | {ms(result['longest_collection_max'])} | |",
        "",
        f"Heavy modules loaded at LoopLab's first paint: {', '.join(result['modules_at_first_paint']) or 'none'}",  # type: ignore[arg-type]
        "",
        "Against issue 13's goals:",
        f"  [{'ok' if lab / bare <= GOAL_RATIO else 'MISSED'}] first paint at most {GOAL_RATIO}x the bare start: {lab / bare:.2f}x",
        (
            f"  [{'ok' if lateness <= GOAL_LATENESS else 'MISSED'}] no hitch while the rest loads: the median run's "
            f"longest heartbeat lateness after the first paint at most {ms(GOAL_LATENESS)}: {ms(lateness)}"
        ),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"starts of each program (default {RUNS})")
    parser.add_argument("--watch", type=float, default=WATCH, help=f"seconds LoopLab is watched after its first paint (default {WATCH:g})")
    parser.add_argument("--source", action="store_true", help="no byte-compiled modules: every start compiles LoopLab's")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")
    args = parser.parse_args(argv)
    result = measure(args.runs, args.watch, progress=True, compiled=not args.source)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    env = environment(Path())
    platform = env.get("QT_QPA_PLATFORM") or f"display {env.get('DISPLAY') or env.get('WAYLAND_DISPLAY')}"
    modules = "compiled from source at every start" if args.source else "byte-compiled"
    print(
        f"Start-up side by side (medians of {args.runs}, turn about, one run, Python {sys.version.split()[0]}, "
        f"{platform} platform, modules {modules})"
    )
    print("\n".join(report(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
