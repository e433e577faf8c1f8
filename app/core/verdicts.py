"""The verdict on a lesson's run, said the same way in the lesson panel and in the report.

A lesson's own code is held to its claim (:meth:`app.core.lessons.Lesson.verdict`). Code that is
not the lesson's own (edited in the window) and the playground claim nothing: their verdict
says what happened (:func:`app.core.lessons.report_without_claim`). Either way, what the class
predicted before Run comes first, set against what happened (``app.core.predictions``).
Everything is read from the run's own request, never from what the window shows now.
"""

from __future__ import annotations

from app.core.lessons import PlaygroundLesson, Verdict, report_without_claim
from app.core.predictions import compare
from app.core.run import RunOutcome, RunRequest, RunSummary


def verdict_for(summary: RunSummary) -> Verdict | None:
    """The verdict on a completed lesson run; None for a URL run or a run that did not complete."""
    request = summary.request
    lesson = request.lesson if request is not None else None
    if request is None or lesson is None or request.setup is None or summary.outcome is not RunOutcome.COMPLETED:
        return None
    if request.edited:
        verdict = report_without_claim(summary.wall_time, summary.longest_freeze, edited=True)
    else:
        verdict = lesson.verdict(request.setup, summary.wall_time, summary.longest_freeze)
    if request.prediction is not None and request.prediction.answered:
        said = compare(request.prediction, summary.wall_time, summary.longest_freeze).text
        verdict = Verdict(verdict.as_expected, f"{said} {verdict.text}")
    return verdict


def makes_claim(request: RunRequest | None) -> bool:
    """True when a run of ``request`` is held to a lesson's claim: the lesson's own code, not an
    edit of it and not the playground."""
    lesson = request.lesson if request is not None else None
    return request is not None and lesson is not None and not request.edited and not isinstance(lesson, PlaygroundLesson)
