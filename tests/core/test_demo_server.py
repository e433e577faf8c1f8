"""The demo server: httpbin-compatible answers, never blocking, on its own thread."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import time

import aiohttp
import pytest
import requests
import urllib3

from app.core.demo_app import ENDPOINTS, MAX_BYTES, MAX_DELAY, parse_delay
from app.core.demo_server import DemoServer
from app.core.net import is_loopback


def get(server: DemoServer, path: str, **kwargs: object) -> requests.Response:
    return requests.get(server.url + path, timeout=10, **kwargs)


def test_index_lists_every_endpoint(demo_server: DemoServer) -> None:
    page = get(demo_server, "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    for endpoint in ENDPOINTS:
        assert f"<code>{endpoint.example.replace('&', '&amp;')}</code>" in page.text


def test_delay_waits_then_echoes(demo_server: DemoServer) -> None:
    started = time.perf_counter()
    answer = get(demo_server, "/delay/0.3?lesson=1")
    assert time.perf_counter() - started >= 0.3
    assert answer.json()["delay"] == 0.3
    assert answer.json()["args"] == {"lesson": "1"}


@pytest.mark.parametrize(("text", "seconds"), [("0", 0.0), ("0.25", 0.25), ("2", 2.0), ("1000", MAX_DELAY)])
def test_delay_allows_fractions_and_is_capped(text: str, seconds: float) -> None:
    assert parse_delay(text) == seconds


@pytest.mark.parametrize("path", ["/delay/abc", "/delay/-1", "/delay/nan", "/bytes/x", "/status/99", "/status/abc"])
def test_nonsense_parameters_are_a_400_with_a_reason(demo_server: DemoServer, path: str) -> None:
    answer = get(demo_server, path)
    assert answer.status_code == 400
    assert "must be" in answer.text


def test_bytes_streams_exactly_n_bytes_repeatably_with_a_seed(demo_server: DemoServer) -> None:
    first = get(demo_server, "/bytes/200000?seed=7")
    second = get(demo_server, "/bytes/200000?seed=7")
    assert len(first.content) == 200000 and first.content == second.content
    assert first.headers["Content-Length"] == "200000"


def test_bytes_is_capped(demo_server: DemoServer) -> None:
    with requests.get(f"{demo_server.url}/bytes/{MAX_BYTES * 10}", stream=True, timeout=10) as answer:
        assert int(answer.headers["Content-Length"]) == MAX_BYTES


def test_status_answers_with_the_code_and_a_teapot_for_418(demo_server: DemoServer) -> None:
    assert get(demo_server, "/status/503").status_code == 503
    teapot = get(demo_server, "/status/418")
    assert teapot.status_code == 418 and "teapot" in teapot.text


def test_status_picks_by_weight(demo_server: DemoServer) -> None:
    assert {get(demo_server, "/status/200:0,404:1").status_code for _ in range(5)} == {404}


def test_redirect_lands_on_get_after_n_hops(demo_server: DemoServer) -> None:
    answer = get(demo_server, "/redirect/3")
    assert answer.status_code == 200
    assert [r.status_code for r in answer.history] == [302, 302, 302]
    assert answer.url.endswith("/get")


def test_drip_spreads_the_bytes_over_the_duration(demo_server: DemoServer) -> None:
    started = time.perf_counter()
    answer = get(demo_server, "/drip?duration=0.4&numbytes=10&code=201")
    assert time.perf_counter() - started >= 0.4
    assert (answer.status_code, answer.content) == (201, b"*" * 10)


@pytest.mark.parametrize(("rate", "status"), [("0", 200), ("1", 500), ("1.5", 400)])
def test_unstable_fails_at_the_given_rate(demo_server: DemoServer, rate: str, status: int) -> None:
    assert get(demo_server, f"/unstable?failure_rate={rate}").status_code == status


def test_a_hundred_concurrent_delays_take_about_one_delay(demo_server: DemoServer) -> None:
    async def scenario() -> float:
        async with aiohttp.ClientSession() as session:

            async def one() -> int:
                async with session.get(f"{demo_server.url}/delay/1") as answer:
                    await answer.read()
                    return answer.status

            started = time.perf_counter()
            statuses = await asyncio.gather(*(one() for _ in range(100)))
            assert statuses == [200] * 100
            return time.perf_counter() - started

    assert asyncio.run(scenario()) < 5.0  # one after another: 100 s


def test_it_answers_while_the_calling_thread_blocks(demo_server: DemoServer) -> None:
    # The point of its own thread: a blocking fetch from this thread is still answered.
    assert get(demo_server, "/delay/0.1").status_code == 200


def test_it_binds_loopback_and_a_free_port_by_default() -> None:
    with DemoServer() as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.port > 0


def test_a_port_in_use_is_an_oserror_from_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = DemoServer(port=taken.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
        assert not server.running
        with pytest.raises(OSError):  # the lab's way: at once, on the calling thread
            DemoServer(port=taken.getsockname()[1]).listen()


def test_a_server_that_listens_before_it_starts_has_its_address_and_serves_who_came_early() -> None:
    # The lab binds before its first paint (the address is shown at once) and serves right after.
    server = DemoServer().listen()
    try:
        assert server.port != 0 and not server.running
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as early:
            early.sendall(b"GET /get HTTP/1.1\r\nHost: looplab\r\nConnection: close\r\n\r\n")
            port = server.port
            server.start()
            assert server.port == port and early.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        server.stop()


def test_a_server_that_listened_but_never_started_frees_its_port_on_stop() -> None:
    server = DemoServer().listen()
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=10).close()


def test_stop_is_quick_with_a_request_in_flight_and_safe_twice() -> None:
    server = DemoServer().start()
    # stream=True returns once the headers are in: the handler is certainly running.
    with requests.get(f"{server.url}/drip?duration=30&numbytes=30", stream=True, timeout=10) as answer:
        assert answer.status_code == 200
        started = time.perf_counter()
        server.stop()
        assert time.perf_counter() - started < 2.0  # not aiohttp's default 60 s grace
        try:
            body = answer.raw.read(30)
        except urllib3.exceptions.HTTPError:  # the connection closed mid-body
            body = b""
        assert len(body) < 30  # the 30 s drip was cut short
    assert not server.running
    server.stop()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.5", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("192.168.1.20", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_built_in_demo_freezes_for_less_than_the_desktops_patience() -> None:
    # After ~5 s without an answer, GNOME and Windows offer to force-quit a window.
    from urllib.parse import parse_qs, urlsplit

    from app.core.demo_server import demo_urls

    def waits(url: str) -> float:
        parts = urlsplit(url)
        if parts.path.startswith("/delay/"):
            return parse_delay(parts.path.removeprefix("/delay/"))
        query = parse_qs(parts.query)
        return float(query.get("duration", ["0"])[0]) + float(query.get("delay", ["0"])[0])

    urls = demo_urls("http://127.0.0.1:1")
    assert len(urls) >= 6
    assert sum(map(waits, urls)) < 4.0  # the whole blocking freeze
    assert max(map(waits, urls)) <= 1.0  # the async run: about the slowest one


@pytest.mark.parametrize("path", ["/get?lesson=1", "/delay/0", "/redirect/2", "/status/418", "/bytes/100"])
def test_answers_leave_no_garbage_for_the_cyclic_collector(demo_server: DemoServer, path: str) -> None:
    # The demo server runs in the app's own process: what its answers leave in cycles, the GUI
    # thread's collector has to find (json's indenting encoder left 33 objects an answer).
    answers = 20
    with requests.Session() as session:
        session.get(demo_server.url + path, timeout=10)  # the connection and the server's caches, first
        gc.collect()
        was_enabled = gc.isenabled()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(answers):
                assert session.get(demo_server.url + path, timeout=10).content is not None
            gc.collect()
            left = len(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            if was_enabled:
                gc.enable()
    assert left < answers, f"{left} objects of cyclic garbage after {answers} answers"


def test_echoes_are_indented_json(demo_server: DemoServer) -> None:
    text = get(demo_server, "/get?lesson=1&name=%C3%BC%3Cb%3E").text
    assert text == json.dumps(json.loads(text), indent=2)
    assert json.loads(text)["args"] == {"lesson": "1", "name": "ü<b>"}
