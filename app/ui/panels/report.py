"""The verdict on the last run, subscribed to the controller: what to watch for while a run goes
on, then the longest freeze in big type, the timings and a plain-words explanation.

A lesson's run is reported against the lesson's own claim, read from the run's request (edited
code and the playground claim nothing: the report says what happened). Code that cannot start
is reported as such: nothing ran. When the
run just ended can be compared with the one before it (the same URLs, both completed), the
report says so in the very words the History tab uses for the same two runs.

When a run ends the report's verdict is announced to screen readers in one sentence ("Run
finished: 40 requests in 1.20 s, the window stayed alive"), politely: after what they are saying;
so is why nothing ran, when the code cannot start.

When the window froze, the report names what froze it (``app.core.freeze_cause``): after a run,
the cause of its longest freeze; between runs (start-up, a dialog), each freeze as the
heartbeat reports it, "Outside a run".
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QWidget

from app.core import explain
from app.core.freeze_cause import FreezeCause, longest
from app.core.run import Run, RunSummary
from app.core.user_code import CodeProblem
from app.core.verdicts import makes_claim, verdict_for
from app.i18n import _
from app.ui.accessibility import announce
from app.ui.controller import LabController
from app.ui.heartbeat import Heartbeat
from app.ui.widgets.run_report import RunReport


class ReportPanel(RunReport):
    """:class:`~app.ui.widgets.run_report.RunReport`, fed by the controller (and the heartbeat,
    for freezes outside runs)."""

    def __init__(self, controller: LabController, heartbeat: Heartbeat | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._previous: RunSummary | None = None
        self._run_ended_at = float("-inf")  # perf_counter: freezes that began before it were a run's
        controller.run_started.connect(self._on_controller_run_started)
        controller.records_changed.connect(self._on_controller_records_changed)
        controller.run_finished.connect(self._on_controller_run_finished)
        controller.code_rejected.connect(self._on_controller_code_rejected)
        if heartbeat is not None:
            heartbeat.froze.connect(self._on_heartbeat_froze)

    def _on_controller_run_started(self, run: Run) -> None:
        lesson = run.request.lesson if run.request is not None else None
        title = lesson.title if lesson else ""
        if lesson is not None and run.request is not None and run.request.edited:
            title = _("{title} (your edited code)").format(title=title)
        self.show_started(run, title, claims=makes_claim(run.request))

    def _on_controller_records_changed(self, _rows: list[int]) -> None:
        run = self._controller.active_run
        if run is not None and (run.request is None or run.request.lesson is None):
            self.show_progress(run)

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        request = summary.request
        lesson = request.lesson if request is not None else None
        if lesson is None or request is None or request.setup is None:
            self.show_summary(summary)
            spoken = explain.announcement(summary)
            previous = self._previous
            if previous is not None and explain.comparable(previous, summary):
                compared = _("Compared with run {run}: {comparison}.").format(run=previous.run_id, comparison=explain.comparison(previous, summary))
                self.details.setText(f"{self.details.text()} {compared}")
                spoken = f"{spoken}. {compared}"
        else:
            claims = makes_claim(request)
            expected = lesson.expected_seconds(request.setup) if lesson.claims_duration and claims else None
            verdict = verdict_for(summary)
            self.show_lesson(summary, f"{lesson.title}: {verdict.text}" if verdict is not None else lesson.title, expected)
            spoken = explain.lesson_announcement(summary, lesson.title, verdict.text if verdict is not None else "")
        announce(self, spoken)
        cause = longest(summary.freeze_causes)
        self.show_freeze_cause(cause.brief(), cause.words()) if cause is not None else self.show_freeze_cause("")
        self._run_ended_at = time.perf_counter()
        self._previous = summary

    def _on_controller_code_rejected(self, problem: CodeProblem) -> None:
        self.show_rejected(problem.one_line(), marked=problem.line is not None)
        announce(self, f"{self.headline.text()} {self.details.text()}")  # no run ends: said here

    def _on_heartbeat_froze(self, cause: FreezeCause) -> None:
        # A run's freezes are in its summary (a blocking run's last one is reported just after it ends).
        if self._controller.running or cause.start <= self._run_ended_at:
            return
        self.show_freeze_cause(cause.brief(), _("Outside a run: {cause}").format(cause=cause.words()), outside_run=True)
