"""The window's language: chosen once before the window is built, for LoopLab's words and Qt's.

:func:`install` picks the language (``LOOPLAB_LANG``, else File > Settings > Language, else the
system's, as Qt knows them from Windows, macOS or the desktop), sets LoopLab's own catalog
(:mod:`app.i18n`) and installs Qt's ``qtbase_<lang>.qm``, which translates what Qt itself shows:
the buttons of message boxes and of the file dialog, a text box's context menu (Copy, Paste),
key names (Ctrl is "Strg" in German).

A language chosen in Settings applies at the next start, not live: every panel builds its words
once, and the lessons' code (comments included) is what runs, so changing it under a run or an
edit in progress would be worse than a restart.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n

log = logging.getLogger(__name__)

_qt_translator: QTranslator | None = None
"""Qt's translations in use (kept alive here: Qt does not own an installed translator)."""


def _pyside_translations() -> str:
    import PySide6

    return str(Path(PySide6.__file__).parent / "Qt" / "translations")


def system_ui_languages() -> list[str]:
    """The system's languages in order of preference, as Qt reads them ("de-DE", "en-US", ...)."""
    return list(QLocale.system().uiLanguages())


def install(setting: str | None = None) -> str:
    """Chooses and installs the language; returns its code. ``setting``: the Settings choice
    ("" for the system's; None reads it from the settings file, or IT's defaults file)."""
    if setting is None:
        from app.ui import settings

        setting = settings.language()
    code = i18n.set_language(i18n.choose_language(setting, system_ui_languages()))
    install_qt_translations(code)
    log.info("Language: %s", code)
    return code


def install_qt_translations(code: str) -> bool:
    """Qt's own words in ``code`` (none for English); False when Qt has no translation for it."""
    global _qt_translator
    app = QCoreApplication.instance()
    if app is None:
        return False
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    if code == i18n.SOURCE_LANGUAGE:
        return True
    translator = QTranslator(app)
    folders = [QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath), _pyside_translations()]
    # Qt's own folder first; PySide6's copy where a bundle's Qt does not know its folder.
    if not any(folder and translator.load(f"qtbase_{code}", folder) for folder in folders):
        log.info("Qt has no translations for %s in %s: its own buttons stay in English", code, folders)
        return False
    app.installTranslator(translator)
    _qt_translator = translator
    return True
