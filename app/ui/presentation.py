"""Presentation mode, zoom and the window's look: fonts, style sheet, palette, what is shown.

Presentation mode is for a projector: every font bigger, high contrast, full screen, and only
what a class watches (the menus, the status bar, the advanced options and the titles
over the ball and the graph go; an Exit button stays). What the status bar says (the zoom, a file
saved, "Cancelling…") shows over the window's foot instead, for as long as it lasts and
:data:`MESSAGE_MS` at most: it takes no room from the layout, whose fonts are sized for the room
without the bar. (Announcements that Qt before 6.8 cannot make stay out of it: the report says the
same to the class.) Outside presentation mode the palette follows the system's colour scheme and
contrast setting (:mod:`app.ui.system_look`), also when they change while the lab is open.

How much bigger follows the screen: :data:`look.PRESENTATION_SCALE` (1.55x) on a 1366 x 768 screen
and larger, and on a smaller one the same share of the screen (1.15x on a 1024 x 768 projector,
whose picture is as wide on the wall): the whole lab then still fits, nothing cut.

Zoom (Ctrl+Plus, Ctrl+Minus, Ctrl+0) multiplies every font, in presentation mode too, in the
steps of :data:`look.ZOOM_STEPS`. Zooming out always works; zooming in goes as far as the screen
has room for (120 % on a 1366 x 768 laptop, none on a 1280 x 720 screen), and a window made
smaller than its zoom needs shows as much of it as fits (:func:`look.font_scale`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QMainWindow, QStyle, QWidget

from app.i18n import _
from app.ui import look
from app.ui.system_look import system_look
from app.ui.widgets.lesson_panel import LessonPanel


MESSAGE_MARGIN = 8
"""Pixels between the presentation-mode message and the window's edges."""
MESSAGE_MS = 5000
"""The longest the presentation-mode message stays over the results (a saved file's is 10 s in the status bar)."""


def say(window: QMainWindow, text: str, ms: int) -> None:
    """Shows ``text`` in ``window``'s status bar for ``ms`` milliseconds (in presentation mode,
    which hides the bar, over the window's foot). Said again, it shows again: the status bar
    tells no one when its text is set to the same text, so it is cleared first."""
    bar = window.statusBar()
    bar.clearMessage()
    bar.showMessage(text, ms)


class Presentation(QObject):
    """Applies the window's look: its zoom, presentation mode or not, and the system's colours
    (see the module's docstring)."""

    changed = Signal(bool)  # on
    zoom_changed = Signal(float)  # the zoom chosen, 1.0 for 100 %

    def __init__(self, window: QMainWindow, *, advanced: Sequence[QWidget], lesson_panel: LessonPanel, exit_button: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._advanced = list(advanced)
        self._lesson_panel = lesson_panel
        self._exit_button = exit_button
        self._on = False
        self._full_screen = True
        self._zoom = 1.0
        self._system = system_look()
        # Readable on a projector: a size up from the desktop default, inherited by every child;
        # the style sheet makes the toggle, the buttons and the numbers bigger still.
        self._font = QFont(window.font())
        self._font.setPointSizeF(max(self._font.pointSizeF(), 11.0))
        self._scale = 1.0
        self._refit = QTimer(self)  # a new size is looked at once the resizing has settled
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._on_refit_timeout)
        # The status bar's message in presentation mode: over the layout, never in it, never in
        # the way of the mouse, and for MESSAGE_MS at most (it covers the foot of the results).
        self._message = QLabel(window)
        self._message.setObjectName("presentationMessage")
        self._message.setTextFormat(Qt.TextFormat.PlainText)  # a file name or an error: never markup
        self._message.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._message.hide()
        self._message_text: str | None = None  # what it shows (or showed until MESSAGE_MS ran out)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self._message.hide)
        window.statusBar().messageChanged.connect(self._on_status_message_changed)
        window.installEventFilter(self)
        self._system.changed.connect(self._on_system_look_changed)

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
        """How much bigger the fonts are than normal right now (zoom and presentation mode together)."""
        return self._scale

    @property
    def zoom(self) -> float:
        """The zoom chosen (1.0: 100 %); the window shows as much of it as it has room for (:attr:`scale`)."""
        return self._zoom

    def set_zoom(self, zoom: float) -> None:
        """Zooms every font to ``zoom`` (one of :data:`look.ZOOM_STEPS`, kept within them)."""
        zoom = min(look.ZOOM_STEPS[-1], max(look.ZOOM_STEPS[0], round(zoom, 2)))
        if zoom != self._zoom:
            self._zoom = zoom
            if not self._on:
                self._make_room(zoom)
            self.apply()
            self.zoom_changed.emit(zoom)

    def zoom_handlers(self, say: Callable[[str], object]) -> dict[str, Callable[[], object]]:
        """The handlers of View > Zoom in, Zoom out and Actual size, each telling ``say`` the zoom."""
        steps = {"zoomInAction": +1, "zoomOutAction": -1, "zoomResetAction": 0}
        return {name: (lambda step=step: say(self.step_zoom(step))) for name, step in steps.items()}

    def step_zoom(self, direction: int) -> str:
        """Zooms in (``direction`` +1), out (-1) or to the actual size (0); returns what the
        status bar says about it."""
        if direction > 0 and not self.zoom_in():
            return _("Zoom {percent}: as big as this screen has room for").format(percent=f"{self.shown_zoom:.0%}")
        if direction < 0 and not self.zoom_out():
            return _("Zoom {percent}: the smallest").format(percent=f"{self.shown_zoom:.0%}")
        if direction == 0:
            self.set_zoom(1.0)
        return _("Zoom {percent}").format(percent=f"{self.shown_zoom:.0%}")

    def zoom_in(self) -> bool:
        """One step bigger, if the screen has room for it (False: already as big as it has)."""
        shown = self.shown_zoom
        zoom = look.zoom_step(shown, +1, most=self.max_zoom())
        if zoom <= shown + 1e-6:
            return False
        if zoom == self._zoom:  # chosen already, but the window was too small to show it
            self._make_room(zoom)
            self.apply()
            return self.shown_zoom > shown
        self.set_zoom(zoom)
        return True

    def zoom_out(self) -> bool:
        """One step smaller (False: already the smallest)."""
        zoom = look.zoom_step(self.shown_zoom, -1)
        if zoom >= self.shown_zoom - 1e-6:
            return False
        self.set_zoom(zoom)
        return True

    def max_zoom(self) -> float:
        """The largest zoom this screen shows in full: the window's size in presentation mode,
        its screen's working area (less the window's frame) otherwise."""
        room = self._screen_room()
        if self._on or room is None:
            return look.max_zoom(*self._size_to_fit(), presentation=self._on)
        return look.max_zoom(room.width(), room.height())

    def _screen_room(self) -> QSize | None:
        """The largest the window can be on its screen: the working area less its frame."""
        window, screen = self._window, self._window.screen()
        if screen is None:
            return None
        return screen.availableGeometry().size() - (window.frameGeometry().size() - window.geometry().size())

    def _make_room(self, zoom: float) -> None:
        """A window too small to show ``zoom`` grows, as far as its screen allows."""
        window, room = self._window, self._screen_room()
        if room is None or window.isMaximized() or window.isFullScreen():
            return
        wanted = window.size().expandedTo(QSize(*look.room_needed(zoom))).boundedTo(room)
        if wanted != window.size():
            window.resize(wanted)

    @property
    def shown_zoom(self) -> float:
        """The zoom the window shows now: the one chosen, unless it has no room for it."""
        base = look.presentation_scale(*self._size_to_fit()) if self._on else 1.0
        return round(self._scale / base, 2)

    def apply(self) -> None:
        on, window = self._on, self._window
        scale = look.font_scale(*self._size_to_fit(), zoom=self._zoom, presentation=on)
        self._scale = scale
        font = QFont(self._font)
        font.setPointSizeF(self._font.pointSizeF() * scale)
        window.setFont(font)
        window.setStyleSheet(look.style_sheet(scale, self._font.pointSizeF(), presentation=on, dark=self._system.dark))
        # After the style sheet: setting one re-polishes the window and puts its old palette back.
        window.setPalette(self._system.palette(high_contrast=on))
        for widget in (*self._advanced, window.menuBar(), window.statusBar()):
            widget.setVisible(not on)
        self._lesson_panel.set_compact(on)
        self._exit_button.setVisible(on)
        state = window.windowState()
        full = on and self._full_screen
        window.setWindowState(state | Qt.WindowState.WindowFullScreen if full else state & ~Qt.WindowState.WindowFullScreen)
        current = window.statusBar().currentMessage()
        if not on:
            self._on_status_message_changed("")
        elif not self._message.isHidden():
            self._place_message()  # in the new font
        elif current and current != self._message_text:  # presentation mode began with a message showing
            self._on_status_message_changed(current)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._window and event.type() == QEvent.Type.Resize:
            if self._on or self._zoom > 1.0:
                self._refit.start()
            if not self._message.isHidden():
                self._place_message()  # still at the foot, still within the width
        return super().eventFilter(watched, event)

    def _size_to_fit(self) -> tuple[int, int]:
        """The size the window has, or (going full screen) is about to have."""
        screen = self._window.screen()
        if self._on and self._full_screen and screen is not None:
            return screen.geometry().width(), screen.geometry().height()
        return self._window.width(), self._window.height()

    def _on_refit_timeout(self) -> None:
        if look.font_scale(*self._size_to_fit(), zoom=self._zoom, presentation=self._on) != self._scale:
            self.apply()

    def _on_system_look_changed(self) -> None:
        self.apply()

    def _on_status_message_changed(self, text: str) -> None:
        """A new message (or none): shown over the window's foot in presentation mode, for
        MESSAGE_MS at most; hidden when the status bar's message ends."""
        if not self._on or not text:
            self._message.hide()
            self._message_timer.stop()
            self._message_text = None
            return
        self._message_text = text
        self._place_message()
        self._message.raise_()
        self._message.show()
        self._message_timer.start(MESSAGE_MS)

    def _place_message(self) -> None:
        """Fits the message to the window's width, on one line as the status bar draws it, and
        puts it in the window's bottom corner on the side its text starts."""
        window, label = self._window, self._message
        text = " ".join((self._message_text or "").split())  # newlines and tabs: one line
        label.ensurePolished()
        area = window.rect().adjusted(MESSAGE_MARGIN, MESSAGE_MARGIN, -MESSAGE_MARGIN, -MESSAGE_MARGIN)
        metrics = label.fontMetrics()
        # What the label adds to its text's width (padding, border, QLabel's indent of a framed
        # text), measured, then the text shortened to what is left of the room.
        label.setText(text)
        overhead = label.sizeHint().width() - metrics.horizontalAdvance(text)
        label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, max(0, area.width() - overhead)))
        label.adjustSize()
        corner = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
        label.setGeometry(QStyle.alignedRect(window.layoutDirection(), corner, label.size(), area))
