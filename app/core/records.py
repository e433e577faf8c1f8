"""What happened to each request of a run: its state, its times, its answer or its error.

Each URL of a run gets a :class:`RequestRecord` whose times are seconds since the run started (one
shared clock), so records from the async and the blocking mode can be drawn on the same axis and
compared. A run keeps its records in a :class:`RecordTable`, by column. Records are updated in
place by the code in :mod:`app.core.fetch`; all of that happens on one thread (the GUI thread),
so nothing here needs a lock.
"""

from __future__ import annotations

import enum
import math
import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from app.i18n import N_, _


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
    PROXY = "proxy"
    """The proxy (HTTP_PROXY, HTTPS_PROXY) could not be reached, or would not pass the request on."""
    TOO_MANY_REDIRECTS = "too many redirects"
    TOO_LARGE = "body too large"
    INVALID_RESPONSE = "invalid response"
    """The server answered, but its answer breaks the rules of HTTP (or is not HTTP at all)."""
    CONTENT_ENCODING = "undecodable body"
    """The body is compressed in a way that does not decode, or in an encoding LoopLab did not ask for."""
    CANCELLED = "cancelled"
    UNEXPECTED = "unexpected"


class _Column:
    """One field of :class:`RequestRecord`, kept in a column of its :class:`RecordTable`.

    ``store`` and ``load`` turn a value into what the column holds and back (e.g. None <-> NaN
    in a column of floats), so a record reads and writes like a plain object.
    """

    def __init__(self, store: Callable[[Any], Any] | None = None, load: Callable[[Any], Any] | None = None) -> None:
        self._store, self._load = store, load
        self.column = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.column = f"_{name}"

    @overload
    def __get__(self, record: None, owner: type) -> _Column: ...
    @overload
    def __get__(self, record: RequestRecord, owner: type) -> Any: ...
    def __get__(self, record: RequestRecord | None, owner: type) -> Any:
        if record is None:
            return self
        value = getattr(record._table, self.column)[record._row]
        return value if self._load is None else self._load(value)

    def __set__(self, record: RequestRecord, value: Any) -> None:
        table = record._table
        table._writable(record._row)
        getattr(table, self.column)[record._row] = value if self._store is None else self._store(value)


class _TextColumn(_Column):
    """A text field: the column holds numbers into its table's pool of texts, so "OK", "HTTP/1.1"
    or "Timed out after 10 s" is kept once, not once a row (and nothing for the collector to walk)."""

    def __get__(self, record: RequestRecord | None, owner: type) -> Any:
        if record is None:
            return self
        table = record._table
        return table._texts[getattr(table, self.column)[record._row]]

    def __set__(self, record: RequestRecord, value: Any) -> None:
        table = record._table
        table._writable(record._row)
        getattr(table, self.column)[record._row] = table._text_id(value)


class _SpanColumn(_Column):
    """``started`` or ``ended``: keeps the table's running totals (how many started, the sum of
    the durations, the latest end) up to date as they change, so a run of 200,000 records is
    summed up at its end without walking them (measured: 30 ms of the GUI thread otherwise)."""

    def __set__(self, record: RequestRecord, value: Any) -> None:
        table = record._table
        table._writable(record._row)
        table._set_span(record._row, self.column == "_started", _store_time(value))


_NO_TIME = math.nan
"""A time not known (yet): float columns hold NaN for None."""
_NO_STATUS = -1
_STATES = tuple(RequestState)
_STATE_CODES = {state: code for code, state in enumerate(_STATES)}
_KINDS: tuple[ErrorKind | None, ...] = (None, *ErrorKind)
_KIND_CODES = {kind: code for code, kind in enumerate(_KINDS)}
_RUNNING, _DONE, _FAILED = (_STATE_CODES[state] for state in (RequestState.RUNNING, RequestState.DONE, RequestState.FAILED))


def _store_time(value: float | None) -> float:
    return _NO_TIME if value is None else value


def _load_time(value: float) -> float | None:
    return None if value != value else value  # NaN is the only float unequal to itself


class RequestRecord:
    """What happened to one URL of a run. Times are seconds since the run started.

    A record is a view of one row of its run's :class:`RecordTable`, made when asked for, so a
    run of 200,000 URLs costs about a hundred bytes a URL rather than an object each.
    ``RequestRecord(index, url)`` makes a record with a one-row table of its own; appending it to
    a run's table moves it there.
    """

    __slots__ = ("_table", "_row")
    __hash__ = None  # type: ignore[assignment] - mutable: compared by value, never hashed

    index: int = _Column()  # type: ignore[assignment]
    state: RequestState = _Column(_STATE_CODES.__getitem__, _STATES.__getitem__)  # type: ignore[assignment]
    started: float | None = _SpanColumn(_store_time, _load_time)  # type: ignore[assignment]
    """When the request got its turn and began connecting."""
    response_at: float | None = _Column(_store_time, _load_time)  # type: ignore[assignment]
    """When the status line and headers had arrived (the end of 'waiting')."""
    ended: float | None = _SpanColumn(_store_time, _load_time)  # type: ignore[assignment]
    dns: float | None = _Column(_store_time, _load_time)  # type: ignore[assignment]
    """Seconds spent looking up host names; None where the library cannot tell (blocking mode)."""
    connect: float | None = _Column(_store_time, _load_time)  # type: ignore[assignment]
    """Seconds spent opening connections, TLS handshake included; None where unknown (blocking mode)."""
    status: int | None = _Column(
        lambda value: _NO_STATUS if value is None else value, lambda value: None if value == _NO_STATUS else value
    )  # type: ignore[assignment]
    reason: str = _TextColumn()  # type: ignore[assignment]
    http_version: str = _TextColumn()  # type: ignore[assignment]
    """As the response said it, e.g. "HTTP/1.1"."""
    content_type: str = _TextColumn()  # type: ignore[assignment]
    bytes_received: int = _Column()  # type: ignore[assignment]
    error_kind: ErrorKind | None = _Column(_KIND_CODES.__getitem__, _KINDS.__getitem__)  # type: ignore[assignment]
    error: str = _TextColumn()  # type: ignore[assignment]
    """One line a person can read, e.g. "Timed out after 10 s"."""

    @property
    def url(self) -> str:
        """The line as given (stripped): what was fetched, or why it could not be."""
        return self._table.url_at(self._row)

    FIELDS = (
        "index", "url", "state", "started", "response_at", "ended", "dns", "connect", "status",
        "reason", "http_version", "content_type", "bytes_received", "error_kind", "error",
    )  # fmt: skip

    def __init__(self, index: int, url: str, **fields: Any) -> None:
        table = RecordTable()
        self._table, self._row = table, table._add_row(index, url)
        for name, value in fields.items():
            if name not in self.FIELDS:
                raise TypeError(f"RequestRecord has no field {name!r}")
            setattr(self, name, value)

    @classmethod
    def _of(cls, table: RecordTable, row: int) -> RequestRecord:
        record = cls.__new__(cls)
        record._table, record._row = table, row
        return record

    def values(self) -> tuple[Any, ...]:
        """Every field, in :attr:`FIELDS` order."""
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RequestRecord):
            return NotImplemented
        return self.values() == other.values()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"RequestRecord({shown})"

    @property
    def writable(self) -> bool:
        """False once its run has ended (its summary shares the record)."""
        return not self._table.frozen

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, once both are known."""
        started, ended = self.started, self.ended
        if started is None or ended is None:
            return None
        return ended - started

    def begin(self, now: float, *, phases: float | None = None) -> None:
        """Running from ``now``; ``phases``: where DNS and connect times will be told, 0.0 to begin with."""
        self._table.begin_row(self._row, now, phases)

    def answered(self, now: float, status: int, reason: str, http_version: str, content_type: str) -> None:
        """The status line and headers arrived at ``now`` (one call where a request does it many times a second)."""
        self._table.answer_row(self._row, now, status, reason, http_version, content_type)

    def received(self, size: int) -> int:
        """Counts ``size`` more bytes of body; returns the total so far."""
        return self._table.add_bytes(self._row, size)

    def finish(self, now: float) -> None:
        """Ends the request as DONE, or FAILED when it carries an HTTP error status."""
        self._table.finish_row(self._row, now)

    def fail(self, now: float, kind: ErrorKind, message: str) -> None:
        self.ended = now
        self.state = RequestState.CANCELLED if kind is ErrorKind.CANCELLED else RequestState.FAILED
        self.error_kind = kind
        self.error = message

    def cancel(self, now: float) -> None:
        """Marks an unfinished request as cancelled; finished ones are left alone."""
        if not self.state.finished:
            was_running = self.state is RequestState.RUNNING
            self.fail(now, ErrorKind.CANCELLED, _(CANCELLED_RUNNING) if was_running else _(CANCELLED_PENDING))


CANCELLED_RUNNING = N_("Cancelled")
CANCELLED_PENDING = N_("Cancelled before it started")
"""A cancelled request's error, in English (``_()`` translates it where it is set)."""
_PENDING_RUNS = re.compile(re.escape(bytes([_STATE_CODES[RequestState.PENDING]])) + b"+")
"""Stretches of pending records in the state column."""


class RecordTable(Sequence[RequestRecord]):
    """The records of one run, stored by column: a sequence of :class:`RequestRecord` views.

    Numbers live in arrays, states in a byte string, texts in a pool, so a run of 200,000 URLs
    adds tens of megabytes, not hundreds, gives the garbage collector nothing to walk, and the
    questions asked many times a second while a run goes on (how many finished, which are
    running, the latest end) are answered by C loops over a column.

    The columns grow in steps, or all at once by :meth:`reserve` when the number of records is
    known (a list being checked): one allocation per column rather than a copy at every growth,
    which measured here left 17 MB of holes behind for 200,000 records. Rows past
    :attr:`_rows` are room, holding the values of a new pending record.
    """

    def __init__(self) -> None:
        self._rows = 0
        self._capacity = 0
        self._index = array("i")
        # URLs as UTF-8 in one buffer, each ending where _url_end says: 40 bytes for a typical
        # URL instead of a 90-byte str object (8 MB less for 200,000 of them).
        self._url_bytes = bytearray()
        self._url_used = 0
        self._url_end = array("q")
        self._state = bytearray()
        self._started = array("d")
        self._response_at = array("d")
        self._ended = array("d")
        self._dns = array("d")
        self._connect = array("d")
        self._status = array("h")
        self._reason = array("I")
        self._http_version = array("I")
        self._content_type = array("I")
        self._error = array("I")
        self._texts: list[str] = [""]
        self._text_ids: dict[str, int] = {"": 0}
        self._bytes_received = array("q")
        self._error_kind = bytearray()
        self._latest_end = _NO_TIME
        self._started_total = 0
        self._duration_total = 0.0
        self.frozen = False
        """Set once the run has ended: its records may be read, never changed."""

    def reserve(self, rows: int, url_bytes: int = 0) -> None:
        """Makes room, in one go, for ``rows`` more records and ``url_bytes`` more bytes of URLs."""
        self._grow_to(self._rows + rows)
        missing = self._url_used + url_bytes - len(self._url_bytes)
        if missing > 0:
            self._url_bytes.extend(bytes(missing))

    def _grow_to(self, capacity: int) -> None:
        extra = capacity - self._capacity
        if extra <= 0:
            return
        no_times = array("d", [_NO_TIME]) * extra
        for times in (self._started, self._response_at, self._ended, self._dns, self._connect):
            times.extend(no_times)
        no_text = array("I", [0]) * extra
        for texts in (self._reason, self._http_version, self._content_type, self._error):
            texts.extend(no_text)
        self._index.extend(array("i", [0]) * extra)
        self._url_end.extend(array("q", [0]) * extra)
        self._state.extend(bytes([_STATE_CODES[RequestState.PENDING]]) * extra)
        self._status.extend(array("h", [_NO_STATUS]) * extra)
        self._bytes_received.extend(array("q", [0]) * extra)
        self._error_kind.extend(bytes(extra))
        self._capacity = capacity

    def _text_id(self, text: str) -> int:
        number = self._text_ids.get(text)
        if number is None:
            number = self._text_ids[text] = len(self._texts)
            self._texts.append(text)
        return number

    def _add_row(self, index: int, url: str) -> int:
        self._add_rows([url], index)
        return self._rows - 1

    def _add_rows(self, urls: Sequence[str], first_index: int) -> None:
        """Pending rows for ``urls``, numbered from ``first_index``."""
        if self.frozen:
            raise RuntimeError("a finished run cannot gain records")
        start, count = self._rows, len(urls)
        if start + count > self._capacity:
            self._grow_to(max(start + count, self._capacity + self._capacity // 2 + 16))
        self._index[start : start + count] = array("i", range(first_index, first_index + count))
        buffer, used, ends = self._url_bytes, self._url_used, self._url_end
        for row, url in enumerate(urls, start):
            encoded = url.encode("utf-8", "surrogatepass")
            end = used + len(encoded)
            if end > len(buffer):
                buffer.extend(bytes(max(end - len(buffer), len(buffer) // 2 + 1024)))
            buffer[used:end] = encoded
            ends[row] = used = end
        self._url_used = used
        self._rows = start + count

    def add_all(self, urls: Sequence[str]) -> None:
        """A pending record for each of ``urls``, at the end, numbered by their rows."""
        self._add_rows(urls, self._rows)

    def add(self, url: str, index: int | None = None) -> RequestRecord:
        """A new pending record for ``url`` at the end (its index: its row, unless given)."""
        return RequestRecord._of(self, self._add_row(self._rows if index is None else index, url))

    def append(self, record: RequestRecord) -> None:
        """Moves ``record`` into this table: it keeps its values, and from now on is a view of its new row."""
        values = record.values()
        row = self._add_row(record.index, record.url)
        record._table, record._row = self, row
        for name, value in zip(RequestRecord.FIELDS[2:], values[2:]):
            setattr(record, name, value)

    def freeze(self) -> None:
        self.frozen = True

    # --- Sequence ---

    def __len__(self) -> int:
        return self._rows

    @overload
    def __getitem__(self, row: int) -> RequestRecord: ...
    @overload
    def __getitem__(self, row: slice) -> list[RequestRecord]: ...
    def __getitem__(self, row: int | slice) -> RequestRecord | list[RequestRecord]:
        if isinstance(row, slice):
            return [RequestRecord._of(self, i) for i in range(*row.indices(self._rows))]
        count = self._rows
        if not -count <= row < count:
            raise IndexError(f"record {row} of {count}")
        return RequestRecord._of(self, row % count)

    def __iter__(self) -> Iterator[RequestRecord]:
        return (RequestRecord._of(self, row) for row in range(self._rows))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<RecordTable of {len(self)} records>"

    # --- questions about every record, answered by the columns ---

    def url_at(self, row: int) -> str:
        ends = self._url_end
        start = ends[row - 1] if row > 0 else 0
        return self._url_bytes[start : ends[row]].decode("utf-8", "surrogatepass")

    @property
    def urls(self) -> list[str]:
        """Every record's URL, in order."""
        return [self.url_at(row) for row in range(self._rows)]

    def same_urls(self, other: RecordTable) -> bool:
        """True if both tables hold the same URLs in the same order (compared as stored: fast)."""
        rows, used = self._rows, self._url_used
        return (
            rows == other._rows
            and used == other._url_used
            and self._url_end[:rows] == other._url_end[:rows]
            and self._url_bytes[:used] == other._url_bytes[:used]
        )

    def states(self, start: int, stop: int) -> list[RequestState]:
        """The states of the rows from ``start`` up to ``stop``, read in one slice of the column
        (what a timeline asks at every frame about the rows in view: ~0.1 us a row, not ~2)."""
        return [_STATES[code] for code in self._state[max(0, start) : min(stop, self._rows)]]

    def count_in(self, state: RequestState) -> int:
        """How many records are in ``state``."""
        return self._state.count(_STATE_CODES[state], 0, self._rows)

    def rows_in(self, state: RequestState) -> Iterator[int]:
        """The rows of the records in ``state``, in order (records added meanwhile included)."""
        code, states, row = _STATE_CODES[state], self._state, -1
        while (row := states.find(code, row + 1, self._rows)) >= 0:
            yield row

    def cancel_unfinished(self, now: float) -> None:
        """Cancels every record still running or waiting, as :meth:`RequestRecord.cancel` would.

        Waiting records are cancelled a stretch at a time by slice assignments (a run of 200,000
        cancelled early has 199,900 of them: one by one, that froze the window for 1.3 s).
        """
        for row in list(self.rows_in(RequestState.RUNNING)):  # at most the concurrency
            self[row].cancel(now)
        if self.frozen:
            raise RuntimeError("a finished run cannot change")
        error, cancelled, kind = self._text_id(_(CANCELLED_PENDING)), _STATE_CODES[RequestState.CANCELLED], _KIND_CODES[ErrorKind.CANCELLED]
        for stretch in _PENDING_RUNS.finditer(self._state, 0, self._rows):
            start, end = stretch.span()
            count = end - start
            # Never started: their started time stays unknown, so the duration totals are unchanged.
            self._state[start:end] = bytes([cancelled]) * count
            self._error_kind[start:end] = bytes([kind]) * count
            self._error[start:end] = array("I", [error]) * count
            self._ended[start:end] = array("d", [now]) * count
            if not now <= self._latest_end:
                self._latest_end = now

    def rows_failed_with(self, kind: ErrorKind) -> Iterator[int]:
        """The rows of the records that failed with ``kind``, in order."""
        code, kinds, row = _KIND_CODES[kind], self._error_kind, -1
        while (row := kinds.find(code, row + 1, self._rows)) >= 0:
            yield row

    def latest_end(self) -> float | None:
        """When the last record to end ended, if any has (kept up to date as records end)."""
        return _load_time(self._latest_end)

    def started_count(self) -> int:
        """How many records got as far as starting (sent, or tried to)."""
        return self._started_total

    def duration_sum(self) -> float:
        """The sum of the durations of the records that have both started and ended."""
        return max(0.0, self._duration_total)  # never a -1e-17 from rounding

    # What a request does to its row as it goes, each in one call: the hot path of a URL run
    # (thousands of requests a second), where a field at a time through the record's
    # descriptors cost ~15 us a request. Same effects as setting the fields one by one.

    def _writable(self, row: int) -> None:
        if self.frozen:
            raise RuntimeError(f"record {self._index[row]} belongs to a finished run and cannot change")

    def _set_span(self, row: int, start: bool, value: float) -> None:
        """Sets ``started`` (``start``) or ``ended`` (NaN: unknown), keeping the running totals."""
        started = self._started
        had_started = started[row] == started[row]  # NaN: not (yet)
        before = self._duration_at(row)
        if start:
            started[row] = value
            self._started_total += (value == value) - had_started
        else:
            self._ended[row] = value
            if not value <= self._latest_end and value == value:  # NaN (none yet) compares False
                self._latest_end = value
        self._duration_total += self._duration_at(row) - before

    def begin_row(self, row: int, now: float, phases: float | None = None) -> None:
        self._writable(row)
        self._state[row] = _RUNNING
        self._set_span(row, True, now)
        if phases is not None:
            self._dns[row] = self._connect[row] = phases

    def answer_row(self, row: int, now: float, status: int, reason: str, http_version: str, content_type: str) -> None:
        self._writable(row)
        self._response_at[row] = now
        self._status[row] = status
        text_id = self._text_id
        self._reason[row] = text_id(reason)
        self._http_version[row] = text_id(http_version)
        self._content_type[row] = text_id(content_type)

    def add_bytes(self, row: int, size: int) -> int:
        self._writable(row)
        total = self._bytes_received[row] + size
        self._bytes_received[row] = total
        return total

    def finish_row(self, row: int, now: float) -> None:
        self._writable(row)
        self._set_span(row, False, now)
        status = self._status[row]
        if status != _NO_STATUS and status >= 400:
            self._state[row] = _FAILED
            self._error_kind[row] = _KIND_CODES[ErrorKind.HTTP_STATUS]
            self._error[row] = self._text_id(f"HTTP {status} {self._texts[self._reason[row]]}".rstrip())
        else:
            self._state[row] = _DONE

    def _duration_at(self, row: int) -> float:
        duration = self._ended[row] - self._started[row]
        return duration if duration == duration else 0.0  # NaN: one of them is not known
