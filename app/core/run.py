"""The run model: what one press of Run asks for, the run it starts, and its summary.

A *run* is one press of the Run button: a :class:`RunRequest` (a URL list or a lesson, in a mode,
with its options) and the run it starts, whose records (``app.core.records``) fill in as it goes
and whose :class:`RunSummary` is frozen when it ends. The run keeps its request, and so does its
summary: everything shown after a run reads what the run was from the run itself.
"""

from __future__ import annotations

import enum
import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from app.core.freeze_cause import FreezeCause
from app.core.lag import Freeze
from app.core.lessons import Lesson, LessonSetup, lesson_by_id
from app.core.options import DEFAULT_CONCURRENCY, FetchOptions
from app.core.predictions import Prediction
from app.core.records import (  # noqa: F401 - also the names every caller knows the run model by
    CANCELLED_PENDING,
    CANCELLED_RUNNING,
    ErrorKind,
    RecordTable,
    RequestRecord,
    RequestState,
)
from app.core.task_trace import TaskTrace
from app.core.units import format_duration, format_seconds_setting, format_size, parse_duration  # noqa: F401
from app.core.user_code import CodeProblem
from app.i18n import _


class FetchMode(enum.Enum):
    """How a run executes its requests."""

    ASYNC = "async"
    """aiohttp on the running event loop: requests overlap and the window stays alive."""

    BLOCKING = "blocking"
    """requests, one after another, on the GUI thread: the window freezes until all are done."""

    @property
    def label(self) -> str:
        """The words the toggle and the history use for this mode."""
        return _("Async: non-blocking") if self is FetchMode.ASYNC else _("Sync: blocking")

    @property
    def short_label(self) -> str:
        """One word for the mode: "Async" or "Blocking"."""
        return _("Async") if self is FetchMode.ASYNC else _("Blocking")


class RunOutcome(enum.Enum):
    """How a run as a whole ended."""

    COMPLETED = "completed"
    """Every request reached an end of its own (some may have failed: that is still completed)."""

    CANCELLED = "cancelled"
    """The user cancelled, or the window closed, before every request finished."""

    FAILED = "failed"
    """LoopLab itself hit an unexpected error; it was logged and shown."""

    @property
    def label(self) -> str:
        """The outcome in words, in the current language: "completed", "cancelled", "failed"."""
        return {RunOutcome.COMPLETED: _("completed"), RunOutcome.CANCELLED: _("cancelled"), RunOutcome.FAILED: _("failed")}[self]


@dataclass(frozen=True)
class RunRequest:
    """One run's what and how. Build it with :meth:`urls` or :meth:`lesson`."""

    mode: FetchMode
    """Async or blocking; for a lesson, what its chosen variant does."""
    text: str = ""
    """For a URL run: the list, one URL per line, as typed or pasted (checked when the run starts)."""
    lesson_id: str = ""
    """For a lesson run: which lesson (``text`` is then empty)."""
    setup: LessonSetup | None = None
    """For a lesson run: its time scale, variant and limit, and the demo server's address."""
    concurrency: int = DEFAULT_CONCURRENCY
    options: FetchOptions = field(default_factory=FetchOptions)
    source: str = ""
    """For a lesson run: the code to run when it is not the lesson's own (edited in the window,
    or the playground's); "" runs exactly ``lesson.code(setup)``. Code that is not the lesson's
    own is held to no claim: its verdict says what happened."""
    prediction: Prediction | None = None
    """For a lesson run: what the class predicted before Run, if it did."""

    @classmethod
    def urls(
        cls, text: str, mode: FetchMode, *, concurrency: int = DEFAULT_CONCURRENCY, options: FetchOptions | None = None
    ) -> RunRequest:
        """Fetch the URLs in ``text``; blocking mode fetches one at a time whatever ``concurrency`` says."""
        return cls(mode=mode, text=text, concurrency=concurrency, options=options or FetchOptions())

    @classmethod
    def for_lesson(cls, lesson: Lesson, setup: LessonSetup, *, source: str = "", prediction: Prediction | None = None) -> RunRequest:
        """Run ``lesson``'s code as ``setup`` shapes it (or ``source``, its edited code). The mode
        is what the lesson's variant does; edited code runs on the event loop like any async code
        (Cancel works while it awaits), and whether it blocks is what the run measures."""
        if source == lesson.code(setup):
            source = ""  # edited back into the lesson's own code: the lesson's claim holds again
        mode = FetchMode.BLOCKING if lesson.expect_freeze(setup) and not source else FetchMode.ASYNC
        concurrency = setup.limit if lesson.uses_limit else 1
        return cls(mode=mode, lesson_id=lesson.id, setup=setup, concurrency=concurrency, source=source, prediction=prediction)

    @property
    def lesson(self) -> Lesson | None:
        """The lesson this request runs, or None for a URL list."""
        return lesson_by_id(self.lesson_id) if self.lesson_id else None

    @property
    def edited(self) -> bool:
        """True when a lesson run runs code other than the lesson's own."""
        return bool(self.source)

    def code(self) -> str:
        """The exact source a lesson run runs: its edited code, or the lesson's own for its setup."""
        lesson = self.lesson
        if lesson is None or self.setup is None:
            raise ValueError("a URL run has no code")
        return self.source or lesson.code(self.setup)


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


@dataclass(frozen=True)
class RunSummary:
    """The numbers a run is judged by, frozen when it ends."""

    run_id: int
    mode: FetchMode
    records: RecordTable
    """Read-only. A sequence of records given instead (a run built by hand) moves into a table."""
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
    request: RunRequest | None = None
    """What the run was asked to do (its URLs or its lesson); None for a run built by hand."""
    trace: TaskTrace | None = None
    """The X-ray of the run's tasks and event loop (``app.core.task_trace``), on the run's clock;
    None when the run was not traced (blocking URL runs, X-ray switched off, built by hand)."""
    freeze_causes: tuple[FreezeCause, ...] = ()
    """What the GUI thread was doing during each freeze (``app.core.freeze_cause``), in seconds
    since the run started like :attr:`freezes`."""
    problem: CodeProblem | None = None
    """For a lesson run that failed in its own code: the error at its line, with the code's own
    lines of the traceback (``app.core.user_code``)."""
    notes: tuple[str, ...] = ()
    """Sentences the report adds about a lesson's code, e.g. the tasks it left running when its
    ``main`` ended, which were cancelled (``app.core.code_tasks``)."""

    def __post_init__(self) -> None:
        if not isinstance(self.records, RecordTable):
            table = RecordTable()
            for record in self.records:
                table.append(record)
            object.__setattr__(self, "records", table)
        self.records.freeze()

    @property
    def counts(self) -> dict[RequestState, int]:
        return {state: self.records.count_in(state) for state in RequestState}

    @property
    def overlap_speedup(self) -> float | None:
        """How many times faster than one-after-another the run was (sum / wall), when meaningful."""
        if self.wall_time <= 0 or self.request_time_sum <= 0:
            return None
        return self.request_time_sum / self.wall_time


_run_ids = itertools.count(1)


Check = Callable[[str], "tuple[ErrorKind, str] | None"]
"""Why a URL cannot be fetched, or None (``app.core.urls.check_url``)."""


PLAN_SLICE = 64
"""Lines :meth:`Run.add_lines` checks between two chances for the caller to let the window draw:
small, since a line can cost 50 us (a new host name to check), and the caller keeps its own
time budget across slices."""


@dataclass
class Run:
    """One press of Run: its URLs, their records, the mode and the clock they share.

    Lines that are not fetchable URLs get a FAILED record straight away (with the reason), so
    the table shows one row per URL and the run goes on with the others.
    """

    mode: FetchMode
    records: RecordTable = field(default_factory=RecordTable)
    concurrency: int = 100
    clock: RunClock = field(default_factory=RunClock)
    run_id: int = field(default_factory=lambda: next(_run_ids))
    finished_at: float | None = None
    """When the run's own code ended, if that is not when its last request did (a lesson that
    still computes or sleeps after its requests)."""
    lines_total: int = 0
    """Lines of text :meth:`add_lines` was given to check (0 for a run planned in one go)."""
    lines_checked: int = 0
    """Of those, how many it has checked so far."""
    planning: bool = False
    """True while :meth:`add_lines` is still checking lines."""
    request: RunRequest | None = None
    """What the run was asked to do (its URLs or its lesson); None for a run built by hand."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if not isinstance(self.records, RecordTable):  # records made by hand: the table takes them over
            table = RecordTable()
            for record in self.records:
                table.append(record)
            self.records = table

    @classmethod
    def plan(
        cls,
        urls: Iterable[str],
        mode: FetchMode,
        *,
        concurrency: int = 100,
        check: Check | None = None,
    ) -> Run:
        """Builds a run from URLs, failing the ones ``check`` rejects before anything is sent."""
        run = cls(mode=mode, concurrency=concurrency)
        run._add_checked(list(urls), check)
        return run

    def add_lines(self, lines: str | Sequence[str], check: Check | None = None) -> Iterator[int]:
        """Adds a record for each URL in ``lines``, a text or a list of lines (blank lines and
        ``#`` comments are skipped).

        Returns an iterator that does the work: it yields the number of lines handled so far
        after every :data:`PLAN_SLICE` lines, so the caller can let the event loop run between
        slices (a 200,000-line paste takes a second or two to check). Exhaust it to plan the
        whole list. :attr:`lines_total` counts the lines at once, before the first slice; a
        text is never split whole (that alone would cost 20 MB for 200,000 lines).
        """
        if isinstance(lines, str):
            count = lines.count("\n") + (0 if not lines or lines.endswith("\n") else 1)
            # Room for every line at once (blank lines and comments make it a little too much).
            self.records.reserve(count, url_bytes=len(lines))
            slices = _text_slices(lines)
        else:
            count = len(lines)
            self.records.reserve(count)
            slices = (lines[start : start + PLAN_SLICE] for start in range(0, len(lines), PLAN_SLICE))
        self.lines_total += count
        self.planning = True
        return self._add_slices(slices, check)

    def _add_slices(self, slices: Iterator[Sequence[str]], check: Check | None) -> Iterator[int]:
        for chunk in slices:
            self._add_checked([url for line in chunk if (url := line.strip()) and not url.startswith("#")], check)
            self.lines_checked = min(self.lines_total, self.lines_checked + len(chunk))
            yield self.lines_checked
        self.lines_checked, self.planning = self.lines_total, False

    def _add_checked(self, urls: list[str], check: Check | None) -> None:
        table, first = self.records, len(self.records)
        table.add_all(urls)
        if check is not None:
            for row, url in enumerate(urls, start=first):
                if (problem := check(url)) is not None:
                    table[row].fail(0.0, *problem)

    @property
    def runnable(self) -> PendingRecords:
        """The records still waiting to be fetched, in order (read lazily, as they are taken)."""
        return PendingRecords(self.records)

    @property
    def finished_count(self) -> int:
        """How many records will not change again."""
        table = self.records
        return len(table) - table.count_in(RequestState.PENDING) - table.count_in(RequestState.RUNNING)

    def cancel_unfinished(self) -> None:
        """Cancels every record still running or waiting."""
        self.records.cancel_unfinished(self.clock())

    def summarize(
        self,
        outcome: RunOutcome,
        longest_freeze: float,
        error: str = "",
        freezes: Iterable[Freeze] = (),
        freeze_causes: Iterable[FreezeCause] = (),
        *,
        trace: TaskTrace | None = None,
        problem: CodeProblem | None = None,
        notes: Iterable[str] = (),
    ) -> RunSummary:
        """Freezes the run's results. Call once, when the run has ended: its records can no
        longer change (the summary shares them rather than copying 200,000 rows).

        ``freezes`` and ``freeze_causes`` are in seconds since the run started, like the records' times.
        """
        latest_end = self.records.latest_end()
        if self.finished_at is not None:
            wall_time = max(self.finished_at, latest_end or 0.0)
        elif outcome is RunOutcome.COMPLETED:
            wall_time = latest_end or 0.0
        else:
            wall_time = self.clock()
        self.records.freeze()
        return RunSummary(
            run_id=self.run_id,
            mode=self.mode,
            records=self.records,
            outcome=outcome,
            wall_time=wall_time,
            request_time_sum=self.records.duration_sum(),
            longest_freeze=longest_freeze,
            concurrency=self.concurrency,
            error=error,
            started_at=self.clock.started_at,
            freezes=tuple(freezes),
            request=self.request,
            trace=trace,
            freeze_causes=tuple(freeze_causes),
            problem=problem,
            notes=tuple(notes),
        )


def _text_slices(text: str) -> Iterator[list[str]]:
    """The lines of ``text``, :data:`PLAN_SLICE` at a time, without splitting all of it at once."""
    start, length = 0, len(text)
    while start < length:
        end = start
        for _slice in range(PLAN_SLICE):
            newline = text.find("\n", end)
            if newline < 0:
                end = length
                break
            end = newline + 1
        yield text[start:end].splitlines()
        start = end


class PendingRecords:
    """The records of a table still waiting for their turn: counted and walked lazily, since a
    worker takes them one at a time while others are being added or started."""

    def __init__(self, table: RecordTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return self._table.count_in(RequestState.PENDING)

    def __iter__(self) -> Iterator[RequestRecord]:
        table, view = self._table, RequestRecord._of
        return (view(table, row) for row in table.rows_in(RequestState.PENDING))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def parse_url_lines(text: str) -> list[str]:
    """The URLs in a block of text, one per line: blank lines and ``#`` comments are skipped."""
    urls = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            urls.append(line)
    return urls


