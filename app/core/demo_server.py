"""LoopLab's built-in demo server: httpbin-compatible endpoints, so every lesson works offline.

The endpoints are :mod:`app.core.demo_app`. :class:`DemoServer` serves them on **its own thread
and event loop**. On the GUI loop it would deadlock against a blocking fetch made from the GUI
thread: the thread would wait for an answer that only the thread itself could send.

This module is light on purpose (aiohttp.web is imported on the server's thread, when it starts):
the lab binds the server's socket before its first paint, so the address is known and shown at
once, and starts serving right after (:meth:`DemoServer.listen`, then :meth:`DemoServer.start`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

LISTEN_BACKLOG = 128
"""Connections that may wait for the server to accept them (asyncio's create_server uses 100)."""


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


# --- running it -----------------------------------------------------------------------------


async def serve(
    host: str,
    port: int,
    *,
    ready: Callable[[int], None],
    stop: asyncio.Event | None = None,
    access_log: bool = False,
    app_factory: Callable[[], web.Application] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serves the demo app (or ``app_factory()``'s) on the running loop until ``stop`` is set (or
    forever, without one), on ``host:port``, or on ``sock``, a socket already bound and listening.

    ``ready`` is called with the bound port once the server is listening.
    """
    from aiohttp import web

    from app.core import demo_app

    runner = web.AppRunner(
        (app_factory or demo_app.build_app)(),
        # A client that gave up (Cancel, a closed window) should not leave its /delay/30 running.
        handler_cancellation=True,
        # In-flight demo requests are worth nothing at shutdown; do not wait the default 60 s.
        shutdown_timeout=0.5,
        access_log=log if access_log else None,
    )
    await runner.setup()
    try:
        if sock is not None:
            site: web.BaseSite = web.SockSite(runner, sock, ssl_context=ssl_context)
        else:
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

    The lab splits the start in two (:meth:`listen`, then :meth:`start` after its first paint).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        app_factory: Callable[[], web.Application] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``app_factory`` and ``ssl_context`` let tests serve other apps, over TLS, the same way."""
        self.host = host
        self.port = port
        self._app_factory = app_factory
        self._ssl_context = ssl_context
        self._socket: socket.socket | None = None
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

    def listen(self) -> DemoServer:
        """Binds the server's socket and listens, now, on the calling thread (fast: no aiohttp is
        loaded). From here :attr:`url` is final, and a client that connects before :meth:`start`
        is served once it has started (the connection waits in the socket's backlog).
        Raises OSError if the address cannot be bound."""
        if self._socket is not None or self._thread is not None:
            raise RuntimeError("DemoServer.listen() called twice, or after start()")
        family, kind, proto, _name, address = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's create_server does
            sock.bind(address)
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.port = sock.getsockname()[1]
        return self

    def start(self, timeout: float = 10.0) -> DemoServer:
        """Starts the thread and returns once the server listens; raises OSError if it cannot bind.
        The thread loads aiohttp.web (the first time) and serves on :meth:`listen`'s socket, if any."""
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
            self._close_socket()  # listened, never started
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

    def _close_socket(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()

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
            self._close_socket()
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
            sock=self._socket,
        )
