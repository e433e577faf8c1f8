"""Presentation mode and the window's look: fonts, style sheet, palette, what is shown.

Presentation mode is for a projector: every font bigger, high contrast, full screen, and only
what a class watches (the menus, the status bar, the advanced options and the titles
over the ball and the graph go; an Exit button stays). Outside it the palette is the system's,
so dark and light follow the OS, also when it changes while the lab is open.

How much bigger follows the screen: :data:`look.PRESENTATION_SCALE` (1.55x) on a 1366 x 768 screen
and larger, and on a smaller one the same share of the screen (1.15x on a 1024 x 768 projector,
whose picture is as wide on the wall): the whole lab then still fits, nothing cut.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget

from app.ui import look
from app.ui.widgets.lesson_panel import LessonPanel


class Presentation(QObject):
    """Applies the normal look or presentation mode to ``window`` (see the module's docstring)."""

    changed = Signal(bool)  # on

    def __init__(self, window: QMainWindow, *, advanced: Sequence[QWidget], lesson_panel: LessonPanel, exit_button: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._advanced = list(advanced)
        self._lesson_panel = lesson_panel
        self._exit_button = exit_button
        self._on = False
        self._full_screen = True
        self._palette = window.palette()
        # Readable on a projector: a size up from the desktop default, inherited by every child;
        # the style sheet makes the toggle, the buttons and the numbers bigger still.
        self._font = QFont(window.font())
        self._font.setPointSizeF(max(self._font.pointSizeF(), 11.0))
        self._scale = 1.0
        self._refit = QTimer(self)  # a new size is looked at once the resizing has settled
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._on_refit_timeout)
        window.installEventFilter(self)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)

    @property
    def on(self) -> bool:
        return self._on

    def set(self, on: bool, *, full_screen: bool = True) -> None:
        """Presentation mode on or off (``full_screen=False`` keeps the window's size: for screenshots)."""
        changed = on != self._on
        self._on, self._full_screen = on, full_screen
        self.apply()
        if changed:
            self.changed.emit(on)

    @property
    def scale(self) -> float:
        """How much bigger the fonts are than normal right now."""
        return self._scale

    def apply(self) -> None:
        on, window = self._on, self._window
        scale = look.presentation_scale(*self._size_to_fit()) if on else 1.0
        self._scale = scale
        font = QFont(self._font)
        font.setPointSizeF(self._font.pointSizeF() * scale)
        window.setFont(font)
        window.setStyleSheet(look.style_sheet(scale, self._font.pointSizeF()))
        # After the style sheet: setting one re-polishes the window and puts its old palette back.
        window.setPalette(look.high_contrast(self._palette) if on else self._palette)
        for widget in (*self._advanced, window.menuBar(), window.statusBar()):
            widget.setVisible(not on)
        self._lesson_panel.set_compact(on)
        self._exit_button.setVisible(on)
        state = window.windowState()
        full = on and self._full_screen
        window.setWindowState(state | Qt.WindowState.WindowFullScreen if full else state & ~Qt.WindowState.WindowFullScreen)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._window and event.type() == QEvent.Type.Resize and self._on:
            self._refit.start()
        return super().eventFilter(watched, event)

    def _size_to_fit(self) -> tuple[int, int]:
        """The size the window has, or (going full screen) is about to have."""
        screen = self._window.screen()
        if self._full_screen and screen is not None:
            return screen.geometry().width(), screen.geometry().height()
        return self._window.width(), self._window.height()

    def _on_refit_timeout(self) -> None:
        if self._on and look.presentation_scale(*self._size_to_fit()) != self._scale:
            self.apply()

    def _on_color_scheme_changed(self, _scheme: object) -> None:
        self._palette = QGuiApplication.palette()
        self.apply()
