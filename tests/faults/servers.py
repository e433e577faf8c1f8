"""Misbehaving servers on 127.0.0.1 for the fault matrix, scripted byte by byte.

A real web server is too polite to test a client with: it never sends half a status line,
resets a connection mid-body or closes a kept-alive connection as the next request arrives.
These servers do, on purpose, and count what they were asked, so a test can tell a retried
request from one that was sent once.

Every server of a test module lives on ONE thread and event loop (:class:`FaultLab`), the way
the demo server does: the client under test may block its own thread (blocking mode) while the
servers keep answering. Nothing here sleeps to wait for something; a server that must "never
answer" waits for the client to hang up, or for the lab to stop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
import ssl
import struct
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

HEAD_LIMIT = 64 * 1024
"""A request head longer than this is not what our clients send: the connection is dropped."""


@dataclass
class Exchange:
    """One request as a script sees it, and the ways it can answer (or not)."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    path: str
    head: bytes
    nth_on_connection: int
    """1 for the first request on this connection, 2 for the next one on the kept-alive connection, ..."""

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(
        self, body: bytes = b"ok", *, status: str = "200 OK", headers: Mapping[str, str] | None = None
    ) -> bool:
        """A well-formed HTTP/1.1 answer with a Content-Length; the connection stays open for more."""
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Content-Type: text/plain"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        await self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return True

    async def reset(self) -> bool:
        """Hangs up abruptly: a TCP RST instead of the orderly FIN of a close."""
        reset(self.writer)
        return False

    async def hold(self) -> bool:
        """Says nothing more until the client hangs up (or the lab stops)."""
        await _until_client_leaves(self.reader)
        return False


Script = Callable[[Exchange], Awaitable[bool]]
"""Answers (or mistreats) one request; returns True to keep the connection for the next one."""

ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
"""Takes over a connection from the moment it is accepted, before any request is read."""


def reset(writer: asyncio.StreamWriter) -> None:
    """Closes the connection with a TCP RST: SO_LINGER with a zero timeout, then close."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _until_client_leaves(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        while await reader.read(65536):
            pass


async def read_head(reader: asyncio.StreamReader) -> bytes | None:
    """The request line and headers, or None when the client closed (or sent something else)."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
        return None


async def not_found(exchange: Exchange) -> bool:
    return await exchange.answer(b"no such fault", status="404 Not Found")


# --- scripts that many tests use ------------------------------------------------------------

OK_HEAD = b"HTTP/1.1 200 OK\r\n"


async def ok(exchange: Exchange) -> bool:
    """A good answer: the URL that runs next to a fault, to show the run goes on."""
    return await exchange.answer(b"ok")


def sends(data: bytes, then: str = "close") -> Script:
    """Sends ``data``, then closes the connection (FIN), resets it (RST) or holds it open."""

    async def script(exchange: Exchange) -> bool:
        await exchange.send(data)
        if then == "reset":
            return await exchange.reset()
        if then == "hold":
            return await exchange.hold()
        return False

    return script


def complete(head: bytes, body: bytes = b"ok") -> Script:
    """A whole answer (``head`` from its status line on), then the close it announces."""
    return sends(head + b"Connection: close\r\n\r\n" + body)


def encoded(coding: str, body: bytes) -> Script:
    """A 200 answer whose body says it is in the content coding ``coding``."""
    return complete(OK_HEAD + f"Content-Encoding: {coding}\r\nContent-Length: {len(body)}\r\n".encode(), body)


class FaultLab:
    """A thread with an event loop that hosts any number of misbehaving servers.

    >>> with FaultLab() as lab:  # doctest: +SKIP
    ...     base = lab.scripted({"/ok": ok, "/reset": reset_at_once})
    """

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        # A client that gives up mid-handshake makes asyncio report "SSL handshake failed" to
        # the loop's exception handler: expected here, so it is kept, not printed.
        self.loop_errors: list[dict[str, Any]] = []
        self._loop.set_exception_handler(lambda _loop, context: self.loop_errors.append(context))
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-lab", daemon=True)
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._seen: collections.defaultdict[tuple[int, str], list[int]] = collections.defaultdict(list)

    # --- life cycle ---

    def __enter__(self) -> FaultLab:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Closes every server and connection, then ends the thread (idempotent)."""
        if not self._thread.is_alive():
            return
        self._call(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        self._loop.close()

    async def _shut_down(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10.0)

    # --- what the servers were asked ---

    def seen(self, url: str) -> list[int]:
        """Each request for ``url`` that arrived, as its place on its connection: [2, 1] is a
        request on a reused connection (the 2nd on it), then one on a new connection."""
        parts = urlsplit(url)
        with self._lock:
            return list(self._seen[parts.port or 0, parts.path])

    # --- servers ---

    def serve(self, handler: ConnectionHandler, *, tls: ssl.SSLContext | None = None) -> int:
        """Starts a server whose every connection ``handler`` takes over; returns its port."""

        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._connections.add(task)
            try:
                await handler(reader, writer)
            except (ConnectionError, ssl.SSLError):
                pass  # the client hung up first: normal for a client that gives up on a fault
            finally:
                self._connections.discard(task)
                if not writer.transport.is_closing():
                    writer.close()

        async def start() -> asyncio.Server:
            return await asyncio.start_server(tracked, "127.0.0.1", 0, ssl=tls, limit=HEAD_LIMIT)

        server = self._call(start())
        self._servers.append(server)
        return server.sockets[0].getsockname()[1]

    def scripted(self, routes: Mapping[str, Script], *, tls: ssl.SSLContext | None = None) -> str:
        """Starts an HTTP/1.1 server that answers each path with its script; returns the base URL.

        Connections are kept alive as long as the scripts return True, so a client's second
        request can arrive on a reused connection.
        """

        async def converse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            port = writer.get_extra_info("sockname")[1]
            nth = 0
            while (head := await read_head(reader)) is not None:
                nth += 1
                request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
                parts = request_line.split(" ")
                path = parts[1] if len(parts) == 3 else "?"
                with self._lock:
                    self._seen[port, path].append(nth)
                script = routes.get(path, not_found)
                if not await script(Exchange(reader, writer, path, head, nth)):
                    break
            if not writer.transport.is_closing():
                writer.close()

        port = self.serve(converse, tls=tls)
        return f"{'https' if tls else 'http'}://127.0.0.1:{port}"
