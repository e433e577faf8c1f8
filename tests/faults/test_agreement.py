"""Answers that are odd but valid: both modes accept them alike, and reuse the connection alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.fetch import FetchOptions
from app.core.run import FetchMode, RequestState
from tests.core.test_fetch import run_urls
from tests.faults.servers import OK_HEAD, Exchange, FaultLab, Script

MODES = [FetchMode.ASYNC, FetchMode.BLOCKING]


def keeps_alive(head: bytes, body: bytes) -> Script:
    """Answers with ``head`` and ``body`` and keeps the connection open for the next request."""

    async def script(exchange: Exchange) -> bool:
        await exchange.send(head + b"\r\n" + body)
        return True

    return script


ROUTES = {
    # A chunk size padded with zeros past 16 digits: aiohttp takes it, so must blocking mode.
    "/padded-chunk-size": keeps_alive(OK_HEAD + b"Transfer-Encoding: chunked\r\n", b"000000000000000000002\r\nok\r\n0\r\n\r\n"),
    # "gzip, chunked" is chunked (RFC 9112 6.1): the body ends, and the connection can carry more.
    "/gzip-then-chunked": keeps_alive(OK_HEAD + b"Transfer-Encoding: gzip, chunked\r\n", b"2\r\nok\r\n0\r\n\r\n"),
    "/next": keeps_alive(OK_HEAD + b"Content-Length: 2\r\n", b"ok"),
}


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[FaultLab, str]]:
    with FaultLab() as fault_lab:
        yield fault_lab, fault_lab.scripted(ROUTES)


@pytest.mark.parametrize("path", ["/padded-chunk-size", "/gzip-then-chunked"])
@pytest.mark.parametrize("mode", MODES)
def test_an_odd_but_valid_answer_is_read_and_its_connection_reused(lab: tuple[FaultLab, str], path: str, mode: FetchMode) -> None:
    fault_lab, base = lab
    first, second = run_urls([f"{base}{path}", f"{base}/next"], mode, FetchOptions(timeout=5, proxies={}), concurrency=1).records
    assert (first.state, first.status, first.error) == (RequestState.DONE, 200, "")
    assert second.state is RequestState.DONE
    assert fault_lab.seen(f"{base}/next")[-1] == 2  # on the same connection as the first request
