"""Fixtures shared by every layer: headless Qt, the demo server, and test hygiene.

Tests only ever talk to 127.0.0.1 servers they start themselves, and never touch the user's
settings or data folders.
"""

from __future__ import annotations

import os

# Headless: the suite must pass on a machine with no display. Set before anything imports Qt.
# The offscreen screen is a 1366 x 768 school laptop (Qt's default is 800 x 800), so full screen
# and "fit the window to the screen" behave as in a classroom.
_SCREEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "offscreen-1366x768.json")
os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={_SCREEN}")

# Hermetic network: a developer's proxy settings must not reroute the tests' requests.
for _name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
    os.environ.pop(_name, None)
    os.environ.pop(_name.upper(), None)

import gc
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.demo_server import DemoServer
from app.core.freeze_guard import STOP_SIGNAL


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    """The real demo server on 127.0.0.1 and a free port, shared by the whole session."""
    with DemoServer() as server:
        yield server


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Qt's standard paths and settings point into a temporary folder for the whole run."""
    home = tmp_path_factory.mktemp("home")
    saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")}
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    try:
        from PySide6.QtCore import QStandardPaths

        QStandardPaths.setTestModeEnabled(True)
    except ImportError:  # core-only environments still run tests/core
        pass
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _fresh_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test starts with no remembered settings, in a folder of its own (never the user's):
    LoopLab's INI file for this process, and XDG_CONFIG_HOME for the programs a test starts.
    Nor with the computer's defaults file (/etc/xdg/LoopLab/defaults.ini): LOOPLAB_DEFAULTS is
    empty unless a test sets it."""
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("LOOPLAB_DEFAULTS", "")
    try:
        from PySide6.QtCore import QSettings

        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(config))
    except ImportError:  # core-only environments still run tests/core
        pass
    return config


@pytest.fixture(scope="session", autouse=True)
def _cyclic_gc_only_on_the_gui_thread() -> Iterator[None]:
    """Python's cyclic GC runs on whichever thread happens to allocate, the demo server's
    included. Each UI test closes a qasync loop whose timer QObject still has timers registered;
    freed on a foreign thread it cannot unregister them, and Qt later fires a timer into freed
    memory (measured: a segfault in QTimerInfoList::activateTimers about one full run in six).
    So automatic collection is off for the session; tests/ui collects before each test, on the
    GUI thread."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    """A test that leaves a thread running fails: it would leak into every later test."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before]
    for thread in leftover:
        thread.join(timeout=2.0)  # threads that are finishing get a moment to do so
    still_running = [t.name for t in leftover if t.is_alive()]
    assert not still_running, f"test left threads running: {still_running}"


@pytest.fixture(autouse=True)
def _no_leftover_signal_handler() -> Iterator[None]:
    """The freeze guard handles its signal only while a lesson's code runs: a test after which
    the guard's handler is still installed (or another in place of the one before) fails."""
    before = signal.getsignal(STOP_SIGNAL)
    yield
    assert signal.getsignal(STOP_SIGNAL) == before, "the freeze guard's signal handler was left installed"
