"""Proxies: a school's HTTP_PROXY that is down, asks for a login or will not pass a request on
gives one row that blames the proxy, the same in both modes (before: "Connection refused by
example.test", or a different row in each mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.core.demo_server import DemoServer
from app.core.fetch import FetchOptions
from app.core.run import ErrorKind, FetchMode, RequestState
from tests.core.test_fetch import free_port, run_urls
from tests.faults.matrix import assert_human
from tests.faults.servers import FaultLab, read_head

MODES = [FetchMode.ASYNC, FetchMode.BLOCKING]


def answering(status: str):  # type: ignore[no-untyped-def]
    """A proxy that answers every request (CONNECT included) with ``status``, and nothing else."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()

    return handler


@pytest.fixture(scope="module")
def proxies() -> Iterator[dict[str, int]]:
    with FaultLab() as lab:
        yield {
            "closed": free_port(),
            "login": lab.serve(answering("407 Proxy Authentication Required")),
            "gateway": lab.serve(answering("502 Bad Gateway")),
        }


CASES = [
    # (proxy, its URL's user part, the URL fetched through it, kind, message)
    ("closed", "", "http://example.test/x", ErrorKind.PROXY,
     "Connection refused by the proxy {proxy}: is it running, and are HTTP_PROXY and HTTPS_PROXY right?"),
    ("closed", "", "https://example.test/x", ErrorKind.PROXY,
     "Connection refused by the proxy {proxy}: is it running, and are HTTP_PROXY and HTTPS_PROXY right?"),
    ("login", "", "https://example.test/x", ErrorKind.PROXY,
     "The proxy {proxy} asks for a user name and password (407): give them in HTTP_PROXY and HTTPS_PROXY as http://user:password@host:port"),
    ("login", "alice:s3cret@", "https://example.test/x", ErrorKind.PROXY,
     "The proxy {proxy} refused the user name and password that HTTP_PROXY or HTTPS_PROXY give it (407)"),
    ("gateway", "", "https://example.test/x", ErrorKind.PROXY,
     "The proxy {proxy} would not connect to example.test: it answered 502 Bad Gateway"),
    # Plain http:// goes through the proxy without CONNECT: its 407 is the answer, as a browser shows it.
    ("login", "", "http://example.test/x", ErrorKind.HTTP_STATUS, "HTTP 407 Proxy Authentication Required"),
]  # fmt: skip


@pytest.mark.parametrize(("proxy", "user", "url", "kind", "message"), CASES)
def test_a_proxy_fault_is_one_row_that_names_the_proxy_in_both_modes(
    proxies: dict[str, int], demo_server: DemoServer, proxy: str, user: str, url: str, kind: ErrorKind, message: str
) -> None:
    where = f"127.0.0.1:{proxies[proxy]}"
    options = FetchOptions(timeout=5, proxies={"http": f"http://{user}{where}", "https": f"http://{user}{where}"})
    expected = message.format(proxy=where)
    for mode in MODES:
        # The demo server is on loopback, which never goes through a proxy: it must still work.
        bad, good = run_urls([url, f"{demo_server.url}/get"], mode, options).records
        assert (bad.state, bad.error_kind, bad.error) == (RequestState.FAILED, kind, expected), mode.value
        assert good.state is RequestState.DONE, mode.value
        assert "s3cret" not in bad.error
    assert_human(expected)
