"""A stale kept-alive connection is retried once, for GET, in both modes; nothing else is retried.

A server may close an idle kept-alive connection just as the next request goes out on it. That
request reached no one, and browsers send it again on a new connection. aiohttp has a retry of its
own, but it also retries a *fresh* connection that fails, and an answer cut off in its headers;
requests never retries. LoopLab holds both to the browsers' rule, and these tests count, on the
server, every request that arrived and on which connection.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.fetch import FetchOptions
from app.core.run import ErrorKind, FetchMode, RequestState
from tests.core.test_fetch import run_urls
from tests.faults.servers import Exchange, FaultLab, Script, ok

MODES = [FetchMode.ASYNC, FetchMode.BLOCKING]


def on_reuse(then: bytes | None, *, reset: bool = False) -> Script:
    """Answers a connection's first request; on a later one, sends ``then`` and closes or resets."""

    async def script(exchange: Exchange) -> bool:
        if exchange.nth_on_connection == 1:
            return await exchange.answer(b"fresh")
        if then:
            await exchange.send(then)
        return await exchange.reset() if reset else False

    return script


async def never_answers_a_reused_connection(exchange: Exchange) -> bool:
    return await exchange.answer(b"fresh") if exchange.nth_on_connection == 1 else False


async def closes_every_time(exchange: Exchange) -> bool:
    return False


async def resets_every_time(exchange: Exchange) -> bool:
    return await exchange.reset()


ROUTES: dict[str, Script] = {
    "/ok": ok,
    "/stale-closed": on_reuse(None),
    "/stale-reset": on_reuse(None, reset=True),
    "/closes-every-time": closes_every_time,
    "/resets-every-time": resets_every_time,
    "/reused-then-cut-in-the-headers": on_reuse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"),
    "/reused-then-cut-in-the-body": on_reuse(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nhalf", reset=True),
}


@pytest.fixture
def server() -> Iterator[tuple[FaultLab, str]]:
    """A fresh server for each test, so its request log is this test's alone."""
    with FaultLab() as lab:
        yield lab, lab.scripted(ROUTES)


def fetch_after_ok(base: str, path: str, mode: FetchMode) -> tuple[RequestState, ErrorKind | None, str]:
    """Fetches /ok, then ``path`` on the connection /ok left open (one at a time, so it is reused)."""
    first, second = run_urls([f"{base}/ok", base + path], mode, FetchOptions(timeout=5, proxies={}), concurrency=1).records
    assert first.state is RequestState.DONE, first.error
    return second.state, second.error_kind, second.error


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["/stale-closed", "/stale-reset"])
def test_a_dropped_kept_alive_connection_is_retried_once_on_a_new_one(
    server: tuple[FaultLab, str], mode: FetchMode, path: str
) -> None:
    lab, base = server
    assert fetch_after_ok(base, path, mode) == (RequestState.DONE, None, "")
    # 2nd request on /ok's connection, dropped; then the 1st on a new connection, answered.
    assert lab.seen(base + "/ok") == [1]
    assert lab.seen(base + path) == [2, 1]


@pytest.mark.parametrize("mode", MODES)
def test_the_retry_happens_once_only(server: tuple[FaultLab, str], mode: FetchMode) -> None:
    lab, base = server
    state, kind, message = fetch_after_ok(base, "/closes-every-time", mode)
    assert (state, kind) == (RequestState.FAILED, ErrorKind.CONNECTION)
    assert message.endswith("closed the connection without answering")
    assert lab.seen(base + "/closes-every-time") == [2, 1]  # the retry failed too, and that was it


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("path", "words"),
    [("/closes-every-time", "closed the connection without answering"), ("/resets-every-time", "broke off")],
)
def test_a_fresh_connection_that_fails_is_not_retried(
    server: tuple[FaultLab, str], mode: FetchMode, path: str, words: str
) -> None:
    # aiohttp on its own would send this request twice.
    lab, base = server
    (record,) = run_urls([base + path], mode, FetchOptions(timeout=5, proxies={})).records
    assert record.error_kind is ErrorKind.CONNECTION and words in record.error, record.error
    assert lab.seen(base + path) == [1]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["/reused-then-cut-in-the-headers", "/reused-then-cut-in-the-body"])
def test_an_answer_that_had_started_is_not_retried(server: tuple[FaultLab, str], mode: FetchMode, path: str) -> None:
    # Part of an answer came back: the server did get the request. (aiohttp on its own would
    # retry the one cut off in its headers.)
    lab, base = server
    state, kind, message = fetch_after_ok(base, path, mode)
    assert (state, kind) == (RequestState.FAILED, ErrorKind.CONNECTION)
    assert message.endswith("broke off before the answer was complete")
    assert lab.seen(base + path) == [2]
