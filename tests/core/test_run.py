"""The run model: planning, request life cycles, summaries and the way numbers are written."""

from __future__ import annotations

import pytest

from app.core.fetch import check_url
from app.core.run import (
    ErrorKind,
    FetchMode,
    RequestRecord,
    RequestState,
    Run,
    RunOutcome,
    format_duration,
    format_size,
    parse_duration,
    parse_url_lines,
)


def test_parse_url_lines_skips_blank_lines_and_comments() -> None:
    text = "  http://a/1  \n\n   \n# a comment\nhttp://b/2\n\t\n"
    assert parse_url_lines(text) == ["http://a/1", "http://b/2"]


def test_plan_fails_unfetchable_lines_before_anything_is_sent() -> None:
    run = Run.plan(["http://ok.test/", "ftp://files.test/x", "hello"], FetchMode.ASYNC, check=check_url)
    good, ftp, word = run.records
    assert good.state is RequestState.PENDING
    assert ftp.state is RequestState.FAILED and ftp.error_kind is ErrorKind.UNSUPPORTED_SCHEME
    assert word.state is RequestState.FAILED and word.error_kind is ErrorKind.INVALID_URL
    assert run.runnable == [good]
    assert [r.index for r in run.records] == [0, 1, 2]


def test_plan_refuses_a_concurrency_below_one() -> None:
    with pytest.raises(ValueError):
        Run.plan(["http://a/"], FetchMode.ASYNC, concurrency=0)


def test_http_error_status_finishes_as_failed_with_the_status_in_words() -> None:
    record = RequestRecord(0, "http://x/")
    record.begin(0.0)
    record.status, record.reason = 503, "Service Unavailable"
    record.finish(1.5)
    assert record.state is RequestState.FAILED
    assert record.error_kind is ErrorKind.HTTP_STATUS
    assert record.error == "HTTP 503 Service Unavailable"
    assert record.duration == pytest.approx(1.5)


def test_success_status_finishes_as_done() -> None:
    record = RequestRecord(0, "http://x/")
    record.begin(0.25)
    record.status = 200
    record.finish(0.75)
    assert record.state is RequestState.DONE and record.error == ""
    assert record.duration == pytest.approx(0.5)


def test_cancel_tells_running_from_never_started_and_leaves_finished_alone() -> None:
    running, pending, done = RequestRecord(0, "a"), RequestRecord(1, "b"), RequestRecord(2, "c")
    running.begin(0.0)
    done.begin(0.0)
    done.status = 200
    done.finish(0.1)
    for record in (running, pending, done):
        record.cancel(0.5)
    assert running.state is RequestState.CANCELLED and running.error == "Cancelled"
    assert pending.state is RequestState.CANCELLED and pending.error == "Cancelled before it started"
    assert done.state is RequestState.DONE and done.ended == pytest.approx(0.1)


def test_summary_of_overlapping_requests_shows_the_speedup() -> None:
    run = Run.plan(["http://a/", "http://b/", "http://c/"], FetchMode.ASYNC)
    for record in run.records:  # three 1 s requests that overlapped completely
        record.begin(0.0)
        record.status = 200
        record.finish(1.0)
    summary = run.summarize(RunOutcome.COMPLETED, longest_freeze=0.004)
    assert summary.wall_time == pytest.approx(1.0)
    assert summary.request_time_sum == pytest.approx(3.0)
    assert summary.overlap_speedup == pytest.approx(3.0)
    assert summary.counts[RequestState.DONE] == 3
    assert summary.longest_freeze == pytest.approx(0.004)


def test_summary_is_a_snapshot_not_a_view_of_live_records() -> None:
    run = Run.plan(["http://a/"], FetchMode.BLOCKING)
    summary = run.summarize(RunOutcome.CANCELLED, longest_freeze=0.0)
    run.records[0].begin(0.0)
    assert summary.records[0].state is RequestState.PENDING


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0 ms"), (0.0123, "12 ms"), (0.85, "850 ms"), (2.04, "2.04 s"), (12.49, "12.5 s"), (65.2, "1 min 05 s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert format_duration(parse_duration(text)) == text  # reads back what it wrote


def test_parse_duration_refuses_other_text() -> None:
    with pytest.raises(ValueError):
        parse_duration("fast")


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (99_949, "99.9 kB"), (99_999, "100 kB"), (2_500_000, "2.5 MB")],
)
def test_format_size(n: int, text: str) -> None:
    assert format_size(n) == text
