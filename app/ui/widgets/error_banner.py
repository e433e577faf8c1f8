"""A non-modal banner for unexpected errors: seen where the user is looking, never in the way,
and said to a screen reader at once."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.i18n import _, ngettext
from app.ui import plain_text
from app.ui.accessibility import announce


class ErrorBanner(QFrame):
    """Shows the latest unexpected error (and how many there were); Details reveals the traceback."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setAccessibleName(_("Error message"))
        self.count = 0
        self.message = plain_text.wrapped_label(parent=self, name="errorMessage")
        self.details_button = QPushButton(_("Details"), self)
        self.details_button.setCheckable(True)
        self.details_button.setAccessibleName(_("Show error details"))
        self.dismiss_button = QPushButton(_("Dismiss"), self)
        self.dismiss_button.setAccessibleName(_("Dismiss error message"))
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setAccessibleName(_("Error details"))
        self.details.setMaximumHeight(160)
        self.details.hide()

        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.details_button)
        row.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.details)

        self.details_button.toggled.connect(self.details.setVisible)
        self.dismiss_button.clicked.connect(self.dismiss)
        self.hide()

    def show_error(self, summary: str, details: str = "") -> None:
        self.count += 1
        if self.count > 1:
            more = ngettext(
                "({n} error so far; details are also in the log)", "({n} errors so far; details are also in the log)", self.count
            ).format(n=self.count)
            self.message.setText(f"{summary} {more}")
        else:
            self.message.setText(summary)
        self.details.setPlainText(details or _("No traceback: see the log for more."))
        if not details:
            self.details_button.setChecked(False)  # nothing to show: close an open details box
        self.details_button.setEnabled(bool(details))
        if self.isHidden():
            # Said at once as it appears, wherever the focus is; the errors after it while it
            # shows only change its words (a burst of them would drown everything else said).
            announce(self, self.message.text(), assertive=True)
        self.show()

    def dismiss(self) -> None:
        self.count = 0
        self.details_button.setChecked(False)
        self.hide()
