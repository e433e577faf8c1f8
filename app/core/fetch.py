"""One description of a fetch, done two ways: aiohttp on the event loop, or requests, blocking.

Both ways take the same :class:`FetchOptions` (timeout, body cap, redirect limit, headers), trust
the same certificates and fill in the same :class:`~app.core.run.RequestRecord`, so the only
difference a student sees is the one we want them to see: who waits.

- :func:`run_async` overlaps the requests on the running event loop, at most ``concurrency`` at
  once, and can be cancelled at any moment.
- :func:`run_blocking` does them one after another on the calling thread. Called on the GUI
  thread, it freezes the window for the whole run. That is the lesson, so there is deliberately
  no ``processEvents`` and no thread here.

Bodies are streamed and counted, never kept. Failures become a record's ``error_kind`` and a
one-line message; only a genuinely unexpected exception is logged with its traceback.

Two libraries, one set of rules. aiohttp (llhttp) and requests (http.client) disagree on many
broken answers: http.client takes a header line with no colon, a Content-Length of "ten" or a
connection closed halfway through the headers as a fine, empty answer that aiohttp rejects. So
LoopLab decides the parts where a student would otherwise see two different rows:

- redirects are followed here, by :func:`redirect_target`, not by either library;
- bodies are decoded here (:class:`BodyDecoder`: gzip and deflate, what we ask for), not by either
  library, so a body that does not decode fails the same way in both modes;
- blocking mode reads status lines and headers through :class:`_CheckedResponse`, which holds
  http.client to the rules aiohttp's parser keeps (and to the deadline, line by line);
- a kept-alive connection that the server dropped as the next request arrived is retried once,
  for GET, in both modes and only then (:func:`_retry_stale_connection`, :class:`_RetryStaleConnection`);
- every way an answer can break HTTP is one :class:`AnswerFault`, with one message.
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import errno
import functools
import http.client
import ipaddress
import logging
import math
import re
import socket
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import aiohttp
import aiohttp.http_exceptions
import certifi
import idna
import requests
import requests.adapters
import truststore
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
import urllib3.util.retry

from app import __version__
from app.core.net import environment_proxies, proxy_for
from app.core.run import (
    ErrorKind,
    RequestRecord,
    Run,
    format_seconds_setting,
    format_size,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BODY_BYTES = 20_000_000
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_CONCURRENCY = 100
"""aiohttp's own default connection limit."""
CHUNK_SIZE = 64 * 1024
START_SLICE = 20
"""Workers started per event-loop turn: qasync makes each task start costly, and starting
hundreds in one callback stalls the window (STYLE.md, measured)."""
USER_AGENT = f"LoopLab/{__version__}"
DEFAULT_HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
"""Sent by both libraries, so the two modes send the same request and get the same answer."""
DECODED_CODINGS = frozenset({"gzip", "x-gzip", "deflate"})
"""The content codings :class:`BodyDecoder` undoes: what ``Accept-Encoding`` asks for (x-gzip is
gzip's old name, RFC 9110 8.4.1.3). A server that sends anything else broke the agreement."""
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_HEAD_LINE = 65536
"""Longest status or header line read, in bytes: http.client's limit, given to aiohttp too."""
MAX_HEADERS = 99
"""Most headers read: http.client's limit (100 lines, the blank one that ends them included),
given to aiohttp too (its default is 128)."""
_REDIRECT_BODY_READ = 64 * 1024
"""A redirect's own body is read (and dropped) up to this size, so its connection can be reused."""
_NO_CEILING = math.inf
"""aiohttp rounds timeouts of ``ceil_threshold`` (5 s) or more up to the next whole second, which
turned "Timeout 10 s" into 10.5 s on average: a threshold no timeout reaches turns that off."""

FETCHABLE_SCHEMES = ("http", "https")
_OTHER_SCHEMES = frozenset(
    {"file", "ftp", "ftps", "sftp", "javascript", "data", "mailto", "about", "blob", "tel", "ws", "wss", "chrome"}
)

OnChange = Callable[[RequestRecord], None]


def _no_change(_record: RequestRecord) -> None:
    pass


@dataclass(frozen=True)
class FetchOptions:
    """How every request of a run is made, identical in both modes."""

    timeout: float = DEFAULT_TIMEOUT
    """Seconds for the whole request, connecting and downloading included."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """Reading stops, with an error, past this many bytes of body."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    proxies: Mapping[str, str] = field(default_factory=environment_proxies)
    """Scheme -> proxy URL (and "no" -> exemptions), as HTTP_PROXY / HTTPS_PROXY / NO_PROXY give them."""

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        if self.max_body_bytes < 0 or self.max_redirects < 0:
            raise ValueError("max_body_bytes and max_redirects cannot be negative")


class BodyTooLarge(Exception):
    """The response body went past :attr:`FetchOptions.max_body_bytes`."""

    def __init__(self, limit: int, announced: int | None = None) -> None:
        self.limit = limit
        self.announced = announced
        if announced is not None:
            text = f"Body is {format_size(announced)}, over the {format_size(limit)} limit: not downloaded"
        else:
            text = f"Stopped reading: the body is larger than the {format_size(limit)} limit"
        super().__init__(text)


class TotalTimeout(TimeoutError):
    """The whole request took longer than the timeout (requests only times single socket reads)."""


class AnswerFault(enum.Enum):
    """Every way an answer can break off or break HTTP's rules, as both modes recognise it.

    Each is one kind and one message, whichever library noticed it.
    """

    CLOSED_WITHOUT_ANSWER = (ErrorKind.CONNECTION, "{where} closed the connection without answering")
    BROKE_OFF = (ErrorKind.CONNECTION, "Connection to {where} broke off before the answer was complete")
    NOT_HTTP = (ErrorKind.INVALID_RESPONSE, "{where} did not answer in HTTP (is it a web server?)")
    BAD_STATUS_LINE = (ErrorKind.INVALID_RESPONSE, "{where} sent a malformed status line (the first line of an answer)")
    BAD_HEADER = (ErrorKind.INVALID_RESPONSE, "{where} sent a malformed header line")
    HEADERS_TOO_LARGE = (
        ErrorKind.INVALID_RESPONSE,
        f"{{where}} sent headers too large for LoopLab (more than {MAX_HEADERS}, or a line over {MAX_HEAD_LINE // 1024} kB)",
    )
    BAD_LENGTH = (ErrorKind.INVALID_RESPONSE, "{where} sent an invalid Content-Length (the size of the body)")
    LENGTH_AND_CHUNKED = (
        ErrorKind.INVALID_RESPONSE,
        "{where} sent both a Content-Length and a Transfer-Encoding, so where the body ends is ambiguous",
    )
    BAD_CHUNKS = (ErrorKind.INVALID_RESPONSE, "{where} sent a malformed chunked body")
    REDIRECT_WITHOUT_LOCATION = (
        ErrorKind.INVALID_RESPONSE,
        "{where} answered with a redirect ({status}) but did not say where to (no Location header)",
    )
    BROKEN_HTTP = (ErrorKind.INVALID_RESPONSE, "{where} sent an answer that breaks the rules of HTTP")

    @property
    def kind(self) -> ErrorKind:
        return self.value[0]

    def describe(self, where: str, **details: object) -> str:
        return str(self.value[1]).format(where=where, **details)


class BadAnswer(http.client.HTTPException):
    """An answer with an :class:`AnswerFault`, noticed by LoopLab rather than by a library.

    An :class:`http.client.HTTPException`, so urllib3 treats it as the broken connection it is
    (closes it, never returns it to the pool) when :class:`_CheckedResponse` raises it.
    """

    def __init__(self, fault: AnswerFault, **details: object) -> None:
        super().__init__(fault.name)
        self.fault = fault
        self.details = details


class BadRedirect(Exception):
    """A redirect to somewhere LoopLab cannot go: another scheme, or not a URL at all."""

    def __init__(self, target: str, kind: ErrorKind) -> None:
        self.kind = kind
        shown = target if len(target) <= 80 else target[:77] + "..."
        if kind is ErrorKind.UNSUPPORTED_SCHEME:
            text = f"Redirected to {shown}: LoopLab fetches only http:// and https:// URLs"
        else:
            text = f"Redirected to {shown}, which is not a valid URL"
        super().__init__(text)


class TooManyRedirects(Exception):
    """More redirects in a row than :attr:`FetchOptions.max_redirects` allows."""


class UndecodableBody(Exception):
    """A body that says it is gzip- or deflate-compressed, but does not decompress (to its end)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        super().__init__(f"The server said the body is {coding}-compressed, but it could not be decoded")


class UnsupportedEncoding(Exception):
    """A body in a content coding LoopLab did not ask for (``br``, ``zstd``, or an unknown one)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        super().__init__(f"The server sent the body encoded as {coding}, which LoopLab did not ask for and cannot decode")


class StaleConnection(ConnectionResetError):
    """A kept-alive connection that the server dropped as the next request arrived.

    Raised (blocking mode) in place of the reset or close that shows it, so that
    :class:`_RetryStaleConnection` can tell it apart from a fresh connection that failed.
    """


class TLSHangUp(ssl.SSLError):
    """The server closed or reset the connection in the middle of the TLS handshake.

    An :class:`ssl.SSLError`, so urllib3 reports it as the TLS failure it is, as aiohttp does.
    """


# --- checking a URL before anything is sent -------------------------------------------------


def check_url(url: str) -> tuple[ErrorKind, str] | None:
    """Why ``url`` cannot be fetched, or None when it looks like an http(s) URL with a host."""
    if _WHITESPACE.search(url):
        return ErrorKind.INVALID_URL, "Not a URL: it contains spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return ErrorKind.INVALID_URL, f"Not a URL: {exc}"
    scheme = parts.scheme.lower()
    if scheme in FETCHABLE_SCHEMES:
        if not parts.hostname:
            return ErrorKind.INVALID_URL, "Not a URL: there is no host name after the //"
        if problem := _host_problem(parts.hostname):
            return ErrorKind.INVALID_URL, f"Not a URL: {problem}"
        return None
    if scheme in _OTHER_SCHEMES or "://" in url:
        return (
            ErrorKind.UNSUPPORTED_SCHEME,
            f"Unsupported scheme '{scheme}:': LoopLab fetches only http:// and https:// URLs",
        )
    hint = f" (did you mean http://{url}?)" if "." in url.split("/", 1)[0] else ""
    return ErrorKind.INVALID_URL, f"Not a URL: it should start with http:// or https://{hint}"


_WHITESPACE = re.compile(r"\s")
"""Any whitespace, as ``str.isspace`` sees it (a C loop: a 200,000-line paste is checked whole)."""


@functools.lru_cache(maxsize=4096)  # a long URL list names few hosts: check each once
def _host_problem(host: str) -> str | None:
    """What is wrong with a host name, checked the same way for both modes before sending."""
    if ":" in host:  # an IPv6 literal (urlsplit has removed the brackets)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"{host} is not a valid IPv6 address"
        return None
    labels = host.rstrip(".").split(".")
    if len(labels) == 4 and all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(host.rstrip("."))
        except ValueError:
            return f"{host} is not a valid IP address (each number must be 0 to 255)"
        return None
    if any(not label for label in labels):
        return f"the host name {host} has an empty part (two dots in a row?)"
    try:
        # IDNA 2008 with UTS 46, as requests and yarl use: also rejects labels over 63 characters.
        encoded = idna.encode(host.rstrip("."), uts46=True)
    except idna.IDNAError as exc:
        return f"{host} is not a valid host name ({exc})"
    if len(encoded) > 253:
        return "the host name is longer than 253 characters"
    return None


# --- TLS and sessions ------------------------------------------------------------------------


def make_ssl_context(extra_ca_file: str | None = None) -> ssl.SSLContext:
    """TLS verification against the OS trust store, with certifi's bundle as a fallback.

    The OS store (through truststore) is what makes school TLS proxies work: their CA is installed
    on the machine, not in any Python bundle. certifi covers machines whose store is empty.
    ``extra_ca_file`` adds a CA, for tests and for unusual setups.
    """
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(certifi.where())
    if extra_ca_file:
        context.load_verify_locations(extra_ca_file)
    return context


def open_async_session(
    ssl_context: ssl.SSLContext | None = None, recorder: RequestRecorder | None = None
) -> aiohttp.ClientSession:
    """The app's one long-lived aiohttp session. Call inside a coroutine; close with ``await close()``.

    With a ``recorder``, every request made through the session becomes a record of the
    recorder's current run (for code that makes its own requests: the lessons).
    """
    connector = aiohttp.TCPConnector(
        ssl=ssl_context or make_ssl_context(),
        # The run's worker pool is the concurrency limit; a second, hidden limit in the
        # connector would make requests queue where the timeline cannot see them.
        limit=0,
        limit_per_host=0,
        # Its own timers too (a proxy's CONNECT answer, closing idle connections): never rounded.
        timeout_ceil_threshold=_NO_CEILING,
    )
    tracing = [_phase_tracing(), _reuse_tracing()]
    return aiohttp.ClientSession(
        connector=connector,
        trace_configs=tracing if recorder is None else [recorder.tracing(), *tracing],
        headers=DEFAULT_HEADERS,
        # No trust_env: it reads ~/.netrc in a worker thread for every request. Proxies come
        # from FetchOptions instead, the same way for both libraries.
        trust_env=False,
        # fetch_async keeps its own deadline; this default is for the lessons' own requests.
        timeout=aiohttp.ClientTimeout(total=None, ceil_threshold=_NO_CEILING),
        # http.client's limits, so a head too large for one mode is too large for the other.
        # aiohttp counts a header's name and value, a status line's reason; http.client counts
        # whole lines: these agree to the byte for "Name: value\r\n" and "HTTP/1.1 200 reason\r\n".
        max_line_size=MAX_HEAD_LINE - len(b"HTTP/1.1 200 \r\n"),
        max_field_size=MAX_HEAD_LINE - len(b": \r\n"),
        max_headers=MAX_HEADERS,
        middlewares=(_retry_stale_connection,),
    )


class _LoopLabAdapter(requests.adapters.HTTPAdapter):
    """Makes requests read answers, trust certificates and retry the way the async mode does.

    - TLS is verified with our context, so both modes trust exactly the same CAs;
    - its connections read answers with :class:`_CheckedResponse` and know when they are reused;
    - a stale kept-alive connection is retried once (:class:`_RetryStaleConnection`), nothing else.
    """

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        # requests' own default is Retry(0, read=False): no retries at all.
        super().__init__(max_retries=_RetryStaleConnection(0, read=False))

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _CHECKED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # type: ignore[no-untyped-def]
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _CHECKED_POOLS
        return manager

    def cert_verify(self, conn, url, verify, cert):  # type: ignore[no-untyped-def]
        super().cert_verify(conn, url, verify, cert)
        if verify is True:
            # requests would point urllib3 at certifi again for every new connection; the shared
            # context already has it (and the OS store), so loading it again only costs time.
            conn.ca_certs = None
            conn.ca_cert_dir = None


class _Session(requests.Session):
    def get_redirect_target(self, resp: requests.Response) -> None:
        # LoopLab follows redirects itself (redirect_target). requests would still work out the
        # next hop of every redirect, even with allow_redirects=False, and fail on a Location
        # like "http://[::1" with a bare ValueError.
        return None


def open_blocking_session(ssl_context: ssl.SSLContext | None = None) -> requests.Session:
    """The app's requests session: connection reuse, and the same TLS trust and headers as aiohttp."""
    session = _Session()
    session.trust_env = False  # proxies come from FetchOptions, as for aiohttp
    adapter = _LoopLabAdapter(ssl_context or make_ssl_context())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.clear()  # requests adds Connection: keep-alive; aiohttp does not
    session.headers.update(DEFAULT_HEADERS)
    return session


# --- the async way ---------------------------------------------------------------------------


@dataclass
class _TracedRequest:
    """What aiohttp's request tracing needs to fill in a record's DNS and connect times."""

    record: RequestRecord
    clock: Callable[[], float]
    dns_from: float | None = None
    """Set while a DNS look-up is under way."""
    connect_from: float | None = None
    """Set while a connection is being opened."""
    dns_before_connect: float = 0.0

    def start_dns(self) -> None:
        self.dns_from = self.clock()

    def end_dns(self) -> None:
        if self.dns_from is not None:
            self.record.dns = (self.record.dns or 0.0) + self.clock() - self.dns_from
            self.dns_from = None

    def start_connect(self) -> None:
        self.connect_from = self.clock()
        self.dns_before_connect = self.record.dns or 0.0

    def end_connect(self) -> None:
        # aiohttp's "connection create" span includes the DNS look-up it triggers; subtracting
        # it keeps the phases apart, so DNS is not drawn twice.
        if self.connect_from is not None:
            dns_inside = (self.record.dns or 0.0) - self.dns_before_connect
            spent = self.clock() - self.connect_from - dns_inside
            self.record.connect = (self.record.connect or 0.0) + max(0.0, spent)
            self.connect_from = None

    def close_open_phases(self) -> None:
        """A request that failed mid-look-up or mid-connect spent that time there, not "waiting"."""
        self.end_dns()
        self.end_connect()


def _phase_tracing() -> aiohttp.TraceConfig:
    """Times DNS look-ups and connection set-up (TCP + TLS) of each request, across redirects.

    aiohttp calls these hooks with the ``trace_request_ctx`` that :func:`fetch_async` passes;
    other uses of the session pass none and are not traced.
    """

    def target(context: object) -> _TracedRequest | None:
        # fetch_async passes its record in; a RequestRecorder's session files one per request.
        traced = getattr(context, "trace_request_ctx", None) or getattr(context, "recorded", None)
        # A request left running after its run ended belongs to no run any more.
        return traced if isinstance(traced, _TracedRequest) and traced.record.writable else None

    def hook(step: Callable[[_TracedRequest], None]) -> Callable[[object, object, object], Awaitable[None]]:
        async def on_signal(_session: object, context: object, _params: object) -> None:
            if traced := target(context):
                step(traced)

        return on_signal

    config = aiohttp.TraceConfig()
    config.on_dns_resolvehost_start.append(hook(_TracedRequest.start_dns))
    config.on_dns_resolvehost_end.append(hook(_TracedRequest.end_dns))
    config.on_connection_create_start.append(hook(_TracedRequest.start_connect))
    config.on_connection_create_end.append(hook(_TracedRequest.end_connect))
    config.freeze()
    return config


@dataclass
class _Attempt:
    """One try at sending a request and reading its status line and headers."""

    reused: bool = False
    """It went out on a kept-alive connection that had already carried an answer."""


_attempt: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar("looplab_attempt", default=None)
"""The attempt :func:`_retry_stale_connection` is making; the connector's tracing, which runs in
the same task, says on it whether the connection was reused."""


def _reuse_tracing() -> aiohttp.TraceConfig:
    """Tells the current :class:`_Attempt` whether its connection was reused or opened for it."""

    async def reused(_session: object, _context: object, _params: object) -> None:
        if attempt := _attempt.get():
            attempt.reused = True

    async def opened(_session: object, _context: object, _params: object) -> None:
        if attempt := _attempt.get():
            attempt.reused = False

    config = aiohttp.TraceConfig()
    config.on_connection_reuseconn.append(reused)
    config.on_connection_create_start.append(opened)
    config.freeze()
    return config


class ConnectionDropped(aiohttp.ClientConnectionError):
    """The connection closed or reset before the answer's headers, and retrying would not help.

    Wraps (as ``__cause__``) the :class:`aiohttp.ServerDisconnectedError` or
    :class:`aiohttp.ClientOSError` that showed it, so that aiohttp's own retry, which would
    retry a fresh connection too, never sees it (aiohttp has no switch for that retry:
    https://github.com/aio-libs/aiohttp/issues/10790).
    """


_DROPPED_ERRNOS = frozenset({errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE})


async def _retry_stale_connection(
    request: aiohttp.ClientRequest, send: Callable[[aiohttp.ClientRequest], Awaitable[aiohttp.ClientResponse]]
) -> aiohttp.ClientResponse:
    """Retries a GET once when its kept-alive connection turned out to be dead, and only then.

    A server may close an idle kept-alive connection just as the next request goes out on it; the
    request never reached anyone, and browsers send it again on a new connection (RFC 9112, 9.3.1).
    That is the only failure retried: the connection had carried an answer before, and the server
    closed it before sending anything, or reset it before the headers were complete (aiohttp
    cannot tell how much came before a reset). A fresh connection that fails, or an answer that
    breaks off later, fails the request. :class:`_RetryStaleConnection` is the same rule for requests.
    """
    for tries_left in (1, 0):
        attempt = _Attempt()
        token = _attempt.set(attempt)
        try:
            return await send(request)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientConnectionResetError) as exc:
            if isinstance(exc, aiohttp.ClientConnectorError):
                raise  # connecting failed: nothing was sent, and aiohttp does not retry these
            nothing_came = (
                # With part of an answer parsed, the exception carries it instead of a text.
                isinstance(exc.message, str)
                if isinstance(exc, aiohttp.ServerDisconnectedError)
                else isinstance(exc, aiohttp.ClientConnectionResetError) or exc.errno in _DROPPED_ERRNOS
            )
            if tries_left and attempt.reused and nothing_came and request.method == "GET":
                log.debug("retrying %s: the kept-alive connection was dropped (%s)", request.url, exc)
                continue
            raise ConnectionDropped(str(exc)) from exc
        finally:
            _attempt.reset(token)
    raise AssertionError("unreachable: the last try returns or raises")


async def fetch_async(
    session: aiohttp.ClientSession,
    record: RequestRecord,
    options: FetchOptions,
    clock: Callable[[], float],
    on_change: OnChange = _no_change,
) -> None:
    """Fetches ``record.url`` with aiohttp, filling in ``record``. Never raises, except CancelledError."""
    record.begin(clock())
    # aiohttp reports DNS and connecting through tracing; none reported means none happened
    # (an IP address, a reused connection).
    record.dns = record.connect = 0.0
    on_change(record)
    traced = _TracedRequest(record, clock)
    url = record.url  # the hop under way, which is what a failure names
    try:
        # One deadline for the whole request, every redirect and the body included, fired on
        # the dot: asyncio's own timer, not aiohttp's, which rounds 5 s or more up to a second.
        async with asyncio.timeout(options.timeout):
            for _hop in range(options.max_redirects + 1):
                async with session.get(
                    url,
                    allow_redirects=False,  # followed below, by the same rules as blocking mode
                    auto_decompress=False,  # decoded below, by the same decoder as blocking mode
                    headers=dict(options.headers),
                    proxy=proxy_for(url, options.proxies),
                    trace_request_ctx=traced,
                ) as response:
                    version = response.version
                    if (version.major, version.minor) not in ((1, 0), (1, 1)):
                        # llhttp takes "HTTP/2.0 200" and "HTTP/0.9 200" on an HTTP/1 connection; http.client does not.
                        raise BadAnswer(AnswerFault.BAD_STATUS_LINE)
                    next_url = redirect_target(url, response.status, response.headers.get("Location"))
                    if next_url is not None:
                        await _drop_redirect_body(response)
                        url = next_url
                        continue
                    record.response_at = clock()
                    record.status = response.status
                    record.reason = response.reason or ""
                    record.http_version = f"HTTP/{version.major}.{version.minor}"
                    record.content_type = response.headers.get("Content-Type", "")
                    on_change(record)
                    _refuse_announced_size(response.content_length, options.max_body_bytes)
                    decoder = BodyDecoder(",".join(response.headers.getall("Content-Encoding", ())))
                    async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                        _count_body(record, decoder.decode(chunk), options)
                        on_change(record)
                    _count_body(record, decoder.finish(), options)
                    break
            else:
                raise TooManyRedirects()
        record.finish(clock())
    except asyncio.CancelledError:
        traced.close_open_phases()
        record.cancel(clock())
        on_change(record)
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes the row's message
        traced.close_open_phases()
        record.fail(clock(), *describe_error(exc, url, options))
    on_change(record)


async def _drop_redirect_body(response: aiohttp.ClientResponse) -> None:
    """Reads a redirect's own small body, so its connection can carry the next hop."""
    read = 0
    async for chunk in response.content.iter_chunked(CHUNK_SIZE):
        read += len(chunk)
        if read > _REDIRECT_BODY_READ:
            return  # not worth waiting for: leaving it unread closes the connection instead


async def run_async(
    run: Run,
    session: aiohttp.ClientSession,
    options: FetchOptions,
    on_change: OnChange = _no_change,
) -> None:
    """Fetches every pending record of ``run`` concurrently, at most ``run.concurrency`` at once.

    A fixed pool of workers takes the URLs in order, so a slow URL never holds back the others
    and there are never more tasks than slots. Cancelling this coroutine cancels every request
    in flight and marks the ones not yet started as cancelled.
    """
    queue: Iterator[RequestRecord] = iter(run.runnable)

    async def worker() -> None:
        for record in queue:
            await fetch_async(session, record, options, run.clock, on_change)

    workers: list[asyncio.Task[None]] = []
    try:
        for n in range(min(run.concurrency, len(run.runnable))):
            workers.append(asyncio.ensure_future(worker()))
            if (n + 1) % START_SLICE == 0:
                await asyncio.sleep(0)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        run.cancel_unfinished()


class RequestRecorder:
    """Files every request of a session as a :class:`RequestRecord` of the current run.

    For code the lab does not write itself (a lesson's ``session.get(...)``): aiohttp's request
    tracing tells when each request starts, gets its headers, receives its body or fails, the
    way a browser's devtools watch a page.
    """

    def __init__(self) -> None:
        self._run: Run | None = None

    def follow(self, run: Run | None) -> None:
        """Records into ``run`` from now on (None: stop recording)."""
        self._run = run

    def settle(self) -> None:
        """Ends the records the code left open: answered ones at their last sign of life."""
        if self._run is None:
            return
        for record in self._run.records:
            if record.state.finished:
                continue
            last = record.ended if record.ended is not None else record.response_at
            if record.status is not None and last is not None:
                record.finish(last)
            else:
                record.cancel(self._run.clock())

    def tracing(self) -> aiohttp.TraceConfig:
        async def started(_session: object, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
            run = self._run
            if run is None:
                return
            record = RequestRecord(index=len(run.records), url=str(params.url))
            record.begin(run.clock())
            record.dns = record.connect = 0.0
            run.records.append(record)
            context.recorded = _TracedRequest(record, run.clock)

        def following(context: Any) -> _TracedRequest | None:
            # A request the code left running after its run ended belongs to no run any more.
            traced = getattr(context, "recorded", None)
            return traced if traced is not None and traced.record.writable else None

        async def answered(_session: object, context: Any, params: aiohttp.TraceRequestEndParams) -> None:
            if traced := following(context):
                record, now = traced.record, traced.clock()
                record.response_at = record.ended = now
                record.status, record.reason = params.response.status, params.response.reason or ""
                version = params.response.version
                record.http_version = f"HTTP/{version.major}.{version.minor}"
                record.content_type = params.response.headers.get("Content-Type", "")

        async def body(_session: object, context: Any, params: aiohttp.TraceResponseChunkReceivedParams) -> None:
            if traced := following(context):
                traced.record.bytes_received += len(params.chunk)
                traced.record.ended = traced.clock()  # the body has been read: the request is done
                traced.record.finish(traced.record.ended)

        async def failed(_session: object, context: Any, params: aiohttp.TraceRequestExceptionParams) -> None:
            if traced := following(context):
                traced.close_open_phases()
                if isinstance(params.exception, asyncio.CancelledError):  # Cancel, or the window closing
                    traced.record.cancel(traced.clock())
                    return
                kind, message = describe_error(params.exception, traced.record.url, FetchOptions(proxies={}))
                traced.record.fail(traced.clock(), kind, message)

        config = aiohttp.TraceConfig()
        config.on_request_start.append(started)
        config.on_request_end.append(answered)
        config.on_response_chunk_received.append(body)
        config.on_request_exception.append(failed)
        config.freeze()
        return config


# --- the blocking way ------------------------------------------------------------------------


def fetch_blocking(
    session: requests.Session,
    record: RequestRecord,
    options: FetchOptions,
    clock: Callable[[], float],
    on_change: OnChange = _no_change,
) -> None:
    """Fetches ``record.url`` with requests on the calling thread, filling in ``record``. Never raises."""
    record.begin(clock())
    on_change(record)
    deadline = time.monotonic() + options.timeout
    url = record.url  # the hop under way, which is what a failure names
    try:
        for _hop in range(options.max_redirects + 1):
            with session.get(
                url,
                stream=True,
                allow_redirects=False,  # followed below, by the same rules as async mode
                timeout=_Deadline(deadline),
                headers=dict(options.headers),
                proxies=_requests_proxies(url, options.proxies),
            ) as response:
                next_url = redirect_target(url, response.status_code, _as_aiohttp_reads_it(response.headers.get("Location")))
                if next_url is not None:
                    _drop_redirect_body_blocking(response, deadline)
                    url = next_url
                    continue
                record.response_at = clock()
                record.status = response.status_code
                record.reason = response.reason or ""
                version = getattr(response.raw, "version", 11)  # http.client style: 10, 11
                record.http_version = f"HTTP/{version // 10}.{version % 10}"
                record.content_type = response.headers.get("Content-Type", "")
                on_change(record)
                announced = response.headers.get("Content-Length", "").strip()
                _refuse_announced_size(int(announced) if announced.isdigit() else None, options.max_body_bytes)
                decoder = BodyDecoder(response.headers.get("Content-Encoding", ""))
                # read1 returns whatever one socket read brings: iter_content would wait for a full
                # chunk, so a slow trickle could overrun the deadline by the whole body's time.
                while _limit_next_read(response, deadline) and (
                    chunk := response.raw.read1(CHUNK_SIZE, decode_content=False)
                ):
                    _count_body(record, decoder.decode(chunk), options)
                _count_body(record, decoder.finish(), options)
                break
        else:
            raise TooManyRedirects()
        record.finish(clock())
    except Exception as exc:  # noqa: BLE001 - every failure becomes the row's message
        record.fail(clock(), *describe_error(exc, url, options))
    on_change(record)


def _as_aiohttp_reads_it(value: str | None) -> str | None:
    """A header value as aiohttp decodes it (UTF-8), from the Latin-1 that http.client decodes.

    A Location with a non-ASCII path must lead both modes to the same URL.
    """
    return None if value is None else value.encode("latin-1").decode("utf-8", "surrogateescape")


def _drop_redirect_body_blocking(response: requests.Response, deadline: float) -> None:
    """Reads a redirect's own small body, so its connection can carry the next hop."""
    read = 0
    while _limit_next_read(response, deadline) and (chunk := response.raw.read1(CHUNK_SIZE, decode_content=False)):
        read += len(chunk)
        if read > _REDIRECT_BODY_READ:
            return  # not worth waiting for: closing the response closes the connection instead


def run_blocking(
    run: Run,
    session: requests.Session,
    options: FetchOptions,
    on_change: OnChange = _no_change,
) -> None:
    """Fetches every pending record of ``run`` one after another, blocking the calling thread."""
    for record in run.runnable:
        fetch_blocking(session, record, options, run.clock, on_change)


class _Deadline(urllib3.Timeout):
    """A urllib3 timeout that always allows just the time left until one deadline.

    requests only times connecting and each socket read, and starts afresh on every redirect
    hop. urllib3 takes a fresh copy of the timeout for every request it sends (each hop
    included) through ``clone()``, so each copy gets the time that is left, and the whole
    request gives up when the async mode does.
    """

    def __init__(self, deadline: float) -> None:
        super().__init__(total=max(0.001, deadline - time.monotonic()))
        self.deadline = deadline

    def clone(self) -> _Deadline:
        return _Deadline(self.deadline)


def _limit_next_read(response: requests.Response, deadline: float) -> bool:
    """Lets the next socket read wait no longer than the deadline (a stall mid-body included)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TotalTimeout()
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(remaining)
    return True


def _requests_proxies(url: str, proxies: Mapping[str, str]) -> dict[str, str]:
    proxy = proxy_for(url, proxies)
    return {urlsplit(url).scheme.lower(): proxy} if proxy else {}


def _refuse_announced_size(content_length: int | None, limit: int) -> None:
    if content_length is not None and content_length > limit:
        raise BodyTooLarge(limit, announced=content_length)


def _count_body(record: RequestRecord, pieces: Iterable[bytes], options: FetchOptions) -> None:
    for piece in pieces:
        record.bytes_received += len(piece)
        if record.bytes_received > options.max_body_bytes:
            raise BodyTooLarge(options.max_body_bytes)


# --- what both modes decide the same way: redirects and bodies -------------------------------


def redirect_target(url: str, status: int, location: str | None) -> str | None:
    """Where an answer sends the request next, or None when it is the final answer.

    One rule for both modes, so a redirect to nowhere, to ``ftp:`` or to something that is not a
    URL gives the same row: the Location is resolved against the URL it came from, with spaces
    and non-ASCII letters percent-encoded as browsers do, then checked like a typed URL.
    """
    if status not in REDIRECT_STATUSES:
        return None
    if location is None or not location.strip():
        raise BadAnswer(AnswerFault.REDIRECT_WITHOUT_LOCATION, status=status)
    location = location.strip()
    requoted = quote(location, safe="!#$%&'()*+,/:;=?@[]~", errors="surrogateescape")
    try:
        target = urljoin(url, requoted)
    except ValueError:  # urlsplit refuses it outright, e.g. "http://[::1"
        raise BadRedirect(location, ErrorKind.INVALID_URL) from None
    if problem := check_url(target):
        raise BadRedirect(target, problem[0])
    return target


class BodyDecoder:
    """Undoes a body's Content-Encoding, the same way in both modes.

    aiohttp and urllib3 both decode bodies, but not alike: an unknown coding passes through one
    and a ``br`` body fails in the other; a truncated deflate body fails in one only; only one
    undoes two codings in a row; and their errors differ. So both modes read the raw bytes and
    this decodes them: gzip and deflate, what ``Accept-Encoding`` asks for, in any number of
    layers. A coding we did not ask for fails the body, as Chrome does
    (ERR_CONTENT_DECODING_FAILED), whether or not a library for it happens to be installed.
    An empty body is fine whatever it says. Output comes in pieces of at most ``CHUNK_SIZE``, so
    a small body that inflates to gigabytes stops at the body cap instead of filling memory.
    """

    def __init__(self, content_encoding: str) -> None:
        codings = [coding.strip().lower() for coding in content_encoding.split(",")]
        codings = [coding for coding in codings if coding and coding != "identity"]
        unknown = [coding for coding in codings if coding not in DECODED_CODINGS]
        self._unsupported = _printable(unknown[0]) if unknown else None
        # Listed in the order they were applied, so undone from the last one back.
        self._layers = [] if unknown else [_Inflater(coding) for coding in reversed(codings)]

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next raw bytes of the body (lazily: stop reading to stop work)."""
        if data and self._unsupported:
            raise UnsupportedEncoding(self._unsupported)
        pieces: Iterator[bytes] = iter((data,) if data else ())
        for layer in self._layers:
            pieces = layer.feed(pieces)
        return pieces

    def finish(self) -> Iterator[bytes]:
        """What is left once the raw body has ended; raises if a layer ends short of its end."""
        pieces: Iterator[bytes] = iter(())
        for layer in self._layers:
            pieces = layer.finish(pieces)
        return pieces


class _Inflater:
    """One gzip or deflate layer of a body."""

    def __init__(self, coding: str) -> None:
        self.coding = "gzip" if coding == "x-gzip" else coding
        self._zlib: Any = None  # a zlib decompress object, made when the first bytes show which
        self._first = b""
        self._fed = False

    def feed(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for data in pieces:
            if not data:
                continue
            self._fed = True
            if self._zlib is None:
                data, self._first = self._first + data, b""
                if self.coding == "deflate" and len(data) < 2:
                    self._first = data  # two bytes tell the wrappings apart
                    continue
                self._zlib = self._start(data)
            yield from self._inflate(data)

    def finish(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        yield from self.feed(pieces)
        if not self._fed:
            return
        if self._zlib is None or not self._zlib.eof:
            raise UndecodableBody(self.coding)  # cut short: the compressed data never says it ended

    def _start(self, data: bytes) -> Any:
        if self.coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # The standard's deflate is zlib-wrapped (RFC 9110, 8.4.1.2), but many servers send it
        # raw; browsers take both, told apart by the zlib header (RFC 1950: CM 8, and the first
        # two bytes a multiple of 31), as aiohttp and urllib3 also do.
        wrapped = data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._zlib.eof:
                # gzip allows members back to back; anything else after the end is ignored, as
                # browsers and both libraries do.
                if self.coding != "gzip" or not data.startswith(b"\x1f\x8b"):
                    return
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = self._zlib.decompress(data, CHUNK_SIZE)
            except zlib.error as exc:
                raise UndecodableBody(self.coding) from exc
            data = self._zlib.unused_data if self._zlib.eof else self._zlib.unconsumed_tail
            if out:
                yield out


def _printable(text: str, limit: int = 40) -> str:
    """Text from the network, safe to put in a one-line message."""
    return "".join(ch if ch.isascii() and ch.isprintable() else "?" for ch in text)[:limit]


# --- blocking mode: reading answers by the rules the async mode keeps ------------------------

_STATUS_LINE = re.compile(rb"(HTTP/1\.[01]) ([0-9]{3})(?: ([^\r\n]*))?\r?\n")
"""What aiohttp's parser takes as a status line (it also takes HTTP/0.9 and HTTP/2.0, which
:func:`fetch_async` refuses after the fact, as http.client refuses them)."""
_HEADER_LINE = re.compile(rb"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:|[ \t])[^\x00\r\n]*\r?\n")
"""A header (a token, a colon, a value without NUL or a stray CR) or an obsolete folded
continuation line, which both libraries still take."""
_END_OF_HEAD = (b"\r\n", b"\n")
_CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
"""A chunk size as aiohttp takes it: hex digits that fit 64 bits, then maybe an extension."""


class _HeadReader:
    """The socket's file as :class:`_CheckedResponse` lets http.client read a head from it.

    Line by line, within the deadline and the size limits, keeping each line to check.
    """

    def __init__(self, fp: Any, sock: Any) -> None:
        self.fp = fp
        self._sock = sock
        # urllib3 sets the socket's timeout to the time left (see _Deadline) just before reading
        # an answer. http.client would allow that long for *each* read, so a server that trickles
        # its headers a byte at a time could hold the request far past the deadline; here it is
        # the time for the whole head.
        timeout = sock.gettimeout() if hasattr(sock, "gettimeout") else None
        self._deadline = time.monotonic() + timeout if timeout else None
        self.lines: list[bytes] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fp, name)  # close(), flush(), ... as the real file

    def readline(self, _limit: int = -1) -> bytes:
        line = bytearray()
        while True:
            self._allow_next_read()
            buffered = self.fp.peek(1)  # at most one socket read, and only when nothing is buffered
            if not buffered:
                break  # the server closed the connection
            end = buffered.find(b"\n")
            line += self.fp.read(len(buffered) if end < 0 else end + 1)
            if len(line) > MAX_HEAD_LINE:
                raise BadAnswer(AnswerFault.HEADERS_TOO_LARGE)
            if end >= 0:
                break
        self.lines.append(bytes(line))
        if sum(1 for kept in self.lines if kept not in _END_OF_HEAD) > MAX_HEADERS:
            raise BadAnswer(AnswerFault.HEADERS_TOO_LARGE)
        return bytes(line)

    def skip_head(self) -> None:
        """Reads the headers of an interim (1xx) answer, checked like any others, and forgets them."""
        while self.readline() not in (*_END_OF_HEAD, b""):
            pass
        self.check_headers()

    def check_headers(self) -> None:
        """Raises :class:`BadAnswer` for the first thing in the headers read that aiohttp refuses."""
        fields = []
        for line in self.lines:
            if line in _END_OF_HEAD:
                break
            if not line.endswith(b"\n"):  # b"" included: the connection closed mid-head
                raise BadAnswer(AnswerFault.BROKE_OFF)
            if not _HEADER_LINE.fullmatch(line):
                raise BadAnswer(AnswerFault.BAD_HEADER)
            fields.append(line)
        self.lines.clear()
        _check_framing(fields)

    def _allow_next_read(self) -> None:
        if self._deadline is None:
            return
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")  # socket.timeout: urllib3 makes it a ReadTimeoutError
        self._sock.settimeout(remaining)


def _check_framing(fields: list[bytes]) -> None:
    """Refuses a body length that aiohttp refuses: http.client would guess one instead."""
    lengths = []
    transfer_encoding = False
    for line in fields:
        name, _, value = line.partition(b":")
        name = name.lower()
        if name == b"content-length":
            lengths.append(value.strip(b" \t\r\n"))
        elif name == b"transfer-encoding":
            transfer_encoding = True
    if len(lengths) > 1 or (lengths and not (lengths[0].isdigit() and int(lengths[0]) < 2**64)):
        raise BadAnswer(AnswerFault.BAD_LENGTH)
    if lengths and transfer_encoding:
        raise BadAnswer(AnswerFault.LENGTH_AND_CHUNKED)


class _CheckedResponse(http.client.HTTPResponse):
    """http.client's response, reading the status line and headers as strictly as aiohttp does.

    http.client is lenient where aiohttp (llhttp) is strict: it takes a header line with no colon
    (and silently drops every header after it), a Content-Length of "ten", or a connection that
    closes halfway through the headers as a complete, empty answer; it hands 103 Early Hints over
    as the final answer. Here those fail (or, for 1xx, are skipped) the way they do in async mode.
    """

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self._head = _HeadReader(self.fp, sock)

    def begin(self) -> None:
        if self.headers is not None:
            return
        self.fp = self._head
        try:
            super().begin()
        finally:
            if self.fp is self._head:  # (http.client drops fp when it closes the connection)
                self.fp = self._head.fp  # the body is read straight from the socket's file again
        self._head.check_headers()
        codings = [c.strip().lower() for c in self.headers.get("Transfer-Encoding", "").split(",")]
        if not self.chunked and codings[-1] == "chunked":
            # http.client reads chunks only for exactly "chunked"; "gzip, chunked" is chunked too
            # (RFC 9112, 6.1), as aiohttp and urllib3 read it.
            self.chunked, self.chunk_left, self.length = True, None, None

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            line = self._head.readline()
            self._head.lines.clear()  # what comes next are this answer's headers
            if line in _END_OF_HEAD:
                continue  # an empty line before the status line, which aiohttp skips too
            if not line:
                raise http.client.RemoteDisconnected("Remote end closed connection without response")
            if not line.endswith(b"\n"):
                raise BadAnswer(AnswerFault.BROKE_OFF)
            status_line = _STATUS_LINE.fullmatch(line)
            if status_line is None:
                raise BadAnswer(AnswerFault.BAD_STATUS_LINE if line.startswith(b"HTTP/") else AnswerFault.NOT_HTTP)
            status = int(status_line[2])
            if status < 200 and status != 101:
                # 100 Continue, 102 Processing, 103 Early Hints: interim answers before the real
                # one, skipped as aiohttp and browsers skip them (101 switches protocols: final).
                self._head.skip_head()
                continue
            return status_line[1].decode("ascii"), status, (status_line[3] or b"").decode("iso-8859-1")

    def _read_next_chunk_size(self) -> int:
        # http.client reads any int(line, 16): "-2" and 20 hex digits included, which aiohttp
        # refuses. Called, like the method it replaces, for each chunk of a chunked body.
        line = self.fp.readline(MAX_HEAD_LINE + 1)
        if not line.endswith(b"\n"):
            raise http.client.IncompleteRead(b"")  # the connection ended in the middle of the body
        size = _CHUNK_SIZE_LINE.fullmatch(line)
        if size is None:
            self._close_conn()
            raise BadAnswer(AnswerFault.BAD_CHUNKS)
        return int(size[1], 16)


class _ReuseAwareConnection:
    """Knows whether its socket has carried an answer before, and says so when that socket fails.

    Mixed into urllib3's connections, for :class:`_RetryStaleConnection`.
    """

    response_class = _CheckedResponse
    _answered = False

    def connect(self) -> None:
        self._answered = False  # a new socket: nothing has come over it yet
        super().connect()  # type: ignore[misc]

    def getresponse(self) -> Any:
        reused = self._answered
        try:
            response = super().getresponse()  # type: ignore[misc]
        except ConnectionError as exc:  # closed before anything came (RemoteDisconnected), or reset
            if reused:
                raise StaleConnection(str(exc)) from exc
            raise
        self._answered = True
        return response


class _CheckedHTTPConnection(_ReuseAwareConnection, urllib3.connection.HTTPConnection):
    pass


class _CheckedHTTPSConnection(_ReuseAwareConnection, urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        try:
            super().connect()
        except (ConnectionResetError, ConnectionAbortedError, ssl.SSLEOFError, ssl.SSLZeroReturnError) as exc:
            # Connecting itself fails as NewConnectionError, so this is the TLS handshake; aiohttp
            # calls it a failed connection too, and both are the same row (describe_error).
            raise TLSHangUp(str(exc)) from exc


class _CheckedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


_CHECKED_POOLS = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


class _RetryStaleConnection(urllib3.util.retry.Retry):
    """requests' "no retries", except once for a GET whose kept-alive connection was dropped.

    The same rule as :func:`_retry_stale_connection` for aiohttp: only a :class:`StaleConnection`
    (a reused connection, closed before anything came or reset before the headers were
    complete), only for GET, only once. A fresh connection that fails, or an answer that breaks
    off once it has started, fails the request.
    """

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # type: ignore[no-untyped-def]
        if method == "GET" and _is_stale(error) and not any(_is_stale(h.error) for h in self.history):
            log.debug("retrying %s: the kept-alive connection was dropped (%s)", url, error)
            return self.new(history=(*self.history, urllib3.util.retry.RequestHistory(method, url, error, None, None)))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _is_stale(error: BaseException | None) -> bool:
    return error is not None and any(isinstance(e, StaleConnection) for e in _exception_chain(error))


# --- turning exceptions into messages --------------------------------------------------------


_TLS_VERIFY_PROBLEMS = {
    9: "it is not valid yet: is this computer's clock right?",  # X509_V_ERR_CERT_NOT_YET_VALID
    10: "it has expired",  # X509_V_ERR_CERT_HAS_EXPIRED
    18: "it is self-signed",  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    19: "it comes from an authority this computer does not trust",  # SELF_SIGNED_CERT_IN_CHAIN
    20: "it comes from an authority this computer does not trust",  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: "it comes from an authority this computer does not trust",  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
    23: "it has been revoked",  # X509_V_ERR_CERT_REVOKED
    62: "it was issued for another name",  # X509_V_ERR_HOSTNAME_MISMATCH
    64: "it was issued for another address",  # X509_V_ERR_IP_ADDRESS_MISMATCH
}
"""OpenSSL's verification codes in plain words; the rest keep OpenSSL's own (quotes removed)."""


def describe_error(exc: BaseException, url: str, options: FetchOptions) -> tuple[ErrorKind, str]:
    """The kind of failure and one line a student can read, for either library's exceptions.

    ``url`` is the address being fetched when it failed (a redirect's target, after a redirect).
    The same fault gives the same kind and the same words in both modes; the words never carry a
    Python class name, a repr or an errno.
    """
    chain = list(_exception_chain(exc))
    parts = urlsplit(url)
    host = parts.hostname or url
    where = f"{host}:{parts.port}" if parts.port is not None else host

    def has(*types: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, types)), None)

    def innermost(*types: type[BaseException]) -> BaseException | None:
        # The deepest match says it best: requests' outer errors read like
        # "HTTPSConnectionPool(host=...): Max retries exceeded with url: ...".
        return next((e for e in reversed(chain) if isinstance(e, types)), None)

    if isinstance(exc, BodyTooLarge):
        return ErrorKind.TOO_LARGE, str(exc)
    if isinstance(exc, BadRedirect):
        return exc.kind, str(exc)
    if body := has(UndecodableBody, UnsupportedEncoding):
        return ErrorKind.CONTENT_ENCODING, str(body)
    if has(aiohttp.http_exceptions.ContentEncodingError, urllib3.exceptions.DecodeError):
        # Only a library's own decoding gets here (a lesson's session.get): no coding to name.
        return ErrorKind.CONTENT_ENCODING, "The server sent a compressed body that could not be decoded"
    if has(ssl.SSLCertVerificationError):
        # aiohttp's subclass of it has no verify_message; the ssl error it wraps does.
        code = next((c for e in chain if (c := getattr(e, "verify_code", None))), None)
        message = next((m for e in chain if (m := getattr(e, "verify_message", None))), "verification failed")
        detail = _TLS_VERIFY_PROBLEMS.get(code, message.replace("'", "").rstrip("."))
        return ErrorKind.TLS, f"TLS: the certificate of {host} is not trusted ({detail})"
    if has(TLSHangUp) or (
        # aiohttp reports a handshake cut short as a failure to connect, with the reset inside;
        # so does either library when the reset beats the end of connecting (a server that
        # resets at once), which from here looks the same.
        parts.scheme == "https"
        and has(aiohttp.ClientConnectorError, urllib3.exceptions.NewConnectionError)
        and has(ConnectionResetError, ConnectionAbortedError)
    ):
        return ErrorKind.TLS, f"TLS handshake with {host} failed: the server closed the connection"
    if has(ssl.SSLError, aiohttp.ClientSSLError, requests.exceptions.SSLError):
        tls_error = innermost(ssl.SSLError) or innermost(aiohttp.ClientSSLError, requests.exceptions.SSLError)
        reason = getattr(tls_error, "reason", None)
        if reason == "WRONG_VERSION_NUMBER":  # what an https:// URL to a plain-HTTP server gives
            return ErrorKind.TLS, f"TLS handshake with {host} failed: it does not speak TLS (try http://)"
        detail = reason.replace("_", " ").lower() if isinstance(reason, str) else "the connection was not secure"
        return ErrorKind.TLS, f"TLS handshake with {host} failed ({detail})"
    if has(socket.gaierror, aiohttp.ClientConnectorDNSError, urllib3.exceptions.NameResolutionError):
        return ErrorKind.DNS, f"Host not found: {host} (check the spelling, or the computer may be offline)"
    if has(ConnectionRefusedError):
        return ErrorKind.REFUSED, f"Connection refused by {where}: nothing is listening there"
    if any(
        isinstance(e, (TimeoutError, requests.exceptions.Timeout, urllib3.exceptions.TimeoutError))
        # urllib3's "could not connect" subclasses its connect *timeout*, for old times' sake:
        # a connection reset while connecting would otherwise read "Timed out".
        and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in chain
    ):
        return ErrorKind.TIMEOUT, f"Timed out after {format_seconds_setting(options.timeout)}"
    if has(TooManyRedirects, aiohttp.TooManyRedirects, requests.exceptions.TooManyRedirects):
        return (
            ErrorKind.TOO_MANY_REDIRECTS,
            f"Too many redirects (more than {options.max_redirects}): probably a redirect loop",
        )
    if has(UnicodeError):  # a host name the IDNA codec refuses
        return ErrorKind.INVALID_URL, f"Not a URL: {host} is not a valid host name"
    if bad := has(
        aiohttp.InvalidURL,
        aiohttp.NonHttpUrlClientError,
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        urllib3.exceptions.LocationParseError,
    ):
        # LoopLab follows redirects itself (redirect_target); these come from a lesson's own requests.
        if isinstance(bad, aiohttp.RedirectClientError):
            target = str(getattr(bad, "url", "") or "?")
            redirect = BadRedirect(target, (check_url(target) or (ErrorKind.INVALID_URL, ""))[0])
            return redirect.kind, str(redirect)
        return ErrorKind.INVALID_URL, "Not a valid URL"
    if fault := _answer_fault(chain):
        return fault.kind, fault.describe(where, **next((e.details for e in chain if isinstance(e, BadAnswer)), {}))
    # Every requests exception is an OSError (RequestException subclasses IOError), so "some
    # OSError" has to mean a real socket error, not, say, requests refusing a bad header.
    socket_error = next(
        (
            e
            for e in reversed(chain)
            if isinstance(e, OSError) and not isinstance(e, (requests.exceptions.RequestException, aiohttp.ClientError))
        ),
        None,
    )
    if socket_error is not None and socket_error.strerror:
        return ErrorKind.CONNECTION, f"Could not connect to {where} ({socket_error.strerror})"
    if socket_error is not None or has(aiohttp.ClientConnectionError, requests.exceptions.ConnectionError):
        return ErrorKind.CONNECTION, f"Could not connect to {where}"
    log.error("Unexpected error while fetching %s", url, exc_info=exc)
    return ErrorKind.UNEXPECTED, f"Unexpected error: {type(exc).__name__}: {_first_line(exc)}"


def _answer_fault(chain: list[BaseException]) -> AnswerFault | None:
    """How an answer broke off or broke HTTP's rules, from either library's exceptions."""
    for exc in chain:
        if isinstance(exc, BadAnswer):
            return exc.fault
    for exc in chain:  # the closes and resets that end an exchange early
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            # With part of an answer parsed, aiohttp puts it where the text would be.
            return AnswerFault.CLOSED_WITHOUT_ANSWER if isinstance(exc.message, str) else AnswerFault.BROKE_OFF
        if isinstance(exc, http.client.RemoteDisconnected):  # http.client: nothing came at all
            return AnswerFault.CLOSED_WITHOUT_ANSWER
    if any(isinstance(e, urllib3.exceptions.InvalidChunkLength) for e in chain):
        return AnswerFault.BAD_CHUNKS
    parser_error = next(
        (e for e in reversed(chain) if isinstance(e, aiohttp.http_exceptions.HttpProcessingError)), None
    )
    if parser_error is not None:
        return _parser_fault(parser_error)
    # What http.client refuses itself (it reads the head, so _CheckedResponse usually speaks first).
    if any(isinstance(e, http.client.LineTooLong) for e in chain):
        return AnswerFault.HEADERS_TOO_LARGE
    if any(isinstance(e, (http.client.BadStatusLine, http.client.UnknownProtocol)) for e in chain):
        return AnswerFault.NOT_HTTP
    if any(
        isinstance(
            e,
            (
                aiohttp.ClientPayloadError,
                http.client.IncompleteRead,
                urllib3.exceptions.ProtocolError,  # urllib3's "Connection broken" and "ended prematurely"
                requests.exceptions.ChunkedEncodingError,
                ConnectionResetError,
                ConnectionAbortedError,
                BrokenPipeError,
            ),
        )
        for e in chain
    ):
        return AnswerFault.BROKE_OFF
    if any(isinstance(e, (http.client.HTTPException, aiohttp.ClientResponseError)) for e in chain):
        return AnswerFault.BROKEN_HTTP
    return None


def _parser_fault(error: aiohttp.http_exceptions.HttpProcessingError) -> AnswerFault:
    """What aiohttp's parser (llhttp) refused, by its exception and the words of its reason.

    llhttp says what it refused only in its message ("Invalid character in Content-Length: ..."),
    so the words decide; anything not recognised is still an invalid answer, just less specific.
    """
    if isinstance(error, (aiohttp.http_exceptions.ContentLengthError, aiohttp.http_exceptions.TransferEncodingError)):
        return AnswerFault.BROKE_OFF  # "Not enough data to satisfy ...": the connection ended early
    if isinstance(error, aiohttp.http_exceptions.LineTooLong):
        return AnswerFault.HEADERS_TOO_LARGE
    reason = str(getattr(error, "message", "") or "").split(":", 1)[0].lower()
    if isinstance(error, aiohttp.http_exceptions.BadStatusLine):
        return AnswerFault.NOT_HTTP if "expected http/" in str(getattr(error, "message", "")).lower() else AnswerFault.BAD_STATUS_LINE
    if "too many headers" in reason:
        return AnswerFault.HEADERS_TOO_LARGE
    if "transfer-encoding" in reason and "content-length" in reason:
        return AnswerFault.LENGTH_AND_CHUNKED
    if "content-length" in reason:
        return AnswerFault.BAD_LENGTH
    if "chunk" in reason:
        return AnswerFault.BAD_CHUNKS
    if isinstance(error, aiohttp.http_exceptions.InvalidHeader) or "header" in reason:
        return AnswerFault.BAD_HEADER
    return AnswerFault.BROKEN_HTTP


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps: causes, contexts and the ones libraries keep in
    attributes (urllib3's ``reason``, aiohttp's ``os_error`` and ``certificate_error``,
    requests' ``args[0]``)."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked.append(getattr(current, "os_error", None))
        linked.append(getattr(current, "certificate_error", None))
        linked.extend(current.args)
        stack.extend(e for e in linked if isinstance(e, BaseException))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
