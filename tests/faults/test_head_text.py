"""Text in an answer's head (reason phrase, Content-Type) reads the same in both modes, and a
run that carries any of it can be exported."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core import export
from app.core.fetch import FetchOptions
from app.core.run import FetchMode, RunOutcome
from tests.core.test_fetch import run_urls
from tests.faults.servers import OK_HEAD, FaultLab, complete

ROUTES = {
    "/utf-8": complete(OK_HEAD + b"Content-Type: text/plain; name=Jos\xc3\xa9\r\nContent-Length: 2\r\n"),
    "/latin-1": complete(OK_HEAD + b"Content-Type: text/plain; name=Jos\xe9\r\nContent-Length: 2\r\n"),
    "/reason": complete(b"HTTP/1.1 500 Caf\xe9 \xc3\xa9t\xc3\xa9\r\nContent-Length: 2\r\n"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with FaultLab() as lab:
        yield lab.scripted(ROUTES)


def test_text_in_the_head_reads_the_same_in_both_modes_and_exports(server: str) -> None:
    urls = [f"{server}{path}" for path in ROUTES]
    runs = {mode: run_urls(urls, mode, FetchOptions(timeout=5, proxies={})) for mode in (FetchMode.ASYNC, FetchMode.BLOCKING)}
    seen = {mode: [(r.content_type, r.reason, r.error) for r in run.records] for mode, run in runs.items()}
    assert seen[FetchMode.ASYNC] == seen[FetchMode.BLOCKING]
    utf8, latin1, reason = seen[FetchMode.ASYNC]
    assert utf8[0] == "text/plain; name=José"
    assert latin1[0] == "text/plain; name=Jos\ufffd"  # not UTF-8: shown as the replacement character
    assert reason[2] == "HTTP 500 Caf\ufffd été"
    for run in runs.values():
        summary = run.summarize(RunOutcome.COMPLETED, 0.0)
        # No lone surrogate to stop the export (before: UnicodeEncodeError in async mode).
        assert "Caf\ufffd été".encode() in export.csv_bytes(summary)
        assert "José" in export.har_bytes(summary).decode("utf-8")
