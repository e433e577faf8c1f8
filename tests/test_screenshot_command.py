"""`looplab --screenshot PATH`: the real lab, one demo run, the window saved as a PNG, exit."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

LOOPLAB = [sys.executable, "-m", "app"]


def looplab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LOOPLAB, *args], capture_output=True, text=True, timeout=120)


def distinct_colors(image: QImage, step: int = 4) -> int:
    """How many different colours a grid of pixels has (a blank or failed render has one or two)."""
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


def test_screenshot_saves_the_lab_after_a_demo_run(tmp_path: Path) -> None:
    path = tmp_path / "shots" / "lab.png"
    result = looplab("--screenshot", str(path))
    assert result.returncode == 0, result.stderr
    assert f"Saved the lab to {path} (offscreen platform" in result.stdout
    assert "after an async run of 8 demo URLs" in result.stdout
    assert "Traceback" not in result.stderr and "Unclosed" not in result.stderr
    image = QImage(str(path))
    assert not image.isNull()
    assert image.width() >= 600 and image.height() >= 400
    assert distinct_colors(image) > 50


def test_screenshot_to_a_path_that_cannot_be_written_fails_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = looplab("--screenshot", str(blocker / "lab.png"))
    assert result.returncode == 1
    assert "Could not save the screenshot" in result.stderr
    assert "Traceback" not in result.stderr


def test_screenshot_does_not_combine_with_a_command() -> None:
    result = looplab("--screenshot", "x.png", "serve")
    assert result.returncode == 2
    assert "--screenshot opens the lab; it cannot be combined with serve" in result.stderr


def test_closing_the_window_stops_the_screenshot_instead_of_hanging(capsys: pytest.CaptureFixture[str]) -> None:
    from app.main import _until_closed

    async def scenario() -> tuple[int, int, bool]:
        closed = asyncio.Event()
        stopped = asyncio.Event()

        async def never_done() -> int:
            try:
                await asyncio.Event().wait()
            finally:
                stopped.set()
            return 0

        async def done() -> int:
            return 7

        asyncio.get_running_loop().call_soon(closed.set)
        interrupted = await _until_closed(never_done(), closed)
        finished = await _until_closed(done(), asyncio.Event())
        return interrupted, finished, stopped.is_set()

    assert asyncio.run(scenario()) == (1, 7, True)
    assert "The window was closed before the screenshot was taken." in capsys.readouterr().err
