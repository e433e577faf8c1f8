"""File > Settings, Help > Keyboard shortcuts and Help > About: small dialogs, children of the window.

They are children of the lab window on purpose: the window does not quit the application when
it closes (main() waits on it), so top-level dialogs of their own could outlive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.freeze_guard import MAX_LIMIT, MIN_LIMIT
from app.i18n import LANGUAGES, SYSTEM, _, language
from app.ui import plain_text
from app.ui.widgets import rows_follow_font
from app.versions import versions


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(_("About LoopLab"))
        text = QLabel(self)
        text.setObjectName("aboutText")
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Rich text on purpose (a heading, a table); versions come from package metadata, so escaped.
        rows = "".join(f"<tr><td>{escape(name)}</td><td>&nbsp;&nbsp;{escape(version)}</td></tr>" for name, version in versions())
        # The translations are ours, not text from outside; escaped all the same (a stray "<").
        tagline = escape(_("See the difference between blocking and non-blocking Python."))
        licence = escape(_("MIT licence. Everything works offline: LoopLab brings its own demo server."))
        text.setText(f"<h2>LoopLab</h2><p>{tagline}</p><table>{rows}</table><p>{licence}</p>")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut, as a two-column table."""

    def __init__(self, shortcuts: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(_("Keyboard shortcuts"))
        table = QTableWidget(len(shortcuts), 2, self)
        table.setObjectName("shortcutsTable")
        table.setHorizontalHeaderLabels([_("Keys"), _("What they do")])
        table.verticalHeader().hide()
        rows_follow_font(table, 8)  # a zoomed window's dialog is zoomed too
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, action) in enumerate(shortcuts):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(action))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(560, 420)


class SettingsDialog(QDialog):
    """The settings that have no control of their own in the window: the freeze guard's limit and
    the language (``language``: a code from :data:`app.i18n.LANGUAGES`, or "" for the system's)."""

    def __init__(self, freeze_limit: float, parent: QWidget | None = None, *, language_setting: str = SYSTEM) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(_("Settings"))
        # Languages by their own names (a person who cannot read the current one finds theirs);
        # the choice applies at the next start: the window's words are built once, at start-up.
        self.language_combo = QComboBox(self)
        self.language_combo.setObjectName("languageCombo")
        self.language_combo.setAccessibleName(_("Language"))
        self.language_combo.addItem(_("System language ({language})").format(language=LANGUAGES[language()]), SYSTEM)
        for code, name in LANGUAGES.items():
            self.language_combo.addItem(name, code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(language_setting)))
        language_note = plain_text.label(_("A new language applies the next time LoopLab starts."), self, name="languageNote")
        language_note.setWordWrap(True)
        self.freeze_limit_spin = QDoubleSpinBox(self)
        self.freeze_limit_spin.setObjectName("freezeLimitSpin")
        self.freeze_limit_spin.setRange(MIN_LIMIT, MAX_LIMIT)
        self.freeze_limit_spin.setDecimals(1)
        self.freeze_limit_spin.setSingleStep(1.0)
        self.freeze_limit_spin.setSuffix(" s")
        self.freeze_limit_spin.setValue(freeze_limit)
        self.freeze_limit_spin.setAccessibleName(_("Stop code that freezes the window after, in seconds"))
        note = plain_text.label(
            _(
                "A lesson's code runs on the thread that draws the window. When it keeps the window frozen this "
                "long (an endless loop, time.sleep(60), a read from a server that never answers), LoopLab stops "
                "it and says which line it was on."
            ),
            self,
            name="freezeLimitNote",
        )
        note.setWordWrap(True)  # a dialog's layout sizes a plain wrapped label by its height for the width
        form = QFormLayout()
        form.addRow(plain_text.label(_("Stop code that freezes the window after:"), self), self.freeze_limit_spin)
        limits = QFormLayout()
        limits.addRow(plain_text.label(_("Language:"), self), self.language_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addSpacing(8)
        layout.addLayout(limits)
        layout.addWidget(language_note)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    @property
    def freeze_limit(self) -> float:
        """Seconds, as set in the dialog."""
        return self.freeze_limit_spin.value()

    @property
    def language_setting(self) -> str:
        """The chosen language's code, or "" (:data:`app.i18n.SYSTEM`) for the system's."""
        return str(self.language_combo.currentData())
