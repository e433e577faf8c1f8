"""Turning either library's exceptions into one kind of failure and one line a student can read.

The same fault gives the same :class:`~app.core.run.ErrorKind` and the same words in both modes
(tests/faults checks 69 of them); the words never carry a Python class name, a repr or an errno.
Only an exception nobody foresaw is ``UNEXPECTED``: it is logged with its traceback.
"""

from __future__ import annotations

import http.client
import logging
import re
import socket
import ssl
import sys
from collections.abc import Callable, Mapping
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import aiohttp.http_exceptions

from app.core.http_rules import (
    AnswerFault,
    BadAnswer,
    BadRedirect,
    BodyTooLarge,
    TLSHangUp,
    TooManyRedirects,
    UndecodableBody,
    UnsupportedEncoding,
    _printable,
    exception_chain,
)
from app.core.net import proxy_for
from app.core.run import ErrorKind, format_seconds_setting
from app.core.urls import check_url
from app.i18n import N_, _

log = logging.getLogger(__name__)


class Limits(Protocol):
    """What a message may quote of the request's options (``app.core.fetch.FetchOptions`` has them)."""

    @property
    def timeout(self) -> float: ...
    @property
    def max_redirects(self) -> int: ...
    @property
    def proxies(self) -> Mapping[str, str]: ...


_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (\d{3})\b ?([^\r\n]*)")
"""How http.client reports a proxy's refusal of CONNECT (its own words, stable since Python 3.0)."""

_TLS_VERIFY_PROBLEMS = {
    9: N_("it is not valid yet: is this computer's clock right?"),  # X509_V_ERR_CERT_NOT_YET_VALID
    10: N_("it has expired"),  # X509_V_ERR_CERT_HAS_EXPIRED
    18: N_("it is self-signed"),  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    19: N_("it comes from an authority this computer does not trust"),  # SELF_SIGNED_CERT_IN_CHAIN
    20: N_("it comes from an authority this computer does not trust"),  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: N_("it comes from an authority this computer does not trust"),  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
    23: N_("it has been revoked"),  # X509_V_ERR_CERT_REVOKED
    62: N_("it was issued for another name"),  # X509_V_ERR_HOSTNAME_MISMATCH
    64: N_("it was issued for another address"),  # X509_V_ERR_IP_ADDRESS_MISMATCH
}
"""OpenSSL's verification codes in plain words (translated where used); the rest keep OpenSSL's own (quotes removed)."""


class _NeverRaised(Exception):
    """Stands for an exception class of requests or urllib3 while they are not loaded (they load
    with the blocking mode: ``app.core.blocking``): nothing raised can be one of those then."""


def _requests(name: str) -> type[BaseException]:
    """``requests.exceptions.<name>``, or :class:`_NeverRaised` if requests is not loaded."""
    return getattr(sys.modules.get("requests.exceptions"), name, _NeverRaised)


def _urllib3(name: str) -> type[BaseException]:
    """``urllib3.exceptions.<name>``, or :class:`_NeverRaised` if urllib3 is not loaded."""
    return getattr(sys.modules.get("urllib3.exceptions"), name, _NeverRaised)


def drop_tracebacks(exc: BaseException) -> None:
    """Lets a handled failure go when its handler ends, without the cyclic collector.

    A library that keeps the exception it raises in a local variable (aiohttp's ``last_exc``,
    aiohappyeyeballs' ``first_exception``) ties it in a cycle: exception -> traceback -> the
    raising frame -> its local -> the exception, and with it the request's socket, connection and
    record. Only a full collection frees such cycles once they outlive a young one. Once the row's
    message is made (and an unexpected failure logged, with its traceback), this unhooks the
    tracebacks of ``exc`` and of what it wraps, so each frame goes with its traceback.

    The frames themselves are not touched: :func:`traceback.clear_frames` would do it too, but
    clearing the frame of a generator or coroutine that caught the exception and went on (a
    long-lived reader that hands its failure to a future) closes it.
    """
    for linked in exception_chain(exc):
        linked.__traceback__ = None


def describe_error(exc: BaseException, url: str, options: Limits) -> tuple[ErrorKind, str]:
    """The kind of failure and one line a student can read, for either library's exceptions.

    ``url`` is the address being fetched when it failed (a redirect's target, after a redirect).
    The same fault gives the same kind and the same words in both modes; the words never carry a
    Python class name, a repr or an errno.
    """
    chain = list(exception_chain(exc))
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
    if (proxy := proxy_for(url, options.proxies)) and (blame := _proxy_fault(chain, has, where, urlsplit(proxy).username)):
        proxy_parts = urlsplit(proxy)  # named by host and port only: never its password
        return ErrorKind.PROXY, blame.format(proxy=f"{proxy_parts.hostname}:{proxy_parts.port or 80}")
    if isinstance(exc, BadRedirect):
        return exc.kind, str(exc)
    if body := has(UndecodableBody, UnsupportedEncoding):
        return ErrorKind.CONTENT_ENCODING, str(body)
    if has(aiohttp.http_exceptions.ContentEncodingError, _urllib3("DecodeError")):
        # Only a library's own decoding gets here (a lesson's session.get): no coding to name.
        return ErrorKind.CONTENT_ENCODING, _("The server sent a compressed body that could not be decoded")
    if has(ssl.SSLCertVerificationError):
        # aiohttp's subclass of it has no verify_message; the ssl error it wraps does.
        code = next((c for e in chain if (c := getattr(e, "verify_code", None))), None)
        message = next((m for e in chain if (m := getattr(e, "verify_message", None))), None) or _("verification failed")
        detail = _(_TLS_VERIFY_PROBLEMS[code]) if code in _TLS_VERIFY_PROBLEMS else message.replace("'", "").rstrip(".")
        return ErrorKind.TLS, _("TLS: the certificate of {host} is not trusted ({detail})").format(host=host, detail=detail)
    if has(TLSHangUp) or (
        # aiohttp reports a handshake cut short as a failure to connect, with the reset inside;
        # so does either library when the reset beats the end of connecting (a server that
        # resets at once), which from here looks the same.
        parts.scheme == "https"
        and has(aiohttp.ClientConnectorError, _urllib3("NewConnectionError"))
        and has(ConnectionResetError, ConnectionAbortedError)
    ):
        return ErrorKind.TLS, _("TLS handshake with {host} failed: the server closed the connection").format(host=host)
    if has(ssl.SSLError, aiohttp.ClientSSLError, _requests("SSLError")):
        tls_error = innermost(ssl.SSLError) or innermost(aiohttp.ClientSSLError, _requests("SSLError"))
        reason = getattr(tls_error, "reason", None)
        if reason == "WRONG_VERSION_NUMBER":  # what an https:// URL to a plain-HTTP server gives
            return ErrorKind.TLS, _("TLS handshake with {host} failed: it does not speak TLS (try http://)").format(host=host)
        detail = reason.replace("_", " ").lower() if isinstance(reason, str) else _("the connection was not secure")
        return ErrorKind.TLS, _("TLS handshake with {host} failed ({detail})").format(host=host, detail=detail)
    if has(socket.gaierror, aiohttp.ClientConnectorDNSError, _urllib3("NameResolutionError")):
        return ErrorKind.DNS, _("Host not found: {host} (check the spelling, or the computer may be offline)").format(host=host)
    if has(ConnectionRefusedError):
        return ErrorKind.REFUSED, _("Connection refused by {where}: nothing is listening there").format(where=where)
    if any(
        isinstance(e, (TimeoutError, _requests("Timeout"), _urllib3("TimeoutError")))
        # urllib3's "could not connect" subclasses its connect *timeout*, for old times' sake:
        # a connection reset while connecting would otherwise read "Timed out".
        and not isinstance(e, _urllib3("NewConnectionError"))
        for e in chain
    ):
        return ErrorKind.TIMEOUT, _("Timed out after {time}").format(time=format_seconds_setting(options.timeout))
    if has(TooManyRedirects, aiohttp.TooManyRedirects, _requests("TooManyRedirects")):
        return (
            ErrorKind.TOO_MANY_REDIRECTS,
            _("Too many redirects (more than {n}): probably a redirect loop").format(n=options.max_redirects),
        )
    if has(UnicodeError):  # a host name the IDNA codec refuses
        return ErrorKind.INVALID_URL, _("Not a URL: {host} is not a valid host name").format(host=host)
    if bad := has(
        aiohttp.InvalidURL,
        aiohttp.NonHttpUrlClientError,
        _requests("InvalidURL"),
        _requests("MissingSchema"),
        _requests("InvalidSchema"),
        _urllib3("LocationParseError"),
    ):
        # LoopLab follows redirects itself (redirect_target); these come from a lesson's own requests.
        if isinstance(bad, aiohttp.RedirectClientError):
            target = str(getattr(bad, "url", "") or "?")
            redirect = BadRedirect(target, (check_url(target) or (ErrorKind.INVALID_URL, ""))[0])
            return redirect.kind, str(redirect)
        return ErrorKind.INVALID_URL, _("Not a valid URL")
    if fault := _answer_fault(chain):
        return fault.kind, fault.describe(where, **next((e.details for e in chain if isinstance(e, BadAnswer)), {}))
    # Every requests exception is an OSError (RequestException subclasses IOError), so "some
    # OSError" has to mean a real socket error, not, say, requests refusing a bad header.
    socket_error = next(
        (
            e
            for e in reversed(chain)
            if isinstance(e, OSError) and not isinstance(e, (_requests("RequestException"), aiohttp.ClientError))
        ),
        None,
    )
    if socket_error is not None and socket_error.strerror:
        return ErrorKind.CONNECTION, _("Could not connect to {where} ({reason})").format(where=where, reason=socket_error.strerror)
    if socket_error is not None or has(aiohttp.ClientConnectionError, _requests("ConnectionError")):
        return ErrorKind.CONNECTION, _("Could not connect to {where}").format(where=where)
    log.error("Unexpected error while fetching %s", url, exc_info=exc)
    return ErrorKind.UNEXPECTED, _("Unexpected error: {error}").format(error=f"{type(exc).__name__}: {_first_line(exc)}")


def _proxy_fault(chain: list[BaseException], has: Callable[..., BaseException | None], where: str, user: str | None) -> str | None:
    """What the proxy did wrong, in words with a {proxy} to fill in; None if it was not the proxy.
    ``user``: the user name the proxy URL gives, if any (both libraries send it with its password)."""
    refusal = has(aiohttp.ClientHttpProxyError)
    status, reason = (refusal.status, refusal.message) if isinstance(refusal, aiohttp.ClientHttpProxyError) else (0, "")
    if not status and (tunnel := next((m for e in reversed(chain) if (m := _TUNNEL_REFUSED.search(str(e)))), None)):
        status, reason = int(tunnel[1]), tunnel[2].strip()
    if status == 407 and user:
        return _("The proxy {proxy} refused the user name and password that HTTP_PROXY or HTTPS_PROXY give it (407)")
    if status == 407:
        return _(
            "The proxy {proxy} asks for a user name and password (407): give them in HTTP_PROXY and HTTPS_PROXY as http://user:password@host:port"
        )
    if status:
        answer = f"{status} {_printable(reason)}".rstrip()
        # The answer goes in now; {proxy} stays for the caller (doubled braces survive format).
        return _("The proxy {proxy} would not connect to {where}: it answered {answer}").format(
            proxy="{proxy}", where=where.replace("{", "{{").replace("}", "}}"), answer=answer.replace("{", "{{").replace("}", "}}")
        )
    if not has(aiohttp.ClientProxyConnectionError, _requests("ProxyError"), _urllib3("ProxyError")):
        return None
    if has(socket.gaierror):
        return _("The proxy {proxy} was not found: check HTTP_PROXY and HTTPS_PROXY")
    if has(ConnectionRefusedError):
        return _("Connection refused by the proxy {proxy}: is it running, and are HTTP_PROXY and HTTPS_PROXY right?")
    if has(TimeoutError, _urllib3("TimeoutError")):
        return None  # the request's own timeout, which the proxy shares: said as a timeout
    return _("Could not reach the proxy {proxy}")


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
    if any(isinstance(e, _urllib3("InvalidChunkLength")) for e in chain):
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
                _urllib3("ProtocolError"),  # urllib3's "Connection broken" and "ended prematurely"
                _requests("ChunkedEncodingError"),
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
