"""The URL list: a plain-text box for the usual few lines, and a held list for a huge paste.

A text box is the right tool for tens or thousands of URLs, and the wrong one for 200,000:
Qt's document costs about 650 bytes and 10 microseconds a line (measured: a 200,000-line paste
took 1.9 s on the GUI thread and 130 MB), and no list that long is edited by hand. So a paste
or a drop of more than :data:`BIG_LIST_LINES` lines is *held*: the text is kept as it came
(8 MB for 200,000 URLs; split into lines only a slice at a time, while a run checks them), the
box shows the first :data:`PREVIEW_LINES` lines read-only, and a bar says so and offers to
undo the paste or clear the list. Run fetches every held line.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.i18n import _
from app.ui import plain_text

BIG_LIST_LINES = 5_000
"""Longer pastes are held rather than put in the box (5,000 lines take Qt about 50 ms)."""
PREVIEW_LINES = 200
"""Lines of a held list shown in the box."""
_A_URL_LINE = re.compile(r"(?:^|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029])[^\S\n\r]*[^#\s]")
"""A line that is neither blank nor a # comment, lines broken where ``str.splitlines`` breaks
them, as Run reads them (a C search: no split of a held list)."""


def line_count(text: str) -> int:
    """About how many lines ``text`` has, whichever line breaks it uses (LF, CRLF or CR)."""
    return max(text.count("\n"), text.count("\r")) + (0 if not text or text[-1] in "\r\n" else 1)


class UrlTextEdit(QPlainTextEdit):
    """The URL box. Pastes and drops too long to edit are handed to :class:`UrlEditor` instead."""

    # (text before the insertion point, the inserted text, the text after it), all str. Typed
    # "object" so PySide hands the Python strings over as they are: a str signal would convert
    # 8 MB to a 16 MB QString and back (measured: 32 MB more for a 200,000-line paste).
    long_text_inserted = Signal(object, object, object)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - Qt's name
        text = source.text() if source.hasText() else ""
        if line_count(text) <= BIG_LIST_LINES:
            super().insertFromMimeData(source)
            return
        cursor = self.textCursor()
        before, after = QTextCursor(self.document()), QTextCursor(self.document())
        before.setPosition(0)
        before.setPosition(cursor.selectionStart(), QTextCursor.MoveMode.KeepAnchor)
        after.setPosition(cursor.selectionEnd())
        after.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        # Qt reports line breaks inside a selection as U+2029.
        self.long_text_inserted.emit(
            before.selectedText().replace("\u2029", "\n"), text, after.selectedText().replace("\u2029", "\n")
        )


class UrlEditor(QWidget):
    """The user's URL list. :meth:`lines` is what Run fetches; :attr:`changed` fires on every change."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("urlEditor")
        self.edit = UrlTextEdit(self)
        self.edit.setObjectName("urlEdit")
        self.edit.setAccessibleName(_("URLs to fetch, one per line"))
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._held: str | None = None  # the text of a held list
        self._before_paste = ""  # the box's whole text before the held paste, for Undo

        self.bar = QFrame(self)
        self.bar.setObjectName("bigListBar")
        self.bar_label = plain_text.label(parent=self.bar, name="bigListLabel")
        self.bar_label.setWordWrap(True)
        self.bar_label.setAccessibleName(_("About the long list"))
        self.undo_button = QPushButton(_("Undo the paste"), self.bar)
        self.undo_button.setObjectName("undoBigPasteButton")
        self.undo_button.setToolTip(_("Put back what the box held before the long list was pasted"))
        self.clear_button = QPushButton(_("Clear the list"), self.bar)
        self.clear_button.setObjectName("clearBigListButton")
        self.clear_button.setToolTip(_("Forget the long list and start an empty one"))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.clear_button)
        bar_layout = QVBoxLayout(self.bar)
        bar_layout.setContentsMargins(6, 4, 6, 4)
        bar_layout.addWidget(self.bar_label)
        bar_layout.addLayout(buttons)
        self.bar.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.edit, 1)

        self.edit.long_text_inserted.connect(self._on_edit_long_text_inserted)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.clear_button.clicked.connect(lambda: self.set_text(""))

    # --- what the window reads and sets ---

    @property
    def holding(self) -> bool:
        """True while a list too long for the box is held."""
        return self._held is not None

    def text(self) -> str:
        """The whole list, as typed or pasted: what Run fetches (it skips blanks and # comments)."""
        return self._held if self._held is not None else self.edit.toPlainText()

    def lines(self) -> list[str]:
        """The list's lines (splits a held list whole: for tests and small lists)."""
        return self.text().splitlines()

    def set_text(self, text: str) -> None:
        """Replaces the list; text with more than :data:`BIG_LIST_LINES` lines is held."""
        self._before_paste = ""
        if line_count(text) > BIG_LIST_LINES:
            self._hold(text)
        else:
            self._release(text)

    def has_urls(self) -> bool:
        """True if some line is neither blank nor a # comment."""
        return _A_URL_LINE.search(self.text()) is not None

    # --- handlers ---

    def _on_edit_long_text_inserted(self, before: str, inserted: str, after: str) -> None:
        # The whole box as it was, the selection the paste replaced included: what Undo restores
        # (holding the list replaces the box's text, and with it Qt's own undo history).
        self._before_paste = self.edit.toPlainText()
        # No copy of 8 MB when the box was empty or wholly selected, as it mostly is.
        self._hold(f"{before}{inserted}{after}" if before or after else inserted)

    def _on_edit_text_changed(self) -> None:
        if self._held is None:  # a held list's preview is not the list
            self.changed.emit()

    def _on_undo_button_clicked(self) -> None:
        self._release(self._before_paste)

    # --- the two states ---

    def _hold(self, text: str) -> None:
        if "\r" in text:  # one kind of line break, so Run can cut the list at "\n" a slice at a time
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._held = text
        total = line_count(text)
        cut = -1
        for _line in range(PREVIEW_LINES):
            cut = text.find("\n", cut + 1)
            if cut < 0:
                cut = len(text)
                break
        shown = text[:cut].splitlines()
        self.edit.blockSignals(True)  # the preview is not a change of the list
        try:
            more = _("# … and {n:,} more lines, not shown here").format(n=total - len(shown))
            self.edit.setPlainText("\n".join([*shown, more]))
        finally:
            self.edit.blockSignals(False)
        self.edit.setReadOnly(True)
        self.bar_label.setText(
            _("{total:,} lines: too many to edit here, so the box shows the first {shown:,}. Run fetches every line.").format(
                total=total, shown=len(shown)
            )
        )
        self.undo_button.setVisible(bool(self._before_paste.strip()))
        self.bar.show()
        self.changed.emit()

    def _release(self, text: str) -> None:
        self._held = None
        self.bar.hide()
        self.edit.setReadOnly(False)
        self.edit.setPlainText(text)  # emits changed through textChanged
