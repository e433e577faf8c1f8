"""Following the system's colour scheme and contrast setting, live.

Qt says what the system asks for: ``QStyleHints.colorScheme()`` (light or dark, Qt 6.5+) and
``QStyleHints.accessibility().contrastPreference()`` (high contrast, Qt 6.10+), and signals when
either changes. :class:`SystemLook`, one per application (:func:`system_look`), listens, sets the
application's palette (so menus, dialogs and tooltips follow as well as the lab) and says
``changed``; each window then re-applies its style sheet and palette
(:class:`app.ui.presentation.Presentation`), and the widgets that paint themselves pick their
:class:`~app.ui.look.Ink` variants from the palette they are painted with.

Dark is LoopLab's own :func:`~app.ui.look.dark_palette` whatever the style (Fusion's dark
palette falls short, and some platforms have none). Light is the system's palette as it is.
High contrast is black on white in light, white on black in dark. With a Qt older than 6.10,
there is no contrast setting to follow: presentation mode is LoopLab's high-contrast look.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.ui import look

log = logging.getLogger(__name__)


class SystemLook(QObject):
    """The colour scheme and contrast the system asks for, and the palette that goes with them."""

    changed = Signal()  # the scheme or the contrast changed; the application's palette already has

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        hints = QGuiApplication.styleHints()
        self._scheme = hints.colorScheme()
        self._high_contrast = False
        self._palette_set = False  # whether the application's palette is ours (else the system's)
        # The payloads are what the platform says: kept as they come (a platform that cannot be
        # asked, such as offscreen, still reports through the signals; see request_color_scheme).
        hints.colorSchemeChanged.connect(self._on_hints_color_scheme_changed)
        accessibility = getattr(hints, "accessibility", None)  # Qt 6.10+
        if accessibility is not None:
            hints_a11y = accessibility()
            self._high_contrast = hints_a11y.contrastPreference() == Qt.ContrastPreference.HighContrast
            hints_a11y.contrastPreferenceChanged.connect(self._on_accessibility_contrast_preference_changed)
        self._update_palette()

    @property
    def scheme(self) -> Qt.ColorScheme:
        return self._scheme

    @property
    def dark(self) -> bool:
        """Whether the system asks for a dark colour scheme."""
        return self._scheme == Qt.ColorScheme.Dark

    @property
    def high_contrast(self) -> bool:
        """Whether the system asks for high contrast (always False before Qt 6.10)."""
        return self._high_contrast

    def palette(self, *, high_contrast: bool = False) -> QPalette:
        """The palette for a window now: the application's, or its high-contrast variant
        (``high_contrast``: presentation mode)."""
        if high_contrast and not self._high_contrast:
            return look.high_contrast_dark() if self.dark else look.high_contrast(QGuiApplication.palette())
        return QPalette(QGuiApplication.palette())

    def _update_palette(self) -> None:
        if self._palette_set:
            # Back to the system's own palette: the light one, and what high contrast starts from.
            QApplication.setPalette(QPalette())
            self._palette_set = False
        if self.dark:
            palette = look.high_contrast_dark() if self._high_contrast else look.dark_palette()
        elif self._high_contrast:
            palette = look.high_contrast(QGuiApplication.palette())
        else:
            return
        QApplication.setPalette(palette)
        self._palette_set = True

    def _on_hints_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        if scheme != self._scheme:
            log.info("The system's colour scheme is now %s", scheme.name)
            self._scheme = scheme
            self._update_palette()
            self.changed.emit()

    def _on_accessibility_contrast_preference_changed(self, preference: Qt.ContrastPreference) -> None:
        high = preference == Qt.ContrastPreference.HighContrast
        if high != self._high_contrast:
            log.info("The system's contrast preference is now %s", preference.name)
            self._high_contrast = high
            self._update_palette()
            self.changed.emit()


_instance: SystemLook | None = None


def system_look() -> SystemLook:
    """The application's one :class:`SystemLook` (made on first use, owned by the application)."""
    global _instance  # noqa: PLW0603 - one per application, as QStyleHints is
    app = QCoreApplication.instance()
    if _instance is None or _instance.parent() is not app:
        _instance = SystemLook(app)
    return _instance


def request_color_scheme(scheme: Qt.ColorScheme) -> None:
    """Asks for ``scheme`` as a change of the system's setting would give it (for screenshots
    and tests; ``Qt.ColorScheme.Unknown``: the system's own again).

    Through Qt (``QStyleHints.setColorScheme``, Qt 6.8+), which the platforms that can follow a
    request (Windows, macOS, GNOME) answer with ``colorSchemeChanged``. The offscreen platform,
    and X11 without a desktop's theme, ignore requests: for them the change is announced as
    their theme would announce it (the same signal), so the lab goes through the same steps.
    """
    hints = QGuiApplication.styleHints()
    looked = system_look()
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(scheme)
    # A platform that follows requests knows its scheme now (and has said so, or will).
    if hints.colorScheme() == Qt.ColorScheme.Unknown and looked.scheme != scheme:
        hints.colorSchemeChanged.emit(scheme)
