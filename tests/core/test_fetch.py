"""The fetch, done two ways: the same URLs and options must give the same rows in both modes."""

from __future__ import annotations

import asyncio
import datetime
import gc
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import aiohttp.abc
import pytest
import trustme
from aiohttp import web

from app.core import blocking, fetch
from app.core.demo_server import DemoServer
from app.core.faults import describe_error, drop_tracebacks
from app.core.fetch import FetchOptions
from app.core.run import ErrorKind, FetchMode, RequestRecord, RequestState, Run, RunClock
from app.core.timeline import Phase, phase_durations
from app.core.urls import check_url
from tests.faults.matrix import assert_human

MODES = [FetchMode.ASYNC, FetchMode.BLOCKING]


def run_urls(
    urls: list[str],
    mode: FetchMode,
    options: FetchOptions | None = None,
    *,
    concurrency: int = 100,
    ssl_context: ssl.SSLContext | None = None,
) -> Run:
    """Runs ``urls`` to the end in ``mode`` with fresh sessions, as the window would."""
    options = options or FetchOptions()
    run = Run.plan(urls, mode, concurrency=concurrency, check=check_url)
    if mode is FetchMode.ASYNC:

        async def scenario() -> None:
            async with fetch.open_async_session(ssl_context) as session:
                await fetch.run_async(run, session, options)

        asyncio.run(scenario())
    else:
        with blocking.open_blocking_session(ssl_context) as session:
            blocking.run_blocking(run, session, options)
    return run


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- servers only some tests need ------------------------------------------------------------


def _loop_app() -> web.Application:
    async def to_itself(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/loop"})  # returned: raised, it is cyclic garbage

    async def unsized(request: web.Request) -> web.StreamResponse:
        # Chunked, with no Content-Length: the cap has to be enforced while reading.
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(64):
                await response.write(b"x" * 16384)
            await response.write_eof()
        except ConnectionResetError:
            pass
        return response

    async def slow_redirect(request: web.Request) -> web.Response:
        hops = int(request.match_info["n"])
        await asyncio.sleep(0.3)
        return web.Response(status=302, headers={"Location": f"/slow-redirect/{hops - 1}" if hops > 1 else "/loop-free"})

    async def loop_free(request: web.Request) -> web.Response:
        return web.Response(text="arrived")

    app = web.Application()
    app.router.add_get("/loop", to_itself)
    app.router.add_get("/unsized", unsized)
    app.router.add_get("/slow-redirect/{n}", slow_redirect)
    app.router.add_get("/loop-free", loop_free)
    return app


@pytest.fixture(scope="module")
def tricky_server() -> Iterator[DemoServer]:
    with DemoServer(app_factory=_loop_app) as server:
        yield server


@pytest.fixture(scope="module")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_server(test_ca: trustme.CA) -> Iterator[DemoServer]:
    """The demo app over HTTPS, with a certificate from a CA no system trusts."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with DemoServer(ssl_context=context) as server:
        yield server


@pytest.fixture(scope="module")
def self_signed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo app over HTTPS with a self-signed certificate: the home-made server of a lesson."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("self-signed")
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    with DemoServer(ssl_context=context) as server:
        yield server


# --- checking URLs before sending ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "words"),
    [
        ("example.com", ErrorKind.INVALID_URL, "did you mean http://example.com?"),
        ("just some words", ErrorKind.INVALID_URL, "contains spaces"),
        ("http://", ErrorKind.INVALID_URL, "no host name"),
        ("http://127.0.0.1:99999/", ErrorKind.INVALID_URL, "Not a URL"),
        ("https://[::1/", ErrorKind.INVALID_URL, "Not a URL"),
        ("ftp://files.example.com/a.txt", ErrorKind.UNSUPPORTED_SCHEME, "scheme ftp:"),
        ("file:///etc/passwd", ErrorKind.UNSUPPORTED_SCHEME, "scheme file:"),
        ("javascript:alert(1)", ErrorKind.UNSUPPORTED_SCHEME, "scheme javascript:"),
        ("http://host:abc/", ErrorKind.INVALID_URL, "the port after the colon must be a number"),
        ("http://exa_mple.com/", ErrorKind.INVALID_URL, "the character _ cannot be part of one"),
        ("http://" + "a" * 64 + ".com/", ErrorKind.INVALID_URL, "longer than 63 characters"),
        ("http://xn--zz.com/", ErrorKind.INVALID_URL, "is not a valid host name"),
        ("http://300.1.1.1/", ErrorKind.INVALID_URL, "each number must be 0 to 255"),
        ("http://a..b/", ErrorKind.INVALID_URL, "two dots in a row"),
    ],
)
def test_check_url_explains_what_is_wrong(url: str, kind: ErrorKind, words: str) -> None:
    problem = check_url(url)
    assert problem is not None
    assert problem[0] is kind
    assert words in problem[1]
    assert_human(problem[1])  # LoopLab's own words: no library wording, no quoted reprs


@pytest.mark.parametrize("url", ["http://example.com", "https://127.0.0.1:8080/delay/1?x=1", "HTTP://HOST/"])
def test_check_url_accepts_http_and_https(url: str) -> None:
    assert check_url(url) is None


# --- good fetches ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_body_is_streamed_and_counted(demo_server: DemoServer, mode: FetchMode) -> None:
    (record,) = run_urls([f"{demo_server.url}/bytes/123456"], mode).records
    assert record.state is RequestState.DONE
    assert (record.status, record.bytes_received) == (200, 123456)
    assert 0 <= record.started <= record.response_at <= record.ended


@pytest.mark.parametrize("mode", MODES)
def test_times_are_relative_to_the_run_and_show_the_wait(demo_server: DemoServer, mode: FetchMode) -> None:
    (record,) = run_urls([f"{demo_server.url}/delay/0.3"], mode).records
    assert record.started < 1.0  # since Run was pressed, not since the epoch (loose: opening a session takes a while on a busy machine)
    assert 0.3 <= record.response_at - record.started < 1.0
    assert record.duration == pytest.approx(record.ended - record.started)


@pytest.mark.parametrize("mode", MODES)
def test_redirects_within_the_limit_are_followed(demo_server: DemoServer, mode: FetchMode) -> None:
    (record,) = run_urls([f"{demo_server.url}/redirect/3"], mode).records
    assert record.state is RequestState.DONE and record.status == 200


def test_async_requests_overlap_and_blocking_ones_add_up(demo_server: DemoServer) -> None:
    urls = [f"{demo_server.url}/delay/0.3"] * 5
    async_run = run_urls(urls, FetchMode.ASYNC)
    blocking_run = run_urls(urls, FetchMode.BLOCKING)
    async_wall = max(r.ended for r in async_run.records)
    blocking_wall = max(r.ended for r in blocking_run.records)
    assert blocking_wall >= 5 * 0.3
    assert async_wall < blocking_wall / 3  # five overlapping waits cost about one


def test_concurrency_limit_caps_the_requests_in_flight(demo_server: DemoServer) -> None:
    run = run_urls([f"{demo_server.url}/delay/0.2"] * 6, FetchMode.ASYNC, concurrency=2)
    assert all(r.state is RequestState.DONE for r in run.records)
    events = sorted([(r.started, 1) for r in run.records] + [(r.ended, -1) for r in run.records])
    in_flight, peak = 0, 0
    for _, step in events:
        in_flight += step
        peak = max(peak, in_flight)
    assert peak == 2
    assert max(r.ended for r in run.records) >= 3 * 0.2  # three waves of two


def test_cancelling_an_async_run_stops_it_at_once_and_marks_every_row(demo_server: DemoServer) -> None:
    run = Run.plan([f"{demo_server.url}/delay/10"] * 5, FetchMode.ASYNC, concurrency=3)

    async def scenario() -> float:
        async with fetch.open_async_session() as session:
            task = asyncio.ensure_future(fetch.run_async(run, session, FetchOptions()))
            while sum(r.state is RequestState.RUNNING for r in run.records) < 3:
                await asyncio.sleep(0.01)
            cancelled_at = time.perf_counter()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return time.perf_counter() - cancelled_at

    took = asyncio.run(scenario())
    assert took < 1.0
    assert [r.state for r in run.records] == [RequestState.CANCELLED] * 5
    assert [r.error for r in run.records] == ["Cancelled"] * 3 + ["Cancelled before it started"] * 2
    assert all(r.ended is not None for r in run.records)


# --- every bad input is a row with a message, and the good URL still completes ---------------


BadUrl = Callable[[DemoServer, DemoServer], str]

BAD_INPUTS: list[tuple[str, BadUrl, FetchOptions, ErrorKind, str]] = [
    ("not a URL", lambda d, t: "www.example.com/page", FetchOptions(), ErrorKind.INVALID_URL, "should start with http://"),
    ("ftp scheme", lambda d, t: "ftp://ftp.example.com/f", FetchOptions(), ErrorKind.UNSUPPORTED_SCHEME, "scheme ftp:"),
    ("file scheme", lambda d, t: "file:///etc/hosts", FetchOptions(), ErrorKind.UNSUPPORTED_SCHEME, "scheme file:"),
    ("javascript", lambda d, t: "javascript:alert(1)", FetchOptions(), ErrorKind.UNSUPPORTED_SCHEME, "scheme javascript:"),
    ("no such host", lambda d, t: "http://no-such-host.invalid/", FetchOptions(), ErrorKind.DNS, "Host not found: no-such-host.invalid"),
    ("refused", lambda d, t: f"http://127.0.0.1:{free_port()}/", FetchOptions(), ErrorKind.REFUSED, "Connection refused by 127.0.0.1:"),
    ("timeout", lambda d, t: f"{d.url}/delay/5", FetchOptions(timeout=0.3), ErrorKind.TIMEOUT, "Timed out after 0.3 s"),
    ("slow trickle", lambda d, t: f"{d.url}/drip?duration=5&numbytes=50", FetchOptions(timeout=0.5), ErrorKind.TIMEOUT, "Timed out after 0.5 s"),
    ("HTTP 404", lambda d, t: f"{d.url}/status/404", FetchOptions(), ErrorKind.HTTP_STATUS, "HTTP 404 Not Found"),
    ("HTTP 500", lambda d, t: f"{d.url}/status/500", FetchOptions(), ErrorKind.HTTP_STATUS, "HTTP 500 Internal Server Error"),
    ("redirect loop", lambda d, t: f"{t.url}/loop", FetchOptions(), ErrorKind.TOO_MANY_REDIRECTS, "Too many redirects (more than 10)"),
    ("long redirect chain", lambda d, t: f"{d.url}/redirect/5", FetchOptions(max_redirects=2), ErrorKind.TOO_MANY_REDIRECTS, "more than 2"),
    ("announced huge body", lambda d, t: f"{d.url}/bytes/30000000", FetchOptions(), ErrorKind.TOO_LARGE, "Body is 30.0 MB, over the 20.0 MB limit"),
    ("streamed huge body", lambda d, t: f"{t.url}/unsized", FetchOptions(max_body_bytes=100_000), ErrorKind.TOO_LARGE, "larger than the 100 kB limit"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("bad_url", "options", "kind", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS],
)
def test_bad_input_becomes_a_readable_row_and_the_run_goes_on(
    demo_server: DemoServer,
    tricky_server: DemoServer,
    mode: FetchMode,
    bad_url: BadUrl,
    options: FetchOptions,
    kind: ErrorKind,
    words: str,
) -> None:
    good = f"{demo_server.url}/bytes/100"
    bad, after = run_urls([bad_url(demo_server, tricky_server), good], mode, options).records
    assert bad.state is RequestState.FAILED
    assert bad.error_kind is kind
    assert words in bad.error, bad.error
    assert "\n" not in bad.error and len(bad.error) < 160
    assert after.state is RequestState.DONE and after.bytes_received == 100


@pytest.mark.parametrize("mode", MODES)
def test_timeouts_give_up_on_time_in_both_modes(demo_server: DemoServer, mode: FetchMode) -> None:
    # requests only times single socket reads; a slow trickle must still stop at the deadline.
    (record,) = run_urls([f"{demo_server.url}/drip?duration=5&numbytes=50"], mode, FetchOptions(timeout=0.5)).records
    assert record.error_kind is ErrorKind.TIMEOUT
    assert 0.5 <= record.duration < 1.5


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("bad_url", "options"),
    [pytest.param(*case[1:3], id=case[0]) for case in BAD_INPUTS if case[3] is not ErrorKind.HTTP_STATUS],
)
def test_a_failed_request_is_freed_without_the_cyclic_collector(
    demo_server: DemoServer, tricky_server: DemoServer, mode: FetchMode, bad_url: BadUrl, options: FetchOptions
) -> None:
    # aiohttp and aiohappyeyeballs keep the exceptions they raise in locals: exception ->
    # traceback -> frame -> exception, holding the request's record, socket and connection
    # until a full collection (the app runs those only between runs). 20,000 refused URLs made
    # 920,000 objects of such garbage, 37 MiB of peak memory and an 800 ms collection mid-run.
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage, to be looked at
    try:
        (record,) = run_urls([bad_url(demo_server, tricky_server)], mode, options).records
        gc.collect()
        cyclic = Counter(type(o).__name__ for o in gc.garbage if isinstance(o, (BaseException, RequestRecord, types.FrameType)))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert record.state is RequestState.FAILED
    assert not cyclic, cyclic


def test_dropping_a_failure_s_tracebacks_leaves_the_code_that_caught_it_running() -> None:
    caught: list[BaseException] = []

    def reader() -> Iterator[int]:
        # Long-lived code that catches a failure, hands it on and goes on (aiohttp's protocols
        # hand theirs to futures): its frame is in the failure's traceback, suspended.
        try:
            raise ConnectionResetError("reset by peer")
        except ConnectionResetError as exc:
            caught.append(exc)
        yield 1
        yield 2

    lines = reader()
    assert next(lines) == 1
    failure = aiohttp.ClientOSError("the request failed")
    failure.__cause__ = caught[0]
    drop_tracebacks(failure)
    assert caught[0].__traceback__ is None
    assert next(lines) == 2  # clearing the frames instead (traceback.clear_frames) closes the generator


@pytest.mark.parametrize("mode", MODES)
def test_an_untrusted_certificate_is_a_tls_row(tls_server: DemoServer, demo_server: DemoServer, mode: FetchMode) -> None:
    bad, good = run_urls([f"{tls_server.url}/get", f"{demo_server.url}/get"], mode).records
    assert bad.error_kind is ErrorKind.TLS
    assert "certificate of 127.0.0.1 is not trusted" in bad.error, bad.error
    assert good.state is RequestState.DONE


@pytest.mark.parametrize("mode", MODES)
def test_a_self_signed_certificate_is_a_tls_row_that_says_so(self_signed_server: DemoServer, mode: FetchMode) -> None:
    (record,) = run_urls([f"{self_signed_server.url}/get"], mode).records
    assert record.error_kind is ErrorKind.TLS
    assert record.error == "TLS: the certificate of 127.0.0.1 is not trusted (it is self-signed)"


@pytest.mark.parametrize("mode", MODES)
def test_a_trusted_certificate_works_in_both_modes(tls_server: DemoServer, test_ca: trustme.CA, mode: FetchMode) -> None:
    with test_ca.cert_pem.tempfile() as ca_file:
        context = fetch.make_ssl_context(extra_ca_file=ca_file)
    (record,) = run_urls([f"{tls_server.url}/bytes/10"], mode, ssl_context=context).records
    assert record.state is RequestState.DONE, record.error
    assert record.bytes_received == 10


SYSTEM_TRUST_CLIENT = """
import asyncio, sys
from app.core import blocking, fetch
from app.core.fetch import FetchOptions
from app.core.urls import check_url
from app.core.run import FetchMode, Run

for mode in (FetchMode.ASYNC, FetchMode.BLOCKING):
    run = Run.plan([sys.argv[1]], mode, concurrency=1, check=check_url)
    if mode is FetchMode.ASYNC:
        async def fetch_it():
            async with fetch.open_async_session() as session:  # the app's own TLS context
                await fetch.run_async(run, session, FetchOptions())
        asyncio.run(fetch_it())
    else:
        with blocking.open_blocking_session() as session:
            blocking.run_blocking(run, session, FetchOptions())
    record = run.records[0]
    print(mode.value, record.state.name, record.bytes_received, record.error, sep="|")
"""


def fetch_with_system_store(url: str, ca_file: Path | None, tmp_path: Path) -> list[str]:
    """Fetches ``url`` in both modes, in a fresh process whose *operating system* trust store is
    ``ca_file`` alone (none at all for None), with the app's default TLS settings."""
    no_certs = tmp_path / "no-certs"
    no_certs.mkdir(exist_ok=True)
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    # OpenSSL reads its default CA file and folder from these variables, and on Linux the
    # default paths *are* the system store truststore uses (a school's CA lands there too).
    env = dict(os.environ, SSL_CERT_FILE=str(ca_file or empty), SSL_CERT_DIR=str(no_certs))
    result = subprocess.run(
        [sys.executable, "-c", SYSTEM_TRUST_CLIENT, url], capture_output=True, text=True, timeout=60, env=env, check=True
    )
    return result.stdout.splitlines()


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="on Linux, truststore reads the OS store where SSL_CERT_FILE points"
)
def test_a_server_whose_ca_the_system_trusts_works_in_both_modes(
    tls_server: DemoServer, test_ca: trustme.CA, tmp_path: Path
) -> None:
    # Like a school's TLS proxy: its CA is installed in the operating system, in no Python bundle.
    ca_file = tmp_path / "school-ca.pem"
    test_ca.cert_pem.write_to_path(str(ca_file))
    url = f"{tls_server.url}/bytes/10"
    assert fetch_with_system_store(url, ca_file, tmp_path) == ["async|DONE|10|", "blocking|DONE|10|"]
    # The same process set-up without that CA in the system store fails: the trust came from there.
    untrusted = fetch_with_system_store(url, None, tmp_path)
    assert [line.split("|")[:2] for line in untrusted] == [["async", "FAILED"], ["blocking", "FAILED"]]
    assert all("certificate of 127.0.0.1 is not trusted" in line for line in untrusted), untrusted


def test_an_unknown_exception_is_a_row_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    kind, message = describe_error(ZeroDivisionError("boom"), "http://x/", FetchOptions())
    assert kind is ErrorKind.UNEXPECTED
    assert message == "Unexpected error: ZeroDivisionError: boom"
    assert "Unexpected error while fetching http://x/" in caplog.text


def test_options_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        FetchOptions(timeout=0)
    with pytest.raises(ValueError):
        FetchOptions(max_redirects=-1)



# --- proxies: the same in both modes, never for loopback ------------------------------------


def _proxy_app() -> web.Application:
    async def answer_for_anyone(request: web.Request) -> web.Response:
        # A proxy receives the absolute URL; answering it ourselves proves the request came here.
        return web.Response(text=f"proxied {request.host}{request.path}")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", answer_for_anyone)
    return app


@pytest.mark.parametrize("mode", MODES)
def test_an_http_proxy_is_used_the_same_way_in_both_modes(mode: FetchMode) -> None:
    with DemoServer(app_factory=_proxy_app) as proxy:
        options = FetchOptions(proxies={"http": proxy.url})
        (record,) = run_urls(["http://far-away.invalid/page"], mode, options).records
    assert record.state is RequestState.DONE, record.error
    assert record.bytes_received == len("proxied far-away.invalid/page")


@pytest.mark.parametrize(
    ("url", "proxies", "expected"),
    [
        ("http://example.com/", {"http": "http://proxy:3128"}, "http://proxy:3128"),
        ("https://example.com/", {"http": "http://proxy:3128"}, None),
        ("http://127.0.0.1:8080/delay/1", {"http": "http://proxy:3128"}, None),
        ("http://localhost/", {"http": "http://proxy:3128"}, None),
        ("http://intranet.school/", {"http": "http://proxy:3128", "no": ".school"}, None),
    ],
)
def test_proxy_for_skips_loopback_and_exempt_hosts(url: str, proxies: dict[str, str], expected: str | None) -> None:
    from app.core.net import proxy_for

    assert proxy_for(url, proxies) == expected


@pytest.mark.parametrize("mode", MODES)
def test_a_bug_of_ours_is_unexpected_in_both_modes_not_a_network_error(demo_server: DemoServer, mode: FetchMode) -> None:
    # A header with a newline is refused by both libraries before anything is sent: that is a
    # mistake in what LoopLab asked for, and must not be passed off as "could not connect".
    options = FetchOptions(headers={"X-Bad": "a\nb"})
    (record,) = run_urls([f"{demo_server.url}/get"], mode, options).records
    assert record.error_kind is ErrorKind.UNEXPECTED
    assert record.error.startswith("Unexpected error:")


# --- the same fetch in both modes: timeouts, redirect limits, requests on the wire -----------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/drip?duration=5&numbytes=1", id="headers-then-stall"),
        pytest.param("/drip?delay=0.4&duration=0.45&numbytes=1", id="late-headers-then-stall"),
        pytest.param("/drip?duration=5&numbytes=50", id="slow-trickle"),
        pytest.param("SLOW-REDIRECTS", id="three-slow-redirect-hops"),
    ],
)
def test_the_timeout_covers_the_whole_request_in_both_modes(
    demo_server: DemoServer, tricky_server: DemoServer, mode: FetchMode, path: str
) -> None:
    url = f"{tricky_server.url}/slow-redirect/3" if path == "SLOW-REDIRECTS" else demo_server.url + path
    (record,) = run_urls([url], mode, FetchOptions(timeout=0.5)).records
    assert record.error_kind is ErrorKind.TIMEOUT, record.error
    assert 0.5 <= record.duration < 0.5 + 0.4  # gives up at the deadline, not a read or a hop later


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("hops", "limit", "done"),
    [(10, 10, True), (11, 10, False), (2, 2, True), (3, 2, False), (1, 0, False)],
)
def test_at_most_n_redirects_means_the_same_in_both_modes(
    demo_server: DemoServer, mode: FetchMode, hops: int, limit: int, done: bool
) -> None:
    (record,) = run_urls([f"{demo_server.url}/redirect/{hops}"], mode, FetchOptions(max_redirects=limit)).records
    if done:
        assert record.state is RequestState.DONE, record.error
    else:
        assert record.error_kind is ErrorKind.TOO_MANY_REDIRECTS
        assert f"more than {limit}" in record.error


def test_both_modes_send_the_same_request_and_count_the_same_bytes(demo_server: DemoServer) -> None:
    url = f"{demo_server.url}/get"
    (async_record,) = run_urls([url], FetchMode.ASYNC).records
    (blocking_record,) = run_urls([url], FetchMode.BLOCKING).records
    assert async_record.bytes_received == blocking_record.bytes_received
    with blocking.open_blocking_session() as session:
        echoed = session.get(url, timeout=10).json()["headers"]
    assert {k: v for k, v in echoed.items() if k != "Host"} == {
        "User-Agent": fetch.USER_AGENT,
        "Accept": "*/*",
        "Accept-Encoding": "gzip, deflate",
    }


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://example..com/", "has an empty part"),
        ("http://256.256.256.256/", "not a valid IP address"),
        ("http://" + "a" * 64 + ".example/", "not a valid host name"),
        ("http://\U0001F600.invalid/", "not a valid host name"),
        ("http://[zz::1]/", "do not hold a valid IPv6 address"),
    ],
)
def test_bad_host_names_are_caught_before_sending(url: str, words: str) -> None:
    problem = check_url(url)
    assert problem is not None and problem[0] is ErrorKind.INVALID_URL
    assert words in problem[1]


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_does_not_speak_http_is_named_as_such_in_both_modes(mode: FetchMode) -> None:
    # Like pointing the lab at an SSH port: the first line back is not an HTTP status line.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        stop = threading.Event()

        def greet() -> None:
            listener.settimeout(0.1)
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        greeter = threading.Thread(target=greet)
        greeter.start()
        try:
            (record,) = run_urls([f"http://127.0.0.1:{port}/"], mode, FetchOptions(timeout=2)).records
        finally:
            stop.set()
            greeter.join()
    assert record.error_kind is ErrorKind.INVALID_RESPONSE  # it answered, just not in HTTP
    assert record.error == f"127.0.0.1:{port} did not answer in HTTP (is it a web server?)"


# --- phase times: DNS and connect where aiohttp reports them, HTTP version and type in both modes ---


def test_async_fetch_times_dns_and_connect_then_reuses_the_connection(demo_server: DemoServer) -> None:
    # "localhost", not 127.0.0.1: only a host name is looked up, so only then is there DNS to time.
    url = f"http://localhost:{demo_server.port}/bytes/100"
    first, second = run_urls([url, url], FetchMode.ASYNC, concurrency=1).records
    assert first.state is second.state is RequestState.DONE, (first.error, second.error)
    assert first.dns is not None and first.dns > 0
    assert first.connect is not None and first.connect > 0
    # Both happen before the request goes out, so together they fit in the wait for the headers.
    assert first.dns + first.connect <= first.response_at - first.started + 1e-9
    # Same session, same host, one after another: the kept-alive connection is used again.
    assert second.connect == 0.0
    assert second.dns == 0.0


def test_async_fetch_of_an_ip_address_has_no_dns_time(demo_server: DemoServer) -> None:
    (record,) = run_urls([f"{demo_server.url}/get"], FetchMode.ASYNC).records
    assert record.state is RequestState.DONE, record.error
    assert record.dns == 0.0
    assert record.connect is not None and record.connect > 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/bytes/10", "application/octet-stream"), ("/get", "application/json; charset=utf-8")],
)
def test_http_version_and_content_type_are_recorded_in_both_modes(
    demo_server: DemoServer, mode: FetchMode, path: str, content_type: str
) -> None:
    (record,) = run_urls([f"http://localhost:{demo_server.port}{path}"], mode).records
    assert record.state is RequestState.DONE, record.error
    assert record.http_version == "HTTP/1.1"
    assert record.content_type == content_type


def test_blocking_fetch_leaves_dns_and_connect_unknown(demo_server: DemoServer) -> None:
    url = f"http://localhost:{demo_server.port}/get"
    for record in run_urls([url, url], FetchMode.BLOCKING).records:
        assert record.state is RequestState.DONE, record.error
        assert record.dns is None and record.connect is None


@pytest.mark.parametrize("mode", MODES)
def test_a_request_that_fails_early_keeps_no_http_version_or_type(mode: FetchMode) -> None:
    (record,) = run_urls([f"http://127.0.0.1:{free_port()}/"], mode).records
    assert record.error_kind is ErrorKind.REFUSED
    assert (record.http_version, record.content_type, record.status) == ("", "", None)


class _SlowResolver(aiohttp.abc.AbstractResolver):
    """A name server that takes 0.3 s to answer: stands in for a slow school DNS."""

    DELAY = 0.3

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        await asyncio.sleep(self.DELAY)
        return [
            {"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}
        ]

    async def close(self) -> None:
        pass


def test_connect_time_does_not_include_the_dns_look_up(demo_server: DemoServer) -> None:
    # aiohttp's "connection create" span contains the DNS look-up it triggers. A slow resolver
    # makes the difference measurable: 0.3 s of DNS must not show up a second time as connect.
    record = RequestRecord(0, f"http://slow-dns.test:{demo_server.port}/get")

    async def scenario() -> None:
        async with fetch.open_async_session(resolver=_SlowResolver()) as session:
            await fetch.fetch_async(session, record, FetchOptions(), RunClock())

    asyncio.run(scenario())
    assert record.state is RequestState.DONE, record.error
    assert record.dns is not None and record.connect is not None
    assert record.dns >= _SlowResolver.DELAY * 0.9
    # Everything before the request went out cannot take longer than waiting for the answer did.
    assert record.dns + record.connect <= record.response_at - record.started
    assert record.connect < _SlowResolver.DELAY / 2  # a loopback connection takes milliseconds


def test_a_request_that_times_out_mid_look_up_counts_the_wait_as_dns_only(demo_server: DemoServer) -> None:
    # aiohttp's look-up runs on in a task of its own after the request gives up: the time waited
    # is DNS, and must not be counted again as connecting.
    record = RequestRecord(0, f"http://slow-dns.test:{demo_server.port}/get")

    async def scenario() -> None:
        async with fetch.open_async_session(resolver=_SlowResolver()) as session:
            await fetch.fetch_async(session, record, FetchOptions(timeout=0.1), RunClock())

    asyncio.run(scenario())
    assert record.error_kind is ErrorKind.TIMEOUT, record.error
    assert record.dns is not None and record.dns >= 0.09
    assert record.connect is not None and record.connect < 0.05, record.connect


class _FailingSlowResolver(_SlowResolver):
    """Takes its time, then says the host does not exist."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, object]]:
        await asyncio.sleep(self.DELAY)
        raise OSError(socket.EAI_NONAME, "Name or service not known")


def test_a_look_up_that_fails_is_drawn_as_dns_not_as_waiting() -> None:
    # The look-up never reports its end; the time it took must still be DNS on the timeline.
    record = RequestRecord(0, "http://no-such-host.test/get")

    async def scenario() -> None:
        async with fetch.open_async_session(resolver=_FailingSlowResolver()) as session:
            await fetch.fetch_async(session, record, FetchOptions(), RunClock())

    asyncio.run(scenario())
    assert record.error_kind is ErrorKind.DNS, record.error
    spent = phase_durations(record)
    assert spent[Phase.DNS] >= _SlowResolver.DELAY * 0.9
    assert spent[Phase.WAITING] < _SlowResolver.DELAY / 3
    assert spent[Phase.CONNECT] < _SlowResolver.DELAY / 3  # the look-up is not counted twice


def test_each_request_of_a_run_gets_the_whole_timeout_from_its_own_start(demo_server: DemoServer) -> None:
    # The run's requests share one timer (app.core.deadlines): one after another on one worker,
    # each still times out on its own deadline, neither early nor late, and a quick one between
    # them is not cut short by a deadline left over from the one before.
    urls = [f"{demo_server.url}/delay/5", f"{demo_server.url}/get", f"{demo_server.url}/delay/5"]
    slow, quick, slow_again = run_urls(urls, FetchMode.ASYNC, FetchOptions(timeout=0.3), concurrency=1).records
    for record in (slow, slow_again):
        assert record.error_kind is ErrorKind.TIMEOUT, record.error
        assert 0.3 <= record.duration < 0.3 + 0.15, record.duration
    assert quick.state is RequestState.DONE, quick.error
    assert slow_again.started >= quick.ended


class _ClosingResolver(_SlowResolver):
    DELAY = 0.0
    closed = False

    async def close(self) -> None:
        self.closed = True


def test_closing_the_session_closes_its_resolver() -> None:
    # A connector closes only a resolver it made; an aiodns one left open keeps its channel.
    resolver = _ClosingResolver()

    async def scenario() -> None:
        async with fetch.open_async_session(resolver=resolver):
            pass

    asyncio.run(scenario())
    assert resolver.closed


def test_a_refused_connection_is_drawn_as_connecting_not_as_waiting() -> None:
    record = RequestRecord(0, "http://127.0.0.1:1/")

    async def scenario() -> None:
        async with fetch.open_async_session() as session:
            await fetch.fetch_async(session, record, FetchOptions(), RunClock())

    asyncio.run(scenario())
    assert record.error_kind is ErrorKind.REFUSED, record.error
    spent = phase_durations(record)
    assert spent[Phase.CONNECT] > 0
    assert spent[Phase.WAITING] <= spent[Phase.CONNECT]


# --- a lesson's own requests, recorded through aiohttp's tracing ------------------------------


def test_requests_cancelled_mid_flight_are_recorded_as_cancelled_not_failed(
    demo_server: DemoServer, caplog: pytest.LogCaptureFixture
) -> None:
    # As when a teacher presses Cancel during a lesson (or closes the window): the lesson's own
    # session.get calls are cancelled while they wait, and aiohttp reports that as an exception.
    n = 4
    run = Run(mode=FetchMode.ASYNC)
    recorder = fetch.RequestRecorder()
    recorder.follow(run)

    async def get(session: aiohttp.ClientSession, url: str) -> bytes:
        async with session.get(url) as response:
            return await response.read()

    async def scenario() -> list[object]:
        async with fetch.open_async_session(recorder=recorder) as session:
            tasks = [asyncio.ensure_future(get(session, f"{demo_server.url}/delay/5?n={i}")) for i in range(n)]
            deadline = time.monotonic() + 5.0
            while len(run.records) < n:  # every request has started: the tracing has filed it
                assert time.monotonic() < deadline, f"only {len(run.records)} of {n} requests started"
                await asyncio.sleep(0.005)
            assert all(r.state is RequestState.RUNNING for r in run.records)
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            recorder.settle()
            return results

    results = asyncio.run(scenario())
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    assert len(run.records) == n
    assert sorted(r.url for r in run.records) == sorted(f"{demo_server.url}/delay/5?n={i}" for i in range(n))
    assert [r.state for r in run.records] == [RequestState.CANCELLED] * n
    assert [r.error_kind for r in run.records] == [ErrorKind.CANCELLED] * n
    assert all(r.error == "Cancelled" for r in run.records)  # it was under way, not "before it started"
    assert all(r.ended is not None and r.ended < 4.0 for r in run.records)  # cancelled, not waited out
    assert "Unexpected error" not in caplog.text


def test_a_recorded_request_that_fails_is_still_failed_with_its_reason() -> None:
    # The other side of the same tracing hook: a real failure is not mistaken for a cancel.
    run = Run(mode=FetchMode.ASYNC)
    recorder = fetch.RequestRecorder()
    recorder.follow(run)
    port = free_port()

    async def scenario() -> None:
        async with fetch.open_async_session(recorder=recorder) as session:
            with pytest.raises(aiohttp.ClientConnectorError):
                async with session.get(f"http://127.0.0.1:{port}/get"):
                    pass
            recorder.settle()

    asyncio.run(scenario())
    [record] = run.records
    assert record.state is RequestState.FAILED
    assert record.error_kind is ErrorKind.REFUSED, record.error
    assert f"127.0.0.1:{port}" in record.error
