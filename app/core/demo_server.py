"""LoopLab's built-in demo server: httpbin-compatible endpoints, so every lesson works offline.

The same URLs work against a public httpbin (``/delay/2``, ``/bytes/1024``, ``/status/404``, ...),
so a lesson written for the classroom also runs on the open internet.

:class:`DemoServer` runs the app on **its own thread and event loop**. On the GUI loop it would
deadlock against a blocking fetch made from the GUI thread: the thread would wait for an answer
that only the thread itself could send. Handlers never block, so 100 concurrent ``/delay/1``
answer in about one second, and a handler is cancelled when its client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import math
import random
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from aiohttp import web

from app import __version__

log = logging.getLogger(__name__)

MAX_DELAY = 30.0
"""Longest ``/delay`` and ``/drip`` duration, in seconds."""
MAX_BYTES = 100_000_000
"""Largest ``/bytes`` body (more than the client's body cap, so 'too large' can be shown)."""
MAX_DRIP_BYTES = 10_000_000
MAX_REDIRECTS = 100
DRIP_WRITES_PER_SECOND = 20
_BLOCK = 64 * 1024


@dataclass(frozen=True)
class Endpoint:
    """One endpoint, as listed on ``/`` and in the README."""

    example: str
    description: str


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/delay/2", f"answers after 2 seconds (fractions allowed, at most {MAX_DELAY:g})"),
    Endpoint("/bytes/1000000", f"streams that many random bytes (at most {MAX_BYTES:,}); ?seed= repeats them"),
    Endpoint("/status/404", "answers with that status; /status/200,500 or /status/200:3,500:1 picks at random"),
    Endpoint("/redirect/3", f"redirects that many times, then lands on /get (at most {MAX_REDIRECTS})"),
    Endpoint("/drip?duration=2&numbytes=10", "sends numbytes evenly over duration seconds (also delay=, code=)"),
    Endpoint("/unstable?failure_rate=0.5", "fails with 500 at that rate, otherwise 200"),
    Endpoint("/get", "echoes the request as JSON"),
)


def demo_urls(base_url: str) -> list[str]:
    """The lab's built-in URLs: a mix of delays, so the very first click tells the story.

    One after another they take about 3.8 s; overlapped, about as long as the slowest (1 s).
    The blocking freeze stays under 4 s on purpose: after about 5 s of no answer, desktops
    (GNOME, Windows) offer to force-quit the window, which is not a button for a classroom.
    """
    paths = [
        "/delay/1",
        "/delay/0.5",
        "/delay/0.75",
        "/delay/0.25",
        "/bytes/2000000",
        "/delay/0.5",
        "/drip?duration=0.5&numbytes=20",
        "/delay/0.25",
    ]
    return [base_url + path for path in paths]


class _BadRequest(web.HTTPBadRequest):
    def __init__(self, message: str) -> None:
        super().__init__(text=message + "\n")


# --- parsing helpers ------------------------------------------------------------------------


def _number(text: str, name: str, low: float, high: float | None = None) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _BadRequest(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < low:
        raise _BadRequest(f"{name} must be a number of at least {low:g}, got {text!r}")
    return value if high is None else min(value, high)


def _whole(text: str, name: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _BadRequest(f"{name} must be a whole number, got {text!r}") from None
    if value < low:
        raise _BadRequest(f"{name} must be at least {low}, got {value}")
    return min(value, high)


@contextlib.contextmanager
def _client_may_leave() -> Iterator[None]:
    """A streaming client may hang up mid-body (Cancel, a body cap, a closed window): that is
    normal here, not a server error worth a traceback."""
    try:
        yield
    except ConnectionResetError:
        log.debug("client left before the body was complete")


def _echo(request: web.Request, **extra: object) -> web.Response:
    body = {
        "args": dict(request.query),
        "headers": dict(request.headers),
        "origin": request.remote,
        "url": str(request.url),
        **extra,
    }
    return web.json_response(body, dumps=lambda obj: json.dumps(obj, indent=2))


# --- handlers -------------------------------------------------------------------------------


async def _index(request: web.Request) -> web.Response:
    items = "\n".join(
        f'<li><a href="{html.escape(e.example)}"><code>{html.escape(e.example)}</code></a>'
        f" &mdash; {html.escape(e.description)}</li>"
        for e in ENDPOINTS
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>LoopLab demo server</title></head>"
        f"<body><h1>LoopLab demo server {html.escape(__version__)}</h1>"
        f"<p>httpbin-compatible endpoints for LoopLab's lessons:</p><ul>\n{items}\n</ul></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


async def _get(request: web.Request) -> web.Response:
    return _echo(request)


def parse_delay(text: str) -> float:
    """Seconds from a ``/delay/{seconds}`` path: fractions allowed, capped at MAX_DELAY."""
    return _number(text, "delay", 0.0, MAX_DELAY)


async def _delay(request: web.Request) -> web.Response:
    seconds = parse_delay(request.match_info["seconds"])
    await asyncio.sleep(seconds)
    return _echo(request, delay=seconds)


async def _bytes(request: web.Request) -> web.StreamResponse:
    size = _whole(request.match_info["n"], "n", 0, MAX_BYTES)
    seed = request.query.get("seed")
    block = random.Random(seed).randbytes(min(size, _BLOCK))
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    response.content_length = size
    await response.prepare(request)
    remaining = size
    with _client_may_leave():
        while remaining > 0:
            piece = block[: min(remaining, len(block))]
            await response.write(piece)
            remaining -= len(piece)
        await response.write_eof()
    return response


_TEAPOT = "\n".join(
    [
        "    -=[ teapot ]=-",
        "       _...._",
        "     .'  _ _ `.",
        "    | .\"` ^ `\". _,",
        "    \\_;`\"---\"`|//",
        "      |       ;/",
        "      \\_     _/",
        "        `\"\"\"`",
        "",
    ]
)


def _pick_status(spec: str) -> int:
    """One code from "404", "200,500" (uniform) or "200:3,500:1" (weighted)."""
    codes: list[int] = []
    weights: list[float] = []
    for part in spec.split(","):
        code_text, _, weight_text = part.partition(":")
        codes.append(_whole(code_text.strip(), "status code", 100, 999))
        weights.append(_number(weight_text, "weight", 0.0) if weight_text else 1.0)
    if any(not 200 <= code <= 599 for code in codes):
        raise _BadRequest("status codes must be between 200 and 599")
    if sum(weights) <= 0:
        raise _BadRequest("at least one weight must be positive")
    return random.choices(codes, weights)[0]


async def _status(request: web.Request) -> web.Response:
    code = _pick_status(request.match_info["codes"])
    if code == 418:
        return web.Response(status=418, text=_TEAPOT, headers={"X-More-Info": "http://tools.ietf.org/html/rfc2324"})
    if code in (301, 302, 303, 307, 308):
        return web.Response(status=code, headers={"Location": "/redirect/1"})
    if code in (204, 304):
        return web.Response(status=code)
    return web.Response(status=code, text="")


async def _redirect(request: web.Request) -> web.Response:
    n = _whole(request.match_info["n"], "n", 1, MAX_REDIRECTS)
    raise web.HTTPFound("/get" if n == 1 else f"/redirect/{n - 1}")


async def _drip(request: web.Request) -> web.StreamResponse:
    query = request.query
    duration = _number(query.get("duration", "2"), "duration", 0.0, MAX_DELAY)
    numbytes = _whole(query.get("numbytes", "10"), "numbytes", 0, MAX_DRIP_BYTES)
    delay = _number(query.get("delay", "0"), "delay", 0.0, MAX_DELAY)
    code = _whole(query.get("code", "200"), "code", 200, 599)
    await asyncio.sleep(delay)
    response = web.StreamResponse(status=code, headers={"Content-Type": "application/octet-stream"})
    response.content_length = numbytes
    await response.prepare(request)
    # httpbin writes one byte at a time; at most 20 writes a second looks the same to a client
    # and keeps a large drip from costing thousands of wake-ups.
    writes = max(1, min(numbytes, math.ceil(duration * DRIP_WRITES_PER_SECOND)))
    sent = 0
    with _client_may_leave():
        for i in range(1, writes + 1):
            await asyncio.sleep(duration / writes)
            target = numbytes * i // writes
            await response.write(b"*" * (target - sent))
            sent = target
        await response.write_eof()
    return response


async def _unstable(request: web.Request) -> web.Response:
    rate = _number(request.query.get("failure_rate", "0.5"), "failure_rate", 0.0)
    if rate > 1:
        raise _BadRequest(f"failure_rate must be between 0 and 1, got {rate:g}")
    if random.random() < rate:
        return web.Response(status=500, text="")
    return _echo(request)


def build_app() -> web.Application:
    """The demo endpoints as an aiohttp application (no thread, no socket)."""
    app = web.Application()
    app.router.add_get("/", _index)
    app.router.add_get("/get", _get)
    app.router.add_get("/delay/{seconds}", _delay)
    app.router.add_get("/bytes/{n}", _bytes)
    app.router.add_get("/status/{codes}", _status)
    app.router.add_get("/redirect/{n}", _redirect)
    app.router.add_get("/drip", _drip)
    app.router.add_get("/unstable", _unstable)
    return app


# --- running it -----------------------------------------------------------------------------


async def serve(
    host: str,
    port: int,
    *,
    ready: Callable[[int], None],
    stop: asyncio.Event | None = None,
    access_log: bool = False,
    app_factory: Callable[[], web.Application] = build_app,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Serves the demo app on the running loop until ``stop`` is set (or forever, without one).

    ``ready`` is called with the bound port once the server is listening.
    """
    runner = web.AppRunner(
        app_factory(),
        # A client that gave up (Cancel, a closed window) should not leave its /delay/30 running.
        handler_cancellation=True,
        # In-flight demo requests are worth nothing at shutdown; do not wait the default 60 s.
        shutdown_timeout=0.5,
        access_log=log if access_log else None,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
        bound_port = runner.addresses[0][1]
        ready(bound_port)
        await (stop.wait() if stop is not None else asyncio.Future())
    finally:
        await runner.cleanup()


class DemoServer:
    """The demo app on a thread and event loop of its own.

    >>> with DemoServer() as server:  # doctest: +SKIP
    ...     requests.get(server.url + "/delay/1")
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        app_factory: Callable[[], web.Application] = build_app,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``app_factory`` and ``ssl_context`` let tests serve other apps, over TLS, the same way."""
        self.host = host
        self.port = port
        self._app_factory = app_factory
        self._ssl_context = ssl_context
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> DemoServer:
        """Starts the thread and returns once the server listens; raises OSError if it cannot bind."""
        if self._thread is not None:
            raise RuntimeError("DemoServer.start() called twice")
        self._thread = threading.Thread(target=self._thread_main, name="looplab-demo-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"demo server did not start within {timeout:g} s")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stops the server and joins its thread. Safe to call twice, or before start()."""
        if self._thread is None:
            return
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:  # the loop closed in between: the thread is ending anyway
                pass
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("demo server thread did not stop within %g s", timeout)

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _thread_main(self) -> None:
        try:
            # A plain asyncio loop of our own, never the global policy's: qasync.run() replaces
            # that policy with one that builds Qt event loops, and a Qt loop on this thread fails.
            with asyncio.Runner(loop_factory=asyncio.DefaultEventLoopPolicy().new_event_loop) as runner:
                runner.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that called start()
            self._error = exc
            if self._ready.is_set():
                log.exception("demo server crashed")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        def ready(port: int) -> None:
            self.port = port
            self._ready.set()

        await serve(
            self.host,
            self.port,
            ready=ready,
            stop=self._stop,
            app_factory=self._app_factory,
            ssl_context=self._ssl_context,
        )
