"""The demo server's endpoints: an httpbin-compatible aiohttp.web application (no thread, no socket).

The same URLs work against a public httpbin (``/delay/2``, ``/bytes/1024``, ``/status/404``, ...),
so a lesson written for the classroom also runs on the open internet. Handlers never block, so
100 concurrent ``/delay/1`` answer in about one second, and a handler is cancelled when its client
goes away.

:mod:`app.core.demo_server` serves it on a thread of its own and imports this module there, on
first use: aiohttp.web takes a while to load, and the window paints first.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import math
import random
from collections.abc import Iterator
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
    return web.json_response(body, dumps=_indented_json)


def _indented_json(value: object, depth: int = 0) -> str:
    """``json.dumps(value, indent=2)``, without its cost to the app: with an indent, json uses its
    pure-Python encoder, whose nested functions refer to each other, 33 objects of cyclic garbage
    a response, in the app's own process (the demo server's thread) and for the GUI thread's
    collector to find. Containers are laid out here; everything else is the C encoder's."""
    if isinstance(value, dict) and value:
        pad = "  " * (depth + 1)
        items = ",\n".join(f"{pad}{json.dumps(str(key))}: {_indented_json(item, depth + 1)}" for key, item in value.items())
        return f"{{\n{items}\n{'  ' * depth}}}"
    if isinstance(value, (list, tuple)) and value:
        pad = "  " * (depth + 1)
        items = ",\n".join(f"{pad}{_indented_json(item, depth + 1)}" for item in value)
        return f"[\n{items}\n{'  ' * depth}]"
    return json.dumps(value)


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
    # Returned, not raised (web.HTTPFound): aiohttp keeps a raised answer in its handler's frame,
    # a cycle through the traceback that only the cyclic collector frees, for every redirect.
    return web.Response(status=302, headers={"Location": "/get" if n == 1 else f"/redirect/{n - 1}"})


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

