"""The code and what is said about it: whether it is the lesson's own or edited (with Reset), what
went wrong in it (right above it, where the eyes are), the editor itself, and under it what the
code printed when it last ran (``codeOutput``, shown once it prints: plain text, the last
:data:`~app.core.code_output.MAX_LINES` lines).

Display-only: the source panel decides what is edited and what failed; this shows it.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget

from app.core.code_output import MAX_LINES, Printed
from app.core.user_code import CodeProblem
from app.i18n import N_, _, ngettext
from app.ui import plain_text
from app.ui.widgets import repolish
from app.ui.widgets.code_view import CodeView

OWN_CODE = N_("Edit the code and Run it.")
EDITED = N_("Edited: Run runs your version.")
PLAYGROUND = N_("Change it, or open a .py file.")
PLAYGROUND_EDITED = N_("Your code: Run runs it.")
"""All four shown as ``_(...)``."""


class CodeArea(QWidget):
    """:class:`CodeView` with a line about its state, Reset (``resetCodeButton``) and, after a
    failure, the error (``codeProblem``: plain text, the code's own traceback lines included)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeArea")
        self.view = CodeView(self)
        self.status = plain_text.wrapped_label(_(OWN_CODE), self, name="codeStatus")
        self.status.setAccessibleName(_("Whether the code is the lesson's own or edited"))
        self.reset_button = QPushButton(_("Reset"), self)
        self.reset_button.setObjectName("resetCodeButton")
        self.reset_button.setAccessibleName(_("Reset the code"))
        self.reset_button.setToolTip(
            _(
                "Bring back the lesson's own code for the settings of the moment (Ctrl+Z in the code undoes it).\n"
                "Edited code claims nothing: after Run, the verdict says what happened."
            )
        )
        self.reset_button.setEnabled(False)
        self.problem = plain_text.wrapped_label(parent=self, name="codeProblem")
        self.problem.setAccessibleName(_("What is wrong with the code"))
        self.problem.hide()
        # What the code printed: read-only plain text (never markup), its last MAX_LINES lines,
        # under the code in a splitter of their own; hidden until the code prints.
        self.output = OutputView(self)
        self.output.setObjectName("codeOutput")
        self.output.setAccessibleName(_("What the code printed when it last ran"))
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(MAX_LINES + 1)  # and a line saying what was missed
        self.output.setTabChangesFocus(True)
        self.output.setFont(self.view.font())
        self.output.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.output.hide()
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.setObjectName("codeSplit")
        self.split.addWidget(self.view)
        self.split.addWidget(self.output)
        # The code never collapses; the output may, where a small screen has no room left for it
        # (it asks for no minimum: it must not squeeze the list of lessons). The handle brings it back.
        self.split.setCollapsible(0, False)
        self.split.setCollapsible(1, True)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status, 1)
        row.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        layout.addWidget(self.split, 1)

    def show_state(self, *, edited: bool, playground: bool, resettable: bool) -> None:
        """Says whose code this is; Reset is offered when ``resettable`` (edited, and no run under way)."""
        if playground:
            self.status.setText(_(PLAYGROUND_EDITED) if edited else _(PLAYGROUND))
        else:
            self.status.setText(_(EDITED) if edited else _(OWN_CODE))
        self.status.setProperty("edited", edited)
        repolish(self.status)
        self.reset_button.setEnabled(resettable)

    def show_problem(self, problem: CodeProblem | None) -> None:
        """What went wrong (None: nothing to say), in plain text right above the code."""
        self.problem.setText(problem.words() if problem is not None else "")
        self.problem.setVisible(problem is not None)

    def clear_output(self) -> None:
        """A new run (or another lesson): nothing printed yet."""
        self.output.clear()
        self.output.hide()
        self.view.setMinimumHeight(0)  # its own minimum again

    def show_output(self, printed: Printed) -> None:
        """Adds what the code printed since the last batch, as it is (plain text)."""
        lines = list(printed.lines)
        if printed.missed:
            missed = ngettext("… {n:,} more line printed, not shown …", "… {n:,} more lines printed, not shown …", printed.missed)
            lines.insert(0, missed.format(n=printed.missed))
        if not lines:
            return
        self.output.appendPlainText("\n".join(lines))
        if self.output.isHidden():
            # The splitter's handle costs height in a column that a small screen fills to the last
            # pixel (presentation mode, the prediction questions on show): the code's minimum gives it back.
            self.view.setMinimumHeight(max(0, self.view.minimumSizeHint().height() - self.split.handleWidth()))
            self.output.show()
            # A few lines of it, a quarter of the room at most: the code stays what the eyes are on.
            total = sum(self.split.sizes())
            below = min(self.output.sizeHint().height(), total // 4)
            self.split.setSizes([total - below, below])
        bar = self.output.verticalScrollBar()
        bar.setValue(bar.maximum())  # the latest line in view


class OutputView(QPlainTextEdit):
    """What the code printed: asks for a few lines only, so the code above keeps the room."""

    LINES = 3
    """The height it asks for, in lines (the splitter above it can give it more)."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(super().sizeHint().width(), self._height(self.LINES))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(super().minimumSizeHint().width(), 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        # Squeezed (nearly) shut on a full small screen: no scroll bar hanging out of it either;
        # dragging the handle above opens it again.
        shut = event.size().height() < self._height(2)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff if shut else Qt.ScrollBarPolicy.ScrollBarAsNeeded)

    def _height(self, lines: int) -> int:
        margins = self.contentsMargins()
        return round(lines * self.fontMetrics().lineSpacing() + 2 * self.document().documentMargin()) + margins.top() + margins.bottom()
