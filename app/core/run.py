"""The run model: what one press of Run asked for, what happened to each request, and the summary.

A *run* is one press of the Run button: a list of URLs fetched in one mode. Each URL gets a
:class:`RequestRecord` whose times are seconds since the run started (one shared clock), so
records from the async and the blocking mode can be drawn on the same axis and compared.

Records are plain mutable objects updated in place by the code in :mod:`app.core.fetch`; all of
that happens on one thread (the GUI thread), so nothing here needs a lock.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from app.core.lag import Freeze


class FetchMode(enum.Enum):
    """How a run executes its requests."""

    ASYNC = "async"
    """aiohttp on the running event loop: requests overlap and the window stays alive."""

    BLOCKING = "blocking"
    """requests, one after another, on the GUI thread: the window freezes until all are done."""

    @property
    def label(self) -> str:
        """The words the toggle and the history use for this mode."""
        return "Async: non-blocking" if self is FetchMode.ASYNC else "Sync: blocking"


class RequestState(enum.Enum):
    """Where one request is in its life."""

    PENDING = "pending"
    """Waiting for its turn (a free concurrency slot, or the previous request in blocking mode)."""

    RUNNING = "running"
    """Connecting, waiting for the answer or downloading the body."""

    DONE = "done"
    """Finished with a successful (1xx-3xx) HTTP status and the whole body read."""

    FAILED = "failed"
    """Finished with an error: bad URL, network failure, timeout, HTTP 4xx/5xx, TLS, ..."""

    CANCELLED = "cancelled"
    """Stopped by the user (Cancel, closing the window) before it finished."""

    @property
    def finished(self) -> bool:
        """True once the request will not change again."""
        return self in (RequestState.DONE, RequestState.FAILED, RequestState.CANCELLED)


class ErrorKind(enum.Enum):
    """Why a request failed, in categories a student can learn to recognise."""

    INVALID_URL = "invalid URL"
    UNSUPPORTED_SCHEME = "unsupported scheme"
    DNS = "host not found"
    REFUSED = "connection refused"
    CONNECTION = "connection failed"
    TIMEOUT = "timeout"
    HTTP_STATUS = "HTTP error"
    TLS = "TLS"
    TOO_MANY_REDIRECTS = "too many redirects"
    TOO_LARGE = "body too large"
    INVALID_RESPONSE = "invalid response"
    """The server answered, but its answer breaks the rules of HTTP (or is not HTTP at all)."""
    CONTENT_ENCODING = "undecodable body"
    """The body is compressed in a way that does not decode, or in an encoding LoopLab did not ask for."""
    CANCELLED = "cancelled"
    UNEXPECTED = "unexpected"


class RunOutcome(enum.Enum):
    """How a run as a whole ended."""

    COMPLETED = "completed"
    """Every request reached an end of its own (some may have failed: that is still completed)."""

    CANCELLED = "cancelled"
    """The user cancelled, or the window closed, before every request finished."""

    FAILED = "failed"
    """LoopLab itself hit an unexpected error; it was logged and shown."""


class RunClock:
    """Seconds since a run started, on the monotonic high-resolution clock.

    ``started_at`` is the same instant on the calendar (UTC), for exports that need real dates.
    """

    def __init__(self, now: Callable[[], float] = time.perf_counter) -> None:
        self._now = now
        self.origin = now()
        self.started_at = datetime.now(timezone.utc)

    def __call__(self) -> float:
        return self._now() - self.origin


@dataclass
class RequestRecord:
    """What happened to one URL of a run. Times are seconds since the run started."""

    index: int
    url: str
    state: RequestState = RequestState.PENDING
    started: float | None = None
    """When the request got its turn and began connecting."""
    response_at: float | None = None
    """When the status line and headers had arrived (the end of 'waiting')."""
    ended: float | None = None
    dns: float | None = None
    """Seconds spent looking up host names; None where the library cannot tell (blocking mode)."""
    connect: float | None = None
    """Seconds spent opening connections, TLS handshake included; None where unknown (blocking mode)."""
    status: int | None = None
    reason: str = ""
    http_version: str = ""
    """As the response said it, e.g. "HTTP/1.1"."""
    content_type: str = ""
    bytes_received: int = 0
    error_kind: ErrorKind | None = None
    error: str = ""
    """One line a person can read, e.g. "Timed out after 10 s"."""

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, once both are known."""
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started

    def begin(self, now: float) -> None:
        self.state = RequestState.RUNNING
        self.started = now

    def finish(self, now: float) -> None:
        """Ends the request as DONE, or FAILED when it carries an HTTP error status."""
        self.ended = now
        if self.status is not None and self.status >= 400:
            self.state = RequestState.FAILED
            self.error_kind = ErrorKind.HTTP_STATUS
            self.error = f"HTTP {self.status} {self.reason}".rstrip()
        else:
            self.state = RequestState.DONE

    def fail(self, now: float, kind: ErrorKind, message: str) -> None:
        self.ended = now
        self.state = RequestState.CANCELLED if kind is ErrorKind.CANCELLED else RequestState.FAILED
        self.error_kind = kind
        self.error = message

    def cancel(self, now: float) -> None:
        """Marks an unfinished request as cancelled; finished ones are left alone."""
        if not self.state.finished:
            was_running = self.state is RequestState.RUNNING
            self.fail(now, ErrorKind.CANCELLED, "Cancelled" if was_running else "Cancelled before it started")


@dataclass(frozen=True)
class RunSummary:
    """The numbers a run is judged by, frozen when it ends."""

    run_id: int
    mode: FetchMode
    records: tuple[RequestRecord, ...]
    outcome: RunOutcome
    wall_time: float
    """Seconds from pressing Run to the last request ending."""
    request_time_sum: float
    """Sum of every request's own duration: what a strictly sequential run would have cost."""
    longest_freeze: float
    """The longest time the GUI thread could not react during the run, in seconds."""
    concurrency: int
    error: str = ""
    """For a FAILED run: what went wrong, in one line."""
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    """When Run was pressed, on the calendar (UTC); record times count from here."""
    freezes: tuple[Freeze, ...] = ()
    """Every stretch in which the window stalled noticeably, in seconds since the run started."""

    @property
    def counts(self) -> dict[RequestState, int]:
        counts = {state: 0 for state in RequestState}
        for record in self.records:
            counts[record.state] += 1
        return counts

    @property
    def overlap_speedup(self) -> float | None:
        """How many times faster than one-after-another the run was (sum / wall), when meaningful."""
        if self.wall_time <= 0 or self.request_time_sum <= 0:
            return None
        return self.request_time_sum / self.wall_time


_run_ids = itertools.count(1)


@dataclass
class Run:
    """One press of Run: its URLs, their records, the mode and the clock they share.

    Lines that are not fetchable URLs get a FAILED record straight away (with the reason), so
    the table shows one row per URL and the run goes on with the others.
    """

    mode: FetchMode
    records: list[RequestRecord]
    concurrency: int = 100
    clock: RunClock = field(default_factory=RunClock)
    run_id: int = field(default_factory=lambda: next(_run_ids))
    finished_at: float | None = None
    """When the run's own code ended, if that is not when its last request did (a lesson that
    still computes or sleeps after its requests)."""

    @classmethod
    def plan(
        cls,
        urls: Iterable[str],
        mode: FetchMode,
        *,
        concurrency: int = 100,
        check: Callable[[str], tuple[ErrorKind, str] | None] | None = None,
    ) -> Run:
        """Builds a run from URLs, failing the ones ``check`` rejects before anything is sent."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        run = cls(mode=mode, records=[], concurrency=concurrency)
        for index, url in enumerate(urls):
            record = RequestRecord(index=index, url=url)
            problem = check(url) if check else None
            if problem is not None:
                record.fail(0.0, *problem)
            run.records.append(record)
        return run

    @property
    def runnable(self) -> list[RequestRecord]:
        """The records still waiting to be fetched, in order."""
        return [r for r in self.records if r.state is RequestState.PENDING]

    def cancel_unfinished(self) -> None:
        now = self.clock()
        for record in self.records:
            record.cancel(now)

    def summarize(
        self,
        outcome: RunOutcome,
        longest_freeze: float,
        error: str = "",
        freezes: Iterable[Freeze] = (),
    ) -> RunSummary:
        """Freezes the run's results. Call once, when the run has ended.

        ``freezes`` are in seconds since the run started, like the records' times.
        """
        ends = [r.ended for r in self.records if r.ended is not None]
        if self.finished_at is not None:
            wall_time = max([self.finished_at, *ends])
        elif outcome is RunOutcome.COMPLETED:
            wall_time = max(ends, default=0.0)
        else:
            wall_time = self.clock()
        durations = [d for r in self.records if (d := r.duration) is not None]
        return RunSummary(
            run_id=self.run_id,
            mode=self.mode,
            records=tuple(dataclasses.replace(r) for r in self.records),
            outcome=outcome,
            wall_time=wall_time,
            request_time_sum=sum(durations),
            longest_freeze=longest_freeze,
            concurrency=self.concurrency,
            error=error,
            started_at=self.clock.started_at,
            freezes=tuple(freezes),
        )


def parse_url_lines(text: str) -> list[str]:
    """The URLs in a block of text, one per line: blank lines and ``#`` comments are skipped."""
    urls = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            urls.append(line)
    return urls


def format_duration(seconds: float) -> str:
    """A duration as people say it: "850 ms", "2.04 s", "12.5 s", "1 min 05 s"."""
    if seconds < 0:
        seconds = 0.0
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10.0:
        return f"{seconds:.2f} s"
    if seconds < 60.0:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def parse_duration(text: str) -> float:
    """Reads a :func:`format_duration` text back into seconds ("850 ms", "2.04 s", "1 min 05 s")."""
    words = text.split()
    if len(words) == 4 and words[1] == "min" and words[3] == "s":
        return int(words[0]) * 60 + int(words[2])
    if len(words) == 2 and words[1] in ("ms", "s"):
        return float(words[0]) / (1000 if words[1] == "ms" else 1)
    raise ValueError(f"not a duration: {text!r}")


def format_seconds_setting(seconds: float) -> str:
    """A configured limit, e.g. a timeout: "10 s", "0.5 s" (no trailing zeros)."""
    return f"{seconds:g} s"


def format_size(n_bytes: int) -> str:
    """A byte count in the decimal units browsers show: "512 B", "1.0 MB", "250 kB"."""
    if n_bytes < 1000:
        return f"{n_bytes} B"
    value = float(n_bytes)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000.0
        if value < 999.95 or unit == "TB":
            break
    return f"{value:.1f} {unit}" if round(value, 1) < 100 else f"{value:.0f} {unit}"
