"""Compressed bodies that are fine decode to the same bytes in both modes (the faults are in the matrix).

Both modes hand the raw body to one decoder (:class:`app.core.http_rules.BodyDecoder`), so what counts
as decodable, and how many bytes a body is, cannot differ between them.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import pytest

from app.core.fetch import FetchOptions
from app.core.http_rules import CHUNK_SIZE, BodyDecoder, UndecodableBody
from app.core.run import ErrorKind, FetchMode, RequestState
from tests.core.test_fetch import run_urls
from tests.faults.servers import FaultLab, encoded, sends

TEXT = b"LoopLab decodes this the same way twice. " * 50


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def in_chunks(data: bytes, size: int) -> bytes:
    """``data`` as a chunked body, in chunks of ``size`` bytes (so gzip's header is split up too)."""
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


BODIES = {
    "/gzip": encoded("gzip", gzip.compress(TEXT)),
    "/x-gzip": encoded("x-gzip", gzip.compress(TEXT)),
    "/GZIP-in-capitals": encoded("GZIP", gzip.compress(TEXT)),
    "/deflate-zlib-wrapped": encoded("deflate", zlib.compress(TEXT)),
    "/deflate-raw": encoded("deflate", raw_deflate(TEXT)),
    "/gzip-two-members": encoded("gzip", gzip.compress(TEXT[:700]) + gzip.compress(TEXT[700:])),
    "/gzip-then-gzip": encoded("gzip, gzip", gzip.compress(gzip.compress(TEXT))),
    "/deflate-then-gzip": encoded("deflate, gzip", gzip.compress(zlib.compress(TEXT))),
    "/identity": encoded("identity", TEXT),
    "/chunked-gzip": sends(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + in_chunks(gzip.compress(TEXT), 7)
    ),
}
EMPTY_BODIES = {
    # No body to decode: whatever it says it is encoded with cannot fail.
    "/br-but-empty": encoded("br", b""),
    "/gzip-but-empty": encoded("gzip", b""),
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with FaultLab() as lab:
        yield lab.scripted(BODIES | EMPTY_BODIES | {"/bomb": encoded("gzip", gzip.compress(b"\0" * 50_000_000))})


@pytest.mark.parametrize("mode", [FetchMode.ASYNC, FetchMode.BLOCKING])
def test_good_compressed_bodies_decode_to_the_same_bytes_in_both_modes(base: str, mode: FetchMode) -> None:
    paths = list(BODIES) + list(EMPTY_BODIES)
    run = run_urls([base + path for path in paths], mode, FetchOptions(timeout=5, proxies={}))
    got = {path: (r.state, r.bytes_received, r.error) for path, r in zip(paths, run.records)}
    assert got == {path: (RequestState.DONE, len(TEXT) if path in BODIES else 0, "") for path in paths}


@pytest.mark.parametrize("mode", [FetchMode.ASYNC, FetchMode.BLOCKING])
def test_a_body_that_inflates_past_the_cap_stops_at_the_cap(base: str, mode: FetchMode) -> None:
    # 50 MB of zeros is 49 kB of gzip: the cap counts what the body decodes to, and stops there.
    (record,) = run_urls([base + "/bomb"], mode, FetchOptions(timeout=5, max_body_bytes=1_000_000, proxies={})).records
    assert record.error_kind is ErrorKind.TOO_LARGE
    assert record.error == "Stopped reading: the body is larger than the 1.0 MB limit"
    assert record.bytes_received <= 1_000_000 + CHUNK_SIZE


def test_the_decoder_hands_out_small_pieces_and_stops_when_asked() -> None:
    decoder = BodyDecoder("gzip")
    pieces = decoder.decode(gzip.compress(b"\0" * 10_000_000))
    first = next(pieces)
    assert len(first) <= CHUNK_SIZE  # nothing is inflated before it is asked for
    assert sum(map(len, pieces)) + len(first) == 10_000_000
    assert list(decoder.finish()) == []


def test_a_deflate_body_of_one_byte_is_not_decodable() -> None:
    decoder = BodyDecoder("deflate")
    assert list(decoder.decode(b"x")) == []  # one byte cannot say which deflate it is yet
    with pytest.raises(UndecodableBody):
        list(decoder.finish())
