"""requests is the blocking mode's alone (app.core.blocking): the async half of a fetch, the words
of a failure, exports, the code's checks and Help > About load none of it (~6 MiB, ~100 ms)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import socket, sys
import aiohttp
from app.core import export, faults, fetch, user_code
from app.core.fetch import FetchOptions
from app.core.run import ErrorKind
from app.versions import versions

names = dict(versions())
refused = aiohttp.ClientConnectorError(None, ConnectionRefusedError(111, "Connection refused"))
kinds = [
    faults.describe_error(refused, "http://127.0.0.1:9/", FetchOptions())[0].name,
    faults.describe_error(socket.gaierror(-2, "Name or service not known"), "http://nowhere.test/", FetchOptions())[0].name,
]
print(sorted(m for m in sys.modules if m.split(".")[0] in ("requests", "urllib3", "charset_normalizer") or m == "app.core.blocking"))
print(kinds, user_code.is_library_failure(refused), names["requests"] != "")
import app.core.blocking
print(sorted({m.split(".")[0] for m in sys.modules} & {"requests", "urllib3"}))
"""


def test_the_async_half_and_the_words_of_a_failure_load_no_requests() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    loaded, classified, blocking = done.stdout.splitlines()[-3:]
    assert loaded == "[]", done.stdout
    assert classified == "['REFUSED', 'DNS'] True True", done.stdout
    assert blocking == "['requests', 'urllib3']", done.stdout  # and the blocking half brings it
