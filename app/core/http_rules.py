"""What both modes decide the same way, so that one fault gives one row whichever library met it.

aiohttp (llhttp) and requests (http.client) disagree on many broken answers, on how to follow a
redirect and on how to decode a body. LoopLab decides those parts itself:

- redirects are followed by :func:`redirect_target`, not by either library;
- bodies are decoded by :class:`BodyDecoder` (gzip and deflate, what we ask for), not by either
  library, so a body that does not decode fails the same way in both modes;
- every way an answer can break HTTP is one :class:`AnswerFault`, with one message;
- the limits on a head (:data:`MAX_HEAD_LINE`, :data:`MAX_HEADERS`) are the same for both.

The exceptions here are what the two ways raise for those faults; ``app.core.faults`` turns
them, and the libraries' own, into the words a student reads.
"""

from __future__ import annotations

import enum
import http.client
import ssl
import zlib
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, urljoin

from app.core.run import ErrorKind, format_size
from app.core.urls import check_url
from app.i18n import N_, _

CHUNK_SIZE = 64 * 1024
"""Bytes read from a body at a time, and the most a decoded piece holds."""
DECODED_CODINGS = frozenset({"gzip", "x-gzip", "deflate"})
"""The content codings :class:`BodyDecoder` undoes: what ``Accept-Encoding`` asks for (x-gzip is
gzip's old name, RFC 9110 8.4.1.3). A server that sends anything else broke the agreement."""
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_HEAD_LINE = 65536
"""Longest status or header line read, in bytes: http.client's limit, given to aiohttp too."""
MAX_HEADERS = 99
"""Most headers read: http.client's limit (100 lines, the blank one that ends them included),
given to aiohttp too (its default is 128)."""

class BodyTooLarge(Exception):
    """The response body went past :attr:`FetchOptions.max_body_bytes`."""

    def __init__(self, limit: int, announced: int | None = None) -> None:
        self.limit = limit
        self.announced = announced
        if announced is not None:
            text = _("Body is {size}, over the {limit} limit: not downloaded").format(size=format_size(announced), limit=format_size(limit))
        else:
            text = _("Stopped reading: the body is larger than the {limit} limit").format(limit=format_size(limit))
        super().__init__(text)


class AnswerFault(enum.Enum):
    """Every way an answer can break off or break HTTP's rules, as both modes recognise it.

    Each is one kind and one message, whichever library noticed it.
    """

    CLOSED_WITHOUT_ANSWER = (ErrorKind.CONNECTION, N_("{where} closed the connection without answering"))
    BROKE_OFF = (ErrorKind.CONNECTION, N_("Connection to {where} broke off before the answer was complete"))
    NOT_HTTP = (ErrorKind.INVALID_RESPONSE, N_("{where} did not answer in HTTP (is it a web server?)"))
    BAD_STATUS_LINE = (ErrorKind.INVALID_RESPONSE, N_("{where} sent a malformed status line (the first line of an answer)"))
    BAD_HEADER = (ErrorKind.INVALID_RESPONSE, N_("{where} sent a malformed header line"))
    HEADERS_TOO_LARGE = (
        ErrorKind.INVALID_RESPONSE,
        N_("{where} sent headers too large for LoopLab (more than {max_headers}, or a line over {max_line} kB)"),
    )
    BAD_LENGTH = (ErrorKind.INVALID_RESPONSE, N_("{where} sent an invalid Content-Length (the size of the body)"))
    LENGTH_AND_CHUNKED = (
        ErrorKind.INVALID_RESPONSE,
        N_("{where} sent both a Content-Length and a Transfer-Encoding, so where the body ends is ambiguous"),
    )
    BAD_CHUNKS = (ErrorKind.INVALID_RESPONSE, N_("{where} sent a malformed chunked body"))
    REDIRECT_WITHOUT_LOCATION = (
        ErrorKind.INVALID_RESPONSE,
        N_("{where} answered with a redirect ({status}) but did not say where to (no Location header)"),
    )
    BROKEN_HTTP = (ErrorKind.INVALID_RESPONSE, N_("{where} sent an answer that breaks the rules of HTTP"))

    @property
    def kind(self) -> ErrorKind:
        return self.value[0]

    def describe(self, where: str, **details: object) -> str:
        """The message in the current language, ``{where}`` (and any details) filled in."""
        return _(str(self.value[1])).format(where=where, max_headers=MAX_HEADERS, max_line=MAX_HEAD_LINE // 1024, **details)


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
            text = _("Redirected to {url}: LoopLab fetches only http:// and https:// URLs").format(url=shown)
        else:
            text = _("Redirected to {url}, which is not a valid URL").format(url=shown)
        super().__init__(text)


class TooManyRedirects(Exception):
    """More redirects in a row than :attr:`FetchOptions.max_redirects` allows."""


class UndecodableBody(Exception):
    """A body that says it is gzip- or deflate-compressed, but does not decompress (to its end)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        super().__init__(_("The server said the body is {coding}-compressed, but it could not be decoded").format(coding=coding))


class UnsupportedEncoding(Exception):
    """A body in a content coding LoopLab did not ask for (``br``, ``zstd``, or an unknown one)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        super().__init__(
            _("The server sent the body encoded as {coding}, which LoopLab did not ask for and cannot decode").format(coding=coding)
        )


class StaleConnection(ConnectionResetError):
    """A kept-alive connection that the server dropped as the next request arrived.

    Raised (blocking mode) in place of the reset or close that shows it, so that
    :class:`_RetryStaleConnection` can tell it apart from a fresh connection that failed.
    """


class TLSHangUp(ssl.SSLError):
    """The server closed or reset the connection in the middle of the TLS handshake.

    An :class:`ssl.SSLError`, so urllib3 reports it as the TLS failure it is, as aiohttp does.
    """



def head_text(value: str | None, *, read_as: str) -> str:
    """A reason phrase or header value from the answer's head, the same in both modes.

    The bytes of a head have no declared encoding: aiohttp reads them as UTF-8 (keeping bytes
    that are not as lone surrogates), http.client as Latin-1, so "Não" or "Café" read
    differently in each mode and a surrogate could not even be written to a CSV file. Both are
    taken back to the bytes and read as UTF-8, anything that is not shown as U+FFFD.
    ``read_as``: how the library decoded them, "utf-8" (aiohttp) or "latin-1" (http.client).
    """
    if not value:
        return ""
    raw = value.encode("latin-1", "replace") if read_as == "latin-1" else value.encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "replace")


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
        if not content_encoding:  # most bodies: nothing to undo
            self._unsupported, self._layers = None, []
            return
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




def exception_chain(exc: BaseException) -> Iterator[BaseException]:
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
