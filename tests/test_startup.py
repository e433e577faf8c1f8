"""Issue 13, "first paint first": the window paints before the demo server and the heavy modules
load, and about as soon as a bare Qt + qasync + aiohttp window does.

The real ``looplab`` starts in a subprocess with the hidden ``--startup-report`` option
(``app.ui.startup``), and the bare window is the one ``bench/startup_bench.py`` measures; the
precise goal (1.25x) is the bench's: here the bound is loose, for a busy 2-core machine.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {
    "aiohttp", "aiohttp.web", "app.core.demo_app", "requests", "truststore", "app.core.fetch", "app.core.export",
    "pygments", "app.core.python_lexing", "app.ui.widgets.highlighter",
}  # fmt: skip
"""What the first frame must not wait for (the bare window loads aiohttp; LoopLab's paints without
it), nor the code editor's colours while the code is not shown (the URL list is the first tab)."""
LOOSE_RATIO = 1.5
"""LoopLab's first paint against the bare window's, best of two each (the bench's goal: 1.25x
of the medians; before issue 13's point 4 it was about 1.9x)."""


def load_startup_bench() -> ModuleType:
    """bench/startup_bench.py, the script that measures start-up (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("startup_bench", ROOT / "bench" / "startup_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_window_paints_first_then_the_demo_server_and_the_rest_load_without_a_hitch() -> None:
    bench = load_startup_bench()
    with tempfile.TemporaryDirectory(prefix="looplab-startup-test-") as home:
        env = bench.environment(Path(home))  # byte-compiled into a temporary cache, as installed
        first = bench.looplab_once(env, 0.0)  # also compiles LoopLab's modules for the starts below
        bare = [bench.bare_once(env)]
        lab = [bench.looplab_once(env, 0.0)]
        bare.append(bench.bare_once(env))
        lab.append(bench.looplab_once(env, 0.0))

    for report in (first, *lab):
        assert not HEAVY & set(report["modules_at_first_paint"]), report
        # The blocking mode's requests waits until the mode (or code that imports it) is wanted.
        assert "requests" not in report["modules_when_ready"], report
        assert "app.core.fetch" in report["modules_when_ready"], report
        assert report["first_paint"] < report["server_ready"] < report["lab_ready"], report
        # Loading after the first paint is no freeze (the bench's goal is 50 ms; here, room to spare).
        assert report["longest_lateness"] < 0.25, report
    best_lab, best_bare = min(r["first_paint"] for r in lab), min(bare)
    assert best_lab <= LOOSE_RATIO * best_bare, (lab, bare)
