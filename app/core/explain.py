"""What LoopLab tells the student after a run: how long the window was frozen, and why.

Pure functions of a :class:`~app.core.run.RunSummary`, so the wording is tested without Qt and
reused wherever a run is reported.
"""

from __future__ import annotations

from app.core.lag import is_frozen, is_smooth
from app.core.run import FetchMode, RequestState, RunOutcome, RunSummary, format_duration
from app.core.timeline import speedup
from app.i18n import _, ngettext


def headline(summary: RunSummary) -> str:
    """One short sentence for the big label: the verdict on the window."""
    freeze = format_duration(summary.longest_freeze)
    if summary.outcome is RunOutcome.FAILED:
        return _("The run stopped on an unexpected error.")
    if is_frozen(summary.longest_freeze):
        return _("The window was frozen for {time}.").format(time=freeze)
    return _("The window stayed alive the whole time.")


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
        parts.append(_("LoopLab itself hit an error ({error}); it is logged and shown above.").format(error=summary.error))
    elif fetched == 0 and summary.outcome is RunOutcome.CANCELLED:
        parts.append(_("Cancelled before any request started."))
    elif fetched == 0:
        parts.append(_("Nothing was fetched: no line was a URL LoopLab can fetch (see the Error column)."))
    elif summary.mode is FetchMode.BLOCKING:
        if fetched == 1:
            parts.append(
                _(
                    "requests.get() ran once on the GUI thread. While it waited for the network, the "
                    "window could not redraw, animate or react to typing."
                )
            )
        else:
            parts.append(
                ngettext(
                    "requests.get() ran {n} time in a row on the GUI thread. While it waited for the network, the "
                    "window could not redraw, animate or react to typing.",
                    "requests.get() ran {n} times in a row on the GUI thread. While it waited for the network, the "
                    "window could not redraw, animate or react to typing.",
                    fetched,
                ).format(n=fetched)
            )
            parts.append(_("One after another, the waits add up: {total} of requests took {wall}.").format(total=total, wall=wall))
    else:
        if is_smooth(summary.longest_freeze):
            parts.append(
                _(
                    "The event loop kept the window drawing while aiohttp waited: its longest stall "
                    "was {time}, less than one frame."
                ).format(time=freeze)
            )
        elif not is_frozen(summary.longest_freeze):
            parts.append(
                _(
                    "The event loop kept the window drawing while aiohttp waited: its longest stall "
                    "was {time}, too short to notice."
                ).format(time=freeze)
            )
        else:
            parts.append(
                _(
                    "aiohttp waited on the event loop, yet the window still stalled for {time} at "
                    "worst: something else held the GUI thread that long."
                ).format(time=freeze)
            )
        if fetched > 1:
            # No "x faster" here: that is said of two runs, by comparison() alone, so the report
            # and the history can never give two different figures for one pair of runs.
            parts.append(
                ngettext(
                    "{n} request overlapped, so the run took {wall} instead of the {total} they add up to.",
                    "{n} requests overlapped, so the run took {wall} instead of the {total} they add up to.",
                    fetched,
                ).format(n=fetched, wall=wall, total=total)
            )

    if summary.outcome is RunOutcome.CANCELLED:
        cancelled = counts[RequestState.CANCELLED]
        parts.append(
            ngettext(
                "Cancelled after {wall}: {n} request did not finish.", "Cancelled after {wall}: {n} requests did not finish.", cancelled
            ).format(wall=wall, n=cancelled)
        )
    if failed:
        parts.append(ngettext("{n} request failed: the Error column says why.", "{n} requests failed: the Error column says why.", failed).format(n=failed))
    return " ".join(parts)


def comparable(a: RunSummary, b: RunSummary) -> bool:
    """Two runs whose times say something about speed: both completed, with the same URLs."""
    return a.outcome is b.outcome is RunOutcome.COMPLETED and a.records.same_urls(b.records)


def comparison(a: RunSummary, b: RunSummary) -> str:
    """The one sentence that compares two runs' speed, wherever LoopLab compares them."""
    unfinished = [r.run_id for r in (a, b) if r.outcome is not RunOutcome.COMPLETED]
    if unfinished:
        return _("Run {run} did not complete, so their times say nothing about speed.").format(run=unfinished[0])
    if not a.records.same_urls(b.records):
        return _("Different URL lists: the two timelines are on one scale, but no speed-up is worked out.")
    factor, faster, slower = speedup(a, b)
    if faster.wall_time <= 0:
        return _("Run {run} took no time at all: nothing to compare.").format(run=faster.run_id)
    if factor < 1.05:
        return _("About the same: {time} and {time2}").format(time=format_duration(faster.wall_time), time2=format_duration(slower.wall_time))
    return _("Run {run} ({mode}) was {factor}× faster: {time} instead of {time2}").format(
        run=faster.run_id,
        mode=faster.mode.label,
        factor=f"{factor:.1f}",
        time=format_duration(faster.wall_time),
        time2=format_duration(slower.wall_time),
    )


def window_words(longest_freeze: float) -> str:
    """How the window fared, as the end of a run is announced: "the window stayed alive" or "the
    window was frozen for 2.04 s" (the meter's line: a stutter is still alive)."""
    if is_frozen(longest_freeze):
        return _("the window was frozen for {time}").format(time=format_duration(longest_freeze))
    return _("the window stayed alive")


def announcement(summary: RunSummary) -> str:
    """The sentence a screen reader says when a run of URLs ends: "Run finished: 40 requests in
    1.20 s, the window stayed alive" (a lesson's: :func:`lesson_announcement`)."""
    took = format_duration(summary.wall_time)
    if summary.outcome is RunOutcome.FAILED:
        return _("Run stopped on an error after {time}: {error}").format(time=took, error=summary.error)
    records, window = summary.records, window_words(summary.longest_freeze)
    n = len(records)
    if summary.outcome is RunOutcome.CANCELLED:
        return ngettext(
            "Run cancelled after {time}: {done} of {n} request done, {window}",
            "Run cancelled after {time}: {done} of {n} requests done, {window}",
            n,
        ).format(time=took, done=records.count_in(RequestState.DONE), n=n, window=window)
    failed = records.count_in(RequestState.FAILED)
    if failed:
        return ngettext(
            "Run finished: {n} request ({failed} failed) in {time}, {window}",
            "Run finished: {n} requests ({failed} failed) in {time}, {window}",
            n,
        ).format(n=n, failed=failed, time=took, window=window)
    return ngettext("Run finished: {n} request in {time}, {window}", "Run finished: {n} requests in {time}, {window}", n).format(
        n=n, time=took, window=window
    )


def lesson_announcement(summary: RunSummary, title: str, verdict: str = "") -> str:
    """The sentence a screen reader says when a lesson's run ends: "Lesson finished: <title>.
    <verdict>", or that it was cancelled or stopped on an error."""
    if summary.outcome is RunOutcome.CANCELLED:
        return _("Lesson cancelled after {time}: {title}.").format(time=format_duration(summary.wall_time), title=title)
    if summary.outcome is RunOutcome.FAILED:
        return _("The lesson's code stopped with an error: {title}: {error}").format(title=title, error=summary.error)
    if verdict:
        return _("Lesson finished: {title}. {verdict}").format(title=title, verdict=verdict)
    return _("Lesson finished: {title}, {window}.").format(title=title, window=window_words(summary.longest_freeze))
