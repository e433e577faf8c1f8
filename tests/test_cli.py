"""The command line: `looplab --version/--help`, `looplab serve`, and the no-display message."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
import requests

from app import __version__

LOOPLAB = [sys.executable, "-m", "app"]


def looplab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LOOPLAB, *args], capture_output=True, text=True, timeout=60, env=env)


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`looplab serve --port 0 ARGS` in the background; yields the process and its base URL."""
    proc = subprocess.Popen(
        [*LOOPLAB, "serve", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first_line = proc.stdout.readline()
        match = re.search(r"(http://\S+?)/\s", first_line)
        assert match, f"no URL in {first_line!r}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
        yield proc, match.group(1)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def listening_addresses(port: int) -> set[str]:
    """The local IPv4 addresses a TCP socket listens on at ``port`` (Linux /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address_hex, port_hex = local.split(":")
        if int(port_hex, 16) == port and state == "0A":  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address_hex)[::-1]))
    return found


def test_version() -> None:
    result = looplab("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"looplab {__version__}"


def test_help_lists_the_serve_command() -> None:
    result = looplab("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout and "--version" in result.stdout
    serve_help = looplab("serve", "--help").stdout
    assert "--host" in serve_help and "--port" in serve_help and "127.0.0.1" in serve_help


def test_the_installed_looplab_command_exists() -> None:
    command = Path(sys.executable).parent / "looplab"
    result = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == f"looplab {__version__}"


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_serve_answers_418_and_50_concurrent_delays_fast_on_loopback_only() -> None:
    with serving() as (proc, base):
        port = int(base.rsplit(":", 1)[1])
        assert base == f"http://127.0.0.1:{port}"
        assert listening_addresses(port) == {"127.0.0.1"}
        assert requests.get(f"{base}/status/418", timeout=10).status_code == 418

        async def fifty_delays() -> float:
            async with aiohttp.ClientSession() as session:

                async def one() -> int:
                    async with session.get(f"{base}/delay/1") as answer:
                        return answer.status

                started = time.perf_counter()
                assert await asyncio.gather(*(one() for _ in range(50))) == [200] * 50
                return time.perf_counter() - started

        assert asyncio.run(fifty_delays()) < 3.0  # one after another: 50 s (bench/ checks < 1.6 s)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert "Demo server stopped." in out and "Traceback" not in err


def test_serve_warns_when_not_on_loopback() -> None:
    with serving("--host", "0.0.0.0") as (proc, base):
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert "Warning: listening on 0.0.0.0, not on loopback" in err


def test_serve_on_a_busy_port_says_so_and_fails() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = looplab("serve", "--port", str(taken.getsockname()[1]))
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_an_impossible_port() -> None:
    result = looplab("serve", "--port", "70000")
    assert result.returncode == 2
    assert "port must be between 0 and 65535" in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux desktops")
def test_without_a_display_the_lab_explains_instead_of_crashing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = looplab(env=env)
    assert result.returncode == 2
    assert "no display was found" in result.stderr
    assert "looplab serve" in result.stderr


def test_an_unknown_lesson_lists_the_lessons_and_fails() -> None:
    from app.core.lessons import LESSON_IDS

    # No display needed: the id is checked before anything opens (offscreen is inherited anyway,
    # so a check that let "nope" through would open the lab and hit the timeout, not pass).
    result = looplab("--lesson", "nope")
    assert result.returncode != 0
    assert "nope" in result.stderr
    listed = [line.split()[0] for line in result.stderr.splitlines()[1:] if line.strip()]
    assert listed == list(LESSON_IDS)
    assert {"sleep", "sequential", "gather", "limit", "cpu", "thread"} <= set(listed)
    assert "Traceback" not in result.stderr


def test_help_names_the_lesson_option_and_its_ids() -> None:
    from app.core.lessons import LESSON_IDS

    out = " ".join(looplab("--help").stdout.split())  # argparse wraps long help lines
    assert "--lesson" in out
    assert all(lesson_id in out for lesson_id in LESSON_IDS)
