"""The big mode toggle: "Async: non-blocking" or "Sync: blocking", impossible to miss."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QSizePolicy, QWidget

from app.core.run import FetchMode
from app.i18n import _
from app.ui.widgets import repolish


class ModeToggle(QPushButton):
    """A checkable button: checked means blocking. Its colour and words follow the mode."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blockingToggle")
        self.setCheckable(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(_("Mode: async or blocking"))
        self.setAccessibleDescription(_("Checked: the fetch runs blocking on the GUI thread and freezes the window."))
        self.setToolTip(
            _(
                "Flip between fetching with aiohttp on the event loop (the window stays alive)\n"
                "and fetching with requests on the GUI thread (the window freezes)."
            )
        )
        self.toggled.connect(self._update_look)
        self._update_look(False)

    @property
    def mode(self) -> FetchMode:
        return FetchMode.BLOCKING if self.isChecked() else FetchMode.ASYNC

    def _update_look(self, checked: bool) -> None:
        mode = FetchMode.BLOCKING if checked else FetchMode.ASYNC
        self.setText(mode.label)
        self.setProperty("mode", mode.value)
        repolish(self)
