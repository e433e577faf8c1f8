"""One fault, one kind, one message, in both modes: the whole matrix of :mod:`tests.faults.matrix`.

Every fault is fetched once in each mode, in a run with a good URL right after it (from the same
server where there is one), so a fault can neither take the run down nor poison the session for
the next request. The async runs overlap all their faults; the blocking runs go one after another
on a thread of their own at the same time, so the whole matrix costs about as long as its
blocking half.
"""

from __future__ import annotations

import threading

import pytest

from app.core.fetch import FetchOptions
from app.core.run import ErrorKind, FetchMode, RequestRecord, RequestState
from tests.core.test_fetch import run_urls
from tests.faults.conftest import FaultServers
from tests.faults.matrix import FAULTS, QUICK_TIMEOUT, SHORT_TIMEOUT, TIMEOUT_SLACK, Fault, assert_human

MODES = (FetchMode.ASYNC, FetchMode.BLOCKING)

# No fault leaves a socket for the collector to close ("unclosed socket", an unraisable warning):
# a failure's tracebacks are dropped once its row is made, so what only they held closes then.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
Results = dict[tuple[str, FetchMode], tuple[RequestRecord, RequestRecord]]


@pytest.fixture(scope="module")
def matrix(fault_servers: FaultServers) -> Results:
    """Every fault, then its good URL, in both modes: (fault name, mode) -> (bad, good) records."""
    groups = [
        (FetchOptions(timeout=QUICK_TIMEOUT, proxies={}), [f for f in FAULTS if not f.times_out]),
        (FetchOptions(timeout=SHORT_TIMEOUT, proxies={}), [f for f in FAULTS if f.times_out]),
    ]
    results: Results = {}

    def run_all(mode: FetchMode) -> None:
        for options, faults in groups:
            urls = [url for f in faults for url in (fault_servers.bad_url(f), fault_servers.good_url(f))]
            run = run_urls(urls, mode, options, ssl_context=fault_servers.ssl_context)
            for n, fault in enumerate(faults):
                results[fault.name, mode] = (run.records[2 * n], run.records[2 * n + 1])

    blocking = threading.Thread(target=run_all, args=(FetchMode.BLOCKING,), name="blocking-matrix")
    blocking.start()
    try:
        run_all(FetchMode.ASYNC)
    finally:
        blocking.join()
    return results


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_one_fault_gives_one_kind_and_one_message_in_both_modes(
    matrix: Results, fault_servers: FaultServers, fault: Fault
) -> None:
    expected = fault_servers.message(fault)
    allowed = {expected} | ({fault_servers.message(fault, fault.or_else)} if fault.or_else else set())
    rows = {mode: matrix[fault.name, mode] for mode in MODES}
    for mode, (bad, good) in rows.items():
        assert bad.state is RequestState.FAILED, f"{mode.value}: {bad.state} {bad.error}"
        assert bad.error_kind is fault.kind, mode.value
        assert bad.error in allowed, f"{mode.value}: {bad.error!r} not in {allowed}"
        assert good.state is RequestState.DONE, f"{mode.value}: the good URL after it: {good.error}"
        if fault.times_out:
            assert SHORT_TIMEOUT <= bad.duration <= SHORT_TIMEOUT + TIMEOUT_SLACK, f"{mode.value}: {bad.duration:.3f} s"
    assert fault.kind is not ErrorKind.UNEXPECTED
    assert_human(expected)


def test_the_matrix_covers_the_faults_issue_10_asks_for() -> None:
    names = [f.name for f in FAULTS]
    assert len(names) == len(set(names))
    assert len(FAULTS) >= 40
    kinds = {f.kind for f in FAULTS}
    assert kinds >= {
        ErrorKind.CONNECTION,
        ErrorKind.INVALID_RESPONSE,
        ErrorKind.CONTENT_ENCODING,
        ErrorKind.TIMEOUT,
        ErrorKind.TLS,
        ErrorKind.REFUSED,
        ErrorKind.DNS,
        ErrorKind.TOO_MANY_REDIRECTS,
        ErrorKind.UNSUPPORTED_SCHEME,
        ErrorKind.INVALID_URL,
    }


@pytest.mark.parametrize(
    "message",
    [
        # What rows said before issue 10, each caught for a different reason.
        "Unexpected error: DecodeError: ('Received response with content-encoding: gzip, but failed to decode it.', error(...))",
        "Not a valid URL (No connection adapters were found for 'ftp://example.com/f')",
        "Could not connect to 127.0.0.1:80 ([Errno 104] Connection reset by peer)",
        "TLS handshake with 127.0.0.1 failed (The operation did not complete (read) (_ssl.c:1006))",
        "Could not connect to 127.0.0.1:80 (Cannot connect to host 127.0.0.1:80 ssl:default [None])",
        "HTTPConnectionPool(host='127.0.0.1', port=80): Max retries exceeded",
        "Something broke: <class 'ValueError'>",
        "Something broke: <Response object at 0x7f3a2c>",
        "Something broke: ServerDisconnectedError",
        "Two\nlines",
    ],
)
def test_the_human_check_refuses_python_text(message: str) -> None:
    with pytest.raises(AssertionError):
        assert_human(message)


def test_the_human_check_allows_plain_words() -> None:
    assert_human("TLS: the certificate of 127.0.0.1 is not trusted (it is not valid yet: is this computer's clock right?)")
    assert_human("Redirected to javascript:alert(1): LoopLab fetches only http:// and https:// URLs")
