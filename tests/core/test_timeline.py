"""The timeline model: phases that tile each request exactly, the axis they share, and run comparisons."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from app.core.lag import Freeze
from app.core.run import (
    ErrorKind,
    FetchMode,
    RecordTable,
    RequestRecord,
    RequestState,
    RunOutcome,
    RunSummary,
    parse_duration,
)
from app.core.timeline import (
    Phase,
    Segment,
    describe,
    live_span,
    nice_step,
    phase_durations,
    progress_words,
    request_counts,
    segments,
    span,
    speedup,
    summary_words,
    tick_label,
    ticks,
)
from tests.runs import answered, planned

URL = "http://127.0.0.1:8000/delay/1"
PHASE_ORDER = list(Phase)


def record(**fields: object) -> RequestRecord:
    """A record with the given fields, as the fetch code would have left it."""
    return RequestRecord(index=0, url=URL, **fields)  # type: ignore[arg-type]


def async_record() -> RequestRecord:
    """Queued 0.5 s, DNS 0.1 s, connect 0.2 s, waiting 0.5 s, downloading 0.7 s."""
    return record(
        state=RequestState.DONE,
        started=0.5,
        dns=0.1,
        connect=0.2,
        response_at=1.3,
        ended=2.0,
        status=200,
        reason="OK",
        bytes_received=1000,
    )


def blocking_record() -> RequestRecord:
    """requests cannot tell DNS or connect apart: queued 1.0 s, waiting 0.4 s, downloading 0.1 s."""
    return record(
        state=RequestState.DONE,
        started=1.0,
        response_at=1.4,
        ended=1.5,
        status=200,
        reason="OK",
        bytes_received=2_500_000,
    )


def assert_tiles(parts: list[Segment], end: float) -> None:
    """The segments cover [0, end] without gaps or overlaps, once each phase, in order."""
    assert parts, "expected at least one segment"
    assert parts[0].start == 0.0
    for before, after in zip(parts, parts[1:]):
        assert before.end == pytest.approx(after.start, abs=1e-12)
    assert parts[-1].end == pytest.approx(end, abs=1e-12)
    assert sum(p.duration for p in parts) == pytest.approx(end, abs=1e-9)
    assert all(p.duration > 0 for p in parts), parts
    order = [PHASE_ORDER.index(p.phase) for p in parts]
    assert order == sorted(set(order)), [p.phase for p in parts]


def layout(parts: list[Segment]) -> list[tuple[Phase, float, float]]:
    return [(p.phase, round(p.start, 9), round(p.end, 9)) for p in parts]


# --- segments ---------------------------------------------------------------------------------


def test_an_async_record_is_cut_into_all_five_phases() -> None:
    parts = segments(async_record())
    assert layout(parts) == [
        (Phase.QUEUED, 0.0, 0.5),
        (Phase.DNS, 0.5, 0.6),
        (Phase.CONNECT, 0.6, 0.8),
        (Phase.WAITING, 0.8, 1.3),
        (Phase.DOWNLOADING, 1.3, 2.0),
    ]
    assert_tiles(parts, 2.0)


def test_a_blocking_record_has_no_dns_or_connect_segment() -> None:
    parts = segments(blocking_record())
    assert layout(parts) == [
        (Phase.QUEUED, 0.0, 1.0),
        (Phase.WAITING, 1.0, 1.4),
        (Phase.DOWNLOADING, 1.4, 1.5),
    ]
    assert_tiles(parts, 1.5)


def test_zero_length_phases_are_left_out() -> None:
    # Started at once, on a reused connection (DNS and connect 0), with an empty body.
    reused = record(state=RequestState.DONE, started=0.0, dns=0.0, connect=0.0, response_at=0.3, ended=0.3, status=204)
    assert layout(segments(reused)) == [(Phase.WAITING, 0.0, 0.3)]


def test_a_running_record_extends_to_now() -> None:
    waiting = record(state=RequestState.RUNNING, started=0.2, dns=0.0, connect=0.05)
    assert segments(waiting) == []  # without a "now" there is nothing to draw up to
    parts = segments(waiting, now=0.9)
    assert layout(parts) == [(Phase.QUEUED, 0.0, 0.2), (Phase.CONNECT, 0.2, 0.25), (Phase.WAITING, 0.25, 0.9)]
    assert_tiles(parts, 0.9)

    waiting.response_at = 0.6
    parts = segments(waiting, now=1.1)
    assert parts[-1] == Segment(Phase.DOWNLOADING, 0.6, 1.1)
    assert_tiles(parts, 1.1)


def test_an_ended_record_ignores_now() -> None:
    assert segments(async_record(), now=50.0) == segments(async_record())


def test_a_pending_record_is_queued_until_now() -> None:
    pending = record()
    assert segments(pending) == []
    assert segments(pending, now=0.7) == [Segment(Phase.QUEUED, 0.0, 0.7)]


def test_a_request_cancelled_before_its_turn_was_only_queued() -> None:
    cancelled = record()
    cancelled.cancel(1.25)
    assert cancelled.state is RequestState.CANCELLED
    assert segments(cancelled) == [Segment(Phase.QUEUED, 0.0, 1.25)]
    assert segments(cancelled, now=9.0) == [Segment(Phase.QUEUED, 0.0, 1.25)]


def test_a_line_that_was_not_a_url_has_no_segments() -> None:
    run, clock = planned(["not a url", "ftp://files.test/a"])
    clock.now = 3.0
    for failed in run.records:
        assert failed.state is RequestState.FAILED
        assert segments(failed) == []
        assert segments(failed, now=3.0) == []
        assert phase_durations(failed) == dict.fromkeys(Phase, 0.0)
    # Failing without ever starting is never "queued", however late it is marked.
    never_started = record()
    never_started.fail(0.4, ErrorKind.INVALID_URL, "Not a URL")
    assert segments(never_started) == []


def test_headers_before_connect_ended_are_clamped_to_the_connect_end() -> None:
    # Clocks read on different sides of an await can disagree by a hair; the bar must not fold back.
    early = record(state=RequestState.DONE, started=1.0, dns=0.2, connect=0.3, response_at=1.1, ended=2.0)
    parts = segments(early)
    assert layout(parts) == [
        (Phase.QUEUED, 0.0, 1.0),
        (Phase.DNS, 1.0, 1.2),
        (Phase.CONNECT, 1.2, 1.5),
        (Phase.DOWNLOADING, 1.5, 2.0),
    ]
    assert_tiles(parts, 2.0)


def test_phases_that_overrun_the_end_are_cut_at_the_end() -> None:
    # A timeout while connecting: DNS and connect as reported would run past the end.
    timed_out = record(state=RequestState.FAILED, started=1.0, dns=0.5, connect=1.0, ended=1.8)
    parts = segments(timed_out)
    assert layout(parts) == [(Phase.QUEUED, 0.0, 1.0), (Phase.DNS, 1.0, 1.5), (Phase.CONNECT, 1.5, 1.8)]
    assert_tiles(parts, 1.8)


def test_segments_tile_every_plausible_record() -> None:
    rng = random.Random(20240611)
    for _ in range(2000):
        started = rng.choice([0.0, rng.uniform(0, 5)])
        dns = rng.choice([None, 0.0, rng.uniform(0, 0.5)])
        connect = rng.choice([None, 0.0, rng.uniform(0, 0.5)]) if dns is not None else None
        ended = started + rng.uniform(0.001, 3)
        response_at = rng.choice([None, rng.uniform(started, ended)])
        r = record(state=RequestState.DONE, started=started, dns=dns, connect=connect, response_at=response_at)
        r.ended = ended
        assert_tiles(segments(r), ended)
        # Unfinished, drawn up to a moment after it started.
        r.ended, r.state = None, RequestState.RUNNING
        now = rng.uniform(max(started, response_at or 0.0) + 1e-6, started + 4)
        assert_tiles(segments(r, now=now), now)


# --- phase durations and hover text ------------------------------------------------------------


def test_phase_durations_add_up_to_the_end_and_name_every_phase() -> None:
    spent = phase_durations(async_record())
    assert set(spent) == set(Phase)
    assert spent == pytest.approx(
        {Phase.QUEUED: 0.5, Phase.DNS: 0.1, Phase.CONNECT: 0.2, Phase.WAITING: 0.5, Phase.DOWNLOADING: 0.7}
    )
    blocking = phase_durations(blocking_record())
    assert blocking[Phase.DNS] == blocking[Phase.CONNECT] == 0.0
    assert sum(blocking.values()) == pytest.approx(1.5)


def test_describe_an_async_request() -> None:
    lines = describe(async_record()).splitlines()
    assert lines[0] == URL
    assert lines[1] == "HTTP 200 OK · 1.0 kB"
    for line in (
        "Queued: 500 ms",
        "DNS: 100 ms",
        "Connect (TCP + TLS): 200 ms",
        "Waiting for first byte: 500 ms",
        "Downloading: 700 ms",
        "Request time: 1.50 s",
    ):
        assert line in lines, lines
    # Phases come in the order they happen.
    phase_lines = [next(i for i, line in enumerate(lines) if line.startswith(p.label + ":")) for p in Phase]
    assert phase_lines == sorted(phase_lines)


def test_describe_a_blocking_request_leaves_out_what_requests_cannot_measure() -> None:
    text = describe(blocking_record())
    assert URL in text and "HTTP 200 OK · 2.5 MB" in text
    assert "Waiting for first byte: 400 ms" in text
    assert "Downloading: 100 ms" in text
    assert "DNS" not in text and "Connect" not in text
    assert "Request time: 500 ms" in text


def test_describe_a_failed_request_shows_its_error() -> None:
    failed = record(started=0.0, dns=0.0, connect=0.0)
    failed.fail(10.0, ErrorKind.TIMEOUT, "Timed out after 10 s")
    lines = describe(failed).splitlines()
    assert lines[0] == URL
    assert lines[1] == "Timed out after 10 s"
    assert not any(line.startswith("HTTP ") for line in lines)


def test_describe_an_http_error_shows_status_and_error() -> None:
    not_found = record(started=0.1, response_at=0.2, status=404, reason="Not Found")
    not_found.finish(0.25)
    text = describe(not_found)
    assert "HTTP 404 Not Found · 0 B" in text
    assert text.count("HTTP 404 Not Found") == 2  # the status line, then the error line


def test_describe_a_request_under_way() -> None:
    running = record(dns=0.0, connect=0.0)
    running.begin(0.3)
    text = describe(running)
    assert "Under way…" in text
    assert "Request time" not in text


def test_describe_a_request_under_way_does_not_claim_it_took_no_time() -> None:
    running = record(dns=0.0, connect=0.0)
    running.begin(0.3)
    assert "0 ms" not in describe(running)
    assert "Waiting for first byte: 1.20 s" in describe(running, now=1.5)


# --- the axis ---------------------------------------------------------------------------------


def summary_of(ends: list[float], *, freezes: tuple[Freeze, ...] = (), mode: FetchMode = FetchMode.ASYNC) -> RunSummary:
    """A completed run whose requests all started at 0 and ended at ``ends``."""
    run, _clock = planned([f"http://127.0.0.1:8000/delay/{i}" for i in range(len(ends))], mode)
    for r, end in zip(run.records, ends):
        answered(r, 0.0, end)
    longest = max((f.duration for f in freezes), default=0.0)
    return run.summarize(RunOutcome.COMPLETED, longest_freeze=longest, freezes=freezes)


def test_span_covers_the_requests_and_a_freeze_past_them() -> None:
    assert span(summary_of([1.0, 2.0])) == pytest.approx(2.0)
    assert span(summary_of([1.0, 2.0], freezes=(Freeze(1.5, 3.5),))) == pytest.approx(3.5)
    assert span(summary_of([])) == 0.0


def test_span_of_a_cancelled_run_reaches_the_moment_it_stopped() -> None:
    run, clock = planned(["http://127.0.0.1:8000/delay/9"])
    clock.now = 4.0
    run.cancel_unfinished()
    clock.now = 4.5
    summary = run.summarize(RunOutcome.CANCELLED, longest_freeze=0.0)
    assert summary.wall_time == pytest.approx(4.5)
    assert span(summary) == pytest.approx(4.5)


@pytest.mark.parametrize(
    ("span_seconds", "max_ticks", "step"),
    [(2.03, 8, 0.5), (1.0, 10, 0.1), (10.0, 5, 2.0), (0.3, 6, 0.05), (45.0, 6, 10.0), (3.9, 4, 1.0)],
)
def test_nice_step_is_one_two_or_five_times_a_power_of_ten(span_seconds: float, max_ticks: int, step: float) -> None:
    assert nice_step(span_seconds, max_ticks) == pytest.approx(step)


def test_nice_step_survives_nonsense() -> None:
    assert nice_step(0.0, 8) == 1.0
    assert nice_step(-3.0, 8) == 1.0
    assert nice_step(5.0, 0) == 1.0


def test_ticks_for_a_two_second_run() -> None:
    marks = ticks(0.0, 2.03, 8)
    assert marks == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
    step = nice_step(2.03, 8)
    labels = [tick_label(t, step) for t in marks]
    assert labels[0] == "0"
    assert labels[1] == "500 ms"
    assert labels[3] == "1.5 s"


def test_ticks_start_at_a_round_time_inside_the_range() -> None:
    assert ticks(0.33, 1.0, 7) == pytest.approx([0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert ticks(2.0, 2.0, 8) == [2.0]
    assert ticks(3.0, 1.0, 8) == [3.0]


@pytest.mark.parametrize(
    ("seconds", "step", "text"),
    [(0.0, 0.5, "0"), (0.25, 0.05, "250 ms"), (1.5, 0.5, "1.5 s"), (1.25, 0.05, "1.25 s"), (20.0, 10.0, "20 s")],
)
def test_tick_label(seconds: float, step: float, text: str) -> None:
    assert tick_label(seconds, step) == text


def test_ticks_are_round_evenly_spaced_and_their_labels_read_back() -> None:
    for span_seconds in [0.01, 0.04, 0.123, 0.5, 0.99, 1.0, 2.03, 3.8, 7.0, 12.5, 59.0, 130.0, 600.0]:
        for max_ticks in range(2, 13):
            step = nice_step(span_seconds, max_ticks)
            mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
            assert round(mantissa, 6) in (1.0, 2.0, 5.0), (span_seconds, max_ticks, step)
            marks = ticks(0.0, span_seconds, max_ticks)
            assert marks[0] == 0.0 and marks[-1] <= span_seconds + 1e-9
            assert span_seconds - marks[-1] < step + 1e-9  # no room left for another tick
            # One more than max_ticks at most: both ends of a range can land on a tick.
            assert 2 <= len(marks) <= max_ticks + 1, (span_seconds, max_ticks, marks)
            assert all(b - a == pytest.approx(step) for a, b in zip(marks, marks[1:]))
            labels = [tick_label(t, step) for t in marks]
            assert len(set(labels)) == len(labels), labels
            for t, text in zip(marks[1:], labels[1:]):
                assert parse_duration(text) == pytest.approx(t, abs=1e-9), (t, text)


def test_sub_millisecond_ticks_have_distinct_labels_that_read_back() -> None:
    step = nice_step(0.004, 8)
    marks = ticks(0.0, 0.004, 8)
    labels = [tick_label(t, step) for t in marks]
    assert len(set(labels)) == len(labels), labels
    for t, text in zip(marks[1:], labels[1:]):
        assert parse_duration(text) == pytest.approx(t, abs=1e-9), (t, text)


# --- comparing two runs -----------------------------------------------------------------------


def test_speedup_names_the_faster_and_the_slower_run_whichever_comes_first() -> None:
    quick = summary_of([0.5, 1.0])
    slow = summary_of([0.5, 1.0, 1.5, 3.0], mode=FetchMode.BLOCKING)
    assert speedup(quick, slow) == (pytest.approx(3.0), quick, slow)
    factor, faster, slower = speedup(slow, quick)
    assert factor == pytest.approx(3.0)
    assert faster is quick and slower is slow


def test_speedup_of_equal_runs_is_one() -> None:
    a, b = summary_of([1.0]), summary_of([1.0])
    factor, faster, slower = speedup(a, b)
    assert factor == pytest.approx(1.0)
    assert {id(faster), id(slower)} == {id(a), id(b)}


def test_speedup_against_a_run_that_took_no_time_does_not_divide_by_zero() -> None:
    empty = summary_of([])  # e.g. every line was rejected before sending
    assert empty.wall_time == 0.0
    some = summary_of([2.0])
    factor, faster, slower = speedup(some, empty)
    assert factor == math.inf
    assert faster is empty and slower is some


# --- the timeline in words, for a screen reader -----------------------------------------------


def test_a_finished_run_in_a_sentence() -> None:
    run, _ = planned([f"http://127.0.0.1:8000/{i}" for i in range(40)])
    for i, item in enumerate(run.records):
        answered(item, 0.0, 1.2, status=500 if i < 2 else 200, reason="")
    summary = run.summarize(RunOutcome.COMPLETED, longest_freeze=0.0)
    assert summary_words(summary) == f"Timeline of run {summary.run_id}: 40 requests, 38 done, 2 failed, 1.20 s; longest freeze 0 ms"


def test_a_run_under_way_in_a_sentence() -> None:
    run, _clock = planned(["http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b"])
    assert progress_words(run.run_id, run.records, 0.0) == f"Timeline of run {run.run_id}, under way: 2 requests, 2 waiting, 0 ms so far"
    run.records[0].begin(0.1)
    assert request_counts(run.records) == "2 requests, 1 under way, 1 waiting"
    assert request_counts(RecordTable()) == "no requests"


def test_a_live_runs_axis_grows_by_steps_of_about_one_and_a_half() -> None:
    assert live_span(0.0) == live_span(0.3) == live_span(1.0) == 1.0
    spans = [live_span(0.05 * n) for n in range(20, 400)]
    assert all(shown >= 0.05 * n for shown, n in zip(spans, range(20, 400)))  # the whole run is in view
    steps = sorted(set(spans))
    assert steps[:4] == pytest.approx([1.0, 1.468, 2.154, 3.162], abs=0.001)
    assert all(1.4 < b / a < 1.5 for a, b in itertools.pairwise(steps))
    assert live_span(10.0) == pytest.approx(10.0) and live_span(10.01) == pytest.approx(14.68, abs=0.01)
