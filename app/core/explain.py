"""What LoopLab tells the student after a run: how long the window was frozen, and why.

Pure functions of a :class:`~app.core.run.RunSummary`, so the wording is tested without Qt and
reused wherever a run is reported.
"""

from __future__ import annotations

from app.core.lag import is_frozen, is_smooth
from app.core.run import FetchMode, RequestState, RunOutcome, RunSummary, format_duration
from app.core.timeline import speedup


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def headline(summary: RunSummary) -> str:
    """One short sentence for the big label: the verdict on the window."""
    freeze = format_duration(summary.longest_freeze)
    if summary.outcome is RunOutcome.FAILED:
        return "The run stopped on an unexpected error."
    if is_frozen(summary.longest_freeze):
        return f"The window was frozen for {freeze}."
    return "The window stayed alive the whole time."


def explanation(summary: RunSummary) -> str:
    """A few sentences on what happened and why, in a teacher's words."""
    counts = summary.counts
    fetched = summary.records.started_count()
    failed = counts[RequestState.FAILED]
    wall = format_duration(summary.wall_time)
    total = format_duration(summary.request_time_sum)
    freeze = format_duration(summary.longest_freeze)
    parts: list[str] = []

    if summary.outcome is RunOutcome.FAILED:
        parts.append(f"LoopLab itself hit an error ({summary.error}); it is logged and shown above.")
    elif fetched == 0 and summary.outcome is RunOutcome.CANCELLED:
        parts.append("Cancelled before any request started.")
    elif fetched == 0:
        parts.append("Nothing was fetched: no line was a URL LoopLab can fetch (see the Error column).")
    elif summary.mode is FetchMode.BLOCKING:
        calls = "once" if fetched == 1 else f"{fetched} times in a row"
        parts.append(
            f"requests.get() ran {calls} on the GUI thread. While it waited for the network, the "
            "window could not redraw, animate or react to typing."
        )
        if fetched > 1:
            parts.append(f"One after another, the waits add up: {total} of requests took {wall}.")
    else:
        if is_smooth(summary.longest_freeze):
            parts.append(
                f"The event loop kept the window drawing while aiohttp waited: its longest stall "
                f"was {freeze}, less than one frame."
            )
        elif not is_frozen(summary.longest_freeze):
            parts.append(
                f"The event loop kept the window drawing while aiohttp waited: its longest stall "
                f"was {freeze}, too short to notice."
            )
        else:
            parts.append(
                f"aiohttp waited on the event loop, yet the window still stalled for {freeze} at "
                "worst: something else held the GUI thread that long."
            )
        if fetched > 1:
            # No "x faster" here: that is said of two runs, by comparison() alone, so the report
            # and the history can never give two different figures for one pair of runs.
            parts.append(f"{fetched} requests overlapped, so the run took {wall} instead of the {total} they add up to.")

    if summary.outcome is RunOutcome.CANCELLED:
        parts.append(f"Cancelled after {wall}: {_plural(counts[RequestState.CANCELLED], 'request')} did not finish.")
    if failed:
        parts.append(f"{_plural(failed, 'request')} failed: the Error column says why.")
    return " ".join(parts)


def comparable(a: RunSummary, b: RunSummary) -> bool:
    """Two runs whose times say something about speed: both completed, with the same URLs."""
    return a.outcome is b.outcome is RunOutcome.COMPLETED and a.records.same_urls(b.records)


def comparison(a: RunSummary, b: RunSummary) -> str:
    """The one sentence that compares two runs' speed, wherever LoopLab compares them."""
    unfinished = [r.run_id for r in (a, b) if r.outcome is not RunOutcome.COMPLETED]
    if unfinished:
        return f"Run {unfinished[0]} did not complete, so their times say nothing about speed."
    if not a.records.same_urls(b.records):
        return "Different URL lists: the two timelines are on one scale, but no speed-up is worked out."
    factor, faster, slower = speedup(a, b)
    if faster.wall_time <= 0:
        return f"Run {faster.run_id} took no time at all: nothing to compare."
    if factor < 1.05:
        return f"About the same: {format_duration(faster.wall_time)} and {format_duration(slower.wall_time)}"
    return (
        f"Run {faster.run_id} ({faster.mode.label}) was {factor:.1f}× faster: "
        f"{format_duration(faster.wall_time)} instead of {format_duration(slower.wall_time)}"
    )


def window_words(longest_freeze: float) -> str:
    """How the window fared, as the end of a run is announced: "the window stayed alive" or "the
    window was frozen for 2.04 s" (the meter's line: a stutter is still alive)."""
    if is_frozen(longest_freeze):
        return f"the window was frozen for {format_duration(longest_freeze)}"
    return "the window stayed alive"


def announcement(summary: RunSummary) -> str:
    """The sentence a screen reader says when a run of URLs ends: "Run finished: 40 requests in
    1.20 s, the window stayed alive" (a lesson's: :func:`lesson_announcement`)."""
    took = format_duration(summary.wall_time)
    if summary.outcome is RunOutcome.FAILED:
        return f"Run stopped on an error after {took}: {summary.error}"
    records, window = summary.records, window_words(summary.longest_freeze)
    requests = _plural(len(records), "request")
    if summary.outcome is RunOutcome.CANCELLED:
        return f"Run cancelled after {took}: {records.count_in(RequestState.DONE)} of {requests} done, {window}"
    failed = records.count_in(RequestState.FAILED)
    return f"Run finished: {requests}{f' ({failed} failed)' if failed else ''} in {took}, {window}"


def lesson_announcement(summary: RunSummary, title: str, verdict: str = "") -> str:
    """The sentence a screen reader says when a lesson's run ends: "Lesson finished: <title>.
    <verdict>", or that it was cancelled or stopped on an error."""
    if summary.outcome is RunOutcome.CANCELLED:
        return f"Lesson cancelled after {format_duration(summary.wall_time)}: {title}."
    if summary.outcome is RunOutcome.FAILED:
        return f"The lesson's code stopped with an error: {title}: {summary.error}"
    return f"Lesson finished: {title}. {verdict}" if verdict else f"Lesson finished: {title}, {window_words(summary.longest_freeze)}."
