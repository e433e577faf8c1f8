"""One description of a fetch, done two ways: aiohttp on the event loop, or requests, blocking.

Both ways take the same :class:`FetchOptions` (timeout, body cap, redirect limit, headers), trust
the same certificates and fill in the same :class:`~app.core.run.RequestRecord`, so the only
difference a student sees is the one we want them to see: who waits.

- :func:`run_async` overlaps the requests on the running event loop, at most ``concurrency`` at
  once, and can be cancelled at any moment.
- :func:`app.core.blocking.run_blocking` does them one after another on the calling thread, with
  requests. Called on the GUI thread, it freezes the window for the whole run. That is the
  lesson, so there is deliberately no ``processEvents`` and no thread there. It is a module of
  its own, loaded with the blocking mode's first use: requests and urllib3 weigh ~6 MiB and
  ~100 ms to import, which a lab that only ever runs async never needs.

Bodies are streamed and counted, never kept. Failures become a record's ``error_kind`` and a
one-line message; only a genuinely unexpected exception is logged with its traceback.

Two libraries, one set of rules: where aiohttp and requests would give a student two different
rows for one fault, LoopLab decides.

- ``app.core.http_rules``: redirects (:func:`~app.core.http_rules.redirect_target`), body
  decoding (:class:`~app.core.http_rules.BodyDecoder`), the limits on a head, and every way an
  answer can break HTTP (:class:`~app.core.http_rules.AnswerFault`);
- ``app.core.strict_http``: blocking mode reads answers as strictly as aiohttp does, and retries
  a dropped kept-alive connection once (async mode: :func:`_retry_stale_connection` here);
- ``app.core.blocking``: the requests half, which takes its rules and limits from here;
- ``app.core.faults``: either library's exceptions in one kind and one line
  (:func:`~app.core.faults.describe_error`);
- ``app.core.urls``: checking a URL before anything is sent (:func:`~app.core.urls.check_url`).
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import logging
import math
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import aiohttp.abc
import certifi
import truststore
from aiohttp.resolver import DefaultResolver

from app import __version__
from app.core.deadlines import Deadlines
from app.core.faults import describe_error, drop_tracebacks
from app.core.http_rules import (
    CHUNK_SIZE,
    MAX_HEAD_LINE,
    MAX_HEADERS,
    AnswerFault,
    BadAnswer,
    BodyDecoder,
    BodyTooLarge,
    TooManyRedirects,
    head_text,
    redirect_target,
)
from app.core.net import proxy_for
from app.core.options import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, FetchOptions  # noqa: F401 - used by callers as fetch.X
from app.core.run import RequestRecord, Run

log = logging.getLogger(__name__)

START_SLICE = 20
"""Workers started per event-loop turn: qasync makes each task start costly, and starting
hundreds in one callback stalls the window (STYLE.md, measured)."""
USER_AGENT = f"LoopLab/{__version__}"
DEFAULT_HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
"""Sent by both libraries, so the two modes send the same request and get the same answer."""
REDIRECT_BODY_READ = 64 * 1024
"""A redirect's own body is read (and dropped) up to this size, so its connection can be reused (both ways)."""
_NO_CEILING = math.inf
"""aiohttp rounds timeouts of ``ceil_threshold`` (5 s) or more up to the next whole second, which
turned "Timeout 10 s" into 10.5 s on average: a threshold no timeout reaches turns that off."""

OnChange = Callable[[RequestRecord], None]


def no_change(_record: RequestRecord) -> None:
    pass


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
    ssl_context: ssl.SSLContext | None = None,
    recorder: RequestRecorder | None = None,
    *,
    resolver: aiohttp.abc.AbstractResolver | None = None,
) -> aiohttp.ClientSession:
    """The app's one long-lived aiohttp session. Call inside a coroutine; close with ``await close()``.

    :func:`fetch_async` times its requests' DNS look-ups and connections through the session's
    connector and resolver (:class:`_TimedConnector`), at no cost per request. With a
    ``recorder``, every request made through the session becomes a record of the recorder's
    current run (for code that makes its own requests: the lessons), through aiohttp's request
    tracing. ``resolver`` replaces aiohttp's name resolution (tests: a slow or failing DNS).
    """
    connector = _TimedConnector(
        ssl=ssl_context or make_ssl_context(),
        resolver=_TimedResolver(resolver or DefaultResolver()),
        # The run's worker pool is the concurrency limit; a second, hidden limit in the
        # connector would make requests queue where the timeline cannot see them.
        limit=0,
        limit_per_host=0,
        # Its own timers too (a proxy's CONNECT answer, closing idle connections): never rounded.
        timeout_ceil_threshold=_NO_CEILING,
    )
    # Request tracing only where it is needed: aiohttp makes a trace context for each request of
    # a traced session and awaits each of its ~8 signals, hooks or none (measured: a fifth of the
    # CPU a URL run spent per request). One config, not one per concern (~30 us per config per
    # request); the phase hooks read what the recorder's hook left on the shared context.
    trace_configs = []
    if recorder is not None:
        tracing = aiohttp.TraceConfig()
        recorder.tracing(tracing)  # first: it files the record the phase hooks fill in
        _phase_tracing(tracing)
        tracing.freeze()
        trace_configs.append(tracing)
    return aiohttp.ClientSession(
        connector=connector,
        trace_configs=trace_configs,
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


# --- the async way ---------------------------------------------------------------------------


@dataclass
class _TracedRequest:
    """A request's DNS and connect phases as they happen: filled in by the session's connector
    (:func:`fetch_async`'s requests) or by aiohttp's tracing (a recorder's)."""

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


def _phase_tracing(config: aiohttp.TraceConfig) -> aiohttp.TraceConfig:
    """Times DNS look-ups and connection set-up (TCP + TLS) of each request, across redirects,
    with hooks added to ``config``.

    For a :class:`RequestRecorder`'s session: its hook files a record on each request's trace
    context, which these hooks fill in.
    """

    def target(context: object) -> _TracedRequest | None:
        # A RequestRecorder's session files one record per request (fetch_async's own requests
        # are timed by the connector instead: _TimedConnector).
        traced = getattr(context, "recorded", None)
        # A request left running after its run ended belongs to no run any more.
        return traced if isinstance(traced, _TracedRequest) and traced.record.writable else None

    def hook(step: Callable[[_TracedRequest], None]) -> Callable[[object, object, object], Awaitable[None]]:
        async def on_signal(_session: object, context: object, _params: object) -> None:
            if traced := target(context):
                step(traced)

        return on_signal

    config.on_dns_resolvehost_start.append(hook(_TracedRequest.start_dns))
    config.on_dns_resolvehost_end.append(hook(_TracedRequest.end_dns))
    config.on_connection_create_start.append(hook(_TracedRequest.start_connect))
    config.on_connection_create_end.append(hook(_TracedRequest.end_connect))
    return config


@dataclass
class _Attempt:
    """One try at sending a request and reading its status line and headers."""

    reused: bool = False
    """It went out on a kept-alive connection that had already carried an answer."""


_attempt: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar("looplab_attempt", default=None)
"""The attempt :func:`_retry_stale_connection` is making; the connector (:class:`_TimedConnector`),
which runs in the same task, says on it whether the connection was reused."""


_timed: contextvars.ContextVar[_TracedRequest | None] = contextvars.ContextVar("looplab_timed", default=None)
"""The request :func:`fetch_async` is making in this task, for the connector to time."""


class _TimedConnector(aiohttp.TCPConnector):
    """aiohttp's connector, telling :func:`fetch_async`'s request (through :data:`_timed`) how long
    its connection took to open, and the current :class:`_Attempt` whether it was reused.

    What aiohttp's tracing would say (connection create start/end, reuse), without its cost on
    every request: nothing is done for a request that reuses a connection. Connecting is
    ``_create_connection``, the step aiohttp's "connection create" signals wrap.
    """

    def __init__(self, *, resolver: _TimedResolver, **kwargs: Any) -> None:
        super().__init__(resolver=resolver, **kwargs)
        self._timed_resolver = resolver

    async def close(self, *, abort_ssl: bool = False) -> None:
        try:
            await super().close(abort_ssl=abort_ssl)
        finally:
            # A connector closes only a resolver it made itself; this one is the session's too
            # (aiodns, with aiohttp[speedups], holds a channel open until it is closed).
            await self._timed_resolver.close()

    async def connect(self, req: aiohttp.ClientRequest, traces: Any, timeout: aiohttp.ClientTimeout) -> Any:
        if attempt := _attempt.get():
            attempt.reused = True  # unless a connection is opened for it, below
        return await super().connect(req, traces, timeout)

    async def _create_connection(self, req: aiohttp.ClientRequest, traces: Any, timeout: aiohttp.ClientTimeout) -> Any:
        if attempt := _attempt.get():
            attempt.reused = False
        traced = _timed.get()
        if traced is None or not traced.record.writable:  # a request left running after its run ended
            return await super()._create_connection(req, traces, timeout)
        traced.start_connect()
        try:
            proto = await super()._create_connection(req, traces, timeout)
        except BaseException:
            # Cancelled or timed out mid-look-up: aiohttp's look-up runs on in a task of its own
            # and has not ended the DNS phase yet. DNS ends first, so connect does not count it too.
            traced.close_open_phases()
            raise
        traced.end_connect()
        return proto


class _TimedResolver(aiohttp.abc.AbstractResolver):
    """Times the DNS look-ups of :func:`fetch_async`'s requests (cached answers and IP addresses
    never get here, so they take no DNS time)."""

    def __init__(self, resolver: aiohttp.abc.AbstractResolver) -> None:
        self._resolver = resolver

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[aiohttp.abc.ResolveResult]:
        # aiohttp resolves in a task of its own, started with a copy of the asking request's context.
        traced = _timed.get()
        if traced is None or not traced.record.writable:
            return await self._resolver.resolve(host, port, family)
        traced.start_dns()
        try:
            return await self._resolver.resolve(host, port, family)
        finally:
            traced.end_dns()

    async def close(self) -> None:
        await self._resolver.close()


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
    breaks off later, fails the request. :class:`~app.core.strict_http.RetryStaleConnection` is the same rule for requests.
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
    on_change: OnChange = no_change,
    deadlines: Deadlines | None = None,
) -> None:
    """Fetches ``record.url`` with aiohttp, filling in ``record``. Never raises, except CancelledError.

    ``deadlines``: the run's timeouts (:func:`run_async` shares one among its requests), of
    ``options.timeout`` seconds, which a timed-out request's message names; by default, its own.
    """
    # The connector and resolver report DNS and connecting; none reported means none happened
    # (an IP address, a reused connection, a host looked up already).
    record.begin(clock(), phases=0.0)
    on_change(record)
    traced = _TracedRequest(record, clock)
    timing = _timed.set(traced)  # for the connector: DNS and connect times (_TimedConnector)
    url = record.url  # the hop under way, which is what a failure names
    try:
        # One deadline for the whole request, every redirect and the body included, fired on
        # the dot: the loop's own timer, not aiohttp's, which rounds 5 s or more up to a second.
        async with (deadlines or Deadlines(options.timeout))():
            for _hop in range(options.max_redirects + 1):
                async with session.get(
                    url,
                    allow_redirects=False,  # followed below, by the same rules as blocking mode
                    auto_decompress=False,  # decoded below, by the same decoder as blocking mode
                    headers=dict(options.headers) if options.headers else None,
                    proxy=proxy_for(url, options.proxies),
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
                    headers = response.headers
                    record.answered(
                        clock(),
                        response.status,
                        head_text(response.reason, read_as="utf-8"),
                        f"HTTP/{version.major}.{version.minor}",
                        head_text(headers.get("Content-Type"), read_as="utf-8"),
                    )
                    on_change(record)
                    refuse_announced_size(response.content_length, options.max_body_bytes)
                    decoder = BodyDecoder(",".join(headers.getall("Content-Encoding", ())))
                    read = response.content.read  # (iter_chunked's own loop, without its two extra calls a chunk)
                    while chunk := await read(CHUNK_SIZE):
                        count_body(record, decoder.decode(chunk), options)
                        on_change(record)
                    count_body(record, decoder.finish(), options)
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
        drop_tracebacks(exc)
    finally:
        _timed.reset(timing)
    on_change(record)


async def _drop_redirect_body(response: aiohttp.ClientResponse) -> None:
    """Reads a redirect's own small body, so its connection can carry the next hop."""
    read = 0
    async for chunk in response.content.iter_chunked(CHUNK_SIZE):
        read += len(chunk)
        if read > REDIRECT_BODY_READ:
            return  # not worth waiting for: leaving it unread closes the connection instead


async def run_async(
    run: Run,
    session: aiohttp.ClientSession,
    options: FetchOptions,
    on_change: OnChange = no_change,
) -> None:
    """Fetches every pending record of ``run`` concurrently, at most ``run.concurrency`` at once.

    A fixed pool of workers takes the URLs in order, so a slow URL never holds back the others
    and there are never more tasks than slots. Cancelling this coroutine cancels every request
    in flight and marks the ones not yet started as cancelled.
    """
    queue: Iterator[RequestRecord] = iter(run.runnable)
    deadlines = Deadlines(options.timeout)  # one timer for all of them, not one a request

    async def worker() -> None:
        for record in queue:
            await fetch_async(session, record, options, run.clock, on_change, deadlines)

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
        deadlines.close()
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

    def tracing(self, config: aiohttp.TraceConfig) -> None:
        """Adds the recorder's hooks to ``config``: they file each request of the session."""

        async def started(_session: object, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
            run = self._run
            if run is None:
                return
            record = RequestRecord(index=len(run.records), url=str(params.url))
            record.begin(run.clock(), phases=0.0)
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
                record.status, record.reason = params.response.status, head_text(params.response.reason, read_as="utf-8")
                version = params.response.version
                record.http_version = f"HTTP/{version.major}.{version.minor}"
                record.content_type = head_text(params.response.headers.get("Content-Type"), read_as="utf-8")

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

        config.on_request_start.append(started)
        config.on_request_end.append(answered)
        config.on_response_chunk_received.append(body)
        config.on_request_exception.append(failed)


def refuse_announced_size(content_length: int | None, limit: int) -> None:
    if content_length is not None and content_length > limit:
        raise BodyTooLarge(limit, announced=content_length)


def count_body(record: RequestRecord, pieces: Iterable[bytes], options: FetchOptions) -> None:
    for piece in pieces:
        if record.received(len(piece)) > options.max_body_bytes:
            raise BodyTooLarge(options.max_body_bytes)
