"""What LoopLab tells the student after a run: how long the window was frozen, and why.

Pure functions of a :class:`~app.core.run.RunSummary`, so the wording is tested without Qt and
reused wherever a run is reported.
"""

from __future__ import annotations

from app.core.lag import is_long_task, is_smooth
from app.core.run import FetchMode, RequestState, RunOutcome, RunSummary, format_duration


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def headline(summary: RunSummary) -> str:
    """One short sentence for the big label: the verdict on the window."""
    freeze = format_duration(summary.longest_freeze)
    if summary.outcome is RunOutcome.FAILED:
        return "The run stopped on an unexpected error."
    if is_long_task(summary.longest_freeze):
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
        elif not is_long_task(summary.longest_freeze):
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
            speedup = summary.overlap_speedup
            faster = f", {speedup:.1f}x faster" if speedup and speedup >= 1.05 else ""
            parts.append(
                f"{fetched} requests overlapped, so the run took {wall} instead of the {total} "
                f"they add up to{faster}."
            )

    if summary.outcome is RunOutcome.CANCELLED:
        parts.append(f"Cancelled after {wall}: {_plural(counts[RequestState.CANCELLED], 'request')} did not finish.")
    if failed:
        parts.append(f"{_plural(failed, 'request')} failed: the Error column says why.")
    return " ".join(parts)
