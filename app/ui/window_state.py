"""What the window remembers between launches, read from and written to its panels.

The values live in ``app.ui.settings``; this module is the one place that knows which panel shows
each of them (and File > Settings, the dialog for those no panel shows). It saves half a second
after any change (and when the window closes), and resets to the defaults only after asking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMainWindow

from app.core.freeze_guard import FreezeGuard
from app.ui import settings
from app.ui.dialogs import SettingsDialog
from app.ui.panels.controls import ControlsPanel
from app.ui.panels.source import SourcePanel
from app.ui.presentation import Presentation

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 500
"""Changes are written this long after the last one: typing a list does not write at every key."""


class WindowState(QObject):
    """Restores the window from the settings, saves it after every change, resets it on request."""

    def __init__(
        self,
        window: QMainWindow,
        controls: ControlsPanel,
        source: SourcePanel,
        presentation: Presentation,
        server_url: str,
        fit_to_screen: Callable[[], None],
        guard: FreezeGuard,
    ) -> None:
        super().__init__(window)
        self._window, self._controls, self._source, self._presentation = window, controls, source, presentation
        self._guard = guard  # its limit is a setting (File > Settings), kept on the guard itself
        self._server_url = server_url
        self._fit_to_screen = fit_to_screen
        self._language = ""  # File > Settings > Language: takes effect at the next start (app.ui.translations)
        self.confirm_reset: Callable[[], bool] = lambda: True
        """Asks before Reset to defaults forgets everything (the window sets a dialog)."""
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save)

    def start_saving(self) -> None:
        """From now on every change is saved (after :meth:`restore`, which changes everything)."""
        for signal in (
            self._source.settings_changed,
            self._source.currentChanged,
            self._source.lesson_changed,
            self._controls.mode_changed,
            self._controls.concurrency_spin.valueChanged,
            self._presentation.changed,
            self._presentation.zoom_changed,
        ):
            signal.connect(self._save_timer.start)

    def restore(self, remembered: settings.Remembered) -> None:
        source, panel = self._source, self._source.lesson_panel
        urls = remembered.urls.replace(settings.DEMO_SERVER, self._server_url) if remembered.urls is not None else None
        source.url_editor.set_text(urls if urls is not None else source.demo_text())
        self._controls.set_mode(remembered.mode)
        self._controls.concurrency_spin.setValue(remembered.concurrency)
        panel.set_scale(remembered.time_scale)
        panel.set_limit(remembered.limit)
        if remembered.lesson:
            panel.choose(remembered.lesson)
        else:
            panel.lesson_list.setCurrentRow(-1)
        source.setCurrentWidget(panel if remembered.source == "lessons" else source.urls_page)
        if not remembered.geometry.isEmpty() and not self._window.restoreGeometry(remembered.geometry):
            log.warning("The remembered window geometry could not be used; using the default size")
        self._presentation.set_zoom(remembered.zoom)
        self._presentation.set(remembered.presentation)
        self._guard.limit = remembered.freeze_limit
        self._language = remembered.language

    def save(self) -> None:
        """Writes what the next launch should start with (also done shortly after every change)."""
        self._save_timer.stop()
        urls = self._source.url_editor.text()
        settings.save(
            settings.Remembered(
                urls=None if urls == self._source.demo_text() else urls,
                mode=self._controls.mode,
                concurrency=self._controls.concurrency_spin.value(),
                time_scale=self._source.lesson_panel.scale,
                lesson=self._source.lesson_panel.lesson_id,
                limit=self._source.lesson_panel.limit,
                source="lessons" if self._source.currentWidget() is self._source.lesson_panel else "urls",
                presentation=self._presentation.on,
                zoom=self._presentation.zoom,
                freeze_limit=self._guard.limit,
                language=self._language,
                geometry=self._window.saveGeometry(),
            ),
            # The demo server gets a new port at every launch: its address is kept as a
            # placeholder, so remembered demo URLs still point at the next launch's server.
            demo_server_url=self._server_url,
        )

    def open_settings(self) -> SettingsDialog:
        """File > Settings: the freeze guard's limit (used at once) and the language (from the next
        start), saved when the dialog is accepted."""
        dialog = SettingsDialog(self._guard.limit, self._window, language_setting=self._language)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._apply_settings(dialog.freeze_limit, dialog.language_setting))
        dialog.open()
        return dialog

    def _apply_settings(self, freeze_limit: float, language: str) -> None:
        self._language = language
        self.set_freeze_limit(freeze_limit)

    def set_freeze_limit(self, seconds: float) -> None:
        """From now on, a lesson's code that keeps the window frozen ``seconds`` long is stopped."""
        self._guard.limit = seconds
        self.save()

    def reset_to_defaults(self) -> bool:
        """Forgets every remembered setting, after asking, and shows the lab as on its first launch."""
        if not self.confirm_reset():
            return False
        settings.clear()
        self.restore(settings.defaults())  # the built-in defaults, and IT's where the computer has them
        self._fit_to_screen()
        log.info("Settings reset to defaults")
        return True
