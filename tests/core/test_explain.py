"""What LoopLab tells the student after a run: the headline verdict and the explanation in words."""

from __future__ import annotations

from app.core.explain import announcement, explanation, headline, lesson_announcement
from app.core.run import ErrorKind, FetchMode, RunOutcome, RunSummary
from tests.runs import answered, planned, urls


def async_overlapping_run(longest_freeze: float) -> RunSummary:
    """Three requests of 1.2, 1.2 and 1.3 s (3.70 s added up) that overlapped into 1.50 s."""
    run, _ = planned(urls(3), FetchMode.ASYNC)
    for record, (start, end) in zip(run.records, [(0.0, 1.2), (0.1, 1.3), (0.2, 1.5)]):
        answered(record, start, end)
    return run.summarize(RunOutcome.COMPLETED, longest_freeze=longest_freeze)


# --- async runs ------------------------------------------------------------------------------


def test_async_overlap_names_the_wall_time_the_sum_and_how_much_faster_it_was() -> None:
    summary = async_overlapping_run(longest_freeze=0.004)
    text = explanation(summary)
    assert "3 requests overlapped, so the run took 1.50 s instead of the 3.70 s they add up to" in text
    # "x faster" is said of two runs only, by explain.comparison: one figure for one pair of runs.
    assert "faster" not in text


def test_async_run_with_a_stall_under_one_frame_says_the_window_stayed_alive() -> None:
    summary = async_overlapping_run(longest_freeze=0.004)
    assert headline(summary) == "The window stayed alive the whole time."
    assert "its longest stall was 4 ms, less than one frame" in explanation(summary)
    assert "frozen" not in headline(summary)


def test_async_run_with_a_stall_between_a_frame_and_50_ms_calls_it_too_short_to_notice() -> None:
    summary = async_overlapping_run(longest_freeze=0.030)
    assert headline(summary) == "The window stayed alive the whole time."
    assert "its longest stall was 30 ms, too short to notice" in explanation(summary)


def test_async_run_with_a_stall_over_50_ms_blames_something_else_on_the_gui_thread() -> None:
    summary = async_overlapping_run(longest_freeze=0.120)
    assert headline(summary) == "The window was frozen for 120 ms."
    text = explanation(summary)
    assert "the window still stalled for 120 ms at worst" in text
    assert "something else held the GUI thread" in text
    assert "less than one frame" not in text


def test_async_requests_that_did_not_overlap_claim_no_speedup() -> None:
    run, _ = planned(urls(2), FetchMode.ASYNC)  # one after the other, as with a concurrency of 1
    answered(run.records[0], 0.0, 1.0)
    answered(run.records[1], 1.0, 2.0)
    text = explanation(run.summarize(RunOutcome.COMPLETED, longest_freeze=0.002))
    assert "the run took 2.00 s instead of the 2.00 s they add up to." in text
    assert "faster" not in text


def test_a_single_async_request_has_nothing_to_overlap_with() -> None:
    run, _ = planned(urls(1), FetchMode.ASYNC)
    answered(run.records[0], 0.0, 0.8)
    text = explanation(run.summarize(RunOutcome.COMPLETED, longest_freeze=0.002))
    assert "The event loop kept the window drawing while aiohttp waited" in text
    assert "overlapped" not in text


# --- blocking runs ---------------------------------------------------------------------------


def test_blocking_run_of_several_requests_ran_them_in_a_row_on_the_gui_thread() -> None:
    run, _ = planned(urls(3), FetchMode.BLOCKING)
    for record, (start, end) in zip(run.records, [(0.0, 0.7), (0.7, 1.4), (1.4, 2.04)]):
        answered(record, start, end)
    summary = run.summarize(RunOutcome.COMPLETED, longest_freeze=2.04)
    text = explanation(summary)
    assert "requests.get() ran 3 times in a row on the GUI thread" in text
    assert "the window could not redraw, animate or react to typing" in text
    assert "One after another, the waits add up: 2.04 s of requests took 2.04 s." in text
    assert headline(summary) == "The window was frozen for 2.04 s."


def test_blocking_run_of_one_request_says_it_ran_once_and_adds_nothing_up() -> None:
    run, _ = planned(urls(1), FetchMode.BLOCKING)
    answered(run.records[0], 0.0, 0.85)
    summary = run.summarize(RunOutcome.COMPLETED, longest_freeze=0.85)
    text = explanation(summary)
    assert "requests.get() ran once on the GUI thread" in text
    assert "add up" not in text
    assert headline(summary) == "The window was frozen for 850 ms."


# --- nothing fetched, cancelled, failed ------------------------------------------------------


def test_a_run_with_no_fetchable_line_says_nothing_was_fetched_and_points_to_the_error_column() -> None:
    run, _ = planned(["hello", "ftp://files.test/x"], FetchMode.ASYNC)
    summary = run.summarize(RunOutcome.COMPLETED, longest_freeze=0.0)
    text = explanation(summary)
    assert text.startswith("Nothing was fetched: no line was a URL LoopLab can fetch (see the Error column).")
    assert "2 requests failed: the Error column says why." in text
    assert "aiohttp" not in text
    assert headline(summary) == "The window stayed alive the whole time."


def test_a_cancelled_run_says_after_how_long_and_how_many_requests_did_not_finish() -> None:
    run, fake = planned(urls(3), FetchMode.ASYNC)
    answered(run.records[0], 0.0, 0.4)
    run.records[1].begin(0.1)
    run.records[2].begin(0.1)
    fake.now = 0.9
    run.cancel_unfinished()
    text = explanation(run.summarize(RunOutcome.CANCELLED, longest_freeze=0.003))
    assert "Cancelled after 900 ms: 2 requests did not finish." in text
    assert "failed" not in text  # cancelled requests are not failures


def test_a_cancelled_run_with_one_unfinished_request_says_request_in_the_singular() -> None:
    run, fake = planned(urls(2), FetchMode.BLOCKING)
    answered(run.records[0], 0.0, 0.5)
    fake.now = 1.25
    run.cancel_unfinished()
    text = explanation(run.summarize(RunOutcome.CANCELLED, longest_freeze=0.5))
    assert "Cancelled after 1.25 s: 1 request did not finish." in text


def test_a_run_cancelled_before_anything_started_does_not_blame_the_urls() -> None:
    run, fake = planned(urls(2), FetchMode.BLOCKING)
    fake.now = 0.05
    run.cancel_unfinished()
    text = explanation(run.summarize(RunOutcome.CANCELLED, longest_freeze=0.0))
    assert "Cancelled after 50 ms: 2 requests did not finish." in text
    assert "no line was a URL LoopLab can fetch" not in text


def test_one_failed_request_is_counted_in_the_singular() -> None:
    run, _ = planned(urls(2), FetchMode.ASYNC)
    answered(run.records[0], 0.0, 0.5)
    answered(run.records[1], 0.0, 0.6, status=500, reason="Internal Server Error")
    text = explanation(run.summarize(RunOutcome.COMPLETED, longest_freeze=0.002))
    assert "1 request failed: the Error column says why." in text
    assert "1 requests" not in text


def test_two_failed_requests_are_counted_in_the_plural() -> None:
    run, _ = planned(urls(3), FetchMode.ASYNC)
    answered(run.records[0], 0.0, 0.5)
    answered(run.records[1], 0.0, 0.6, status=404, reason="Not Found")
    run.records[2].begin(0.0)
    run.records[2].fail(0.7, ErrorKind.TIMEOUT, "Timed out after 0.7 s")
    text = explanation(run.summarize(RunOutcome.COMPLETED, longest_freeze=0.002))
    assert "2 requests failed: the Error column says why." in text


def test_a_run_without_failures_does_not_mention_failures() -> None:
    assert "failed" not in explanation(async_overlapping_run(longest_freeze=0.004))


def test_a_failed_run_reports_the_error_and_its_headline_wins_over_the_freeze() -> None:
    run, fake = planned(urls(2), FetchMode.BLOCKING)
    answered(run.records[0], 0.0, 0.6)
    fake.now = 0.7
    run.cancel_unfinished()
    summary = run.summarize(RunOutcome.FAILED, longest_freeze=0.6, error="RuntimeError: boom")
    assert headline(summary) == "The run stopped on an unexpected error."
    text = explanation(summary)
    assert text.startswith("LoopLab itself hit an error (RuntimeError: boom); it is logged and shown above.")
    assert "requests.get()" not in text
    assert "Cancelled after" not in text


# --- what a screen reader hears when a run ends ------------------------------------------------


def test_the_end_of_a_run_is_one_sentence_with_the_window_verdict() -> None:
    assert announcement(async_overlapping_run(0.004)) == "Run finished: 3 requests in 1.50 s, the window stayed alive"
    assert announcement(async_overlapping_run(0.030)) == "Run finished: 3 requests in 1.50 s, the window stayed alive"  # a stutter
    assert announcement(async_overlapping_run(1.2)) == "Run finished: 3 requests in 1.50 s, the window was frozen for 1.20 s"


def test_the_announcement_counts_failures_and_says_a_cancel() -> None:
    run, _ = planned(urls(3), FetchMode.BLOCKING)
    answered(run.records[0], 0.0, 0.5)
    answered(run.records[1], 0.5, 1.0, status=404, reason="Not Found")
    answered(run.records[2], 1.0, 1.5)
    finished = run.summarize(RunOutcome.COMPLETED, longest_freeze=1.5)
    assert announcement(finished) == "Run finished: 3 requests (1 failed) in 1.50 s, the window was frozen for 1.50 s"
    run, _ = planned(urls(4), FetchMode.ASYNC)
    answered(run.records[0], 0.0, 0.2)
    run.cancel_unfinished()
    cancelled = run.summarize(RunOutcome.CANCELLED, longest_freeze=0.0)
    assert announcement(cancelled).startswith("Run cancelled after ")
    assert announcement(cancelled).endswith(": 1 of 4 requests done, the window stayed alive")


def test_a_lesson_is_announced_with_its_verdict() -> None:
    summary = async_overlapping_run(0.004)
    assert lesson_announcement(summary, "Sleep", "Took 1.50 s; the window stayed alive.") == (
        "Lesson finished: Sleep. Took 1.50 s; the window stayed alive."
    )
    assert lesson_announcement(summary, "Sleep") == "Lesson finished: Sleep, the window stayed alive."
