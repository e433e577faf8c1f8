"""Blocking mode, held to the rules the async mode keeps: http.client and urllib3, checked.

http.client is lenient where aiohttp (llhttp) is strict: it takes a header line with no colon
(and silently drops every header after it), a Content-Length of "ten", or a connection that
closes halfway through the headers as a complete, empty answer. The connections here read each
status line and header as aiohttp would (:class:`_CheckedResponse`), within the deadline, know
whether they are reused, and retry a dropped kept-alive connection once, for GET, and nothing
else (:class:`RetryStaleConnection`). ``app.core.fetch`` mounts them in the blocking session.

It overrides two private methods of http.client (``_read_status`` and
``_read_next_chunk_size``), stable for many years; the fault matrix (tests/faults) would notice
a change.
"""

from __future__ import annotations

import http.client
import logging
import re
import ssl
import time
from typing import Any

import urllib3.connection
import urllib3.connectionpool
import urllib3.util.retry

from app.core.http_rules import MAX_HEAD_LINE, MAX_HEADERS, AnswerFault, BadAnswer, StaleConnection, TLSHangUp, exception_chain

log = logging.getLogger(__name__)

_STATUS_LINE = re.compile(rb"(HTTP/1\.[01]) ([0-9]{3})(?: ([^\r\n]*))?\r?\n")
"""What aiohttp's parser takes as a status line (it also takes HTTP/0.9 and HTTP/2.0, which
:func:`fetch_async` refuses after the fact, as http.client refuses them)."""
_HEADER_LINE = re.compile(rb"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:|[ \t])[^\x00\r\n]*\r?\n")
"""A header (a token, a colon, a value without NUL or a stray CR) or an obsolete folded
continuation line, which both libraries still take."""
_END_OF_HEAD = (b"\r\n", b"\n")
_CHUNK_SIZE_LINE = re.compile(rb"0*([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
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
            # http.client decided it must close a connection whose body has no length; it has one.
            self.will_close = self._check_close()

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

    Mixed into urllib3's connections, for :class:`RetryStaleConnection`.
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
            _close_orphaned_tls_socket(exc)
            # Connecting itself fails as NewConnectionError, so this is the TLS handshake; aiohttp
            # calls it a failed connection too, and both are the same row (describe_error).
            raise TLSHangUp(str(exc)) from exc


def _close_orphaned_tls_socket(exc: BaseException) -> None:
    """Closes the TLS socket that Python's ``ssl`` leaves open when the server hangs up before
    the handshake: ``SSLSocket._create`` has taken the connection's file descriptor, and the
    reset comes from its probe for early data (after ``ENOTCONN``), outside the part that closes
    it on failure. Nothing but the failure's traceback holds it then, so it stayed open until
    the cyclic collector freed the traceback, and then warned of an unclosed socket."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code is _SSL_SOCKET_CREATE:
            orphan = frame.f_locals.get("self")
            if isinstance(orphan, ssl.SSLSocket):
                orphan.close()
        tb = tb.tb_next


_SSL_SOCKET_CREATE = ssl.SSLSocket._create.__func__.__code__  # type: ignore[attr-defined]


class _CheckedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


CHECKED_POOLS = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


class RetryStaleConnection(urllib3.util.retry.Retry):
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
    return error is not None and any(isinstance(e, StaleConnection) for e in exception_chain(error))
