"""The blocking way of a fetch: requests on the calling thread (see :mod:`app.core.fetch`).

:func:`run_blocking` fetches a run's requests one after another on the calling thread. Called on
the GUI thread, it freezes the window for the whole run. That is the lesson, so there is
deliberately no ``processEvents`` and no thread here. It follows the same rules as the async way
(:mod:`app.core.fetch`: options, headers, trust, redirects, decoding, limits, the words of a
failure), and reads answers as strictly as aiohttp does (:mod:`app.core.strict_http`).

A module of its own, imported where the blocking mode is first wanted (``app.ui.controller``
loads it off the GUI thread, before the run that needs it): requests, urllib3 and
charset_normalizer cost ~6 MiB and ~100 ms to import, which a lab that only runs async never needs.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3

from app.core.faults import describe_error, drop_tracebacks
from app.core.fetch import (
    DEFAULT_HEADERS,
    REDIRECT_BODY_READ,
    FetchOptions,
    OnChange,
    count_body,
    make_ssl_context,
    no_change,
    refuse_announced_size,
)
from app.core.http_rules import CHUNK_SIZE, BodyDecoder, TooManyRedirects, head_text, redirect_target
from app.core.net import proxy_for
from app.core.run import RequestRecord, Run
from app.core.strict_http import CHECKED_POOLS, RetryStaleConnection


class TotalTimeout(TimeoutError):
    """The whole request took longer than the timeout (requests only times single socket reads)."""


# --- the session ------------------------------------------------------------------------------


class _LoopLabAdapter(requests.adapters.HTTPAdapter):
    """Makes requests read answers, trust certificates and retry the way the async mode does.

    - TLS is verified with our context, so both modes trust exactly the same CAs;
    - its connections read answers with :class:`_CheckedResponse` and know when they are reused;
    - a stale kept-alive connection is retried once (:class:`~app.core.strict_http.RetryStaleConnection`), nothing else.
    """

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        # requests' own default is Retry(0, read=False): no retries at all.
        super().__init__(max_retries=RetryStaleConnection(0, read=False))

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = CHECKED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # type: ignore[no-untyped-def]
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = CHECKED_POOLS
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


# --- fetching ---------------------------------------------------------------------------------


def fetch_blocking(
    session: requests.Session,
    record: RequestRecord,
    options: FetchOptions,
    clock: Callable[[], float],
    on_change: OnChange = no_change,
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
                version = getattr(response.raw, "version", 11)  # http.client style: 10, 11
                record.answered(
                    clock(),
                    response.status_code,
                    head_text(response.reason, read_as="latin-1"),
                    f"HTTP/{version // 10}.{version % 10}",
                    head_text(response.headers.get("Content-Type"), read_as="latin-1"),
                )
                on_change(record)
                announced = response.headers.get("Content-Length", "").strip()
                refuse_announced_size(int(announced) if announced.isdigit() else None, options.max_body_bytes)
                decoder = BodyDecoder(response.headers.get("Content-Encoding", ""))
                # read1 returns whatever one socket read brings: iter_content would wait for a full
                # chunk, so a slow trickle could overrun the deadline by the whole body's time.
                while _limit_next_read(response, deadline) and (
                    chunk := response.raw.read1(CHUNK_SIZE, decode_content=False)
                ):
                    count_body(record, decoder.decode(chunk), options)
                count_body(record, decoder.finish(), options)
                break
        else:
            raise TooManyRedirects()
        record.finish(clock())
    except Exception as exc:  # noqa: BLE001 - every failure becomes the row's message
        record.fail(clock(), *describe_error(exc, url, options))
        drop_tracebacks(exc)
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
        if read > REDIRECT_BODY_READ:
            return  # not worth waiting for: closing the response closes the connection instead


def run_blocking(
    run: Run,
    session: requests.Session,
    options: FetchOptions,
    on_change: OnChange = no_change,
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
