"""After each run: the longest freeze in big type, the timings, and a plain-words explanation."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.core import explain
from app.core.lag import is_frozen
from app.core.run import FetchMode, Run, RunOutcome, RunSummary, format_duration
from app.i18n import _
from app.ui import plain_text
from app.ui.widgets import repolish


class RunReport(QFrame):
    """The verdict on the last run. ``freezeLabel`` holds its longest freeze, e.g. "2.04 s";
    ``freezeCauseLabel`` (hidden until a freeze) what the window was doing meanwhile."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runReport")
        self.headline = plain_text.wrapped_label(_("Press Run to measure how the window copes."), self, name="reportHeadline")
        self.freeze_label = self._value("freezeLabel", _("Longest freeze during the last run"))
        self.wall_label = self._value("wallTimeLabel", _("Wall time of the last run"))
        self.sum_label = self._value("requestSumLabel", _("Sum of the request times of the last run"))
        self.details = plain_text.wrapped_label(parent=self, name="reportDetails")
        self.details.setAccessibleName(_("What happened and why"))
        # What froze the window, in a few words beside the numbers, cut with "…" where the row
        # ends: the report may neither grow (it must fit 1280 x 720 with the results under it)
        # nor widen the window. The whole sentence is its tooltip and accessible description.
        self.freeze_cause = ElidedLabel(self)
        self.freeze_cause.setObjectName("freezeCauseLabel")
        self.freeze_cause.setAccessibleName(_("What froze the window"))
        # The freeze in big type on the left, everything else beside it: the report stays short
        # enough for a 1280 x 720 screen with the timeline under it.
        self._captions: list[QLabel] = []
        for caption, value in [(_("Longest freeze"), self.freeze_label), (_("Wall time"), self.wall_label), (_("Requests added up"), self.sum_label)]:
            title = plain_text.label(caption, self)
            title.setObjectName("reportCaption")
            title.setBuddy(value)
            self._captions.append(title)
        freeze = QVBoxLayout()
        freeze.setSpacing(0)
        freeze.addWidget(self._captions[0])
        freeze.addWidget(self.freeze_label)
        freeze.addStretch(1)
        numbers = QHBoxLayout()
        for title, value in zip(self._captions[1:], (self.wall_label, self.sum_label), strict=True):
            numbers.addWidget(title)
            numbers.addWidget(value)
            numbers.addSpacing(24)
        numbers.addWidget(self.freeze_cause, 100)
        numbers.addStretch(1)
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.headline)
        words.addLayout(numbers)
        words.addWidget(self.details)
        words.addStretch(1)
        row = QHBoxLayout(self)
        row.addLayout(freeze)
        row.addSpacing(12)
        row.addLayout(words, 1)
        self.show_freeze_cause("")

    def _value(self, name: str, accessible: str) -> QLabel:
        label = plain_text.label("–", self)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        return label

    def show_started(self, run: Run, lesson_title: str = "", *, claims: bool = True) -> None:
        """The run has begun: say what to watch for (the last run's numbers go). ``claims``
        False: the code is the user's own, and what it does to the window is to be seen."""
        for value in (self.freeze_label, self.wall_label, self.sum_label):
            value.setText("…")
        self.show_freeze_cause("")
        if lesson_title:
            frozen = run.mode is FetchMode.BLOCKING
            self.headline.setText(_("Running the lesson: {title}…").format(title=lesson_title))
            if not claims:
                self.details.setText(_("Your own code: watch the ball and the meter to see whether the window stays alive."))
            elif frozen:
                self.details.setText(_("This variant blocks: the window is frozen until the code is done."))
            else:
                self.details.setText(_("The window is alive: type in the box, watch the ball and the meter."))
        else:
            self.show_progress(run)
        self._set_state("running")

    def show_progress(self, run: Run) -> None:
        """How far a run has got: checking its lines, then (async) how many requests finished.
        A blocking run cannot show progress once it fetches: the window is frozen."""
        if run.planning:
            self.headline.setText(_("Checking the list: {checked:,} of {total:,} lines…").format(checked=run.lines_checked, total=run.lines_total))
            self.details.setText(
                _("The window stays alive while LoopLab reads the list.")
                + (" " + _("Then it freezes: requests.get() will wait on the GUI thread.") if run.mode is FetchMode.BLOCKING else "")
            )
        elif run.mode is FetchMode.BLOCKING:
            self.headline.setText(_("Blocking run of {n:,}: the window is frozen until all are done…").format(n=len(run.records)))
            self.details.setText(
                _(
                    "Try to type, or watch the ball: nothing moves while requests.get() waits. "
                    "What you type waits in a queue and appears when the window comes back."
                )
            )
        else:
            self.headline.setText(_("Async run: {done:,} of {total:,} finished…").format(done=run.finished_count, total=len(run.records)))
            self.details.setText(_("The window is alive: type in the box, watch the ball and the meter."))

    def show_summary(self, summary: RunSummary) -> None:
        self.freeze_label.setText(format_duration(summary.longest_freeze))
        self.wall_label.setText(format_duration(summary.wall_time))
        self._captions[2].setText(_("Requests added up"))
        self.sum_label.setAccessibleName(_("Sum of the request times of the last run"))
        self.sum_label.setText(format_duration(summary.request_time_sum))
        self.headline.setText(explain.headline(summary))
        self.details.setText(explain.explanation(summary))
        self._set_state("frozen" if is_frozen(summary.longest_freeze) else "alive")

    def show_lesson(self, summary: RunSummary, text: str, expected: float | None) -> None:
        """A lesson's run: its freeze and time against what the lesson expected (None: no claim
        on time), and ``text``: the verdict, or the lesson's title if it did not complete."""
        self.freeze_label.setText(format_duration(summary.longest_freeze))
        self.wall_label.setText(format_duration(summary.wall_time))
        self._captions[2].setText(_("Expected"))
        self.sum_label.setAccessibleName(_("How long the lesson was expected to take"))
        self.sum_label.setText(f"≈ {format_duration(expected)}" if expected is not None else "–")
        # The same line as the meter, the timeline's bands and the lesson's verdict.
        frozen = is_frozen(summary.longest_freeze)
        notes = "".join(f" {note}" for note in summary.notes)  # what the code left behind
        if summary.outcome is RunOutcome.CANCELLED:
            self.headline.setText(_("The lesson was cancelled."))
            self.details.setText(_("{title}: stopped before its code finished, so there is nothing to compare.").format(title=text) + notes)
            self._set_state("")
            return
        if summary.outcome is RunOutcome.FAILED:
            self.headline.setText(_("The lesson's code stopped with an error."))
            self.details.setText(f"{text}: {summary.error}{notes}")
            self._set_state("")
            return
        self.headline.setText(
            _("The window was frozen for {time}.").format(time=format_duration(summary.longest_freeze))
            if frozen
            else _("The window stayed alive the whole time.")
        )
        self.details.setText(f"{text}{notes}")
        self._set_state("frozen" if frozen else "alive")

    def show_rejected(self, reason: str, *, marked: bool = True) -> None:
        """The code could not start, so nothing ran: no numbers, and ``reason``, in one line;
        ``marked`` False when no line of the code is to blame (there is no main at all)."""
        for value in (self.freeze_label, self.wall_label, self.sum_label):
            value.setText("–")
        self.show_freeze_cause("")
        self.headline.setText(_("Nothing ran: the code cannot start."))
        if marked:
            self.details.setText(_("{reason}. The line is marked in the code: fix it and press Run again.").format(reason=reason))
        else:
            self.details.setText(_("{reason}. Fix the code and press Run again.").format(reason=reason))
        self._set_state("")

    def show_freeze_cause(self, brief: str, words: str = "", *, outside_run: bool = False) -> None:
        """What froze the window: ``brief`` on show, ``words`` (the whole sentence) as its
        tooltip and description; ``outside_run`` for a freeze between runs. "" hides it."""
        if brief:
            self.freeze_cause.set_full_text((_("Outside a run: {cause}") if outside_run else _("Froze in: {cause}")).format(cause=brief))
        else:
            self.freeze_cause.set_full_text("")
        self.freeze_cause.setToolTip(plain_text.tooltip(words))
        self.freeze_cause.setAccessibleDescription(words)
        self.freeze_cause.setVisible(bool(brief))

    def _set_state(self, state: str) -> None:
        self.setProperty("state", state)
        # Children styled through "#runReport[state=...] #freezeLabel" need a repolish as well.
        for widget in (self, self.headline, self.freeze_label):
            repolish(widget)


class ElidedLabel(QLabel):
    """One line of plain text that takes the room its layout gives it and ends in "…" where
    that runs out; :attr:`full_text` is the whole of it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plain_text.make_plain(self)
        self.full_text = ""
        # Ignored: its text never sets the row's (or the window's) width.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width() - 2 * self.margin()
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, max(0, room)))
