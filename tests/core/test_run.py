"""The run model: planning, request life cycles, summaries and the way numbers are written."""

from __future__ import annotations

import time

import pytest

from app.core.run import (
    PLAN_SLICE,
    ErrorKind,
    FetchMode,
    RecordTable,
    RequestRecord,
    RequestState,
    Run,
    RunOutcome,
    format_duration,
    format_size,
    parse_duration,
    parse_url_lines,
)
from app.core.urls import check_url
from tests.runs import answered


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


def test_a_summarized_run_can_no_longer_change() -> None:
    # The summary shares the run's records (no copy of 200,000 rows), so they are frozen: a late
    # answer can never change a finished run's table, timeline or export.
    run = Run.plan(["http://a/"], FetchMode.BLOCKING)
    summary = run.summarize(RunOutcome.CANCELLED, longest_freeze=0.0)
    with pytest.raises(RuntimeError, match="finished run"):
        run.records[0].begin(0.0)
    with pytest.raises(RuntimeError):
        run.records.add("http://late/")
    assert summary.records[0].state is RequestState.PENDING and len(summary.records) == 1


def test_a_record_reads_and_writes_like_an_object_whatever_its_storage() -> None:
    table = RecordTable()
    record = table.add("http://a/")
    assert record == RequestRecord(0, "http://a/")  # compared by value
    assert (record.started, record.status, record.dns, record.error_kind) == (None, None, None, None)
    record.begin(0.5)
    record.dns, record.connect, record.status, record.reason = 0.0, 0.25, 204, "No Content"
    record.http_version, record.content_type, record.bytes_received = "HTTP/1.1", "text/plain", 3_000_000_000
    record.finish(1.75)
    again = table[0]  # a new view of the same row
    assert again is not record and again == record
    assert (again.started, again.dns, again.connect, again.ended, again.duration) == (0.5, 0.0, 0.25, 1.75, 1.25)
    assert (again.status, again.reason, again.http_version, again.bytes_received) == (204, "No Content", "HTTP/1.1", 3_000_000_000)
    record.started = None  # back to unknown
    assert table[0].started is None and table[0].duration is None
    assert "url='http://a/'" in repr(record)
    with pytest.raises(TypeError):
        RequestRecord(0, "x", colour="red")  # type: ignore[arg-type]


def test_records_made_by_hand_move_into_a_runs_table_with_their_values() -> None:
    mine = RequestRecord(7, "http://a/", status=200)
    mine.begin(1.0)
    run = Run(mode=FetchMode.ASYNC, records=[mine])
    assert isinstance(run.records, RecordTable)
    mine.finish(2.0)  # the record now writes into the run's table
    assert run.records[0].state is RequestState.DONE and run.records[0].index == 7 and run.records[0].duration == 1.0


def test_the_table_answers_counts_and_the_latest_end_from_its_columns() -> None:
    run = Run.plan([f"http://h/{i}" for i in range(6)], FetchMode.ASYNC)
    table = run.records
    for record in table[:3]:
        record.begin(0.0)
    table[0].status = 200
    table[0].finish(2.0)
    table[1].fail(1.0, ErrorKind.TIMEOUT, "Timed out after 1 s")
    assert table.latest_end() == 2.0
    assert (table.count_in(RequestState.RUNNING), table.count_in(RequestState.PENDING), run.finished_count) == (1, 3, 2)
    assert list(table.rows_in(RequestState.PENDING)) == [3, 4, 5]
    assert table.states(1, 4) == [RequestState.FAILED, RequestState.RUNNING, RequestState.PENDING] == [r.state for r in table[1:4]]
    assert table.states(-2, 99) == [r.state for r in table]
    assert len(run.runnable) == 3 and [r.index for r in run.runnable] == [3, 4, 5]
    assert table.started_count() == 3 and table.duration_sum() == pytest.approx(3.0)
    run.cancel_unfinished()
    assert table.count_in(RequestState.CANCELLED) == 4
    assert [r.error for r in table[2:4]] == ["Cancelled", "Cancelled before it started"]


def test_add_lines_plans_in_slices_and_skips_blank_lines_and_comments() -> None:
    lines = ["http://a/1", "", "  # note", *[f"  http://b/{i}  " for i in range(PLAN_SLICE * 2)], "hello"]
    run = Run(mode=FetchMode.ASYNC)
    progress = list(run.add_lines(lines, check=check_url))
    assert progress == [PLAN_SLICE, PLAN_SLICE * 2, len(lines)]  # a chance to breathe after every slice
    assert len(run.records) == 1 + PLAN_SLICE * 2 + 1
    assert run.records[1].url == "http://b/0"  # stripped
    assert run.records[-1].error_kind is ErrorKind.INVALID_URL
    assert [r.index for r in run.records] == list(range(len(run.records)))


def test_add_lines_takes_a_text_without_splitting_it_whole() -> None:
    lines = ["# header", *[f"http://b/{i}" for i in range(PLAN_SLICE * 2 + 5)], "", "hello"]
    from_text, from_list = Run(mode=FetchMode.ASYNC), Run(mode=FetchMode.ASYNC)
    planner = from_text.add_lines("\r\n".join(lines) + "\r\n", check=check_url)
    assert from_text.lines_total == len(lines) and from_text.planning  # counted before any slice
    progress = list(planner)
    assert progress[0] == PLAN_SLICE and progress[-1] == len(lines) and not from_text.planning
    list(from_list.add_lines(lines, check=check_url))
    assert [r.values() for r in from_text.records] == [r.values() for r in from_list.records]
    assert len(from_text.records) == PLAN_SLICE * 2 + 5 + 1


def test_a_run_costs_a_hundred_bytes_or_so_per_url() -> None:
    import tracemalloc

    urls = [f"http://127.0.0.1:8000/delay/0?n={i}" for i in range(20_000)]
    tracemalloc.start()
    try:
        run = Run.plan(urls, FetchMode.ASYNC)
        for record in run.records:
            record.begin(0.5)
            record.status, record.reason, record.http_version = 200, "OK", "HTTP/1.1"
            record.response_at = 0.75
            record.bytes_received = 1234
            record.finish(1.0)
        current, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The URLs themselves are the caller's; the records add their columns only (~95 bytes a row).
    assert current / len(urls) < 150


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


def test_the_running_totals_always_match_the_records() -> None:
    # started_count, duration_sum and latest_end are kept up to date as times change (a run's end
    # must not walk 200,000 records): whatever the order of changes, they match a recount.
    import random

    chooser = random.Random(7)
    table = Run.plan([f"http://h/{i}" for i in range(50)], FetchMode.ASYNC).records
    for _ in range(2000):
        record = table[chooser.randrange(len(table))]
        field = chooser.choice(["started", "ended"])
        setattr(record, field, chooser.choice([None, round(chooser.uniform(0, 10), 3)]))
        started = [r.started for r in table if r.started is not None]
        durations = [r.duration for r in table if r.duration is not None]
        assert table.started_count() == len(started)
        assert table.duration_sum() == pytest.approx(max(0.0, sum(durations)), abs=1e-9)
    ends = [r.ended for r in table if r.ended is not None]
    assert table.latest_end() >= max(ends)  # the latest end ever seen (ends only grow in a run)


def test_a_requests_steps_in_one_call_each_are_the_same_as_field_by_field() -> None:
    # fetch_async writes a row in a few calls (begin, answered, received, finish) rather than a
    # field at a time: the record and the table's totals must be exactly what the fields give.
    fast, slow = (Run.plan([f"http://h/{i}" for i in range(4)], FetchMode.ASYNC).records for _ in range(2))
    for row, (status, reason) in enumerate([(200, "OK"), (404, "Not Found"), (500, ""), (204, "No Content")]):
        quick, by_hand = fast[row], slow[row]
        quick.begin(0.5 + row, phases=0.0)
        by_hand.state, by_hand.started, by_hand.dns, by_hand.connect = RequestState.RUNNING, 0.5 + row, 0.0, 0.0
        quick.answered(1.0 + row, status, reason, "HTTP/1.1", "text/plain")
        by_hand.response_at, by_hand.status, by_hand.reason = 1.0 + row, status, reason
        by_hand.http_version, by_hand.content_type = "HTTP/1.1", "text/plain"
        assert quick.received(1000) == 1000 and quick.received(24) == 1024
        by_hand.bytes_received = 1024
        quick.finish(2.0 + row)
        by_hand.ended = 2.0 + row
        if status >= 400:
            by_hand.state, by_hand.error_kind = RequestState.FAILED, ErrorKind.HTTP_STATUS
            by_hand.error = f"HTTP {status} {reason}".rstrip()
        else:
            by_hand.state = RequestState.DONE
    assert [r.values() for r in fast] == [r.values() for r in slow]
    assert fast[1].error == "HTTP 404 Not Found" and fast[2].error == "HTTP 500" and fast[0].state is RequestState.DONE
    totals = [(table.started_count(), table.duration_sum(), table.latest_end()) for table in (fast, slow)]
    assert totals == [(4, 6.0, 5.0)] * 2
    Run(mode=FetchMode.ASYNC, records=fast).summarize(RunOutcome.COMPLETED, longest_freeze=0.0)
    record = fast[0]
    steps = (lambda: record.begin(9.0), lambda: record.answered(9.0, 200, "", "", ""), lambda: record.received(1), lambda: record.finish(9.0))
    for step in steps:
        with pytest.raises(RuntimeError, match="finished run"):
            step()


def test_cancelling_a_run_in_one_go_is_the_same_as_record_by_record() -> None:
    # Waiting records are cancelled a stretch at a time (200,000 one by one froze the window for
    # 1.3 s): the result must be exactly what RequestRecord.cancel gives, whatever lies between.
    urls = [f"http://h/{i}" if i % 7 else "not a url" for i in range(40)]
    fast, slow = (Run.plan(urls, FetchMode.ASYNC, check=check_url) for _ in range(2))
    for run in (fast, slow):
        for row in (1, 2, 3, 20):
            run.records[row].begin(0.5)
        answered(run.records[2], 0.5, 0.75)
        run.records[3].fail(0.8, ErrorKind.TIMEOUT, "Timed out after 0.3 s")
    fast.records.cancel_unfinished(2.0)
    for record in slow.records:
        record.cancel(2.0)
    assert [r.values() for r in fast.records] == [r.values() for r in slow.records]
    assert fast.records.latest_end() == slow.records.latest_end() == 2.0
    assert fast.records.duration_sum() == pytest.approx(slow.records.duration_sum())


def test_cancelling_200_000_waiting_records_takes_milliseconds() -> None:
    run = Run(mode=FetchMode.ASYNC)
    list(run.add_lines("\n".join(f"http://127.0.0.1:8000/{i}" for i in range(200_000))))
    started = time.perf_counter()
    run.cancel_unfinished()
    assert time.perf_counter() - started < 0.1  # a loose bound: one by one took 1.3 s
    assert run.records.count_in(RequestState.CANCELLED) == 200_000
