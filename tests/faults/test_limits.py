"""The size limits on an answer's head are the same in both modes, to the byte.

http.client allows 100 lines of headers (the blank one that ends them included) and 64 kB per
line; aiohttp counts differently (headers, and a header's name and value) and is given limits
that make the two agree for ordinary heads. One byte or one header more fails in both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.fetch import FetchOptions
from app.core.http_rules import MAX_HEAD_LINE, MAX_HEADERS
from app.core.run import ErrorKind, FetchMode, RequestState
from tests.core.test_fetch import run_urls
from tests.faults.servers import OK_HEAD, FaultLab, Script, complete


def with_headers(count: int) -> Script:
    """An answer with ``count`` headers, Content-Length and Connection included."""
    return complete(OK_HEAD + b"".join(b"X-H%d: v\r\n" % n for n in range(count - 2)) + b"Content-Length: 2\r\n")


def with_header_line(size: int) -> Script:
    """An answer with one "X-L: aaa...\\r\\n" header line of ``size`` bytes."""
    return complete(OK_HEAD + b"X-L: " + b"a" * (size - len(b"X-L: \r\n")) + b"\r\nContent-Length: 2\r\n")


def with_status_line(size: int) -> Script:
    """An answer whose "HTTP/1.1 200 OOO...\\r\\n" status line is ``size`` bytes."""
    return complete(b"HTTP/1.1 200 " + b"O" * (size - len(b"HTTP/1.1 200 \r\n")) + b"\r\nContent-Length: 2\r\n")


LIMITS = {
    f"/{MAX_HEADERS}-headers": (with_headers(MAX_HEADERS), True),
    f"/{MAX_HEADERS + 1}-headers": (with_headers(MAX_HEADERS + 1), False),
    f"/header-line-of-{MAX_HEAD_LINE}": (with_header_line(MAX_HEAD_LINE), True),
    f"/header-line-of-{MAX_HEAD_LINE + 1}": (with_header_line(MAX_HEAD_LINE + 1), False),
    f"/status-line-of-{MAX_HEAD_LINE}": (with_status_line(MAX_HEAD_LINE), True),
    f"/status-line-of-{MAX_HEAD_LINE + 1}": (with_status_line(MAX_HEAD_LINE + 1), False),
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with FaultLab() as lab:
        yield lab.scripted({path: script for path, (script, _) in LIMITS.items()})


@pytest.mark.parametrize("mode", [FetchMode.ASYNC, FetchMode.BLOCKING])
def test_head_limits_are_the_same_in_both_modes_to_the_byte(base: str, mode: FetchMode) -> None:
    paths = list(LIMITS)
    run = run_urls([base + path for path in paths], mode, FetchOptions(timeout=5, proxies={}))
    got = {path: (record.state, record.error_kind) for path, record in zip(paths, run.records)}
    expected = {
        path: (RequestState.DONE, None) if fits else (RequestState.FAILED, ErrorKind.INVALID_RESPONSE)
        for path, (_, fits) in LIMITS.items()
    }
    assert got == expected
