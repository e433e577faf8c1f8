"""The code and what is said about it: whether it is the lesson's own or edited (with Reset), what
went wrong in it (right above it, where the eyes are), and the editor itself.

Display-only: the source panel decides what is edited and what failed; this shows it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.core.user_code import CodeProblem
from app.i18n import N_, _
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
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status, 1)
        row.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        layout.addWidget(self.view, 1)

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
