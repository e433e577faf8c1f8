"""The fault matrix: every way a server can fail a request, what it must become in BOTH modes.

Each :class:`Fault` says how to provoke one fault (a script for the scripted server, a server of
its own, or a URL) and the one :class:`ErrorKind` and the one message both modes must give. The
messages are written out in full, as a teacher will read them: :func:`assert_human` checks that
nothing of Python (a class name, a repr, an errno) leaks into them.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from app.core.http_rules import MAX_HEAD_LINE, MAX_HEADERS
from app.core.run import ErrorKind
from tests.faults.servers import OK_HEAD, Exchange, Script, complete, encoded, reset, sends

QUICK_TIMEOUT = 5.0
"""For faults that fail at once: long enough never to be what ends them on a busy machine."""
SHORT_TIMEOUT = 0.5
"""For faults that only a timeout ends: the matrix waits this long for each, in blocking mode."""
TIMEOUT_SLACK = 0.4
"""How late after the timeout a request may end (a loaded 2-core machine; the goal is 0.1 s)."""


# --- messages, as both modes must word them ----------------------------------------------------

CLOSED = "{where} closed the connection without answering"
BROKE_OFF = "Connection to {where} broke off before the answer was complete"
NOT_HTTP = "{where} did not answer in HTTP (is it a web server?)"
BAD_STATUS_LINE = "{where} sent a malformed status line (the first line of an answer)"
BAD_HEADER = "{where} sent a malformed header line"
TOO_LARGE_HEAD = f"{{where}} sent headers too large for LoopLab (more than {MAX_HEADERS}, or a line over 64 kB)"
BAD_LENGTH = "{where} sent an invalid Content-Length (the size of the body)"
LENGTH_AND_CHUNKED = "{where} sent both a Content-Length and a Transfer-Encoding, so where the body ends is ambiguous"
BAD_CHUNKS = "{where} sent a malformed chunked body"
TIMED_OUT = f"Timed out after {SHORT_TIMEOUT:g} s"
UNDECODABLE = "The server said the body is {coding}-compressed, but it could not be decoded"
NOT_ASKED_FOR = "The server sent the body encoded as {coding}, which LoopLab did not ask for and cannot decode"
NOT_TRUSTED = "TLS: the certificate of {host} is not trusted ({why})"


# --- scripts: how the scripted server mistreats one request -----------------------------------


def trickles(head: bytes, piece: bytes, every: float = 0.05) -> Script:
    """Sends ``head``, then ``piece`` again and again, slowly, until the client gives up."""

    async def script(exchange: Exchange) -> bool:
        await exchange.send(head)
        while True:  # ends when the client hangs up (the write fails) or the lab stops
            await asyncio.sleep(every)  # pacing the trickle, not waiting for anything
            await exchange.send(piece)

    return script


def redirects(location: bytes | None) -> Script:
    header = b"" if location is None else b"Location: " + location + b"\r\n"
    return complete(b"HTTP/1.1 302 Found\r\n" + header + b"Content-Length: 0\r\n", b"")


async def redirects_to_itself(exchange: Exchange) -> bool:
    return await exchange.answer(b"", status="302 Found", headers={"Location": exchange.path})


async def close_at_once(exchange: Exchange) -> bool:
    return False


async def reset_at_once(exchange: Exchange) -> bool:
    return await exchange.reset()


async def never_answers(exchange: Exchange) -> bool:
    return await exchange.hold()


# --- whole-connection behaviours, before any request is read ----------------------------------


async def hang_up_on_accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """FIN at once, then listen until the client leaves: a half-close, so the client reliably
    reads an end of stream (a full close would answer its request with a reset instead)."""
    writer.write_eof()
    while await reader.read(65536):
        pass


async def reset_on_accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    reset(writer)


async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.Event().wait()  # until the lab stops (the client's close goes unread)


async def greets_in_ssh(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Like pointing https:// at an SSH port: it speaks first, and not TLS."""
    writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
    await writer.drain()
    while await reader.read(65536):
        pass


# --- the faults --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One fault, how to provoke it, and the row both modes must show for it."""

    name: str
    kind: ErrorKind
    message: str
    """Exact words, with {where} (host:port of the failing URL), {host} and fault-specific fields."""
    script: Script | None = None
    """Served at /<name> by the scripted (plain HTTP) server."""
    connection: Callable[..., object] | None = None
    """Or: a server of its own that takes each connection over (its good URL: the demo server's)."""
    url: str | None = None
    """Or: a URL template: {http} the scripted server, {tls.NAME} a TLS server, {free_port}, {demo}."""
    https: bool = False
    """For ``connection``: the URL is https:// (the server itself never speaks TLS)."""
    times_out: bool = False
    """Only the timeout ends it: runs with SHORT_TIMEOUT, and must end on time."""
    or_else: str = ""
    """Other exact words allowed, where the operating system decides between two (see reset-on-accept)."""
    fields: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # short, for test ids and failure reports
        return f"Fault({self.name})"


FAULTS: list[Fault] = [
    # The connection, before anything is answered.
    Fault("hang-up-on-accept", ErrorKind.CONNECTION, CLOSED, connection=hang_up_on_accept),
    # A reset before the request is sent: urllib3 ignores ECONNRESET while sending (to read an
    # error answer the server may have sent), and the next read sees only the end of the stream.
    # Whether the reset lands before or after the request went out is the kernel's timing.
    Fault("reset-on-accept", ErrorKind.CONNECTION, BROKE_OFF, connection=reset_on_accept, or_else=CLOSED),
    Fault("never-reads-the-request", ErrorKind.TIMEOUT, TIMED_OUT, connection=never_reads, times_out=True),
    Fault("closed-without-answer", ErrorKind.CONNECTION, CLOSED, script=close_at_once),
    Fault("reset-without-answer", ErrorKind.CONNECTION, BROKE_OFF, script=reset_at_once),
    Fault("never-answers", ErrorKind.TIMEOUT, TIMED_OUT, script=never_answers, times_out=True),
    Fault("100-continue-then-close", ErrorKind.CONNECTION, CLOSED, script=sends(b"HTTP/1.1 100 Continue\r\n\r\n")),
    Fault("refused", ErrorKind.REFUSED, "Connection refused by {where}: nothing is listening there", url="http://127.0.0.1:{free_port}/"),
    Fault(
        "host-not-found",
        ErrorKind.DNS,
        "Host not found: no-such-host.invalid (check the spelling, or the computer may be offline)",
        url="http://no-such-host.invalid/",
    ),
    # The status line.
    # Text in a head has no declared encoding: both modes read it as UTF-8, whatever else as U+FFFD.
    Fault("reason-in-utf-8", ErrorKind.HTTP_STATUS, "HTTP 404 N\u00e3o Encontrado", script=complete(b"HTTP/1.1 404 N\xc3\xa3o Encontrado\r\nContent-Length: 2\r\n")),
    Fault("reason-in-latin-1", ErrorKind.HTTP_STATUS, "HTTP 500 Caf\ufffd", script=complete(b"HTTP/1.1 500 Caf\xe9\r\nContent-Length: 2\r\n")),
    Fault("closed-mid-status-line", ErrorKind.CONNECTION, BROKE_OFF, script=sends(b"HTTP/1.1 20")),
    Fault("reset-mid-status-line", ErrorKind.CONNECTION, BROKE_OFF, script=sends(b"HTTP/1.1 20", "reset")),
    Fault("ssh-banner", ErrorKind.INVALID_RESPONSE, NOT_HTTP, script=sends(b"SSH-2.0-OpenSSH_9.2\r\n")),
    Fault("http-0.9-body-only", ErrorKind.INVALID_RESPONSE, NOT_HTTP, script=sends(b"<html><body>hello</body></html>\r\n")),
    Fault("binary-garbage", ErrorKind.INVALID_RESPONSE, NOT_HTTP, script=sends(bytes(range(256)) * 4)),
    Fault("status-code-not-a-number", ErrorKind.INVALID_RESPONSE, BAD_STATUS_LINE, script=complete(b"HTTP/1.1 abc OK\r\n")),
    Fault("status-code-two-digits", ErrorKind.INVALID_RESPONSE, BAD_STATUS_LINE, script=complete(b"HTTP/1.1 99 Odd\r\n")),
    Fault("status-line-http-2.0", ErrorKind.INVALID_RESPONSE, BAD_STATUS_LINE, script=complete(b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n")),
    Fault(
        "status-line-too-long",
        ErrorKind.INVALID_RESPONSE,
        TOO_LARGE_HEAD,
        script=complete(b"HTTP/1.1 200 " + b"O" * (MAX_HEAD_LINE + 10) + b"\r\nContent-Length: 2\r\n"),
    ),
    # The headers.
    Fault("closed-after-status-line", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD)),
    Fault("closed-mid-headers", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD + b"Content-Type: text/pl")),
    Fault("reset-mid-headers", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD + b"Content-Type: text/plain\r\n", "reset")),
    Fault("stalls-mid-headers", ErrorKind.TIMEOUT, TIMED_OUT, script=sends(OK_HEAD + b"Content-Type: text/plain\r\n", "hold"), times_out=True),
    Fault("headers-trickle-past-the-timeout", ErrorKind.TIMEOUT, TIMED_OUT, script=trickles(OK_HEAD + b"X-Slow: ", b"a"), times_out=True),
    Fault("header-without-colon", ErrorKind.INVALID_RESPONSE, BAD_HEADER, script=complete(OK_HEAD + b"This is not a header\r\nContent-Length: 2\r\n")),
    Fault("header-name-with-space", ErrorKind.INVALID_RESPONSE, BAD_HEADER, script=complete(OK_HEAD + b"Bad Name: x\r\nContent-Length: 2\r\n")),
    Fault("header-value-with-nul", ErrorKind.INVALID_RESPONSE, BAD_HEADER, script=complete(OK_HEAD + b"X-A: a\x00b\r\nContent-Length: 2\r\n")),
    Fault("header-value-with-cr", ErrorKind.INVALID_RESPONSE, BAD_HEADER, script=complete(OK_HEAD + b"X-A: a\rb\r\nContent-Length: 2\r\n")),
    Fault(
        "header-line-too-long",
        ErrorKind.INVALID_RESPONSE,
        TOO_LARGE_HEAD,
        script=complete(OK_HEAD + b"X-Huge: " + b"a" * (MAX_HEAD_LINE + 10) + b"\r\nContent-Length: 2\r\n"),
    ),
    Fault(
        "too-many-headers",
        ErrorKind.INVALID_RESPONSE,
        TOO_LARGE_HEAD,
        script=complete(OK_HEAD + b"".join(b"X-H%d: v\r\n" % n for n in range(MAX_HEADERS + 1)) + b"Content-Length: 2\r\n"),
    ),
    # How long the body is.
    Fault("content-length-not-a-number", ErrorKind.INVALID_RESPONSE, BAD_LENGTH, script=complete(OK_HEAD + b"Content-Length: ten\r\n")),
    Fault("content-length-negative", ErrorKind.INVALID_RESPONSE, BAD_LENGTH, script=complete(OK_HEAD + b"Content-Length: -2\r\n")),
    Fault(
        "two-different-content-lengths",
        ErrorKind.INVALID_RESPONSE,
        BAD_LENGTH,
        script=complete(OK_HEAD + b"Content-Length: 2\r\nContent-Length: 7\r\n"),
    ),
    Fault(
        "content-length-and-chunked",
        ErrorKind.INVALID_RESPONSE,
        LENGTH_AND_CHUNKED,
        script=complete(OK_HEAD + b"Content-Length: 7\r\nTransfer-Encoding: chunked\r\n", b"2\r\nok\r\n0\r\n\r\n"),
    ),
    # The body.
    Fault("closed-after-headers", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD + b"Content-Length: 10\r\n\r\n")),
    Fault("body-shorter-than-content-length", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD + b"Content-Length: 100\r\n\r\nhello")),
    Fault("reset-mid-body", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD + b"Content-Length: 100\r\n\r\nhello", "reset")),
    Fault("stalls-mid-body", ErrorKind.TIMEOUT, TIMED_OUT, script=sends(OK_HEAD + b"Content-Length: 100\r\n\r\nhello", "hold"), times_out=True),
    Fault("body-trickles-past-the-timeout", ErrorKind.TIMEOUT, TIMED_OUT, script=trickles(OK_HEAD + b"Content-Length: 1000\r\n\r\n", b"x"), times_out=True),
    Fault("chunked-cut-mid-chunk", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nabc")),
    Fault("chunked-without-last-chunk", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")),
    Fault("chunked-reset", ErrorKind.CONNECTION, BROKE_OFF, script=sends(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "reset")),
    Fault(
        "chunk-size-garbage",
        ErrorKind.INVALID_RESPONSE,
        BAD_CHUNKS,
        script=complete(OK_HEAD + b"Transfer-Encoding: chunked\r\n", b"zz\r\nhello\r\n0\r\n\r\n"),
    ),
    Fault(
        "chunk-size-negative",
        ErrorKind.INVALID_RESPONSE,
        BAD_CHUNKS,
        script=complete(OK_HEAD + b"Transfer-Encoding: chunked\r\n", b"-2\r\nok\r\n0\r\n\r\n"),
    ),
    # Content encodings (we send Accept-Encoding: gzip, deflate).
    Fault("gzip-that-is-not-gzip", ErrorKind.CONTENT_ENCODING, UNDECODABLE, script=encoded("gzip", b"plain text"), fields={"coding": "gzip"}),
    Fault("x-gzip-that-is-not-gzip", ErrorKind.CONTENT_ENCODING, UNDECODABLE, script=encoded("x-gzip", b"plain text"), fields={"coding": "gzip"}),
    Fault("deflate-that-is-not-deflate", ErrorKind.CONTENT_ENCODING, UNDECODABLE, script=encoded("deflate", b"plain text"), fields={"coding": "deflate"}),
    Fault(
        "gzip-cut-short",
        ErrorKind.CONTENT_ENCODING,
        UNDECODABLE,
        script=encoded("gzip", gzip.compress(b"hello world " * 100)[:40]),
        fields={"coding": "gzip"},
    ),
    Fault(
        "deflate-cut-short",
        ErrorKind.CONTENT_ENCODING,
        UNDECODABLE,
        script=encoded("deflate", zlib.compress(b"hello world " * 100)[:20]),
        fields={"coding": "deflate"},
    ),
    Fault("unknown-encoding", ErrorKind.CONTENT_ENCODING, NOT_ASKED_FOR, script=encoded("foo", b"hello"), fields={"coding": "foo"}),
    Fault("brotli-not-asked-for", ErrorKind.CONTENT_ENCODING, NOT_ASKED_FOR, script=encoded("br", b"\x0b\x02\x80hello\x03"), fields={"coding": "br"}),
    Fault("zstd-not-asked-for", ErrorKind.CONTENT_ENCODING, NOT_ASKED_FOR, script=encoded("zstd", b"\x28\xb5\x2f\xfd"), fields={"coding": "zstd"}),
    Fault(
        "gzip-then-unknown",
        ErrorKind.CONTENT_ENCODING,
        NOT_ASKED_FOR,
        script=encoded("gzip, foo", gzip.compress(b"hello")),
        fields={"coding": "foo"},
    ),
    # Redirects.
    Fault(
        "redirect-without-location",
        ErrorKind.INVALID_RESPONSE,
        "{where} answered with a redirect (302) but did not say where to (no Location header)",
        script=redirects(None),
    ),
    Fault(
        "redirect-to-an-empty-location",
        ErrorKind.INVALID_RESPONSE,
        "{where} answered with a redirect (302) but did not say where to (no Location header)",
        script=redirects(b""),
    ),
    Fault(
        "redirect-to-ftp",
        ErrorKind.UNSUPPORTED_SCHEME,
        "Redirected to ftp://files.example.test/a.txt: LoopLab fetches only http:// and https:// URLs",
        script=redirects(b"ftp://files.example.test/a.txt"),
    ),
    Fault(
        "redirect-to-javascript",
        ErrorKind.UNSUPPORTED_SCHEME,
        "Redirected to javascript:alert(1): LoopLab fetches only http:// and https:// URLs",
        script=redirects(b"javascript:alert(1)"),
    ),
    Fault(
        "redirect-to-not-a-url",
        ErrorKind.INVALID_URL,
        "Redirected to http://[::1, which is not a valid URL",
        script=redirects(b"http://[::1"),
    ),
    Fault(
        "redirect-loop",
        ErrorKind.TOO_MANY_REDIRECTS,
        "Too many redirects (more than 10): probably a redirect loop",
        script=redirects_to_itself,
    ),
    Fault(
        "redirect-to-a-closed-port",
        ErrorKind.REFUSED,
        # Port 1 is privileged and unused: nothing else in the suite can be listening there.
        "Connection refused by 127.0.0.1:1: nothing is listening there",
        script=redirects(b"http://127.0.0.1:1/"),
    ),
    # TLS.
    Fault(
        "tls-untrusted-authority",
        ErrorKind.TLS,
        NOT_TRUSTED,
        url="{tls.untrusted}/ok",
        fields={"why": "it comes from an authority this computer does not trust"},
    ),
    Fault("tls-expired", ErrorKind.TLS, NOT_TRUSTED, url="{tls.expired}/ok", fields={"why": "it has expired"}),
    Fault(
        "tls-not-yet-valid",
        ErrorKind.TLS,
        NOT_TRUSTED,
        url="{tls.not_yet_valid}/ok",
        fields={"why": "it is not valid yet: is this computer's clock right?"},
    ),
    Fault(
        "tls-wrong-host-name",
        ErrorKind.TLS,
        NOT_TRUSTED,
        url="{tls.other_name}/ok",
        fields={"why": "it was issued for another name"},
    ),
    Fault(
        "tls-wrong-address",
        ErrorKind.TLS,
        NOT_TRUSTED,
        url="{tls.other_address}/ok",
        fields={"why": "it was issued for another address"},
    ),
    Fault(
        "tls-to-a-plain-http-port",
        ErrorKind.TLS,
        "TLS handshake with {host} failed: it does not speak TLS (try http://)",
        url="https://127.0.0.1:{demo_port}/get",
    ),
    Fault(
        "tls-to-a-server-speaking-first",
        ErrorKind.TLS,
        "TLS handshake with {host} failed: it does not speak TLS (try http://)",
        connection=greets_in_ssh,
        https=True,
    ),
    Fault(
        "tls-hang-up-in-handshake",
        ErrorKind.TLS,
        "TLS handshake with {host} failed: the server closed the connection",
        connection=hang_up_on_accept,
        https=True,
    ),
    Fault(
        "tls-reset-in-handshake",
        ErrorKind.TLS,
        "TLS handshake with {host} failed: the server closed the connection",
        connection=reset_on_accept,
        https=True,
    ),
    Fault("tls-handshake-never-answered", ErrorKind.TIMEOUT, TIMED_OUT, connection=never_reads, https=True, times_out=True),
]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- what a row may say ----------------------------------------------------------------------

_PYTHON_LEAKS = [
    (re.compile(r"Error\(|Exception|Errno|errno|<class|object at 0x|Traceback|_ssl\.c|\\x|\bb'|\bNone\b"), "Python text"),
    (re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+(?:Error|Exception|Pool)\b"), "a class name"),
    (re.compile(r"(?<![A-Za-z])'[^']*'"), "a quoted repr"),
    (re.compile(r"Max retries|ssl:default|message=|url="), "a library's internal wording"),
]


def assert_human(message: str) -> None:
    """Fails unless ``message`` is one plain line a teacher can read: no Python leaking through."""
    assert message and message == message.strip(), f"empty or padded: {message!r}"
    assert "\n" not in message and len(message) <= 160, f"not one short line: {message!r}"
    for pattern, what in _PYTHON_LEAKS:
        assert not pattern.search(message), f"{what} in the message: {message!r}"
